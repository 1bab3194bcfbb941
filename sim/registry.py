"""Every metric's facts, in one place: the run table, the plots, the report, ``check``, ``tune``,
the JSON's order and ``docs/metrics.md`` all read them from here.

Adding a metric: compute it in ``sim.metrics.replication_metrics`` and add one ``Metric`` to
``REGISTRY`` below (its name to ``TABLE`` or ``REPORT`` too to show it there), then run
``python -m sim.registry`` to rewrite ``docs/metrics.md``. Nothing else lists metrics.

The regulatory threshold and abandon cap come from the scenario, read through ``regulatory()``
(the one place that knows where the scenario keeps them).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal, NamedTuple

from sim.format import RATE_BOUNDS

Better = Literal["higher", "lower"] | None

CAUSES = ("actions_before_queue", "queue_no_agent", "agent_ringing", "stranded", "amd_hangup", "wait_timeout",
          "wait_flow_end")
"""Why a live answer was abandoned (``sim.abandons`` decides which, from the call's records)."""
CAUSE_LABELS = {
    "actions_before_queue": "campaign actions",
    "queue_no_agent": "no agent free",
    "agent_ringing": "agent ringing",
    "stranded": "missed ring",
    "amd_hangup": "machine detection",
    "wait_timeout": "queue wait timeout",
    "wait_flow_end": "call flow ended",
}
"""Short names for legends."""
CAUSE_DEFINITIONS = {
    "actions_before_queue": "the clock ran out while the campaign's actions played (or the call ended during them)",
    "queue_no_agent": "waiting in the queue with no agent assigned: more live answers than free agents (over-dialing)",
    "agent_ringing": "an agent's phone was ringing: the agent's answer delay",
    "stranded": "a ring the agent let go unanswered had begun (the caller left alone, or put back to wait)",
    "amd_hangup": "machine detection took the person for a machine and hung up",
    "wait_timeout": "the queue's wait_timeout removed the caller",
    "wait_flow_end": "the caller's flow ended while they waited and the call was hung up: the queue has no wait flow, "
                     "flow-manager's cap of 100 executed actions was reached, or the wait flow hung up",
}


@dataclass(frozen=True)
class Metric:
    """One metric.

    ``label``, ``column`` and ``report`` may name the scenario's regulatory clock (``Regulatory``,
    the scenario's ``regulatory`` block) with ``{rule}`` (the deadline in short, as "3 s from
    answer"), ``{within}`` ("3 s of the answer"), ``{allowed}`` (its seconds, as ``3``) or
    ``{threshold}`` (``regulatory.threshold`` alone, as ``2``): use ``title()``, ``heading()``,
    ``report_heading()`` or ``axis_label()``, given the scenario's ``regulatory()``, to fill them in.
    """

    name: str
    label: str
    """What a plot axis or a report column calls it, e.g. "Agent occupancy"."""
    unit: str
    """The unit of the value as shown (after scaling percentages), e.g. "% of live answers", "s"."""
    definition: str
    """What it measures, for docs/metrics.md and help texts."""
    contract: bool = True
    """True: a metric of the contract (scenario-and-results.md), in its order; False: a count or
    check behind the rates, written after them."""
    percent: bool = False
    """A share from 0 to 1, shown as a percentage."""
    headline: bool = False
    """Tested by ``check`` by default and drawn first."""
    better: Better = None
    """Which direction is better for the campaign's user (None: neither, it depends)."""
    column: str | None = None
    """Its heading in the ``run`` table (which lists it in ``TABLE`` below)."""
    digits: int = 1
    """Decimals shown in tables (after scaling percentages)."""
    report: str | None = None
    """Its heading in the report's headline table (which lists it in ``REPORT`` below)."""
    regulatory: bool = False
    """Measured on the scenario's regulatory clock: tables that show it add ``Regulatory.footnote()``."""

    @property
    def scale(self) -> float:
        return 100.0 if self.percent else 1.0

    @property
    def bounds(self) -> tuple[float, float] | None:
        """Where its values live, for showing intervals (``sim.format.clip``): [0, 1] for a rate
        (its Student-t interval may reach beyond; the JSON and CSV keep the raw ends), else None."""
        return RATE_BOUNDS if self.percent else None

    def title(self, rules: "Regulatory | float | None" = None) -> str:
        """Its label with the scenario's clock filled in (``rules``: ``regulatory()``; a number is a
        threshold on the default clock; None: the defaults)."""
        return as_rules(rules).fill(self.label)

    def heading(self, rules: "Regulatory | float | None" = None) -> str:
        """Its heading in the ``run`` table."""
        return as_rules(rules).fill(self.column or self.name)

    def report_heading(self, rules: "Regulatory | float | None" = None) -> str:
        """Its heading in the report's headline table."""
        return as_rules(rules).fill(self.report or self.label)

    def axis_label(self, rules: "Regulatory | float | None" = None) -> str:
        """Its label and unit: "Agent occupancy (%)", "Regulatory abandon rate (3 s from answer; % of live answers)"."""
        title = self.title(rules)
        if not self.unit:
            return title
        return f"{title[:-1]}; {self.unit})" if title.endswith(")") else f"{title} ({self.unit})"


M = Metric
REGISTRY: tuple[Metric, ...] = (
    # ---- the contract's metrics, in its order
    M("occupancy", "Agent occupancy", "%", percent=True, headline=True, better="higher", column="occupancy %",
      report="Occupancy %",
      definition="agents' time ringing, talking, in wrap-up and status reset, over their staffed time "
                 "(1 - time available / staffed time; staffed time is the shift inside the window)"),
    M("talk_utilization", "Agent talk time", "% of staffed time", percent=True, better="higher", column="talk %",
      report="Talk %",
      definition="agents' talk time (with people and machines put through) over their staffed time"),
    M("abandon_rate", "Abandon rate", "% of live answers", percent=True, headline=True, better="lower",
      column="abandon %", digits=2, report="Abandon %",
      definition="human-answered calls that ended without talking to an agent (people hung up on by machine "
                 "detection included), over those that reached an agent or ended without one; calls still "
                 "waiting at the end of the window are in neither (see in_progress)"),
    M("abandon_rate_regulatory", "Regulatory abandon rate ({rule})", "% of live answers", percent=True,
      headline=True, better="lower", column="reg. abandon %", report="Regulatory abandon % ({rule})",
      regulatory=True,
      definition="as abandon_rate, plus the calls connected after the regulators' deadline; a call still live "
                 "past it at the end counts too. The deadline (scenario block `regulatory`) is the answer + "
                 "`greeting` (1 s) + `threshold` (2 s) with `clock: answer`, the FCC's and Ofcom's clock (the "
                 "campaign's actions, the queue loop's steps and the agent's answer delay all count against it); "
                 "entering the queue + `threshold` with `clock: queue`"),
    M("throughput_per_hour", "Throughput", "conversations per hour", headline=True, better="higher",
      column="conv/h", report="Conversations / h",
      definition="agent conversations with people started per hour (machines put through to an agent are "
                 "machine_conversations, not conversations)"),
    M("dials_per_hour", "Dials", "per hour", headline=True, column="dials/h", digits=0, report="Dials / h",
      definition="dial attempts per hour"),
    M("answer_rate", "Live answer rate", "% of dials", percent=True, column="answer %", report="Live answer %",
      definition="human answers over dial attempts"),
    M("mean_queue_wait", "Mean queue wait", "s", better="lower", column="wait s", digits=2, report="Mean wait s",
      definition="mean time from entering the queue to an agent answering, for connected human callers"),
    M("p90_queue_wait", "90th percentile queue wait", "s", better="lower", digits=2, report="P90 wait s",
      definition="90th percentile of the time from entering the queue to an agent answering, for connected "
                 "human callers"),
    M("agent_idle_between_calls", "Agent idle between calls", "s",
      definition="mean time an agent is available between two calls"),
    M("stranded_calls", "Stranded calls", "calls", better="lower",
      definition="calls left alone after an agent did not answer the ring"),
    M("list_penetration", "List done", "% of targets", percent=True, report="List done %",
      definition="targets done over all targets"),
    M("campaign_end_time", "Campaign end", "s", column="end s", digits=0,
      definition="when the last campaign reached stop (empty if one did not)"),
    M("max_live_calls", "Most live calls at once", "calls", column="max live", report="Most live calls",
      definition="most live calls of the campaigns at one time"),
    # ---- counts and checks behind the rates
    M("dials", "Dial attempts", "calls", contract=False, definition="dial attempts in the window"),
    M("human_answers", "Live answers", "calls", contract=False,
      definition="human answers in the window (= conversations + abandoned + in_progress)"),
    M("conversations", "Conversations", "calls", contract=False,
      definition="agent conversations with people started in the window"),
    M("machine_conversations", "Machine conversations", "calls", contract=False,
      definition="answering machines put through to an agent (they cost the agent's time)"),
    M("abandoned", "Abandoned", "calls", contract=False, better="lower",
      definition="human answers that ended without an agent"),
    M("abandoned_regulatory", "Abandoned, {rule}", "calls", contract=False, better="lower",
      definition="the numerator of abandon_rate_regulatory (on the scenario's regulatory clock)"),
    M("in_progress", "Still waiting", "calls", contract=False,
      definition="human answers still waiting for an agent at the end of the window"),
    M("amd_false_positives", "AMD false positives", "calls", contract=False, better="lower",
      definition="people hung up on by answering-machine detection"),
    M("p_agent_within_threshold", "With an agent within {within}", "% of live answers", percent=True,
      contract=False, better="higher",
      definition="human answers with an agent by the regulators' deadline (see abandon_rate_regulatory), over "
                 "those that reached an agent or ended without one"),
    M("attempts_per_contact", "Attempts per contact", "dials per live answer", contract=False, better="lower",
      definition="dial attempts over human answers"),
    M("window_hours", "Measurement window", "h", contract=False,
      definition="length of the measurement window (warm-up to the horizon or the last campaign's stop)"),
    M("unanswered_released_before_15s", "Unanswered released before 15 s", "% of unanswered attempts",
      percent=True, contract=False, better="lower",
      definition="share of unanswered attempts released before 15 s of ringing (the FCC/FTC/Ofcom minimum)"),
    M("redials_after_abandon", "Redials after abandon", "calls", contract=False, better="lower",
      definition="abandoned people dialled again within 72 h (Ofcom's rule; as coded, a person hung up on by "
                 "AMD is a fail and is redialled)"),
    # ---- abandoned live answers by cause (sim.abandons): plain, then on the regulators' clock
    *(M(f"abandoned_{c}", f"Abandoned: {CAUSE_LABELS[c]}", "calls", contract=False, better="lower",
        definition=f"abandoned (plain) whose cause is {c}: {CAUSE_DEFINITIONS[c]}") for c in CAUSES),
    *(M(f"abandoned_regulatory_{c}", f"Abandoned, {{rule}}: {CAUSE_LABELS[c]}", "calls",
        contract=False, better="lower",
        definition=f"abandoned_regulatory whose cause is {c}: {CAUSE_DEFINITIONS[c]}") for c in CAUSES),
    # ---- queueing figures (issue 11): what queueing theory and call-centre tools report
    M("p_wait", "Probability of waiting", "% of people queued", percent=True, contract=False, better="lower",
      definition="people who entered the queue and left it (connected or not) and were not rung to an agent "
                 "within one step of the queue loop (engine.timers.queue_step): they found no agent free"),
    M("mean_wait_all", "Mean wait, all queued people", "s", contract=False, better="lower", digits=2,
      definition="mean time from entering the queue to an agent answering or to hanging up, over every person who "
                 "entered it and left it (abandoned included; mean_queue_wait counts the connected only)"),
    M("mean_number_waiting", "Callers waiting (time average)", "callers", contract=False, better="lower", digits=2,
      definition="time-average number of callers waiting in the queues (people, machines and inbound calls; "
                 "waiting ends when an agent is rung or the call ends)"),
    *(M(f"p_within_{n}s", f"Answered within {n} s", "% of people queued", percent=True, contract=False,
        better="higher",
        definition=f"people connected to an agent within {n} s of entering the queue, over all who entered it "
                   "and left it, connected or not (service_thresholds gives N; 10, 20 and 30 s by default)")
      for n in (10, 20, 30)),
    M("inbound_abandon_rate", "Inbound abandon rate", "% of inbound calls", percent=True, contract=False,
      better="lower",
      definition="inbound calls (queues[].inbound) that left the queue without an agent, over those that left it "
                 "(by arrival in the window); empty without inbound streams"),
    M("inbound_mean_wait", "Inbound mean wait", "s", contract=False, better="lower", digits=2,
      definition="mean time from an inbound call's arrival to an agent answering or to its hang-up, over those "
                 "that left the queue"),
    M("inbound_occupancy_share", "Inbound share of staffed time", "% of staffed time", percent=True,
      contract=False,
      definition="agents' time on inbound calls (from the ring to the call's end) over their staffed time"),
    *(M(f"inbound_p_within_{n}s", f"Inbound answered within {n} s", "% of inbound calls", percent=True,
        contract=False, better="higher",
        definition=f"inbound calls connected to an agent within {n} s of arriving, over all that left the queue")
      for n in (10, 20, 30)),
)
del M

BY_NAME: dict[str, Metric] = {m.name: m for m in REGISTRY}
CONTRACT: tuple[str, ...] = tuple(m.name for m in REGISTRY if m.contract)
"""The contract's metrics, in its order (``sim.metrics.METRICS``)."""
EXTRA: tuple[str, ...] = tuple(m.name for m in REGISTRY if not m.contract)
"""The counts behind the rates (``sim.metrics.EXTRA_METRICS``)."""
ALL: tuple[str, ...] = CONTRACT + EXTRA
"""Every metric, in the order of the tables and the JSON."""
HEADLINE: tuple[str, ...] = tuple(m.name for m in REGISTRY if m.headline)
"""What ``check`` tests by default."""
TABLE: tuple[Metric, ...] = tuple(BY_NAME[n] for n in (
    "occupancy", "talk_utilization", "abandon_rate", "abandon_rate_regulatory", "throughput_per_hour",
    "dials_per_hour", "answer_rate", "mean_queue_wait", "max_live_calls", "campaign_end_time",
))
"""The columns of the ``run`` table, in order (each has a ``column`` heading)."""
REPORT: tuple[Metric, ...] = tuple(BY_NAME[n] for n in (
    "occupancy", "talk_utilization", "abandon_rate", "abandon_rate_regulatory", "throughput_per_hour",
    "dials_per_hour", "answer_rate", "mean_queue_wait", "p90_queue_wait", "max_live_calls", "list_penetration",
))
"""The columns of the report's headline table, in order (each has a ``report`` heading)."""
PERCENT: frozenset[str] = frozenset(m.name for m in REGISTRY if m.percent)

assert len(BY_NAME) == len(REGISTRY), "two metrics share a name"
assert all(m.column for m in TABLE) and all(m.report for m in REPORT), "a table column without a heading"


def is_dynamic(name: str) -> bool:
    """A metric a scenario names for itself: ``occupancy.<group>``, ``p_within_<N>s`` and
    ``inbound_p_within_<N>s`` for thresholds beyond the registered 10/20/30 s."""
    return name not in BY_NAME and (name.startswith("occupancy.") or re.fullmatch(r"(inbound_)?p_within_.+s", name) is not None)


def get(name: str) -> Metric:
    """The metric called ``name``; a plain one (its name as label, no unit) if it is not registered."""
    m = BY_NAME.get(name)
    if m is not None:
        return m
    dyn = re.fullmatch(r"(inbound_)?p_within_(.+)s", name)
    if dyn:  # a scenario's own service_thresholds
        base = BY_NAME[f"{dyn.group(1) or ''}p_within_10s"]
        return Metric(name, base.label.replace("10", dyn.group(2)), base.unit,
                      definition=base.definition.replace("10 s", f"{dyn.group(2)} s"),
                      contract=False, percent=True, better="higher")
    if name.startswith("occupancy."):
        group = name.split(".", 1)[1]
        return Metric(name, f"Occupancy of {group}", "%", contract=False, percent=True, better="higher",
                      definition=f"occupancy of the agent group {group}")
    return Metric(name, name.replace("_", " ").capitalize(), "", definition="", contract=False)


# --------------------------------------------------------------------------- the scenario's rules


class Regulatory(NamedTuple):
    threshold: float
    """Seconds: a live answer not with an agent this long after the person's greeting (or, with
    the queue clock, after entering the queue) is abandoned."""
    max_abandon: float
    """The cap on the abandon rate (a share of live answers)."""
    greeting: float = 1.0
    """Seconds: the called person's greeting, after the answer."""
    clock: str = "answer"
    """``answer``: the deadline is the answer + greeting + threshold; ``queue``: entering the queue + threshold."""

    @property
    def allowed(self) -> float:
        """Seconds from the clock's start to the deadline."""
        return self.threshold + (self.greeting if self.clock == "answer" else 0.0)

    def describe(self) -> str:
        """The rule in words, e.g. "an agent within 2 s of the person's greeting (3 s from the answer)"."""
        if self.clock == "answer":
            return (f"an agent within {self.threshold:g} s of the person's greeting ({self.allowed:g} s from the "
                    f"answer: greeting {self.greeting:g} s + {self.threshold:g} s)")
        return f"an agent within {self.threshold:g} s of entering the queue"

    def short(self) -> str:
        """The deadline in a few words, for headings and axes: "3 s from answer", "5 s from queue entry"."""
        return f"{self.allowed:g} s from " + ("answer" if self.clock == "answer" else "queue entry")

    def within(self) -> str:
        """How long and from when: "3 s of the answer", "5 s of entering the queue"."""
        return f"{self.allowed:g} s of " + ("the answer" if self.clock == "answer" else "entering the queue")

    def footnote(self) -> str:
        """The clock in one line, the fields behind it named: "agent within 3 s of the answer
        (regulatory.greeting 1 s + regulatory.threshold 2 s)"."""
        if self.clock == "answer":
            return (f"agent within {self.within()} (regulatory.greeting {self.greeting:g} s + "
                    f"regulatory.threshold {self.threshold:g} s)")
        return f"agent within {self.within()} (regulatory.threshold {self.threshold:g} s, regulatory.clock queue)"

    def fill(self, text: str) -> str:
        """``text`` with ``{rule}``, ``{within}``, ``{allowed}`` and ``{threshold}`` filled in (see ``Metric``)."""
        return text.format(rule=self.short(), within=self.within(), allowed=f"{self.allowed:g}",
                           threshold=f"{self.threshold:g}")


DEFAULT_MAX_ABANDON = 0.03
"""The abandon-rate cap: 3 % of live answers (FCC 47 CFR 64.1200(a)(7), FTC TSR, Ofcom 2008-2017)."""
DEFAULT_THRESHOLD = 2.0
DEFAULT_GREETING = 1.0


def regulatory(scenario: Any = None) -> Regulatory:
    """The scenario's ``regulatory`` block (threshold, cap, greeting, clock) from a ``Scenario`` or
    a resolved scenario mapping, as a results folder keeps it; the defaults without one. The one
    place that knows where a scenario keeps them."""
    if scenario is None:
        return Regulatory(DEFAULT_THRESHOLD, DEFAULT_MAX_ABANDON, DEFAULT_GREETING, "answer")
    if isinstance(scenario, Mapping):
        block = scenario.get("regulatory") or {}
        get = block.get if isinstance(block, Mapping) else (lambda k, d=None: d)
    else:
        block = getattr(scenario, "regulatory", None)
        get = (lambda k, d=None: getattr(block, k, d)) if block is not None else (lambda k, d=None: d)

    def num(key: str, default: float) -> float:
        v = get(key, default)
        if isinstance(v, str):  # a resolved mapping keeps durations as numbers; tolerate text
            from sim.units import parse_duration

            v = float(v[:-1]) / 100 if v.strip().endswith("%") else parse_duration(v)
        return float(v if v is not None else default)

    return Regulatory(num("threshold", DEFAULT_THRESHOLD), num("max_abandon", DEFAULT_MAX_ABANDON),
                      num("greeting", DEFAULT_GREETING), str(get("clock", "answer") or "answer"))


def as_rules(rules: "Regulatory | float | None" = None) -> Regulatory:
    """``rules`` as a ``Regulatory``: itself; a number is a threshold in seconds on the default clock
    (the answer, the default greeting); None is the defaults."""
    if isinstance(rules, Regulatory):
        return rules
    if rules is None:
        return regulatory()
    return Regulatory(float(rules), DEFAULT_MAX_ABANDON, DEFAULT_GREETING, "answer")


def footnotes(metrics, rules: "Regulatory | float | None" = None) -> list[str]:
    """The lines under a table showing ``metrics`` (each a ``Metric``): what a heading on the
    regulators' clock measures, as "reg. abandon %: agent within 3 s of the answer (...)"."""
    r = as_rules(rules)
    return [f"{m.heading(r)}: {r.footnote()}" for m in metrics if m.regulatory]


def cap_label(max_abandon: float) -> str:
    """The cap line's legend, e.g. "3 % cap (FCC/FTC; Ofcom until 2017)"."""
    text = f"{max_abandon * 100:g} % cap"
    return text + " (FCC/FTC; Ofcom until 2017)" if max_abandon == DEFAULT_MAX_ABANDON else text


# --------------------------------------------------------------------------- docs/metrics.md

DOC_PATH = "docs/metrics.md"
REGENERATE = "python -m sim.registry"

_INTRO = """\
# Metrics

<!-- Generated from sim/registry.py by `python -m sim.registry`: edit the registry, not this file. -->

Every number pacing-sim reports. Rates are fractions from 0 to 1 in machine formats (JSON, CSV,
the results folder, Python) and percent in the tables printed for people. Terms are explained in
[the glossary](glossary.md); the regulation behind the abandon rates in [the domain notes](domain.md).

Each metric is computed per replication over the measurement window (`warmup` to the horizon or
to the moment every campaign has stopped, whichever is first), then mean, sd and 95 % Student-t
interval across the replications where it is defined. Metrics on the regulators' clock are measured,
and labelled, from the scenario's `regulatory` block: with its defaults (`clock: answer`, `greeting`
1 s, `threshold` 2 s) a live answer must be talking to an agent within 3 s of the answer, so their
labels say "3 s from answer"; with `clock: queue`, within `threshold` of entering the queue ("2 s
from queue entry"). *Better* is the direction that is
better for the campaign (blank: it depends); *check* marks the headline metrics that
`pacing-sim check` tests by default. Identity: `human_answers = conversations + abandoned + in_progress`.

Besides the metrics listed, each scenario adds its own, after them: `occupancy.<group>` for each
agent group (1 - the group's time available over its staffed time), and `p_within_<N>s`,
`inbound_p_within_<N>s` for each of its `service_thresholds` other than the listed 10, 20, 30 s.
The `inbound_*` metrics are empty (undefined) in a scenario without inbound streams.
"""

_CAUSES_INTRO = """\
## Why callers are abandoned

Every abandoned live answer, plain (`abandoned`) and on the regulators' clock
(`abandoned_regulatory`), gets one cause, read from the call's records; the counts per replication
are `abandoned_<cause>` and `abandoned_regulatory_<cause>` above (they sum to `abandoned` and
`abandoned_regulatory`), in `replications.csv`, `summary.csv` and the JSON.
"""

_CAUSES_OUTRO = """\
The moment that decides is the deadline for a regulatory abandon (or the hang-up, if the caller
left unconnected before it) and the hang-up for a plain one: `amd_hangup` and `wait_timeout`
first, then what the caller was going through at that moment. The scenario fields that usually
drive each: `campaigns[].actions` (a greeting before the queue), the service level against
`agents[].count` (over-dialing), `agents[].answer_delay`, `agents[].miss_probability` with
`engine.missed_ring`, `population.amd.false_positive`, `queues[].wait_timeout`.
"""

_TABLE_INTRO = """\
## The table printed by `run`

One row per service level (`SL`), each metric as mean ± half-width of its 95 % interval over the
replications. A dash (`-`) means the metric is undefined in every replication (no person answered,
so there is no abandon rate; the campaign never stopped, so there is no end time); a value
without `±` had one replication where it was defined. A rate whose interval reaches below 0 % or
above 100 % (few replications, a rate near 0) is shown as mean [low, high] with its ends cut there,
`0.37 [0.00, 1.30]`, and a line under the table says so; the JSON and CSV keep the raw ends
([docs/results.md](results.md)).
"""


_TABLE_OUTRO = """\
A line under the table names the scenario's regulatory clock behind `reg. abandon %`, e.g.
`reg. abandon %: agent within 3 s of the answer (regulatory.greeting 1 s + regulatory.threshold 2 s)`.
"""


def _stored(m: Metric) -> str:
    return "fraction" if m.percent else m.unit


def markdown() -> str:
    """The text of ``docs/metrics.md``, generated from the registry."""
    out = [_INTRO]
    for title, contract in (("The metrics", True), ("Counts and checks behind the rates", False)):
        out += [f"## {title}", "", "| name | unit | shown as | better | check | definition |",
                "| --- | --- | --- | --- | --- | --- |"]
        out += [f"| `{m.name}` | {_stored(m)} | {m.axis_label()} | {m.better or ''} | {'yes' if m.headline else ''} "
                f"| {m.definition} |" for m in REGISTRY if m.contract == contract]
        out.append("")
    out += [_CAUSES_INTRO, "| cause | what happened |", "| --- | --- |"]
    out += [f"| `{c}` | {CAUSE_DEFINITIONS[c]} |" for c in CAUSES]
    out += ["", _CAUSES_OUTRO]
    out += [_TABLE_INTRO, "| column | metric | unit |", "| --- | --- | --- |",
            "| `SL` | the service level (VoIPbin's pacing knob) | percent |"]
    out += [f"| `{m.heading()}` | `{m.name}` | {m.unit} |" for m in TABLE]
    out += ["", _TABLE_OUTRO]
    return "\n".join(out) + "\n"


def main(argv: list[str] | None = None) -> int:
    """``python -m sim.registry [--check] [PATH]``: write docs/metrics.md, or (``--check``) exit 1 if it is stale."""
    import sys
    from pathlib import Path

    args = list(sys.argv[1:] if argv is None else argv)
    check = "--check" in args
    args = [a for a in args if a != "--check"]
    path = Path(args[0]) if args else Path(__file__).resolve().parent.parent / DOC_PATH
    text = markdown()
    if check:
        current = path.read_text(encoding="utf-8") if path.is_file() else ""
        if current != text:
            print(f"{path} is stale; regenerate it: {REGENERATE}", file=sys.stderr)
            return 1
        return 0
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    print(f"wrote {path}")
    return 0


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(main())
