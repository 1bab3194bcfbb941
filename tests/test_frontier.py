"""The pacing frontier: the search per policy against a brute-force reading, the command and its folder."""

from __future__ import annotations

import json
import math
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from sim.policy_frontier import GRIDS, FrontierResult, frontier, knob_value, upper_bound
from sim.scenario import load_scenario

ROOT = Path(__file__).parents[1]


def fake_evaluate(policy, k, reps, switch=None):
    """A made-up engine: each policy's abandon rate and throughput rise with its knob along a
    curve of its own; replication r adds a fixed ±0.1 % wobble (paired across knobs, like common
    random numbers). The best knob within a 3 % cap is known in closed form."""
    x = knob_value(policy, k)
    x = 1.0 if x is None else float(x)
    scale = {"voipbin": 100.0, "documented": 100.0, "progressive": 1.0, "ratio": 1.0, "adaptive": 0.01,
             "predictive": 0.01}[policy]
    gain = {"voipbin": 1.0, "documented": 0.8, "progressive": 0.5, "ratio": 1.1, "adaptive": 1.05,
            "predictive": 1.2}[policy]
    # 1.0 at the policy's "natural" setting; the documented rule dials more as its level falls
    u = 100.0 / x if policy == "documented" else x / scale
    out = []
    for r in reps:
        wobble = 0.001 * (1 if r % 2 else -1)
        abandon = max(0.0, 0.02 * u + wobble)
        out.append({"abandon_rate_regulatory": abandon, "abandon_rate": abandon / 2,
                    "throughput_per_hour": 100 * gain * (1 - math.exp(-u)) + r * 0.01,
                    "occupancy": min(1.0, 0.5 * u), "dials_per_hour": 200 * u})
    return out


def brute_best(policy, grid, cap=0.03, reps=4):
    """The best knob of a dense grid whose abandon upper 95 % bound is within the cap."""
    from sim.stats import summarize

    best = None
    for k in grid:
        rows = fake_evaluate(policy, k, range(reps))
        s = summarize([r["abandon_rate_regulatory"] for r in rows])
        if s["ci_high"] <= cap:
            tp = np.mean([r["throughput_per_hour"] for r in rows])
            if best is None or tp > best[1]:
                best = (k, tp)
    return best


def test_frontier_finds_each_policys_best_as_a_brute_force_sweep_does():
    """Abandon 2 %·u ± 0.1 % with 4 replications: upper bound 0.02u + t(3)·0.00115/2 = 0.02u +
    0.00184 ≤ 0.03 ⇔ u ≤ 1.408; throughput rises with u, so the best is the largest feasible u:
    SL 140 (u = 1.40) for voipbin, ratio level 1.40, adaptive/predictive target 0.0140, and for the
    documented rule, whose grid runs SL = 10000 / k (it dials less as its level rises), SL 72 (SL 71
    gives u = 100/71 = 1.408, just over). The search
    agrees with a brute-force sweep of every integer grid value (no extra replications allowed,
    so both read the same 4)."""
    scn = load_scenario(str(ROOT / "scenarios" / "default.yaml"))
    res = frontier(scn, replications=4, max_replications=4, evaluate=fake_evaluate, max_abandon=0.03)
    for policy in ("voipbin", "documented", "ratio", "adaptive", "predictive"):
        lo, hi = {"voipbin": (100, 200), "documented": (100, 200), "ratio": (100, 200), "adaptive": (100, 200),
                  "predictive": (100, 200)}[policy]
        expect = brute_best(policy, range(lo, hi))
        assert res.policies[policy].best == expect[0], (policy, res.policies[policy].best, expect)
    assert knob_value("documented", res.policies["documented"].best) == 72
    assert res.policies["progressive"].best == 0  # u = 1: 2 % ± 0.18 % is within the cap
    table = res.table()
    assert set(table["policy"]) == set(GRIDS)
    assert table.groupby("policy")["chosen"].any().all()
    assert "predictive" in res.headline() and "+" in res.headline()  # the highest gain wins


def test_upper_bound_by_hand():
    """Default scenario: 20 agents; talk lognormal mean 180 s, wrap-up mean 15 s, answer delay
    uniform 1-4 s (mean 2.5): 20 · 3600 / 197.5 = 364.56 conversations an hour."""
    scn = load_scenario(str(ROOT / "scenarios" / "default.yaml"))
    g = scn.agents[0]
    per = g.talk_time.mean + g.wrap_up.mean + g.answer_delay.mean
    assert upper_bound(scn) == pytest.approx(g.count * 3600 / per)


