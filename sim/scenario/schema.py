"""The scenario models: one campaign set-up and the experiment to run on it.

Field names follow the scenario contract (docs/scenarios.md is generated from them) and VoIPbin's API.
Models are plain pydantic data: picklable, so every executor can carry them.
"""

from __future__ import annotations

import difflib
from dataclasses import make_dataclass
from typing import Annotated, Literal, Optional, Union

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, create_model, field_validator, model_validator

from sim.scenario.types import Duration, Number, PositiveDuration, Probability, Rate, ServiceLevel
from sim.units import DURATION_HELP, parse_duration
from sim.world.distributions import Distribution, constant

MAX_TARGETS = 10_000_000
MAX_AGENTS = 100_000
MAX_HORIZON = 31 * 86400.0
MAX_REPLICATIONS = 10_000
MAX_SERVICE_LEVELS = 500

HANGUP_REASONS = ("normal", "busy", "noanswer", "failed", "cancel", "timeout", "dialout", "amd")


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=False, populate_by_name=True)


# --------------------------------------------------------------------------- engine


MIN_STEP = 0.001
"""The shortest step of the engine's loops (1 ms): a loop that wakes up more often never ends."""
MAX_LOOP_STEPS = 30_000_000
"""A loop of the engine wakes up at most this many times over the horizon (``horizon / step``)."""
MAX_INTERVALS = 100_000
"""Time-series intervals in one run at most (``horizon / timeseries_interval``)."""


def _step_help(what: str) -> str:
    return (f"{DURATION_HELP}; {what}; at least {MIN_STEP * 1000:g}ms and at least the horizon / {MAX_LOOP_STEPS:,} "
            f"(the loop wakes up once a step, so a shorter step makes a run that never ends)")


StepDuration = Annotated[float, BeforeValidator(parse_duration), Field(ge=MIN_STEP)]
"""A step of one of the engine's loops: 1 ms or more (and horizon / step at most MAX_LOOP_STEPS)."""


class Timers(_Model):
    """The engine's timers; defaults are VoIPbin's constants (engine.md)."""

    first_step: Duration = 1.0
    # the loops' steps must advance time, or a loop would never end
    after_dial: StepDuration = Field(0.5, description=_step_help("the campaign loop's wait after a dial"))
    after_wait: StepDuration = Field(5.0, description=_step_help("the campaign loop's wait when it dials nothing"))
    queue_step: StepDuration = Field(0.1, description=_step_help("the queue loop's step while someone waits"))
    queue_idle_step: StepDuration = Field(
        1.0, description=_step_help("the queue loop's step while someone waits and no agent is available"))
    ring_timeout: Duration = 60.0
    max_call: Duration = 3600.0
    page_size: Annotated[int, Field(ge=1, le=1_000_000, strict=True)] = 100
    step_latency: Distribution = Field(default_factory=lambda: constant(0.0))
    """The execute step's own duration (its service calls and the query over the whole target table),
    drawn each step and added to first_step, after_dial and after_wait; 0 by default."""


SWITCHES: dict[str, tuple[str, str]] = {
    # switch: (voipbin value, documented value). Each switch is declared here and nowhere else
    # in the scenario: ``Engine`` (the YAML's ``engine:`` block) and ``Semantics`` are built
    # from this table. Adding a switch: one line here, and the engine code that acts on it.
    "service_level_rule": ("agent_side", "dialing_side"),
    "dialing_count": ("live_calls", "unanswered_calls"),
    "queue_order": ("newest_first", "oldest_first"),
    "missed_ring": ("strand", "requeue"),
    "agent_after_call": ("manual_reset", "auto_available"),
    "ring_timeout_source": ("fixed", "outplan"),
    "exhausted_target": ("idle", "done"),
    "stop_request": ("wait", "hangup"),
    "next_campaign": ("ignore", "start"),
    # Found in VoIPbin's code, beyond the documentation (docs/engine.md, "Where VoIPbin's code and its documentation differ"):
    "flow_campaigncall": ("never_done", "done_on_end"),
    "missing_destination": ("dial", "skip"),
    # Second round (issue 11): the wait timeout's flow-stack pop fails while the wait flow plays
    "wait_timeout": ("as_coded", "enforced"),
}

PROFILES = ("voipbin", "documented")
"""The two columns of ``SWITCHES``: VoIPbin as coded, and as documented."""


