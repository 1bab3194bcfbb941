"""Across replications: mean, standard deviation and the 95 % Student-t interval; paired differences."""

from __future__ import annotations

import math
from typing import Iterable

import numpy as np
from scipy import stats as _st

CONFIDENCE = 0.95


def t_quantile(n: int, confidence: float = CONFIDENCE) -> float:
    return float(_st.t.ppf(0.5 + confidence / 2, n - 1)) if n > 1 else math.nan


def summarize(values: Iterable[float], confidence: float = CONFIDENCE) -> dict[str, float]:
    """``{"mean", "sd", "ci_low", "ci_high", "n"}`` over the values that are not NaN.

    A metric that is undefined in a replication (no human answered, the campaign did not stop)
    is NaN there and is left out; ``n`` says how many replications the figure rests on.
    """
    x = np.asarray(list(values), float)
    x = x[~np.isnan(x)]
    n = len(x)
    if n == 0:
        return {"mean": math.nan, "sd": math.nan, "ci_low": math.nan, "ci_high": math.nan, "n": 0}
    mean = float(x.mean())
    if n == 1:
        return {"mean": mean, "sd": math.nan, "ci_low": math.nan, "ci_high": math.nan, "n": 1}
    sd = float(x.std(ddof=1))
    half = t_quantile(n, confidence) * sd / math.sqrt(n)
    return {"mean": mean, "sd": sd, "ci_low": mean - half, "ci_high": mean + half, "n": n}


def paired_difference(a: Iterable[float], b: Iterable[float], confidence: float = CONFIDENCE) -> dict[str, float]:
    """Summary of ``b - a`` over replications where both are defined (common random numbers)."""
    x, y = np.asarray(list(a), float), np.asarray(list(b), float)
    keep = ~(np.isnan(x) | np.isnan(y))
    return summarize(y[keep] - x[keep], confidence)
