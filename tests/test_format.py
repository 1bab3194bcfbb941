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
