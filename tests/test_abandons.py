"""The regulators' clock and the cause of every abandoned live answer (sim/abandons.py).

Every scenario below is the conftest base (one agent, constant times, targets dialled once, first
step at 1.0 s, 0.5 s between dials, rings of 10 s, the queue loop 0.1 s after a caller starts
waiting) with every called party a person; the expected times are derived in each docstring.
The regulatory defaults: threshold 2 s, greeting 1 s, clock answer: the deadline is the answer
plus 3 s.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from conftest import run, scenario

from sim.abandons import CAUSES, classify
from sim.scenario.schema import Engine

HUMAN = {"population": {"outcome": [{"human": 1.0}]}}


def one(actions=(), agent=None, regulatory=None, patience=10000, targets=1, level=100, queue=None, engine=None):
    patch = {**HUMAN, "outdials": [{"name": "od", "targets": targets, "destinations": 1}],
             "population": {"outcome": [{"human": 1.0}], "patience": {"dist": "constant", "value": patience}}}
    if agent:
        patch["agents"] = [{"name": "a", "count": 1, "tags": [], "talk_time": {"dist": "constant", "value": 100}, **agent}]
    if regulatory:
        patch["regulatory"] = regulatory
    if queue:
        patch["queues"] = [{"name": "q", "tags": [], "wait_timeout": 0, "service_timeout": 0, **queue}]
    if engine:
        patch["engine"] = engine
    return run(scenario(patch, campaign={"actions": list(actions), "service_level": level}))


def causes(m, regulatory=False):
    prefix = "abandoned_regulatory" if regulatory else "abandoned"
    return {c: m[f"{prefix}_{c}"] for c in CAUSES if m[f"{prefix}_{c}"]}


TALK_4S = [{"type": "talk", "option": {"duration": "4s"}}]


def test_a_4s_greeting_then_an_agent_at_once_is_abandoned_on_the_answer_clock_only():
    """Dial 1.0, answer 11.0, talk 4 s: queue at 15.0, agent rung at 15.1 and answers at once.
    Plain: connected, abandon_rate 0. Answer clock: 15.1 - 11.0 = 4.1 s > 1 s greeting + 2 s:
    abandon_rate_regulatory 1, cause actions_before_queue (at the deadline, 14.0, the talk
    action was still playing). Queue clock: 15.1 - 15.0 = 0.1 s <= 2 s: 0."""
    r = one(TALK_4S)
    assert r.times("t_agent_answer") == [15.1]
    assert r.m["abandon_rate"] == 0.0
    assert r.m["abandon_rate_regulatory"] == 1.0 and r.m["abandoned_regulatory"] == 1.0
    assert r.m["p_agent_within_threshold"] == 0.0
    assert causes(r.m, regulatory=True) == {"actions_before_queue": 1.0}
    assert causes(r.m) == {}
    q = one(TALK_4S, regulatory={"clock": "queue"})
    assert q.m["abandon_rate"] == 0.0 and q.m["abandon_rate_regulatory"] == 0.0
    assert q.m["p_agent_within_threshold"] == 1.0


def test_no_actions_and_an_agent_answering_in_half_a_second_is_no_abandon_on_either_clock():
    """Answer 11.0 = queue entry; ring 11.1; agent answers 11.6: 0.6 s from the answer (<= 3 s)
    and 0.6 s from the queue (<= 2 s): 0 and 0 on both clocks."""
    for clock in ("answer", "queue"):
        r = one(agent={"answer_delay": {"dist": "constant", "value": 0.5}}, regulatory={"clock": clock})
        assert r.times("t_agent_answer") == [11.6]
        assert r.m["abandon_rate"] == 0.0 and r.m["abandon_rate_regulatory"] == 0.0
        assert r.m["p_agent_within_threshold"] == 1.0


def test_greeting_and_threshold_move_the_deadline():
    """Agent answers 2.6 s after the answer (ring 11.1, delay 2.5). Default deadline 3 s: in
    time. Greeting 0.5 s: 2.5 s < 2.6: abandoned, cause agent_ringing (the deadline 13.5 falls
    in the ring begun at 11.1). Threshold 1 s with the queue clock: 2.6 > 1: abandoned."""
    agent = {"answer_delay": {"dist": "constant", "value": 2.5}}
    assert one(agent=agent).m["abandon_rate_regulatory"] == 0.0
    r = one(agent=agent, regulatory={"greeting": "500ms"})
    assert r.m["abandon_rate_regulatory"] == 1.0 and causes(r.m, True) == {"agent_ringing": 1.0}
    assert one(agent=agent, regulatory={"clock": "queue", "threshold": "1s"}).m["abandon_rate_regulatory"] == 1.0


def test_waiting_with_no_agent_free_is_queue_no_agent():
    """SL 200, one agent: dials at 1.0 and 1.5 (floor(1*200/100) = 2 > D). Answers 11.0 and
    11.5; the first caller gets the agent at 11.1 (talk 100 s). The second waits from 11.5 with
    no agent: regulatory deadline 14.5 passes while waiting; patience 20 s: hangs up at 31.5,
    still waiting. Plain and regulatory: 1 of 2, both queue_no_agent."""
    r = one(targets=2, level=200, patience=20)
    assert r.times("t_answer") == [11.0, 11.5] and r.times("t_hangup") == [111.1, 31.5]
    assert r.m["abandon_rate"] == 0.5 and r.m["abandon_rate_regulatory"] == 0.5
    assert causes(r.m) == {"queue_no_agent": 1.0} and causes(r.m, True) == {"queue_no_agent": 1.0}


def test_the_agents_answer_delay_is_agent_ringing():
    """Answer delay 5 s: rung at 11.1, would answer at 16.1. Patience 3 s (from the queue at
    11.0): the caller hangs up at 14.0, while the agent's phone rings: plain abandon,
    agent_ringing. Regulatory: deadline 14.0, the hang-up is not before it; at 14.0 the agent
    was ringing: agent_ringing. With patience: connected at 16.1, 5.1 s after the answer: a
    regulatory abandon only, agent_ringing."""
    agent = {"answer_delay": {"dist": "constant", "value": 5}}
    r = one(agent=agent, patience=3)
    assert r.times("t_hangup") == [14.0]
    assert causes(r.m) == {"agent_ringing": 1.0} and causes(r.m, True) == {"agent_ringing": 1.0}
    r = one(agent=agent)
    assert r.m["abandon_rate"] == 0.0 and causes(r.m, True) == {"agent_ringing": 1.0}


@pytest.mark.parametrize("patience, exit_", [(100, "hangup_stranded"), (30, "hangup_agent_ringing")])
def test_a_missed_ring_is_stranded_even_if_the_caller_leaves_while_it_rings(patience, exit_):
    """The agent misses every ring (miss_probability 1): rung at 11.1, the ring times out at
    71.1 (60 s) and the caller is left alone. Patience 100 s: hangs up stranded at 111.0;
    patience 30 s: hangs up at 41.0 while the missed ring still rings. Both: stranded, plain and
    regulatory (the missed ring had begun, 11.1, by the deadline, 14.0)."""
    r = one(agent={"miss_probability": 1.0}, patience=patience)
    assert r.times("t_hangup") == [11.0 + patience] and list(r.calls["queue_exit"]) == [exit_]
    assert r.times("t_ring_missed") == [11.1]
    assert causes(r.m) == {"stranded": 1.0} and causes(r.m, True) == {"stranded": 1.0}


def test_a_missed_ring_requeued_is_still_stranded():
    """engine.missed_ring: requeue: the missed ring (11.1 to 71.1) puts the caller back; the
    agent (available again at once) is rung again at 71.2 and misses again... patience 100 s:
    hangs up at 111.0 during the second ring. The first missed ring began before the deadline:
    stranded."""
    r = one(agent={"miss_probability": 1.0}, patience=100, engine={"missed_ring": "requeue"})
    assert r.times("t_ring_missed") == [11.1] and r.times("t_agent_ring") == [71.2]
    assert causes(r.m) == {"stranded": 1.0} and causes(r.m, True) == {"stranded": 1.0}


def test_machine_detection_hanging_up_on_a_person_is_amd_hangup():
    """amd action, detection 2 s, every person taken for a machine: answer 11.0, hung up at
    13.0 with reason amd. Plain and regulatory abandon, cause amd_hangup."""
    patch_amd = [{"type": "amd", "option": {"machine_handle": "hangup"}}]
    scn = scenario({"population": {"outcome": [{"human": 1.0}],
                                   "amd": {"detect_time": {"dist": "constant", "value": 2}, "false_positive": 1.0}},
                    "outdials": [{"name": "od", "targets": 1, "destinations": 1}]},
                   campaign={"actions": patch_amd})
    r = run(scn)
    assert r.times("t_hangup") == [13.0] and list(r.calls["reason"]) == ["amd"]
    assert causes(r.m) == {"amd_hangup": 1.0} and causes(r.m, True) == {"amd_hangup": 1.0}


def test_the_queues_wait_timeout_removing_a_caller_is_wait_timeout():
    """As the queue_no_agent case, with the queue's wait_timeout 2 s: the second caller (queued
    11.5) is removed at 13.5, before the regulatory deadline 14.5: wait_timeout for both."""
    engine = {"wait_timeout": "enforced"} if "wait_timeout" in Engine.model_fields else None
    r = one(targets=2, level=200, queue={"wait_timeout": "2s"}, engine=engine)
    assert r.times("t_hangup")[1] == 13.5
    assert causes(r.m) == {"wait_timeout": 1.0} and causes(r.m, True) == {"wait_timeout": 1.0}


def test_a_call_ended_by_its_actions_is_actions_before_queue():
    """talk 2 s then hangup: answer 11.0, hung up 13.0, never queued: plain abandon,
    actions_before_queue; it left before the deadline (14.0): the same cause."""
    r = one([{"type": "talk", "option": {"duration": "2s"}}, {"type": "hangup"}])
    assert r.times("t_hangup") == [13.0]
    assert causes(r.m) == {"actions_before_queue": 1.0} and causes(r.m, True) == {"actions_before_queue": 1.0}


def test_a_call_live_at_the_end_counts_once_its_deadline_has_passed():
    """Answer delay 30 s: rung at 11.1. Horizon 13 s: 2 s after the answer, the deadline (14.0)
    not reached: unknown, the rate undefined. Horizon 20 s: overdue, abandoned, agent_ringing.
    Neither is a plain abandon (still live)."""
    agent = {"answer_delay": {"dist": "constant", "value": 30}}
    patch = {"horizon": "13s", **HUMAN, "outdials": [{"name": "od", "targets": 1, "destinations": 1}],
             "agents": [{"name": "a", "count": 1, "tags": [], "talk_time": {"dist": "constant", "value": 100}, **agent}]}
    r = run(scenario(patch))
    assert math.isnan(r.m["abandon_rate_regulatory"]) and r.m["in_progress"] == 1.0
    r = run(scenario({**patch, "horizon": "20s"}))
    assert r.m["abandon_rate_regulatory"] == 1.0 and causes(r.m, True) == {"agent_ringing": 1.0}
    assert math.isnan(r.m["abandon_rate"])


def test_classify_on_hand_made_records():
    """Five live answers at t=0, answer clock (3 s allowed), window end 100:
    0 queued 5 (actions), rung 5.1, answered 5.2: late, actions_before_queue;
    1 queued 0, rung 4, answered 4.5: late, queue_no_agent (waiting at 3);
    2 queued 0, rung 1, answered 2: in time;
    3 queued 0, rung 1 (missed), hung up 50: plain and regulatory stranded;
    4 queued 0, never rung, removed by wait_timeout at 2: both wait_timeout (left before 3)."""
    nan = math.nan
    f = lambda *x: np.array(x, float)  # noqa: E731
    out = classify(
        t_answer=f(0, 0, 0, 0, 0), t_queue=f(5, 0, 0, 0, 0), t_agent_ring=f(5.1, 4, 1, 1, nan),
        t_agent_answer=f(5.2, 4.5, 2, nan, nan), t_hangup=f(90, 90, 90, 50, 2), t_ring_missed=f(nan, nan, nan, 1, nan),
        amd_hangup=np.zeros(5, bool), wait_timeout_exit=np.array([0, 0, 0, 0, 1], bool), human=np.ones(5, bool),
        window_end=100.0, clock="answer", allowed=3.0,
    )
    names = lambda col: [CAUSES[c] if c >= 0 else None for c in out[col]]  # noqa: E731
    assert names("regulatory_cause") == ["actions_before_queue", "queue_no_agent", None, "stranded", "wait_timeout"]
    assert names("cause") == [None, None, None, "stranded", "wait_timeout"]
    assert list(out["within"]) == [False, False, True, False, False]


@pytest.mark.parametrize("clock", ["answer", "queue"])
def test_every_abandon_has_exactly_one_cause(clock):
    """A busy random hour with every cause possible (actions with AMD, over-dial, slow and
    missing agents, impatient callers, a wait timeout): the causes sum to the abandons."""
    import copy

    from conftest import BASE

    from sim.scenario.load import parse_scenario

    data = copy.deepcopy(BASE)
    data["population"] = {"outcome": [{"human": 0.5, "machine": 0.2, "no_answer": 0.3}],
                          "ring_time": {"dist": "uniform", "low": 2, "high": 20},
                          "patience": {"dist": "exponential", "mean": 15},
                          "amd": {"detect_time": {"dist": "uniform", "low": 1, "high": 4}, "false_positive": 0.1}}
    data["campaigns"][0].update(service_level=300, actions=[{"type": "amd", "option": {"machine_handle": "hangup"}}])
    data.update({
        "outdials": [{"name": "od", "targets": 400, "destinations": 1}],
        "queues": [{"name": "q", "tags": [], "wait_timeout": "20s", "service_timeout": 0}],
        "agents": [{"name": "a", "count": 5, "tags": [], "talk_time": {"dist": "exponential", "mean": 60},
                    "answer_delay": {"dist": "uniform", "low": 0, "high": 5}, "miss_probability": 0.1}],
        "regulatory": {"clock": clock},
    })
    m = run(parse_scenario(data, "test.yaml")).m
    assert m["abandoned"] > 0 and m["abandoned_regulatory"] > m["abandoned"]
    assert sum(m[f"abandoned_{c}"] for c in CAUSES) == m["abandoned"]
    assert sum(m[f"abandoned_regulatory_{c}"] for c in CAUSES) == m["abandoned_regulatory"]
    assert sum(1 for c in CAUSES if m[f"abandoned_regulatory_{c}"]) >= 4, m


def test_the_old_top_level_regulatory_threshold_is_refused_with_its_new_place(tmp_path):
    import subprocess
    import sys
    from pathlib import Path

    root = Path(__file__).parents[1]
    old = tmp_path / "old.yaml"
    old.write_text((root / "tests" / "data" / "golden_scenario.yaml").read_text() + "regulatory_threshold: 3s\n")
    out = tmp_path / "out"
    p = subprocess.run([sys.executable, "-m", "sim", "run", str(old), "--out", str(out)], capture_output=True, text=True,
                       cwd=root)
    assert p.returncode == 2 and "Traceback" not in p.stderr
    assert "regulatory_threshold" in p.stderr and "did you mean `regulatory.threshold`" in p.stderr, p.stderr
    assert not out.exists()
