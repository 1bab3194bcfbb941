"""The pacing policies' decision rules, with numbers derived by hand (no simulation)."""

from __future__ import annotations

import math
from types import SimpleNamespace

import pytest

from sim.engine.pacing import (
    Adaptive,
    Predictive,
    Progressive,
    Ratio,
    binomial_tail,
    free_within,
    predictive_allows,
)


def cfg(**kw):
    base = dict(policy=None, level=None, target=None, min_level=1.0, max_level=5.0, step=0.1, interval=30.0,
                window=1800.0, min_answers=20, prior_answer_rate=0.2, prior_ring_time=15.0,
                prior_handle_time=180.0, prior_weight=20.0)
    base.update(kw)
    return SimpleNamespace(**base)


def test_progressive_one_unanswered_call_per_available_agent():
    """U < A: with 3 agents available, a third call may be dialled (U = 2), a fourth not (U = 3);
    with none available, nothing."""
    p = Progressive(cfg(), [])
    assert p.allows(3, 2) and not p.allows(3, 3) and not p.allows(0, 0)


def test_ratio_level_is_fractional():
    """Level 1.5 with 2 available agents: up to 3 unanswered calls (U < 3): U = 2 dials, U = 3
    does not; with 1 agent, U < 1.5: U = 1 dials (a second call), U = 2 does not."""
    r = Ratio(cfg(level=1.5), [])
    assert r.allows(2, 2) and not r.allows(2, 3)
    assert r.allows(1, 1) and not r.allows(1, 2)
    assert not r.allows(0, 0)


def test_binomial_tail_by_hand():
    """Bin(5, 0.2): P(X > 2) = 10·0.2³·0.8² + 5·0.2⁴·0.8 + 0.2⁵ = 0.0512 + 0.0064 + 0.00032 = 0.05792."""
    assert binomial_tail(5, 0.2, 2) == pytest.approx(0.05792, abs=1e-12)
    assert binomial_tail(4, 0.2, 2) == pytest.approx(0.0272, abs=1e-12)  # 4·0.008·0.8 + 0.0016
    assert binomial_tail(3, 0.5, 3) == 0.0 and binomial_tail(3, 0.5, -1) == 1.0


def test_free_within_a_ring_time():
    """1 available + 2 busy agents, ring 10 s, handling 100 s: 1 + 2·(1 − e^−0.1) = 1.19033."""
    assert free_within(1, 2, 10.0, 100.0) == pytest.approx(1 + 2 * (1 - math.exp(-0.1)))


def test_predictive_dials_while_the_overflow_chance_is_within_target():
    """Target 5 %, p = 0.2, 2 agents free, none busy (F = 2): with U = 3 in flight a fourth call
    makes P(Bin(4, 0.2) > 2) = 0.0272 ≤ 0.05: dial; with U = 4 a fifth makes 0.05792 > 0.05:
    wait. No agent at all: never."""
    assert predictive_allows(0.05, 0.2, 2, 0, 3, 15.0, 180.0)
    assert not predictive_allows(0.05, 0.2, 2, 0, 4, 15.0, 180.0)
    assert not predictive_allows(0.5, 0.2, 0, 0, 0, 15.0, 180.0)
    pred = Predictive(cfg(target=0.05), [])
    assert pred.p == 0.2 and pred.allows(2, 3) and not pred.allows(2, 4)


def test_predictive_estimates_shrink_toward_the_prior():
    """prior 0.2 with weight 20; 80 resolved dials of which 40 live: p = (40 + 4) / 100 = 0.44."""
    pred = Predictive(cfg(target=0.05), [])
    stats = SimpleNamespace(live=40, resolved=80, n_ring=0, ring_sum=0.0, n_handle=10, handle_sum=1000.0,
                            busy_agents=lambda agents: 0)
    pred.update(0.0, stats)
    assert pred.p == pytest.approx(0.44)
    assert pred.handle == pytest.approx((1000 + 20 * 180) / 30)
    assert pred.ring == 15.0


def test_adaptive_moves_its_level_toward_the_target():
    """Target 3 %, step 0.1, bounds [1, 1.25]: 2 drops in 40 answers (5 %) lowers the level from
    1.2 to 1.1; 0 in 40 raises it to 1.2, then to 1.25 (the bound), not beyond; fewer than
    min_answers with drops leaves it."""
    a = Adaptive(cfg(target=0.03, level=1.2, max_level=1.25), [])

    def seen(drops, answers):
        return SimpleNamespace(drops_in_window=lambda now: (drops, answers))

    a.update(0, seen(2, 40))
    assert a.level == pytest.approx(1.1)
    a.update(1, seen(0, 40))
    assert a.level == pytest.approx(1.2)
    a.update(2, seen(0, 40))
    a.update(3, seen(0, 40))
    assert a.level == pytest.approx(1.25)
    a.update(4, seen(3, 10))
    assert a.level == pytest.approx(1.25)
    a.update(5, seen(40, 40))
    a.update(6, seen(40, 40))
    a.update(7, seen(40, 40))
    assert a.level == pytest.approx(1.0)  # the lower bound
    assert [t for t, _ in a.levels] == list(range(8))