def _cli(*args, cwd=ROOT):
    return subprocess.run([sys.executable, "-m", "sim", *args], cwd=cwd, capture_output=True, text=True, timeout=600,
                          check=False)


@pytest.mark.slow
def test_frontier_command_writes_its_folder(tmp_path):
    out = tmp_path / "fr"
    p = _cli("frontier", "scenarios/predictive-auto-answer.yaml", "--policies", "voipbin,progressive",
             "--horizon", "30m", "--replications", "2", "--metric", "abandon_rate", "--out", str(out),
             "--format", "json")
    assert p.returncode == 0, p.stderr
    doc = json.loads(p.stdout)
    assert set(doc["policies"]) == {"voipbin", "progressive"} and doc["constraint"]["metric"] == "abandon_rate"
    assert doc["headline"].startswith("At <= 3 % abandon rate")
    for name in ("frontier.csv", "frontier_best.csv", "frontier.json", "plots/frontier.png", "report.html",
                 "scenario.resolved.yaml", "provenance.json"):
        assert (out / name).is_file(), name
    table = pd.read_csv(out / "frontier.csv")
    assert list(table.columns) == ["policy", "knob_name", "knob", "metric", "mean", "sd", "ci_low", "ci_high", "n",
                                   "chosen"]
    html = (out / "report.html").read_text()
    assert "Best throughput within the cap" in html and "data:image/png;base64," in html
    again = _cli("frontier", "scenarios/predictive-auto-answer.yaml", "--policies", "progressive",
                 "--horizon", "30m", "--replications", "2", "--out", str(out))
    assert again.returncode == 2 and "already exists" in again.stderr and "Traceback" not in again.stderr


def test_frontier_command_refuses_an_unknown_policy():
    p = _cli("frontier", "--policies", "voipbin,turbo")
    assert p.returncode == 2 and "turbo" in p.stderr and "Traceback" not in p.stderr


def test_a_flipped_switch_reaches_the_engine():
    """With service_level_rule flipped to dialing_side, VoIPbin's rule is the documented one:
    at SL 200 with 2 available agents the coded rule dials while floor(2·200/100) = 4 > D and the
    documented while 2 > D·2, i.e. D = 0: the variant's campaign reads the documented rule."""
    from sim.engine.simulation import Simulation
    from sim.policy_frontier import policy_scenario

    scn = load_scenario(str(ROOT / "scenarios" / "default.yaml"))
    flipped = policy_scenario(scn, "voipbin", 200, ("service_level_rule", "dialing_side"))
    plain = policy_scenario(scn, "voipbin", 200)
    assert Simulation(flipped, 200, 0).campaigns[0].agent_side is False
    assert Simulation(plain, 200, 0).campaigns[0].agent_side is True


def test_the_frontier_names_its_constraint_by_the_registry_s_label_on_the_scenario_s_clock():
    """The default scenario with regulatory greeting 0 s and threshold 5 s: the headline, the text
    table, the report's headings and the plot's axis name the constraint "Regulatory abandon rate
    (5 s from answer)", never its raw metric name (which stays in the JSON and the CSVs)."""
    import yaml

    from sim.cli.frontier import frontier_text
    from sim.policy_frontier import report_html
    from sim.scenario import parse_scenario

    data = yaml.safe_load((ROOT / "scenarios" / "default.yaml").read_text())
    data["regulatory"].update(threshold="5s", greeting="0s")
    scn = parse_scenario(data, "five-seconds.yaml")
    res = frontier(scn, policies=["voipbin", "progressive"], replications=4, max_replications=4,
                   evaluate=fake_evaluate, max_abandon=0.03)
    label = "Regulatory abandon rate (5 s from answer)"
    assert res.headline().startswith("At <= 3 % regulatory abandon rate (5 s from answer), VoIPbin's rule gives")
    html = report_html(res, b"", scn)
    assert f"<th>{label} (upper 95 % bound)</th>" in html and "against the regulatory abandon rate (5 s" in html
    assert "abandon_rate_regulatory" not in html
    text = frontier_text(res)
    assert f"({label}: upper 95 % bound <= 3 %" in text and "reg. abandon %" in text.splitlines()[3]
    assert ("reg. abandon %: agent within 5 s of the answer (regulatory.greeting 0 s + regulatory.threshold 5 s)"
            in text.splitlines())
    assert "abandon_rate_regulatory" not in text
    fig = res.plot()
    assert fig.axes[0].get_xlabel() == "Regulatory abandon rate (5 s from answer; % of live answers)"
    assert res.to_dict()["constraint"]["metric"] == "abandon_rate_regulatory"
