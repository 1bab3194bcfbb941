"""The campaign execute loop: step timers, capacity rule, page size, targets, destinations, stopping.

Every expected number is derived by hand in the docstring from engine.md.
"""

from __future__ import annotations

import math

import pytest
from conftest import run, scenario


def test_step_timers_first_step_then_half_second_per_dial():
    """A flow campaign without a queue has no capacity limit, only the step spacing.

    Run at 0; first step at 1.0 s; each step that dials schedules the next 0.5 s later:
    10 targets are dialled at 1.0, 1.5, ..., 5.5. As documented, flow actions (none here)
    end at once with success; the step at 6.0 finds no target and end_handle stop ends the loop:
    the campaign stops at 6.0.
    """
    r = run(scenario({"engine": {"flow_campaigncall": "done_on_end"}}, campaign={"type": "flow", "queue": None}))
    assert r.times() == [1.0 + 0.5 * k for k in range(10)]
    assert r.m["campaign_end_time"] == 6.0
    assert list(r.calls["result"]) == ["success"] * 10
    assert r.m["list_penetration"] == 1.0


def test_coded_flow_campaigncalls_are_never_done():
    """As coded, a flow campaigncall is closed only by activeflow_deleted, which flow-manager
    sends only when an activeflow is deleted; a flow that ends is merely stopped. So each target
    is dialled once, stays progressing, and the campaign stays stopping: no end time, no target
    done (engine.md says otherwise; the code wins, see README)."""
    r = run(scenario(campaign={"type": "flow", "queue": None}))
    assert r.times() == [1.0 + 0.5 * k for k in range(10)]
    assert math.isnan(r.m["campaign_end_time"])
    assert r.m["list_penetration"] == 0.0
    assert list(r.calls["result"]) == [""] * 10
    assert r.sim.campaigns[0].status == 1  # stopping


@pytest.mark.parametrize("mode", ["dial", "skip"])
def test_missing_destination(mode):
    """Targets have destination 0 only, max_try_count [1, 1]; nobody answers. Documented
    ('skip'): destination 1 is absent, so each target is exhausted after one attempt: dials at
    1.0 and 1.5, then no target: stop when the last call ends at 61.5. As coded ('dial'), the
    absent destination reads back as an empty address and still counts: the targets stay
    candidates; with end_handle continue the loop waits from 2.0 in 5 s steps, and the step at
    62.0 picks target 0 again (ended 61.0), chooses destination 1, the call cannot be created,
    the attempt fails and the campaign stops at once (no call is live any more)."""
    scn = scenario({"engine": {"missing_destination": mode},
                    "outplans": [{"name": "op", "max_try_count": [1, 1]}],
                    "outdials": [{"name": "od", "targets": 2, "destinations": 1}]},
                   campaign={"queue": None, "end_handle": "continue" if mode == "dial" else "stop"}, horizon="5m")
    r = run(scn)
    if mode == "skip":
        assert r.times() == [1.0, 1.5]
        assert r.m["campaign_end_time"] == 61.5
    else:
        assert r.times() == [1.0, 1.5, 62.0]
        assert list(r.calls["outcome"]) == ["no_answer", "no_answer", "not_placed"]
        assert r.m["campaign_end_time"] == 62.0


def test_waiting_step_is_five_seconds_and_zero_agents_never_dial():
    """No available agent: floor(0 * 100 / 100) = 0 is not > D = 0, so every step waits 5 s.

    Agents log in at 12 s: the steps run at 1, 6, 11, 16: the first dial is at 16.0, not at 12.
    """
    r = run(scenario({"agents": [{"name": "a", "count": 1, "talk_time": {"dist": "constant", "value": 100},
                                  "shift": {"start": 12}}]}, horizon="30s"))
    assert r.times()[0] == 16.0


@pytest.mark.parametrize(
    "agents, level, expected",
    [
        (3, 100, 3),  # floor(300/100) = 3
        (3, 150, 4),  # floor(4.5) = 4
        (3, 50, 1),  # floor(1.5) = 1
        (3, 33, 0),  # floor(0.99) = 0: never dials
        (3, 0, 0),  # 0 never dials with a queue
        (1, 250, 2),  # floor(2.5) = 2: over-dial above 100
    ],
)
def test_capacity_uses_floor_of_agents_times_level(agents, level, expected):
    """Nobody answers, so every call lives the 60 s ring timeout and agents stay available.

    The loop dials while floor(A*SL/100) > D, one call per 0.5 s step; the most live calls at
    one time is therefore floor(A*SL/100).
    """
    scn = scenario({"agents": [{"name": "a", "count": agents, "talk_time": {"dist": "constant", "value": 100}}]},
                   horizon="50s")
    r = run(scn, level)
    assert r.m["max_live_calls"] == expected
    assert r.m["dials"] == expected


