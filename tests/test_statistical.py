"""Metamorphic and analytic checks on common random numbers, with fixed seeds.

Tolerances come from the confidence intervals of the runs themselves (paired differences
across replications, Student t), never from a number widened until green.
"""

from __future__ import annotations

import json
import math
import subprocess
import sys

import numpy as np
import pytest
from conftest import scenario

import sim
from sim.scenario import load_scenario
from sim.stats import paired_difference, summarize, t_quantile

pytestmark = pytest.mark.slow  # statistical: sweeps of many replications


def _reps(result, level, metric):
    df = result.replications
    return df[df.service_level == level].sort_values("replication")[metric].to_numpy()


@pytest.fixture(scope="module")
def coded_sweep():
    scn = load_scenario("tests/data/golden_scenario.yaml", ["horizon=2h"])
    return sim.run(scn, service_levels=[50, 100, 200, 400], replications=8)


@pytest.fixture(scope="module")
def documented_sweep():
    scn = load_scenario("tests/data/golden_scenario.yaml", ["horizon=2h", "engine.profile=documented"])
    return sim.run(scn, service_levels=[50, 100, 200, 400], replications=8)


def test_coded_rule_higher_level_raises_occupancy(coded_sweep):
    """Under the coded rule floor(A*SL/100) > D a higher level allows more live calls per
    available agent: occupancy rises with the level, each step beyond its paired noise."""
    for lo, hi in [(50, 100), (100, 200), (200, 400)]:
        d = paired_difference(_reps(coded_sweep, lo, "occupancy"), _reps(coded_sweep, hi, "occupancy"))
        assert d["ci_low"] > 0, f"occupancy at SL {hi} not above SL {lo}: paired difference {d}"


def test_coded_rule_higher_level_does_not_lower_abandons(coded_sweep):
    """More live calls per agent cannot make people wait less: the mean abandon rate at a higher
    level is not below the lower level's beyond noise (the paired interval's upper end >= 0)."""
    for lo, hi in [(50, 100), (100, 200), (200, 400), (50, 400)]:
        d = paired_difference(_reps(coded_sweep, lo, "abandon_rate"), _reps(coded_sweep, hi, "abandon_rate"))
        assert d["ci_high"] >= 0, f"abandon rate fell from SL {lo} to {hi}: {d}"


def test_documented_rule_reverses_the_direction(documented_sweep):
    """Documented rule A > D*SL/100: a higher level allows fewer calls: occupancy falls."""
    for lo, hi in [(50, 100), (100, 200), (200, 400)]:
        d = paired_difference(_reps(documented_sweep, lo, "occupancy"), _reps(documented_sweep, hi, "occupancy"))
        assert d["ci_high"] < 0, f"occupancy at SL {hi} not below SL {lo} under the documented rule: {d}"


def test_more_agents_do_not_raise_the_abandon_rate():
    """A busy queue (4 agents, SL 400, long talks): adding agents must not raise abandons; with
    CRN the paired difference (8 agents - 4 agents) must not be above 0 beyond noise."""
    base = load_scenario("tests/data/golden_scenario.yaml", ["horizon=2h", "agents.0.count=4", "agents.0.miss_probability=0"])
    more = load_scenario("tests/data/golden_scenario.yaml", ["horizon=2h", "agents.0.count=8", "agents.0.miss_probability=0"])
    a = sim.run(base, service_levels=[400], replications=8)
    b = sim.run(more, service_levels=[400], replications=8)
    d = paired_difference(_reps(a, 400, "abandon_rate"), _reps(b, 400, "abandon_rate"))
    assert d["ci_low"] <= 0, f"8 agents abandon more than 4: {d}"


def test_progressive_dialing_occupancy_matches_theory():
    """With the engine's timers shrunk near zero, agents answering at once and no wrap-up, the
    documented rule at SL 100 (dial while A > D, D = unanswered calls) keeps one attempt in
    flight per available agent: progressive dialing. Each agent cycle is a geometric number of
    attempts (mean 1/p) of E[attempt] seconds each, then a conversation of mean h, so
    occupancy = h / (h + E[attempt] / p). For h = 300 s, attempts of 25 s, p = 0.2:
    300 / (300 + 125) = 0.70588. The interval is the replications' 99.7 % t-interval (a fixed
    seed; the wider level keeps a correct model from failing by chance)."""
    tiny = {"first_step": "1ms", "after_dial": "1ms", "after_wait": "50ms", "queue_step": "1ms",
            "queue_idle_step": "1ms", "page_size": 1000}
    scn = scenario(
        {"engine": {"profile": "documented", "timers": tiny},
         "outplans": [{"name": "op", "max_try_count": [1], "dial_timeout": "25s"}],
         "outdials": [{"name": "od", "targets": 100000}],
         "population": {"outcome": [{"human": 0.2, "no_answer": 0.8}],
                        "ring_time": {"dist": "constant", "value": 24.999}},
         "agents": [{"name": "a", "count": 20, "talk_time": {"dist": "exponential", "mean": 300}}]},
        horizon="3h", warmup="30m", seed=11)
    result = sim.run(scn, service_levels=[100], replications=6)
    occ = _reps(result, 100, "occupancy")
    s = summarize(occ)
    half = t_quantile(s["n"], 0.997) * s["sd"] / math.sqrt(s["n"])
    theory = 300 / (300 + 25 / 0.2)
    assert abs(s["mean"] - theory) <= half, f"occupancy {s['mean']:.4f} ± {half:.4f}, theory {theory:.4f}"
    assert result.replications["abandon_rate"].max() == 0.0


def test_service_levels_share_random_numbers():
    """Common random numbers: the first dials of a sweep's levels meet the same called parties
    (the outcome stream is the same), so the first 10 outcomes agree across levels."""
    from sim.engine.simulation import Simulation
    from sim.metrics import call_arrays

    scn = load_scenario("tests/data/golden_scenario.yaml", ["horizon=10m"])
    first = [call_arrays(Simulation(scn, sl, 3).run().records())["outcome"][:10].tolist() for sl in (100, 300)]
    assert first[0] == first[1]


def test_same_seed_gives_byte_identical_json():
    cmd = [sys.executable, "-m", "sim", "run", "tests/data/golden_scenario.yaml", "--horizon", "30m", "--replications", "2",
           "--service-levels", "100,200", "--format", "json"]
    a = subprocess.run(cmd, capture_output=True, check=True).stdout
    b = subprocess.run(cmd, capture_output=True, check=True).stdout
    assert a == b
    doc = json.loads(a)
    assert [r["service_level"] for r in doc["results"]] == [100, 200]
    other = subprocess.run(cmd + ["--seed", "43"], capture_output=True, check=True).stdout
    assert other != a


def test_workers_do_not_change_results():
    scn = load_scenario("tests/data/golden_scenario.yaml", ["horizon=30m"])
    one = sim.run(scn, service_levels=[100, 200], replications=3)
    two = sim.run(scn, service_levels=[100, 200], replications=3, workers=2)
    cols = [c for c in one.replications.columns if c != "wall_s"]
    assert one.replications[cols].equals(two.replications[cols])
    assert np.array_equal(one.summary["mean"].to_numpy(), two.summary["mean"].to_numpy(), equal_nan=True)
