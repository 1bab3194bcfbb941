"""The pacing frontier: VoIPbin's rule against the dialers the industry runs, on the same calls.

For each pacing policy (``sim.engine.pacing``) the knob is swept on common random numbers (every
policy and knob value runs replications 0..n-1 of the same seed tree, so the called parties,
agents and patience are the same draws), giving the curve of occupancy and throughput against
the regulatory abandon rate, and ``tune``'s search (the same statistical stopping) finds the best
throughput each policy reaches within the cap. The knob is searched on an integer grid:

==========  ============  =====================================
policy      knob          integer grid value ``k`` means
==========  ============  =====================================
voipbin     service_level ``k`` (percent)
documented  service_level ``10000 / k`` (it dials less as SL rises)
progressive (none)        a single point
ratio       level         ``k / 100`` calls per available agent
adaptive    target        ``k / 10000`` (drop rate, basis points)
predictive  target        ``k / 10000`` (probability, basis points)
==========  ============  =====================================

``frontier(..., switches=True)`` also evaluates each engine switch of the ``voipbin`` profile
flipped, one at a time, to its documented value: which single change to VoIPbin's code recovers
the most throughput within the cap.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Callable, Iterable, Optional

import numpy as np

from sim import registry
from sim.engine.pacing import KNOB, POLICIES
from sim.registry import Regulatory

DEFAULT_POLICIES = POLICIES
SCALE = {"voipbin": 1, "documented": 1, "progressive": 1, "ratio": 100, "adaptive": 10000, "predictive": 10000}
"""Grid units per knob unit."""
GRIDS = {
    "voipbin": [25, 50, 100, 150, 200, 300, 400, 600, 800],
    "documented": [25, 50, 75, 100, 125, 150, 200, 400],
    "progressive": [0],
    "ratio": [100, 125, 150, 200, 250, 300, 400],
    "adaptive": [50, 100, 200, 300, 500, 800],
    "predictive": [50, 100, 300, 1000, 2000, 3500],
}
"""The knob values (grid units) of each policy's curve; ``tune`` adds the ones its search needs."""
RANGES = {"voipbin": (0, None), "documented": (1, 10000), "ratio": (100, 2000), "adaptive": (10, 5000),
          "predictive": (10, 9000)}
CURVE_METRICS = ("abandon_rate_regulatory", "abandon_rate", "occupancy", "throughput_per_hour", "dials_per_hour")


class FrontierError(ValueError):
    """A bad argument: the frontier cannot start."""


def service_level(policy: str, k: int) -> int:
    """The service level of grid value ``k``. The documented rule (``A > D·SL/100``) dials *less*
    as its level rises, so its grid runs the other way, ``SL = 10000 / k`` (k = 100: SL 100; k =
    200: SL 50): on every policy's grid a larger ``k`` dials more, as ``tune``'s search expects."""
    if policy == "documented":
        return int(round(10000 / k)) if k > 0 else 100_000
    return int(k)


def knob_value(policy: str, k: int) -> Optional[float]:
    """The knob in its own unit for grid value ``k`` (None for a policy without a knob)."""
    if KNOB[policy] is None:
        return None
    return k / SCALE[policy] if SCALE[policy] != 1 else service_level(policy, k)


def policy_scenario(scenario, policy: str, k: int, switch: Optional[tuple[str, str]] = None,
                    metric: str = "abandon_rate_regulatory"):
    """``scenario`` with every campaign paced by ``policy`` at grid value ``k`` (and one switch set);
    an adaptive dialer counts drops as ``metric`` does."""
    data = scenario.model_dump(mode="python", by_alias=True, exclude_unset=False)
    engine = data.setdefault("engine", {})
    pacing = dict(engine.get("pacing") or {})
    # with a switch flipped, VoIPbin's rule follows the switches (service_level_rule included)
    pacing["policy"] = None if (switch is not None and policy == "voipbin") else policy
    pacing["drop"] = "abandon" if metric == "abandon_rate" else "regulatory"
    knob = KNOB[policy]
    if knob == "level":
        pacing["level"] = k / SCALE[policy]
    elif knob == "target":
        pacing["target"] = k / SCALE[policy]
    engine["pacing"] = pacing
    for c in data["campaigns"]:
        c["pacing"] = None  # the scenario-wide policy applies to every campaign
        if knob == "service_level":
            c["service_level"] = service_level(policy, k)
    if switch is not None:
        engine[switch[0]] = switch[1]
    return type(scenario).model_validate(data)


