"""Issue 11, the second fidelity pass: wait timeout as coded, absent destinations in flow
campaigns, queue_join and unsimulated actions, the queue's wait flow and flow-manager's cap of
100 executed actions, call creation failures, the execute step's latency, the requeued
caller's deadline timer.

Every expected number is derived by hand in the docstring (docs/engine.md, with the VoIPbin
source file of each fact).
"""

from __future__ import annotations

import math

import pytest
import numpy as np
from conftest import run, scenario

from sim.engine.resources import Q_ACTION_LIMIT, Q_NO_WAIT_FLOW, Q_WAIT_FLOW_HANGUP, STOPPING
from sim.engine.simulation import Simulation
from sim.engine.waitflow import wait_flow_end
from sim.scenario.errors import ScenarioError

HUMAN = {"population": {"outcome": [{"human": 1.0}]}}


def agents(n=1, **kw):
    return [{"name": "a", "count": n, "talk_time": {"dist": "constant", "value": 100}, **kw}]


def talk(seconds):
    return {"type": "talk", "option": {"duration": seconds}}


# --------------------------------------------------------------------------- defect 1: wait_timeout


def test_wait_timeout_as_coded_never_removes_a_caller_hearing_the_wait_flow():
    """As coded the timeout's Kick -> ServiceStop -> PopStackWithStackID fails while the wait
    flow's stack is current, and the one-shot timeout is lost. The scenario of
    test_wait_timeout_removes_a_waiting_caller (engine.md's documented reading removes caller 1 at
    31.5): caller 0 enters at 11.0, is put through at 11.1 and talks 100 s (agent free at
    111.1). Caller 1 enters at 11.5; the loop, asleep since 11.2, wakes at 11.6, finds no agent
    and looks every 1 s: 12.6, ..., 111.6, where it rings the agent. Caller 1 talks until 211.6."""
    scn = scenario({**HUMAN, "outdials": [{"name": "od", "targets": 2}],
                    "queues": [{"name": "q", "wait_timeout": "20s"}]}, horizon="5m")
    r = run(scn, 200)
    assert r.times("t_hangup") == [111.1, 211.6]
    assert r.times("t_agent_ring")[1] == 111.6
    assert list(r.calls["queue_exit"]) == ["connected", "connected"]
    assert r.m["abandon_rate"] == 0.0


def test_documented_profile_enforces_the_wait_timeout():
    """documented sets wait_timeout: enforced (test_wait_timeout_removes_a_waiting_caller runs it);
    a scenario may set the switch alone."""
    assert scenario({"engine": {"profile": "documented"}}).semantics().wait_timeout == "enforced"
    assert scenario().semantics().wait_timeout == "as_coded"
    assert scenario({"engine": {"wait_timeout": "enforced"}}).semantics().wait_timeout == "enforced"


# --------------------------------------------------------------------------- defect 2: absent destinations


def test_absent_destination_does_not_stop_a_flow_campaign():
    """Flow campaign, max_try_count [0, 1], targets with destination_0 only: as coded the absent
    destination_1 is chosen, but executeFlow places no call, so nothing fails. Steps at 1.0, 1.5,
    2.0 each create a campaigncall (progressing for good, as coded); at 2.5 no idle target is
    left: the loop ends and the campaign stays in stopping (its campaigncalls never end)."""
    scn = scenario({"outplans": [{"name": "op", "max_try_count": [0, 1]}], "outdials": [{"name": "od", "targets": 3}]},
                   campaign={"type": "flow", "queue": None}, horizon="10m")
    r = run(scn)
    assert r.times() == [1.0, 1.5, 2.0]
    assert list(r.cols["destination_index"]) == [1, 1, 1]
    assert list(r.calls["outcome"]) == ["flow"] * 3
    assert r.sim.campaigns[0].status == STOPPING
    assert math.isnan(r.m["campaign_end_time"])


def test_absent_destination_still_stops_a_call_campaign():
    """The call campaign of the same set-up: the call cannot be created at 1.0, the campaigncall
    fails (not_placed) and the campaign stops at 1.0."""
    scn = scenario({"outplans": [{"name": "op", "max_try_count": [0, 1]}], "outdials": [{"name": "od", "targets": 3}]},
                   campaign={"queue": None}, horizon="10m")
    r = run(scn)
    assert r.times() == [1.0]
    assert list(r.calls["outcome"]) == ["not_placed"]
    assert r.m["campaign_end_time"] == 1.0


