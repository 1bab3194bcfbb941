"""The campaign execute loop (engine.md, "The execute loop"), dialing, and stopping.

One step: status check, head target, capacity check, retry interval, destination, dial. Each
step schedules the next: 1.0 s after ``run``, 0.5 s after a dial, 5.0 s after any wait.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Optional

from sim.engine.resources import (
    ALL_DESTINATIONS,
    CANCEL,
    DONE,
    FAIL,
    FLOW,
    HUNG_UP_BY_STOP,
    IDLE,
    N_DESTINATIONS,
    NOT_PLACED,
    PROGRESSING,
    RUN,
    STOP,
    STOPPING,
    Call,
    Campaign,
    Target,
)

if TYPE_CHECKING:  # pragma: no cover
    from sim.engine.simulation import Simulation


def capacity_allows(rule_agent_side: bool, available: int, service_level: int, dialing: int) -> bool:
    """The service-level rule. Coded: ``floor(A*SL/100) > D``; documented: ``A > D*SL/100``."""
    if rule_agent_side:
        return available * service_level // 100 > dialing
    return available * 100 > dialing * service_level


def head_target(c: Campaign) -> Optional[object]:
    """The idle target with attempts left and the oldest last change, or None.

    Never-tried targets keep their creation time, so they come first in list order (returned
    as their index, created on dial); then tried targets in the order their last attempt ended.
    """
    n = c.n_targets
    if c.fresh < n:
        if c.uniform_mask is not None or c.select_all:
            return c.fresh
        masks, usable = c.masks, c.usable
        i = c.fresh
        while i < n and not masks[i] & usable:
            i += 1  # a target with no dialable destination is never a candidate
        c.fresh = i
        if i < n:
            return i
    if c.retry:
        return c.retry[0]
    return None


def campaign_loop(sim: "Simulation", c: Campaign):
    env = sim.env
    timers = sim.timers
    after_dial, after_wait, page = timers.after_dial, timers.after_wait, timers.page_size
    agent_side = sim.agent_side
    sl = c.sl
    queue = c.queue
    try_interval = c.try_interval
    yield env.timeout(timers.first_step)
    while True:
        if c.status != RUN:
            execute_stop(sim, c)
            return
        target = head_target(c)
        if target is None:
            if c.end_stop:
                execute_stop(sim, c)
                return
            yield env.timeout(after_wait)
            continue
        if queue is not None:
            available = len(queue.avail)
            dialing = c.dialing
            if not capacity_allows(agent_side, available if available < page else page, sl, dialing if dialing < page else page):
                yield env.timeout(after_wait)
                continue
        if target.__class__ is Target and env.now - target.last_change < try_interval:
            yield env.timeout(after_wait)  # head-of-line blocking: no skipping to another target
            continue
        dial(sim, c, target)
        if not c.execute:
            return  # the call could not be created: the campaign stops
        yield env.timeout(after_dial)


def dial(sim: "Simulation", c: Campaign, head) -> Call:
    """Create the campaigncall, set the target progressing, count the attempt, place the call."""
    now = sim.env.now
    if head.__class__ is Target:
        target = c.retry.popleft()
    else:
        target = Target(head, c.uniform_mask if c.uniform_mask is not None else c.masks[head], 0.0)
        c.fresh = head + 1
    tries = target.tries
    max_try = c.max_try
    mask = ALL_DESTINATIONS if c.select_all else target.mask
    dest = 0
    while not (mask >> dest & 1 and tries[dest] < max_try[dest]):
        dest += 1
    tries[dest] += 1
    target.status = PROGRESSING
    target.last_change = now
    cc = Call(c, target, dest, tries[dest], now)
    sim.calls.append(cc)
    c.live += 1
    if not target.mask >> dest & 1:
        # As coded, an absent destination reads back as an empty address, is chosen, and the
        # call cannot be created: the campaigncall fails and the campaign stops.
        cc.outcome = NOT_PLACED
        cc.t_hangup = now
        cc.result = FAIL
        campaigncall_done(sim, cc, False)
        execute_stop(sim, c)
    elif c.type_flow:
        cc.outcome = FLOW
        if sim.flow_done_on_end:
            cc.proc = sim.env.process(sim.flow_process(cc))
        # else, as coded: nothing ever marks a flow campaigncall done (activeflow_deleted is sent
        # only when an activeflow is deleted), so it and its target stay progressing for good
    else:
        c.dialing += 1
        cc.counted = True
        if sim.stop_hangs_up:
            c.calls_live.add(cc)  # kept only where a stop request hangs live calls up
        live = sim.live_calls + 1
        sim.live_calls = live
        if live > sim.max_live and now >= sim.warmup:
            sim.max_live = live
        sim.place_call(cc)
    return cc


def attempts_left(c: Campaign, target: Target) -> bool:
    tries, max_try = target.tries, c.max_try
    mask = ALL_DESTINATIONS if c.select_all else target.mask
    for i in range(N_DESTINATIONS):
        if mask >> i & 1 and tries[i] < max_try[i]:
            return True
    return False


def campaigncall_done(sim: "Simulation", cc: Call, success: bool) -> None:
    """The campaigncall is done: the target becomes done (success) or idle again (fail)."""
    c = cc.campaign
    target = cc.target
    target.last_change = sim.env.now
    if success:
        target.status = DONE
        c.n_done += 1
    elif attempts_left(c, target):
        target.status = IDLE
        c.retry.append(target)  # its last change is now: the newest, so the deque stays sorted
    elif sim.exhausted_done:
        target.status = DONE
        c.n_done += 1
    else:
        target.status = IDLE  # exhausted targets stay idle; the selection no longer returns them
    c.live -= 1
    if c.status == STOPPING and not c.execute and c.live == 0:
        set_stop(sim, c)


def scheduled_start(sim: "Simulation", c: Campaign) -> None:
    """The campaign's ``start_at`` has come: drop its place-holder in ``active`` and start it."""
    sim.active -= 1
    start_campaign(sim, c)