@dataclass
class PolicyFrontier:
    """One policy's evaluated knob values and its best point within the cap."""

    policy: str
    points: dict[int, dict[str, np.ndarray]] = field(default_factory=dict)  # k -> metric -> values per replication
    best: Optional[int] = None
    clear: bool = True
    runs: int = 0
    notes: list[str] = field(default_factory=list)

    def summary(self, k: int, metric: str) -> dict[str, float]:
        from sim.stats import summarize

        return summarize(self.points[k][metric])


@dataclass
class FrontierResult:
    scenario: str
    cap: float
    metric: str
    objective: str
    replications: int
    policies: dict[str, PolicyFrontier]
    upper_bound: float
    switches: list[dict] = field(default_factory=list)
    rules: Optional[Regulatory] = None
    """The scenario's regulatory clock (``sim.registry.regulatory``), named in labels; None: the defaults."""

    def label(self) -> str:
        """The constraint metric as people read it, e.g. "Regulatory abandon rate (3 s from answer)"."""
        return registry.get(self.metric).title(self.rules)

    # ---------------------------------------------------------------- tables
    def table(self):
        """``frontier.csv``: a row per policy, knob value and metric (mean, sd, 95 % interval, n)."""
        import pandas as pd

        rows = []
        for name, pf in self.policies.items():
            for k in sorted(pf.points):
                for m in CURVE_METRICS:
                    if m not in pf.points[k]:
                        continue
                    s = pf.summary(k, m)
                    rows.append({"policy": name, "knob_name": KNOB[name] or "", "knob": knob_value(name, k),
                                 "metric": m, "mean": s["mean"], "sd": s["sd"], "ci_low": s["ci_low"],
                                 "ci_high": s["ci_high"], "n": s["n"], "chosen": k == pf.best})
        return pd.DataFrame(rows, columns=["policy", "knob_name", "knob", "metric", "mean", "sd", "ci_low", "ci_high",
                                           "n", "chosen"])

    def best_table(self):
        """A row per policy: its best knob within the cap and the figures there (NaN when none)."""
        import pandas as pd

        rows = []
        base = self.best_throughput("voipbin")
        for name, pf in self.policies.items():
            row = {"policy": name, "knob_name": KNOB[name] or "", "knob": None, "clear": pf.clear, "runs": pf.runs}
            if pf.best is not None:
                row["knob"] = knob_value(name, pf.best)
                for m in ("throughput_per_hour", "occupancy", self.metric):
                    s = pf.summary(pf.best, m)
                    row[m] = s["mean"]
                    row[f"{m}_ci_low"] = s["ci_low"]
                    row[f"{m}_ci_high"] = s["ci_high"]
                if base:
                    row["vs_voipbin"] = row["throughput_per_hour"] / base - 1.0
            rows.append(row)
        return pd.DataFrame(rows)

    def best_throughput(self, policy: str) -> Optional[float]:
        pf = self.policies.get(policy)
        if pf is None or pf.best is None:
            return None
        return float(pf.summary(pf.best, "throughput_per_hour")["mean"])

    # ---------------------------------------------------------------- the answer
    def headline(self) -> str:
        cap = f"{self.cap * 100:g} %"
        label = self.label()
        label = label[:1].lower() + label[1:]
        ranked = [(self.best_throughput(p), p) for p in self.policies if self.best_throughput(p) is not None]
        if not ranked:
            return (f"At <= {cap} {label}, no policy qualifies: every knob value tried has its {label} upper 95 % "
                    f"bound above the cap.")
        top, best = max(ranked)
        vb = self.policies.get("voipbin")
        if vb is None:
            return f"At <= {cap} {label}, the best policy, {best}, gives {top:.0f} conversations an hour."
        if vb.best is None:
            return (f"At <= {cap} {label}, VoIPbin's rule qualifies at no service level tried; the best policy, "
                    f"{best}, gives {top:.0f} conversations an hour.")
        x = self.best_throughput("voipbin")
        head = f"At <= {cap} {label}, VoIPbin's rule gives {x:.0f} conversations an hour at SL {vb.best}"
        if best == "voipbin":
            return head + "; no other policy tried does better."
        return head + f"; the best policy, {best}, gives {top:.0f} ({(top / x - 1) * 100:+.1f} %)."

    def to_dict(self) -> dict:
        out = {
            "scenario": self.scenario,
            "constraint": {"metric": self.metric, "max": self.cap, "confidence": 0.95},
            "objective": self.objective,
            "replications": self.replications,
            "upper_bound_throughput_per_hour": self.upper_bound,
            "headline": self.headline(),
            "policies": {},
            "switches": self.switches,
        }
        for name, pf in self.policies.items():
            best = None
            if pf.best is not None:
                best = {"knob": knob_value(name, pf.best),
                        "metrics": {m: pf.summary(pf.best, m) for m in CURVE_METRICS if m in pf.points[pf.best]}}
            out["policies"][name] = {"knob_name": KNOB[name], "best": best, "clear": pf.clear, "runs": pf.runs,
                                     "notes": pf.notes}
        return out

    def write(self, out, *, scenario=None, force: bool = False):
        """The results folder (see ``write``)."""
        return write(self, out, scenario=scenario, force=force)

    def _repr_html_(self) -> str:
        from html import escape

        best = self.best_table()
        cols = [c for c in ("policy", "knob_name", "knob", "throughput_per_hour", "occupancy", self.metric,
                            "vs_voipbin", "runs") if c in best.columns]
        return f"<p><b>{escape(self.headline())}</b></p>" + best[cols].to_html(index=False, float_format="%.4g")

    def plot(self):
        """``plots/frontier.png``: a Figure (displays itself in a notebook)."""
        from sim import plots

        return plots.frontier(self.table(), cap=self.cap, upper_bound=self.upper_bound, metric=self.metric,
                              rules=self.rules)