Semantics = make_dataclass(
    "Semantics", [(name, str) for name in SWITCHES] + [("timers", Timers)], frozen=True
)
Semantics.__module__ = __name__  # picklable by name, like a class written out here
Semantics.__doc__ = """Every switch resolved to one value (an attribute per switch in ``SWITCHES``), plus the timers."""


class _EngineBase(_Model):
    def semantics(self) -> Semantics:
        column = PROFILES.index(self.profile)
        values = {
            name: getattr(self, name) if getattr(self, name) is not None else pair[column]
            for name, pair in SWITCHES.items()
        }
        return Semantics(timers=self.timers, **values)


PACING_POLICIES = ("voipbin", "documented", "progressive", "ratio", "adaptive", "predictive")


class Pacing(_Model):
    """How many calls a campaign may have in flight (docs/engine.md, "Pacing policies").

    ``policy`` unset: VoIPbin's service-level rule as the ``service_level_rule`` switch says.
    ``voipbin`` / ``documented``: that rule as coded / as documented, whatever the switch.
    The others are the dialers the industry runs, each with one knob: ``ratio`` its ``level``,
    ``adaptive`` and ``predictive`` their ``target``.
    """

    policy: Optional[Literal[PACING_POLICIES]] = Field(  # type: ignore[valid-type]
        default=None, description="voipbin, documented, progressive, ratio, adaptive or predictive; "
        "null: VoIPbin's rule as the service_level_rule switch says")
    level: Optional[Annotated[float, Field(gt=0, le=1000, allow_inf_nan=False)]] = Field(
        default=None, description="ratio: unanswered calls per available agent; adaptive: the starting level")
    target: Optional[Probability] = Field(
        default=None, description="adaptive: the drop rate to hold; predictive: the largest chance of more "
        "live answers than agents free within a ring time")
    min_level: Annotated[float, Field(gt=0, le=1000, allow_inf_nan=False)] = Field(
        default=1.0, description="adaptive: the lowest level")
    max_level: Annotated[float, Field(gt=0, le=1000, allow_inf_nan=False)] = Field(
        default=5.0, description="adaptive: the highest level")
    step: Annotated[float, Field(gt=0, le=1000, allow_inf_nan=False)] = Field(
        default=0.1, description="adaptive: how far the level moves at each update")
    interval: Annotated[PositiveDuration, Field(ge=1.0)] = Field(
        default=30.0, description="how often the adaptive level and the predictive estimates are updated (at least 1 s)")
    window: PositiveDuration = Field(default=1800.0, description="adaptive: the moving window of the measured drop rate")
    min_answers: Annotated[int, Field(ge=1, le=1_000_000, strict=True)] = Field(
        default=20, description="adaptive: live answers in the window before a drop rate is trusted")
    drop: Literal["regulatory", "abandon"] = Field(
        default="regulatory", description="adaptive: what counts as a drop: not connected to an agent within the "
        "regulatory deadline (regulatory) or never connected (abandon)")
    prior_answer_rate: Probability = Field(
        default=0.2, description="predictive: the live-answer rate assumed before calls end")
    prior_ring_time: PositiveDuration = Field(
        default=15.0, description="predictive: the time from dial to answer assumed before calls are answered")
    prior_handle_time: PositiveDuration = Field(
        default=180.0, description="predictive: the conversation length assumed before conversations end")
    prior_weight: Annotated[float, Field(ge=0, le=1e6, allow_inf_nan=False)] = Field(
        default=20.0, description="predictive: how many observations the assumptions count for")

    @model_validator(mode="after")
    def _knob(self):
        if self.policy == "ratio" and self.level is None:
            raise ValueError("the ratio policy needs level (unanswered calls per available agent, e.g. 1.5)")
        if self.policy in ("adaptive", "predictive") and self.target is None:
            raise ValueError(f"the {self.policy} policy needs target (a rate from 0 to 1, e.g. 0.03)")
        if self.min_level > self.max_level:
            raise ValueError(f"min_level {self.min_level:g} is above max_level {self.max_level:g}")
        return self


# The ``engine:`` block: the profile, one optional field per switch (null: the profile's value),
# the timers; in this order (the order of ``scenario.resolved.yaml``).
Engine = create_model(
    "Engine",
    __base__=_EngineBase,
    __module__=__name__,
    profile=(Literal[PROFILES], "voipbin"),  # type: ignore[valid-type]
    **{name: (Optional[Literal[pair]], None) for name, pair in SWITCHES.items()},  # type: ignore[valid-type]
    timers=(Timers, Field(default_factory=Timers)),
    pacing=(Pacing, Field(default_factory=Pacing, description="the pacing policy of every campaign that sets none "
                          "(docs/engine.md, \"Pacing policies\")")),
)