def start_campaign(sim: "Simulation", c: Campaign) -> None:
    """Set the campaign to ``run``; the first step follows after ``first_step``."""
    if c.status == RUN:
        return
    if c.status == STOP:
        sim.active += 1
    c.status = RUN
    c.ever_started = True
    if not c.execute:
        c.execute = True
        sim.env.process(campaign_loop(sim, c))


def execute_stop(sim: "Simulation", c: Campaign) -> None:
    """The loop ends: ``stop`` if nothing is in flight, else ``stopping`` until the last call ends."""
    c.execute = False
    if c.live == 0:
        set_stop(sim, c)
    else:
        c.status = STOPPING


def request_stop(sim: "Simulation", c: Campaign) -> None:
    """A user's stop request. VoIPbin waits for live calls; the documented engine hangs them up."""
    if c.status != RUN:
        return
    if not c.execute and c.live == 0:
        set_stop(sim, c)
        return
    c.status = STOPPING
    if sim.stop_hangs_up:
        for cc in sorted(c.calls_live, key=_dial_order):
            if cc.proc is None:
                sim.hangup(cc, CANCEL)  # still ringing, no process: its ring-out is ignored
            elif cc.proc.is_alive and cc.phase in HUNG_UP_BY_STOP:
                cc.proc.interrupt("stop")


def _dial_order(cc: Call) -> float:
    return cc.t_dial


def set_stop(sim: "Simulation", c: Campaign) -> None:
    if c.status == STOP:
        return
    c.status = STOP
    c.end_time = sim.env.now
    nxt = c.next_campaign
    if nxt is not None and sim.chain_next:
        start_campaign(sim, nxt)
    sim.active -= 1
    if sim.active == 0 and not sim.all_stopped.triggered:
        sim.all_stopped.succeed()
