"""The scenario reference (``docs/scenarios.md``), generated from the pydantic schema.

Every field of every model reachable from :class:`~sim.scenario.schema.Scenario` gets a row:
its path, type and unit, default, limits (read from the schema's constraints) and meaning (the
field's own ``description`` if the schema gives one, else :data:`FIELD_DOCS`). A field with no
meaning is an error, so a field added to the schema without a word for users fails the tests.
``pacing-sim init`` writes its annotated starter scenario from the same meanings.

    python -m sim.scenario.reference > docs/scenarios.md     # regenerate
    python -m sim.scenario.reference --check docs/scenarios.md
"""

from __future__ import annotations

import sys
import typing
from dataclasses import dataclass
from typing import Annotated, Any, Literal, Union

import annotated_types as at
from pydantic import BaseModel
from pydantic.fields import FieldInfo

from sim.scenario import schema
from sim.units import format_duration, parse_duration

DOC_PATH = "docs/scenarios.md"
REGENERATE = "python -m sim.scenario.reference > docs/scenarios.md"

D = "a duration"  # shorthand in the texts below
STEP_BOUND = (f" At least {schema.MIN_STEP * 1000:g} ms, and at least horizon / {schema.MAX_LOOP_STEPS:,}: the loop "
              "wakes up once a step, and a shorter step makes a run that does not end.")