def upper_bound(scenario) -> float:
    """Conversations an hour if every agent talked all the time: agents x 3600 / (talk + wrap-up +
    answer delay), each group at its own means (a bound no dialer can beat)."""
    total = 0.0
    for g in scenario.agents:
        per = g.talk_time.mean + g.wrap_up.mean + g.answer_delay.mean
        if per > 0:
            total += g.count * 3600.0 / per
    return total


Evaluate = Callable[[str, int, Iterable[int], Optional[tuple[str, str]]], list[dict[str, float]]]
"""``(policy, grid value, replications, switch) -> [metrics of each replication]``."""


class SimulatorEvaluate:
    """Runs policy variants of one scenario with the simulator. ``many`` runs several knob values
    in one batch (one pool of workers for the whole grid)."""

    def __init__(self, scenario, *, metric: str, workers: int = 1, executor: Optional[str] = None,
                 scheduler: Optional[str] = None, horizon: Optional[float] = None):
        self.scenario, self.metric = scenario, metric
        self.options = dict(workers=workers, executor=executor, scheduler=scheduler, horizon=horizon)
        self._pool = None

    def _keeps_a_pool(self) -> bool:
        """Local processes: one pool for every evaluation (tune's search asks for a few runs at a
        time, and starting a pool for each cost more than the runs on the default)."""
        return self.options["workers"] > 1 and self.options["executor"] in (None, "process")

    def close(self) -> None:
        """Stop the pool of workers (if one was started)."""
        if self._pool is not None:
            self._pool.shutdown(wait=True, cancel_futures=True)
            self._pool = None

    def _run_in_pool(self, variants, tasks):
        import gc
        import multiprocessing as mp
        from concurrent.futures import ProcessPoolExecutor
        from concurrent.futures.process import BrokenProcessPool

        from sim.experiment import WorkerLost

        if self._pool is None:
            gc.collect()  # as execute does: workers do not copy and traverse earlier garbage
            method = "spawn" if mp.get_start_method(allow_none=True) == "spawn" else "fork"
            self._pool = ProcessPoolExecutor(max_workers=self.options["workers"], mp_context=mp.get_context(method))
        horizon = self.options["horizon"]
        futures = [self._pool.submit(_run_variant, variants[t.scenario], t, horizon) for t in tasks]
        try:
            return [f.result() for f in futures]
        except BrokenProcessPool as exc:
            self._pool = None
            raise WorkerLost(f"a worker process died ({exc})") from exc
        except BaseException:
            self.close()
            raise

    def many(self, points: list[tuple[str, int, Optional[tuple[str, str]]]], reps: list[int]) -> list[list[dict]]:
        from sim.experiment import Task, execute

        variants = [policy_scenario(self.scenario, p, k, sw, self.metric) for p, k, sw in points]
        tasks = [Task(i, service_level(p, k) if KNOB[p] == "service_level" else None, r)
                 for i, (p, k, _) in enumerate(points) for r in reps]
        if self._keeps_a_pool():
            outs = self._run_in_pool(variants, tasks)
        else:
            outs = execute(variants, tasks, **self.options)
        failed = [o for o in outs if o.error is not None]
        if failed:
            p, k, _ = points[failed[0].task.scenario]
            first = (failed[0].error or "").splitlines()[0]
            raise RuntimeError(f"{len(failed)} run(s) failed, the first for policy {p} at {KNOB[p] or 'its point'} "
                               f"{knob_value(p, k)}: {first}")
        n = len(reps)
        return [[o.metrics for o in outs[i * n:(i + 1) * n]] for i in range(len(points))]

    def __call__(self, policy: str, k: int, reps: Iterable[int], switch=None) -> list[dict[str, float]]:
        return self.many([(policy, k, switch)], list(reps))[0]