# --------------------------------------------------------------------------- campaign


class ActionOption(BaseModel):
    """VoIPbin action options; the ones that take time in the model are typed, others kept."""

    model_config = ConfigDict(extra="allow")

    text: Optional[str] = None
    language: Optional[str] = None
    duration: Optional[Duration] = None
    machine_handle: Optional[Literal["hangup", "continue"]] = None
    reason: Optional[Literal[HANGUP_REASONS]] = None  # type: ignore[valid-type]
    queue_id: Optional[str] = None


TIMED_ACTIONS = ("talk", "play", "sleep", "amd", "hangup", "queue_join")
ZERO_TIME_ACTIONS = (
    "answer", "beep", "case_create", "conversation_send", "digits_send", "email_send", "empty", "external_media_start",
    "external_media_stop", "message_send", "mute", "recording_start", "recording_stop", "transcribe_recording",
    "transcribe_start", "transcribe_stop", "variable_set", "webhook_send", "ai_summary",
)
"""VoIPbin action types the model runs as taking no time and changing nothing on the call (each still
counts as one executed action towards flow-manager's cap of 100; bin-flow-manager ``models/action``)."""
OTHER_ACTIONS = ZERO_TIME_ACTIONS  # the old name
UNSIMULATED_ACTIONS = {
    "branch": "branching on input", "goto": "jumps inside a flow", "condition_call_digits": "branching on input",
    "condition_call_status": "branching on the call status", "condition_datetime": "branching on the clock",
    "condition_variable": "branching on variables", "call": "further calls", "connect": "further call legs",
    "confbridge_join": "conference bridges", "conference_join": "conferences", "digits_receive": "DTMF input",
    "echo": "echo tests", "stream_echo": "echo tests", "fetch": "flows fetched from a server",
    "fetch_flow": "flows fetched from other flows", "stop": "stopping the flow",
    "chatbot_talk": "chatbot conversations", "ai_talk": "AI conversations", "ai_task": "AI tasks",
    "block": "flows blocked until an API call",
}
"""VoIPbin action types the model does not simulate: refused at validation (never accepted and dropped)."""
_OPTION_FIELDS = ("text", "language", "duration", "machine_handle", "reason", "queue_id")


def _unsimulated(kind: str) -> str:
    return (
        f"action type {kind!r} is not simulated: the model has no {UNSIMULATED_ACTIONS[kind]}; it simulates "
        f"{', '.join(TIMED_ACTIONS)} and, as taking no time, {', '.join(ZERO_TIME_ACTIONS)}; remove it or put a "
        "timed action (talk, play, sleep) of the same length in its place"
    )


class Action(_Model):
    type: Annotated[str, Field(min_length=1, max_length=64)]
    option: ActionOption = Field(default_factory=ActionOption)

    @model_validator(mode="after")
    def _options_for_type(self):
        if self.type in UNSIMULATED_ACTIONS:
            raise ValueError(_unsimulated(self.type))
        if self.type not in TIMED_ACTIONS and self.type not in ZERO_TIME_ACTIONS:
            known = TIMED_ACTIONS + ZERO_TIME_ACTIONS + tuple(UNSIMULATED_ACTIONS)
            close = difflib.get_close_matches(self.type.lower(), known, n=1, cutoff=0.75)
            hint = f"; did you mean {close[0]!r}?" if close else f"; expected one of {', '.join(TIMED_ACTIONS + ZERO_TIME_ACTIONS)}"
            raise ValueError(f"unknown action type {self.type!r}{hint}")
        for key in self.option.model_extra or {}:
            close = difflib.get_close_matches(str(key), _OPTION_FIELDS, n=1, cutoff=0.75)
            if close and getattr(self.option, close[0]) is None:
                raise ValueError(f"unknown option {key!r}; did you mean {close[0]!r}?")
        if self.type in ("play", "sleep") and self.option.duration is None:
            raise ValueError(f"expected option.duration (its length) in a {self.type} action")
        if self.type == "talk" and self.option.duration is None and not self.option.text:
            raise ValueError("expected option.text (spoken at population.speech_rate_wps) or option.duration in a talk action")
        if self.type == "queue_join" and not self.option.queue_id:
            raise ValueError("expected option.queue_id (the name of one of the queues) in a queue_join action")
        return self


