"""Problems found in a scenario file, each saying where, what was found and what was expected."""

from __future__ import annotations

import reprlib
from dataclasses import dataclass
from typing import Optional

MAX_PROBLEMS = 100
"""At most this many problems are listed; the rest are counted in one last line."""


@dataclass(frozen=True)
class Problem:
    file: str
    path: str
    message: str
    value: object = None
    has_value: bool = False
    line: Optional[int] = None
    """The line of the file the path starts at, when known."""
    origin: str = ""
    """Where the value came from when not from the file, e.g. ``set on the command line: seed=3``."""

    def __str__(self) -> str:
        where = f"{self.file}: {cut(self.path)}" if self.path else self.file
        notes = []
        if self.has_value:
            notes.append(f"found: {short(self.value)}")
        if self.origin:
            notes.append(cut(self.origin))
        elif self.line is not None:
            notes.append(f"line {self.line}")
        tail = f" ({'; '.join(notes)})" if notes else ""
        return f"{where}: {cut(self.message, 300)}{tail}"


_repr = reprlib.Repr()
_repr.maxlevel = 3
_repr.maxdict = 6
_repr.maxlist = 8
_repr.maxstring = 60
_repr.maxother = 60


def short(value: object, limit: int = 100) -> str:
    """A bounded ``repr`` (a huge or deeply nested value is never expanded in full)."""
    text = _repr.repr(value)
    return text if len(text) <= limit else text[: limit - 3] + "..."


def cut(text: str, limit: int = 160) -> str:
    """``text`` cut short in the middle when longer than ``limit`` (a 6 kB ``--set`` argument or key is
    not repeated whole in a message)."""
    if len(text) <= limit:
        return text
    keep = (limit - 30) // 2
    return f"{text[:keep]}...[{len(text) - 2 * keep:,} characters]...{text[-keep:]}"


class ScenarioError(Exception):
    """One or more problems in a scenario; the command line prints each and exits 2."""

    def __init__(self, problems: list[Problem]):
        problems = list(problems)
        if len(problems) > MAX_PROBLEMS:
            rest = len(problems) - MAX_PROBLEMS
            first = problems[0].file if problems else ""
            problems = problems[:MAX_PROBLEMS] + [Problem(first, "", f"... and {rest:,} more problems not listed")]
        self.problems = problems
        super().__init__("\n".join(str(p) for p in self.problems))


def format_path(loc: tuple) -> str:
    """``('campaigns', 0, 'outplan')`` -> ``campaigns[0].outplan``."""
    out = ""
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += f".{part}" if out else str(part)
    return out
