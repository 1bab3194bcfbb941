"""The verdict on a sweep: which service level to run, or why none will do.

A pure function of the summary table (a row per service level and metric: mean, sd, ci_low,
ci_high, n) and the scenario it came from. Among the levels run, a level **passes** when its
constraint metric (``abandon_rate_regulatory`` by default) has an upper 95 % bound within the
limit (the scenario's ``regulatory.max_abandon`` by default) from at least two replications
and, with a minimum occupancy, occupancy's lower bound reaches it; the same rule as ``tune``.
The recommended level is the passing one with the highest mean objective (``throughput_per_hour``
by default; on a tie, the lowest level). The reason says, in an analyst's words, the level and
its headline figures, or why none passes: the dominant cause of the abandons at the level that
came closest, and the scenario field that drives it.
"""

from __future__ import annotations

import math
from typing import Any, Optional

from sim import registry
from sim.abandons import CAUSES, cause_columns
from sim.format import clip

CONSTRAINT_METRICS = ("abandon_rate_regulatory", "abandon_rate")
OBJECTIVES = ("throughput_per_hour", "occupancy")
DEFAULT_METRIC = "abandon_rate_regulatory"
DEFAULT_OBJECTIVE = "throughput_per_hour"
DEFAULT_LIMIT = 0.03

FEASIBLE, INFEASIBLE, UNCLEAR, UNDEFINED = "feasible", "infeasible", "unclear", "undefined"

CAUSE_PHRASES = {
    "actions_before_queue": "ran out of time while the campaign's actions played",
    "queue_no_agent": "were waiting in the queue with no agent free",
    "agent_ringing": "were waiting while an agent's phone rang",
    "stranded": "were left alone after an agent missed the ring",
    "amd_hangup": "were hung up on by machine detection",
    "wait_timeout": "were removed by the queue's wait timeout",
    "wait_flow_end": "were hung up when their call flow ended while they waited",
}
"""What happened to the callers abandoned for each cause (after "N % of them ...")."""

_NAMES = {
    "abandon_rate_regulatory": "regulatory abandon rate",
    "abandon_rate": "abandon rate (callers who never reached an agent)",
    "throughput_per_hour": "conversations an hour",
    "occupancy": "occupancy",
}


# --------------------------------------------------------------------------- judging levels


def upper_status(s: dict, limit: float) -> str:
    """Is a metric that must stay at or below ``limit`` within it, with 95 % confidence?"""
    if s is None or s.get("n", 0) < 2 or _nan(s.get("ci_high")):
        return UNDEFINED
    if s["ci_high"] <= limit:
        return FEASIBLE
    if s["ci_low"] > limit:
        return INFEASIBLE
    return UNCLEAR


def lower_status(s: dict, minimum: float) -> str:
    """Does a metric that must reach ``minimum`` reach it, with 95 % confidence?"""
    if s is None or s.get("n", 0) < 2 or _nan(s.get("ci_low")):
        return UNDEFINED
    if s["ci_low"] >= minimum:
        return FEASIBLE
    if s["ci_high"] < minimum:
        return INFEASIBLE
    return UNCLEAR


def level_status(stats: dict[str, dict], metric: str, limit: float, min_occupancy: Optional[float]) -> str:
    """One level's status: feasible only if every constraint is; infeasible if any clearly fails."""
    verdicts = [upper_status(stats.get(metric), limit)]
    if min_occupancy is not None:
        verdicts.append(lower_status(stats.get("occupancy"), min_occupancy))
    for st in (INFEASIBLE, UNDEFINED, UNCLEAR):
        if st in verdicts:
            return st
    return FEASIBLE