def _run_variant(scenario, task, horizon):
    """One replication of one policy variant, in a worker of ``SimulatorEvaluate``'s pool."""
    from sim.experiment import run_task

    return run_task(scenario, task, False, horizon)


def frontier(
    scenario,
    *,
    policies: Optional[list[str]] = None,
    max_abandon: Optional[float] = None,
    metric: str = "abandon_rate_regulatory",
    objective: str = "throughput_per_hour",
    replications: Optional[int] = None,
    max_replications: Optional[int] = None,
    grids: Optional[dict[str, list[int]]] = None,
    switches: bool = False,
    workers: int = 1,
    executor: Optional[str] = None,
    scheduler: Optional[str] = None,
    horizon: Optional[float] = None,
    evaluate: Optional[Evaluate] = None,
    log: Optional[Callable[[str], None]] = None,
) -> FrontierResult:
    """Sweep each policy's knob on common random numbers and find its best throughput within the cap.

    ``scenario`` is a ``Scenario`` or a path; ``policies`` a list from ``POLICIES`` (default all);
    ``max_abandon`` the cap (default the scenario's regulatory cap, 3 %); ``replications`` the
    first batch at every point (default the scenario's, at least 2); ``switches=True`` also
    evaluates each VoIPbin engine switch flipped to its documented value. Returns a
    ``FrontierResult``: ``.table()`` (frontier.csv), ``.best_table()``, ``.headline()``, ``.plot()``,
    ``.write(dir)``.
    """
    if not hasattr(scenario, "campaigns"):
        from sim.scenario import load_scenario

        scenario = load_scenario(scenario)

    policies = list(policies or DEFAULT_POLICIES)
    unknown = [p for p in policies if p not in POLICIES]
    if unknown:
        raise FrontierError(f"unknown policy {unknown[0]!r}; expected some of {', '.join(POLICIES)}")
    if max_abandon is None:
        max_abandon = _scenario_cap(scenario)
    if replications is None:
        replications = max(2, scenario.replications)
    if replications < 2:
        raise FrontierError("the frontier needs at least 2 replications per point (confidence intervals)")
    own = evaluate is None
    if own:
        evaluate = SimulatorEvaluate(scenario, metric=metric, workers=workers, executor=executor,
                                     scheduler=scheduler, horizon=horizon)
    try:
        return _frontier(scenario, evaluate, policies=policies, max_abandon=max_abandon, metric=metric,
                         objective=objective, replications=replications, max_replications=max_replications,
                         grids=grids, switches=switches, log=log)
    finally:
        if own:
            evaluate.close()