def _none_wait_flow(value: object) -> object:
    """``none`` (VoIPbin's queue without a wait flow) is kept as null."""
    return None if value == "none" else value


def _default_wait_flow() -> list:
    return [{"type": "play", "option": {"duration": "30s"}}]


class Campaign(_Model):
    name: Annotated[str, Field(min_length=1, max_length=200)]
    type: Literal["call", "flow"] = "call"
    service_level: ServiceLevel = 100
    end_handle: Literal["stop", "continue"] = "stop"
    outplan: str = Field(description="the name of one of the outplans")
    outdial: str = Field(description="the name of one of the outdials, used by no other campaign")
    queue: Optional[str] = Field(default=None, description="the name of one of the queues, or null")
    next_campaign: Optional[str] = Field(default=None, description="the name of another campaign, or null")
    start_at: Optional[Duration] = 0.0
    """When the campaign is set to ``run``; ``null``: only a ``next_campaign`` chain starts it."""
    stop_at: Optional[Duration] = None
    """When a user asks the campaign to stop (``null``: never)."""
    actions: Annotated[list[Action], Field(max_length=1000)] = Field(default_factory=list)
    pacing: Optional[Pacing] = Field(default=None, description="this campaign's pacing policy; null: engine.pacing")


class Outplan(_Model):
    name: Annotated[str, Field(min_length=1, max_length=200)]
    try_interval: Duration = 0.0
    max_try_count: Annotated[
        list[Annotated[int, Field(ge=0, le=1000, strict=True)]], Field(min_length=1, max_length=5)
    ]
    dial_timeout: Duration = 60.0
    source: Optional[str] = None

    @field_validator("max_try_count")
    @classmethod
    def _pad(cls, v: list[int]) -> list[int]:
        return list(v) + [0] * (5 - len(v))


class Outdial(_Model):
    name: Annotated[str, Field(min_length=1, max_length=200)]
    targets: Union[int, str]
    """A count of targets, or the path of a CSV file with columns destination_0..4."""
    destinations: Annotated[int, Field(ge=1, le=5, strict=True)] = 1
    """Destinations per target when ``targets`` is a count."""

    @field_validator("targets", mode="before")
    @classmethod
    def _count_or_path(cls, v: object) -> object:
        if isinstance(v, bool) or not isinstance(v, (int, str)) or (isinstance(v, str) and not v.strip()):
            raise ValueError("expected a count of targets or the path of a CSV file with columns destination_0..4")
        if isinstance(v, int) and not 0 <= v <= MAX_TARGETS:
            raise ValueError(f"expected a count of targets from 0 to {MAX_TARGETS:,}")
        return v.strip() if isinstance(v, str) else v


class TimeOfDay(_Model):
    """A multiplier on human answers by clock hour; what it takes away goes to no answer."""

    clock_start: Duration = 9 * 3600.0
    """Clock time of day at simulated time 0."""
    multipliers: Annotated[list[Annotated[Number, Field(ge=0)]], Field(min_length=24, max_length=24)]


class ArrivalTimeOfDay(TimeOfDay):
    """A multiplier on an inbound stream's arrival rate by clock hour."""


class Inbound(_Model):
    """Customers calling in to a queue: a Poisson stream on the same agents as the campaigns."""

    arrivals_per_hour: Annotated[Number, Field(ge=0, le=1_000_000)]
    """Mean arrivals per hour (Poisson), times time_of_day's multiplier of the clock hour."""
    time_of_day: Optional[ArrivalTimeOfDay] = None
    """A multiplier on the arrival rate by clock hour (clock_start, 24 multipliers); null: none."""
    patience: Distribution
    """How long a caller waits for an agent to answer before hanging up, from entering the queue."""
    talk_time: Distribution
    """The length of an inbound conversation with an agent."""