def levels_of(summary, scenario: Optional[str] = None) -> dict[int, dict[str, dict]]:
    """The summary table (DataFrame or list of row dicts) -> ``{level: {metric: stats}}``."""
    rows = summary.to_dict("records") if hasattr(summary, "to_dict") else list(summary)
    out: dict[int, dict[str, dict]] = {}
    for r in rows:
        if scenario is not None and r.get("scenario", scenario) != scenario:
            continue
        out.setdefault(int(r["service_level"]), {})[r["metric"]] = {
            "mean": _float(r["mean"]), "sd": _float(r["sd"]), "ci_low": _float(r["ci_low"]),
            "ci_high": _float(r["ci_high"]), "n": int(r["n"]),
        }
    return dict(sorted(out.items()))


# --------------------------------------------------------------------------- the verdict


def verdict(
    summary,
    scenario=None,
    *,
    metric: Optional[str] = None,
    limit: Optional[float] = None,
    min_occupancy: Optional[float] = None,
    objective: Optional[str] = None,
    name: Optional[str] = None,
) -> dict[str, Any]:
    """The verdict on a sweep: a JSON-ready dict.

    Keys: ``metric``, ``limit``, ``recommended_service_level`` (None if no level passes),
    ``reason`` (a paragraph), ``causes`` (share of the constraint's abandons per cause at
    ``causes_service_level``: the recommended level, or else the level that came closest),
    ``objective``, ``min_occupancy``, ``levels`` (each level's status and figures), and the
    regulatory clock it was judged on.
    """
    metric = metric or DEFAULT_METRIC
    objective = objective or DEFAULT_OBJECTIVE
    if metric not in CONSTRAINT_METRICS:
        raise ValueError(f"metric must be one of {', '.join(CONSTRAINT_METRICS)}; got {metric!r}")
    if objective not in OBJECTIVES:
        raise ValueError(f"objective must be one of {', '.join(OBJECTIVES)}; got {objective!r}")
    reg = getattr(scenario, "regulatory", None)
    if limit is None:
        limit = float(reg.max_abandon) if reg is not None else DEFAULT_LIMIT
    name = getattr(scenario, "name", None) if name is None else name
    levels = levels_of(summary, name)

    table = []
    for sl, stats in levels.items():
        st = level_status(stats, metric, limit, min_occupancy)
        table.append({
            "service_level": sl,
            "status": st,
            "passes": st == FEASIBLE,
            metric: stats.get(metric),
            objective: stats.get(objective),
            **({"occupancy": stats.get("occupancy")} if objective != "occupancy" else {}),
        })
    passing = [e["service_level"] for e in table if e["passes"]]
    recommended = max(passing, key=lambda sl: (_mean(levels[sl].get(objective)), -sl)) if passing else None
    focus = recommended if recommended is not None else _closest(levels, metric)
    shares, counts = _causes(levels.get(focus, {}), metric)

    ctx = _Context(scenario, levels, metric, limit, min_occupancy, objective)
    reason = ctx.recommend(recommended) if recommended is not None else ctx.refuse(focus)
    return {
        "scenario": name,
        "metric": metric,
        "limit": limit,
        "objective": objective,
        "min_occupancy": min_occupancy,
        "recommended_service_level": recommended,
        "reason": reason,
        "causes": shares,
        "causes_service_level": focus,
        "cause_counts": counts,
        "regulatory": ({"clock": reg.clock, "threshold": reg.threshold, "greeting": reg.greeting,
                        "max_abandon": reg.max_abandon} if reg is not None else None),
        "levels": table,
    }


def _closest(levels: dict[int, dict], metric: str) -> Optional[int]:
    """The level whose constraint came closest to passing: lowest upper bound (else lowest mean)."""
    known = [sl for sl, st in levels.items() if st.get(metric) and st[metric]["n"] >= 1 and not _nan(st[metric]["mean"])]
    if not known:
        return next(iter(levels), None)

    def key(sl):
        s = levels[sl][metric]
        hi = s["ci_high"] if s["n"] >= 2 and not _nan(s["ci_high"]) else math.inf
        return (hi, s["mean"], sl)

    return min(known, key=key)


