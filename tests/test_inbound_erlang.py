"""Inbound calls alone (no campaign) against queueing theory: Erlang C (M/M/N) and Erlang A
(M/M/N+M, exponential patience), the formulas computed here.

The queue runs VoIPbin's loop: it rings an agent for the newest waiting caller one step at a
time. Its steps are set to 0.1 s both with and without an available agent (VoIPbin idles 1 s
when no agent is free), so each hand-off costs at most 0.1 s against 300 s talks; the agents
answer at once and are available again at once (no wrap-up, no reset). The wait flow is one
1-hour play, so flow-manager's cap (33 plays) never ends a wait, and the call limit is 100 h.
Means of the replications are tested against the formula with the replications' 99.7 %
Student-t interval (fixed seeds; the wide level keeps a correct model from failing by chance,
as in test_statistical.py). The bias left by the 0.1 s steps is far inside those intervals.

    python -m pytest -q tests/test_inbound_erlang.py -m slow -s     # prints the comparison
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from conftest import scenario

from sim.engine.simulation import Simulation
from sim.metrics import replication_metrics
from sim.stats import summarize, t_quantile

N = 10  # agents
MEAN_TALK = 300.0  # s, exponential: mu = 1/300 per s


def erlang_c(n: int, a: float) -> float:
    """Probability of waiting in M/M/n with offered load a = lambda/mu (Erlang's C formula)."""
    term, total = 1.0, 1.0
    for k in range(1, n):
        term *= a / k
        total += term
    top = term * a / n * n / (n - a)  # a^n/n! * n/(n-a)
    return top / (total + top)


def erlang_a(n: int, lam: float, mu: float, theta: float, cap: int = 2000) -> dict:
    """M/M/n+M: the birth-death chain (death rate k*mu up to n, then n*mu + (k-n)*theta),
    truncated where the probabilities vanish. P(wait) = P(k >= n) (PASTA), mean queue Lq,
    P(abandon) = theta*Lq/lambda, mean wait of all arrivals = Lq/lambda (Little)."""
    p = [1.0]
    for k in range(1, cap):
        death = min(k, n) * mu + max(k - n, 0) * theta
        p.append(p[-1] * lam / death)
    p = np.array(p) / sum(p)
    k = np.arange(cap)
    lq = float((np.maximum(k - n, 0) * p).sum())
    return {"p_wait": float(p[n:].sum()), "lq": lq, "p_abandon": theta * lq / lam, "mean_wait": lq / lam}


def _scenario(per_hour: float, patience: dict, seed: int, horizon: str = "21h", **engine):
    return scenario(
        {"engine": {"timers": {"queue_step": "100ms", "queue_idle_step": "100ms", "max_call": "100h"}, **engine},
         "queues": [{"name": "q", "wait_flow": [{"type": "play", "option": {"duration": "1h"}}],
                     "inbound": {"arrivals_per_hour": per_hour, "patience": patience,
                                 "talk_time": {"dist": "exponential", "mean": MEAN_TALK}}}],
         "agents": [{"name": "a", "count": N, "talk_time": {"dist": "constant", "value": 1}}]},
        campaigns=[], outplans=[], outdials=[], horizon=horizon, warmup="1h", seed=seed)


def _runs(scn, reps: int):
    out = []
    for r in range(reps):
        sim = Simulation(scn, None, r).run()
        rec = sim.records()
        m = replication_metrics(rec)
        ib = rec.inbound
        left = (ib["t_queue"] >= rec.warmup) & ~(np.isnan(ib["t_agent_answer"]) & np.isnan(ib["t_hangup"]))
        delay = np.where(np.isnan(ib["t_agent_ring"]), np.inf, ib["t_agent_ring"] - ib["t_queue"])[left]
        m["p_wait"] = float((delay > 0.1 + 1e-9).mean())  # not rung at the queue's first step
        out.append(m)
    return out


def _check(runs, name, theory, rows):
    x = np.array([r[name] for r in runs])
    s = summarize(x)
    half = t_quantile(s["n"], 0.997) * s["sd"] / math.sqrt(s["n"])
    rows.append(f"{name:26s} theory {theory:9.4f}   simulated {s['mean']:9.4f} ± {half:.4f} (n={s['n']})")
    return abs(s["mean"] - theory) <= half, rows[-1]


@pytest.mark.slow
def test_inbound_only_queue_reproduces_erlang_c():
    """30 replications of 40 h (after 1 h of warm-up). N = 10 agents, talks exponential with
    mean 300 s (mu = 1/300), 96 calls an hour
    (lambda = 96/3600, a = lambda/mu = 8 Erlang), nobody hangs up. Erlang C: C(10, 8) = 0.4092;
    mean wait of all W = C / (N mu - lambda) = 0.4092 x 150 s = 61.4 s; P(W <= t) = 1 - C
    exp(-(N mu - lambda) t). The wait distribution assumes first come first served: the queue
    serves the oldest caller first here (queue_order: oldest_first; the mean does not depend
    on the order)."""
    lam, mu = 96 / 3600, 1 / MEAN_TALK
    c = erlang_c(N, lam / mu)
    runs = _runs(_scenario(96, {"dist": "constant", "value": 1e7}, seed=5, horizon="41h", queue_order="oldest_first"), 30)
    rows: list[str] = []
    checks = [_check(runs, "p_wait", c, rows), _check(runs, "inbound_mean_wait", c / (N * mu - lam), rows)]
    for t in (10, 20, 30):
        checks.append(_check(runs, f"inbound_p_within_{t}s", 1 - c * math.exp(-(N * mu - lam) * t), rows))
    checks.append(_check(runs, "inbound_occupancy_share", lam / mu / N, rows))
    print("\nErlang C, N=10, a=8:\n" + "\n".join(rows))
    assert all(ok for ok, _ in checks), "\n".join(line for ok, line in checks if not ok)


@pytest.mark.slow
def test_inbound_only_queue_reproduces_erlang_a():
    """24 replications of 20 h (after 1 h of warm-up). N = 10, mean talk 300 s, 110 calls an
    hour (a = 9.17 Erlang), patience exponential with
    mean 120 s (theta = 1/120), newest first as coded (with exponential patience the number
    waiting, hence P(wait), P(abandon) and the mean wait of all, do not depend on the order).
    The formula values come from the birth-death chain in erlang_a()."""
    lam, mu, theta = 110 / 3600, 1 / MEAN_TALK, 1 / 120
    ea = erlang_a(N, lam, mu, theta)
    runs = _runs(_scenario(110, {"dist": "exponential", "mean": 120}, seed=7), 24)
    rows: list[str] = []
    checks = [
        _check(runs, "p_wait", ea["p_wait"], rows),
        _check(runs, "inbound_abandon_rate", ea["p_abandon"], rows),
        _check(runs, "inbound_mean_wait", ea["mean_wait"], rows),
        _check(runs, "inbound_occupancy_share", lam * (1 - ea["p_abandon"]) / mu / N, rows),
    ]
    print("\nErlang A, N=10, a=9.17, mean patience 120 s:\n" + "\n".join(rows))
    assert all(ok for ok, _ in checks), "\n".join(line for ok, line in checks if not ok)


def test_erlang_formulas_by_hand():
    """The formulas themselves, against values worked by hand: C(1, 0.5) = 0.5 (M/M/1: rho);
    C(2, 1) = (1/2 * 2) / (1 + 1 + 1) = 1/3; Erlang A with theta = mu is M/M/infinity-like: the
    number in system is Poisson(a), so P(wait) = P(Poisson(a) >= N)."""
    assert erlang_c(1, 0.5) == pytest.approx(0.5)
    assert erlang_c(2, 1.0) == pytest.approx(1 / 3)
    a = 3.0
    pois = [math.exp(-a) * a**k / math.factorial(k) for k in range(60)]
    assert erlang_a(2, a, 1.0, 1.0)["p_wait"] == pytest.approx(sum(pois[2:]))
