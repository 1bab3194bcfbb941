"""Loading scenario files: safe YAML, ``--set`` overrides, validation, every problem at once.

The steps, each reporting every problem it finds before the next one runs:

1. read the file safely (``safe_yaml``): size, depth, aliases, tags, keys given twice;
2. apply ``--set`` overrides (``overrides``);
3. validate the whole document against the models (``schema``), translated into the scenario's
   terms (``messages``), together with the checks across sections (names, references);
4. limits that need the validated values (warm-up before the horizon, run counts), then the
   CSV target lists, read in chunks with their size checked first.
"""

from __future__ import annotations

import copy
import difflib
import math
import os
import re
from pathlib import Path
from typing import Any, Iterable, Optional

from pydantic import ValidationError

from sim.scenario.errors import Problem, ScenarioError, format_path
from sim.scenario.messages import pydantic_problems
from sim.scenario.overrides import apply_overrides as _apply_overrides
from sim.scenario.safe_yaml import MAX_FILE_BYTES, Lines, parse_yaml_text, read_yaml
from sim.scenario.schema import MAX_AGENTS, MAX_TARGETS, Scenario

MAX_CSV_BYTES = 1024 * 1024 * 1024
CSV_CHUNK_ROWS = 200_000
MAX_RUNS = 1_000_000
MAX_DIALS = 10_000_000
"""Dial attempts one replication may make at most (each is a record kept in memory)."""
DEST_COLUMNS = [f"destination_{i}" for i in range(5)]

__all__ = [
    "MAX_CSV_BYTES", "MAX_FILE_BYTES", "MAX_RUNS", "apply_overrides", "load_scenario", "parse_scenario",
    "parse_yaml_text", "read_yaml",
]


def apply_overrides(data: dict, overrides: Iterable[str], file: str) -> list[Problem]:
    """Apply ``path=value`` overrides to raw scenario data in place; return the problems."""
    return _apply_overrides(data, overrides, file, Scenario)[0]


# --------------------------------------------------------------------------- checks across sections


def _names(data: dict, section: str) -> list[str]:
    items = data.get(section)
    if not isinstance(items, list):
        return []
    return [it.get("name") for it in items if isinstance(it, dict) and isinstance(it.get("name"), str)]


def _reference_problems(file: str, data: dict) -> list[Problem]:
    """Unique names, references that exist, one campaign per outdial."""
    problems: list[Problem] = []
    for section in ("campaigns", "outplans", "outdials", "queues", "agents"):
        first: dict[str, int] = {}
        items = data.get(section)
        for i, it in enumerate(items if isinstance(items, list) else []):
            name = it.get("name") if isinstance(it, dict) else None
            if isinstance(name, str):
                if name in first:
                    problems.append(Problem(
                        file, f"{section}[{i}].name",
                        f"the name is already used by {section}[{first[name]}]; names in {section} must be unique", name, True,
                    ))
                else:
                    first[name] = i
    refs = {"outplan": "outplans", "outdial": "outdials", "queue": "queues", "next_campaign": "campaigns"}
    outdial_user: dict[str, int] = {}
    campaigns = data.get("campaigns")
    for i, c in enumerate(campaigns if isinstance(campaigns, list) else []):
        if not isinstance(c, dict):
            continue
        for fld, section in refs.items():
            ref = c.get(fld)
            if not isinstance(ref, str):
                continue
            names = _names(data, section)
            if ref not in names:
                close = difflib.get_close_matches(ref, names, n=1)
                if close:
                    hint = f"; did you mean {close[0]!r}?"
                elif names:
                    hint = f"; expected one of: {', '.join(names)}"
                else:
                    hint = f"; there are no {section} in the file"
                problems.append(Problem(file, f"campaigns[{i}].{fld}", f"no {section[:-1]} of that name{hint}", ref, True))
        od = c.get("outdial")
        if isinstance(od, str):
            if od in outdial_user:
                problems.append(Problem(
                    file, f"campaigns[{i}].outdial",
                    f"the outdial already belongs to campaigns[{outdial_user[od]}]; in VoIPbin an outdial belongs to one "
                    "campaign, so give each campaign its own", od, True,
                ))
            else:
                outdial_user[od] = i
        if c.get("next_campaign") is not None and c.get("next_campaign") == c.get("name"):
            problems.append(Problem(file, f"campaigns[{i}].next_campaign", "a campaign cannot chain to itself", c.get("next_campaign"), True))
    return problems


def _raw(data: Any, *loc: Any) -> Any:
    for part in loc:
        try:
            data = data[part]
        except (KeyError, IndexError, TypeError):
            return None
    return data