class Queue(_Model):
    name: Annotated[str, Field(min_length=1, max_length=200)]
    tags: Annotated[list[str], Field(max_length=1000)] = Field(default_factory=list)
    routing_method: Literal["random"] = "random"
    wait_timeout: Duration = 0.0
    service_timeout: Duration = 0.0
    wait_flow: Annotated[Optional[Annotated[list[Action], Field(max_length=1000)]], BeforeValidator(_none_wait_flow)] = Field(
        default_factory=_default_wait_flow,
        validate_default=True,
        description="a list of actions played in a loop while a caller waits (as a campaign's actions: talk, play, "
        "sleep, hangup and the no-time types; default one play of 30 s), or none (a queue without a wait flow: as "
        "coded the caller is hung up as soon as they join)",
    )
    """Either way flow-manager ends an activeflow after 100 executed actions, which ends a long wait."""
    inbound: Optional[Inbound] = None
    """An inbound call stream into this queue (customers calling in, on the same agents), or null."""

    @field_validator("wait_flow")
    @classmethod
    def _wait_flow_actions(cls, v):
        if isinstance(v, list):
            for i, a in enumerate(v):
                if a.type in ("queue_join", "amd"):
                    raise ValueError(
                        f"wait_flow[{i}]: a {a.type} action in a queue's wait flow is not simulated; "
                        "a wait flow may hold talk, play, sleep, hangup and the no-time action types")
        return v


class Shift(_Model):
    start: Duration = 0.0
    end: Optional[Duration] = None
    """``null``: until the horizon."""

    @model_validator(mode="after")
    def _ordered(self):
        if self.end is not None and self.end < self.start:
            raise ValueError(f"expected a shift that ends at or after its start; it starts at {self.start:g}s and ends at {self.end:g}s")
        return self


class AgentGroup(_Model):
    name: Annotated[str, Field(min_length=1, max_length=200)]
    count: Annotated[int, Field(ge=0, le=MAX_AGENTS, strict=True)]
    tags: Annotated[list[str], Field(max_length=1000)] = Field(default_factory=list)
    shift: Shift = Field(default_factory=Shift)
    answer_delay: Distribution = Field(default_factory=lambda: constant(0.0))
    miss_probability: Probability = 0.0
    talk_time: Distribution
    wrap_up: Distribution = Field(default_factory=lambda: constant(0.0))
    status_reset: Distribution = Field(default_factory=lambda: constant(0.0))


# --------------------------------------------------------------------------- population


OUTCOMES = ("human", "machine", "busy", "failed", "no_answer")


class OutcomeMix(_Model):
    human: Probability = 0.0
    machine: Probability = 0.0
    busy: Probability = 0.0
    failed: Probability = 0.0
    no_answer: Probability = 0.0

    @model_validator(mode="after")
    def _sums_to_one(self):
        total = sum(getattr(self, k) for k in OUTCOMES)
        if abs(total - 1.0) > 1e-6:
            raise ValueError(f"expected outcome probabilities (human, machine, busy, failed, no_answer) that sum to 1; they sum to {total:.6g}")
        return self


class Amd(_Model):
    detect_time: Distribution = Field(default_factory=lambda: constant(3.0))
    false_positive: Probability = 0.0
    false_negative: Probability = 0.0


class Population(_Model):
    outcome: Annotated[list[OutcomeMix], Field(min_length=1, max_length=5)]
    """Per destination index; a destination beyond the list uses the last entry."""
    time_of_day: Optional[TimeOfDay] = None
    ring_time: Distribution = Field(default_factory=lambda: constant(10.0))
    busy_time: Distribution = Field(default_factory=lambda: constant(3.0))
    failed_time: Distribution = Field(default_factory=lambda: constant(2.0))
    patience: Distribution = Field(default_factory=lambda: constant(30.0))
    machine_talk_time: Distribution = Field(default_factory=lambda: constant(20.0))
    amd: Amd = Field(default_factory=Amd)
    speech_rate_wps: Annotated[Number, Field(gt=0, le=100)] = 2.5
    create_failure: Probability = 0.0
    """Probability that creating a dialled call fails (balance, destination whitelist, caller id, routes):
    the campaigncall fails and the campaign stops, as for an absent destination."""

    @model_validator(mode="after")
    def _time_of_day_fits(self):
        if self.time_of_day is not None:
            top = max(self.time_of_day.multipliers)
            for i, mix in enumerate(self.outcome):
                if mix.human * top > mix.human + mix.no_answer + 1e-9:
                    raise ValueError(
                        f"time_of_day multiplier {top:g} lifts outcome[{i}].human ({mix.human:g}) above "
                        f"human + no_answer ({mix.human + mix.no_answer:g}); lower the multiplier"
                    )
        return self


# --------------------------------------------------------------------------- regulation


