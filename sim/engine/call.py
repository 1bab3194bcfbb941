"""A call's life (engine.md, "A call's life"): ring, actions, queue, agent, conversation.

Each answered call is one process (``sim.engine.clock.Proc``: a generator on SimPy's queue, less
SimPy's per-process events). What can be known ahead is drawn at once (the outcome, ring
time, the actions' total time, patience, the agent's answer delay), so a call waits on few
events: ring, actions, queue, agent ring, conversation, the agent's wrap-up.
"""

from __future__ import annotations

from heapq import heappush
from typing import TYPE_CHECKING

import simpy

from sim.engine import queue as queue_mod
from sim.engine.campaign import campaigncall_done
from sim.engine.clock import NORMAL_PRIORITY, Proc, Wake, after, put_far
from sim.engine.resources import (
    A_AMD,
    A_TIME,
    AMD,
    ANSWERED,
    BUSY,
    BUSY_SIGNAL,
    CANCEL,
    FAIL,
    FAILED,
    HUMAN,
    MACHINE,
    NO_ANSWER,
    NORMAL,
    P_ACTIONS,
    P_AFTER,
    P_AGENT_RING,
    P_RING,
    P_STRANDED,
    P_TALK,
    P_WAIT,
    Q_ACTION_LIMIT,
    Q_CONNECTED,
    Q_CUT,
    Q_HANGUP_RINGING,
    Q_HANGUP_STRANDED,
    Q_HANGUP_WAITING,
    Q_WAIT_TIMEOUT,
    R_BUSY,
    R_FAILED,
    R_NOANSWER,
    SUCCESS,
    TIMEOUT,
    UNSET,
    Call,
)

if TYPE_CHECKING:  # pragma: no cover
    from sim.engine.simulation import Simulation

INF = float("inf")
HOUR = 3600.0


def hangup(sim: "Simulation", cc: Call, reason: int) -> None:
    """The call ends with ``reason``; ``normal`` maps to success, every other reason to fail."""
    cc.t_hangup = sim.env._now
    cc.reason = reason
    success = reason == NORMAL
    cc.result = SUCCESS if success else FAIL
    c = cc.campaign
    if cc.counted:
        c.dialing -= 1
        cc.counted = False
    if sim.stop_hangs_up:
        c.calls_live.discard(cc)
    sim.live_calls -= 1
    campaigncall_done(sim, cc, success)


def answered(sim: "Simulation", cc: Call) -> None:
    cc.t_answer = sim.env._now
    if cc.campaign.unanswered_only and cc.counted:
        cc.campaign.dialing -= 1  # documented: D counts calls not yet answered
        cc.counted = False


def run_actions(sim: "Simulation", steps, machine: bool, cc: Call) -> tuple[float, int]:
    """Total time of the campaign's actions for this call, and the hang-up reason if they end it."""
    t = 0.0
    for kind, value, arg in steps:
        if kind == A_TIME:
            t += value
        elif kind == A_AMD:
            people = sim.people
            t += people.amd_detect()
            u = people.amd_u()
            detected = u >= people.amd_fn if machine else u < people.amd_fp
            if detected and arg:
                cc.amd_hangup = True
                return t, AMD
        else:  # hangup action
            return t, arg
    return t, UNSET


def agent_ring_over(sim: "Simulation", agent) -> None:
    """The agent's ring ended unanswered (missed, or the caller hung up)."""
    if sim.requeue:
        queue_mod.agent_available(sim, agent)  # documented: back to available at once
    else:
        delay = agent.reset()  # coded: stuck in ringing until the agent resets its status
        if delay > 0:
            after(sim.env, delay, agent.reset_cb)
        else:
            queue_mod.agent_available(sim, agent)


