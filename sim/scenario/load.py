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
import io
import math
import os
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any, Iterable, Optional

from pydantic import ValidationError

from sim.scenario.errors import Problem, ScenarioError, format_path
from sim.scenario.messages import pydantic_problems
from sim.scenario.overrides import apply_overrides as _apply_overrides
from sim.scenario.safe_yaml import MAX_FILE_BYTES, Lines, parse_yaml_text, read_yaml
from sim.scenario.schema import MAX_AGENTS, MAX_HORIZON, MAX_INTERVALS, MAX_LOOP_STEPS, MAX_TARGETS, Scenario

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
        problems += _queue_join_problems(file, data, i, c)
    return problems


def _queue_join_problems(file: str, data: dict, i: int, c: dict) -> list[Problem]:
    """A queue_join among a call campaign's actions puts the call in that queue (VoIPbin runs it
    before the queue_join appended for the campaign's own queue). The model simulates it when it
    is the last action of a campaign without a queue of its own; anything else is refused. In a
    flow campaign it needs a call, so flow-manager skips it (as the model does)."""
    actions = c.get("actions")
    if c.get("type", "call") != "call" or not isinstance(actions, list):
        return []
    problems = []
    queues = _names(data, "queues")
    for j, a in enumerate(actions):
        if not isinstance(a, dict) or a.get("type") != "queue_join":
            continue
        where = f"campaigns[{i}].actions[{j}]"
        qid = _raw(a, "option", "queue_id")
        if isinstance(qid, str) and qid not in queues:
            close = difflib.get_close_matches(qid, queues, n=1)
            hint = f"; did you mean {close[0]!r}?" if close else (f"; expected one of: {', '.join(queues)}" if queues else "; there are no queues in the file")
            problems.append(Problem(file, f"{where}.option.queue_id", f"no queue of that name{hint}", qid, True))
        if c.get("queue") is not None:
            problems.append(Problem(
                file, where,
                "a queue_join in the actions of a campaign that has a queue of its own sends each call through two "
                "queues (this one, then the campaign's appended queue_join); the model does not simulate two queues "
                "in one call: remove this action, or set the campaign's queue to null and keep it as the last action",
            ))
        elif j != len(actions) - 1:
            problems.append(Problem(
                file, where,
                "actions after a queue_join run when the call leaves the queue (after the conversation); the model "
                "does not simulate that: make queue_join the last action",
            ))
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
    problems += horizon_problems(file, scn, scn.horizon, data)
    total_agents = sum(g.count for g in scn.agents)
    if total_agents > MAX_AGENTS:
        problems.append(Problem(file, "agents", f"expected at most {MAX_AGENTS:,} agents in all; found {total_agents:,}"))
    runs = scn.replications * len(scn.sweep_levels())
    if runs > MAX_RUNS:
        problems.append(Problem(file, "replications", f"expected at most {MAX_RUNS:,} runs (replications x service levels); found {runs:,}"))
    return problems


def horizon_problems(file: str, scn: Scenario, horizon: float, data: Any = None) -> list[Problem]:
    """The bounds that depend on the horizon: every loop's step at least horizon / MAX_LOOP_STEPS,
    at most MAX_INTERVALS time-series intervals (``data``: the raw scenario, for the values found)."""
    problems = []
    timers = scn.engine.timers
    for name in ("after_dial", "after_wait", "queue_step", "queue_idle_step"):
        step = getattr(timers, name)
        if horizon / step > MAX_LOOP_STEPS:
            problems.append(Problem(
                file, f"engine.timers.{name}",
                f"expected a step of at least the horizon / {MAX_LOOP_STEPS:,} ({_secs(horizon / MAX_LOOP_STEPS)} "
                f"for a horizon of {_secs(horizon)}); a step of {_secs(step)} wakes the loop "
                f"{horizon / step:,.0f} times in one run, far too many to finish",
                _raw(data, "engine", "timers", name) if data is not None else step, True,
            ))
    intervals = horizon / scn.timeseries_interval
    if intervals > MAX_INTERVALS:
        problems.append(Problem(
            file, "timeseries_interval",
            f"expected at most {MAX_INTERVALS:,} time-series intervals in a run (horizon / timeseries_interval); "
            f"{_secs(scn.timeseries_interval)} over a horizon of {_secs(horizon)} makes {intervals:,.0f}: use an "
            f"interval of at least {_secs(horizon / MAX_INTERVALS)}",
            _raw(data, "timeseries_interval") if data is not None else scn.timeseries_interval, True,
        ))
    return problems