def test_capacity_timeline_waits_five_seconds_then_dials_again():
    """A = 3, SL = 100: dials at 1.0, 1.5, 2.0; from 2.5 every step waits 5 s (2.5, 7.5, ...).

    The calls end at 61.0, 61.5, 62.0 (60 s ring timeout); the next step is at 62.5, which sees
    D = 0 and dials at 62.5, 63.0, 63.5.
    """
    scn = scenario({"agents": [{"name": "a", "count": 3, "talk_time": {"dist": "constant", "value": 100}}]},
                   horizon="64s")
    r = run(scn, 100)
    assert r.times() == [1.0, 1.5, 2.0, 62.5, 63.0, 63.5]


@pytest.mark.parametrize("rule, level, expected", [("dialing_side", 150, 2), ("dialing_side", 50, 6), ("dialing_side", 100, 3)])
def test_documented_rule_scales_the_dialing_side(rule, level, expected):
    """Documented rule: dial while A > D*SL/100. A = 3: SL 150 allows D = 0, 1 (1.5 < 3) but not
    D = 2 (3 is not < 3): 2 live calls. SL 50: D*0.5 < 3 for D <= 5: 6 live calls. SL 100: 3."""
    scn = scenario({"engine": {"service_level_rule": rule},
                    "agents": [{"name": "a", "count": 3, "talk_time": {"dist": "constant", "value": 100}}]},
                   horizon="50s")
    assert run(scn, level).m["max_live_calls"] == expected


def test_page_size_caps_both_counts():
    """With page_size 5, A = 4 agents at SL 200 give floor(8) = 8 > D, and D is read as at most
    5, so the rule never binds: the loop dials every 0.5 s from 1.0 until the first call ends at
    61.0: 1.0 ... 60.5 is 120 live calls. With the default page size (100) the cap is 8."""
    agents = {"agents": [{"name": "a", "count": 4, "talk_time": {"dist": "constant", "value": 100}}]}
    capped = scenario(merge_engine(agents, {"timers": {"page_size": 5}}), horizon="61s",
                      outdials=[{"name": "od", "targets": 500}])
    assert run(capped, 200).m["max_live_calls"] == 120
    plain = scenario(agents, horizon="61s", outdials=[{"name": "od", "targets": 500}])
    assert run(plain, 200).m["max_live_calls"] == 8


def test_available_agents_counted_only_with_a_shared_tag():
    """Agents tagged 'support' do not count for a queue tagged 'sales': A = 0, nothing is
    dialled. Give the queue no tags and every agent counts (3 live calls at SL 100)."""
    agents = {"agents": [{"name": "a", "count": 3, "tags": ["support"], "talk_time": {"dist": "constant", "value": 100}}]}
    tagged = scenario(merge_engine(agents, {}), horizon="30s", queues=[{"name": "q", "tags": ["sales"]}])
    assert run(tagged, 100).m["dials"] == 0
    shared = scenario(agents, horizon="30s", queues=[{"name": "q", "tags": ["sales", "support"]}])
    assert run(shared, 100).m["max_live_calls"] == 3
    untagged = scenario(agents, horizon="30s", queues=[{"name": "q", "tags": []}])
    assert run(untagged, 100).m["max_live_calls"] == 3


def test_without_queue_there_is_no_capacity_limit():
    """No queue: only the step spacing limits dialing: 1.0 ... 60.5 gives 120 live calls."""
    scn = scenario(campaign={"queue": None}, horizon="61s", outdials=[{"name": "od", "targets": 500}])
    assert run(scn, 0).m["max_live_calls"] == 120


def test_destination_order_and_attempt_counts():
    """One target, destinations 0 and 1, max_try_count [2, 1], nobody answers, try_interval 0,
    end_handle continue. Attempt 1 on destination 0 at 1.0 ends at 61.0; the loop waits 5 s from
    1.5 (1.5, 6.5, ..., 61.5) and dials destination 0 again at 61.5 (ends 121.5); then from
    62.0 (62.0, ..., 122.0) destination 1 at 122.0. Then the target is exhausted."""
    scn = scenario({"outplans": [{"name": "op", "max_try_count": [2, 1]}],
                    "outdials": [{"name": "od", "targets": 1, "destinations": 2}],
                    "population": {"outcome": [{"no_answer": 1.0}, {"no_answer": 1.0}]}},
                   campaign={"end_handle": "continue", "queue": None}, horizon="10m")
    r = run(scn)
    assert r.times() == [1.0, 61.5, 122.0]
    assert list(r.cols["destination_index"]) == [0, 0, 1]
    assert list(r.cols["try_count"]) == [1, 2, 1]
    assert math.isnan(r.m["campaign_end_time"])  # continue: the loop polls for ever
    assert r.m["list_penetration"] == 0.0  # exhausted targets stay idle, never done