def place_call(sim: "Simulation", cc: Call) -> None:
    """Dial: draw the called party's outcome. A call nobody answers needs no process: one
    timeout whose callback hangs it up. An answered call runs ``call_process``."""
    env = sim.env
    c = cc.campaign
    t0 = env._now
    d = cc.dest
    people = sim.people
    u = people.outcome_u[d]()
    pm, pb, pf, ph = people.outcome_p[d]
    if people.tod is not None:
        ph *= people.tod[int((people.clock0 + t0) // HOUR) % 24]
    if u < pm:
        outcome = MACHINE
    elif u < pm + pb:
        outcome = BUSY_SIGNAL
    elif u < pm + pb + pf:
        outcome = FAILED
    elif u < pm + pb + pf + ph:
        outcome = HUMAN
    else:
        outcome = NO_ANSWER
    ring_timeout = c.ring_timeout
    ring = 0.0
    if outcome in ANSWERED:
        ring = people.ring_time()
        if ring >= ring_timeout:
            outcome = NO_ANSWER
    cc.outcome = outcome
    if outcome in ANSWERED and ring <= sim.max_call:
        cc.proc = Proc(env, call_process(sim, cc, ring))
        return
    if outcome == NO_ANSWER:
        dt, reason = ring_timeout, R_NOANSWER
    elif outcome == BUSY_SIGNAL:
        dt, reason = people.busy_time(), R_BUSY
    elif outcome == FAILED:
        dt, reason = people.failed_time(), R_FAILED
    else:
        dt, reason = ring, R_NOANSWER
    if dt > sim.max_call:
        dt, reason = sim.max_call, TIMEOUT
    cc.reason = reason  # pending: set for real by hangup
    # sim.engine.clock.after, inlined: this runs for most dials
    t = env._now + dt
    if t < env._near_end:
        heappush(env._queue, (t, NORMAL_PRIORITY, next(env._eid), sim.ring_out, cc))
    else:
        put_far(env, (t, NORMAL_PRIORITY, next(env._eid), sim.ring_out, cc))


def ring_out(sim: "Simulation", cc: Call) -> None:
    """The timer's callback ending an unanswered call (unless a stop request hung it up already)."""
    if cc.result == UNSET:
        hangup(sim, cc, cc.reason)


def call_process(sim: "Simulation", cc, ring: float):
    """An answered call, from the dial: ring, actions, queue, agent, conversation, wrap-up. An
    inbound call (no campaign) runs the same process from its queue on (one generator for both,
    so the campaign calls pay no delegation)."""
    env = sim.env
    c = cc.campaign
    t0 = env._now
    cap = t0 + sim.max_call
    try:
        if c is None:
            # ---- an inbound call: straight into its queue
            queue = cc.queue
            inb = queue.inbound
            machine = False
            person_end = t0 + inb.patience()
            end_call, talk, wait_end = inbound_end, inb.talk, queue.wait_end[0]
        else:
            machine = cc.outcome == MACHINE
            answer_at = t0 + ring
            if c.unanswered_only:
                yield ring
                answered(sim, cc)  # documented: D changes at the answer, so it is an event
            else:
                # as coded nothing happens in the engine at the answer itself: the answer and the
                # actions are one wait (a stop request in between is told apart by the time)
                cc.t_answer = answer_at

            # ---- answered: the campaign's actions
            cc.phase = P_ACTIONS
            person_end = answer_at + sim.people.machine_talk() if machine else INF
            steps = c.steps
            if steps is None:
                t_act, reason = c.action_time, UNSET
            else:
                t_act, reason = run_actions(sim, steps, machine, cc)
            queue = c.call_queue
            end = answer_at + t_act
            if person_end < end:
                end, reason = person_end, NORMAL  # the machine hung up during the flow
            elif reason == UNSET and queue is None:
                reason = NORMAL  # the flow ran out of actions
            if reason != UNSET or end > cap:
                if end > cap:
                    end, reason = cap, TIMEOUT
                yield end - env._now
                hangup(sim, cc, reason)
                return
            if end > env._now:
                yield end - env._now
            if not machine:
                person_end = env._now + sim.people.patience()
            end_call, talk, wait_end = hangup, None, c.wait_end

        # ---- the queue (its wait flow and flow-manager's action cap: sim.engine.waitflow)
        now = env._now
        cc.t_queue = now
        cc.queue = queue
        sim.seq += 1
        cc.key = (now, sim.seq)
        flow_off, fail_off, flow_exit = wait_end
        flow_end = now + flow_off
        forward_fails = now + fail_off
        wt = queue.wait_timeout
        wait_deadline = now + wt if wt > 0 and sim.enforce_wait_timeout else INF
        leave_at = person_end if person_end < cap else cap
        deadline = leave_at if leave_at < wait_deadline else wait_deadline
        if flow_end < deadline:
            deadline = flow_end
        # one deadline timer for the whole visit: a caller put back in the queue keeps it (its
        # callback acts only on a caller who is waiting then)
        timer = deadline < INF
        agent_ring_timeout = sim.agent_ring_timeout
        while True:
            cc.phase = P_WAIT
            if deadline > now:
                cc.wake = ev = Wake()
                queue_mod.join(sim, queue, cc)
                if timer:
                    after(env, deadline - now, sim.queue_deadline, cc)
                    timer = False
                agent = yield ev
            else:
                agent = None
            now = env._now
            if agent is None:
                if now >= cap:
                    cc.queue_exit = Q_CUT
                    end_call(sim, cc, TIMEOUT)
                elif flow_end <= leave_at and flow_end <= wait_deadline:
                    cc.queue_exit = flow_exit  # the activeflow ended: call-manager hangs up, normal
                    end_call(sim, cc, NORMAL)
                elif wait_deadline <= leave_at:
                    cc.queue_exit = Q_WAIT_TIMEOUT  # abandoned by the queue; the flow ends normally
                    end_call(sim, cc, NORMAL)
                else:
                    cc.queue_exit = Q_HANGUP_WAITING
                    end_call(sim, cc, NORMAL)
                return
            if now >= forward_fails:
                # the agent is rung, but forwarding the caller's flow to the bridge is one action
                # beyond flow-manager's cap: the activeflow stops and the call is hung up
                cc.agent = agent.idx
                agent_ring_over(sim, agent)
                cc.queue_exit = Q_ACTION_LIMIT
                end_call(sim, cc, NORMAL)
                return

            # ---- an agent is rung; the queuecall is in service from now
            cc.phase = P_AGENT_RING
            cc.agent = agent.idx
            cc.t_agent_ring = now
            delay = agent.answer_delay()
            missed = delay >= agent_ring_timeout or agent.miss() < agent.miss_p
            if not missed and now + delay < leave_at:
                yield delay
                break
            if missed and cc.t_ring_missed != cc.t_ring_missed:  # NaN: the first missed ring
                cc.t_ring_missed = now
            ring_end = now + agent_ring_timeout
            if leave_at <= ring_end:
                yield leave_at - now
                agent_ring_over(sim, agent)
                cc.queue_exit = Q_CUT if leave_at >= cap else Q_HANGUP_RINGING
                end_call(sim, cc, TIMEOUT if leave_at >= cap else NORMAL)
                return
            yield agent_ring_timeout
            agent_ring_over(sim, agent)
            now = env._now
            if sim.requeue:
                cc.requeues += 1
                continue
            cc.stranded = True  # alone in the bridge, hearing ringing
            cc.phase = P_STRANDED
            yield leave_at - now
            cc.queue_exit = Q_CUT if leave_at >= cap else Q_HANGUP_STRANDED
            end_call(sim, cc, TIMEOUT if leave_at >= cap else NORMAL)
            return

        # ---- conversation
        now = env._now
        cc.phase = P_TALK
        agent.status = BUSY
        cc.t_agent_answer = now
        cc.queue_exit = Q_CONNECTED
        end = now + (agent.talk() if talk is None else talk())
        if machine and person_end < end:
            end = person_end  # a machine stops recording
        reason = NORMAL
        if end > cap:
            end, reason = cap, TIMEOUT
        yield end - now
        end_call(sim, cc, reason)
        cc.phase = P_AFTER
        delay = agent.wrap() + agent.reset() if sim.manual_reset else agent.wrap()
        if delay > 0:
            yield delay
        queue_mod.agent_available(sim, agent)
    except simpy.Interrupt:
        yield from _hung_up_by_stop(sim, cc)


def inbound_end(sim: "Simulation", cc, reason: int) -> None:
    """An inbound call ends (no campaigncall to close)."""
    cc.t_hangup = sim.env._now
    cc.reason = reason


def _hung_up_by_stop(sim: "Simulation", cc: Call):
    """The documented engine hangs up live calls on a stop request."""
    phase = cc.phase
    if phase == P_RING or (phase == P_ACTIONS and sim.env._now < cc.t_answer):
        cc.t_answer = float("nan")  # hung up while still ringing
        hangup(sim, cc, CANCEL)
        return
    if phase == P_WAIT:
        if cc.in_queue:
            queue_mod.leave(cc.queue, cc)
        elif cc.wake.triggered and cc.wake._value is not None:
            agent_ring_over(sim, cc.wake._value)  # assigned this very instant
        cc.queue_exit = Q_CUT
    elif phase == P_AGENT_RING:
        agent_ring_over(sim, sim.agents[cc.agent])
        cc.queue_exit = Q_CUT
    elif phase == P_STRANDED:
        cc.queue_exit = Q_CUT
    hangup(sim, cc, NORMAL)
    if phase == P_TALK:
        cc.phase = P_AFTER
        agent = sim.agents[cc.agent]
        delay = agent.wrap() + agent.reset() if sim.manual_reset else agent.wrap()
        if delay > 0:
            yield delay
        queue_mod.agent_available(sim, agent)


def flow_process(sim: "Simulation", cc: Call):
    """A flow campaigncall: no call; the actions run on their own and end in success."""
    cc.phase = P_ACTIONS
    t = cc.campaign.flow_time
    try:
        if t > 0:
            yield sim.env.timeout(t)
    except simpy.Interrupt:
        pass
    cc.t_hangup = sim.env._now
    cc.reason = NORMAL
    cc.result = SUCCESS
    campaigncall_done(sim, cc, True)


__all__ = ["call_process", "flow_process", "hangup", "inbound_end", "place_call", "ring_out"]
