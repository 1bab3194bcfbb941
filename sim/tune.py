"""Tuning: the service level with the best objective whose constraint holds with 95 % confidence.

A level is *feasible* when the upper bound of the 95 % Student-t interval of its constraint
metric (``abandon_rate`` by default) is within the limit, and, with a minimum occupancy, the
lower bound of the occupancy interval is at or above it. It is *infeasible* when the interval
lies wholly on the wrong side, *unclear* in between, and *undefined* when the constraint metric
is known in fewer than two replications (no human answered: nothing to certify). Only feasible
levels can be chosen; among them the one with the highest mean objective wins (of levels with
identical runs, the lowest).

The search (``tune``):

1. **Widen**: a ladder 0, 25, 50, 100, 200, ... (doubling, inside ``range``), one level at a
   time, until the constraint binds (a clearly infeasible level that is not clearly better than
   the one before, twice, or significantly worse once), the objective stops improving (two
   feasible levels in a row no better than the best so far), the behaviour saturates (three
   rungs in a row with identical runs, calls placed: the capacity check no longer binds), or the
   range ends.
2. **Refine** around every *contender* (a feasible level whose objective is not significantly
   below the best's): bisect on integers toward a neighbour that is not feasible (the
   constraint binds in between), down to ``tolerance`` levels; add replications (doubling, up
   to ``max_replications``) to a neighbour whose constraint is unclear and whose objective is
   not significantly lower; bisect toward a feasible neighbour only when the best level is a
   local maximum of the objective and the paired difference to that neighbour is significant.
   With no feasible level yet, undecided levels get replications first, then the gap between
   two levels failing *different* constraints (abandons at one, occupancy at the other) is
   bisected.
3. Stop when nothing is left to decide or the next step would exceed ``budget`` runs.

Every level runs the same replications 0..n-1 (common random numbers), so comparisons between
levels are paired over their common replications.
"""

from __future__ import annotations

import itertools
import math
from dataclasses import dataclass, field
from typing import Callable, Iterable, Optional

import numpy as np

from sim import registry
from sim.format import summary_interval
from sim.metrics import METRICS
from sim.stats import paired_difference, summarize

OBJECTIVES = ("throughput_per_hour", "occupancy")
CONSTRAINT_METRICS = ("abandon_rate", "abandon_rate_regulatory")

FEASIBLE, INFEASIBLE, UNCLEAR, UNDEFINED = "feasible", "infeasible", "unclear", "undefined"

LADDER_START = 25
"""The first non-zero rung of the widening ladder; the rungs double from there."""
MAX_LEVEL = 100_000
"""The ladder's ceiling when the range is open: the highest level a scenario accepts. (With the
default page size of 100, levels above 10 100 behave alike: ``floor(A*SL/100) > D`` then holds
whenever an agent is available.)"""

Evaluator = Callable[[int, Iterable[int]], list[dict[str, float]]]
"""``(service_level, replications) -> [metrics of each replication]``, in the order asked."""


class TuneError(Exception):
    """A bad argument: the search cannot start."""


@dataclass
class Level:
    """The runs of one service level so far: per metric, the values of replications 0..n-1."""

    service_level: int
    values: dict[str, np.ndarray] = field(default_factory=dict)

    @property
    def n(self) -> int:
        return len(next(iter(self.values.values()))) if self.values else 0

    def add(self, rows: list[dict[str, float]]) -> None:
        n = self.n
        keys = set(self.values) | {k for r in rows for k in r}
        for k in keys:
            new = np.array([r.get(k, math.nan) for r in rows], float)
            old = self.values.get(k, np.full(n, math.nan))
            self.values[k] = np.concatenate([old, new])

    def summary(self, metric: str) -> dict[str, float]:
        return summarize(self.values.get(metric, np.zeros(0)))