def _causes(stats: dict[str, dict], metric: str) -> tuple[dict[str, float], dict[str, Optional[float]]]:
    """Shares of the abandons per cause (pooled over replications) and mean counts per replication."""
    cols = cause_columns(metric)
    counts = {c: (stats[col]["mean"] if col in stats else math.nan) for c, col in zip(CAUSES, cols)}
    known = {c: v for c, v in counts.items() if not _nan(v)}
    total = sum(known.values())
    shares = {c: (known.get(c, 0.0) / total if total > 0 else 0.0) for c in CAUSES}
    return shares, {c: (None if _nan(v) else v) for c, v in counts.items()}


def verdict_from_document(summary, doc: dict, **options: Any) -> dict[str, Any]:
    """The verdict from a results folder's tables: the scenario as its resolved document (validated
    again for the reason's details; if it no longer validates, judged on the figures alone)."""
    from sim.scenario.schema import Scenario

    try:
        scenario = Scenario.model_validate(doc)
    except Exception:  # noqa: BLE001  (a folder from another version: the figures still judge)
        scenario = None
    opts = {k: v for k, v in options.items() if v is not None}
    if scenario is None and "limit" not in opts:
        opts["limit"] = registry.regulatory(doc).max_abandon
    return verdict(summary, scenario, name=doc.get("name"), **opts)


# --------------------------------------------------------------------------- words


