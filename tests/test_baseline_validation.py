"""A baseline file is validated like a scenario (issue 10, item 11): every number finite and in
range, the statistics consistent with the replications they summarise, size, depth and digits
bounded. Each case: ``check`` exits 2 with "corrupt baseline" and the field, before any run.

The baselines here are made from synthetic replication values (no simulation), so the file is
exactly what ``pacing-sim baseline`` writes for them.
"""

from __future__ import annotations

import copy
import json
import math
from pathlib import Path

import numpy as np
import pytest

import sim
from sim.baseline import BaselineError, make_baseline, read_baseline, write_baseline
from sim.baseline_schema import MAX_BASELINE_BYTES, MAX_DEPTH
from sim.cli import main
from sim.metrics import METRICS

ROOT = Path(__file__).resolve().parents[1]
SCENARIO = str(ROOT / "scenarios" / "default.yaml")
REPS = 5


@pytest.fixture(scope="module")
def doc(tmp_path_factory) -> dict:
    """The document ``write_baseline`` writes (NaN written as null)."""
    scn = sim.load_scenario(SCENARIO, [f"replications={REPS}", "service_levels=[100, 200]"])
    rng = np.random.default_rng(3)
    values = {sl: {m: list(rng.uniform(0.1, 0.9, REPS)) for m in METRICS} for sl in (100, 200)}
    values[200]["mean_queue_wait"] = [math.nan] * REPS  # a metric undefined in every replication
    values[200]["abandon_rate"][2] = math.nan  # and one undefined in one replication
    path = write_baseline(make_baseline(scn, values), tmp_path_factory.mktemp("doc") / "b.json")
    return json.loads(path.read_text())


def _file(tmp_path: Path, doc, name: str = "b.json") -> Path:
    path = tmp_path / name
    if isinstance(doc, str):
        path.write_text(doc)
    else:
        write_baseline(doc, path)
    return path


def _refused(tmp_path: Path, doc) -> str:
    path = _file(tmp_path, doc)
    with pytest.raises(BaselineError) as info:
        read_baseline(path)
    msg = str(info.value)
    assert msg.startswith(f"{path}: corrupt baseline: ") and "\n" not in msg, msg
    return msg


def test_a_written_baseline_validates(tmp_path, doc):
    """What ``baseline`` writes (undefined metrics, a NaN replication included) reads back."""
    back = read_baseline(_file(tmp_path, doc))
    occ = back["results"][1]["metrics"]
    assert occ["mean_queue_wait"]["n"] == 0 and occ["mean_queue_wait"]["mean"] is None
    assert occ["abandon_rate"]["n"] == REPS - 1 and occ["abandon_rate"]["values"][2] is None


OCC = ("results", 0, "metrics", "occupancy")
FIELD = "results[0].metrics.occupancy"


@pytest.mark.parametrize("key, value, expected", [
    ("n", 0, f"{FIELD}: mean is "),                       # a false alarm on identical runs
    ("n", -3, f"{FIELD}.n: expected greater than or equal to 0"),
    ("n", True, f"{FIELD}.n: expected a valid integer"),
    ("n", 10**12, f"{FIELD}.n: expected less than or equal to 10000"),
    ("n", 4, f"{FIELD}: n is 4 but values has 5 defined item(s)"),
    ("var", "Infinity", f"{FIELD}.var: expected a finite number"),  # silently dropped the metric
    ("var", -1, f"{FIELD}: var is -1.0; a variance is 0 or more"),  # was "math domain error"
    ("var", None, f"{FIELD}: var is None with n 5"),
    ("var", 0.5, f"{FIELD}: sd 0.2546246597450633 is not the square root of var 0.5"),  # sd then var checked
    ("mean", "NaN", f"{FIELD}.mean: expected a finite number"),
    ("mean", 0.123, f"{FIELD}: mean 0.123 is not the mean of values"),
    ("mean", "high", f"{FIELD}.mean: expected a number"),
    ("values", "one", f"{FIELD}.values: 1 item(s); the baseline has 5 replications"),
    ("values", [1, "x", 2, 3, 4], f"{FIELD}.values: item 1: expected a number"),
    ("sd", 7.0, f"{FIELD}: sd 7.0 is not the square root of var"),
])
def test_inconsistent_statistics_are_refused_with_the_field(tmp_path, doc, key, value, expected):
    d = copy.deepcopy(doc)
    stats = d
    for part in OCC:
        stats = stats[part]
    if value == "one":  # a one-item values list with n and the statistics to match it
        v = stats["values"][0]
        stats.update(values=[v], n=1, mean=v, var=None, sd=None)
    else:
        stats[key] = value
    text = json.dumps(d).replace('"Infinity"', "Infinity").replace('"NaN"', "NaN")
    assert expected in _refused(tmp_path, text)


