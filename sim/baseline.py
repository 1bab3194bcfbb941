"""Regression guard: a baseline of an experiment's results, and a check of a new run against it.

A baseline (JSON) holds, per service level and metric, the mean, variance, n and the value of
every replication, with the seed, the package and engine versions, and the resolved scenario
(its content and a hash of it), so that a later check can say what differs.

The check runs the same experiment and tests every headline metric at every service level for
a change in its mean:

- **Welch's two-sample t-test** when the runs are independent of the baseline's (another seed).
- **A paired t-test** over replications when the check uses the baseline's seed: replication
  ``r`` of both runs then starts from the same random streams (common random numbers), so the
  pairs share their noise and a real change shows up with far fewer replications. With nothing
  changed the two runs are identical and every difference is exactly 0.

Each test is two-sided. The family of tests (metrics x levels) shares one false-alarm budget,
``alpha`` (5 % by default): the probability that a check of an unchanged model reports *any*
change.

- With independent runs the correction is **max-T** (Westfall and Young): under "no change"
  the replications of both runs are exchangeable, so relabelling them gives the distribution of
  the largest |t| over the whole family, correlation included; a metric moved if its |t| beats
  the (1 - alpha) quantile of that maximum. The false-alarm rate is then alpha itself, where a
  Bonferroni or Holm bound would sit well below it (occupancy, throughput and dials move
  together) and lose power. With too few replications to relabel (fewer than 100 ways to split
  them), Holm's step-down correction is used instead.
- With the baseline's seed (paired) the correction is **Holm**: relabelling is not valid there,
  and with nothing changed every difference is 0, so there is no false alarm to spend.
"""

from __future__ import annotations

import hashlib
import json
import math
import os
import platform
import tempfile
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Iterable, Optional
from xml.sax.saxutils import escape, quoteattr

import numpy as np
from sim.metrics import HEADLINE, METRICS
from sim.stats import describe, paired, welch  # noqa: F401  (paired, welch: re-exported)

FORMAT = "pacing-sim-baseline"
FORMAT_VERSION = 1
ALPHA = 0.05
TESTS = ("auto", "welch", "paired")
CORRECTIONS = ("auto", "maxt", "holm")
CORRECTION_NAMES = {"holm": "Holm", "maxt": "max-T permutation"}


class BaselineError(Exception):
    """The baseline cannot be used or compared (missing, corrupt, other levels or metrics)."""


# --------------------------------------------------------------------------- the scenario


def scenario_content(scenario) -> dict:
    """The resolved scenario as plain data (what the run used), with CSV target lists as digests."""
    content = scenario.model_dump(mode="json", by_alias=True)
    masks = getattr(scenario, "target_masks", None) or {}
    if masks:
        content["target_lists"] = {k: "sha256:" + hashlib.sha256(v).hexdigest() for k, v in sorted(masks.items())}
    return content


def content_hash(content: dict) -> str:
    text = json.dumps(content, sort_keys=True, separators=(",", ":"), default=str)
    return "sha256:" + hashlib.sha256(text.encode()).hexdigest()


def content_diff(old: Any, new: Any, path: str = "") -> list[str]:
    """Dotted paths where two resolved scenarios differ, each ``path: old -> new``."""
    if isinstance(old, dict) and isinstance(new, dict):
        out = []
        for k in sorted(set(old) | set(new), key=str):
            p = f"{path}.{k}" if path else str(k)
            if k not in old:
                if new[k] is not None:  # a field a newer schema added, left unset: no difference
                    out.append(f"{p}: (absent) -> {_short(new[k])}")
            elif k not in new:
                if old[k] is not None:
                    out.append(f"{p}: {_short(old[k])} -> (absent)")
            else:
                out += content_diff(old[k], new[k], p)
        return out
    if isinstance(old, list) and isinstance(new, list) and len(old) == len(new):
        out = []
        for i, (a, b) in enumerate(zip(old, new)):
            out += content_diff(a, b, f"{path}.{i}" if path else str(i))
        return out
    if old != new:
        return [f"{path}: {_short(old)} -> {_short(new)}"]
    return []


