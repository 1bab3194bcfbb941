"""The campaign execute loop (engine.md, "The execute loop"), dialing, and stopping.

One step: status check, head target, capacity check, retry interval, destination, dial. Each
step schedules the next: 1.0 s after ``run``, 0.5 s after a dial, 5.0 s after any wait. The
service-level rule is ``capacity_allows``.
"""

from __future__ import annotations

from functools import partial
from heapq import heappush
from typing import TYPE_CHECKING, Optional

from sim.engine.clock import NORMAL_PRIORITY, put_far
from sim.engine.resources import (
    ALL_DESTINATIONS,
    CANCEL,
    CREATE_FAILED,
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


def may_dial(c: Campaign, page: int) -> bool:
    """The capacity check of a campaign with a queue: its pacing policy (``sim.engine.pacing``,
    D = unanswered calls), or VoIPbin's rule with both counts read a page at most."""
    available = len(c.queue.avail)
    dialing = c.dialing
    pacer = c.pacer
    if pacer is not None:
        return pacer.allows(available, dialing)
    return capacity_allows(c.agent_side, available if available < page else page, c.sl,
                           dialing if dialing < page else page)


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


def first_step(sim: "Simulation", c: Campaign):
    """The loop's start: a process, as in VoIPbin (its start event runs before anything else at
    this time), that waits ``first_step`` and hands over to the chain of ``campaign_step``."""
    latency = sim.step_latency  # engine.timers.step_latency; None: the steps take no time
    yield sim.env.timeout(sim.timers.first_step if latency is None else sim.timers.first_step + latency())
    campaign_step(sim, c)


def stepper(sim: "Simulation", c: Campaign):
    """The callback running one step of ``c``'s loop when a timeout ends (a ``partial``: no
    Python frame of its own)."""
    return partial(campaign_step, sim, c)


def campaign_step(sim: "Simulation", c: Campaign, _timer=None) -> None:
    """One step of the execute loop, run as a timeout's callback; it schedules the next step
    (no process: a generator's resume per step costs more than the step).

    With ``engine.timers.step_latency`` a duration drawn per step is added to the delay before
    the next one (so a step reads the state and acts at its end); without it nothing is drawn.
    """
    if c.status != RUN:
        execute_stop(sim, c)
        return
    timers = sim.timers
    env = sim.env
    target = head_target(c)
    if target is None:
        if c.end_stop:
            execute_stop(sim, c)
            return
        delay = timers.after_wait
    elif c.queue is not None and not may_dial(c, timers.page_size):
        delay = timers.after_wait
    elif target.__class__ is Target and env._now - target.last_change < c.try_interval:
        delay = timers.after_wait  # head-of-line blocking: no skipping
    else:
        dial(sim, c, target)
        if not c.execute:
            return  # the call could not be created: the campaign stops
        delay = timers.after_dial
    latency = sim.step_latency
    if latency is not None:
        delay += latency()
    # sim.engine.clock.after, inlined: this runs once per step
    t = env._now + delay
    if t < env._near_end:
        heappush(env._queue, (t, NORMAL_PRIORITY, next(env._eid), c.step, None))
    else:
        put_far(env, (t, NORMAL_PRIORITY, next(env._eid), c.step, None))


def dial(sim: "Simulation", c: Campaign, head) -> Call:
    """Create the campaigncall, set the target progressing, count the attempt, place the call."""
    now = sim.env._now
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
    if c.type_flow:
        # no call is placed (executeFlow), so an absent destination makes nothing fail
        cc.outcome = FLOW
        if sim.flow_done_on_end:
            cc.proc = sim.env.process(sim.flow_process(cc))
        # else, as coded: nothing ever marks a flow campaigncall done (activeflow_deleted is sent
        # only when an activeflow is deleted), so it and its target stay progressing for good
    elif not target.mask >> dest & 1 or (sim.people.create_u is not None and sim.people.create_u() < sim.people.create_failure):
        # As coded, an absent destination reads back as an empty address, is chosen, and the
        # call cannot be created; any other failure to create it (balance, whitelist, caller
        # id, routes) ends the same way: the campaigncall fails and the campaign stops
        # (bin-campaign-manager pkg/campaignhandler/execute.go, executeCall and Execute).
        cc.outcome = NOT_PLACED if not target.mask >> dest & 1 else CREATE_FAILED
        cc.t_hangup = now
        cc.result = FAIL
        campaigncall_done(sim, cc, False)
        execute_stop(sim, c)
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


def campaigncall_done(sim: "Simulation", cc: Call, success: bool) -> None:
    """The campaigncall is done: the target becomes done (success) or idle again (fail)."""
    c = cc.campaign
    target = cc.target
    target.last_change = sim.env._now
    if success:
        target.status = DONE
        c.n_done += 1
    else:
        # attempts left? The dial chose the first destination with attempts left, so none
        # before it has any: look from the one this call tried on.
        tries, max_try = target.tries, c.max_try
        mask = ALL_DESTINATIONS if c.select_all else target.mask
        d = cc.dest
        while d < N_DESTINATIONS and not (mask >> d & 1 and tries[d] < max_try[d]):
            d += 1
        if d < N_DESTINATIONS:
            target.status = IDLE
            c.retry.append(target)  # its last change is now: the newest, so the deque stays sorted
        elif sim.exhausted_done:
            target.status = DONE
            c.n_done += 1
        else:
            target.status = IDLE  # exhausted targets stay idle; the selection no longer returns them
    # the record keeps the call's plain fields; what only a live call needs can go now (a run
    # keeps every call, so each byte kept is kept once per dial)
    cc.target = cc.proc = cc.wake = cc.key = None
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
        sim.env.process(first_step(sim, c))


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
    c.end_time = sim.env._now
    nxt = c.next_campaign
    if nxt is not None and sim.chain_next:
        start_campaign(sim, nxt)
    sim.active -= 1
    if sim.active == 0 and not sim.all_stopped.triggered:
        sim.all_stopped.succeed()
