"""A call's life: outcomes and results, actions, the queue, agents, stopping and chaining.

Every expected number is derived by hand in the docstring from engine.md.
"""

from __future__ import annotations

import math

import pytest
from conftest import run, scenario

AGENT = {"name": "a", "count": 1, "talk_time": {"dist": "constant", "value": 100}}


def agents(n=1, **kw):
    return [{**AGENT, "count": n, **kw}]


@pytest.mark.parametrize(
    "outcome, reason, result, dials",
    [
        ("human", "normal", "success", 1),  # answered, actions end, hang-up normal: done
        ("busy", "busy", "fail", 3),  # fail: retried while attempts remain
        ("failed", "failed", "fail", 3),
        ("no_answer", "noanswer", "fail", 3),
    ],
)
def test_hangup_reason_maps_to_result_and_retries(outcome, reason, result, dials):
    """One target, 3 attempts, try_interval 0, no queue, end_handle continue. A success makes
    the target done (1 dial); a fail returns it to idle and it is dialled until exhausted."""
    scn = scenario({"outplans": [{"name": "op", "max_try_count": [3]}], "outdials": [{"name": "od", "targets": 1}],
                    "population": {"outcome": [{outcome: 1.0}]}},
                   campaign={"queue": None, "end_handle": "continue"}, horizon="10m")
    r = run(scn)
    assert len(r.cols["t_dial"]) == dials
    assert set(r.calls["reason"]) == {reason}
    assert set(r.calls["result"]) == {result}
    assert r.m["list_penetration"] == (1.0 if result == "success" else 0.0)


def test_hangup_action_reason_and_amd_hangup_are_fails():
    """As coded, a hangup action on an answered call leaves it 'terminating', and call-manager
    then gives reason normal whatever the action's reason (only the AMD cause gives amd): a
    hangup with reason busy is a success, never retried (engine.md is silent; the code notes
    said fail; the code wins). AMD with machine_handle hangup and no false negatives hangs up
    every machine with reason amd: a fail, retried: dial 1.0, answer 11.0, detection 3 s ->
    14.0; retry at the step 16.5 (1.5 + 5k)."""
    base = {"outplans": [{"name": "op", "max_try_count": [2]}], "outdials": [{"name": "od", "targets": 1}],
            "population": {"outcome": [{"human": 1.0}]}}
    talk = {"type": "talk", "option": {"text": "one two three four five six seven eight nine ten"}}
    r = run(scenario(base, campaign={"queue": None, "end_handle": "continue",
                                     "actions": [talk, {"type": "hangup", "option": {"reason": "busy"}}]}, horizon="2m"))
    assert list(r.calls["reason"]) == ["normal"]
    assert r.times("t_hangup") == [15.0]  # 1.0 + ring 10 + talk 4
    machines = {**base, "population": {"outcome": [{"machine": 1.0}],
                                       "amd": {"detect_time": {"dist": "constant", "value": 3}, "false_negative": 0.0}}}
    r = run(scenario(machines, campaign={"queue": None, "end_handle": "continue",
                                         "actions": [{"type": "amd", "option": {"machine_handle": "hangup"}}]}, horizon="2m"))
    assert list(r.calls["reason"]) == ["amd", "amd"]
    assert list(r.calls["result"]) == ["fail", "fail"]
    assert r.times("t_hangup") == [14.0, 29.5]


def test_amd_false_positive_is_a_regulatory_abandon():
    """Every person is taken for a machine (false_positive 1) and hung up on: 10 human answers,
    0 conversations, every one an abandon under both definitions."""
    scn = scenario({"population": {"outcome": [{"human": 1.0}], "amd": {"false_positive": 1.0}}},
                   campaign={"actions": [{"type": "amd", "option": {"machine_handle": "hangup"}}]},
                   agents=agents(10), horizon="10m")
    r = run(scn)
    assert r.m["human_answers"] == 10 and r.m["conversations"] == 0
    assert r.m["abandon_rate"] == 1.0 and r.m["abandon_rate_regulatory"] == 1.0
    assert r.m["amd_false_positives"] == 10