def _short(x: Any, width: int = 60) -> str:
    text = json.dumps(x, sort_keys=True, default=str)
    return text if len(text) <= width else text[: width - 3] + "..."


# --------------------------------------------------------------------------- versions


def versions() -> dict[str, str]:
    import numpy
    import scipy
    import simpy

    import sim

    return {
        "pacing_sim": sim.__version__,
        "engine": sim.ENGINE_VERSION,
        "python": platform.python_version(),
        "numpy": numpy.__version__,
        "scipy": scipy.__version__,
        "simpy": simpy.__version__,
    }


# --------------------------------------------------------------------------- running


def run_experiment(scenario, *, workers: int = 1, executor: Optional[str] = None,
                   scheduler: Optional[str] = None) -> dict[int, dict[str, list[float]]]:
    """The scenario's experiment: ``{service_level: {metric: [value of each replication]}}``.

    Raises ``sim.experiment.RunsFailed`` (a ``RuntimeError``) naming the runs that failed.
    """
    from sim.experiment import Task, run_tasks

    levels = scenario.sweep_levels()
    tasks = [Task(0, sl, r) for sl in levels for r in range(scenario.replications)]
    outs = run_tasks(scenario, tasks, workers=workers, executor=executor, scheduler=scheduler, label=scenario.name)
    values: dict[int, dict[str, list[float]]] = {sl: {m: [] for m in METRICS} for sl in levels}
    for o in outs:
        for m in METRICS:
            values[o.task.service_level][m].append(float(o.metrics.get(m, math.nan)))
    return values


def _stats(values: Iterable[float]) -> dict:
    x = np.asarray(list(values), float)
    return {**describe(x), "values": [None if math.isnan(v) else v for v in x.tolist()]}


def make_baseline(scenario, values: dict[int, dict[str, list[float]]], *, command: Optional[list[str]] = None) -> dict:
    """The baseline document of a finished experiment."""
    content = scenario_content(scenario)
    return {
        "format": FORMAT,
        "format_version": FORMAT_VERSION,
        "created": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "command": command,
        "versions": versions(),
        "scenario": {"name": scenario.name, "file": getattr(scenario, "source_path", None),
                     "hash": content_hash(content), "content": content},
        "seed": scenario.seed,
        "replications": scenario.replications,
        "service_levels": list(values),
        "metrics": list(METRICS),
        "results": [{"service_level": sl, "metrics": {m: _stats(v) for m, v in ms.items()}}
                    for sl, ms in values.items()],
    }


def write_baseline(doc: dict, path: str | os.PathLike) -> Path:
    """Write atomically (a temporary file renamed into place): never a half-written baseline."""
    from sim.format import jsonable

    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(tmp, 0o666 & ~umask)
        with os.fdopen(fd, "w") as f:
            json.dump(jsonable(doc), f, indent=1, allow_nan=False)
            f.write("\n")
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return path


