"""Small formatters and converters shared by the tables, the report, the plots and the commands:
intervals, durations, file-name slugs, JSON-safe values. Nothing here imports the rest of ``sim``."""

from __future__ import annotations

import math
import re
from typing import Any, Optional


def number(x: Any) -> Optional[float]:
    """``x`` as a float, or None when it is missing, not a number, or NaN."""
    try:
        v = float(x)
    except (TypeError, ValueError):
        return None
    return None if math.isnan(v) else v


RATE_BOUNDS = (0.0, 1.0)
"""Where a rate (a share from 0 to 1) lives: the bounds its interval is shown within."""
CUT_NOTE = "mean [low, high]: a rate's 95 % interval cut at 0 % or 100 % (the JSON and CSV keep its raw ends)"
"""Said with a table of mean ± half-width when a cell shows an interval cut by ``bounds`` instead."""


def clip(low: Any, high: Any, bounds: Optional[tuple[float, float]] = None) -> tuple[Optional[float], Optional[float]]:
    """An interval's ends as shown: each a float (None when undefined), cut to ``bounds``
    (``(lo, hi)``, as ``sim.registry.Metric.bounds`` gives them; None: unchanged). A rate's
    Student-t interval can reach below 0 or above 1 (few replications, a rate near 0): the
    tables, texts and plots show it cut to [0, 1]; the JSON and CSV keep the raw ends. The one
    place that cuts them."""
    lo, hi = number(low), number(high)
    if bounds is not None:
        b0, b1 = bounds
        lo = None if lo is None else min(max(lo, b0), b1)
        hi = None if hi is None else min(max(hi, b0), b1)
    return lo, hi


def interval(mean: Any, low: Any = None, high: Any = None, *, n: Optional[int] = None, spec: str = ".1f",
             scale: float = 1.0, sep: str = " ±", brackets: bool = False, signed: bool = False,
             missing: str = "-", bounds: Optional[tuple[float, float]] = None) -> str:
    """A mean and its interval as text: ``12.3 ±0.4`` (``sep`` before the half-width), or with
    ``brackets`` ``12.3 [11.9, 12.7]``; values times ``scale`` (100 for a percentage), each
    formatted with ``spec``; ``signed`` puts a sign on the mean. ``missing`` when the mean is
    undefined or ``n`` is 0; the mean alone when ``n`` is below 2 or an end is undefined.

    ``bounds`` (unscaled, e.g. ``RATE_BOUNDS`` for a rate) cuts the ends with ``clip``; an
    interval cut that way is no longer mean ± half-width, so it is shown by its ends,
    ``0.4 [0.0, 1.3]``, even without ``brackets``."""
    m = number(mean)
    if m is None or n == 0:
        return missing
    text = format(m * scale, ("+" if signed else "") + spec)
    raw = number(low), number(high)
    lo, hi = clip(*raw, bounds)
    if (n is not None and n < 2) or lo is None or hi is None:
        return text
    if brackets or (lo, hi) != raw:
        return f"{text} [{format(lo * scale, spec)}, {format(hi * scale, spec)}]"
    return f"{text}{sep}{format((hi - lo) / 2 * scale, spec)}"


def summary_interval(s: Optional[dict], **kw: Any) -> str:
    """``interval`` of a summary mapping (``mean``, ``ci_low``, ``ci_high``, ``n``, as
    ``sim.stats.summarize`` gives it)."""
    if not s:
        return kw.get("missing", "-")
    return interval(s.get("mean"), s.get("ci_low"), s.get("ci_high"), n=s.get("n", 0), **kw)


def duration(seconds: Any, missing: str = "–") -> str:
    """A duration in words for people: ``2 h``, ``15 min``, ``45 s``, ``1.5 s``. (The form a scenario
    file writes, ``2h``, is ``sim.units.format_duration``, next to its parser.)"""
    s = number(seconds)
    if s is None:
        return missing
    if s >= 3600 and s % 3600 == 0:
        return f"{s / 3600:g} h"
    if s >= 60 and s % 60 == 0:
        return f"{s / 60:g} min"
    return f"{s:g} s"


def slug(name: str, fallback: str = "scenario", limit: Optional[int] = 80) -> str:
    """A file-name-safe form of a name (letters, digits, ``._-``), at most ``limit`` characters."""
    s = re.sub(r"[^A-Za-z0-9._-]+", "-", name).strip("-.")
    return (s[:limit] if limit is not None else s) or fallback


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