def check_horizon(scn: Scenario, horizon: float) -> None:
    """Raise ``ScenarioError`` if ``scn`` cannot run with another ``horizon`` (``sim.run(horizon=...)``)."""
    file = scn.source_path or scn.name
    if not (isinstance(horizon, (int, float)) and not isinstance(horizon, bool) and 0 < horizon <= MAX_HORIZON):
        raise ScenarioError([Problem(file, "horizon", f"expected a horizon above 0 and at most {_secs(MAX_HORIZON)}",
                                     horizon, True, origin="given to sim.run")])
    problems = horizon_problems(file, scn, float(horizon))
    if problems:
        raise ScenarioError([Problem(p.file, p.path, p.message, p.value, p.has_value, origin=f"horizon={horizon!r} given to sim.run")
                             for p in problems])


def _secs(seconds: float) -> str:
    """A duration for a message: ``1.44ms``, ``5s``, ``8h``."""
    if seconds < 1:
        return f"{seconds * 1000:.3g}ms"
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60)):
        if seconds >= size and seconds % size == 0:
            return f"{seconds / size:g}{unit}"
    return f"{seconds:.4g}s"


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
#
# A target list is read only from inside the scenario's folder (its path resolved, '..' and
# symlinks followed) unless the user opts in (``--allow-outside-targets``); otherwise a scenario
# could read any file the process can. No message quotes the file beyond its header names, cut
# short. Every line (the header included) is bounded before it is parsed.


MAX_LINE_BYTES = 64 * 1024
"""The longest line of a CSV target list (the header included), in bytes."""
MAX_HEADER_COLUMNS = 1000
OUTSIDE_HINT = ("to read a target list outside it, pass --allow-outside-targets on the command line "
                "(in Python: load_scenario(..., allow_outside_targets=True))")


class _LineTooLong(Exception):
    def __init__(self, line: int):
        super().__init__(line)
        self.line = line


class _BoundedLines(io.RawIOBase):
    """A raw reader that refuses a line longer than ``limit`` bytes as soon as it is seen."""

    def __init__(self, raw: io.RawIOBase, limit: int):
        self._raw = raw
        self._limit = limit
        self._run = 0  # bytes since the last line break
        self._lines = 0  # line breaks seen

    def readable(self) -> bool:
        return True

    def readinto(self, b) -> int:
        import numpy as np

        n = self._raw.readinto(b)
        if not n:
            return n or 0
        arr = np.frombuffer(memoryview(b)[:n], dtype=np.uint8)
        breaks = np.flatnonzero((arr == 10) | (arr == 13))
        if len(breaks) == 0:
            longest, line = self._run + n, self._lines + 1
            self._run += n
        else:
            gaps = np.diff(breaks) - 1 if len(breaks) > 1 else np.zeros(0, dtype=np.intp)
            longest, line = self._run + int(breaks[0]), self._lines + 1
            if len(gaps) and int(gaps.max()) > longest:
                k = int(gaps.argmax())
                longest, line = int(gaps[k]), self._lines + k + 2
            self._run = n - int(breaks[-1]) - 1
            if self._run > longest:
                longest, line = self._run, self._lines + len(breaks) + 1
            self._lines += len(breaks)
        if longest > self._limit:
            raise _LineTooLong(line)
        return n


def _path_limits() -> tuple[int, int]:
    try:
        return os.pathconf("/", "PC_PATH_MAX"), os.pathconf("/", "PC_NAME_MAX")
    except (OSError, ValueError, AttributeError):  # pragma: no cover - not POSIX
        return 4096, 255


def target_path(raw: str, base: Path, allow_outside: bool) -> tuple[Optional[Path], Optional[str]]:
    """Where a target list is, resolved, or why it cannot be used; nothing is opened.

    Refused: a NUL byte, a path or a file name over the system's limits, and (unless
    ``allow_outside``) a path that resolves outside ``base``, the scenario's folder.
    """
    if "\x00" in raw:
        return None, "the path of the CSV file contains a NUL character"
    path_max, name_max = _path_limits()
    path, why = _joined(raw, base)
    if path is None:
        return None, why
    size = len(os.fsencode(str(path)))
    if size >= path_max:
        return None, f"the path of the CSV file has {size:,} bytes; this system allows paths of fewer than {path_max:,}"
    longest = max((len(os.fsencode(part)) for part in path.parts), default=0)
    if longest > name_max:
        return None, (f"a name in the path of the CSV file has {longest:,} bytes; this system allows file and folder "
                      f"names of at most {name_max:,}")
    try:
        real = Path(os.path.realpath(path))
        home = Path(os.path.realpath(base))
    except (OSError, ValueError, RuntimeError) as exc:
        return None, f"cannot resolve the path of the CSV file: {getattr(exc, 'strerror', None) or 'too many symbolic links'}"
    if not allow_outside and real != home and home not in real.parents:
        return None, (f"the CSV file is outside the scenario's folder ({home}); a target list must be in that folder "
                      f"or below it, after following '..' and symbolic links; {OUTSIDE_HINT}")
    return real, None