def read_baseline(path: str | os.PathLike) -> dict:
    """Read and validate a baseline; ``BaselineError`` with a clear message if it cannot be used.

    The file is validated like a scenario (``sim.baseline_schema``): bounded in size, depth and
    digits, every number finite and in range, the statistics consistent with their values.
    """
    from sim.baseline_schema import MAX_BASELINE_BYTES, baseline_problems, parse_baseline_text

    p = Path(path)
    try:
        is_file = p.is_file()
    except OSError as exc:  # e.g. a name over the system's limit
        raise BaselineError(f"{path}: cannot read the baseline: {exc.strerror or exc}") from None
    if not is_file:
        raise BaselineError(f"{path}: no such baseline file (make one with: pacing-sim baseline SCENARIO -o {path})")
    try:
        with open(p, "rb") as f:
            raw = f.read(MAX_BASELINE_BYTES + 1)
    except OSError as exc:
        raise BaselineError(f"{path}: cannot read the baseline: {exc.strerror or exc}") from None
    doc, why = parse_baseline_text(raw)
    if why is not None:
        kind = "not a pacing-sim baseline" if why.startswith(("invalid JSON", "not UTF-8")) else "corrupt baseline"
        raise BaselineError(f"{path}: {kind}: {why}")
    if not isinstance(doc, dict) or doc.get("format") != FORMAT:
        raise BaselineError(f"{path}: not a pacing-sim baseline (expected \"format\": \"{FORMAT}\")")
    if doc.get("format_version") != FORMAT_VERSION or isinstance(doc.get("format_version"), bool):
        raise BaselineError(f"{path}: baseline format version {_short(doc.get('format_version'))}; this pacing-sim "
                            f"reads version {FORMAT_VERSION} (make a new baseline)")
    problems = baseline_problems(doc)
    if problems:
        raise BaselineError(f"{path}: corrupt baseline: " + "; ".join(problems[:5])
                            + (f" (and {len(problems) - 5} more)" if len(problems) > 5 else ""))
    return doc


def _is_num(x: Any) -> bool:
    return x is None or (isinstance(x, (int, float)) and not isinstance(x, bool))


def _num(x: Any) -> float:
    return math.nan if x is None else float(x)


# --------------------------------------------------------------------------- the tests


def holm(pvalues: list[float]) -> list[float]:
    """Holm's step-down adjusted p-values (NaN stays NaN and does not count as a test)."""
    idx = [i for i, p in enumerate(pvalues) if not math.isnan(p)]
    m = len(idx)
    adj = [math.nan] * len(pvalues)
    running = 0.0
    for rank, i in enumerate(sorted(idx, key=lambda i: pvalues[i])):
        running = max(running, min(1.0, (m - rank) * pvalues[i]))
        adj[i] = running
    return adj


def _welch_t(s1, c1, q1, s2, c2, q2):
    """Welch t of group 2 minus group 1 from sums, counts and sums of squares (arrays, NaN-free).

    A column with fewer than 2 values in a group gives NaN; zero variances give 0 or +-inf."""
    with np.errstate(divide="ignore", invalid="ignore"):
        m1, m2 = s1 / c1, s2 / c2
        v1 = np.maximum(q1 - c1 * m1**2, 0) / (c1 - 1)
        v2 = np.maximum(q2 - c2 * m2**2, 0) / (c2 - 1)
        se = np.sqrt(v1 / c1 + v2 / c2)
        d = m2 - m1
        t = np.where(se > 1e-12 * (np.abs(m1) + np.abs(m2) + 1e-300), d / se,
                     np.where(np.abs(d) <= 1e-12 * (np.abs(m1) + np.abs(m2)), 0.0, np.sign(d) * np.inf))
    return np.where((c1 < 2) | (c2 < 2), np.nan, t)


MAXT_PERMUTATIONS = 4999
MIN_SPLITS = 100
"""Below this many ways to split the replications, max-T cannot resolve small p-values: Holm."""


