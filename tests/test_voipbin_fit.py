"""`pacing-sim fit`: call records -> population and agents, by maximum likelihood (sim.voipbin).

The round trip is the test: a run of ``tests/data/voipbin-roundtrip.yaml`` is written as VoIPbin
records (calls with their agent legs, campaigncalls, queuecalls: ``sim.voipbin.export``), read
back as any account would be, and fitted; every parameter the records show must lie within its
interval. The intervals are simultaneous: with k parameters each is taken at level
1 - 0.05/k (Bonferroni), so a correct fit passes all of them in at least 95 % of seeds; the
two seeds are fixed.
"""

from __future__ import annotations

import json
import math

import numpy as np
import pytest
import yaml

import sim
from sim.scenario.load import parse_scenario
from sim.voipbin import export
from sim.voipbin.dists import fit_duration
from sim.voipbin.fit import fit_records
from sim.voipbin.resources import RecordError, read_account

ROUNDTRIP = "tests/data/voipbin-roundtrip.yaml"


def truth_parameters(scn) -> dict[str, float]:
    """The scenario's values of every parameter the fit reports."""
    pop, team = scn.population, scn.agents[0]
    out = {}
    for i, mix in enumerate(pop.outcome):
        for k in ("human", "machine", "busy", "failed"):
            out[f"population.outcome[{i}].{k}"] = getattr(mix, k)

    def dist(prefix, d):
        if d.dist == "uniform":
            out[f"{prefix}.low"], out[f"{prefix}.high"] = d.low, d.high
        elif d.dist == "constant":
            out[f"{prefix}.value"] = d.value
        else:
            out[f"{prefix}.mean"], out[f"{prefix}.sd"] = d.mean, math.sqrt(d.var)

    dist("population.ring_time", pop.ring_time)
    dist("population.busy_time", pop.busy_time)
    dist("population.failed_time", pop.failed_time)
    dist("population.patience", pop.patience)
    dist("population.amd.detect_time", pop.amd.detect_time)
    dist("agents.talk_time", team.talk_time)
    dist("agents.answer_delay", team.answer_delay)
    out["agents.miss_probability"] = team.miss_probability
    return out


def roundtrip(seed: int, tmp_path):
    scn = sim.load_scenario(ROUNDTRIP, [f"seed={seed}"])
    result = sim.run(scn, keep_calls=True)
    folders = export.write_records(result, tmp_path)
    assert len(folders) == 1
    return scn, fit_records(read_account(folders)), folders[0]


@pytest.mark.slow
@pytest.mark.parametrize("seed", [1, 2])
def test_round_trip_recovers_the_scenario(seed, tmp_path):
    """Every parameter within its simultaneous 95 % interval (Bonferroni over k parameters);
    constants exactly (to the millisecond); exponential patience compared on its mean and sd
    whatever family the likelihood chose."""
    scn, fit, _ = roundtrip(seed, tmp_path)
    truth = truth_parameters(scn)
    names = set(fit.parameters())
    # a gamma or lognormal fitted to exponential waits reports mean and sd; exponential only mean
    if "population.patience.sd" not in names:
        truth.pop("population.patience.sd")
    assert set(truth) == names, set(truth) ^ names
    k = len(truth)
    level = 1 - 0.05 / k
    outside = []
    for name, true in truth.items():
        lo, hi = fit.interval(name, level)
        if not lo - 1e-9 <= true <= hi + 1e-9:
            outside.append(f"{name}: true {true:g}, fitted {fit.value(name):.4g} [{lo:.4g}, {hi:.4g}]")
    assert not outside, "\n".join(outside)
    assert fit.estimates["population.ring_time"].family == "lognormal"
    assert fit.estimates["agents.talk_time"].family == "lognormal"
    assert fit.estimates["agents.answer_delay"].family == "uniform"
    # FITTED.yaml's blocks drop into the scenario and validate
    fitted = yaml.safe_load(fit.yaml_text())
    with open(ROUNDTRIP, encoding="utf-8") as fh:
        data = yaml.safe_load(fh)
    data["population"] = fitted["population"]
    data["agents"] = fitted["agents"]
    again = parse_scenario(data, "fitted.yaml")
    assert again.agents[0].count == 25 and again.population.amd.false_positive == 0.0


def test_patience_with_served_callers_censored():
    """Served callers are right-censored at the agent's answer: the fit finds the true mean (30 s)
    where the plain mean of the abandoned waits (about 30*20/50 = 12 s) is far too low."""
    g = np.random.default_rng(7)
    patience = g.exponential(30.0, 3000)
    served_at = g.exponential(20.0, 3000)
    gave_up = patience < served_at
    est = fit_duration(patience[gave_up], served_at[~gave_up], families=("exponential", "lognormal", "gamma"))
    lo, hi = est.interval("mean", 0.99)
    assert lo <= 30.0 <= hi
    assert patience[gave_up].mean() < lo - 5


def test_ring_time_truncated_at_the_timeout():
    """Only answers before the 60 s timeout are seen; the truncated likelihood finds the whole
    distribution (mean 40, sd 30: about 20 % of it lies beyond 60 s)."""
    g = np.random.default_rng(3)
    s2 = math.log1p((30 / 40) ** 2)
    x = g.lognormal(math.log(40) - s2 / 2, math.sqrt(s2), 6000)
    seen = x[x < 60]
    est = fit_duration(seen, trunc=60.0, families=("lognormal",))
    for name, true in (("mean", 40.0), ("sd", 30.0)):
        lo, hi = est.interval(name, 0.99)
        assert lo <= true <= hi, (name, est.params)
    assert seen.mean() < 30


def test_fit_refuses_bad_records(tmp_path):
    call = {"id": "a6b0c1d2-0000-4000-8000-000000000001", "status": "hangup", "hangup_reason": "hungup",
            "tm_create": "2026-03-02T09:00:00Z", "tm_hangup": "2026-03-02T09:00:30Z"}
    (tmp_path / "calls.json").write_text(json.dumps({"result": [call], "next_page_token": ""}))
    with pytest.raises(RecordError, match=r"calls.json: result\[0\].hangup_reason: unknown value"):
        read_account([tmp_path])
    call["hangup_reason"] = "noanswer"
    (tmp_path / "calls.json").write_text(json.dumps({"result": [call], "next_page_token": ""}))
    with pytest.raises(RecordError, match="no campaigncalls in the records"):
        fit_records(read_account([tmp_path]))


@pytest.mark.slow
def test_records_without_agent_legs(tmp_path):
    """Records written without the agents' calls: patience is censored at the queuecall's service
    moment instead (still independent of patience, so still unbiased: the truth's 35 s lies in the
    99 % interval); talk time, the answer delay and misses cannot be read (the service time mixes
    conversations with callers who hung up while the agent rang) and are not fitted."""
    scn, _, folder = roundtrip(1, tmp_path)
    doc = json.loads((folder / "calls.json").read_text())
    doc["result"] = [c for c in doc["result"] if not c.get("master_call_id")]
    (folder / "calls.json").write_text(json.dumps(doc))
    fit = fit_records(read_account([folder]))
    lo, hi = fit.interval("population.patience.mean", 0.99)
    assert lo <= scn.population.patience.mean <= hi
    assert "agents.talk_time" not in fit.estimates and "talk_time" not in fit.agent
    assert "agents.answer_delay" not in fit.estimates and "agents.miss_probability" not in fit.proportions
    assert any("have no agent leg" in m for m in fit.messages)
