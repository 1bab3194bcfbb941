"""Inbound calls (``queues[].inbound``): customers calling in to a queue, answered by the same
agents as the campaigns (a blended centre).

Each queue with an inbound stream gets a Poisson arrival process: exponential gaps at the
stream's highest rate, thinned to the clock hour's rate when a ``time_of_day`` curve is given
(Lewis-Shedler thinning; without a curve nothing is thinned). Each arrival runs
``call.call_process`` from the queue on: the same queue loop, wait flow, wait timeout, agent
ring, conversation and wrap-up as a campaign's call, with the stream's own patience and talk
time. The arrivals are a chain of timeout callbacks, not a process.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from sim.engine import call as call_mod
from sim.engine.clock import Proc, after
from sim.engine.resources import InboundCall
from sim.world.distributions import Exponential

if TYPE_CHECKING:  # pragma: no cover
    from sim.engine.simulation import Simulation

HOUR = 3600.0


class InboundStream:
    """One queue's inbound stream: its samplers and arrival-rate curve."""

    __slots__ = ("queue", "patience", "talk", "gap", "thin", "tod", "top", "clock0", "arrive")


def build_inbound(sim: "Simulation", queues, models, streams) -> int:
    """Attach an ``InboundStream`` to each queue that has one and schedule its first arrival.
    Returns the number of streams (the run then lasts to the horizon)."""
    n = 0
    for q, qm in zip(queues, models):
        inb = qm.inbound
        if inb is None:
            continue
        n += 1
        s = InboundStream()
        s.queue = q
        s.patience = streams.sampler(f"inbound.{qm.name}.patience", inb.patience)
        s.talk = streams.sampler(f"inbound.{qm.name}.talk_time", inb.talk_time)
        q.inbound = s
        rate = inb.arrivals_per_hour / HOUR
        tod = inb.time_of_day
        s.tod = list(tod.multipliers) if tod is not None else None
        s.clock0 = tod.clock_start if tod is not None else 0.0
        s.top = max(s.tod) if s.tod is not None else 1.0
        top_rate = rate * s.top
        if top_rate <= 0:
            continue  # no arrivals ever
        s.gap = streams.sampler(f"inbound.{qm.name}.arrivals", Exponential(dist="exponential", mean=1.0 / top_rate))
        s.thin = streams.uniform(f"inbound.{qm.name}.thinning") if s.tod is not None and min(s.tod) < s.top else None
        s.arrive = _arrival(sim, s)
        after(sim.env, s.gap(), s.arrive)
    return n


def _arrival(sim: "Simulation", s: InboundStream):
    env = sim.env
    q = s.queue
    calls = sim.inbound_calls

    def arrive(_ev):
        thin = s.thin
        if thin is None or thin() * s.top < s.tod[int((s.clock0 + env._now) // HOUR) % 24]:
            cc = InboundCall(q)
            calls.append(cc)
            Proc(env, call_mod.call_process(sim, cc, 0.0))
        after(env, s.gap(), arrive)

    return arrive


__all__ = ["InboundStream", "build_inbound"]