def maxt_adjusted(x: np.ndarray, y: np.ndarray, *, permutations: int = MAXT_PERMUTATIONS, seed: int = 0) -> np.ndarray:
    """Westfall-Young single-step max-T adjusted p-values of Welch t-tests, one per column.

    ``x`` (baseline) and ``y`` (new run) are replications x tests; NaN marks an undefined value.
    Under "no change" the replications of both runs are exchangeable (each starts from its own
    independent seed), so relabelling them gives the distribution of the largest |t| over the
    whole family, with its real correlation: the chance of any false alarm is then ``alpha``,
    not just at most ``alpha``. All splits are used when there are at most ``permutations``,
    otherwise a seeded random sample plus the observed split.
    """
    from itertools import combinations

    n1, n2 = x.shape[0], y.shape[0]
    z = np.vstack([x, y])
    ok = ~np.isnan(z)
    zc = np.where(ok, z, 0.0)
    n = n1 + n2
    total = math.comb(n, n1)
    if total <= permutations + 1:
        groups = np.zeros((total, n), bool)
        for i, idx in enumerate(combinations(range(n), n1)):
            groups[i, list(idx)] = True
    else:
        rng = np.random.default_rng(seed)
        groups = np.zeros((permutations + 1, n), bool)
        groups[0, :n1] = True
        for i in range(1, permutations + 1):
            groups[i, rng.choice(n, n1, replace=False)] = True
    g1 = groups.astype(float)
    g2 = 1.0 - g1
    okf = ok.astype(float)
    t = _welch_t(g1 @ zc, g1 @ okf, g1 @ zc**2, g2 @ zc, g2 @ okf, g2 @ zc**2)
    observed = np.abs(_welch_t(zc[:n1].sum(0), okf[:n1].sum(0), (zc[:n1] ** 2).sum(0),
                               zc[n1:].sum(0), okf[n1:].sum(0), (zc[n1:] ** 2).sum(0)))
    with np.errstate(invalid="ignore"):
        biggest = np.max(np.where(np.isnan(t), 0.0, np.abs(t)), axis=1)
        adj = (biggest[:, None] >= observed[None, :] * (1 - 1e-12)).mean(axis=0)
    return np.where(np.isnan(observed), np.nan, adj)


@dataclass
class Row:
    service_level: int
    metric: str
    baseline: dict
    now: dict
    test: str
    t: float = math.nan
    p: float = math.nan
    p_adj: float = math.nan
    changed: bool = False
    note: str = ""
    correction: str = "holm"

    @property
    def status(self) -> str:
        if self.changed:
            return "CHANGED"
        return "n/a" if math.isnan(self.p_adj) else "ok"

    def describe(self) -> str:
        b, n = self.baseline["mean"], self.now["mean"]
        rel = f" ({(n - b) / abs(b) * 100:+.1f} %)" if b and not math.isnan(b) and not math.isnan(n) else ""
        k = _scale(self.metric)
        unit = " %" if k == 100 else ""
        return (f"{self.metric} at service level {self.service_level}: {_g(b * k)}{unit} -> {_g(n * k)}{unit}{rel}, "
                f"{self.test} t-test p {_p_eq(self.p)}, {CORRECTION_NAMES[self.correction]}-adjusted {_p_eq(self.p_adj)}" + (f"; {self.note}" if self.note else ""))