FIELD_DOCS: dict[str, str] = {
    # --- Scenario
    "Scenario.name": "The scenario's name; it labels every table, plot and report (names must differ when several scenarios run together).",
    "Scenario.description": "A sentence or two on what the scenario represents; shown in the report.",
    "Scenario.seed": "Root seed. The same seed gives the same numbers, on any number of workers or executors.",
    "Scenario.horizon": f"Simulated time of one run (above 0, at most {schema.MAX_HORIZON / 86400:g} days).",
    "Scenario.warmup": "Measurement starts here; events before it are simulated but not counted.",
    "Scenario.replications": "Independent runs per service level; results are their mean with a 95 % interval.",
    "Scenario.service_levels": "The sweep: each level runs every replication with the same random numbers. `null`: the first campaign's `service_level` alone.",
    "Scenario.regulatory": "The regulators' clock and cap: when a live answer counts as abandoned in `abandon_rate_regulatory`, and the limit the verdict checks. (Replaces the top-level `regulatory_threshold` of earlier versions.)",
    "Scenario.timeseries_interval": f"Width of the intervals of `timeseries.csv`: at least 1 s, and at least horizon / {schema.MAX_INTERVALS:,} (a run has at most {schema.MAX_INTERVALS:,} intervals).",
    "Scenario.service_thresholds": "Thresholds N of the metrics `p_within_<N>s` and `inbound_p_within_<N>s`: the share of callers connected to an agent within N s of entering the queue, over all who entered it and left it.",
    "Scenario.engine": "Which behaviour the engine follows: a profile, single switches, the timers (docs/engine.md).",
    "Scenario.campaigns": "The campaigns; each dials its own outdial and may send answered calls to a queue. At least one, unless a queue has an `inbound` stream.",
    "Scenario.outplans": "Retry policies, referred to by name from campaigns (at least one when there are campaigns).",
    "Scenario.outdials": "Call lists, referred to by name from campaigns (one campaign each; at least one when there are campaigns).",
    "Scenario.queues": "Queues where answered people wait for agents, referred to by name from campaigns.",
    "Scenario.agents": "Groups of agents with the same behaviour.",
    "Scenario.population": "How the people and machines called behave.",
    # --- Regulatory
    "Regulatory.threshold": "The 2-second rule: a live answer not talking to an agent within this time of the person's completed greeting (or of entering the queue, with `clock: queue`) is abandoned.",
    "Regulatory.greeting": "The called person's greeting (their \"hello\"); with `clock: answer` the deadline is the answer plus `greeting` plus `threshold`.",
    "Regulatory.clock": "`answer` (the FCC's and Ofcom's reading): the campaign's actions, the queue loop's steps and the agent's answer delay all count against the deadline; `queue`: `threshold` counts from entering the queue (earlier versions).",
    "Regulatory.max_abandon": "The cap on the share of live answers abandoned (FCC/FTC: 3 %), as `0.03` or `3%`: the verdict's default limit.",
    # --- Engine
    "Engine.profile": "`voipbin`: every switch as VoIPbin's code behaves; `documented`: every switch as its documentation describes.",
    "Engine.service_level_rule": "Capacity rule. `agent_side`: dial while floor(A x SL / 100) > D (coded); `dialing_side`: while A > D x SL / 100 (documented). `null`: the profile's.",
    "Engine.dialing_count": "What `D` counts. `live_calls`: every live call (coded); `unanswered_calls`: calls not yet answered (documented). `null`: the profile's.",
    "Engine.queue_order": "Which waiting person the queue serves first. `newest_first` (coded) or `oldest_first` (documented). `null`: the profile's.",
    "Engine.missed_ring": "An agent who does not answer. `strand`: the person is left alone, the agent stays ringing until reset (coded); `requeue`: the person waits again (documented). `null`: the profile's.",
    "Engine.agent_after_call": "`manual_reset`: busy through wrap-up, then the status reset (coded); `auto_available`: available after wrap-up (documented). `null`: the profile's.",
    "Engine.ring_timeout_source": "`fixed`: `engine.timers.ring_timeout` (coded); `outplan`: the outplan's `dial_timeout` (documented). `null`: the profile's.",
    "Engine.exhausted_target": "A target with no attempts left: stays `idle` (coded) or becomes `done` (documented). `null`: the profile's.",
    "Engine.stop_request": "A stop request `wait`s for live calls (coded) or `hangup`s them (documented). `null`: the profile's.",
    "Engine.next_campaign": "`ignore` the next campaign (coded) or `start` it when this one stops (documented). `null`: the profile's.",
    "Engine.flow_campaigncall": "A flow campaigncall is `never_done` (coded) or `done_on_end`, a success when its actions end (documented). `null`: the profile's.",
    "Engine.missing_destination": "An absent destination is chosen and the `dial` fails, stopping the campaign (coded), or is `skip`ped (documented). `null`: the profile's.",
    "Engine.wait_timeout": "A queue's `wait_timeout`: `as_coded`, it never removes a caller who hears the wait flow (the timeout's flow-stack pop fails; docs/engine.md); `enforced`, the caller leaves the queue at expiry (documented). `null`: the profile's.",
    "Engine.timers": "The engine's timers; the defaults are VoIPbin's constants.",
    "Timers.first_step": "From starting a campaign to its first step.",
    "Timers.after_dial": "From a step that dialled to the next step." + STEP_BOUND,
    "Timers.after_wait": "From a step that waited (no capacity, head target not due, nothing to dial) to the next step." + STEP_BOUND,
    "Timers.queue_step": "Queue loop step while people wait and agents are available." + STEP_BOUND,
    "Timers.queue_idle_step": "Queue loop step while people wait and no agent is available." + STEP_BOUND,
    "Timers.ring_timeout": "Ring timeout of the call service, for customers and agents.",
    "Timers.max_call": "Every call is cut this long after it was dialled (reason `timeout`, a fail).",
    "Timers.page_size": "Page size of the agent and campaigncall counts: `A` and `D` never exceed it.",
    "Timers.step_latency": "The execute step's own duration (its service calls and a query over the whole target table), drawn every step and added to `first_step`, `after_dial` and `after_wait`. 0: none (the default).",
    # --- Campaign
    "Campaign.name": "The campaign's name (VoIPbin: campaign).",
    "Campaign.type": "`call` places calls; `flow` runs the actions with no call.",
    "Campaign.service_level": "VoIPbin's pacing knob, an integer percent (not the call-centre 'answered within X s'; docs/glossary.md). Used when the scenario has no `service_levels`.",
    "Campaign.end_handle": "When no target is left to dial: `stop` the campaign, or `continue` looking every 5 s.",
    "Campaign.start_at": "When the campaign is set to `run`. `null`: only a `next_campaign` chain starts it.",
    "Campaign.stop_at": "When a user asks the campaign to stop. `null`: never.",
    "Campaign.actions": "Flow actions run on the answered call, in VoIPbin's shape `{type, option}`; a `queue_join` to the campaign's queue is appended.",
    "Action.type": "VoIPbin action type. `talk`, `play`, `sleep`, `amd`, `hangup`, `queue_join` are simulated; `answer`, `beep`, `digits_send`, `variable_set`, `webhook_send` and other types with no effect on a call's time are accepted and take none; types the model does not simulate (`branch`, `goto`, `condition_*`, `connect`, `digits_receive`, ...) are refused with the path.",
    "Action.option": "The action's options.",
    "ActionOption.text": "`talk`: the text spoken; it lasts its word count over `population.speech_rate_wps`.",
    "ActionOption.language": "`talk`: the language (no effect on timing).",
    "ActionOption.duration": "`talk` (instead of the text's length), `play` (the media length), `sleep`: how long the action lasts.",
    "ActionOption.machine_handle": "`amd`: `hangup` ends calls answered by a machine (reason `amd`, a fail); `continue` goes on.",
    "ActionOption.reason": "`hangup`: the hang-up reason (as coded any reason but `amd` gives `normal`, a success).",
    "ActionOption.queue_id": "`queue_join`: the name of the queue. Simulated as the last action of a call campaign without a `queue` of its own (calls go through that queue, with no capacity check); refused elsewhere in a call campaign; skipped in a flow campaign (it needs a call).",
    # --- Outplan, outdial
    "Outplan.name": "The outplan's name (VoIPbin: outplan, the retry policy).",
    "Outplan.try_interval": "Least time between two attempts on one target, from the end of the previous attempt.",
    "Outplan.max_try_count": "Attempts allowed on destinations 0 to 4 (VoIPbin's max_try_count_0..4); 0: never dialled; missing entries are 0.",
    "Outplan.dial_timeout": "Ring timeout as documented; the code ignores it (used with `ring_timeout_source: outplan`).",
    "Outplan.source": "Caller id; no effect on pacing.",
    "Outdial.name": "The outdial's name (VoIPbin: outdial, the call list).",
    "Outdial.targets": f"A count of targets (0 to {schema.MAX_TARGETS:,}), or the path of a CSV file (relative to the scenario file) with columns destination_0..4; an empty cell is an absent destination. The file must be in the scenario file's folder or below it (symbolic links followed) unless `--allow-outside-targets` is given (Python: `allow_outside_targets=True`); each line at most 64 KiB.",
    "Outdial.destinations": "Destinations (phone numbers) per target when `targets` is a count.",
    # --- Queue, agents
    "Queue.name": "The queue's name.",
    "Queue.tags": "Agents sharing at least one tag with the queue count as its agents; no tags: every agent.",
    "Queue.routing_method": "How an agent is chosen; VoIPbin supports only `random`.",
    "Queue.wait_timeout": "A person still waiting this long is removed from the queue (an abandon) under `engine.wait_timeout: enforced`; as coded it never fires while the wait flow plays. 0: never.",
    "Queue.inbound": "Customers calling in to this queue, answered by the same agents as the campaigns; `null`: none.",
    "Inbound.arrivals_per_hour": "Mean arrivals per hour of a Poisson stream (times `time_of_day`'s multiplier of the clock hour).",
    "Inbound.time_of_day": "A multiplier on the arrival rate by clock hour (`clock_start`, 24 `multipliers`); `null`: a constant rate.",
    "Inbound.patience": "How long an inbound caller waits for an agent to answer before hanging up, from entering the queue.",
    "Inbound.talk_time": "Length of an inbound conversation with an agent.",
    "ArrivalTimeOfDay.clock_start": "Clock time of day at simulated time 0 (e.g. `9h`).",
    "ArrivalTimeOfDay.multipliers": "24 multipliers on the arrival rate, one per clock hour from midnight.",
    "Queue.service_timeout": "Recorded when it fires; it changes nothing on the call, as coded. 0: never.",
    "AgentGroup.name": "The group's name.",
    "AgentGroup.count": "Agents in the group.",
    "AgentGroup.tags": "The agents' tags (matched against queues' tags).",
    "AgentGroup.shift": "When the agents are logged in (staffed).",
    "AgentGroup.answer_delay": "From the agent's phone ringing to the agent answering.",
    "AgentGroup.miss_probability": "Chance the agent lets a ring go unanswered.",
    "AgentGroup.talk_time": "Conversation length with a person.",
    "AgentGroup.wrap_up": "After-call work before the agent may take another call.",
    "AgentGroup.status_reset": "Extra time before the agent sets themselves available again (VoIPbin never does it for them).",
    "Shift.start": "Log-in time, from the start of the run.",
    "Shift.end": "Log-out time; `null`: until the horizon. An agent on a call logs out when it ends.",
    # --- Population
    "Population.outcome": "Dial outcome probabilities, one mapping per destination index 0..4; a destination beyond the list uses the last one.",
    "Population.time_of_day": "A multiplier on human answers by clock hour; what it takes away goes to no answer. `null`: none.",
    "Population.ring_time": "From dial to answer (by a person or a machine); longer than the ring timeout is a no-answer.",
    "Population.busy_time": "From dial to a busy signal.",
    "Population.failed_time": "From dial to a failure.",
    "Population.create_failure": "Probability that creating a dialled call fails (balance, destination whitelist, caller id, routes): the campaigncall fails and, as coded, the campaign stops, as for an absent destination.",
    "Population.patience": "An answered person hangs up after this, counted from entering the queue until an agent answers.",
    "Population.machine_talk_time": "How long an answering machine's call lasts when put through to an agent.",
    "Population.amd": "Answering-machine detection, used when the campaign's actions contain an `amd` action.",
    "Population.speech_rate_wps": "Words per second of `talk` actions.",
    "OutcomeMix.human": "A person answers.",
    "OutcomeMix.machine": "An answering machine answers.",
    "OutcomeMix.busy": "Busy.",
    "OutcomeMix.failed": "The call fails (invalid number, network).",
    "OutcomeMix.no_answer": "Nobody answers within the ring timeout.",
    "TimeOfDay.clock_start": "Clock time of day at simulated time 0 (e.g. `9h`).",
    "TimeOfDay.multipliers": "24 multipliers on the human-answer probability, one per clock hour from midnight.",
    "Amd.detect_time": "How long detection listens before deciding.",
    "Amd.false_positive": "Chance a person is taken for a machine (hung up on with `machine_handle: hangup`: an abandon for regulators).",
    "Amd.false_negative": "Chance a machine is taken for a person.",
}

