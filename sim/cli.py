"""The command line: a thin layer over the library (``pacing-sim`` and ``python -m sim``).

Exit codes: 0 done; 1 the runs or a check failed; 2 the input cannot be used (a bad scenario,
a bad option), with one clear message per problem and no traceback.
"""

from __future__ import annotations

import argparse
import json
import math
import sys
from importlib import resources
from pathlib import Path
from typing import Optional

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


def add_scenario_options(p: argparse.ArgumentParser) -> None:
    p.add_argument("--service-levels", type=parse_levels, metavar="SL,SL,...", help="the sweep, e.g. 50,100,150 (default: the scenario's)")
    p.add_argument("--replications", type=positive_int, metavar="N", help="replications per service level")
    p.add_argument("--seed", metavar="N", help="root seed")
    p.add_argument("--horizon", metavar="DURATION", help="simulated time, e.g. 2h")
    p.add_argument("--set", action="append", default=[], metavar="PATH=VALUE", dest="overrides",
                   help="set any scenario field by dotted path (list items by index), value as YAML; repeatable")


def add_executor_options(p: argparse.ArgumentParser) -> None:
    p.add_argument("--workers", type=positive_int, default=1, metavar="N", help="parallel workers (default 1)")
    p.add_argument("--executor", choices=("serial", "process", "dask"), help="default: process with more than one worker, else serial")
    p.add_argument("--scheduler", metavar="ADDRESS", help="a Dask scheduler address (with --executor dask)")


def scenario_overrides(args: argparse.Namespace) -> list[str]:
    extra = list(args.overrides)
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
        if path.is_dir():
            found = sorted(str(f) for f in path.glob("*.yaml"))
            if not found:
                raise InputError(f"{p}: no *.yaml scenario files in this folder")
            files += found
        else:
            files.append(p)
    scenarios, problems = [], []
    for f in files:
        try:
            scenarios.append(load_scenario(f, scenario_overrides(args)))
        except ScenarioError as exc:
            problems += exc.problems
    if problems:
        raise ScenarioError(problems)
    names = [s.name for s in scenarios]
    if len(set(names)) != len(names):
        raise InputError(f"two scenarios share a name ({', '.join(sorted({n for n in names if names.count(n) > 1}))}); names label the tables, so they must differ")
    return scenarios


# --------------------------------------------------------------------------- output


def jsonable(x):
    """NaN and infinities become null; numpy scalars plain numbers."""
    if isinstance(x, dict):
        return {k: jsonable(v) for k, v in x.items()}
    if isinstance(x, (list, tuple)):
        return [jsonable(v) for v in x]
    if hasattr(x, "item") and not isinstance(x, (str, bytes)):
        x = x.item()
    if isinstance(x, float) and not math.isfinite(x):
        return None
    return x


def result_json(result, scenario_index: int = 0) -> dict:
    """The contract's JSON: every metric of its table, then the counts behind the rates."""
    from sim.metrics import EXTRA_METRICS, METRICS

    scn = result.scenarios[scenario_index]
    summary = result.metric_summary(scenario_index)
    reps = max((t.replication for t in result.tasks if t.scenario == scenario_index), default=-1) + 1
    return jsonable({
        "scenario": scn.name,
        "seed": scn.seed,
        "replications": reps,
        "results": [
            {"service_level": sl, "metrics": {m: summary[sl][m] for m in METRICS + EXTRA_METRICS}}
            for sl in summary
        ],
    })


def fmt_ci(s: dict, digits: int, pct: bool = False) -> str:
    if s["n"] == 0 or s["mean"] is None or (isinstance(s["mean"], float) and math.isnan(s["mean"])):
        return "-"
    scale = 100.0 if pct else 1.0
    mean = s["mean"] * scale
    if s["n"] < 2 or math.isnan(s["ci_high"]):
        return f"{mean:.{digits}f}"
    half = (s["ci_high"] - s["ci_low"]) / 2 * scale
    return f"{mean:.{digits}f} ±{half:.{digits}f}"


TABLE_COLUMNS = [
    ("occupancy", "occupancy %", 1, True),
    ("talk_utilization", "talk %", 1, True),
    ("abandon_rate", "abandon %", 2, True),
    ("abandon_rate_regulatory", "abandon 2s %", 1, True),
    ("throughput_per_hour", "conv/h", 1, False),
    ("dials_per_hour", "dials/h", 0, False),
    ("answer_rate", "answer %", 1, True),
    ("mean_queue_wait", "wait s", 2, False),
    ("max_live_calls", "max live", 1, False),
    ("campaign_end_time", "end s", 0, False),
]


def result_table(result) -> str:
    import pandas as pd

    lines = []
    for si, scn in enumerate(result.scenarios):
        summary = result.metric_summary(si)
        reps = max((t.replication for t in result.tasks if t.scenario == si), default=-1) + 1
        rows = []
        for sl, ms in summary.items():
            row = {"SL": sl}
            for key, label, digits, pct in TABLE_COLUMNS:
                row[label] = fmt_ci(ms[key], digits, pct)
            rows.append(row)
        prof = scn.engine.profile
        lines.append(f"{scn.name}: {reps} replications per service level, seed {scn.seed}, engine profile {prof}; "
                     "mean ± half-width of the 95 % interval")
        lines.append(pd.DataFrame(rows).to_string(index=False) if rows else "(no finished runs)")
        lines.append("")
    return "\n".join(lines).rstrip() + "\n"


# --------------------------------------------------------------------------- commands