def _frontier(scenario, evaluate: Evaluate, *, policies, max_abandon, metric, objective, replications,
              max_replications, grids, switches, log) -> FrontierResult:
    from sim.tune import tune

    grids = {**GRIDS, **(grids or {})}
    reps0 = list(range(replications))

    caches: dict[tuple[str, Optional[tuple[str, str]]], dict[tuple[int, int], dict[str, float]]] = {}
    spent: dict[tuple[str, Optional[tuple[str, str]]], int] = {}

    def batch(points: list[tuple[str, int, Optional[tuple[str, str]]]]) -> None:
        """The grid of every policy in one batch (the cheap, parallel part)."""
        many = getattr(evaluate, "many", None)
        rows = many(points, reps0) if many else [evaluate(p, k, reps0, sw) for p, k, sw in points]
        for (p, k, sw), runs in zip(points, rows):
            cache = caches.setdefault((p, sw), {})
            for r, m in zip(reps0, runs):
                cache[(k, r)] = m
            spent[(p, sw)] = spent.get((p, sw), 0) + len(runs)

    def policy_frontier(policy: str, switch=None) -> PolicyFrontier:
        pf = PolicyFrontier(policy)
        cache = caches.setdefault((policy, switch), {})
        pf.runs = spent.get((policy, switch), 0)

        def cached(k: int, reps: Iterable[int]) -> list[dict[str, float]]:
            reps = list(reps)
            missing = [r for r in reps if (k, r) not in cache]
            if missing:
                for r, m in zip(missing, evaluate(policy, k, missing, switch)):
                    cache[(k, r)] = m
                pf.runs += len(missing)
            return [cache[(k, r)] for r in reps]

        grid = grids[policy] if switch is None else []
        if KNOB[policy] is None:
            rows = cached(0, reps0)
            pf.best = 0 if _feasible(rows, metric, max_abandon) else None
        else:
            res = tune(evaluate=lambda k, reps: cached(k, reps), metric=metric, max_abandon=max_abandon,
                       objective=objective, replications=replications, max_replications=max_replications,
                       range=RANGES[policy], start=sorted(grid) or None)
            pf.best = res.service_level
            pf.clear = res.clear
            pf.notes = list(res.notes)
        ks = sorted({k for k, _ in cache})
        for k in ks:
            reps = sorted(r for kk, r in cache if kk == k)
            rows = [cache[(k, r)] for r in reps]
            pf.points[k] = {m: np.array([row.get(m, math.nan) for row in rows], dtype=float) for m in rows[0]}
        if log:
            log(f"{policy}: best {KNOB[policy] or 'point'} "
                f"{knob_value(policy, pf.best) if pf.best is not None else 'none'} ({pf.runs} runs)")
        return pf

    result = FrontierResult(scenario=scenario.name, cap=max_abandon, metric=metric, objective=objective,
                            replications=replications, policies={}, upper_bound=upper_bound(scenario),
                            rules=registry.regulatory(scenario))
    batch([(p, k, None) for p in policies for k in grids[p]])
    for p in policies:
        result.policies[p] = policy_frontier(p)
    if switches:
        from sim.scenario.schema import SWITCHES

        if "voipbin" not in result.policies:  # the switches are measured against VoIPbin's rule as coded
            result.policies["voipbin"] = policy_frontier("voipbin")
        base = result.best_throughput("voipbin")
        for name, (coded, documented) in SWITCHES.items():
            pf = policy_frontier("voipbin", (name, documented))
            row = {"switch": name, "value": documented, "service_level": pf.best, "runs": pf.runs, "clear": pf.clear}
            if pf.best is not None:
                s = pf.summary(pf.best, "throughput_per_hour")
                row.update(throughput_per_hour=s["mean"], ci_low=s["ci_low"], ci_high=s["ci_high"],
                           vs_voipbin=(s["mean"] / base - 1.0) if base else None)
            else:
                row.update(throughput_per_hour=None, ci_low=None, ci_high=None, vs_voipbin=None)
            result.switches.append(row)
    return result