SECTION_DOCS: dict[str, str] = {
    "": "The top level of a scenario file.",
    "engine": "The engine's behaviour: `profile` sets every switch; a switch set here overrides the profile (docs/engine.md has the table).",
    "engine.timers": "VoIPbin's timers and page size; change them to ask what-if questions.",
    "campaigns[]": "One VoIPbin campaign each.",
    "campaigns[].actions[]": "VoIPbin flow actions run on answer.",
    "campaigns[].actions[].option": "Only the options that take time in the model are typed; other VoIPbin options are accepted and ignored.",
    "outplans[]": "VoIPbin outplans: the retry policy.",
    "outdials[]": "VoIPbin outdials: the call lists.",
    "queues[]": "VoIPbin queues.",
    "agents[]": "Groups of agents.",
    "agents[].shift": "When a group is staffed.",
    "population": "The people and machines called.",
    "population.outcome[]": "Dial outcome probabilities for one destination index; they must sum to 1.",
    "population.time_of_day": "Answer rates that change over the day.",
    "population.amd": "Answering-machine detection.",
}


# --------------------------------------------------------------------------- reading the schema


@dataclass
class Row:
    path: str
    kind: str
    default: str
    limits: str
    meaning: str
    required: bool
    owner: str  # "Model.field"


def _split_annotated(tp: Any) -> tuple[Any, list]:
    """``Annotated[T, ...]`` -> ``(T, constraints)``, constraints unpacked from FieldInfo."""
    meta: list = []
    while typing.get_origin(tp) is Annotated:
        args = typing.get_args(tp)
        tp = args[0]
        for m in args[1:]:
            meta += m.metadata if isinstance(m, FieldInfo) else [m]
    return tp, meta


