"""What the commands share: exit codes, the input error, option groups and parsers, loading scenarios."""

from __future__ import annotations

import argparse
import json
import math
import os
import sys
from importlib import resources
from pathlib import Path

from sim.scenario import ScenarioError, load_scenario
from sim.scenario.schema import Scenario

EXIT_OK, EXIT_FAIL, EXIT_INPUT = 0, 1, 2


class InputError(Exception):
    """A problem with the command's input (exit code 2)."""


def default_scenario_path() -> str:
    here = Path.cwd() / "scenarios" / "default.yaml"
    if here.is_file():
        return str(here)
    return str(resources.files("sim") / "_bundled" / "default.yaml")


# --------------------------------------------------------------------------- option values


def parse_levels(text: str) -> list[int]:
    levels = []
    for part in text.split(","):
        part = part.strip()
        if not part.isdigit():
            raise argparse.ArgumentTypeError(f"expected service levels as integers of 0 or more separated by commas, e.g. 50,100,150; got {text!r}")
        levels.append(int(part))
    if not levels:
        raise argparse.ArgumentTypeError("expected at least one service level")
    return levels


def positive_int(text: str) -> int:
    if not text.strip().isdigit() or int(text) < 1:
        raise argparse.ArgumentTypeError(f"expected a whole number of 1 or more; got {text!r}")
    return int(text)


def worker_count(text: str) -> int:
    """``--workers``: 1 to 4 per CPU of this machine (more only slows the sweep and can exhaust memory)."""
    n = positive_int(text)
    limit = 4 * (os.cpu_count() or 1)
    if n > limit:
        raise argparse.ArgumentTypeError(f"expected at most {limit} (4 per CPU of this machine); got {n}")
    return n


def parse_rate(text: str) -> float:
    """``0.03`` or ``3%``."""
    t = text.strip()
    try:
        value = float(t[:-1]) / 100 if t.endswith("%") else float(t)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a rate such as 0.03 or 3%; got {text!r}") from None
    if not (0 <= value <= 1) or math.isnan(value):
        raise argparse.ArgumentTypeError(f"expected a rate from 0 to 1 (0.03) or a percentage (3%); got {text!r}")
    return value


def parse_range(text: str) -> tuple[int | None, int | None]:
    """``LOW:HIGH``, ``LOW:`` or ``:HIGH`` (integers of 0 or more)."""
    if ":" not in text:
        raise argparse.ArgumentTypeError(f"expected LOW:HIGH, LOW: or :HIGH, e.g. 50:2000; got {text!r}")
    lo_s, hi_s = (p.strip() for p in text.split(":", 1))
    for p in (lo_s, hi_s):
        if p and not p.isdigit():
            raise argparse.ArgumentTypeError(f"expected service levels as integers of 0 or more, e.g. 50:2000; got {text!r}")
    lo, hi = (int(lo_s) if lo_s else None), (int(hi_s) if hi_s else None)
    if lo is not None and hi is not None and hi < lo:
        raise argparse.ArgumentTypeError(f"the range's high end is below its low end: {text!r}")
    return lo, hi


def parse_metrics(text: str) -> list[str]:
    from sim.registry import CONTRACT

    names = [m.strip() for m in text.split(",") if m.strip()]
    bad = [m for m in names if m not in CONTRACT]
    if bad or not names:
        raise argparse.ArgumentTypeError(f"unknown metric(s) {', '.join(bad) or text!r}; expected some of {', '.join(CONTRACT)}")
    return names


# --------------------------------------------------------------------------- option groups


ALLOW_OUTSIDE_HELP = ("read CSV target lists (outdials[].targets) from anywhere; by default a target list must be "
                      "in the scenario file's folder or below it (symbolic links followed), so that a scenario "
                      "cannot read other files")


def add_targets_option(p: argparse.ArgumentParser) -> None:
    p.add_argument("--allow-outside-targets", action="store_true", help=ALLOW_OUTSIDE_HELP)


def add_scenario_options(p: argparse.ArgumentParser) -> None:
    add_targets_option(p)
    p.add_argument("--service-levels", type=parse_levels, metavar="SL,SL,...", help="the sweep, e.g. 50,100,150 (default: the scenario's)")
    p.add_argument("--replications", type=positive_int, metavar="N", help="replications per service level")
    p.add_argument("--seed", metavar="N", help="root seed")
    p.add_argument("--horizon", metavar="DURATION", help="simulated time, e.g. 2h")
    p.add_argument("--set", action="append", default=[], metavar="PATH=VALUE", dest="overrides",
                   help="set any scenario field by dotted path (list items by index), value as YAML; repeatable")


def add_executor_options(p: argparse.ArgumentParser) -> None:
    p.add_argument("--workers", type=worker_count, default=1, metavar="N", help="parallel workers (default 1)")
    p.add_argument("--executor", choices=("serial", "process", "dask"), help="default: process with more than one worker, else serial")
    p.add_argument("--scheduler", metavar="ADDRESS", help="a Dask scheduler address (with --executor dask)")


# --------------------------------------------------------------------------- scenarios


QUICK_ENV = "PACING_SIM_QUICK"
"""Set (to anything but empty or 0) for smoke tests: every scenario runs 30 minutes and 2
replications unless --horizon / --replications say otherwise; a warning says so."""


def quick() -> bool:
    return os.environ.get(QUICK_ENV, "") not in ("", "0")


def scenario_overrides(args: argparse.Namespace) -> list[str]:
    extra = []
    if quick():
        if getattr(args, "horizon", None) is None:
            extra.append('horizon="30m"')
        if getattr(args, "replications", None) is None:
            extra.append("replications=2")
    extra += list(args.overrides)
    if getattr(args, "seed", None) is not None:
        extra.append(f"seed={args.seed}")
    if getattr(args, "horizon", None) is not None:
        extra.append(f"horizon={json.dumps(args.horizon)}")
    if getattr(args, "replications", None) is not None:
        extra.append(f"replications={args.replications}")
    if getattr(args, "service_levels", None):
        extra.append(f"service_levels={json.dumps(args.service_levels)}")
    return extra


def load_all(paths: list[str], args: argparse.Namespace) -> list[Scenario]:
    """Load every scenario (a folder stands for its *.yaml files); collect every problem."""
    files: list[str] = []
    for p in paths:
        path = Path(p)
        try:
            is_dir = path.is_dir()
        except OSError as exc:  # e.g. a name over the system's limit
            raise InputError(f"{p}: cannot read: {exc.strerror or exc}") from None
        if is_dir:
            found = sorted(str(f) for f in path.glob("*.yaml"))
            if not found:
                raise InputError(f"{p}: no *.yaml scenario files in this folder")
            files += found
        else:
            files.append(p)
    scenarios, problems = [], []
    for f in files:
        try:
            scenarios.append(load_scenario(f, scenario_overrides(args),
                                           allow_outside_targets=getattr(args, "allow_outside_targets", False)))
        except ScenarioError as exc:
            problems += exc.problems
    if problems:
        raise ScenarioError(problems)
    names = [s.name for s in scenarios]
    if len(set(names)) != len(names):
        raise InputError(f"two scenarios share a name ({', '.join(sorted({n for n in names if names.count(n) > 1}))}); names label the tables, so they must differ")
    return scenarios


def one_scenario(args: argparse.Namespace) -> Scenario:
    """The command's SCENARIO argument (default: the bundled default), loaded with its options."""
    return load_all([args.scenario or default_scenario_path()], args)[0]


def warn(msg: str) -> None:
    print(f"warning: {msg}", file=sys.stderr)