def _feasible(rows: list[dict[str, float]], metric: str, cap: float) -> bool:
    from sim.stats import summarize

    s = summarize(np.array([r.get(metric, math.nan) for r in rows], dtype=float))
    return s["n"] >= 2 and not math.isnan(s["ci_high"]) and s["ci_high"] <= cap


def _scenario_cap(scenario) -> float:
    reg = getattr(scenario, "regulatory", None)
    cap = getattr(reg, "max_abandon", None)
    return float(cap) if cap is not None else 0.03


# --------------------------------------------------------------------------- the results folder

FRONTIER_CSV, FRONTIER_JSON, BEST_CSV, SWITCHES_CSV = "frontier.csv", "frontier.json", "frontier_best.csv", \
    "frontier_switches.csv"


def write(result: FrontierResult, out, *, scenario=None, force: bool = False, command: Optional[list[str]] = None,
          wall_seconds: Optional[float] = None):
    """The frontier's results folder, built aside and renamed into place (as ``run --out``):
    ``frontier.csv``, ``frontier_best.csv``, ``frontier.json``, (``frontier_switches.csv``),
    ``plots/frontier.png``, ``report.html``, ``scenario.resolved.yaml``, ``provenance.json``."""
    import json
    from pathlib import Path

    from sim import __version__, plots
    from sim.format import jsonable
    from sim.results.paths import PLOTS, PROVENANCE, REPORT, SCENARIO
    from sim.results.provenance import resolved_yaml
    from sim.results.write import build_atomically

    def csv(df) -> bytes:
        return df.to_csv(index=False, lineterminator="\n").encode("utf-8")

    def fill(folder: Path) -> None:
        (folder / FRONTIER_CSV).write_bytes(csv(result.table()))
        (folder / BEST_CSV).write_bytes(csv(result.best_table()))
        if result.switches:
            import pandas as pd

            (folder / SWITCHES_CSV).write_bytes(csv(pd.DataFrame(result.switches)))
        (folder / FRONTIER_JSON).write_text(json.dumps(jsonable(result.to_dict()), indent=2) + "\n", encoding="utf-8")
        if scenario is not None:
            (folder / SCENARIO).write_text(resolved_yaml(scenario), encoding="utf-8")
        prov = {"package": "pacing-sim", "version": __version__, "command": command, "scenario": result.scenario,
                "seed": getattr(scenario, "seed", None), "replications": result.replications,
                "policies": list(result.policies), "runs": sum(p.runs for p in result.policies.values()),
                "wall_seconds": wall_seconds}
        (folder / PROVENANCE).write_text(json.dumps(jsonable(prov), indent=2) + "\n", encoding="utf-8")
        (folder / PLOTS).mkdir()
        png = plots.png_bytes(result.plot())
        (folder / PLOTS / "frontier.png").write_bytes(png)
        (folder / REPORT).write_text(report_html(result, png, scenario), encoding="utf-8")

    return build_atomically(out, fill, force=force)