def _is_duration(meta: list) -> bool:
    return any(getattr(m, "func", None) is parse_duration for m in meta)


def _is_distribution(tp: Any) -> bool:
    if typing.get_origin(tp) is Union:
        args = [a for a in typing.get_args(tp) if a is not type(None)]
        return bool(args) and all(isinstance(a, type) and a.__name__ in _DIST_CLASSES for a in args)
    return False


_DIST_CLASSES = ("Constant", "Exponential", "Lognormal", "Uniform", "Gamma", "Empirical")


def _limits(meta: list, duration: bool) -> list[str]:
    fmt = (lambda v: format_duration(v)) if duration else (lambda v: f"{v:,}" if isinstance(v, int) and v > 9999 else f"{v:g}" if isinstance(v, float) else str(v))
    out = []
    for m in meta:
        if isinstance(m, at.Ge):
            out.append(f"≥ {fmt(m.ge)}")
        elif isinstance(m, at.Gt):
            out.append(f"> {fmt(m.gt)}")
        elif isinstance(m, at.Le):
            out.append(f"≤ {fmt(m.le)}")
        elif isinstance(m, at.Lt):
            out.append("< 2^63" if m.lt == 2**63 else f"< {fmt(m.lt)}")
        elif isinstance(m, at.MinLen):
            out.append(f"at least {m.min_length} item{'s' if m.min_length != 1 else ''}" if m.min_length else "")
        elif isinstance(m, at.MaxLen):
            out.append(f"at most {m.max_length:,} items")
    return [o for o in out if o]