class Regulatory(_Model):
    """The regulators' clock and cap (FCC 47 CFR 64.1200(a)(7), FTC TSR 310.4(b)(4), Ofcom 2008-2017).

    A live answer is abandoned, in the regulators' sense, when the person is not talking to an
    agent within ``threshold`` of their completed greeting: with ``clock: answer`` (the rule's
    reading) the deadline is the answer plus ``greeting`` plus ``threshold``, so the campaign's
    actions, the queue loop's steps and the agent's answer delay all count against it;
    ``clock: queue`` counts ``threshold`` from entering the queue instead (a vendor's reading,
    and the simulator's in earlier versions). ``max_abandon`` is the cap on the share of live answers
    abandoned (3 %), which the verdict of a sweep checks.
    """

    threshold: Duration = 2.0
    greeting: Duration = 1.0
    clock: Literal["answer", "queue"] = "answer"
    max_abandon: Rate = Field(default=0.03, description="a share from 0 to 1 (0.03) or a percentage (3%)")

    def allowed(self) -> float:
        """Seconds from the clock's start to the deadline."""
        return self.greeting + self.threshold if self.clock == "answer" else self.threshold


# --------------------------------------------------------------------------- scenario


class Scenario(_Model):
    name: Annotated[str, Field(min_length=1, max_length=200)]
    description: str = ""
    seed: Annotated[int, Field(ge=0, lt=2**63, strict=True)] = 0
    horizon: Duration
    warmup: Duration = 0.0
    replications: Annotated[int, Field(ge=1, le=MAX_REPLICATIONS, strict=True)] = 10
    service_levels: Optional[Annotated[list[ServiceLevel], Field(min_length=1, max_length=MAX_SERVICE_LEVELS)]] = None
    regulatory: Regulatory = Field(default_factory=Regulatory)
    service_thresholds: Annotated[list[Annotated[float, BeforeValidator(parse_duration), Field(gt=0, le=86400)]], Field(max_length=20)] = Field(
        default_factory=lambda: [10.0, 20.0, 30.0])
    """Thresholds N of the metrics p_within_<N>s and inbound_p_within_<N>s: the share of callers
    connected to an agent within N s of entering the queue, over all who entered it and left it."""
    timeseries_interval: Duration = Field(900.0, description=(
        f"{DURATION_HELP}; the length of one time-series interval: at least 1s, and at least the horizon / "
        f"{MAX_INTERVALS:,} (a run has at most {MAX_INTERVALS:,} intervals)"))

    engine: Engine = Field(default_factory=Engine)
    campaigns: Annotated[list[Campaign], Field(max_length=100)] = Field(default_factory=list)
    """At least one, unless a queue has an inbound stream."""
    outplans: Annotated[list[Outplan], Field(max_length=100)] = Field(default_factory=list)
    outdials: Annotated[list[Outdial], Field(max_length=100)] = Field(default_factory=list)
    queues: Annotated[list[Queue], Field(max_length=100)] = Field(default_factory=list)
    agents: Annotated[list[AgentGroup], Field(max_length=1000)] = Field(default_factory=list)
    population: Population

    # Filled by the loader, not by the file: the folder relative paths start from, and the
    # target lists read from CSV files (outdial name -> bytes, one destination bit mask a target).
    source_path: Optional[str] = Field(default=None, exclude=True)
    target_masks: dict[str, bytes] = Field(default_factory=dict, exclude=True, repr=False)

    @field_validator("horizon")
    @classmethod
    def _horizon(cls, v: float) -> float:
        if v <= 0 or v > MAX_HORIZON:
            raise ValueError(f"horizon must be above 0 and at most 31 days; got {v:g}s")
        return v

    @field_validator("timeseries_interval")
    @classmethod
    def _interval(cls, v: float) -> float:
        if v < 1:
            raise ValueError(f"timeseries_interval must be at least 1s; got {v:g}s")
        return v

    @model_validator(mode="after")
    def _something_to_run(self):
        if not self.campaigns and not any(q.inbound is not None for q in self.queues):
            raise ValueError("expected at least one campaign (or a queue with an inbound stream)")
        for section in ("outplans", "outdials"):
            if self.campaigns and not getattr(self, section):
                raise ValueError(f"expected at least one item in {section}")
        return self

    def sweep_levels(self) -> list[int]:
        """The service levels of the experiment: its list, or the first campaign's own level."""
        if self.service_levels:
            return list(self.service_levels)
        return [self.campaigns[0].service_level if self.campaigns else 100]

    def semantics(self) -> Semantics:
        return self.engine.semantics()