def _joined(raw: str, base: Path) -> tuple[Optional[Path], Optional[str]]:
    """``raw`` with ``~`` expanded, relative to ``base``: ``(path, None)`` or ``(None, why)``."""
    try:
        path = Path(raw).expanduser()
    except (RuntimeError, KeyError, OSError):  # '~name' of no such user, or no home folder
        return None, "cannot find the home folder the path starts from ('~'); give the path relative to the scenario file"
    return (path if path.is_absolute() else base / path), None


def _open_target(real: Path, shown: Path) -> tuple[Optional[int], Optional[str]]:
    """Open a resolved target list for reading: ``(fd, None)`` or ``(None, why)``. No content is read."""
    import errno
    import stat

    flags = os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_CLOEXEC", 0)
    try:
        fd = os.open(real, flags)
    except OSError as exc:
        if exc.errno in (errno.ENOENT, errno.ENOTDIR):
            return None, f"expected a CSV file with columns destination_0..4; there is no file at {str(shown)!r}"
        if exc.errno in (errno.EACCES, errno.EPERM):
            return None, f"cannot read the CSV file {str(shown)!r}: permission denied (on the file or a folder above it)"
        if exc.errno == errno.ELOOP:
            return None, f"cannot read the CSV file {str(shown)!r}: too many symbolic links (a loop of links?)"
        return None, f"cannot read the CSV file {str(shown)!r}: {exc.strerror or 'error ' + str(exc.errno)}"
    try:
        st = os.fstat(fd)
    except OSError as exc:  # pragma: no cover - fstat of an open descriptor
        os.close(fd)
        return None, f"cannot read the CSV file: {exc.strerror}"
    if stat.S_ISDIR(st.st_mode):
        os.close(fd)
        return None, f"expected a CSV file with columns destination_0..4; {str(shown)!r} is a folder"
    if not stat.S_ISREG(st.st_mode):
        os.close(fd)
        return None, f"expected a CSV file with columns destination_0..4; {str(shown)!r} is not a regular file (a device, pipe or socket)"
    if st.st_size > MAX_CSV_BYTES:
        os.close(fd)
        return None, f"the CSV file has {st.st_size:,} bytes; at most {MAX_CSV_BYTES:,}"
    return fd, None


def _stream(fd: int) -> io.BufferedReader:
    """The file from its start, through the line bound (the descriptor stays open)."""
    os.lseek(fd, 0, os.SEEK_SET)
    raw = io.FileIO(fd, "rb", closefd=False)
    return io.BufferedReader(_BoundedLines(raw, MAX_LINE_BYTES), buffer_size=256 * 1024)


def _header_names(columns) -> str:
    """The header's names, each cut short, at most 10 of them: the only content a message shows."""
    shown = []
    for c in list(columns)[:10]:
        text = str(c)
        text = text if len(text) <= 24 else text[:21] + "..."
        shown.append(repr(text) if not text.isprintable() or "," in text else text)
    more = len(columns) - len(shown)
    return ", ".join(shown) + (f" and {more:,} more" if more > 0 else "")


def _read_targets(file: str, base: Path, scn: Scenario, allow_outside: bool = False) -> list[Problem]:
    """Read CSV target lists, in chunks, into one destination bit mask (a byte) per target."""
    import numpy as np
    import pandas as pd

    problems: list[Problem] = []
    for i, od in enumerate(scn.outdials):
        if not isinstance(od.targets, str):
            continue
        where = f"outdials[{i}].targets"

        def bad(message: str, where: str = where, target: str = od.targets) -> None:
            problems.append(Problem(file, where, message, target, True))

        real, why = target_path(od.targets, base, allow_outside)
        if real is None:
            bad(why or "cannot use the path")
            continue
        shown = _joined(od.targets, base)[0] or real
        fd, why = _open_target(real, shown)
        if fd is None:
            bad(why or "cannot read the CSV file")
            continue
        try:
            try:
                header = pd.read_csv(_stream(fd), nrows=0, encoding="utf-8-sig")
            except pd.errors.EmptyDataError:
                bad("the CSV file is empty; expected a header line with columns destination_0..4, then a line per target")
                continue
            except _LineTooLong as exc:
                bad(_long_line(exc.line))
                continue
            except (UnicodeDecodeError, ValueError, OSError, pd.errors.ParserError) as exc:
                bad(f"cannot read the CSV file: {_csv_error(exc)}")
                continue
            if len(header.columns) > MAX_HEADER_COLUMNS:
                bad(f"the CSV file's header has {len(header.columns):,} columns; at most {MAX_HEADER_COLUMNS:,}")
                continue
            cols = [c for c in header.columns if str(c).strip() in DEST_COLUMNS]
            if not cols:
                bad(f"the CSV file has no destination columns; expected some of {', '.join(DEST_COLUMNS)} in its header; "
                    f"found {_header_names(header.columns) or 'none'}")
                continue
            masks: list[np.ndarray] = []
            rows = 0
            try:
                reader = pd.read_csv(_stream(fd), usecols=cols, dtype=str, keep_default_na=False,
                                     chunksize=CSV_CHUNK_ROWS, encoding="utf-8-sig")
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
            except _LineTooLong as exc:
                bad(_long_line(exc.line))
                continue
            except (UnicodeDecodeError, ValueError, OSError, pd.errors.ParserError) as exc:
                bad(f"cannot read the CSV file: {_csv_error(exc)}")
                continue
        finally:
            os.close(fd)
        if rows > MAX_TARGETS:
            bad(f"the CSV file has more than {MAX_TARGETS:,} targets; at most {MAX_TARGETS:,}")
            continue
        scn.target_masks[od.name] = np.concatenate(masks).tobytes() if masks else b""
    return problems