# --------------------------------------------------------------------------- defect 3: queue_join, unsimulated actions


def test_queue_join_ending_the_actions_of_a_campaign_without_queue_is_modelled():
    """A call campaign with no queue of its own whose actions end in queue_join(q): calls go
    through q, and with no campaign queue the loop has no capacity check. 3 people, 1 agent:
    dials at 1.0, 1.5, 2.0 (with a campaign queue at SL 100 only the first would be dialled).
    Answers at 11.0, 11.5, 12.0; the 4 s talk; queue at 15.0, 15.5, 16.0; caller 0 is rung at
    15.1 and talks 100 s, to 115.1."""
    scn = scenario({**HUMAN, "outdials": [{"name": "od", "targets": 3}]},
                   campaign={"queue": None, "actions": [talk(4), {"type": "queue_join", "option": {"queue_id": "q"}}]},
                   horizon="1000s")
    r = run(scn)
    assert r.times() == [1.0, 1.5, 2.0]
    assert r.times("t_queue") == [15.0, 15.5, 16.0]
    assert r.times("t_agent_ring")[0] == 15.1
    assert r.times("t_hangup")[0] == 115.1


@pytest.mark.parametrize("campaign, path, words", [
    ({"actions": [{"type": "queue_join", "option": {"queue_id": "q"}}]}, "campaigns[0].actions[0]", "two queues"),
    ({"queue": None, "actions": [{"type": "queue_join", "option": {"queue_id": "q"}}, talk(2)]},
     "campaigns[0].actions[0]", "make queue_join the last action"),
    ({"queue": None, "actions": [{"type": "queue_join", "option": {"queue_id": "qq"}}]},
     "campaigns[0].actions[0].option.queue_id", "did you mean 'q'"),
    ({"actions": [talk(1), {"type": "branch"}]}, "campaigns[0].actions[1]", "'branch' is not simulated"),
    ({"actions": [{"type": "digits_receive", "option": {"duration": 5}}]}, "campaigns[0].actions[0]", "not simulated"),
    ({"actions": [{"type": "frobnicate"}]}, "campaigns[0].actions[0]", "unknown action type 'frobnicate'"),
])
def test_actions_the_model_does_not_simulate_are_refused_with_the_path(campaign, path, words):
    with pytest.raises(ScenarioError) as err:
        scenario(campaign=campaign)
    text = str(err.value)
    assert f"test.yaml: {path}:" in text and words in text, text


def test_no_time_actions_are_accepted():
    """answer, variable_set, webhook_send take no time in the model (and in VoIPbin next to a
    call's seconds): accepted, the 10-word talk alone sets the 4 s before the queue."""
    scn = scenario({**HUMAN, "outdials": [{"name": "od", "targets": 1}]},
                   campaign={"actions": [{"type": "answer"}, {"type": "variable_set"}, talk(4), {"type": "webhook_send"}]})
    assert run(scn).times("t_queue") == [15.0]


def test_queue_join_in_a_wait_flow_is_refused():
    with pytest.raises(ScenarioError) as err:
        scenario({"queues": [{"name": "q", "wait_flow": [{"type": "queue_join", "option": {"queue_id": "q"}}]}]})
    assert "queues[0].wait_flow" in str(err.value) and "not simulated" in str(err.value)


# --------------------------------------------------------------------------- the wait flow and the 100-action cap