class _Context:
    """Writes the reason: figures from the summary, drivers from the scenario."""

    def __init__(self, scenario, levels, metric, limit, min_occupancy, objective):
        self.scn = scenario
        self.levels = levels
        self.metric = metric
        self.limit = limit
        self.min_occ = min_occupancy
        self.objective = objective

    # ---- figures

    def fig(self, sl: int, metric: str, bound: Optional[str] = None) -> str:
        s = self.levels[sl].get(metric)
        if s is None or _nan(s["mean"]):
            return "undefined"
        pct = metric != "throughput_per_hour"
        text = _num(s["mean"], pct)
        if s["n"] >= 2 and not _nan(s["ci_low"]):
            lo, hi = _shown(metric, s)
            if bound == "upper":
                text += f" (upper 95 % bound {_num(hi, pct)})"
            elif bound == "lower":
                text += f" (lower 95 % bound {_num(lo, pct)})"
            else:
                text += f" [{_num(lo, pct, unit=False)}, {_num(hi, pct, unit=False)}]"
        return text

    def status(self, sl: int) -> str:
        return level_status(self.levels[sl], self.metric, self.limit, self.min_occ)

    def why_fails(self, sl: int) -> str:
        """Why level ``sl`` does not pass, in a clause."""
        c = upper_status(self.levels[sl].get(self.metric), self.limit)
        if c == UNDEFINED:
            s = self.levels[sl].get(self.metric) or {"n": 0}
            return (f"its {_NAMES[self.metric]} rests on {s['n']} replication(s) with live answers "
                    "(at least 2 are needed for a 95 % interval)")
        if c != FEASIBLE:
            word = "is above" if c == INFEASIBLE else "straddles"
            s = self.levels[sl][self.metric]
            lo, hi = _shown(self.metric, s)
            return (f"its {_NAMES[self.metric]} is {_num(s['mean'], True)}, and the 95 % interval "
                    f"[{_num(lo, True)}, {_num(hi, True)}] {word} the {_cap(self.limit)} cap")
        o = self.levels[sl].get("occupancy")
        return (f"its occupancy {self.fig(sl, 'occupancy', 'upper')} does not reach the minimum of "
                f"{_num(self.min_occ, True)}" if o is not None else "its occupancy is unknown")

    # ---- the two answers

    def recommend(self, sl: int) -> str:
        parts = [
            f"Run service level {sl}: {self.fig(sl, 'throughput_per_hour')} conversations an hour, occupancy "
            f"{self.fig(sl, 'occupancy')}, {_NAMES[self.metric]} {self.fig(sl, self.metric, 'upper')}, within the "
            f"{_cap(self.limit)} cap{self.clock_words()}."
        ]
        if self.objective != "throughput_per_hour":
            parts.append(f"It has the highest {_NAMES[self.objective]} of the levels that pass.")
        higher = [x for x in self.levels if x > sl]
        if not higher:
            parts.append(f"It is the highest level of the sweep; a higher one may carry more "
                         f"(`pacing-sim tune` searches beyond the sweep).")
            return " ".join(parts)
        above = higher[0]
        if self.status(above) == FEASIBLE:
            parts.append(f"Level {above} also passes but gives less {_NAMES[self.objective]}.")
            return " ".join(parts)
        parts.append(f"The next level up, {above}, does not pass: {self.why_fails(above)}.")
        parts.append(self.explain(above))
        return " ".join(p for p in parts if p)

    def refuse(self, focus: Optional[int]) -> str:
        lv = list(self.levels)
        if not lv or focus is None:
            return "No service level was run to completion, so there is nothing to recommend."
        span = f"{lv[0]}" if len(lv) == 1 else f"{lv[0]} to {lv[-1]}"
        rule = f"keeps the {_NAMES[self.metric]}'s upper 95 % bound within {_cap(self.limit)}"
        if self.min_occ is not None:
            rule += f" with occupancy's lower bound at {_num(self.min_occ, True)} or more"
        why = self.explain(focus)
        clock = "" if "regulatory.threshold" in why else self.clock_words()
        parts = [f"No service level of the sweep ({span}) {rule}{clock}."]
        parts.append(f"The closest, service level {focus}, does not pass: {self.why_fails(focus)}.")
        parts.append(why)
        if upper_status(self.levels[focus].get(self.metric), self.limit) == FEASIBLE:
            parts.append("Lower the minimum occupancy, or raise the level with more callers per agent.")
        return " ".join(p for p in parts if p)

    def clock_words(self) -> str:
        reg = getattr(self.scn, "regulatory", None)
        if reg is None or self.metric != "abandon_rate_regulatory":
            return ""
        if reg.clock == "answer":
            return (f" (a live answer counts as abandoned unless an agent is talking to the person within "
                    f"{_secs(reg.greeting + reg.threshold)} of the answer: regulatory.greeting {_secs(reg.greeting)} "
                    f"+ regulatory.threshold {_secs(reg.threshold)})")
        return (f" (a live answer counts as abandoned unless an agent is talking to the person within "
                f"{_secs(reg.threshold)} of entering the queue: regulatory.clock queue)")

    def explain(self, sl: int) -> str:
        """The dominant cause of the abandons at ``sl`` and the scenario field that drives it."""
        shares, counts = _causes(self.levels[sl], self.metric)
        total = sum(v for v in counts.values() if v is not None)
        if total <= 0:
            return ""
        cause = max(CAUSES, key=lambda c: (shares[c], -CAUSES.index(c)))
        text = (f"At {sl}, {_num(shares[cause], True, digits=0)} of the abandoned callers "
                f"{CAUSE_PHRASES[cause]} ({cause})")
        drv = drivers(self.scn, cause, self.metric, sl, first_level=next(iter(self.levels)))
        return text + (f": {drv}" if drv else "") + "."


# --------------------------------------------------------------------------- drivers


def drivers(scenario, cause: str, metric: str, level: int, first_level: Optional[int] = None) -> str:
    """The scenario fields that drive ``cause``, with their values, and what would change it."""
    if scenario is None:
        return ""
    fn = _DRIVERS.get(cause)
    return fn(scenario, metric, level, first_level) if fn else ""


def _allowance(scn, metric: str) -> str:
    reg = scn.regulatory
    if metric == "abandon_rate_regulatory":
        if reg.clock == "answer":
            return (f"the {_secs(reg.greeting + reg.threshold)} a person may wait after answering "
                    f"(regulatory.greeting {_secs(reg.greeting)} + regulatory.threshold {_secs(reg.threshold)})")
        return f"the {_secs(reg.threshold)} a caller may wait after entering the queue (regulatory.threshold)"
    return f"the callers' patience (population.patience: {describe_dist(scn.population.patience)})"