def _long_line(line: int) -> str:
    what = "the header line (line 1)" if line == 1 else f"line {line:,}"
    return f"{what} of the CSV file is longer than {MAX_LINE_BYTES:,} bytes; refused"


def _missing_csv_problems(file: str, base: Path, data: dict, allow_outside: bool = False) -> list[Problem]:
    """When the models did not validate, still say which CSV target paths cannot be used (nothing is read)."""
    problems = []
    outdials = data.get("outdials")
    for i, od in enumerate(outdials if isinstance(outdials, list) else []):
        target = od.get("targets") if isinstance(od, dict) else None
        if isinstance(target, str) and target.strip():
            target = target.strip()
            real, why = target_path(target, base, allow_outside)
            if real is not None:
                fd, why = _open_target(real, _joined(target, base)[0] or real)
                if fd is not None:
                    os.close(fd)
            if why is not None:
                problems.append(Problem(file, f"outdials[{i}].targets", why, target, True))
    return problems


_FIELDS = re.compile(r"Expected (\d+) fields in line (\d+), saw (\d+)")
_EOF = re.compile(r"EOF inside string starting at row (\d+)")


def _csv_error(exc: Exception) -> str:
    """What is wrong with a CSV file, in numbers only: never a piece of its content."""
    if isinstance(exc, UnicodeDecodeError):
        return f"it is not UTF-8 text (byte {exc.start})"
    text = str(exc)
    m = _FIELDS.search(text)
    if m:
        return f"line {int(m.group(2)):,} has {int(m.group(3)):,} fields; the header has {int(m.group(1)):,}"
    m = _EOF.search(text)
    if m:
        return f"a quoted field that starts in row {int(m.group(1)):,} is never closed"
    if isinstance(exc, OSError):
        return exc.strerror or "read error"
    return "it is not a well-formed CSV table"


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
                parent = _parent(path)
                # a path the pattern cannot shorten (a union member's tag such as "list[Action]")
                # would loop for ever: drop its last character instead
                path = parent if parent != path else path[:-1]
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
    *,
    allow_outside_targets: bool = False,
) -> Scenario:
    """Validate raw scenario data (a dict as YAML gives it); raise ``ScenarioError`` listing every problem.

    CSV target lists are read relative to ``base_dir`` (default: the working folder) and only from
    inside it, unless ``allow_outside_targets``.
    """
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
        csv_problems = _read_targets(file, base, scn, allow_outside_targets)
        problems += csv_problems or _dial_problems(file, scn)
    else:
        problems += _missing_csv_problems(file, base, data, allow_outside_targets)
    if problems:
        raise ScenarioError(_place(problems, lines or {}, origins))
    assert scn is not None
    return scn


def load_scenario(path: str | os.PathLike, overrides: Iterable[str] = (), *,
                  allow_outside_targets: bool = False) -> Scenario:
    """Load and validate a scenario file; raise ``ScenarioError`` listing every problem.

    ``overrides``: ``--set`` strings (``["agents.0.count=30"]``) or a mapping, nested
    (``{"agents": {0: {"count": 30}}}``) or dotted (``{"agents.0.count": 30}``).

    A CSV target list (``outdials[i].targets``) must be in the scenario file's folder or below it
    (its path resolved, symbolic links followed), unless ``allow_outside_targets``.
    """
    file = str(path)
    if isinstance(overrides, Mapping):
        from sim.scenario.edit import as_set_strings  # Python's nested or dotted mappings

        overrides = as_set_strings(overrides)
    data, problems, lines = read_yaml(file)
    if data is None:
        raise ScenarioError(problems)
    return parse_scenario(data, file, str(Path(file).resolve().parent), overrides, problems, lines,
                          allow_outside_targets=allow_outside_targets)
