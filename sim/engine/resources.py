"""The VoIPbin resources as the simulation keeps them: plain slotted objects, no logic.

Statuses and codes are named ``IntEnum`` members (ints in the hot path, names for tables). No
code relies on their numeric order: tests of a kind use ``==`` or a named set (``ANSWERED``),
and names are looked up by member (``labels``), so a member can be added anywhere.
"""

from __future__ import annotations

from collections import deque
from enum import IntEnum
from typing import Optional

N_DESTINATIONS = 5
"""Destinations a target can have (VoIPbin's destination_0..4)."""
ALL_DESTINATIONS = (1 << N_DESTINATIONS) - 1
"""The destination bit mask with every destination present."""
UNSET = -1
"""A code not set yet (a call's reason and result until it ends, its agent until one is rung)."""


class Code(IntEnum):
    """A code with a name users read: the member's name in lower case unless ``_labels`` says otherwise."""

    @property
    def label(self) -> str:
        return self.name.lower()


def labels(codes: type[Code], missing: str = "") -> dict[int, str]:
    """Code value -> name, for decoding a column (``missing`` for UNSET)."""
    return {UNSET: missing, **{int(m): m.label for m in codes}}


class CampaignStatus(Code):
    RUN = 0
    STOPPING = 1
    STOP = 2


class TargetStatus(Code):
    IDLE = 0
    PROGRESSING = 1
    DONE = 2


class AgentStatus(Code):
    OFFLINE = 0
    AVAILABLE = 1
    RINGING = 2
    BUSY = 3


class Outcome(Code):
    """The called party's outcome of a dial attempt."""

    HUMAN = 0
    MACHINE = 1
    BUSY = 2
    FAILED = 3
    NO_ANSWER = 4
    FLOW = 5  # a flow campaigncall: no call placed
    NOT_PLACED = 6  # the destination chosen is absent (see missing_destination): no call is created
    CREATE_FAILED = 7  # creating the call failed (population.create_failure): no call is placed


class Reason(Code):
    """Hang-up reasons (VoIPbin's call hangup_reason) that the model produces."""

    NORMAL = 0
    BUSY = 1
    NOANSWER = 2
    FAILED = 3
    CANCEL = 4
    TIMEOUT = 5
    AMD = 6


class Result(Code):
    SUCCESS = 0
    FAIL = 1


class QueueExit(Code):
    """How a call that reached the queue left it (NONE: it did not reach the queue)."""

    NONE = 0
    CONNECTED = 1
    HANGUP_WAITING = 2
    WAIT_TIMEOUT = 3
    HANGUP_AGENT_RINGING = 4
    HANGUP_STRANDED = 5
    CUT = 6
    # the caller's activeflow ended while they waited (call-manager then hangs up, reason normal):
    NO_WAIT_FLOW = 7  # the queue has no wait flow: its fetch fails at once
    ACTION_LIMIT = 8  # flow-manager's cap of 100 executed actions
    WAIT_FLOW_HANGUP = 9  # a hangup action in the wait flow

    @property
    def label(self) -> str:
        return "" if self is QueueExit.NONE else self.name.lower()


class Phase(Code):
    """Where a call is, for a stop request that hangs calls up."""

    RING = 0
    ACTIONS = 1
    WAIT = 2
    AGENT_RING = 3
    STRANDED = 4
    TALK = 5
    AFTER = 6  # hung up, the agent in wrap-up: nothing left to hang up


class Step(Code):
    """Kinds of compiled action steps."""

    TIME = 0
    AMD = 1
    HANGUP = 2


# Short names for the hot path (module globals: one dict lookup, no enum attribute access).
RUN = CampaignStatus.RUN
STOPPING = CampaignStatus.STOPPING
STOP = CampaignStatus.STOP
IDLE = TargetStatus.IDLE
PROGRESSING = TargetStatus.PROGRESSING
DONE = TargetStatus.DONE
OFFLINE = AgentStatus.OFFLINE
AVAILABLE = AgentStatus.AVAILABLE
RINGING = AgentStatus.RINGING
BUSY = AgentStatus.BUSY
HUMAN = Outcome.HUMAN
MACHINE = Outcome.MACHINE
BUSY_SIGNAL = Outcome.BUSY
FAILED = Outcome.FAILED
NO_ANSWER = Outcome.NO_ANSWER
FLOW = Outcome.FLOW
NOT_PLACED = Outcome.NOT_PLACED
CREATE_FAILED = Outcome.CREATE_FAILED
NORMAL = Reason.NORMAL
R_BUSY = Reason.BUSY
R_NOANSWER = Reason.NOANSWER
R_FAILED = Reason.FAILED
CANCEL = Reason.CANCEL
TIMEOUT = Reason.TIMEOUT
AMD = Reason.AMD
SUCCESS = Result.SUCCESS
FAIL = Result.FAIL
Q_NONE = QueueExit.NONE
Q_CONNECTED = QueueExit.CONNECTED
Q_HANGUP_WAITING = QueueExit.HANGUP_WAITING
Q_WAIT_TIMEOUT = QueueExit.WAIT_TIMEOUT
Q_HANGUP_RINGING = QueueExit.HANGUP_AGENT_RINGING
Q_HANGUP_STRANDED = QueueExit.HANGUP_STRANDED
Q_CUT = QueueExit.CUT
Q_NO_WAIT_FLOW = QueueExit.NO_WAIT_FLOW
Q_ACTION_LIMIT = QueueExit.ACTION_LIMIT
Q_WAIT_FLOW_HANGUP = QueueExit.WAIT_FLOW_HANGUP
P_RING = Phase.RING
P_ACTIONS = Phase.ACTIONS
P_WAIT = Phase.WAIT
P_AGENT_RING = Phase.AGENT_RING
P_STRANDED = Phase.STRANDED
P_TALK = Phase.TALK
P_AFTER = Phase.AFTER
A_TIME = Step.TIME
A_AMD = Step.AMD
A_HANGUP = Step.HANGUP

