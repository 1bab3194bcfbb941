"""The queue's wait flow and flow-manager's cap on executed actions (docs/engine.md, "The wait flow").

As coded, ``queue_join`` pushes three actions on the call's activeflow: ``fetch_flow`` (the
queue's wait flow), ``empty`` (looping back to the fetch) and ``confbridge_join`` (reached only
when the queue forwards the flow to an agent). So a waiting caller's activeflow runs
``fetch_flow, a1..am, empty, fetch_flow, a1..am, empty, ...`` and every action counts towards
flow-manager's cap: the 101st executed action is the last one (``updateNextAction`` refuses the
next once ``execute_count > 100``), the activeflow stops, and call-manager hangs the call up
with reason ``normal``. Without a wait flow the fetch fails at once, with the same end.

Everything here is computed once per (queue, actions run before the queue_join), never per call.
"""

from __future__ import annotations

from sim.engine.resources import Q_ACTION_LIMIT, Q_NO_WAIT_FLOW, Q_WAIT_FLOW_HANGUP

INF = float("inf")
MAX_EXECUTED = 100
"""flow-manager's ``maxActiveFlowExecuteCount``: an action is run while the count before it is at most this."""


def compile_wait_flow(wait_flow, speech_rate_wps: float):
    """A queue's ``wait_flow`` -> a list of (duration, is_hangup) per action, or None for ``none`` (null)."""
    if wait_flow is None or wait_flow == "none":
        return None
    steps = []
    for a in wait_flow:
        opt = a.option
        if a.type == "talk":
            dur = opt.duration if opt.duration is not None else len((opt.text or "").split()) / speech_rate_wps
        elif a.type in ("play", "sleep"):
            dur = float(opt.duration or 0.0)
        else:
            dur = 0.0
        steps.append((float(dur), a.type == "hangup"))
    return steps


def wait_flow_end(steps, n_before: int) -> tuple[float, float, int]:
    """When a caller's activeflow ends while they wait, as offsets from entering the queue.

    ``n_before``: actions the activeflow executed before the ``queue_join`` (the campaign's
    actions; 0 for an inbound call). Returns ``(end, forward_fails_from, exit)``: the flow ends
    ``end`` s after the caller joined; from ``forward_fails_from`` on the caller is on the last
    action the cap allows, so a queue forwarding them to an agent fails too; ``exit`` is how the
    caller leaves the queue then.
    """
    if steps is None:
        return 0.0, 0.0, Q_NO_WAIT_FLOW  # the wait flow fetch fails: the activeflow stops at once
    last = MAX_EXECUTED + 1  # number of the last action that runs
    k = n_before + 1  # the queue_join itself
    t = 0.0
    while True:
        k += 1  # fetch_flow
        if k > last:
            return t, t, Q_ACTION_LIMIT
        for dur, is_hangup in steps:
            k += 1
            if k > last:
                return t, t, Q_ACTION_LIMIT
            if is_hangup:
                return t, t, Q_WAIT_FLOW_HANGUP
            if k == last:
                return t + dur, t, Q_ACTION_LIMIT
            t += dur
        k += 1  # empty, looping back to fetch_flow
        if k > last:
            return t, t, Q_ACTION_LIMIT


__all__ = ["MAX_EXECUTED", "compile_wait_flow", "wait_flow_end"]
