"""Abandoned live answers: who is abandoned, on which clock, and why.

Two readings of "abandoned" are counted from the campaigncall records of one run:

- **plain** (``abandoned``): a person answered and the call ended without an agent ever
  talking to them;
- **regulatory** (``abandoned_regulatory``): a person answered and was not talking to an agent
  by the regulators' deadline: the answer plus ``regulatory.greeting`` plus
  ``regulatory.threshold`` (``clock: answer``, the FCC's and Ofcom's reading), or entering the
  queue plus ``threshold`` (``clock: queue``). A call still live at the end of the window whose
  deadline has passed counts; one whose deadline has not passed yet is not known.

Each abandoned answer gets exactly one **cause**, read from the records:

``amd_hangup``
    machine detection took the person for a machine and hung up;
``wait_timeout``
    the queue's ``wait_timeout`` removed the caller (before the deadline, for the regulatory reading);
``actions_before_queue``
    the clock ran out while the campaign's actions played (or the call ended during them);
``stranded``
    an agent's ring that the agent let go unanswered had begun (the caller left alone, or,
    with ``missed_ring: requeue``, put back to wait);
``agent_ringing``
    an agent's phone was ringing (the agent's answer delay);
``wait_flow_end``
    the caller's flow ended while they waited (no wait flow, flow-manager's cap of 100 executed
    actions, a hangup in the wait flow) and call-manager hung up;
``queue_no_agent``
    the caller was waiting in the queue with no agent assigned (more live answers than agents:
    over-dialing).

The moment that decides is the deadline (regulatory) or the hang-up (plain, or a regulatory
abandon that hung up before its deadline): the first two causes take precedence, then the
call's phase at that moment.
"""

from __future__ import annotations

import numpy as np

from sim.registry import CAUSES  # the causes of an abandoned live answer, in the order tables list them

ACTIONS_BEFORE_QUEUE, QUEUE_NO_AGENT, AGENT_RINGING, STRANDED, AMD_HANGUP, WAIT_TIMEOUT, WAIT_FLOW_END = range(len(CAUSES))

PLAIN_COUNTS = tuple(f"abandoned_{c}" for c in CAUSES)
"""Per-run counts of plain abandons by cause (they sum to ``abandoned``)."""
REGULATORY_COUNTS = tuple(f"abandoned_regulatory_{c}" for c in CAUSES)
"""Per-run counts of regulatory abandons by cause (they sum to ``abandoned_regulatory``)."""
COUNTS = PLAIN_COUNTS + REGULATORY_COUNTS

COUNT_OF = {"abandon_rate": "abandoned", "abandon_rate_regulatory": "abandoned_regulatory"}
"""The count whose causes explain each abandon rate."""


def cause_columns(metric: str) -> tuple[str, ...]:
    """The per-cause count columns behind an abandon-rate metric."""
    return PLAIN_COUNTS if metric == "abandon_rate" else REGULATORY_COUNTS


def phase_at(t: np.ndarray, t_queue: np.ndarray, t_first_ring: np.ndarray, t_ring_missed: np.ndarray) -> np.ndarray:
    """What a caller not yet talking to an agent was going through at time ``t`` (a cause code).

    Not yet in the queue: the actions; a missed ring begun: stranded; rung (by a ring the agent
    goes on to answer or the caller leaves): agent ringing; else waiting with no agent.
    """
    out = np.full(len(t), QUEUE_NO_AGENT, np.int8)
    rung = t_first_ring <= t  # NaN compares False
    out[rung] = AGENT_RINGING
    out[t_ring_missed <= t] = STRANDED
    out[np.isnan(t_queue) | (t < t_queue)] = ACTIONS_BEFORE_QUEUE
    return out


def first_ring(t_agent_ring: np.ndarray, t_ring_missed: np.ndarray) -> np.ndarray:
    """When the first agent was rung: the first missed ring if there was one (a later ring can
    follow only a missed one), else the only ring."""
    return np.where(np.isnan(t_ring_missed), t_agent_ring, t_ring_missed)