def test_talk_action_lasts_its_words_at_the_speaking_rate():
    """'Hello ... agent.' has 10 words; at 2.5 words/s it lasts 4 s: a person answering 10 s
    after the dial at 1.0 enters the queue at 15.0."""
    scn = scenario({"population": {"outcome": [{"human": 1.0}]}, "outdials": [{"name": "od", "targets": 1}]},
                   campaign={"actions": [{"type": "talk", "option": {"text": "Hello this is Acme calling please hold for an agent."}}]})
    r = run(scn)
    assert r.times("t_answer") == [11.0]
    assert r.times("t_queue") == [15.0]


def test_queue_loop_wakes_a_tenth_after_a_caller_and_rings_at_once():
    """A person answers at 11.0 and enters the queue (no actions); the loop wakes 0.1 s later and
    rings the only agent at 11.1; the agent answers at once (answer delay 0) and talks 100 s:
    hang-up at 111.1, a success."""
    scn = scenario({"population": {"outcome": [{"human": 1.0}]}, "outdials": [{"name": "od", "targets": 1}]})
    r = run(scn)
    assert r.times("t_agent_ring") == [11.1]
    assert r.times("t_agent_answer") == [11.1]
    assert r.times("t_hangup") == [111.1]
    assert list(r.calls["result"]) == ["success"]


def _service_order(queue_order: str) -> list[int]:
    scn = scenario({"population": {"outcome": [{"human": 1.0}]}, "engine": {"queue_order": queue_order},
                    "outdials": [{"name": "od", "targets": 100}]}, horizon="1h")
    r = run(scn, 1000)
    ring = r.cols["t_agent_ring"]
    served = [i for i in sorted(range(len(ring)), key=lambda i: ring[i]) if not math.isnan(ring[i])]
    return served[:5]


def test_queue_serves_the_newest_waiting_caller_first():
    """One agent, SL 1000: capacity floor(1*1000/100) = 10 and D counts every live call, so the
    loop dials 10 calls (1.0 ... 5.5) and waits. Each is answered 10 s after its dial. Caller 0
    enters at 11.0 and is rung at 11.1; the agent talks until 111.1 (D stays 10, then A = 0).
    The loop, running every 1 s since caller 1 woke it at 11.6, takes the newest waiting caller
    when the agent is free: 9, then 8, 7, 6."""
    assert _service_order("newest_first") == [0, 9, 8, 7, 6]


def test_documented_queue_serves_the_longest_waiting_first():
    """Same set-up, oldest_first: 0, 1, 2, 3, 4."""
    assert _service_order("oldest_first") == [0, 1, 2, 3, 4]


def test_abandoned_in_queue_is_a_success_and_never_retried():
    """Patience 1 s, the agent answers after 5 s: the person hangs up while the agent rings,
    1 s after entering the queue (11.0 -> 12.0). Hang-up normal: success, target done, no
    retry despite 3 attempts allowed. Both abandon rates are 1."""
    scn = scenario({"population": {"outcome": [{"human": 1.0}], "patience": {"dist": "constant", "value": 1}},
                    "outplans": [{"name": "op", "max_try_count": [3]}], "outdials": [{"name": "od", "targets": 1}]},
                   agents=agents(answer_delay={"dist": "constant", "value": 5}))
    r = run(scn)
    assert r.times("t_hangup") == [12.0]
    assert list(r.calls["result"]) == ["success"] and list(r.calls["queue_exit"]) == ["hangup_agent_ringing"]
    assert r.m["abandon_rate"] == 1.0 and r.m["list_penetration"] == 1.0


def test_wait_timeout_removes_a_waiting_caller():
    """Enforced (documented; as coded see test_engine_fidelity): no agent free (the only one
    talks 100 s with caller 0); caller 1 enters at 11.5, and the queue's wait_timeout of 20 s
    removes it at 31.5 (abandoned), hang-up normal: success."""
    scn = scenario({"population": {"outcome": [{"human": 1.0}]}, "outdials": [{"name": "od", "targets": 2}],
                    "engine": {"wait_timeout": "enforced"},
                    "queues": [{"name": "q", "wait_timeout": "20s"}]}, horizon="5m")
    r = run(scn, 200)
    assert r.times("t_hangup")[1] == 31.5
    assert list(r.calls["queue_exit"]) == ["connected", "wait_timeout"]
    assert list(r.calls["result"]) == ["success", "success"]