def report_html(result: FrontierResult, png: bytes, scenario=None) -> str:
    """A self-contained page: the headline, each policy's best point, the frontier plot, the
    switches, the scenario in brief."""
    import base64
    from html import escape

    from sim.format import clip
    from sim.report import CSS, scenario_brief

    bounds = registry.get(result.metric).bounds  # the upper bound shown within [0, 1], as everywhere

    def pct(x):
        return "–" if x is None or (isinstance(x, float) and math.isnan(x)) else f"{x * 100:.2f} %"

    label = result.label()
    label = label[:1].lower() + label[1:]
    best = result.best_table()
    rows = []
    for _, r in best.iterrows():
        knob = "–" if r["knob"] is None or (isinstance(r["knob"], float) and math.isnan(r["knob"])) else f"{r['knob']:g}"
        if "throughput_per_hour" in r and isinstance(r.get("throughput_per_hour"), float) \
                and not math.isnan(r["throughput_per_hour"]):
            cells = (f"<td>{r['throughput_per_hour']:.1f} [{r['throughput_per_hour_ci_low']:.1f}, "
                     f"{r['throughput_per_hour_ci_high']:.1f}]</td><td>{pct(r['occupancy'])}</td>"
                     f"<td>{pct(r[result.metric])} (≤ {pct(clip(None, r[result.metric + '_ci_high'], bounds)[1])})</td>"
                     f"<td>{(r.get('vs_voipbin') or 0) * 100:+.1f} %</td>")
        else:
            cells = "<td colspan='4' class='l'>no knob value tried qualifies</td>"
        rows.append(f"<tr><td class='l'>{escape(r['policy'])}</td><td class='l'>{escape(r['knob_name'] or '(none)')}"
                    f" {knob if r['knob_name'] else ''}</td>{cells}<td>{int(r['runs'])}</td></tr>")
    table = ("<table><tr><th class='l'>policy</th><th class='l'>best knob within the cap</th>"
             "<th>conversations / h [95 %]</th><th>occupancy</th>"
             f"<th>{escape(result.label())} (upper 95 % bound)</th><th>vs VoIPbin's rule</th><th>runs</th></tr>"
             + "".join(rows) + "</table>")
    sw = ""
    if result.switches:
        srow = []
        for s in result.switches:
            tp, vs, sl = s.get("throughput_per_hour"), s.get("vs_voipbin"), s.get("service_level")
            tp_text = "–" if tp is None else f"{tp:.1f}"
            vs_text = "–" if vs is None else f"{vs * 100:+.1f} %"
            sl_text = "–" if sl is None else str(sl)
            srow.append(f"<tr><td class='l'>{escape(s['switch'])} = {escape(s['value'])}</td>"
                        f"<td>{sl_text}</td><td>{tp_text}</td><td>{vs_text}</td></tr>")
        sw = ("<h2>What to change in VoIPbin</h2><p>Each engine switch flipped alone to its documented value, "
              "VoIPbin's rule tuned again: the best throughput within the cap.</p>"
              "<table><tr><th class='l'>switch</th><th>best SL</th><th>conversations / h</th>"
              "<th>vs as coded</th></tr>" + "".join(srow) + "</table>")
    b64 = base64.b64encode(png).decode("ascii")
    brief = ""
    if scenario is not None:
        brief = "<h2>Scenario</h2>" + scenario_brief(scenario.model_dump(mode="json", by_alias=True))
    title = f"pacing-sim frontier: {result.scenario}"
    body = [
        f"<h1>{escape(title)}</h1>",
        f"<p><b>{escape(result.headline())}</b></p>",
        f"<p class='muted'>Every policy ran the same replications (common random numbers: the same people, agents "
        f"and patience); each point is the mean of {result.replications} or more replications with its 95 % "
        f"interval; a policy's best is found as <code>tune</code> finds a service level. No dialer can beat "
        f"{result.upper_bound:.0f} conversations an hour (every agent talking all the time).</p>",
        "<h2>Best throughput within the cap</h2>", table,
        f"<figure><img alt='frontier plot' src='data:image/png;base64,{b64}'><figcaption>Throughput and occupancy "
        f"against the {escape(label)}, a point per knob value with 95 % intervals; the dashed line is the "
        f"{result.cap * 100:g} % cap, rings mark each policy's best within it.</figcaption></figure>",
        sw, brief,
    ]
    return ("<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'>"
            f"<title>{escape(title)}</title><style>{CSS}</style></head><body>"
            + "\n".join(b for b in body if b) + "</body></html>\n")