def classify(
    *,
    t_answer: np.ndarray,
    t_queue: np.ndarray,
    t_agent_ring: np.ndarray,
    t_agent_answer: np.ndarray,
    t_hangup: np.ndarray,
    t_ring_missed: np.ndarray,
    amd_hangup: np.ndarray,
    wait_timeout_exit: np.ndarray,
    human: np.ndarray,
    wait_flow_exit: np.ndarray | None = None,
    window_end: float,
    clock: str,
    allowed: float,
) -> dict[str, np.ndarray]:
    """Per call: plain and regulatory abandon, their causes, and the agent in time.

    ``human`` selects the live answers counted (answered in the window). ``allowed`` is the
    seconds from the clock's start (the answer, or entering the queue) to the deadline.
    Returns boolean columns ``connected``, ``abandoned``, ``in_progress``, ``regulatory``
    (abandoned in the regulators' sense), ``regulatory_known`` (its deadline has passed or the
    call ended), ``within`` (connected by the deadline), and int8 columns ``cause``,
    ``regulatory_cause`` (-1 where not abandoned).
    """
    connected = human & ~np.isnan(t_agent_answer)
    ended_unconnected = human & np.isnan(t_agent_answer) & ~np.isnan(t_hangup)
    in_progress = human & np.isnan(t_agent_answer) & np.isnan(t_hangup)

    # the clock; the elapsed times are compared in this form (elapsed > allowed) so that the
    # queue clock gives, to the last bit, the figures of earlier versions
    start = t_answer if clock == "answer" else t_queue
    with np.errstate(invalid="ignore"):
        late = connected & (t_agent_answer - start > allowed)
        overdue = in_progress & (window_end - start > allowed)  # NaN start (not queued yet): unknown
    regulatory = late | ended_unconnected | overdue
    within = connected & ~late

    ring0 = first_ring(t_agent_ring, t_ring_missed)
    plain_cause = phase_at(t_hangup, t_queue, ring0, t_ring_missed)
    plain_cause[wait_timeout_exit] = WAIT_TIMEOUT
    if wait_flow_exit is not None:
        plain_cause[wait_flow_exit] = WAIT_FLOW_END
    plain_cause[amd_hangup] = AMD_HANGUP
    deadline = start + allowed
    # a caller who hung up unconnected before the deadline (or whose clock never started: the
    # queue clock for a call that never reached the queue) was abandoned the way they left
    left_first = ended_unconnected & ~(t_hangup >= deadline)
    reg_cause = phase_at(deadline, t_queue, ring0, t_ring_missed)
    reg_cause[amd_hangup] = AMD_HANGUP
    reg_cause = np.where(left_first, plain_cause, reg_cause)

    cause = np.where(ended_unconnected, plain_cause, -1).astype(np.int8)
    regulatory_cause = np.where(regulatory, reg_cause, -1).astype(np.int8)
    return {
        "connected": connected,
        "abandoned": ended_unconnected,
        "in_progress": in_progress,
        "regulatory": regulatory,
        "regulatory_known": connected | ended_unconnected | overdue,
        "within": within,
        "cause": cause,
        "regulatory_cause": regulatory_cause,
    }


def cause_counts(cause: np.ndarray, prefix: str) -> dict[str, float]:
    """``{prefix_<cause>: count}`` for every cause, from a column of cause codes (-1: none)."""
    counts = np.bincount(cause[cause >= 0].astype(np.int64), minlength=len(CAUSES))
    return {f"{prefix}_{name}": float(counts[i]) for i, name in enumerate(CAUSES)}


__all__ = ["CAUSES", "COUNTS", "COUNT_OF", "PLAIN_COUNTS", "REGULATORY_COUNTS", "cause_columns", "cause_counts",
           "classify", "phase_at"]