def cmd_validate(args: argparse.Namespace) -> int:
    problems = []
    for f in args.scenarios:
        try:
            scn = load_scenario(f, args.overrides)
            print(f"{f}: ok ({scn.name}: {len(scn.campaigns)} campaign(s), {sum(a.count for a in scn.agents)} agents, "
                  f"{len(scn.sweep_levels())} service level(s) x {scn.replications} replications)")
        except ScenarioError as exc:
            problems += exc.problems
    if problems:
        for p in problems:
            print(p, file=sys.stderr)
        return EXIT_INPUT
    return EXIT_OK


def progress_callback(total: int, initial: int = 0):
    """A tqdm bar on stderr when it is a terminal; quiet otherwise (see ``sim.experiment.progress_bar``)."""
    from sim.experiment import progress_bar

    tick, close = progress_bar(total, initial)
    return tick, close


def cmd_run(args: argparse.Namespace) -> int:
    from sim.experiment import WorkerLost
    from sim.experiment import run as run_sweep
    from sim.results import ResultsFolderError, partial_path

    paths = args.scenarios or [default_scenario_path()]
    out = args.out
    executor = args.executor
    if args.scheduler and executor is None:
        executor = "dask"
    if args.scheduler and executor != "dask":
        raise InputError(f"--scheduler is a Dask scheduler address; it needs --executor dask, not {executor}")
    if out is not None:
        from sim.results import check_target

        try:
            check_target(out, force=args.force)  # before any work, not after it
        except ResultsFolderError as exc:
            raise InputError(str(exc)) from None
    scenarios = load_all(paths, args)
    try:
        result = run_sweep(scenarios, workers=args.workers, executor=executor, scheduler=args.scheduler, out=out,
                           force=args.force, progress=True, command=getattr(args, "argv", None))
    except ResultsFolderError as exc:
        raise InputError(str(exc)) from None
    except (KeyboardInterrupt, WorkerLost) as exc:
        if out is not None:
            print(f"pacing-sim: the finished runs are kept in {partial_path(out)}; run the same command again to "
                  "resume without running them again", file=sys.stderr)
        if isinstance(exc, KeyboardInterrupt):
            raise
        print(f"pacing-sim: {exc}", file=sys.stderr)
        return EXIT_FAIL
    emit(result, args.format)
    if out is not None:
        print(f"pacing-sim: results written to {out} (report: {Path(out) / 'report.html'})", file=sys.stderr)
    code = report_failures(result)
    if code and out is not None:
        print(f"pacing-sim: the finished runs are kept in {partial_path(out)}; the same command with --force runs "
              "only the failed ones again", file=sys.stderr)
    return code


def cmd_report(args: argparse.Namespace) -> int:
    from sim.results import ResultsFolderError, rebuild

    try:
        written = rebuild(args.folder)
    except ResultsFolderError as exc:
        raise InputError(str(exc)) from None
    print(f"{args.folder}: redrew {len(written) - 1} plot(s) and report.html")
    return EXIT_OK


def emit(result, fmt: str) -> None:
    if fmt == "json":
        doc = result_json(result) if len(result.scenarios) == 1 else [result_json(result, i) for i in range(len(result.scenarios))]
        print(json.dumps(doc, indent=2))
    elif fmt == "csv":
        sys.stdout.write(result.summary.to_csv(index=False))
    else:
        sys.stdout.write(result_table(result))


def report_failures(result) -> int:
    failed = result.failures
    if not failed:
        return EXIT_OK
    for o in failed:
        t = o.task
        first = (o.error or "").splitlines()[0]
        print(f"run failed: scenario {result.scenarios[t.scenario].name}, service level {t.service_level}, "
              f"replication {t.replication}: {first}", file=sys.stderr)
    print(f"{len(failed)} of {len(result.outputs)} runs failed", file=sys.stderr)
    return EXIT_FAIL


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="pacing-sim", description="Simulate VoIPbin's outbound campaign engine for a sweep of service levels.")
    from sim import __version__

    parser.add_argument("--version", action="version", version=f"pacing-sim {__version__}")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    p = sub.add_parser("run", help="run the experiment of one or more scenarios")
    p.add_argument("scenarios", nargs="*", metavar="SCENARIO", help="scenario files or folders (default: the bundled default scenario)")
    add_scenario_options(p)
    add_executor_options(p)
    p.add_argument("--format", choices=("table", "json", "csv"), default="table")
    p.add_argument("--out", metavar="DIR", help="write the results folder (tables, plots, report) to DIR; an "
                   "interrupted sweep resumes from DIR.partial when run again")
    p.add_argument("--force", action="store_true", help="replace an existing --out folder (once the new one is complete)")
    p.set_defaults(func=cmd_run)

    p = sub.add_parser("report", help="redraw the plots and report.html of a results folder from its tables")
    p.add_argument("folder", metavar="DIR", help="a folder written by run --out")
    p.set_defaults(func=cmd_report)

    p = sub.add_parser("validate", help="validate scenario files, report every problem, run nothing")
    p.add_argument("scenarios", nargs="+", metavar="SCENARIO")
    p.add_argument("--set", action="append", default=[], metavar="PATH=VALUE", dest="overrides")
    p.set_defaults(func=cmd_validate)

    for register in EXTRA_COMMANDS:
        register(sub)
    return parser


EXTRA_COMMANDS: list = []
"""Functions ``register(subparsers)`` that add more commands (tune, baseline, check, report)."""

from sim import cli_extra  # noqa: E402,F401  (registers tune, baseline and check)


def main(argv: Optional[list[str]] = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    args.argv = ["pacing-sim", *(sys.argv[1:] if argv is None else argv)]
    try:
        return int(args.func(args) or 0)
    except ScenarioError as exc:
        for p in exc.problems:
            print(p, file=sys.stderr)
        return EXIT_INPUT
    except InputError as exc:
        print(f"pacing-sim: {exc}", file=sys.stderr)
        return EXIT_INPUT
    except KeyboardInterrupt:
        print("pacing-sim: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
