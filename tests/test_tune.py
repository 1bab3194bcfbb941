"""The service-level search: synthetic response curves (exact oracles, no simulation) and a small
real scenario checked against a brute-force sweep."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest

import sim
from sim.cli import main
from sim.tune import FEASIBLE, INFEASIBLE, TuneError, ladder, tune

# ----------------------------------------------------------------------------- synthetic curves


def curve(abandon, throughput, noise=(0.002, 2.0), occupancy=None):
    """An evaluator with common random numbers: replication r draws the same noise at every level."""

    def evaluate(sl, reps):
        rows = []
        for r in reps:
            z = np.random.default_rng(r).standard_normal(3)
            rows.append({
                "abandon_rate": abandon(sl) + noise[0] * z[0],
                "abandon_rate_regulatory": abandon(sl) + noise[0] * z[0],  # the default constraint
                "throughput_per_hour": throughput(sl) + noise[1] * z[1],
                "occupancy": occupancy(sl) + 0.01 * z[2] if occupancy else 0.5,
            })
        return rows

    return evaluate


def rising(sl):  # the coded rule: more over-dial, more abandons, more conversations
    return 0.0001 * sl


def more(sl):
    return 100 * math.log1p(sl / 100)


def test_ladder_doubles_from_25_inside_the_range():
    assert ladder(0, 300)[:6] == [0, 25, 50, 100, 200, 300]
    assert ladder(60, 150) == [60, 100, 150]
    assert ladder(0, None)[-1] == 51200
    assert ladder(0, None, start=[50, 150]) == [50, 150, 300, 600, 1200, 2400, 4800, 9600, 19200, 38400, 76800]


def test_widens_past_the_scenario_list_and_bisects_to_the_integer_where_the_constraint_binds():
    res = tune(evaluate=curve(rising, more), max_abandon=0.03, replications=10)
    # abandon 0.0001*SL with sd 0.002 over 10 replications: the bound 0.03 is met up to about SL 285
    assert 270 <= res.service_level <= 300, res.service_level
    assert res.metrics["abandon_rate"]["ci_high"] <= 0.03
    above = [e for e in res.rejected if e["service_level"] > res.service_level]
    assert above and above[0]["service_level"] == res.service_level + 1, "the refinement must end at adjacent integers"
    assert above[0]["status"] != FEASIBLE and "abandon_rate" in above[0]["reason"]
    assert res.runs < 0.2 * 301 * 10, f"{res.runs} runs: not much cheaper than a sweep of every level"


def test_documented_rule_reverses_the_direction_and_the_search_follows():
    res = tune(evaluate=curve(lambda sl: 0.06 - 0.0002 * sl, lambda sl: 500 - sl), max_abandon=0.03, replications=10)
    # feasible from about SL 155 up; throughput falls with the level: the lowest feasible level wins
    assert 150 <= res.service_level <= 165, res.service_level
    below = [e for e in res.rejected if e["service_level"] < res.service_level]
    assert below[0]["status"] != FEASIBLE


def test_no_level_satisfies_a_constraint_that_never_comes_down():
    res = tune(evaluate=curve(lambda sl: 0.12, more), max_abandon=0.03, replications=5)
    assert res.service_level is None and not res.found
    assert res.runs <= 15, "a flat, violated constraint must stop the widening at once"
    assert any("no level" in n for n in res.notes)


def test_nan_constraint_is_never_certified_and_flat_objective_stops_widening():
    def evaluate(sl, reps):
        out = []
        for r in reps:
            z = np.random.default_rng(r).standard_normal(2)
            out.append({"abandon_rate": math.nan if sl == 0 else 0.001 + 0.0005 * abs(z[0]),
                        "throughput_per_hour": min(sl, 200) + 3 * z[1], "occupancy": 0.5})
        return out

    res = tune(evaluate=evaluate, max_abandon=0.03, replications=6, metric="abandon_rate")
    assert res.service_level is not None and res.service_level >= 200 - 10
    statuses = {e["service_level"]: e["status"] for e in res.evaluated}
    assert statuses[0] == "undefined"
    assert max(statuses) <= 1600, "a flat objective must stop the widening"


def test_range_bounds_the_search():
    res = tune(evaluate=curve(rising, more), max_abandon=0.03, replications=5, range=(50, 120))
    assert res.service_level == 120
    assert min(e["service_level"] for e in res.evaluated) >= 50
    assert max(e["service_level"] for e in res.evaluated) <= 120


def test_budget_caps_the_runs_and_is_reported():
    res = tune(evaluate=curve(rising, more), max_abandon=0.03, replications=5, budget=40)
    assert res.runs <= 40 and res.budget_exhausted and not res.clear


def test_min_occupancy_is_a_second_constraint():
    ev = curve(rising, more, occupancy=lambda sl: sl / 1000)
    assert tune(evaluate=ev, max_abandon=0.03, min_occupancy=0.5, replications=5).service_level is None
    res = tune(evaluate=ev, max_abandon=0.03, min_occupancy=0.2, replications=5)
    assert res.service_level is not None and res.metrics["occupancy"]["ci_low"] >= 0.2


def test_unclear_levels_get_more_replications():
    res = tune(evaluate=curve(rising, more, noise=(0.01, 2.0)), max_abandon=0.03, replications=4)
    assert max(e["n"] for e in res.evaluated) > 4


def test_bad_arguments():
    with pytest.raises(TuneError):
        tune(evaluate=curve(rising, more), metric="occupancy")
    with pytest.raises(TuneError):
        tune(evaluate=curve(rising, more), replications=1)
    with pytest.raises(TuneError):
        tune(evaluate=curve(rising, more), range=(300, 100))


# ----------------------------------------------------------------------------- the simulator

PATIENT = ["population.patience={dist: lognormal, mean: 60s, sd: 30s}", "agents.0.miss_probability=0.0",
           "horizon=30m", "outdials.0.targets=3000"]


OLD_DEFAULT = "tests/data/golden_scenario.yaml"
"""The bundled default of earlier versions (a 4 s greeting, agents answering in 1-4 s): these tests
tune its plain abandon rate with patient callers."""


@pytest.fixture(scope="module")
def patient():
    return sim.load_scenario(OLD_DEFAULT, PATIENT)


@pytest.mark.slow
def test_tune_matches_a_brute_force_sweep_with_fewer_runs(patient):
    res = tune(patient, max_abandon=0.03, replications=4, metric="abandon_rate")
    assert res.found, res.notes
    grid = list(range(0, 1201, 25))
    brute = sim.run(patient, service_levels=grid, replications=6)
    summ = brute.metric_summary()
    feasible = [sl for sl in grid if summ[sl]["abandon_rate"]["n"] >= 2
                and summ[sl]["abandon_rate"]["ci_high"] <= 0.03]
    best = max(feasible, key=lambda sl: summ[sl]["throughput_per_hour"]["mean"])
    ours = summ.get(res.service_level) or sim.run(patient, service_levels=[res.service_level],
                                                 replications=6).metric_summary()[res.service_level]
    b, o = summ[best]["throughput_per_hour"], ours["throughput_per_hour"]
    assert o["ci_high"] >= b["ci_low"], f"tune chose {res.service_level} ({o}), the sweep {best} ({b})"
    assert res.runs < len(grid) * 6


@pytest.mark.slow
def test_cli_json_shape_and_exit_codes(capsys):
    args = ["tune", OLD_DEFAULT, "--metric", "abandon_rate", "--replications", "3", "--format", "json", "--budget", "200"]
    code = main(args + [f"--set={o}" for o in PATIENT])
    doc = json.loads(capsys.readouterr().out)
    assert code == 0
    assert set(doc) >= {"service_level", "metrics", "runs", "rejected"}
    assert set(doc["metrics"]["abandon_rate"]) == {"mean", "sd", "ci_low", "ci_high", "n"}
    assert doc["metrics"]["abandon_rate"]["ci_high"] <= 0.03
    assert all("reason" in r for r in doc["rejected"])
    # on the regulators' clock (the default metric) the old default's 4 s greeting abandons everyone: never 3 %
    code = main(["tune", OLD_DEFAULT, "--replications", "3", "--horizon", "30m", "--format", "json"])
    out = capsys.readouterr()
    assert code == 1 and json.loads(out.out)["service_level"] is None
    assert "no service level" in out.err


@pytest.mark.parametrize("bad", [["--range", "300:100"], ["--max-abandon", "3"], ["--replications", "1"],
                                 ["--objective", "dials"]])
def test_cli_bad_options_exit_2(bad, capsys):
    with pytest.raises(SystemExit) as exc:
        code = main(["tune", "scenarios/default.yaml", "--horizon", "10m", *bad])
        raise SystemExit(code)
    assert exc.value.code == 2
    assert "Traceback" not in capsys.readouterr().err


def test_each_evaluated_level_s_status_follows_its_interval():
    """feasible: the constraint's upper 95 % bound within the cap; infeasible: its lower bound above
    it; unclear: the cap inside the interval; undefined: fewer than 2 replications define it."""
    res = tune(evaluate=curve(rising, more, noise=(0.01, 2.0)), max_abandon=0.03, replications=4)
    seen = set()
    for e in res.evaluated:
        c, st = e["constraint"], e["status"]
        seen.add(st)
        if st == FEASIBLE:
            assert c["ci_high"] <= 0.03, e
        elif st == INFEASIBLE:
            assert c["ci_low"] > 0.03, e
        elif st == "unclear":
            assert c["ci_low"] <= 0.03 < c["ci_high"], e
        else:
            assert st == "undefined" and c["n"] < 2, e
    assert {FEASIBLE, INFEASIBLE} <= seen


def test_the_cap_defaults_to_the_scenario_s():
    """Without max_abandon, tune takes the scenario's regulatory.max_abandon (5 % here), not 3 %."""
    from conftest import scenario

    scn = scenario(regulatory={"max_abandon": 0.05})
    res = tune(scn, evaluate=curve(rising, more), metric="abandon_rate", replications=10)
    assert res.constraint["max"] == 0.05
    # abandon 0.0001*SL: a 5 % cap is met up to about SL 480, far above the 3 % cap's 285
    assert res.service_level > 400, res.service_level
    assert tune(scn, evaluate=curve(rising, more), metric="abandon_rate", replications=10,
                max_abandon=0.03).service_level < 300