def describe(tp: Any, meta: list) -> tuple[str, list[str], list[tuple[str, type]]]:
    """A type in words, its limits, and the models nested in it (suffix, model)."""
    inner, more = _split_annotated(tp)
    meta = list(meta) + more
    origin = typing.get_origin(inner)
    if origin is Union:
        args = [a for a in typing.get_args(inner) if a is not type(None)]
        nullable = len(args) < len(typing.get_args(inner))
        if _is_distribution(inner):
            return "distribution" + (" or `null`" if nullable else ""), [], []
        parts = [describe(a, meta) for a in args]
        kind = " or ".join(p[0] for p in parts) + (" or `null`" if nullable else "")
        return kind, [lim for p in parts for lim in p[1]], [n for p in parts for n in p[2]]
    if origin is Literal:
        return "one of " + ", ".join(f"`{v}`" for v in typing.get_args(inner)), [], []
    if origin is list:
        (item,) = typing.get_args(inner)
        ikind, ilim, nested = describe(item, [])
        own = _limits(meta, False)
        kind = f"list of {ikind}" if not nested else "list of mappings"
        lim = own + ([f"each {x}" for x in ilim] if ilim else [])
        return kind, lim, [("[]" + s, m) for s, m in nested]
    if origin is dict:
        return "mapping", [], []
    if isinstance(inner, type) and issubclass(inner, BaseModel):
        return "mapping", [], [("", inner)]
    if _is_distribution(inner) or (typing.get_origin(inner) is Union and _is_distribution(inner)):
        return "distribution", [], []
    duration = _is_duration(meta)
    if duration:
        return "duration", _limits(meta, True), []
    name = {int: "integer", float: "number", str: "text", bool: "true/false"}.get(inner, getattr(inner, "__name__", str(inner)))
    if inner is str:
        lo = next((m.min_length for m in meta if isinstance(m, at.MinLen)), 0)
        hi = next((m.max_length for m in meta if isinstance(m, at.MaxLen)), None)
        return name, ([f"{lo} to {hi} characters"] if hi else [f"at least {lo} character(s)"] if lo else []), []
    if inner is float and any(isinstance(m, at.Le) and m.le == 1 for m in meta) and any(isinstance(m, at.Ge) and m.ge == 0 for m in meta):
        name = "fraction"
    return name, _limits(meta, False), []


