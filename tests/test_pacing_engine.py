"""The pacing policies inside the engine: deterministic dial patterns derived by hand, and the
statistical checks against theory (progressive dialing, the ratio dialer's Markov chain, the
adaptive dialer holding its target)."""

from __future__ import annotations

import math

import numpy as np
import pytest

import sim
from sim.stats import summarize, t_quantile
from sim.scenario.load import parse_scenario
from tests.conftest import BASE, merge, run, scenario

TINY = {"first_step": "1ms", "after_dial": "1ms", "after_wait": "10ms", "queue_step": "1ms",
        "queue_idle_step": "1ms", "page_size": 1000}


def _pace(policy: str, **knob) -> dict:
    return {"engine": {"pacing": {"policy": policy, **knob}}}


def _ringing_people(n_agents: int, pacing: dict, targets: int = 40):
    """Everyone answers after 10 s and talks 100 s; agents answer at once."""
    patch = {
        "outdials": [{"name": "od", "targets": targets}],
        "population": {"outcome": [{"human": 1.0}], "ring_time": {"dist": "constant", "value": 10}},
        "agents": [{"name": "a", "count": n_agents, "talk_time": {"dist": "constant", "value": 100}}],
    }
    patch["engine"] = pacing["engine"]
    return scenario(patch, horizon="60s")


def test_progressive_dials_one_call_per_available_agent():
    """2 agents, progressive. t = 1.0: A = 2, U = 0: dial; 1.5: U = 1 < 2: dial; 2.0: U = 2: wait
    5 s (7.0, 12.0: the calls answer at 11.0 and 11.5, U = 0 at 12.0, but both agents took them
    at 11.1 and 11.6, A = 0: wait) ... no third dial within the minute: the agents talk until
    111 s. Compare voipbin at SL 100 (floor(2*100/100) = 2 > D) which also dials 2, then holds D
    = 2 while the calls talk."""
    r = run(_ringing_people(2, _pace("progressive")))
    assert r.times() == [1.0, 1.5]


def test_ratio_level_two_dials_two_calls_per_available_agent():
    """2 agents, ratio 2.0: dial while U < 4: t = 1.0, 1.5, 2.0, 2.5; at 3.0 U = 4: wait 5 s to
    8.0, 13.0: the four calls answered at 11.0..12.5 (U = 0) but agents took two of them and the
    other two wait: A = 0: wait ... none more within the minute."""
    r = run(_ringing_people(2, _pace("ratio", level=2.0)))
    assert r.times() == [1.0, 1.5, 2.0, 2.5]


def test_ratio_counts_unanswered_calls_not_live_calls():
    """4 agents, ratio 0.5: U < 0.5·A. t = 1.0: A = 4, U = 0 < 2: dial; 1.5: U = 1 < 2: dial; 2.0:
    U = 2: wait to 7.0, 12.0: both answered at 11.0/11.5 and talking (A = 2, U = 0 < 1): dial
    at 12.0; 12.5: U = 1 = 1: wait, 17.5, 22.5: the 12.0 call answered at 22.0, its agent busy:
    A = 1, U = 0 < 0.5: dial at 22.5; 23.0: U = 1: wait, 28.0, 33.0: answered at 32.5, A = 0:
    wait ... until the minute ends."""
    r = run(_ringing_people(4, _pace("ratio", level=0.5)))
    assert r.times() == [1.0, 1.5, 12.0, 22.5]


def test_a_campaign_pacing_overrides_the_scenario_pacing():
    """engine.pacing says ratio 2.0, the campaign says progressive: the campaign's wins (2 dials)."""
    scn = scenario({"outdials": [{"name": "od", "targets": 40}],
                    "population": {"outcome": [{"human": 1.0}], "ring_time": {"dist": "constant", "value": 10}},
                    "agents": [{"name": "a", "count": 2, "talk_time": {"dist": "constant", "value": 100}}],
                    "engine": {"pacing": {"policy": "ratio", "level": 2.0}}},
                   campaign={"pacing": {"policy": "progressive"}}, horizon="60s")
    assert run(scn).times() == [1.0, 1.5]


def test_predictive_with_the_prior_dials_by_the_binomial_rule():
    """2 agents, predictive, target 5 %, prior answer rate 0.2 (no call has ended before the first
    estimate at 30 s): P(Bin(U+1, 0.2) > 2) <= 0.05 holds for U + 1 <= 4 (0.0272) and fails for 5
    (0.05792): dials at 1.0, 1.5, 2.0, 2.5, then waits (3.0 with U = 4)."""
    r = run(_ringing_people(2, _pace("predictive", target=0.05, prior_answer_rate=0.2, interval="30s")))
    assert r.times()[:4] == [1.0, 1.5, 2.0, 2.5]
    assert all(t >= 30.0 for t in r.times()[4:])