@pytest.mark.parametrize("steps, n_before, expected", [
    # [play 30]: queue_join is action n+1, then fetch_flow, play, empty, fetch_flow, play, ...
    # n=0: play k is action 3k; play 33 is action 99, empty 100, fetch_flow 101 runs; the 102nd
    # is refused: the flow ends when play 33 ends, 33 x 30 = 990 s after joining.
    ([(30.0, False)], 0, (990.0, 990.0, Q_ACTION_LIMIT)),
    # n=1 (one campaign action): play k is action 3k+1, play 33 is 100, empty 101: same 990 s.
    ([(30.0, False)], 1, (990.0, 990.0, Q_ACTION_LIMIT)),
    # n=2: play k is 3k+2, play 33 is action 101, the last: it starts at 960 and ends at 990;
    # from 960 on a forward to an agent (one more action) is refused.
    ([(30.0, False)], 2, (990.0, 960.0, Q_ACTION_LIMIT)),
    # two plays (20, 40): a loop is 4 actions, fetch 2+4j .. empty 5+4j; empty of loop 24 is
    # action 101: 25 loops of 60 s.
    ([(20.0, False), (40.0, False)], 0, (1500.0, 1500.0, Q_ACTION_LIMIT)),
    # a hangup in the wait flow ends the call after the play before it
    ([(10.0, False), (0.0, True)], 0, (10.0, 10.0, Q_WAIT_FLOW_HANGUP)),
    # an empty wait flow pushes nothing: fetch_flow / empty spin to the cap at once
    ([], 0, (0.0, 0.0, Q_ACTION_LIMIT)),
    # no wait flow: the fetch fails, the activeflow stops at once
    (None, 0, (0.0, 0.0, Q_NO_WAIT_FLOW)),
])
def test_wait_flow_end_counts_executed_actions(steps, n_before, expected):
    assert wait_flow_end(steps, n_before) == expected


def test_queue_without_wait_flow_hangs_up_the_caller_on_joining():
    """wait_flow: none. Caller 0 answers at 11.0 and joins the queue; the wait flow fetch fails,
    flow-manager stops the activeflow and call-manager hangs up (normal) at once: an abandon
    (success, target done), the agent never rung. D was 1 until 11.0 (SL 100, one agent), so
    the steps at 1.5 and 6.5 wait; caller 1 is dialled at 11.5 and ends the same way at 21.5,
    where the run ends: the window holds caller 0 only, abandon rate 1/1."""
    scn = scenario({**HUMAN, "outdials": [{"name": "od", "targets": 2}], "queues": [{"name": "q", "wait_flow": "none"}]})
    r = run(scn)
    assert r.times("t_queue") == [11.0, 21.5] and r.times("t_hangup") == [11.0, 21.5]
    assert list(r.calls["queue_exit"]) == ["no_wait_flow"] * 2
    assert list(r.calls["result"]) == ["success"] * 2
    assert r.m["abandon_rate"] == 1.0 and r.m["abandoned"] == 1
    assert r.m["abandoned_wait_flow_end"] == 1  # its cause
    assert all(math.isnan(t) for t in r.times("t_agent_ring"))


def test_action_cap_ends_a_long_wait():
    """Default wait flow (one 30 s play), no campaign actions: 990 s of waiting at most (see
    test_wait_flow_end_counts_executed_actions). Caller 0 talks 2000 s from 11.1; caller 1
    enters at 11.5, patience 10000 s: the activeflow ends at 11.5 + 990 = 1001.5, hang-up normal."""
    scn = scenario({**HUMAN, "outdials": [{"name": "od", "targets": 2}]},
                   agents=agents(talk_time={"dist": "constant", "value": 2000}), horizon="3000s")
    r = run(scn, 200)
    assert r.times("t_hangup")[1] == 1001.5
    assert list(r.calls["queue_exit"]) == ["connected", "action_limit"]
    assert list(r.calls["result"]) == ["success", "success"]


def test_forward_to_an_agent_beyond_the_cap_hangs_up_the_caller():
    """Two 2 s talks before the queue (n=2): the caller's 33rd play, action 101, runs from 960 s
    after joining. Caller 0 joins at 15.0, is rung at 15.1, talks 970 s: the agent is free at
    985.1. Caller 1 joins at 15.5 (wakes the loop: 15.6, then every 1 s with no agent: 16.6, ...,
    985.6) and is rung at 985.6, 970.1 s after joining, past 960: forwarding their flow to the
    bridge is action 102, refused; the activeflow stops and the call is hung up at 985.6. The
    agent was rung (as coded it stays ringing until its reset, 0 s here)."""
    scn = scenario({**HUMAN, "outdials": [{"name": "od", "targets": 2}]},
                   campaign={"actions": [talk(2), talk(2)]},
                   agents=agents(talk_time={"dist": "constant", "value": 970}), horizon="3000s")
    r = run(scn, 200)
    assert r.times("t_queue") == [15.0, 15.5]
    assert r.times("t_hangup")[1] == 985.6
    assert list(r.calls["queue_exit"])[1] == "action_limit"
    assert list(r.cols["agent"])[1] == 0 and math.isnan(r.times("t_agent_ring")[1])


