"""The verdict on a sweep (sim/verdict.py): a pure function of the summary table and the scenario."""

from __future__ import annotations

import math
import re

import numpy as np
import pandas as pd
import pytest

from sim.abandons import CAUSES
from sim.verdict import verdict

from conftest import scenario

COLS = ["scenario", "service_level", "metric", "mean", "sd", "ci_low", "ci_high", "n"]


def summary(rows: dict[int, dict[str, tuple]], name: str = "test") -> pd.DataFrame:
    """``{level: {metric: (mean, ci_low, ci_high, n)}}`` -> a summary table."""
    out = []
    for sl, ms in rows.items():
        for m, (mean, lo, hi, n) in ms.items():
            out.append([name, sl, m, mean, math.nan, lo, hi, n])
    return pd.DataFrame(out, columns=COLS)


def causes(metric_prefix: str, **counts) -> dict[str, tuple]:
    return {f"{metric_prefix}_{c}": (float(counts.get(c, 0.0)), math.nan, math.nan, 5) for c in CAUSES}


def brute_force(summ: pd.DataFrame, metric: str, limit: float, min_occ=None, objective="throughput_per_hour"):
    """The recommended level read straight off the summary table, the slow and obvious way."""
    best = None
    for sl in sorted(summ["service_level"].unique()):
        rows = summ[summ["service_level"] == sl].set_index("metric")
        c = rows.loc[metric]
        ok = c["n"] >= 2 and not np.isnan(c["ci_high"]) and c["ci_high"] <= limit
        if min_occ is not None:
            o = rows.loc["occupancy"]
            ok = ok and o["n"] >= 2 and not np.isnan(o["ci_low"]) and o["ci_low"] >= min_occ
        if ok:
            val = rows.loc[objective, "mean"]
            if best is None or val > best[1]:
                best = (int(sl), val)
    return None if best is None else best[0]


SCN = scenario()  # regulatory defaults: 2 s threshold, 1 s greeting, answer clock, 3 % cap


def test_recommends_the_best_throughput_within_the_cap_and_says_why_not_higher():
    """Rising abandon and throughput: 150's bound 2.9 % is within 3 %, 200's 3.6 % is not."""
    rows = {}
    for sl, ab, thr in ((50, 0.005, 40.0), (100, 0.012, 60.0), (150, 0.022, 75.0), (200, 0.031, 80.0)):
        rows[sl] = {
            "abandon_rate_regulatory": (ab, ab - 0.006, ab + (0.007 if sl != 200 else 0.005), 10),
            "throughput_per_hour": (thr, thr - 1, thr + 1, 10),
            "occupancy": (thr / 100, thr / 100 - 0.01, thr / 100 + 0.01, 10),
            **causes("abandoned_regulatory", queue_no_agent=8, agent_ringing=2),
        }
    v = verdict(summary(rows), SCN)
    assert v["recommended_service_level"] == 150
    assert v["metric"] == "abandon_rate_regulatory" and v["limit"] == 0.03
    assert v["reason"].startswith("Run service level 150")
    assert "200" in v["reason"] and "queue_no_agent" in v["reason"] and "agents[0].count" in v["reason"]
    assert v["causes"] == pytest.approx({c: {"queue_no_agent": 0.8, "agent_ringing": 0.2}.get(c, 0.0) for c in CAUSES})
    assert [e["passes"] for e in v["levels"]] == [True, True, True, False]


def test_no_level_names_the_dominant_cause_and_the_field_behind_it():
    """Every level fails; the closest (lowest upper bound) is 50; its abandons are mostly actions."""
    scn = scenario(campaign={"actions": [{"type": "talk", "option": {"duration": "4.2s"}}]})
    rows = {sl: {"abandon_rate_regulatory": (1.0, 1.0, 1.0, 5), "throughput_per_hour": (10.0 * sl, 1, 1, 5),
                 "occupancy": (0.5, 0.4, 0.6, 5), **causes("abandoned_regulatory", actions_before_queue=9, amd_hangup=1)}
            for sl in (50, 100)}
    rows[100]["abandon_rate_regulatory"] = (1.0, 0.99, 1.01, 5)
    v = verdict(summary(rows), scn)
    assert v["recommended_service_level"] is None
    assert v["causes_service_level"] == 50
    assert v["causes"]["actions_before_queue"] == pytest.approx(0.9)
    assert "actions_before_queue" in v["reason"]
    assert "talk action of 4.2 s" in v["reason"] and "campaigns[0].actions[0]" in v["reason"]
    assert "regulatory.greeting 1 s + regulatory.threshold 2 s" in v["reason"]


def test_a_level_with_one_replication_or_no_live_answers_never_passes():
    rows = {
        50: {"abandon_rate_regulatory": (0.0, math.nan, math.nan, 1), "throughput_per_hour": (99.0, 1, 1, 1)},
        100: {"abandon_rate_regulatory": (math.nan, math.nan, math.nan, 0), "throughput_per_hour": (0.0, 0, 0, 5)},
    }
    v = verdict(summary(rows), SCN)
    assert v["recommended_service_level"] is None
    assert "at least 2 are needed" in v["reason"]