@dataclass
class TuneResult:
    """What ``tune`` found. ``service_level`` is None when no level satisfies the constraint."""

    scenario: str
    service_level: Optional[int]
    metrics: dict[str, dict[str, float]]
    runs: int
    rejected: list[dict]
    evaluated: list[dict]
    constraint: dict
    objective: str
    clear: bool
    budget: int
    budget_exhausted: bool
    notes: list[str]
    equivalent: list[int] = field(default_factory=list)
    """Evaluated levels whose runs are identical to the chosen level's (the chosen one is the lowest)."""
    levels: dict[int, Level] = field(repr=False, default_factory=dict)

    @property
    def found(self) -> bool:
        return self.service_level is not None

    def to_dict(self) -> dict:
        """The JSON document of ``pacing-sim tune --format json``."""
        return {
            "scenario": self.scenario,
            "service_level": self.service_level,
            "metrics": self.metrics,
            "runs": self.runs,
            "rejected": self.rejected,
            "constraint": self.constraint,
            "objective": self.objective,
            "clear": self.clear,
            "budget": self.budget,
            "budget_exhausted": self.budget_exhausted,
            "equivalent_levels": self.equivalent,
            "evaluated": self.evaluated,
            "notes": self.notes,
        }

    @property
    def summary(self):
        """Every evaluated level as ``ExperimentResult.summary`` has it: a row per level and metric."""
        import pandas as pd

        rows = []
        for sl in sorted(self.levels):
            lv = self.levels[sl]
            for m in lv.values:
                rows.append({"scenario": self.scenario, "service_level": sl, "metric": m, **lv.summary(m)})
        return pd.DataFrame(rows, columns=["scenario", "service_level", "metric", "mean", "sd", "ci_low", "ci_high", "n"])

    def table(self):
        """A row per evaluated level: status, n, and mean/bounds of the constraint and objective."""
        import pandas as pd

        rows = []
        for e in self.evaluated:
            row = {"service_level": e["service_level"], "n": e["n"], "status": e["status"]}
            for key in ("constraint", "objective", "occupancy"):
                s = e.get(key)
                if s is None:
                    continue
                name = e.get(f"{key}_metric", key)
                row[f"{name}_mean"] = s["mean"]
                row[f"{name}_ci_low"] = s["ci_low"]
                row[f"{name}_ci_high"] = s["ci_high"]
            rows.append(row)
        return pd.DataFrame(rows)


def ladder(low: int, high: Optional[int], start: Optional[list[int]] = None) -> list[int]:
    """The widening ladder inside [low, high]: ``low``, then 25·2^k, then ``high`` (if bounded).

    ``start`` (levels a user asked for) replaces the rungs it covers: its levels first, then the
    doubling continues above its highest level.
    """
    top = MAX_LEVEL if high is None else high
    if start:
        pts = sorted({s for s in start if low <= s <= top})
        nxt = max(pts[-1] * 2, LADDER_START) if pts else max(low, LADDER_START)
    else:
        pts = [low]
        nxt = LADDER_START
        while nxt <= low:
            nxt *= 2
    while nxt < top:
        pts.append(nxt)
        nxt *= 2
    if high is not None and (not pts or pts[-1] != high):
        pts.append(high)
    return sorted(set(pts))