def test_wait_flow_hangup_action_ends_the_call():
    """wait_flow [play 10 s, hangup]: caller 1 (SL 200: dialled at 1.5, in the queue at 11.5, the
    agent busy) hears 10 s and is hung up (normal) at 21.5."""
    scn = scenario({**HUMAN, "outdials": [{"name": "od", "targets": 2}],
                    "queues": [{"name": "q", "wait_flow": [{"type": "play", "option": {"duration": "10s"}}, {"type": "hangup"}]}]},
                   agents=agents(talk_time={"dist": "constant", "value": 2000}), horizon="100s")
    r = run(scn, 200)
    assert r.times("t_hangup")[1] == 21.5
    assert list(r.calls["queue_exit"])[1] == "wait_flow_hangup"


# --------------------------------------------------------------------------- call creation failures, step latency


def test_call_creation_failure_stops_the_campaign():
    """create_failure 1: the first call cannot be created at 1.0; the campaigncall fails (its
    attempt counted) and the campaign stops at once."""
    scn = scenario({**HUMAN, "population": {**HUMAN["population"], "create_failure": 1.0},
                    "outplans": [{"name": "op", "max_try_count": [3]}]})
    r = run(scn)
    assert r.times() == [1.0]
    assert list(r.calls["outcome"]) == ["create_failed"] and list(r.calls["result"]) == ["fail"]
    assert list(r.cols["try_count"]) == [1]
    assert r.m["campaign_end_time"] == 1.0 and r.m["list_penetration"] == 0.0


def test_step_latency_adds_to_every_delay():
    """step_latency 0.25 s: steps at 1.0 + 0.25, then +0.5 +0.25 each: dials at 1.25, 2.0,
    2.75; at 3.5 no target is left; the no-answers ring 60 s: the campaign stops at 62.75."""
    scn = scenario({"outdials": [{"name": "od", "targets": 3}],
                    "engine": {"timers": {"step_latency": {"dist": "constant", "value": 0.25}}}},
                   campaign={"queue": None})
    r = run(scn)
    assert r.times() == [1.25, 2.0, 2.75]
    assert r.m["campaign_end_time"] == 62.75


# --------------------------------------------------------------------------- the requeued caller's deadline timer


def test_requeued_caller_keeps_one_deadline_timer():
    """Documented missed_ring (requeue), the agent never answers, patience 300 s: the caller is
    rung at 11.1, 71.2, 131.3, 191.4 and put back each time (test_documented_missed_ring_puts_the_
    caller_back). At 200 s the caller has joined the queue 4 times; one deadline timer (311.0)
    is pending for them, not one per join."""
    scn = scenario({**HUMAN, "population": {**HUMAN["population"], "patience": {"dist": "constant", "value": 300}},
                    "engine": {"missed_ring": "requeue"}, "outdials": [{"name": "od", "targets": 1}]},
                   agents=agents(miss_probability=1.0))
    sim = Simulation(scn, None, 0)
    sim.env.run(until=200)
    cc = sim.calls[0]
    assert cc.requeues == 3
    # a queue entry is (time, priority, sequence, fn, arg) (sim.engine.clock): fn(arg) runs then
    pending = [e for e in sim.env.pending() if e[3] == sim.queue_deadline and e[4] is cc]
    assert len(pending) == 1


# --------------------------------------------------------------------------- inbound calls on the same agents


def _blended(**inbound):
    return scenario({**HUMAN, "outdials": [{"name": "od", "targets": 200}],
                     "queues": [{"name": "q", "inbound": {"arrivals_per_hour": 6, "patience": {"dist": "constant", "value": 10000},
                                                          "talk_time": {"dist": "constant", "value": 1000}, **inbound}}]},
                    agents=agents(talk_time={"dist": "constant", "value": 50}), horizon="3h", seed=3)