def test_tune_s_text_shows_rates_within_0_and_100_and_differences_raw():
    """A rate of 1 % with a t-interval of [-1 %, 3 %]: tune's table shows 1.00 [0.00, 3.00], its
    notes 0.01 [0, 0.03]; throughput and a paired difference (which may be negative) are not cut."""
    from sim.cli.tune import _ci
    from sim.tune import _fmt

    s = {"mean": 0.01, "ci_low": -0.01, "ci_high": 0.03, "n": 2}
    assert _ci(s, "abandon_rate_regulatory") == "1.00 [0.00, 3.00]"
    assert _ci({"mean": 0.995, "ci_low": 0.985, "ci_high": 1.005, "n": 2}, "occupancy") == "99.50 [98.50, 100.00]"
    assert _ci({"mean": 5.0, "ci_low": -1.0, "ci_high": 11.0, "n": 2}, "throughput_per_hour") == "5.0 [-1.0, 11.0]"
    assert _fmt(s, "abandon_rate") == "0.01 [0, 0.03]"
    assert _fmt(s, signed=True) == "+0.01 [-0.01, 0.03]", "a difference is not a rate"


def test_tune_s_reasons_never_show_a_negative_rate():
    """A noisy curve (sd 1 % at 0.01 % per level) over 2 replications: some levels' raw intervals
    reach below 0; the reasons and the text print no rate's below 0 (throughput's may be)."""
    import re

    from sim.cli.tune import tune_text

    res = tune(evaluate=curve(rising, more, noise=(0.01, 2.0)), max_abandon=0.03, replications=2)
    assert any(e["constraint"]["ci_low"] < 0 for e in res.evaluated), "the test needs a raw interval below 0"
    for e in res.evaluated:
        assert not re.search(r"(abandon_rate\w*|occupancy) \S+ \[-", e.get("reason", "")), e["reason"]
    text = tune_text(res)
    table = text.split("levels evaluated")[1].split("note:")[0]
    constraint = [line.split("[", 1)[1] for line in table.splitlines() if "[" in line]  # its column comes first
    assert constraint and not any(c.startswith("-") for c in constraint), table