def test_missed_ring_strands_the_caller_and_blocks_the_agent():
    """The agent never answers (miss_probability 1). Caller 0 enters at 11.0, the agent is rung
    at 11.1; the ring times out at 71.1 and the caller is left alone (stranded) until patience
    (300 s) runs out at 311.0, still counted in D: the next dial waits for the step at 311.5.
    The agent stays ringing until its status reset (30 s) after the ring: available at 101.1."""
    scn = scenario({"population": {"outcome": [{"human": 1.0}], "patience": {"dist": "constant", "value": 300}},
                    "outdials": [{"name": "od", "targets": 2}]},
                   agents=agents(miss_probability=1.0, status_reset={"dist": "constant", "value": 30}), horizon="320s")
    r = run(scn)
    assert list(r.cols["stranded"]) == [True, False]
    assert r.m["stranded_calls"] == 1
    assert r.times() == [1.0, 311.5]
    assert r.times("t_hangup")[0] == 311.0
    assert sorted(r.rec.spell_start)[:2] == [0.0, pytest.approx(101.1)]


def test_documented_missed_ring_puts_the_caller_back():
    """Documented: after the missed ring (11.1 -> 71.1) the agent is available at once and the
    caller waits again; the loop rings the agent again at the next step, 71.2, and so on until
    patience (300 s after 11.0) ends at 311.0: rings at 11.1, 71.2, 131.3, 191.4, 251.5: four
    requeues, never stranded."""
    scn = scenario({"population": {"outcome": [{"human": 1.0}], "patience": {"dist": "constant", "value": 300}},
                    "engine": {"missed_ring": "requeue"}, "outdials": [{"name": "od", "targets": 1}]},
                   agents=agents(miss_probability=1.0))
    r = run(scn)
    assert r.times("t_hangup") == [311.0]
    assert list(r.cols["requeues"]) == [4]
    assert r.m["stranded_calls"] == 0


@pytest.mark.parametrize("mode, next_dial", [("manual_reset", 141.5), ("auto_available", 121.5)])
def test_agent_sets_itself_available_after_wrap_up_and_reset(mode, next_dial):
    """Conversation 11.1 -> 111.1, wrap-up 10 s, status reset 20 s. As coded the agent is
    available at 141.1 (wrap-up then reset), documented at 121.1 (after wrap-up). Steps wait
    from 1.5 in 5 s: next dial at 141.5 or 121.5."""
    scn = scenario({"population": {"outcome": [{"human": 1.0}]}, "engine": {"agent_after_call": mode},
                    "outdials": [{"name": "od", "targets": 2}]},
                   agents=agents(wrap_up={"dist": "constant", "value": 10}, status_reset={"dist": "constant", "value": 20}),
                   horizon="200s")
    assert run(scn).times()[1] == next_dial


@pytest.mark.parametrize("count, third_dial", [("live_calls", 112.0), ("unanswered_calls", 12.0)])
def test_dialing_count_switch(count, third_dial):
    """Four agents, SL 50: capacity floor(4*50/100) = 2: dials at 1.0 and 1.5. Both are answered
    (11.0, 11.5) and connected (11.1, 11.6; talk 100 s): A = 2. As coded D still counts both
    live calls: floor(2*50/100) = 1 > 2 fails until the conversations end (111.1, 111.6); the
    step at 112.0 sees A = 4, D = 0 and dials. Documented, D counts unanswered calls only: the
    step at 12.0 sees A = 2, D = 0, 1 > 0: it dials at 12.0."""
    scn = scenario({"population": {"outcome": [{"human": 1.0}]}, "engine": {"dialing_count": count},
                    "outdials": [{"name": "od", "targets": 4}]}, agents=agents(4), horizon="113s")
    assert run(scn, 50).times()[2] == third_dial


def test_call_cut_after_one_hour_is_a_fail_and_retried():
    """Talk time 2 h: the call dialled at 1.0 is cut at 3601.0 with reason timeout: a fail,
    and the target (2 attempts) is dialled again."""
    scn = scenario({"population": {"outcome": [{"human": 1.0}]}, "outdials": [{"name": "od", "targets": 1}],
                    "outplans": [{"name": "op", "max_try_count": [2]}]},
                   agents=agents(talk_time={"dist": "constant", "value": 7200}), campaign={"end_handle": "continue"},
                   horizon="2h")
    r = run(scn)
    assert r.times("t_hangup")[0] == 3601.0
    assert r.calls["reason"][0] == "timeout" and r.calls["result"][0] == "fail"
    assert len(r.cols["t_dial"]) == 2