def _limit_problems(file: str, scn: Scenario, data: dict) -> list[Problem]:
    problems = []
    if scn.warmup >= scn.horizon:
        problems.append(Problem(
            file, "warmup", f"expected a warm-up shorter than the horizon ({_raw(data, 'horizon')!r}, {scn.horizon:g}s)",
            _raw(data, "warmup"), True,
        ))
    total_agents = sum(g.count for g in scn.agents)
    if total_agents > MAX_AGENTS:
        problems.append(Problem(file, "agents", f"expected at most {MAX_AGENTS:,} agents in all; found {total_agents:,}"))
    runs = scn.replications * len(scn.sweep_levels())
    if runs > MAX_RUNS:
        problems.append(Problem(file, "replications", f"expected at most {MAX_RUNS:,} runs (replications x service levels); found {runs:,}"))
    return problems


def max_dials(scn: Scenario) -> int:
    """An upper bound on one replication's dial attempts: per campaign, the lesser of its targets
    times their attempts and the campaign's time divided by the step after a dial."""
    outplans = {o.name: o for o in scn.outplans}
    outdials = {o.name: o for o in scn.outdials}
    step = scn.engine.timers.after_dial
    total = 0
    for c in scn.campaigns:
        op, od = outplans.get(c.outplan), outdials.get(c.outdial)
        if op is None or od is None:
            continue
        targets = od.targets if isinstance(od.targets, int) else len(scn.target_masks.get(od.name, b""))
        by_list = targets * sum(op.max_try_count)
        by_time = math.floor(max(scn.horizon - (c.start_at or 0.0), 0.0) / step) + 1
        total += min(by_list, by_time)
    return total


def _dial_problems(file: str, scn: Scenario) -> list[Problem]:
    bound = max_dials(scn)
    if bound <= MAX_DIALS:
        return []
    return [Problem(
        file, "campaigns",
        f"expected at most {MAX_DIALS:,} dial attempts in one replication; this scenario allows up to {bound:,} "
        "(per campaign the lesser of targets x sum of max_try_count, and its time / engine.timers.after_dial); "
        "shorten the horizon or the target lists",
    )]


# --------------------------------------------------------------------------- CSV target lists


def _read_targets(file: str, base: Path, scn: Scenario) -> list[Problem]:
    """Read CSV target lists, in chunks, into one destination bit mask (a byte) per target."""
    import numpy as np
    import pandas as pd

    problems: list[Problem] = []
    for i, od in enumerate(scn.outdials):
        if not isinstance(od.targets, str):
            continue
        path = Path(od.targets).expanduser()
        if not path.is_absolute():
            path = base / path
        where = f"outdials[{i}].targets"

        def bad(message: str, where: str = where, target: str = od.targets) -> None:
            problems.append(Problem(file, where, message, target, True))

        if path.is_dir():
            bad(f"expected a CSV file with columns destination_0..4; {str(path)!r} is a folder")
            continue
        if not path.is_file():
            bad(f"expected a CSV file with columns destination_0..4; there is no file at {str(path)!r}")
            continue
        try:
            nbytes = path.stat().st_size
        except OSError as exc:
            bad(f"cannot read the CSV file: {exc.strerror or exc}")
            continue
        if nbytes > MAX_CSV_BYTES:
            bad(f"the CSV file has {nbytes:,} bytes; at most {MAX_CSV_BYTES:,}")
            continue
        try:
            header = pd.read_csv(path, nrows=0, encoding="utf-8-sig")
        except pd.errors.EmptyDataError:
            bad("the CSV file is empty; expected a header line with columns destination_0..4, then a line per target")
            continue
        except (UnicodeDecodeError, ValueError, OSError, pd.errors.ParserError) as exc:
            bad(f"cannot read the CSV file: {_csv_error(exc)}")
            continue
        cols = [c for c in header.columns if str(c).strip() in DEST_COLUMNS]
        if not cols:
            found = ", ".join(str(c) for c in list(header.columns)[:10])
            bad(f"the CSV file has no destination columns; expected some of {', '.join(DEST_COLUMNS)} in its header; found {found or 'none'}")
            continue
        masks: list[np.ndarray] = []
        rows = 0
        try:
            reader = pd.read_csv(path, usecols=cols, dtype=str, keep_default_na=False, chunksize=CSV_CHUNK_ROWS,
                                 encoding="utf-8-sig")
            with reader:
                for chunk in reader:
                    rows += len(chunk)
                    if rows > MAX_TARGETS:
                        break
                    mask = np.zeros(len(chunk), dtype=np.uint8)
                    for col in cols:
                        present = chunk[col].str.strip().to_numpy() != ""
                        mask |= present.astype(np.uint8) << int(str(col).strip()[-1])
                    masks.append(mask)
        except (UnicodeDecodeError, ValueError, OSError, pd.errors.ParserError) as exc:
            bad(f"cannot read the CSV file: {_csv_error(exc)}")
            continue
        if rows > MAX_TARGETS:
            bad(f"the CSV file has more than {MAX_TARGETS:,} targets; at most {MAX_TARGETS:,}")
            continue
        scn.target_masks[od.name] = np.concatenate(masks).tobytes() if masks else b""
    return problems