def _fmt_default(value: Any, kind: str) -> str:
    if isinstance(value, BaseModel):
        if value.__class__.__name__ in _DIST_CLASSES:
            d = value.model_dump(by_alias=True)
            return "`{" + ", ".join(f"{k}: {format_duration(v) if isinstance(v, float) else v}" for k, v in d.items()) + "}`"
        return "see below"
    if value is None:
        return "`null`"
    if isinstance(value, bool):
        return f"`{str(value).lower()}`"
    if isinstance(value, float) and kind.startswith("duration"):
        return f"`{format_duration(value)}`"
    if isinstance(value, (list, dict)) and not value:
        return "`[]`" if isinstance(value, list) else "`{}`"
    if isinstance(value, str):
        return f'`"{value}"`' if value == "" else f"`{value}`"
    return f"`{value:g}`" if isinstance(value, float) else f"`{value}`"


def _meaning(model: type[BaseModel], name: str, info: FieldInfo) -> str:
    return FIELD_DOCS.get(f"{model.__name__}.{name}") or (info.description or "")


def sections(root: type[BaseModel] = schema.Scenario) -> list[tuple[str, type[BaseModel], list[Row]]]:
    """(path, model, rows) for every model reachable from ``root``, in reading order."""
    out: list[tuple[str, type[BaseModel], list[Row]]] = []
    seen: set[str] = set()

    def visit(path: str, model: type[BaseModel]) -> None:
        if path in seen:
            return
        seen.add(path)
        rows: list[Row] = []
        nested_all: list[tuple[str, type[BaseModel]]] = []
        for name, info in model.model_fields.items():
            if info.exclude:
                continue
            key = info.alias or name
            kind, limits, nested = describe(info.annotation, list(info.metadata))
            required = info.is_required()
            if required:
                default = "required"
            elif info.default_factory is not None:
                default = _fmt_default(info.default_factory(), kind)
            else:
                default = _fmt_default(info.default, kind)
            fpath = f"{path}.{key}" if path else key
            rows.append(Row(fpath, kind, default, ", ".join(limits), _meaning(model, name, info), required,
                            f"{model.__name__}.{name}"))
            nested_all += [(fpath + suffix, m) for suffix, m in nested]
        out.append((path, model, rows))
        for p, m in nested_all:
            visit(p, m)

    visit("", root)
    return out


def missing_meanings(root: type[BaseModel] = schema.Scenario) -> list[str]:
    """Fields with no meaning in the schema nor in FIELD_DOCS ("Model.field")."""
    return [r.owner for _, _, rows in sections(root) for r in rows if not r.meaning]


# --------------------------------------------------------------------------- the page