def action_seconds(action, speech_rate_wps: float) -> Optional[float]:
    """An action's time as the model plays it (None: it varies, as machine detection does)."""
    opt = action.option
    if action.type == "talk":
        return opt.duration if opt.duration is not None else len((opt.text or "").split()) / speech_rate_wps
    if action.type in ("play", "sleep"):
        return float(opt.duration or 0.0)
    return None if action.type == "amd" else 0.0


def _actions(scn, metric, level, first_level) -> str:
    pop = scn.population
    out = []
    for i, c in enumerate(scn.campaigns):
        if c.type != "call":
            continue
        if c.queue is None:
            out.append(f"campaigns[{i}] ({c.name}) has no queue, so nobody it reaches is put through to an agent")
            continue
        items, total = [], 0.0
        for j, a in enumerate(c.actions):
            t = action_seconds(a, pop.speech_rate_wps)
            if a.type == "hangup":
                items.append(f"a hangup action (campaigns[{i}].actions[{j}]) that ends the call before the queue")
            elif a.type == "amd":
                items.append(f"machine detection of {describe_dist(pop.amd.detect_time)} (campaigns[{i}].actions[{j}])")
                total += pop.amd.detect_time.mean
            elif t:
                items.append(f"a {a.type} action of {_secs(t)} (campaigns[{i}].actions[{j}])")
                total += t
        if items:
            out.append(f"campaign {c.name}'s actions play before its queue_join: " + ", ".join(items)
                       + (f", {_secs(total)} on average" if len(items) > 1 else ""))
    if not out:
        return ""
    text = "; ".join(out)
    if metric == "abandon_rate_regulatory":
        text += f", against {_allowance(scn, metric)}; shorten or drop the actions so the queue comes first"
    return text


def _queue_no_agent(scn, metric, level, first_level) -> str:
    agents = sum(g.count for g in scn.agents)
    groups = ", ".join(f"agents[{i}].count {g.count}" for i, g in enumerate(scn.agents)) or "no agents"
    rule = scn.semantics().service_level_rule
    how = ("the capacity check lets floor(A x SL / 100) live calls run against A available agents"
           if rule == "agent_side" else "the capacity check dials while A > D x SL / 100")
    text = (f"more people answer than there are free agents: over-dialing at service level {level} "
            f"(the sweep's service_levels; {how}) with {agents} agent{'s' if agents != 1 else ''} ({groups})")
    if first_level is not None and level == first_level:
        text += f"; even the sweep's lowest level over-dials: try lower levels or more agents"
    else:
        text += "; a lower level or more agents would keep callers from waiting"
    return text


def _agent_ringing(scn, metric, level, first_level) -> str:
    groups = [f"agents[{i}].answer_delay: {describe_dist(g.answer_delay)}" for i, g in enumerate(scn.agents) if g.count]
    if not groups:
        return ""
    return (f"the agents' answer delay ({'; '.join(groups)}) against {_allowance(scn, metric)}, plus the queue loop's "
            f"{_secs(scn.engine.timers.queue_step)} step; auto-answer or a faster pick-up would fix it, "
            "not the service level")


def _stranded(scn, metric, level, first_level) -> str:
    groups = [f"agents[{i}].miss_probability {_num(g.miss_probability, True)}" for i, g in enumerate(scn.agents)
              if g.count and g.miss_probability > 0]
    sem = scn.semantics()
    slow = [f"agents[{i}].answer_delay {describe_dist(g.answer_delay)}" for i, g in enumerate(scn.agents)
            if g.count and g.answer_delay.mean >= sem.timers.ring_timeout]
    who = "; ".join(groups + slow) or "agents who let the ring time out"
    if sem.missed_ring == "strand":
        after = ("and, as VoIPbin is coded, the caller is then left alone hearing ringing "
                 "(engine.missed_ring: strand)")
    else:
        after = (f"and the caller waits again after the agent's ring times out (engine.timers.ring_timeout "
                 f"{_secs(sem.timers.ring_timeout)})")
    return f"agents miss rings ({who}) {after}"