def test_the_voipbin_policy_is_the_coded_rule_whatever_the_switch():
    """policy voipbin under the documented profile: floor(A·SL/100) > D with D = live calls (the
    dialing_count switch still says unanswered_calls, so D drops at the answer): same dials as
    the documented profile with service_level_rule agent_side."""
    a = run(scenario({"engine": {"profile": "documented", "pacing": {"policy": "voipbin"}},
                      "outdials": [{"name": "od", "targets": 40}],
                      "population": {"outcome": [{"human": 1.0}], "ring_time": {"dist": "constant", "value": 10}},
                      "agents": [{"name": "a", "count": 2, "talk_time": {"dist": "constant", "value": 100}}]},
                     horizon="60s"), service_level=150)
    b = run(scenario({"engine": {"profile": "documented", "service_level_rule": "agent_side"},
                      "outdials": [{"name": "od", "targets": 40}],
                      "population": {"outcome": [{"human": 1.0}], "ring_time": {"dist": "constant", "value": 10}},
                      "agents": [{"name": "a", "count": 2, "talk_time": {"dist": "constant", "value": 100}}]},
                     horizon="60s"), service_level=150)
    assert a.times() == b.times() and len(a.times()) >= 3


# --------------------------------------------------------------------------- statistical


def _reps(result, metric):
    df = result.replications
    return df[metric].to_numpy(float)


def _within(values, theory, confidence=0.997):
    s = summarize(values)
    half = t_quantile(s["n"], confidence) * s["sd"] / math.sqrt(s["n"])
    return abs(s["mean"] - theory) <= half, s, half


@pytest.mark.slow
def test_progressive_policy_occupancy_matches_theory():
    """Progressive dialing with instant timers: each agent cycle is a geometric number of attempts
    (mean 1/p) of 25 s each (the outplan's dial timeout), then a conversation of mean h: occupancy
    = h / (h + 25 / p); h = 300, p = 0.2: 300 / 425 = 0.70588 (the issue's h/(h + E[T]/p)). Interval: the replications' 99.7 % t-interval (fixed seed)."""
    scn = scenario(
        {"engine": {"timers": TINY, "agent_after_call": "auto_available", "ring_timeout_source": "outplan",
                    "pacing": {"policy": "progressive"}},
         "outplans": [{"name": "op", "max_try_count": [1], "dial_timeout": "25s"}],
         "outdials": [{"name": "od", "targets": 100000}],
         "population": {"outcome": [{"human": 0.2, "no_answer": 0.8}],
                        "ring_time": {"dist": "constant", "value": 24.999}},
         "agents": [{"name": "a", "count": 20, "talk_time": {"dist": "exponential", "mean": 300}}]},
        horizon="3h", warmup="30m", seed=11)
    result = sim.run(scn, service_levels=[100], replications=6)
    ok, s, half = _within(_reps(result, "occupancy"), 300 / (300 + 25 / 0.2))
    assert ok, f"occupancy {s['mean']:.4f} ± {half:.4f}, theory {300 / 425:.4f}"


def ratio_ctmc(n_agents: int, level: float, ring_mean: float, p: float, talk_mean: float, patience_mean: float,
               w_max: int = 40) -> tuple[float, float]:
    """The ratio dialer with instant timers as a continuous-time Markov chain. State (b, u, w):
    agents talking, calls ringing, people waiting. After every event the dialer tops the ringing
    calls up to ceil(level · (N − b)) at once. Ringing calls end at rate u/ring_mean, a live
    answer with probability p (to a free agent, else to the queue); conversations end at rate
    b/talk_mean (a waiting person takes the agent); waiting people hang up at rate
    w/patience_mean. Returns (occupancy E[b]/N, abandon rate abandons / live answers)."""
    def top(b, u):
        return max(u, math.ceil(level * (n_agents - b) - 1e-12))

    u_max = math.ceil(level * n_agents)
    states = [(b, u, w) for b in range(n_agents + 1) for u in range(u_max + 1) for w in range(w_max + 1)
              if u >= top(b, 0) and (w == 0 or b == n_agents)]
    index = {s: i for i, s in enumerate(states)}
    q = np.zeros((len(states), len(states)))
    for (b, u, w), i in index.items():
        def add(rate, b2, u2, w2):
            if rate > 0:
                j = index[(b2, top(b2, u2), min(w2, w_max))]
                q[i, j] += rate
        ring = u / ring_mean
        if b < n_agents:
            add(ring * p, b + 1, u - 1, w)
        else:
            add(ring * p, b, u - 1, w + 1)
        add(ring * (1 - p), b, u - 1, w)
        if w > 0:
            add(b / talk_mean, b, u, w - 1)
            add(w / patience_mean, b, u, w - 1)
        else:
            add(b / talk_mean, b - 1, u, w)
    np.fill_diagonal(q, q.diagonal() - q.sum(axis=1))
    a = np.vstack([q.T, np.ones(len(states))])
    rhs = np.zeros(len(states) + 1)
    rhs[-1] = 1.0
    pi = np.linalg.lstsq(a, rhs, rcond=None)[0]
    eb = sum(pi[i] * b for (b, u, w), i in index.items())
    answers = sum(pi[i] * u / ring_mean * p for (b, u, w), i in index.items())
    abandons = sum(pi[i] * w / patience_mean for (b, u, w), i in index.items())
    return eb / n_agents, abandons / answers


