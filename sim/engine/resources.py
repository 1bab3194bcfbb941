"""The VoIPbin resources as the simulation keeps them: plain slotted objects, no logic.

Status and outcome values are small ints in the hot path; the names are in the tuples below.
"""

from __future__ import annotations

from collections import deque
from typing import Optional

# campaign status
RUN, STOPPING, STOP = 0, 1, 2
CAMPAIGN_STATUS = ("run", "stopping", "stop")

# target status
IDLE, PROGRESSING, DONE = 0, 1, 2
TARGET_STATUS = ("idle", "progressing", "done")

# agent status
OFFLINE, AVAILABLE, RINGING, BUSY = 0, 1, 2, 3
AGENT_STATUS = ("offline", "available", "ringing", "busy")

# called-party outcome of a dial attempt (FLOW: a flow campaigncall, no call placed)
# NOT_PLACED: the destination chosen is absent (see missing_destination): no call is created
HUMAN, MACHINE, BUSY_SIGNAL, FAILED, NO_ANSWER, FLOW, NOT_PLACED = 0, 1, 2, 3, 4, 5, 6
OUTCOMES = ("human", "machine", "busy", "failed", "no_answer", "flow", "not_placed")

# hang-up reasons and what they map to
REASONS = ("normal", "busy", "noanswer", "failed", "cancel", "timeout", "dialout", "amd")
NORMAL, R_BUSY, R_NOANSWER, R_FAILED, CANCEL, TIMEOUT, DIALOUT, AMD = range(8)
SUCCESS, FAIL = 0, 1
RESULTS = ("success", "fail")

# how a call that reached the queue left it
Q_NONE, Q_CONNECTED, Q_HANGUP_WAITING, Q_WAIT_TIMEOUT, Q_HANGUP_RINGING, Q_HANGUP_STRANDED, Q_CUT = range(7)
QUEUE_EXITS = ("", "connected", "hangup_waiting", "wait_timeout", "hangup_agent_ringing", "hangup_stranded", "cut")

# phases of a call, for a stop request that hangs calls up
P_RING, P_ACTIONS, P_WAIT, P_AGENT_RING, P_STRANDED, P_TALK, P_AFTER = range(7)

# compiled action steps
A_TIME, A_AMD, A_HANGUP = 0, 1, 2


class Target:
    __slots__ = ("idx", "mask", "tries", "status", "last_change", "tried")

    def __init__(self, idx: int, mask: int, now: float):
        self.idx = idx
        self.mask = mask
        self.tries = [0, 0, 0, 0, 0]
        self.status = IDLE
        self.last_change = now
        self.tried = False


class Agent:
    __slots__ = (
        "idx", "group", "status", "queues", "on_shift", "avail_since",
        "answer_delay", "miss", "miss_p", "talk", "wrap", "reset", "reset_cb",
    )

    def __init__(self, idx: int, group: int):
        self.idx = idx
        self.group = group
        self.status = OFFLINE
        self.queues: list = []
        self.on_shift = False
        self.avail_since = 0.0


class Queue:
    __slots__ = (
        "idx", "name", "tags", "avail", "waiting", "wait_calls", "running",
        "wait_timeout", "service_timeout", "choose", "step",
    )

    def __init__(self, idx: int, name: str, tags: list[str], wait_timeout: float, service_timeout: float):
        self.idx = idx
        self.name = name
        self.tags = set(tags)
        self.avail: list[int] = []  # available agent indexes, sorted (the page order)
        self.waiting: list[tuple] = []  # (queue entry time, seq), sorted
        self.wait_calls: dict = {}
        self.running = False
        self.wait_timeout = wait_timeout
        self.service_timeout = service_timeout


class Campaign:
    __slots__ = (
        "idx", "name", "type_flow", "sl", "end_stop", "queue", "status", "execute", "dialing", "live",
        "n_targets", "fresh", "masks", "uniform_mask", "usable", "retry", "max_try", "try_interval",
        "ring_timeout", "steps", "next_campaign", "start_at", "stop_at", "end_time", "n_done",
        "calls_live", "ever_started", "action_time", "flow_time", "select_all",
    )

    def __init__(self, idx: int, name: str):
        self.idx = idx
        self.name = name
        self.status = STOP
        self.execute = False
        self.dialing = 0  # D: this campaign's campaigncalls in status dialing (as counted by the switch)
        self.live = 0  # campaigncalls not done (dialing or progressing): what stoppability checks
        self.fresh = 0  # next never-tried target index
        self.retry: deque = deque()  # idle targets tried before, oldest last change first
        self.end_time: Optional[float] = None
        self.n_done = 0
        self.calls_live: set = set()
        self.ever_started = False


class Call:
    """One campaigncall (a dial attempt) and, for call campaigns, the call it placed."""

    __slots__ = (
        "campaign", "target", "dest", "attempt", "t_dial", "outcome", "t_answer", "t_queue",
        "t_agent_ring", "t_agent_answer", "t_hangup", "reason", "result", "agent", "stranded",
        "amd_hangup", "queue_exit", "requeues", "counted", "in_queue", "wake", "key", "phase",
        "proc",
    )

    def __init__(self, campaign, target: Target, dest: int, attempt: int, now: float):
        self.campaign = campaign
        self.target = target
        self.dest = dest
        self.attempt = attempt
        self.t_dial = now
        self.outcome = NO_ANSWER
        nan = float("nan")
        self.t_answer = nan
        self.t_queue = nan
        self.t_agent_ring = nan
        self.t_agent_answer = nan
        self.t_hangup = nan
        self.reason = -1
        self.result = -1
        self.agent = -1
        self.stranded = False
        self.amd_hangup = False
        self.queue_exit = Q_NONE
        self.requeues = 0
        self.counted = False
        self.in_queue = False
        self.phase = P_RING
        self.proc = None