@dataclass
class CheckReport:
    scenario: str
    baseline_file: str
    alpha: float
    test: str
    seed: int
    baseline_seed: int
    rows: list[Row]
    warnings: list[str] = field(default_factory=list)
    correction: str = "holm"

    @property
    def changes(self) -> list[Row]:
        return [r for r in self.rows if r.changed]

    @property
    def tests(self) -> int:
        return sum(1 for r in self.rows if not math.isnan(r.p_adj))

    @property
    def passed(self) -> bool:
        return not self.changes

    def to_dict(self) -> dict:
        return {
            "scenario": self.scenario, "baseline": self.baseline_file, "alpha": self.alpha, "test": self.test,
            "correction": self.correction, "seed": self.seed, "baseline_seed": self.baseline_seed, "tests": self.tests,
            "passed": self.passed, "warnings": self.warnings,
            "changes": [{"service_level": r.service_level, "metric": r.metric} for r in self.changes],
            "results": [{"service_level": r.service_level, "metric": r.metric, "status": r.status, "test": r.test,
                         "baseline": {k: r.baseline[k] for k in ("mean", "sd", "n")},
                         "now": {k: r.now[k] for k in ("mean", "sd", "n")},
                         "t": r.t, "p": r.p, "p_adjusted": r.p_adj, "note": r.note} for r in self.rows],
        }

    def text(self, all_rows: bool = True) -> str:
        """A readable table (every test, or only what moved) and a verdict line."""
        import pandas as pd

        bound = "" if self.correction == "maxt" else "at most "
        head = (f"check {self.scenario} against {self.baseline_file}: {self.tests} tests "
                f"({len({r.metric for r in self.rows})} metrics x {len({r.service_level for r in self.rows})} "
                f"service levels), {self.test} t-test, {CORRECTION_NAMES[self.correction]} correction: "
                f"family-wise false-alarm rate {bound}{self.alpha:g}; rates in percent, pp: percentage points")
        rows = [r for r in self.rows if all_rows or r.changed]
        table = pd.DataFrame([{
            "SL": r.service_level, "metric": r.metric,
            "baseline": _ms(r.baseline, r.metric), "now": _ms(r.now, r.metric),
            "change": _change(r.baseline["mean"], r.now["mean"], r.metric),
            "p": _p(r.p), "p(adj)": _p(r.p_adj), "": r.status if r.status != "ok" else "",
        } for r in rows])
        lines = [head]
        if len(table):
            lines.append(table.to_string(index=False))
        if self.passed:
            lines.append(f"no significant change ({self.tests} tests)")
        else:
            lines.append(f"{len(self.changes)} significant change(s):")
            lines += [f"  {r.describe()}" for r in self.changes]
        return "\n".join(lines) + "\n"

    def junit_xml(self) -> str:
        """A JUnit report: one test case per metric and service level (failure: a significant change)."""
        cases = []
        for r in self.rows:
            name = quoteattr(r.metric)
            cls = quoteattr(f"pacing_sim.{_ident(self.scenario)}.service_level_{r.service_level}")
            body = ""
            if r.changed:
                body = (f"<failure message={quoteattr('significant change: ' + r.describe())} "
                        f"type=\"SignificantChange\">{escape(r.describe())}</failure>")
            elif r.status == "n/a":
                body = f"<skipped message={quoteattr(r.note or 'not testable')}/>"
            out = escape(f"baseline {_ms(r.baseline, r.metric)}; now {_ms(r.now, r.metric)}; p {_p(r.p)}; adjusted {_p(r.p_adj)}")
            cases.append(f"    <testcase classname={cls} name={name} time=\"0\">{body}"
                         f"<system-out>{out}</system-out></testcase>")
        skipped = sum(1 for r in self.rows if r.status == "n/a")
        props = "".join(f"<property name={quoteattr(k)} value={quoteattr(str(v))}/>" for k, v in (
            ("baseline", self.baseline_file), ("seed", self.seed), ("baseline_seed", self.baseline_seed),
            ("test", self.test), ("correction", self.correction), ("alpha", self.alpha)))
        warn = "".join(f"<system-err>{escape(w)}</system-err>" for w in self.warnings[:1]) if self.warnings else ""
        suite = (f"  <testsuite name={quoteattr('pacing-sim check ' + self.scenario)} tests=\"{len(self.rows)}\" "
                 f"failures=\"{len(self.changes)}\" errors=\"0\" skipped=\"{skipped}\">\n"
                 f"    <properties>{props}</properties>\n" + "\n".join(cases) + f"\n  {warn}</testsuite>")
        return ("<?xml version=\"1.0\" encoding=\"utf-8\"?>\n"
                f"<testsuites name=\"pacing-sim check\" tests=\"{len(self.rows)}\" failures=\"{len(self.changes)}\">\n"
                f"{suite}\n</testsuites>\n")


def _ident(name: str) -> str:
    return "".join(c if c.isalnum() or c in "-_" else "_" for c in name)


def _g(x: float) -> str:
    return "undefined" if x is None or math.isnan(x) else f"{x:.4g}"