def _amd(scn, metric, level, first_level) -> str:
    fp = scn.population.amd.false_positive
    where = [f"campaigns[{i}].actions[{j}]" for i, c in enumerate(scn.campaigns) for j, a in enumerate(c.actions)
             if a.type == "amd" and (a.option.machine_handle or "hangup") == "hangup"]
    return (f"machine detection takes {_num(fp, True)} of people for machines (population.amd.false_positive) and "
            f"hangs up on them ({', '.join(where) or 'an amd action'} with machine_handle: hangup)")


def _wait_timeout(scn, metric, level, first_level) -> str:
    qs = [f"queues[{i}].wait_timeout {_secs(q.wait_timeout)}" for i, q in enumerate(scn.queues) if q.wait_timeout > 0]
    return f"the queue removes callers still waiting after its wait timeout ({'; '.join(qs)})" if qs else ""


def _wait_flow_end(scn, metric, level, first_level) -> str:
    parts = []
    for i, q in enumerate(scn.queues):
        if q.wait_flow is None:
            parts.append(f"queues[{i}].wait_flow is none: callers are hung up as they join")
        else:
            parts.append(f"queues[{i}].wait_flow ends a wait after flow-manager's 100 executed actions")
    return "; ".join(parts)


_DRIVERS = {
    "actions_before_queue": _actions,
    "queue_no_agent": _queue_no_agent,
    "agent_ringing": _agent_ringing,
    "stranded": _stranded,
    "amd_hangup": _amd,
    "wait_timeout": _wait_timeout,
    "wait_flow_end": _wait_flow_end,
}


# --------------------------------------------------------------------------- formatting


def describe_dist(d) -> str:
    """A distribution in a few words: ``1-4 s``, ``3 s``, ``exponential, mean 25 s``."""
    kind = getattr(d, "dist", "")
    if kind == "constant":
        return _secs(d.value)
    if kind == "uniform":
        return f"{_g(d.low)}-{_g(d.high)} s"
    if kind == "exponential":
        return f"exponential, mean {_secs(d.mean)}"
    if kind in ("lognormal", "gamma"):
        return f"{kind}, mean {_secs(d.mean)}, sd {_secs(d.sd)}"
    return f"mean {_secs(d.mean)}"


def _g(x: float) -> str:
    return f"{x:.2f}".rstrip("0").rstrip(".") if x != int(x) else f"{int(x)}"


def _secs(x: float) -> str:
    return f"{_g(x)} s"


def _num(x: Optional[float], pct: bool, unit: bool = True, digits: Optional[int] = None) -> str:
    if x is None or _nan(x):
        return "undefined"
    if pct:
        v = 100.0 * x
        d = digits if digits is not None else (2 if 0 < abs(v) < 1 else 1)
        return f"{v:.{d}f}" + (" %" if unit else "")
    return f"{x:.1f}"


def _shown(metric: str, s: dict) -> tuple[Optional[float], Optional[float]]:
    """The ends of ``s``'s interval as the text shows them: a rate's cut to [0, 1] (``sim.format.clip``).
    Only the words: the verdict is judged, and written to the JSON, on the raw ends."""
    return clip(s["ci_low"], s["ci_high"], registry.get(metric).bounds)


def _cap(x: float) -> str:
    return f"{_g(100.0 * x)} %"


def _nan(x: Any) -> bool:
    return x is None or (isinstance(x, float) and math.isnan(x))


def _float(x: Any) -> float:
    try:
        return float(x)
    except (TypeError, ValueError):
        return math.nan


def _mean(s: Optional[dict]) -> float:
    return -math.inf if s is None or _nan(s.get("mean")) else s["mean"]


__all__ = ["CAUSE_PHRASES", "CONSTRAINT_METRICS", "OBJECTIVES", "describe_dist", "drivers", "level_status",
           "levels_of", "lower_status", "upper_status", "verdict", "verdict_from_document"]