def test_flow_campaign_places_no_call_and_d_stays_zero():
    """A flow campaign with a queue: each campaigncall is progressing at once, so D = 0 and the
    rule floor(1*100/100) = 1 > 0 always holds with one agent: a dial every 0.5 s (1.0 ... 9.5:
    18 dials by 10 s) although each flow lasts 100 s. Each target is done after one attempt."""
    scn = scenario({"outdials": [{"name": "od", "targets": 100}]},
                   campaign={"type": "flow", "actions": [{"type": "sleep", "option": {"duration": "100s"}}]}, horizon="10s")
    r = run(scn)
    assert len(r.cols["t_dial"]) == 18
    assert set(r.calls["outcome"]) == {"flow"}


def test_campaigns_sharing_a_queue_each_count_all_agents():
    """Two campaigns on one queue with 2 agents, nobody answers: each compares its own D with
    the full A = 2, so each keeps 2 calls live: 4 at once."""
    scn = scenario(
        {"campaigns": [
            {"name": "c", "outplan": "op", "outdial": "od", "queue": "q"},
            {"name": "d", "outplan": "op", "outdial": "od2", "queue": "q"}],
         "outdials": [{"name": "od", "targets": 10}, {"name": "od2", "targets": 10}]},
        agents=agents(2), horizon="50s")
    r = run(scn, 100)
    assert r.m["max_live_calls"] == 4


@pytest.mark.parametrize("mode, end", [("wait", 61.0), ("hangup", 11.5)])
def test_stop_request_on_a_ringing_call(mode, end):
    """A stop request at 10 s with one call ringing (dialled 1.0, rings out at 61.0). As coded
    the campaign is stopping until that call ends: stop at 61.0. Documented, the call is hung up
    at once (reason cancel) and the loop's next step (1.5 + 5k: 11.5) ends it: stop at 11.5."""
    scn = scenario({"outdials": [{"name": "od", "targets": 1}], "engine": {"stop_request": mode}},
                   campaign={"stop_at": "10s", "end_handle": "continue", "queue": None})
    r = run(scn)
    assert r.m["campaign_end_time"] == end
    assert list(r.calls["reason"]) == (["noanswer"] if mode == "wait" else ["cancel"])


@pytest.mark.parametrize("mode, second_dials", [("ignore", 0), ("start", 2)])
def test_next_campaign_is_stored_but_never_started_as_coded(mode, second_dials):
    """Campaign c (2 flow targets) stops at 2.0; its next_campaign d has no start of its own.
    As coded nothing starts d; documented, d runs from 2.0 and dials at 3.0 and 3.5."""
    scn = scenario(
        {"campaigns": [
            {"name": "c", "type": "flow", "outplan": "op", "outdial": "od", "next_campaign": "d"},
            {"name": "d", "type": "flow", "outplan": "op", "outdial": "od2", "start_at": None}],
         "outdials": [{"name": "od", "targets": 2}, {"name": "od2", "targets": 2}],
         "engine": {"next_campaign": mode, "flow_campaigncall": "done_on_end"}})
    r = run(scn)
    assert int((r.cols["campaign"] == 1).sum()) == second_dials
    if mode == "start":
        assert r.times()[2:] == [3.0, 3.5]
        assert r.m["campaign_end_time"] == 4.0


def test_time_of_day_curve_moves_human_answers():
    """A multiplier of 0 in the first clock hour turns every human answer into no answer."""
    mult = [0.0] + [1.0] * 23
    scn = scenario({"population": {"outcome": [{"human": 0.5, "no_answer": 0.5}],
                                   "time_of_day": {"clock_start": 0, "multipliers": mult}}},
                   campaign={"queue": None}, horizon="30m")
    assert run(scn).m["human_answers"] == 0


@pytest.mark.parametrize("mode", ["wait", "hangup"])
def test_stop_request_during_a_conversation(mode):
    """A person connected at 11.1 talks 100 s. Stop at 50 s: as coded the conversation goes on
    to 111.1 (stop at 111.1); documented, it is hung up at 50.0 (normal: a success), the agent
    wraps up, and the loop's next step (1.5 + 5k: 51.5) stops the campaign."""
    scn = scenario({"population": {"outcome": [{"human": 1.0}]}, "outdials": [{"name": "od", "targets": 1}],
                    "engine": {"stop_request": mode}}, campaign={"stop_at": "50s", "end_handle": "continue"})
    r = run(scn)
    assert r.times("t_hangup") == ([111.1] if mode == "wait" else [50.0])
    assert list(r.calls["result"]) == ["success"]
    assert r.m["campaign_end_time"] == pytest.approx(111.1 if mode == "wait" else 51.5)