@pytest.mark.parametrize("key, value, expected", [
    ("seed", "42", "seed: expected a valid integer"),
    ("seed", -1, "seed: expected greater than or equal to 0"),
    ("replications", 0, "replications: expected greater than or equal to 1"),
    ("results", [], "results: List should have at least 1 item"),
    ("service_levels", [100, 300], "service_levels: [100, 300] are not the levels in results"),
])
def test_top_level_fields(tmp_path, doc, key, value, expected):
    d = copy.deepcopy(doc)
    d[key] = value
    assert expected in _refused(tmp_path, d)


def test_two_entries_for_one_level(tmp_path, doc):
    d = copy.deepcopy(doc)
    d["results"][1]["service_level"] = 100
    assert "results[1].service_level: service level 100 is also results[0]" in _refused(tmp_path, d)


@pytest.mark.parametrize("text, expected", [
    ('{"format": "pacing-sim-baseline", "seed": ' + "9" * 5000 + "}", "a number has too many digits"),
    ("[" * 100_000 + "]" * 100_000, f"nested more than {MAX_DEPTH} levels deep"),
    ('{"format": "pacing-sim-baseline", "x": ' + "[" * (MAX_DEPTH + 5) + "]" * (MAX_DEPTH + 5) + "}",
     f"nested more than {MAX_DEPTH} levels deep"),
    ('{"format": "pacing-sim-baseline", "seed": 1', "not a pacing-sim baseline: invalid JSON at line 1"),
    (b'{"format": "\xff"}', "not a pacing-sim baseline: not UTF-8 text"),
])
def test_unparseable_baselines(tmp_path, text, expected):
    path = tmp_path / "b.json"
    path.write_bytes(text if isinstance(text, bytes) else text.encode())
    if not expected.startswith("not a"):
        expected = "corrupt baseline: " + expected
    with pytest.raises(BaselineError, match=expected):
        read_baseline(path)


def test_a_baseline_over_the_size_bound_is_not_read(tmp_path, monkeypatch):
    import sim.baseline_schema as schema

    path = tmp_path / "b.json"
    path.write_text("[" + "1," * 600 + "1]")
    monkeypatch.setattr(schema, "MAX_BASELINE_BYTES", 1000)
    with pytest.raises(BaselineError, match="more than 1,000 bytes"):
        read_baseline(path)
    assert MAX_BASELINE_BYTES >= 4 * 1024 * 1024  # a baseline of 100 levels x 30 metrics x 100 replications fits


def test_check_exits_2_before_running_anything(tmp_path, doc, capsys):
    """The command line: one line naming the file and the field, exit 2, no traceback, no run."""
    d = copy.deepcopy(doc)
    d["results"][0]["metrics"]["occupancy"]["n"] = 0
    path = _file(tmp_path, d)
    rc = main(["check", SCENARIO, "--baseline", str(path), "--replications", str(REPS),
               "--service-levels", "100,200", "--horizon", "30m"])
    out, err = capsys.readouterr()
    lines = [ln for ln in err.splitlines() if ln.strip()]
    assert rc == 2 and len(lines) == 1 and out == "", (out, err)
    assert f"{path}: corrupt baseline: results[0].metrics.occupancy: mean is" in lines[0]
    assert "Traceback" not in err
