"""Durations: numbers of seconds, or strings with a unit (``500ms``, ``45s``, ``10m``, ``8h``)."""

from __future__ import annotations

import math
import re

_UNITS = {"ms": 0.001, "s": 1.0, "m": 60.0, "min": 60.0, "h": 3600.0, "d": 86400.0}
_PART = re.compile(r"(\d+(?:\.\d*)?|\.\d+)\s*(ms|min|s|m|h|d)")
_WHOLE = re.compile(r"^\s*(?:(?:\d+(?:\.\d*)?|\.\d+)\s*(?:ms|min|s|m|h|d)\s*)+$")

DURATION_HELP = "a duration: a number of seconds or a string with a unit such as '500ms', '45s', '10m', '8h', '1h30m'"


def parse_duration(value: object) -> float:
    """Return ``value`` in seconds; raise ``ValueError`` with a readable message otherwise.

    >>> parse_duration("1h30m"), parse_duration("600000ms"), parse_duration(45)
    (5400.0, 600.0, 45.0)
    """
    if isinstance(value, bool):
        raise ValueError(f"expected {DURATION_HELP}; true/false is not a duration")  # noqa: TRY004 (pydantic wants ValueError)
    if isinstance(value, (int, float)):
        try:
            seconds = float(value)
        except OverflowError:
            seconds = math.inf
    elif isinstance(value, str):
        text = value.strip()
        try:
            seconds = float(text)
        except ValueError:
            if text.startswith("-") and _WHOLE.match(text[1:]):
                raise ValueError(f"expected a duration of 0 or more; {value!r} is negative") from None
            if not _WHOLE.match(text):
                raise ValueError(f"expected {DURATION_HELP}") from None
            seconds = sum(float(n) * _UNITS[u] for n, u in _PART.findall(text))
    else:
        raise ValueError(f"expected {DURATION_HELP}")  # noqa: TRY004 (pydantic wants ValueError)
    if math.isnan(seconds) or math.isinf(seconds):
        raise ValueError("expected a finite duration")
    if seconds < 0:
        raise ValueError("expected a duration of 0 or more")
    return seconds


def format_duration(seconds: float) -> str:
    """Short human form of a duration, for tables and reports."""
    if seconds >= 3600 and seconds % 3600 == 0:
        return f"{int(seconds // 3600)}h"
    if seconds >= 60 and seconds % 60 == 0:
        return f"{int(seconds // 60)}m"
    if seconds == int(seconds):
        return f"{int(seconds)}s"
    return f"{seconds:g}s"