_HEAD = """# Scenario reference

<!-- Generated from sim/scenario/schema.py by `{regen}`; do not edit by hand
(tests/test_docs.py fails when this file and the schema differ). -->

A scenario is a YAML file: one campaign set-up (VoIPbin's campaigns, outplans, outdials, queues,
with the agents and the people called) and the experiment to run on it. `pacing-sim init` writes
a commented starter; `pacing-sim validate FILE` checks one and names every problem. Terms are
explained in [the glossary](glossary.md), behaviours in [the engine](engine.md).

**Units.**
- *duration*: a number of seconds, or a string with a unit: `500ms`, `45s`, `10m`, `8h`, `1h30m`
  (`ms`, `s`, `m` or `min`, `h`, `d`). A value copied from VoIPbin's API, which counts
  milliseconds, is written `600000ms`.
- *fraction*: a probability or share from 0 to 1 (`0.22`, not `22`); percent is only for tables
  printed for people.
- *service level*: an integer percent of 0 or more, VoIPbin's pacing knob.
- *distribution*: a mapping tagged by `dist` (see [Distributions](#distributions)).
- A key given twice in one mapping is an error; an unknown key is an error with "did you mean".

Any field can be set on the command line without editing the file: `--set agents.0.count=30`
(dotted path, list items by index, the value read as YAML, validated again).
"""

_DISTS = """## Distributions

Every time in `population` and `agents` (and `amd.detect_time`) is a distribution of durations,
given as a mapping with `dist` and its parameters. Each knows its own mean.

| `dist` | parameters | example |
| --- | --- | --- |
{rows}
"""

_DIST_EXAMPLES = {
    "constant": "{dist: constant, value: 3s}",
    "exponential": "{dist: exponential, mean: 25s}",
    "lognormal": "{dist: lognormal, mean: 180s, sd: 90s}",
    "uniform": "{dist: uniform, low: 1s, high: 4s}",
    "gamma": "{dist: gamma, mean: 20s, sd: 10s}",
    "empirical": "{dist: empirical, values: [5s, 10s, 30s], weights: [1, 2, 1]}",
}


def _dist_rows() -> str:
    from sim.world import distributions as dmod

    lines = []
    for cls_name in _DIST_CLASSES:
        cls = getattr(dmod, cls_name)
        params = []
        for name, info in cls.model_fields.items():
            if name == "dist":
                continue
            kind, limits, _ = describe(info.annotation, list(info.metadata))
            opt = "" if info.is_required() else ", optional"
            params.append(f"`{info.alias or name}` ({kind}{', ' + ', '.join(limits) if limits else ''}{opt})")
        doc = (cls.__doc__ or "").strip().splitlines()[0] if cls.__doc__ else ""
        lines.append(f"| `{cls_name.lower()}` | {'; '.join(params)}{' - ' + doc if doc else ''} | `{_DIST_EXAMPLES[cls_name.lower()]}` |")
    return "\n".join(lines)


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def render() -> str:
    parts = [_HEAD.format(regen=REGENERATE)]
    for path, _model, rows in sections():
        title = path or "Top level"
        parts.append(f"## `{title}`\n" if path else f"## {title}\n")
        intro = SECTION_DOCS.get(path)
        if intro:
            parts.append(intro + "\n")
        parts.append("| field | type | default | limits | meaning |\n| --- | --- | --- | --- | --- |")
        for r in rows:
            parts.append(f"| `{r.path}` | {_cell(r.kind)} | {_cell(r.default)} | {_cell(r.limits)} | {_cell(r.meaning)} |")
        parts.append("")
    parts.append(_DISTS.format(rows=_dist_rows()))
    return "\n".join(parts).rstrip() + "\n"


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    missing = missing_meanings()
    if missing:
        print("fields with no meaning (add them to FIELD_DOCS in sim/scenario/reference.py or give the "
              "schema field a description): " + ", ".join(missing), file=sys.stderr)
        return 1
    text = render()
    if argv[:1] == ["--check"]:
        path = argv[1] if len(argv) > 1 else DOC_PATH
        with open(path, encoding="utf-8") as f:
            if f.read() != text:
                print(f"{path} differs from the schema; regenerate it: {REGENERATE}", file=sys.stderr)
                return 1
        return 0
    sys.stdout.write(text)
    return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
