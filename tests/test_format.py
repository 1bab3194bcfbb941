"""sim.format: the one home of intervals, durations, slugs and JSON-safe values, in every form the
tables, the report, tune and check print."""

from __future__ import annotations

import json
import math

import numpy as np

from sim.format import duration, interval, jsonable, slug, summary_interval

S = {"mean": 0.1234, "sd": 0.01, "ci_low": 0.12, "ci_high": 0.1268, "n": 3}


def test_interval_forms():
    assert summary_interval(S, spec=".2f", scale=100.0) == "12.34 ±0.34"  # the run table
    assert interval(0.1234, 0.12, 0.1268, spec=".2f", scale=100.0, sep=" ± ") == "12.34 ± 0.34"  # the report
    assert summary_interval(S, spec=".2f", scale=100.0, brackets=True) == "12.34 [12.00, 12.68]"  # tune's table
    assert summary_interval(S, spec=".4g", signed=True, brackets=True) == "+0.1234 [0.12, 0.1268]"  # tune's notes


def test_interval_when_undefined_or_from_one_replication():
    assert summary_interval({**S, "n": 0}) == "-"
    assert summary_interval({**S, "mean": math.nan}, missing="undefined") == "undefined"
    assert summary_interval({}, missing="undefined") == "undefined"
    assert summary_interval({**S, "n": 1}, spec=".3f") == "0.123"
    assert interval(None, missing="–") == "–"
    assert interval(2.5, math.nan, 3.0) == "2.5"


def test_duration_and_slug():
    assert [duration(x) for x in (7200, 900, 5400, 45, 1.5, None)] == ["2 h", "15 min", "90 min", "45 s", "1.5 s", "–"]
    assert slug("Cold list / <b> 20 agents!") == "Cold-list-b-20-agents"
    assert slug("...") == "scenario" and slug("", fallback="outdial") == "outdial"
    assert len(slug("x" * 200)) == 80 and len(slug("x" * 200, limit=None)) == 200


def test_jsonable():
    doc = jsonable({"a": np.float64(1.5), "b": [math.nan, np.int64(3)], "c": (math.inf,)})
    assert json.dumps(doc, allow_nan=False) == '{"a": 1.5, "b": [null, 3], "c": [null]}'


def test_a_rate_s_interval_is_shown_cut_to_0_and_1_and_only_when_asked():
    """A rate of 0.5 % with a t-interval of [-1.3 %, 2.3 %] (two replications): shown with the
    rate's bounds as 0.50 [0.00, 2.30], by its ends since ± can no longer say it; without bounds
    (a count, a difference) the raw ± form. An interval inside [0, 1] keeps its ± form."""
    from sim.format import RATE_BOUNDS, clip

    assert clip(-0.013, 0.023, RATE_BOUNDS) == (0.0, 0.023)
    assert clip(0.97, 1.04, RATE_BOUNDS) == (0.97, 1.0)
    assert clip(-0.013, 1.2, None) == (-0.013, 1.2)
    assert clip(math.nan, 0.5, RATE_BOUNDS) == (None, 0.5)
    kw = dict(spec=".2f", scale=100.0)
    assert interval(0.005, -0.013, 0.023, **kw) == "0.50 ±1.80"
    assert interval(0.005, -0.013, 0.023, **kw, bounds=RATE_BOUNDS) == "0.50 [0.00, 2.30]"
    assert interval(0.99, 0.97, 1.01, **kw, bounds=RATE_BOUNDS) == "99.00 [97.00, 100.00]"
    assert interval(0.005, -0.013, 0.023, **kw, brackets=True, bounds=RATE_BOUNDS) == "0.50 [0.00, 2.30]"
    assert interval(0.1234, 0.12, 0.1268, **kw, bounds=RATE_BOUNDS) == "12.34 ±0.34"
    assert interval(0.005, -0.013, 0.023, n=1, **kw, bounds=RATE_BOUNDS) == "0.50"