@pytest.mark.slow
def test_ratio_policy_matches_its_markov_chain():
    """Ratio 2.0 on 3 agents with instant timers and exponential times (ring/busy signal 5 s, live
    answers 30 %, talk 60 s, patience 20 s, no wrap-up, agents answer at once): occupancy and
    abandon rate from the chain (``ratio_ctmc``) inside the replications' 99.7 % intervals.

    The campaign loop waits 100 ms when it may not dial: in the chain a freed agent takes a waiting
    caller at once, while in the engine it stays available until the queue's next step (1 ms, the
    shortest step a scenario accepts), and a capacity check that falls in that gap sees it and
    over-dials (with 10 ms waits this raised the abandon rate by about 15 %, a real effect of the
    engine's timers that the chain leaves out; with 100 ms waits one check in a hundred can)."""
    exp5 = {"dist": "exponential", "mean": 5}
    timers = {**TINY, "after_wait": "100ms"}
    data = merge(BASE, {"engine": {"timers": timers, "agent_after_call": "auto_available",
                                   "pacing": {"policy": "ratio", "level": 2.0}},
                        "outdials": [{"name": "od", "targets": 1000000}],
                        "agents": [{"name": "a", "count": 3, "talk_time": {"dist": "exponential", "mean": 60}}],
                        "horizon": "3h", "warmup": "20m", "seed": 5})
    data["population"] = {"outcome": [{"human": 0.3, "busy": 0.7}], "ring_time": exp5, "busy_time": exp5,
                          "patience": {"dist": "exponential", "mean": 20}}
    scn = parse_scenario(data, "ratio.yaml")
    result = sim.run(scn, service_levels=[100], replications=8)
    occ, aband = ratio_ctmc(3, 2.0, 5.0, 0.3, 60.0, 20.0)
    ok, s, half = _within(_reps(result, "occupancy"), occ)
    assert ok, f"occupancy {s['mean']:.4f} ± {half:.4f}, chain {occ:.4f}"
    ok, s, half = _within(_reps(result, "abandon_rate"), aband)
    assert ok, f"abandon rate {s['mean']:.4f} ± {half:.4f}, chain {aband:.4f}"


@pytest.mark.slow
def test_adaptive_policy_holds_its_target_drop_rate():
    """An adaptive dialer with target 2 % (drops: live answers never connected) on 20 agents,
    30 % live answers, talk 2 min, patience 15 s, over 8 h after a 1 h warm-up: the abandon rate
    of the run is the target, inside the replications' 99.7 % interval. (2 % lies between what
    the level's bounds allow: at level 1, progressive dialing, about 1 %; with every available
    agent's share dialled at level 10, about 3.4 %: a target outside that cannot be held.)"""
    data = merge(BASE, {"engine": {"agent_after_call": "auto_available",
                                   "pacing": {"policy": "adaptive", "target": 0.02, "drop": "abandon",
                                              "max_level": 10, "window": "20m"}},
                        "outdials": [{"name": "od", "targets": 1000000}],
                        "outplans": [{"name": "op", "max_try_count": [1], "dial_timeout": "20s"}],
                        "agents": [{"name": "a", "count": 20, "talk_time": {"dist": "exponential", "mean": 120}}],
                        "horizon": "8h", "warmup": "1h", "seed": 3})
    data["population"] = {"outcome": [{"human": 0.3, "no_answer": 0.7}],
                          "ring_time": {"dist": "exponential", "mean": 8},
                          "patience": {"dist": "exponential", "mean": 15}}
    result = sim.run(parse_scenario(data, "adaptive.yaml"), service_levels=[100], replications=6)
    ok, s, half = _within(_reps(result, "abandon_rate"), 0.02)
    assert ok, f"abandon rate {s['mean']:.4f} ± {half:.4f}, target 0.02"