def test_retry_interval_from_end_of_attempt_with_five_second_granularity():
    """Two targets, max 2 attempts, try_interval 100 s, end_handle continue. T0 dialled at 1.0,
    T1 at 1.5; both ring out at 61.0 and 61.5. The head T0 is due at 161.0 (100 s after the end
    of its attempt, not its start); the waiting steps run at 2.0 + 5k, so T0 is redialled at
    162.0 and T1 (due 161.5) at the next step, 162.5."""
    scn = scenario({"outplans": [{"name": "op", "try_interval": "100s", "max_try_count": [2]}],
                    "outdials": [{"name": "od", "targets": 2}]},
                   campaign={"end_handle": "continue", "queue": None}, horizon="5m")
    r = run(scn)
    assert r.times() == [1.0, 1.5, 162.0, 162.5]
    assert list(r.cols["target"]) == [0, 1, 0, 1]


def test_fresh_targets_go_before_retries():
    """Never-tried targets keep their creation time, so they come first, in list order; tried
    targets follow in the order their last attempt ended. 3 targets, 2 attempts, everyone busy
    (3 s), try_interval 0, no queue, end_handle continue: T0 1.0-4.0, T1 1.5-4.5, T2 2.0-5.0.
    The step at 2.5 finds no idle target (all ringing) and waits 5 s; at 7.5 the idle targets
    are T0, T1, T2 in the order their attempts ended: 7.5, 8.0, 8.5."""
    scn = scenario({"outplans": [{"name": "op", "max_try_count": [2]}],
                    "outdials": [{"name": "od", "targets": 3}],
                    "population": {"outcome": [{"busy": 1.0}]}},
                   campaign={"end_handle": "continue", "queue": None}, horizon="20s")
    r = run(scn)
    assert r.times() == [1.0, 1.5, 2.0, 7.5, 8.0, 8.5]
    assert list(r.cols["target"]) == [0, 1, 2, 0, 1, 2]


def test_head_of_line_blocking_waits_for_the_head():
    """Only the head target is checked against try_interval; while it is not due the loop waits
    5 s and dials nothing. Two targets, everyone busy (3 s), 2 attempts, try_interval 20 s:
    T0 1.0-4.0, T1 1.5-4.5. The head T0 is due at 24.0; the waiting steps run at 2.0 + 5k, so
    22.0 still waits and 27.0 dials T0, then 27.5 dials T1 (due since 24.5)."""
    scn = scenario({"outplans": [{"name": "op", "try_interval": "20s", "max_try_count": [2]}],
                    "outdials": [{"name": "od", "targets": 2}],
                    "population": {"outcome": [{"busy": 1.0}]}},
                   campaign={"end_handle": "continue", "queue": None}, horizon="40s")
    r = run(scn)
    assert r.times() == [1.0, 1.5, 27.0, 27.5]


def test_end_handle_stop_loses_retries_of_calls_in_flight():
    """end_handle stop: at 1.5 no idle target is left (the only one is ringing), so the loop
    ends: the campaign is stopping, then stop when the call ends at 61.0; its second attempt
    is never made."""
    scn = scenario({"outplans": [{"name": "op", "max_try_count": [2]}], "outdials": [{"name": "od", "targets": 1}]},
                   campaign={"queue": None}, horizon="10m")
    r = run(scn)
    assert r.times() == [1.0]
    assert r.m["campaign_end_time"] == 61.0


def test_exhausted_target_switch():
    """Nobody answers and each target gets 1 attempt: as coded the targets stay idle (list
    penetration 0); as documented they become done (penetration 1)."""
    base = {"outdials": [{"name": "od", "targets": 4}]}
    coded = run(scenario(base, campaign={"queue": None}))
    documented = run(scenario(merge_engine(base, {"exhausted_target": "done"}), campaign={"queue": None}))
    assert coded.m["list_penetration"] == 0.0
    assert documented.m["list_penetration"] == 1.0


def test_ring_timeout_switch_fixed_or_outplan():
    """No answer ends at the fixed 60 s as coded; at the outplan's dial_timeout (25 s) as
    documented. One target: ends at 61.0 or 26.0."""
    base = {"outdials": [{"name": "od", "targets": 1}], "outplans": [{"name": "op", "max_try_count": [1], "dial_timeout": "25s"}]}
    assert run(scenario(base, campaign={"queue": None})).times("t_hangup") == [61.0]
    documented = scenario(merge_engine(base, {"ring_timeout_source": "outplan"}), campaign={"queue": None})
    assert run(documented).times("t_hangup") == [26.0]


def test_timers_are_settings():
    """first_step 2 s, after_dial 1 s: dials at 2, 3, 4."""
    scn = scenario(merge_engine({"outdials": [{"name": "od", "targets": 3}]}, {"timers": {"first_step": "2s", "after_dial": "1s"}}),
                   campaign={"type": "flow", "queue": None})
    assert run(scn).times() == [2.0, 3.0, 4.0]


def merge_engine(patch: dict, engine: dict) -> dict:
    out = dict(patch)
    out["engine"] = {**patch.get("engine", {}), **engine}
    return out
