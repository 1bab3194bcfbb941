"""The queue, its loop and the agents' availability (engine.md, "A call's life", 3).

The loop sleeps while nobody waits, wakes ``queue_step`` after a caller starts waiting, then
runs every ``queue_step`` while someone waits (``queue_idle_step`` while no agent is
available). Each step takes one waiting queuecall (the newest, as coded) and a uniformly random
available agent among the first page (newest-created agents first), and rings that agent.
"""

from __future__ import annotations

from bisect import bisect_left, insort
from typing import TYPE_CHECKING

from sim.engine.clock import NORMAL_PRIORITY, after, put, trigger
from sim.engine.resources import AVAILABLE, OFFLINE, RINGING, Agent, Call, Queue

if TYPE_CHECKING:  # pragma: no cover
    from sim.engine.simulation import Simulation


def agent_available(sim: "Simulation", agent: Agent) -> None:
    """The agent sets itself available (or goes offline, if its shift is over)."""
    if not agent.on_shift:
        agent.status = OFFLINE
        return
    agent.status = AVAILABLE
    agent.avail_since = sim.env._now
    idx = agent.idx
    for q in agent.queues:
        avail = q.avail
        if not avail or avail[-1] < idx:
            avail.append(idx)
        else:
            insort(avail, idx)


def agent_unavailable(sim: "Simulation", agent: Agent, status: int, by_call: bool) -> None:
    """The agent leaves ``available`` (rung by a queue, or logged off)."""
    agent.status = status
    idx = agent.idx
    for q in agent.queues:
        avail = q.avail
        del avail[bisect_left(avail, idx)]
    sim.spell_start.append(agent.avail_since)
    sim.spell_end.append(sim.env._now)
    sim.spell_by_call.append(by_call)
    sim.spell_agent.append(idx)


def join(sim: "Simulation", q: Queue, cc: Call) -> None:
    """The queuecall starts waiting; the queue loop is started if it was asleep."""
    key = cc.key
    waiting = q.waiting
    if not waiting or waiting[-1] < key:
        waiting.append(key)
    else:
        insort(waiting, key)  # a caller put back keeps its place by entry time
    q.wait_calls[key] = cc
    cc.in_queue = True
    if not q.running:
        q.running = True
        after(sim.env, sim.timers.queue_step, q.step)


def leave(q: Queue, cc: Call) -> None:
    """A waiting queuecall leaves without an agent (hang-up, wait timeout, cut)."""
    key = cc.key
    waiting = q.waiting
    del waiting[bisect_left(waiting, key)]
    del q.wait_calls[key]
    cc.in_queue = False


def queue_step(sim: "Simulation", q: Queue, _timer=None) -> None:
    """One step of the queue loop, run as a timer's callback (no process: the loop is a chain
    of steps, each scheduling the next, as in the queue service)."""
    waiting = q.waiting
    if not waiting:
        q.running = False  # nobody waits: the loop stops until the next caller
        return
    avail = q.avail
    env = sim.env
    if not avail:
        delay = sim.timers.queue_idle_step
    else:
        key = waiting.pop() if sim.newest_first else waiting.pop(0)
        cc = q.wait_calls.pop(key)
        cc.in_queue = False
        # the agent list comes newest-created first (tm_create DESC), one page of at most
        # page_size: with more agents available, only the newest page is ever rung
        n = len(avail)
        page = sim.timers.page_size
        m = n if n < page else page
        agent = sim.agents[avail[n - m + int(q.choose() * m)]]
        agent_unavailable(sim, agent, RINGING, True)
        trigger(env, cc.wake, agent)
        delay = sim.timers.queue_step
    # sim.engine.clock.after, inlined: this runs once per step
    put(env, (env._now + delay, NORMAL_PRIORITY, next(env._eid), q.step, None))