def _missing_csv_problems(file: str, base: Path, data: dict) -> list[Problem]:
    """When the models did not validate, still say which CSV target files are missing."""
    problems = []
    outdials = data.get("outdials")
    for i, od in enumerate(outdials if isinstance(outdials, list) else []):
        target = od.get("targets") if isinstance(od, dict) else None
        if isinstance(target, str) and target.strip():
            path = Path(target).expanduser()
            path = path if path.is_absolute() else base / path
            if not path.is_file():
                problems.append(Problem(
                    file, f"outdials[{i}].targets",
                    f"expected a CSV file with columns destination_0..4; there is no file at {str(path)!r}", target, True,
                ))
    return problems


def _csv_error(exc: Exception) -> str:
    if isinstance(exc, UnicodeDecodeError):
        return f"it is not UTF-8 text (byte {exc.start})"
    return " ".join(str(exc).split())[:200]


# --------------------------------------------------------------------------- the whole


def _place(problems: list[Problem], lines: Lines, origins: dict[str, str]) -> list[Problem]:
    """Give each problem its line (or its ``--set``) and sort them in the order of the file."""
    by_path = {format_path(loc): line for loc, line in lines.items()}
    placed = []
    for p in problems:
        origin = p.origin or next((o for path, o in origins.items() if _under(p.path, path)), "")
        line = p.line
        if line is None and not origin:
            path = p.path
            while path and line is None:
                line = by_path.get(path)
                path = _parent(path)
        placed.append(Problem(p.file, p.path, p.message, p.value, p.has_value, line, origin))
    return sorted(placed, key=lambda p: (p.message.startswith("... and "), p.line or 0))


def _under(path: str, top: str) -> bool:
    return path == top or path.startswith((top + ".", top + "["))


_LAST = re.compile(r"(\[\d+\]|\.[^.\[]*|^[^.\[]*)$")


def _parent(path: str) -> str:
    return _LAST.sub("", path, count=1)


def parse_scenario(
    data: Any,
    file: str = "<scenario>",
    base_dir: Optional[str] = None,
    overrides: Iterable[str] = (),
    pre_problems: Iterable[Problem] = (),
    lines: Optional[Lines] = None,
) -> Scenario:
    """Validate raw scenario data (a dict as YAML gives it); raise ``ScenarioError`` listing every problem."""
    problems = list(pre_problems)
    if not isinstance(data, dict):
        raise ScenarioError(problems + [Problem(file, "", f"expected a scenario: a mapping of fields; found {type(data).__name__}")])
    overrides = list(overrides)
    origins: dict[str, str] = {}
    if overrides:
        data = copy.deepcopy(data)
        set_problems, origins = _apply_overrides(data, overrides, file, Scenario)
        if set_problems:  # the scenario to validate is not the one asked for
            raise ScenarioError(_place(problems + set_problems, lines or {}, origins))
    problems += _reference_problems(file, data)
    scn: Optional[Scenario] = None
    try:
        scn = Scenario.model_validate(data)
    except ValidationError as exc:
        problems += pydantic_problems(file, exc, Scenario)
    base = Path(base_dir or ".")
    if scn is not None:
        problems += _limit_problems(file, scn, data)
        scn.source_path = file
        csv_problems = _read_targets(file, base, scn)
        problems += csv_problems or _dial_problems(file, scn)
    else:
        problems += _missing_csv_problems(file, base, data)
    if problems:
        raise ScenarioError(_place(problems, lines or {}, origins))
    assert scn is not None
    return scn


def load_scenario(path: str | os.PathLike, overrides: Iterable[str] = ()) -> Scenario:
    """Load and validate a scenario file; raise ``ScenarioError`` listing every problem."""
    file = str(path)
    data, problems, lines = read_yaml(file)
    if data is None:
        raise ScenarioError(problems)
    return parse_scenario(data, file, str(Path(file).resolve().parent), overrides, problems, lines)