def test_constant_zero_abandon_passes_and_ties_go_to_the_lowest_level():
    """sd 0: the interval is the point 0, within the cap; equal throughput: the lower level."""
    rows = {sl: {"abandon_rate_regulatory": (0.0, 0.0, 0.0, 3), "throughput_per_hour": (30.0, 29, 31, 3)}
            for sl in (100, 200, 300)}
    assert verdict(summary(rows), SCN)["recommended_service_level"] == 100


def test_options_metric_limit_min_occupancy_and_objective():
    rows = {
        100: {"abandon_rate": (0.01, 0.0, 0.02, 5), "abandon_rate_regulatory": (0.2, 0.1, 0.3, 5),
              "throughput_per_hour": (50.0, 49, 51, 5), "occupancy": (0.6, 0.55, 0.65, 5)},
        200: {"abandon_rate": (0.03, 0.02, 0.04, 5), "abandon_rate_regulatory": (0.4, 0.3, 0.5, 5),
              "throughput_per_hour": (70.0, 69, 71, 5), "occupancy": (0.8, 0.75, 0.85, 5)},
    }
    summ = summary(rows)
    assert verdict(summ, SCN)["recommended_service_level"] is None
    assert verdict(summ, SCN, metric="abandon_rate")["recommended_service_level"] == 100
    assert verdict(summ, SCN, metric="abandon_rate", limit=0.05)["recommended_service_level"] == 200
    assert verdict(summ, SCN, metric="abandon_rate", limit=0.05, min_occupancy=0.7)["recommended_service_level"] == 200
    assert verdict(summ, SCN, metric="abandon_rate", min_occupancy=0.7)["recommended_service_level"] is None
    assert verdict(summ, SCN, metric="abandon_rate", limit=0.05, objective="occupancy")["recommended_service_level"] == 200
    # the scenario's cap is the default limit
    loose = scenario(regulatory={"max_abandon": "45%"})
    assert verdict(summ, loose)["limit"] == 0.45
    assert verdict(summ, loose)["recommended_service_level"] == 100  # 200's bound 0.5 > 0.45


@pytest.mark.parametrize("seed", range(20))
def test_verdict_matches_a_brute_force_reading_of_random_tables(seed):
    rng = np.random.default_rng(seed)
    rows = {}
    for sl in sorted(rng.choice(np.arange(0, 1000, 10), size=rng.integers(1, 8), replace=False)):
        n = int(rng.integers(0, 6))
        ab, half = rng.uniform(0, 0.08), rng.uniform(0, 0.02)
        occ = rng.uniform(0.2, 0.95)
        thr = float(rng.choice([rng.uniform(0, 100), 42.0]))  # ties happen
        rows[int(sl)] = {
            "abandon_rate_regulatory": (ab, ab - half, ab + half, n) if n >= 2 else ((ab if n else math.nan), math.nan, math.nan, n),
            "throughput_per_hour": (thr, thr - 1, thr + 1, max(n, 1)),
            "occupancy": (occ, occ - 0.05, occ + 0.05, max(n, 2)),
        }
    summ = summary(rows)
    for min_occ in (None, 0.5):
        v = verdict(summ, SCN, min_occupancy=min_occ)
        assert v["recommended_service_level"] == brute_force(summ, "abandon_rate_regulatory", 0.03, min_occ), v["reason"]
        assert v["reason"]


def test_the_reason_shows_a_rate_s_interval_cut_at_0_but_judges_the_raw_one():
    """Two replications, abandon 2.3 % with a t-interval of [-2.3 %, 6.9 %] at 200 and [-0.5 %, 1.5 %]
    at 100: the words say [0.0 %, 6.9 %] (a rate is never below 0), the decision and the JSON's
    figures are the raw interval's (100 passes on its upper bound 1.5 %, 200 straddles the cap)."""
    rows = {
        100: {"abandon_rate_regulatory": (0.005, -0.005, 0.015, 2), "throughput_per_hour": (50.0, 40.0, 60.0, 2),
              "occupancy": (0.01, -0.02, 0.04, 2), **causes("abandoned_regulatory", queue_no_agent=1)},
        200: {"abandon_rate_regulatory": (0.023, -0.023, 0.069, 2), "throughput_per_hour": (70.0, 60.0, 80.0, 2),
              "occupancy": (0.6, 0.5, 0.7, 2), **causes("abandoned_regulatory", queue_no_agent=3)},
    }
    v = verdict(summary(rows), SCN, name="test")
    assert v["recommended_service_level"] == 100
    assert [e["status"] for e in v["levels"]] == ["feasible", "unclear"]
    assert v["levels"][1]["abandon_rate_regulatory"]["ci_low"] == -0.023, "the JSON keeps the raw end"
    assert "[0.0 %, 6.9 %] straddles the 3 % cap" in v["reason"], v["reason"]
    assert "occupancy 1.0 % [0.0, 4.0]" in v["reason"], v["reason"]
    assert not re.search(r"-\d", v["reason"]), v["reason"]