def test_service_timeout_is_recorded_but_does_not_cut_the_call():
    """As coded the service timeout only pops the queue actions; a conversation goes on until
    a side leaves: the call connected at 11.1 still ends at 111.1, flagged as having passed the
    queue's service_timeout (30 s)."""
    scn = scenario({"population": {"outcome": [{"human": 1.0}]}, "outdials": [{"name": "od", "targets": 1}],
                    "queues": [{"name": "q", "service_timeout": "30s"}]})
    r = run(scn)
    assert r.times("t_hangup") == [111.1]
    assert list(r.cols["service_timeout_fired"]) == [True]


def test_warmup_excludes_early_events():
    """Flow campaign, 10 dials at 1.0 ... 5.5, warmup 3 s: the window [3, 6) holds the dials at
    3.0 ... 5.5: 6 of them, over 3 s: 7200 dials per hour."""
    r = run(scenario({"engine": {"flow_campaigncall": "done_on_end"}}, campaign={"type": "flow", "queue": None}, warmup="3s"))
    assert r.m["dials"] == 6
    assert r.m["dials_per_hour"] == pytest.approx(7200)


def test_queue_rings_only_the_newest_page_of_agents():
    """The queue lists available agents newest-created first, one page at a time: with
    page_size 3 and 5 agents, only the last three created (indexes 2, 3, 4) are ever rung.
    SL 34 allows floor(3*34/100) = 1 live call, so each assignment finds all five available."""
    scn = scenario({"population": {"outcome": [{"human": 1.0}]}, "outdials": [{"name": "od", "targets": 60}],
                    "engine": {"timers": {"page_size": 3}}},
                   agents=agents(5, talk_time={"dist": "constant", "value": 1}), horizon="10m")
    r = run(scn, 34)
    rung = set(r.cols["agent"][r.cols["agent"] >= 0].tolist())
    assert rung == {2, 3, 4}


def test_documented_stop_while_an_answering_call_still_rings():
    """A person who would answer at 11.0 (dial 1.0, ring 10 s); a stop at 5 s hangs the call up
    while it rings (documented): reason cancel, no answer recorded."""
    scn = scenario({"population": {"outcome": [{"human": 1.0}]}, "outdials": [{"name": "od", "targets": 1}],
                    "engine": {"stop_request": "hangup"}}, campaign={"stop_at": "5s", "end_handle": "continue"})
    r = run(scn)
    assert list(r.calls["reason"]) == ["cancel"]
    assert r.times("t_hangup") == [5.0]
    assert math.isnan(r.cols["t_answer"][0])
    assert r.m["human_answers"] == 0


def test_people_hung_up_by_amd_are_redialled_and_short_rings_are_counted():
    """AMD takes every person for a machine (false_positive 1) and hangs up with reason amd: a
    fail, so each of the 2 targets (2 attempts) is dialled again: 2 of the 4 abandons are
    followed by a redial within 72 h (the second attempts are the last). With the documented
    ring timeout from the outplan (10 s), every unanswered attempt is released before 15 s."""
    amd = scenario({"population": {"outcome": [{"human": 1.0}], "amd": {"false_positive": 1.0}},
                    "outplans": [{"name": "op", "max_try_count": [2]}], "outdials": [{"name": "od", "targets": 2}]},
                   campaign={"actions": [{"type": "amd", "option": {"machine_handle": "hangup"}}],
                             "end_handle": "continue"}, horizon="10m")
    r = run(amd)
    assert r.m["abandoned"] == 4 and r.m["redials_after_abandon"] == 2
    short = scenario({"engine": {"ring_timeout_source": "outplan"},
                      "outplans": [{"name": "op", "max_try_count": [1], "dial_timeout": "10s"}]},
                     campaign={"queue": None})
    assert run(short).m["unanswered_released_before_15s"] == 1.0
    assert run(scenario(campaign={"queue": None})).m["unanswered_released_before_15s"] == 0.0
