"""Across replications: mean, standard deviation and the 95 % Student-t interval; paired
differences; Welch's and the paired t-test (scipy's, with the degenerate cases scipy leaves
undefined decided here). The one place these statistics are computed."""

from __future__ import annotations

import math
from typing import Iterable

import numpy as np
from scipy import stats as _st

CONFIDENCE = 0.95


def t_quantile(n: int, confidence: float = CONFIDENCE) -> float:
    return float(_st.t.ppf(0.5 + confidence / 2, n - 1)) if n > 1 else math.nan


def describe(values: Iterable[float]) -> dict[str, float]:
    """``{"mean", "var", "sd", "n"}`` over the values that are not NaN (variance with n - 1)."""
    x = np.asarray(list(values), float)
    x = x[~np.isnan(x)]
    n = len(x)
    mean = float(x.mean()) if n else math.nan
    var = float(x.var(ddof=1)) if n > 1 else math.nan
    return {"mean": mean, "var": var, "sd": math.sqrt(var) if n > 1 else math.nan, "n": n}


def summarize(values: Iterable[float], confidence: float = CONFIDENCE) -> dict[str, float]:
    """``{"mean", "sd", "ci_low", "ci_high", "n"}`` over the values that are not NaN.

    A metric that is undefined in a replication (no human answered, the campaign did not stop)
    is NaN there and is left out; ``n`` says how many replications the figure rests on.
    """
    d = describe(values)
    mean, sd, n = d["mean"], d["sd"], d["n"]
    if n < 2:
        return {"mean": mean, "sd": math.nan, "ci_low": math.nan, "ci_high": math.nan, "n": n}
    half = t_quantile(n, confidence) * sd / math.sqrt(n)
    return {"mean": mean, "sd": sd, "ci_low": mean - half, "ci_high": mean + half, "n": n}


def _pairs(a: Iterable[float], b: Iterable[float]) -> tuple[np.ndarray, np.ndarray]:
    """The pairs (a_i, b_i) over the common length where both are defined."""
    x, y = np.asarray(list(a), float), np.asarray(list(b), float)
    n = min(len(x), len(y))
    x, y = x[:n], y[:n]
    keep = ~(np.isnan(x) | np.isnan(y))
    return x[keep], y[keep]


def paired_difference(a: Iterable[float], b: Iterable[float], confidence: float = CONFIDENCE) -> dict[str, float]:
    """Summary of ``b - a`` over replications where both are defined (common random numbers)."""
    x, y = _pairs(a, b)
    return summarize(y - x, confidence)


def paired(a: Iterable[float], b: Iterable[float]) -> tuple[float, float, int]:
    """Paired two-sided t-test of ``b - a`` over pairs where both are defined: (t, p, pairs).

    Zero spread in the differences is decided exactly (scipy gives NaN there): no change if
    they are all 0, a certain change otherwise."""
    x, y = _pairs(a, b)
    k = len(x)
    if k < 2:
        return math.nan, math.nan, k
    d = y - x
    if float(d.std(ddof=1)) == 0:
        mean = float(d.mean())
        return (0.0, 1.0, k) if mean == 0 else (math.copysign(math.inf, mean), 0.0, k)
    r = _st.ttest_rel(y, x)
    return float(r.statistic), float(r.pvalue), k


def welch(mean1: float, var1: float, n1: int, mean2: float, var2: float, n2: int) -> tuple[float, float]:
    """Welch's two-sided t-test of group 2 against group 1 from summary statistics: (t, p).
    Zero variances are decided exactly (scipy gives NaN there)."""
    if n1 < 2 or n2 < 2 or any(math.isnan(v) for v in (mean1, var1, mean2, var2)):
        return math.nan, math.nan
    if var1 / n1 + var2 / n2 == 0:
        return (0.0, 1.0) if mean1 == mean2 else (math.copysign(math.inf, mean2 - mean1), 0.0)
    r = _st.ttest_ind_from_stats(mean2, math.sqrt(var2), n2, mean1, math.sqrt(var1), n1, equal_var=False)
    return float(r.statistic), float(r.pvalue)