def _p(p: float) -> str:
    if p is None or math.isnan(p):
        return "-"
    return "<0.0001" if p < 1e-4 else f"{p:.4f}"


def _p_eq(p: float) -> str:
    s = _p(p)
    return s.replace("<", "< ") if s.startswith("<") else f"= {s}"


def _scale(metric: str) -> float:
    """Text for people shows rates in percent (machine formats keep fractions)."""
    from sim import registry

    m = registry.BY_NAME.get(metric)
    return 100.0 if m is not None and m.percent else 1.0


def _ms(s: dict, metric: str = "") -> str:
    if s["n"] == 0 or math.isnan(s["mean"]):
        return "-"
    k = _scale(metric)
    sd = s.get("sd", math.nan)
    unit = " %" if k == 100 else ""
    return f"{s['mean'] * k:.4g}{unit}" + ("" if sd is None or math.isnan(sd) else f" (sd {sd * k:.2g})")


def _change(b: float, n: float, metric: str = "") -> str:
    if math.isnan(b) or math.isnan(n):
        return "-"
    k = _scale(metric)
    d = n - b
    unit = " pp" if k == 100 else ""
    return f"{d * k:+.4g}{unit}" + (f" ({d / abs(b) * 100:+.1f} %)" if b else "")


def compare(baseline: dict, scenario, values: dict[int, dict[str, list[float]]], *,
            metrics: Iterable[str] = HEADLINE, alpha: float = ALPHA, test: str = "auto",
            correction: str = "auto", baseline_file: str = "baseline") -> CheckReport:
    """Test each metric at each service level of ``values`` (a new run) against ``baseline``.

    Raises ``BaselineError`` when they cannot be compared (other service levels, a metric the
    baseline lacks). Differences in the scenario or the versions become warnings.
    """
    if test not in TESTS:
        raise ValueError(f"test must be one of {', '.join(TESTS)}; got {test!r}")
    if correction not in CORRECTIONS:
        raise ValueError(f"correction must be one of {', '.join(CORRECTIONS)}; got {correction!r}")
    if not 0 < alpha < 1:
        raise ValueError(f"alpha must be between 0 and 1; got {alpha!r}")
    metrics = list(metrics)
    base_levels = [r["service_level"] for r in baseline["results"]]
    levels = list(values)
    if sorted(base_levels) != sorted(levels):
        raise BaselineError(f"{baseline_file}: cannot compare: the baseline has service levels "
                            f"{','.join(map(str, base_levels))}, this run {','.join(map(str, levels))} "
                            f"(use --service-levels {','.join(map(str, base_levels))}, or make a new baseline)")
    by_level = {r["service_level"]: r["metrics"] for r in baseline["results"]}
    missing = sorted({m for m in metrics for sl in base_levels if m not in by_level[sl]})
    if missing:
        raise BaselineError(f"{baseline_file}: cannot compare: the baseline has no {', '.join(missing)} "
                            f"(it was made by another version; make a new baseline)")
    unknown = [m for m in metrics if m not in METRICS]
    if unknown:
        raise BaselineError(f"unknown metric(s) {', '.join(unknown)}; expected some of {', '.join(METRICS)}")

    seed, base_seed = scenario.seed, baseline.get("seed")
    warnings = scenario_warnings(baseline, scenario)
    use = test
    if test == "auto":
        use = "paired" if seed == base_seed else "welch"
    rows: list[Row] = []
    for sl in sorted(levels):
        for m in metrics:
            b = by_level[sl][m]
            bs = {"mean": _num(b["mean"]), "sd": math.sqrt(_num(b["var"])) if b["var"] is not None else math.nan,
                  "n": int(b["n"])}
            now = _stats(values[sl][m])
            row = Row(sl, m, bs, now, use)
            if bs["n"] == 0 and now["n"] == 0:
                row.note = "undefined in both runs"
            elif bs["n"] == 0 or now["n"] == 0:
                row.t, row.p = (math.inf, 0.0)
                row.note = "defined in one run only"
            elif use == "paired" and b.get("values") is not None:
                row.t, row.p, k = paired([_num(v) for v in b["values"]], values[sl][m])
                if k < 2:
                    row.note = "fewer than 2 pairs"
            else:
                if use == "paired":
                    row.test = "welch"
                    row.note = "the baseline has no per-replication values: Welch"
                row.t, row.p = welch(bs["mean"], _num(b["var"]), bs["n"], now["mean"], now["var"], now["n"])
                if math.isnan(row.p):
                    row.note = "fewer than 2 replications"
            rows.append(row)
    method = correction
    if correction == "auto":
        method = "holm"
        if use == "welch" and all(by_level[r.service_level][r.metric].get("values") is not None for r in rows):
            n1 = len(by_level[rows[0].service_level][rows[0].metric]["values"]) if rows else 0
            n2 = len(values[rows[0].service_level][rows[0].metric]) if rows else 0
            if math.comb(n1 + n2, n1) >= MIN_SPLITS:
                method = "maxt"
    if method == "maxt":
        if use != "welch":
            raise ValueError("the max-T correction goes with the Welch test (independent runs); use holm with paired")
        testable = [i for i, r in enumerate(rows) if not math.isnan(r.p) and r.note != "defined in one run only"]
        x = np.array([[_num(v) for v in by_level[rows[i].service_level][rows[i].metric]["values"]]
                      for i in testable], float).T
        y = np.array([values[rows[i].service_level][rows[i].metric] for i in testable], float).T
        adj = maxt_adjusted(x, y, seed=(int(seed) * 1_000_003 + int(base_seed or 0)) % 2**32) if testable else []
        padjs = [math.nan] * len(rows)
        for i, a in zip(testable, adj):
            padjs[i] = float(a)
        for i, r in enumerate(rows):
            if r.note == "defined in one run only":
                padjs[i] = 0.0
    else:
        padjs = holm([r.p for r in rows])
    for row, padj in zip(rows, padjs):
        row.p_adj = padj
        row.correction = method
        row.changed = not math.isnan(padj) and padj <= alpha
    return CheckReport(scenario.name, str(baseline_file), alpha, use, seed, base_seed, rows, warnings, method)