ANSWERED = frozenset((HUMAN, MACHINE))
"""Outcomes where someone (a person or a machine) answers."""
PLACED = frozenset((HUMAN, MACHINE, BUSY_SIGNAL, FAILED, NO_ANSWER))
"""Outcomes of attempts that placed a call (not flow campaigncalls, not calls never created)."""
HUNG_UP_BY_STOP = frozenset((P_RING, P_ACTIONS, P_WAIT, P_AGENT_RING, P_STRANDED, P_TALK))
"""Phases in which a stop request that hangs calls up interrupts the call."""


class Target:
    __slots__ = ("idx", "mask", "tries", "status", "last_change")

    def __init__(self, idx: int, mask: int, now: float):
        self.idx = idx
        self.mask = mask
        self.tries = [0] * N_DESTINATIONS
        self.status = IDLE
        self.last_change = now


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
        "wait_timeout", "service_timeout", "choose", "step", "wait_steps", "wait_end", "inbound",
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
        self.wait_steps = None  # the compiled wait flow (sim.engine.waitflow)
        self.wait_end: dict = {}  # actions run before the queue_join -> wait_flow_end(...)
        self.inbound = None  # the inbound stream's samplers (sim.engine.inbound), or None


class Campaign:
    __slots__ = (
        "idx", "name", "type_flow", "sl", "end_stop", "queue", "status", "execute", "dialing", "live",
        "n_targets", "fresh", "masks", "uniform_mask", "usable", "retry", "max_try", "try_interval",
        "ring_timeout", "steps", "next_campaign", "start_at", "stop_at", "end_time", "n_done",
        "calls_live", "ever_started", "action_time", "flow_time", "select_all", "step", "call_queue", "wait_end",
        "agent_side", "unanswered_only", "pacer",
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
        self.agent_side = True  # the service-level rule as coded (floor(A*SL/100) > D)
        self.unanswered_only = False  # D counts only calls not yet answered
        self.pacer = None  # a pacing policy other than VoIPbin's rule (sim.engine.pacing)


class Call:
    """One campaigncall (a dial attempt) and, for call campaigns, the call it placed."""

    __slots__ = (
        "campaign", "target", "dest", "attempt", "t_dial", "outcome", "t_answer", "t_queue",
        "t_agent_ring", "t_agent_answer", "t_hangup", "t_ring_missed", "reason", "result", "agent", "stranded",
        "amd_hangup", "queue_exit", "requeues", "counted", "in_queue", "wake", "key", "phase",
        "proc", "target_idx", "queue",
    )

    def __init__(self, campaign, target: Target, dest: int, attempt: int, now: float):
        self.campaign = campaign
        self.target = target
        self.target_idx = target.idx
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
        self.t_ring_missed = nan  # when the first ring the agent let go unanswered began
        self.reason = UNSET
        self.result = UNSET
        self.agent = UNSET
        self.stranded = False
        self.amd_hangup = False
        self.queue_exit = Q_NONE
        self.requeues = 0
        self.counted = False
        self.in_queue = False
        self.phase = P_RING
        self.proc = None


class InboundCall:
    """A customer calling in to a queue (``queues[].inbound``): no campaign, no campaigncall."""

    __slots__ = (
        "queue", "t_queue", "t_agent_ring", "t_agent_answer", "t_hangup", "t_ring_missed", "reason", "agent",
        "queue_exit", "requeues", "stranded", "in_queue", "wake", "key", "phase", "campaign",
    )

    def __init__(self, queue):
        self.queue = queue
        nan = float("nan")
        self.t_queue = nan
        self.t_agent_ring = nan
        self.t_agent_answer = nan
        self.t_hangup = nan
        self.t_ring_missed = nan
        self.reason = UNSET
        self.agent = UNSET
        self.queue_exit = Q_NONE
        self.requeues = 0
        self.stranded = False
        self.in_queue = False
        self.phase = P_WAIT
        self.campaign = None