def test_inbound_calls_keep_the_shared_agent_from_the_campaign():
    """One agent for a campaign (SL 100) and an inbound stream (6 an hour, 1000 s talks). The
    capacity check sees the agent an inbound call keeps busy: no dial happens while the agent
    is rung for or talking with an inbound caller (A = 0 then), and each inbound conversation
    lasts its 1000 s. The run goes on to the horizon (inbound calls keep coming)."""
    r = run(_blended())
    ib = r.sim.records().inbound
    assert len(ib["t_queue"]) > 0
    talks = ~np.isnan(ib["t_agent_answer"]) & ~np.isnan(ib["t_hangup"])
    assert talks.any()
    assert np.allclose(ib["t_hangup"][talks] - ib["t_agent_answer"][talks], 1000.0)
    dials = r.cols["t_dial"]
    ring = ~np.isnan(ib["t_agent_ring"])
    for a, h in zip(ib["t_agent_ring"][ring], np.nan_to_num(ib["t_hangup"][ring], nan=np.inf)):
        assert not ((dials > a) & (dials < h)).any(), (a, h)
    assert r.sim.end_time == 3 * 3600.0
    assert 0 < r.m["inbound_occupancy_share"] <= r.m["occupancy"]


def test_inbound_only_scenario_needs_no_campaign():
    """A scenario with no campaign, outplan or outdial runs its inbound stream to the horizon;
    one with neither campaigns nor inbound streams is refused."""
    scn = scenario({"queues": [{"name": "q", "inbound": {"arrivals_per_hour": 30, "patience": {"dist": "constant", "value": 60},
                                                         "talk_time": {"dist": "constant", "value": 100}}}]},
                   campaigns=[], outplans=[], outdials=[], horizon="1h")
    r = run(scn)
    assert r.sim.end_time == 3600.0 and len(r.cols["t_dial"]) == 0
    assert len(r.sim.records().inbound["t_queue"]) > 0
    assert math.isnan(r.m["campaign_end_time"])
    with pytest.raises(ScenarioError) as err:
        scenario(campaigns=[], outplans=[], outdials=[])
    assert "expected at least one campaign" in str(err.value)


def test_inbound_time_of_day_thins_arrivals():
    """A time-of-day curve of 0 for every hour but 10:00 (clock_start 9h): calls arrive only
    between 3600 s and 7200 s of the run."""
    tod = {"clock_start": "9h", "multipliers": [0.0] * 10 + [1.0] + [0.0] * 13}
    scn = scenario({"queues": [{"name": "q", "inbound": {"arrivals_per_hour": 60, "time_of_day": tod,
                                                         "patience": {"dist": "constant", "value": 60},
                                                         "talk_time": {"dist": "constant", "value": 10}}}]},
                   campaigns=[], outplans=[], outdials=[], horizon="3h")
    t = run(scn).sim.records().inbound["t_queue"]
    assert len(t) > 20 and t.min() >= 3600 and t.max() < 7200


def test_queueing_metrics_by_hand():
    """Two people, one agent talking 100 s (SL 200): caller 0 enters at 11.0 and is rung at 11.1
    (no wait: within one 0.1 s step); caller 1 enters at 11.5, waits for the agent free at
    111.1, is rung at the next 1 s idle step, 111.6, talks to 211.6. Window 0..211.6 (the run
    ends when both calls end). p_wait = 1/2; waits 0.1 and 100.1: mean_wait_all 50.1;
    p_within_10s = p_within_20s = p_within_30s = 1/2; callers waiting: 0.1 + 100.1 s over
    211.6 s = 0.4735; occupancy of group a = 1 - its available time (0 to 11.1, 111.1 to 111.6:
    11.6 s) / 211.6 = 0.9452."""
    scn = scenario({**HUMAN, "outdials": [{"name": "od", "targets": 2}]}, horizon="5m")
    r = run(scn, 200)
    m = r.m
    assert m["p_wait"] == 0.5
    assert m["mean_wait_all"] == pytest.approx(50.1)
    assert m["p_within_10s"] == m["p_within_30s"] == 0.5
    assert m["mean_number_waiting"] == pytest.approx(100.2 / 211.6)
    assert m["occupancy.a"] == pytest.approx((211.6 - 11.6) / 211.6)
    assert m["occupancy.a"] == pytest.approx(m["occupancy"])  # one group: the same
    assert math.isnan(m["inbound_abandon_rate"])