class _Search:
    def __init__(self, evaluate: Evaluator, *, metric: str, max_abandon: float, min_occupancy: Optional[float],
                 objective: str, low: int, high: Optional[int], replications: int, max_replications: int,
                 budget: int, start: Optional[list[int]], log: Optional[Callable[[str], None]], tolerance: int = 1):
        self.evaluate_fn = evaluate
        self.metric = metric
        self.limit = max_abandon
        self.min_occ = min_occupancy
        self.objective = objective
        self.low, self.high = low, high
        self.reps = replications
        self.max_reps = max_replications
        self.budget = budget
        self.tolerance = max(1, int(tolerance))
        self.start = start
        self.log = log or (lambda _msg: None)
        self.levels: dict[int, Level] = {}
        self.runs = 0
        self.budget_exhausted = False
        self.notes: list[str] = []

    # ------------------------------------------------------------------ runs

    def can_spend(self, k: int) -> bool:
        if self.runs + k > self.budget:
            self.budget_exhausted = True
            return False
        return True

    def run(self, sl: int, k: int) -> bool:
        """Run ``k`` more replications of level ``sl`` (continuing its replication numbers)."""
        if k <= 0 or not self.can_spend(k):
            return False
        lv = self.levels.setdefault(sl, Level(sl))
        reps = range(lv.n, lv.n + k)
        lv.add(self.evaluate_fn(sl, reps))
        self.runs += k
        self.log(f"SL {sl}: {lv.n} replications, {self.describe(sl)} ({self.runs} runs so far)")
        return True

    # ------------------------------------------------------------------ judgements

    def status(self, sl: int) -> str:
        lv = self.levels[sl]
        c = lv.summary(self.metric)
        if c["n"] < 2:
            return UNDEFINED
        verdicts = [_upper_verdict(c, self.limit)]
        if self.min_occ is not None:
            o = lv.summary("occupancy")
            verdicts.append(UNDEFINED if o["n"] < 2 else _lower_verdict(o, self.min_occ))
        if INFEASIBLE in verdicts:
            return INFEASIBLE
        if UNDEFINED in verdicts:
            return UNDEFINED
        if UNCLEAR in verdicts:
            return UNCLEAR
        return FEASIBLE

    def obj(self, sl: int) -> float:
        m = self.levels[sl].summary(self.objective)["mean"]
        return -math.inf if m is None or math.isnan(m) else m

    def diff(self, a: int, b: int, metric: str) -> dict[str, float]:
        """Paired difference ``b - a`` of a metric over the replications both levels ran."""
        la, lb = self.levels[a], self.levels[b]
        n = min(la.n, lb.n)
        return paired_difference(la.values[metric][:n], lb.values[metric][:n])

    def significantly_lower(self, a: int, b: int, metric: str) -> bool:
        """Is ``metric`` at ``b`` below ``a``'s, beyond the 95 % interval of the paired difference?"""
        d = self.diff(a, b, metric)
        if d["n"] < 2:
            return False
        if d["sd"] == 0:
            return d["mean"] < 0
        return d["ci_high"] < 0

    def feasible(self) -> list[int]:
        return [sl for sl in self.levels if self.status(sl) == FEASIBLE]

    def best(self) -> Optional[int]:
        cands = self.feasible()
        if not cands:
            return None
        return max(cands, key=lambda sl: (self.obj(sl), -sl))

    def neighbours(self, sl: int) -> tuple[Optional[int], Optional[int]]:
        below = [x for x in self.levels if x < sl]
        above = [x for x in self.levels if x > sl]
        return (max(below) if below else None), (min(above) if above else None)

    def equivalent(self, sl: int) -> list[int]:
        """The evaluated levels next to ``sl`` (a contiguous run of them) whose runs equal its own."""
        order = sorted(self.levels)
        i = order.index(sl)
        lo = hi = i
        while lo > 0 and self.same_runs(sl, order[lo - 1]):
            lo -= 1
        while hi + 1 < len(order) and self.same_runs(sl, order[hi + 1]):
            hi += 1
        return order[lo:hi + 1]

    def describe(self, sl: int) -> str:
        c = self.levels[sl].summary(self.metric)
        o = self.levels[sl].summary(self.objective)
        return (f"{self.metric} {_fmt(c, self.metric)}, {self.objective} {_fmt(o, self.objective)}: {self.status(sl)}")

    def same_runs(self, a: int, b: int) -> bool:
        la, lb = self.levels[a], self.levels[b]
        n = min(la.n, lb.n)
        if n == 0:
            return False
        keys = {self.metric, self.objective, "occupancy", "dials_per_hour"}
        keys = [k for k in keys if k in la.values or k in lb.values]
        return all(k in la.values and k in lb.values
                   and np.array_equal(la.values[k][:n], lb.values[k][:n], equal_nan=True) for k in keys)

    # ------------------------------------------------------------------ phases

    def widen(self) -> None:
        rungs = ladder(self.low, self.high, self.start)
        no_gain = stuck = same = 0
        prev: Optional[int] = None
        for sl in rungs:
            if not self.run(sl, self.reps):
                return
            st = self.status(sl)
            dialled = np.nan_to_num(self.levels[sl].values.get("dials_per_hour", np.ones(1))).max() > 0
            same = 0 if prev is None or not dialled or not self.same_runs(prev, sl) else same + 1
            if same >= 2:
                self.notes.append(f"stopped widening at {sl}: three levels in a row, up to {sl}, gave identical runs "
                                  "(the capacity check no longer binds, so higher levels behave the same)")
                return
            if st == INFEASIBLE and prev is not None and self.status(prev) != UNDEFINED:
                c = self.levels[sl].summary(self.metric)
                worse = _upper_verdict(c, self.limit) == INFEASIBLE and self.significantly_lower(sl, prev, self.metric)
                stuck = 0 if self.improving(prev, sl) else stuck + 1
                if worse or stuck >= 2:
                    why = "significantly worse" if worse else "not significantly better"
                    self.notes.append(f"stopped widening at {sl}: the constraint fails there and is {why} than at "
                                      f"{prev} (paired difference of {self.metric} "
                                      f"{_fmt(self.diff(prev, sl, self.metric), signed=True)})")
                    return
            else:
                stuck = 0
            if st == FEASIBLE:
                earlier = [x for x in self.feasible() if x != sl]
                if earlier:
                    best_before = max(earlier, key=lambda x: (self.obj(x), -x))
                    no_gain = 0 if self.gain(best_before, sl) else no_gain + 1
                if no_gain >= 2:
                    self.notes.append(f"stopped widening at {sl}: two levels in a row feasible but not significantly "
                                      f"better in {self.objective} than {best_before}")
                    return
            prev = sl

    def gain(self, a: int, b: int) -> bool:
        """Is the objective at ``b`` significantly above ``a``'s?"""
        return self.significantly_lower(b, a, self.objective)

    def improving(self, a: int, b: int) -> bool:
        """Does the violated constraint get significantly better from ``a`` to ``b``?"""
        if self.significantly_lower(a, b, self.metric):
            return True
        return self.min_occ is not None and self.significantly_lower(b, a, "occupancy")

    def refine(self) -> None:
        while True:
            b = self.best()
            if b is None:
                if not self.resolve_unclear():
                    return
                continue
            action = self.next_action(b)
            if action is None:
                return
            kind, sl = action
            k = self.reps if kind == "new" else min(self.levels[sl].n, self.max_reps - self.levels[sl].n)
            if not self.run(sl, k):
                return

    def resolve_unclear(self) -> bool:
        """No feasible level yet: add replications to the undecided level with the best objective;
        failing that, bisect between two neighbouring levels that fail different constraints
        (abandons too high at one, occupancy too low at the other: a feasible band may lie between)."""
        cands = [sl for sl in self.levels if self.status(sl) == UNCLEAR and self.levels[sl].n < self.max_reps]
        if cands:
            sl = max(cands, key=lambda x: (self.obj(x), -x))
            return self.run(sl, min(self.levels[sl].n, self.max_reps - self.levels[sl].n))
        order = sorted(self.levels)
        for a, b in itertools.pairwise(order):
            va, vb = self.violations(a), self.violations(b)
            if b - a > self.tolerance and va and vb and not (va & vb):
                return self.run((a + b) // 2, self.reps)
        return False

    def violations(self, sl: int) -> set[str]:
        """The constraints a level does not clearly satisfy (empty when undefined)."""
        lv = self.levels[sl]
        c = lv.summary(self.metric)
        if c["n"] < 2:
            return set()
        out = set() if _upper_verdict(c, self.limit) == FEASIBLE else {self.metric}
        if self.min_occ is not None:
            o = lv.summary("occupancy")
            if o["n"] < 2:
                return set()
            if _lower_verdict(o, self.min_occ) != FEASIBLE:
                out.add("occupancy")
        return out

    def in_range(self, sl: int) -> bool:
        return sl >= self.low and (self.high is None or sl <= self.high)

    def contenders(self, b: int) -> list[int]:
        """Feasible levels whose objective is not significantly below the best's (paired), best first."""
        out = [c for c in self.feasible() if c == b or not self.significantly_lower(b, c, self.objective)]
        return sorted(out, key=lambda c: (-self.obj(c), c))

    def next_action(self, b: int) -> Optional[tuple[str, int]]:
        """The next run to make: more replications for an undecided neighbour that could win, a
        bisection toward a neighbour that fails the constraint, or toward a significantly worse
        feasible neighbour of a local maximum of the objective."""
        more_reps, bisect_bad, bisect_peak = [], [], []
        for c in self.contenders(b):
            lo, hi = self.neighbours(c)
            for nb, other in ((hi, lo), (lo, hi)):
                if nb is None:
                    continue
                st = self.status(nb)
                gap = abs(nb - c) > self.tolerance
                mid = (c + nb) // 2 if nb > c else (c + nb + 1) // 2
                if st == UNCLEAR and self.levels[nb].n < self.max_reps \
                        and not self.significantly_lower(b, nb, self.objective):
                    more_reps.append(("more", nb))
                elif st in (INFEASIBLE, UNDEFINED, UNCLEAR) and gap:
                    bisect_bad.append(("new", mid))
                elif st == FEASIBLE and c == b and gap and other is not None and self.obj(other) <= self.obj(b) \
                        and self.significantly_lower(b, nb, self.objective):
                    bisect_peak.append(("new", mid))
        for action in more_reps + bisect_bad + bisect_peak:
            if self.in_range(action[1]):
                return action
        return None

    # ------------------------------------------------------------------ report

    def reason(self, sl: int, chosen: Optional[int]) -> str:
        st = self.status(sl)
        lv = self.levels[sl]
        c = lv.summary(self.metric)
        if st == UNDEFINED:
            if c["n"] < 2:
                return f"{self.metric} undefined (known in {c['n']} of {lv.n} replications: no human answered)"
            return f"occupancy undefined (known in fewer than 2 of {lv.n} replications)"
        bits = []
        if c["ci_high"] > self.limit:
            side = "interval above" if c["ci_low"] > self.limit else "upper bound above"
            bits.append(f"{self.metric} {_fmt(c, self.metric)}: 95 % {side} the limit {self.limit:g}")
        if self.min_occ is not None:
            o = lv.summary("occupancy")
            if o["ci_low"] < self.min_occ:
                side = "interval below" if o["ci_high"] < self.min_occ else "lower bound below"
                bits.append(f"occupancy {_fmt(o, 'occupancy')}: 95 % {side} the minimum {self.min_occ:g}")
        if st == UNCLEAR:
            bits.append(f"not decided after {lv.n} replications")
        if st == FEASIBLE and chosen is not None and self.same_runs(chosen, sl):
            bits.append(f"identical runs to {chosen} (the capacity rule takes the same decisions at every level "
                        "in between); the lower level is reported")
        elif st == FEASIBLE and chosen is not None:
            d = self.diff(chosen, sl, self.objective)
            verdict = "lower" if self.significantly_lower(chosen, sl, self.objective) else "not higher"
            bits.append(f"{self.objective} {verdict}: {_fmt(lv.summary(self.objective), self.objective)} vs "
                        f"{_fmt(self.levels[chosen].summary(self.objective), self.objective)} at {chosen} "
                        f"(paired difference {_fmt(d, signed=True)})")
        return "; ".join(bits)

    def entry(self, sl: int, chosen: Optional[int]) -> dict:
        lv = self.levels[sl]
        e = {"service_level": sl, "n": lv.n, "status": self.status(sl),
             "constraint_metric": self.metric, "constraint": lv.summary(self.metric),
             "objective_metric": self.objective, "objective": lv.summary(self.objective)}
        if self.min_occ is not None or self.objective != "occupancy":
            e["occupancy"] = lv.summary("occupancy")
        if sl != chosen:
            e["reason"] = self.reason(sl, chosen)
        if chosen is not None and sl != chosen:
            e["objective_difference"] = self.diff(chosen, sl, self.objective)
        return e


def _upper_verdict(s: dict, limit: float) -> str:
    if s["ci_high"] <= limit:
        return FEASIBLE
    if s["ci_low"] > limit:
        return INFEASIBLE
    return UNCLEAR


def _lower_verdict(s: dict, minimum: float) -> str:
    if s["ci_low"] >= minimum:
        return FEASIBLE
    if s["ci_high"] < minimum:
        return INFEASIBLE
    return UNCLEAR


def _fmt(s: dict, metric: Optional[str] = None, signed: bool = False) -> str:
    """Mean [95 % interval]; a rate's (``metric`` named) cut to [0, 1], a difference's (``signed``) not."""
    bounds = registry.get(metric).bounds if metric is not None and not signed else None
    return summary_interval(s, spec=".4g", signed=signed, brackets=True, missing="undefined", bounds=bounds)


def simulator(scenario, *, workers: int = 1, executor: Optional[str] = None, scheduler: Optional[str] = None,
              horizon: Optional[float] = None) -> Evaluator:
    """The evaluator that runs ``scenario`` with the simulator (replication r: the seed tree's child r)."""
    from sim.experiment import Task, run_tasks

    def evaluate(sl: int, reps: Iterable[int]) -> list[dict[str, float]]:
        """The metrics of replications ``reps`` at ``sl``; ``sim.experiment.RunsFailed`` if a run failed."""
        outs = run_tasks(scenario, [Task(0, sl, r) for r in reps], workers=workers, executor=executor,
                         scheduler=scheduler, horizon=horizon, label=f"service level {sl}")
        return [o.metrics for o in outs]

    return evaluate


def tune(
    scenario=None,
    *,
    max_abandon: Optional[float] = None,
    metric: str = "abandon_rate_regulatory",
    min_occupancy: Optional[float] = None,
    objective: str = "throughput_per_hour",
    range: Optional[tuple[Optional[int], Optional[int]]] = None,  # the CLI's --range
    replications: Optional[int] = None,
    max_replications: Optional[int] = None,
    budget: Optional[int] = None,
    start: Optional[list[int]] = None,
    tolerance: int = 1,
    workers: int = 1,
    executor: Optional[str] = None,
    scheduler: Optional[str] = None,
    horizon: Optional[float] = None,
    evaluate: Optional[Evaluator] = None,
    log: Optional[Callable[[str], None]] = None,
) -> TuneResult:
    """Find the service level with the best ``objective`` whose ``metric``'s upper 95 % bound is
    within ``max_abandon`` (and whose occupancy's lower bound reaches ``min_occupancy``).

    ``metric`` is ``abandon_rate_regulatory`` by default (the regulators' clock); ``max_abandon``
    defaults to the scenario's ``regulatory.max_abandon`` (3 % unless it says otherwise).

    ``range`` is ``(low, high)``, either end None for open (default ``(0, None)``: widen upward
    until the constraint binds). ``replications`` (default: the scenario's, at least 2) is the first batch at
    each level; an undecided level gets more, doubling up to ``max_replications`` (default 4x).
    ``budget`` caps the total runs (default 50 x ``replications``). ``start`` replaces the
    lower rungs of the ladder with levels of your choice. ``tolerance`` stops the bisection when
    the bracket is that many levels wide (1: the exact integer). ``evaluate`` replaces the simulator
    (for tests: ``(level, replications) -> [metrics per replication]``).
    """
    if metric not in CONSTRAINT_METRICS:
        raise TuneError(f"metric must be one of {', '.join(CONSTRAINT_METRICS)}; got {metric!r}")
    if objective not in OBJECTIVES:
        raise TuneError(f"objective must be one of {', '.join(OBJECTIVES)}; got {objective!r}")
    if max_abandon is None:
        from sim import registry

        max_abandon = registry.regulatory(scenario).max_abandon
    if not (0 <= max_abandon <= 1):
        raise TuneError(f"max_abandon is a rate from 0 to 1 (0.03 for 3 %); got {max_abandon!r}")
    if min_occupancy is not None and not (0 <= min_occupancy <= 1):
        raise TuneError(f"min_occupancy is a share from 0 to 1; got {min_occupancy!r}")
    low, high = range if range is not None else (0, None)
    low = 0 if low is None else int(low)
    if low < 0 or (high is not None and high < low):
        raise TuneError(f"range must satisfy 0 <= low <= high; got {low}:{high}")
    if replications is None:
        replications = max(2, scenario.replications) if scenario is not None else 10
    if replications < 2:
        raise TuneError("tune needs at least 2 replications per level (confidence intervals)")
    max_replications = max(replications, max_replications if max_replications is not None else 4 * replications)
    budget = budget if budget is not None else 50 * replications
    if budget < replications:
        raise TuneError(f"budget of {budget} runs is less than one level's first batch of {replications} "
                        f"replications: nothing could run; give a budget of at least {replications} runs "
                        "(enough for a few levels: 10x or more)")
    if evaluate is None:
        if scenario is None:
            raise TuneError("give a scenario (or an evaluate function)")
        evaluate = simulator(scenario, workers=workers, executor=executor, scheduler=scheduler, horizon=horizon)

    s = _Search(evaluate, metric=metric, max_abandon=max_abandon, min_occupancy=min_occupancy, objective=objective,
                low=low, high=high, replications=replications, max_replications=max_replications, budget=budget,
                start=start, log=log, tolerance=tolerance)
    s.widen()
    s.refine()

    chosen = s.best()
    evaluated = [s.entry(sl, chosen) for sl in sorted(s.levels)]
    rejected: list[dict] = []
    clear = not s.budget_exhausted
    equivalent: list[int] = []
    if chosen is not None:
        equivalent = s.equivalent(chosen)
        if len(equivalent) > 1:
            s.notes.append(f"levels {equivalent[0]} to {equivalent[-1]} gave identical runs (the capacity rule takes "
                           f"the same decisions at every level in between); {chosen}, the lowest, is reported")
        for nb in (s.neighbours(equivalent[0])[0], s.neighbours(equivalent[-1])[1]):
            if nb is not None:
                rejected.append(s.entry(nb, chosen))
        undecided = sorted({nb for c in s.contenders(chosen) for nb in s.neighbours(c)
                            if nb is not None and s.status(nb) == UNCLEAR
                            and not s.significantly_lower(chosen, nb, objective)})
        if undecided:
            clear = False
            s.notes.append("not statistically clear: " + ", ".join(
                f"{nb} ({s.levels[nb].n} replications)" for nb in undecided)
                + f" could be better but {metric}'s interval still straddles the limit")
        metrics = {m: s.levels[chosen].summary(m) for m in METRICS}
    else:
        metrics = {}
        clear = clear and not any(s.status(sl) == UNCLEAR for sl in s.levels)
        s.notes.append(f"no level in the range satisfies the constraint ({metric} upper 95 % bound <= {max_abandon:g}"
                       + (f", occupancy lower bound >= {min_occupancy:g}" if min_occupancy is not None else "") + ")")
    if s.budget_exhausted:
        s.notes.append(f"the budget of {budget} runs was reached before every decision was clear")
    return TuneResult(
        scenario=getattr(scenario, "name", ""),
        service_level=chosen,
        metrics=metrics,
        runs=s.runs,
        rejected=rejected,
        evaluated=evaluated,
        constraint={"metric": metric, "max": max_abandon, "min_occupancy": min_occupancy, "confidence": 0.95},
        objective=objective,
        clear=clear,
        budget=budget,
        budget_exhausted=s.budget_exhausted,
        notes=s.notes,
        equivalent=equivalent,
        levels=s.levels,
    )