def scenario_warnings(baseline: dict, scenario) -> list[str]:
    """What differs between the baseline's scenario and versions and this run's."""
    out = []
    content = scenario_content(scenario)
    bscn = baseline.get("scenario") or {}
    if bscn.get("hash") and bscn.get("hash") != content_hash(content):
        old = bscn.get("content")
        if isinstance(old, dict):
            diffs = [d for d in content_diff(old, content) if not d.startswith("seed:")]
        else:
            diffs = []
        if diffs:
            shown = diffs[:12] + ([f"... and {len(diffs) - 12} more"] if len(diffs) > 12 else [])
            out.append("the scenario differs from the baseline's (compared all the same): " + "; ".join(shown))
    if baseline.get("seed") != scenario.seed:
        out.append(f"seed {scenario.seed}, the baseline's {baseline.get('seed')}: the runs are independent "
                   "(Welch test unless --test paired)")
    if baseline.get("replications") not in (None, scenario.replications):
        out.append(f"{scenario.replications} replications per level, the baseline has {baseline.get('replications')}")
    n = min(scenario.replications, baseline.get("replications") or scenario.replications)
    if n < 5:
        out.append(f"{n} replications per level: the check can only see large changes (use 5 or more, 10 for "
                   "changes of a few per cent)")
    old_v, new_v = baseline.get("versions") or {}, versions()
    for key in ("pacing_sim", "engine"):
        if old_v.get(key) and old_v.get(key) != new_v.get(key):
            out.append(f"{key} version {new_v.get(key)}, the baseline was made with {old_v.get(key)}")
    return out
