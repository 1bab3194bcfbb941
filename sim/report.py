"""The HTML report: one self-contained file (plots embedded as base64) that a person can mail.

Built from a results folder's tables alone (``sim.results.Tables``), so ``pacing-sim report DIR``
gives the same page as the run that wrote the folder.
"""

from __future__ import annotations

import base64
import shlex
from html import escape
from typing import Any, Optional

import pandas as pd

from sim import registry
from sim.format import duration as _duration
from sim.format import CUT_NOTE, interval
from sim.format import number as _num
from sim.registry import Regulatory
from sim.verdict import DEFAULT_METRIC, FEASIBLE, INFEASIBLE, UNCLEAR, UNDEFINED, lower_status, upper_status

CAPTIONS = {
    # {cap} and {threshold} are the scenario's (sim.registry.regulatory)
    "tradeoff": "The plain abandon rate (live answers that never reached an agent; no regulator's measure, so no cap "
    "line) against agent occupancy, one point per service level, with 95 % intervals on both axes.",
    "tradeoff_regulatory": "The trade-off the regulators judge: a live answer not talking to {rule} counts as "
    "abandoned. The dashed line is the {cap} % cap; filled green points pass the verdict's test (upper 95 % bound "
    "within the cap), red rings fail. VoIPbin has no such deadline, so this rate is higher than the plain one.",
    "causes": "Why callers were abandoned at each level: each bar is the abandon rate (share of live answers, "
    "pooled over the replications), split by cause, on the regulators' clock (left) and plain (right).",
    "levels": "Throughput, occupancy and the regulatory abandon rate (with the {cap} % cap) against service level; bars and bands are 95 % intervals.",
    "comparison": "The scenarios of this sweep side by side.",
    "timeseries": "One run per service level over the simulated day: live calls, available agents and callers "
    "waiting (time-weighted means over each interval), and abandons in each interval.",
    "waits": "Left: share of live answers with an agent within x seconds of entering the queue (the gap to 100 % "
    "never reached one). Right: how each left the queue.",
}

CSS = """
.verdict{border-left:6px solid #999;padding:.3em 1em;margin:.6em 0;background:#fafafa}
.verdict.ok{border-color:#2a9d8f}.verdict.bad{border-color:#c0392b}.verdict .answer{font-size:1.2em;font-weight:bold}
td.ok{background:#e3f4f1}td.bad{background:#fbe9e7}
body{font-family:-apple-system,Segoe UI,Helvetica,Arial,sans-serif;margin:2em auto;max-width:1100px;color:#222;
line-height:1.45;padding:0 1em}
h1{font-size:1.6em;margin-bottom:.2em}h2{font-size:1.25em;margin-top:1.8em;border-bottom:1px solid #ddd}
h3{font-size:1.05em;margin-bottom:.3em}
table{border-collapse:collapse;margin:.6em 0;font-size:.88em}
th,td{border:1px solid #ccc;padding:.25em .55em;text-align:right;white-space:nowrap}
th{background:#f3f3f3;white-space:normal;vertical-align:bottom}.scroll{overflow-x:auto}td.l,th.l{text-align:left;white-space:normal}
td.over{background:#f6c4c0}td.near{background:#fde8b0}td.undef{background:#e4e4e4}
.legend ul{list-style:none;padding-left:0;margin:.2em 0}.legend p{margin:.3em 0}
.swatch{display:inline-block;width:1.6em;height:.9em;border:1px solid #bbb;vertical-align:middle;margin-right:.2em}
.swatch.ok{background:#e3f4f1}.swatch.near{background:#fde8b0}.swatch.over{background:#f6c4c0}.swatch.undef{background:#e4e4e4}
figure{margin:1.2em 0}figure img{max-width:100%;border:1px solid #eee}
figcaption{font-size:.88em;color:#555}
.warn{background:#fde2e1;border:1px solid #e5a3a0;padding:.6em 1em}
.muted{color:#666;font-size:.9em}code{background:#f5f5f5;padding:0 .2em}
dl.kv{display:grid;grid-template-columns:max-content 1fr;gap:.1em 1em;font-size:.92em}dl.kv dt{font-weight:600}
dl.kv dd{margin:0}
"""


# --------------------------------------------------------------------------- formatting


def fmt_ci(mean: Any, lo: Any, hi: Any, digits: int, pct: bool, bounds: Optional[tuple[float, float]] = None) -> str:
    """Mean ± half-width; an interval cut by ``bounds`` (a rate's ``Metric.bounds``) as mean [low, high]
    (``sim.format.interval``)."""
    return interval(mean, lo, hi, spec=f".{digits}f", scale=100.0 if pct else 1.0, sep=" ± ", missing="–",
                    bounds=bounds)


def _dist(d: Any) -> str:
    """A distribution mapping from the resolved scenario, in words."""
    if not isinstance(d, dict):
        return escape(str(d))
    kind = d.get("dist")
    if kind == "constant":
        return _duration(d.get("value"))
    if kind == "exponential":
        return f"exponential, mean {_duration(d.get('mean'))}"
    if kind in ("lognormal", "gamma"):
        return f"{kind}, mean {_duration(d.get('mean'))}, sd {_duration(d.get('sd'))}"
    if kind == "uniform":
        return f"uniform {_duration(d.get('low'))} to {_duration(d.get('high'))}"
    if kind == "empirical":
        vals = d.get("values") or []
        return f"empirical, {len(vals)} values"
    return escape(str(d))


def _when(stamp: Any) -> str:
    """An ISO timestamp in UTC as ``2026-01-31 14:05:00 UTC``."""
    text = str(stamp or "")
    if text.endswith("+00:00"):
        return text[:-6].replace("T", " ") + " UTC"
    return text or "(unknown)"


# --------------------------------------------------------------------------- sections


def _kv(pairs: list[tuple[str, str]]) -> str:
    """A definition list; values are HTML already escaped by the caller."""
    return "<dl class='kv'>" + "".join(f"<dt>{escape(k)}</dt><dd>{v}</dd>" for k, v in pairs) + "</dl>"


def scenario_brief(doc: dict) -> str:
    """The scenario in a few lines: experiment, campaign, list, agents, called parties."""
    e = escape
    pairs = [
        (
            "Experiment",
            e(
                f"{doc.get('replications')} replications at each service level "
                f"{', '.join(str(x) for x in doc.get('service_levels') or [])}; seed {doc.get('seed')}"
            ),
        ),
        (
            "Simulated time",
            e(f"{_duration(doc.get('horizon'))}, measured after a warm-up of {_duration(doc.get('warmup'))}"),
        ),
    ]
    outplans = {p.get("name"): p for p in doc.get("outplans") or []}
    outdials = {o.get("name"): o for o in doc.get("outdials") or []}
    queues = {q.get("name"): q for q in doc.get("queues") or []}
    for c in doc.get("campaigns") or []:
        op, od, q = outplans.get(c.get("outplan"), {}), outdials.get(c.get("outdial"), {}), queues.get(c.get("queue"))
        targets = od.get("targets")
        tgt = (
            f"{targets:,} targets x {od.get('destinations')} destinations"
            if isinstance(targets, int)
            else f"targets from {targets}"
        )
        tries = op.get("max_try_count") or []
        text = (
            f"{c.get('type')} campaign; {tgt}; up to {'/'.join(str(t) for t in tries)} tries per destination, "
            f"{_duration(op.get('try_interval'))} apart, dial timeout {_duration(op.get('dial_timeout'))}; "
            f"end handle {c.get('end_handle')}"
        )
        if q:
            text += f"; queue {q.get('name')} (wait timeout {_duration(q.get('wait_timeout'))})"
        acts = ", ".join(a.get("type", "?") for a in c.get("actions") or []) or "none"
        text += f"; actions: {acts}"
        pairs.append((f"Campaign {c.get('name')}", e(text)))
    for g in doc.get("agents") or []:
        shift = g.get("shift") or {}
        end = shift.get("end")
        text = (
            f"{g.get('count')} agents, shift {_duration(shift.get('start'))} to "
            f"{_duration(end) if end is not None else 'the horizon'}; talk {_dist(g.get('talk_time'))}; "
            f"wrap-up {_dist(g.get('wrap_up'))}; answer delay {_dist(g.get('answer_delay'))}; "
            f"miss probability {g.get('miss_probability')}"
        )
        pairs.append((f"Agents {g.get('name')}", e(text)))
    pop = doc.get("population") or {}
    mixes = pop.get("outcome") or []
    if mixes:
        live = ", ".join(f"{(m.get('human') or 0) * 100:.0f} %" for m in mixes)
        pairs.append(
            (
                "Called parties",
                e(
                    f"live answer {live} by destination; ring time {_dist(pop.get('ring_time'))}; "
                    f"patience in the queue {_dist(pop.get('patience'))}"
                ),
            )
        )
    desc = doc.get("description") or ""
    head = f"<h3>{e(str(doc.get('name')))}</h3>" + (f"<p>{e(desc)}</p>" if desc else "")
    return head + _kv(pairs)


_SHADE = {FEASIBLE: "ok", UNCLEAR: "near", INFEASIBLE: "over", UNDEFINED: "undef"}
"""The class of a headline cell the verdict judges, by its status (``sim.verdict``)."""


def _stats(r) -> dict:
    """A summary row as the verdict's stats mapping (``sim.verdict.upper_status`` reads it)."""
    return {"mean": _num(r["mean"]), "ci_low": _num(r["ci_low"]), "ci_high": _num(r["ci_high"]),
            "n": int(_num(r["n"]) or 0)}


def headline_table(summary: pd.DataFrame, scenario: str, rules: Optional[Regulatory] = None,
                   verdict: Optional[dict] = None) -> str:
    """One row per service level, each headline metric as mean ± half-width of its 95 % interval.

    The cells the verdict judges are shaded by its rule (``sim.verdict.upper_status``): its
    constraint metric (``verdict["metric"]``, by default the regulatory abandon rate) against its
    limit (by default the cap of ``rules``, ``sim.registry.regulatory()``'s ``max_abandon``), and
    occupancy against ``verdict["min_occupancy"]`` when it has one. Other cells are not shaded."""
    rules = rules or registry.regulatory()
    verdict = verdict or {}
    metric = verdict.get("metric") or DEFAULT_METRIC
    limit = verdict.get("limit") if verdict.get("limit") is not None else rules.max_abandon
    min_occ = verdict.get("min_occupancy")
    s = summary[summary["scenario"] == scenario]
    if s.empty:
        return "<p>No finished runs.</p>"
    wide = {m: g.set_index("service_level") for m, g in s.groupby("metric", sort=False)}
    cols = [m for m in registry.REPORT if m.name in wide]
    head = "<tr><th>Service level</th><th>n</th>" + "".join(
        f"<th>{escape(m.report_heading(rules))}</th>" for m in cols) + "</tr>"
    cap, seen, cut = f"{limit * 100:g} %", set(), False
    rows = []
    for sl in sorted(set(s["service_level"])):
        n = wide[cols[0].name].loc[sl, "n"] if cols else ""
        cells = [f"<td>{sl}</td><td>{int(n)}</td>"]
        for m in cols:
            r = wide[m.name].loc[sl]
            text = fmt_ci(r["mean"], r["ci_low"], r["ci_high"], m.digits, m.percent, m.bounds)
            cut = cut or "[" in text
            attrs = ""
            if m.name == metric:
                st = upper_status(_stats(r), limit)
                attrs = f" class='{_SHADE[st]}' title='{escape(_UPPER_WORDS[st].format(cap=cap))}'"
                seen.add(st)
            elif m.name == "occupancy" and min_occ is not None:
                st = lower_status(_stats(r), min_occ)
                attrs = f" class='{_SHADE[st]}' title='{escape(_LOWER_WORDS[st].format(minimum=f'{min_occ * 100:g} %'))}'"
                seen.add(st)
            cells.append(f"<td{attrs}>{escape(text)}</td>")
        rows.append("<tr>" + "".join(cells) + "</tr>")
    return (
        f"<div class='scroll'><table><thead>{head}</thead><tbody>{''.join(rows)}</tbody></table></div>"
        "<p class='muted'>Mean ± half-width of the 95 % Student-t interval over n replications"
        + (f"; {escape(CUT_NOTE)}" if cut else "") + ".</p>"
        + _legend(metric, registry.get(metric).report_heading(rules), cap, min_occ, seen)
    )


_UPPER_WORDS = {
    FEASIBLE: "passes: upper 95 % bound within the {cap} cap",
    UNCLEAR: "fails: the 95 % interval straddles the {cap} cap (upper bound above it)",
    INFEASIBLE: "fails: the whole 95 % interval is above the {cap} cap",
    UNDEFINED: "fails: no 95 % interval (fewer than 2 replications with a live answer)",
}
_LOWER_WORDS = {
    FEASIBLE: "passes: lower 95 % bound at or above the minimum of {minimum}",
    UNCLEAR: "fails: the 95 % interval straddles the minimum of {minimum} (lower bound below it)",
    INFEASIBLE: "fails: the whole 95 % interval is below the minimum of {minimum}",
    UNDEFINED: "fails: no 95 % interval (fewer than 2 replications)",
}


def _legend(metric: str, heading: str, cap: str, min_occ: Optional[float], seen: set) -> str:
    """What the shading of the headline table means: the verdict's rule, colour by colour."""
    sw = "<span class='swatch {}'></span>".format
    occ = f"{min_occ * 100:g} %" if min_occ is not None else ""

    def also(text: str) -> str:  # what the same colour says of occupancy, when the verdict has a minimum
        return f"; occupancy: {text}" if min_occ is not None else ""

    items = [f"{sw('ok')}passes: upper 95 % bound at or below {escape(cap)}"
             + also(f"lower 95 % bound at or above {occ}"),
             f"{sw('near')}fails, not shown within: the 95 % interval straddles {escape(cap)}"
             + also(f"straddles {occ}"),
             f"{sw('over')}fails: the whole interval above {escape(cap)}" + also(f"the whole interval below {occ}")]
    if UNDEFINED in seen:
        items.append(f"{sw('undef')}fails: no interval (fewer than 2 replications define it)")
    rule = f"a service level passes when its upper 95 % bound is within the {escape(cap)} cap"
    shaded = f"<strong>{escape(heading)}</strong> is"
    if min_occ is not None:
        rule += f" and occupancy's lower 95 % bound reaches {occ}"
        shaded = (f"<strong>{escape(heading)}</strong> and "
                  f"<strong>{escape(registry.get('occupancy').report_heading())}</strong> are")
    text = (f"<div class='muted legend'><p>{shaded} shaded by the verdict's test: {rule}"
            + (" (both cells green)" if min_occ is not None else "") + ".</p><ul>"
            + "".join(f"<li>{i}</li>" for i in items) + "</ul>")
    if metric != "abandon_rate":
        text += (f"<p>{escape(registry.get('abandon_rate').report_heading())} (callers who never reached an agent, "
                 "with no deadline) is not the regulators' measure and is not shaded, nor are the other columns.</p>")
    return text + "</div>"


def engine_section(prov: dict, docs: list[dict]) -> str:
    parts = []
    by_name = {s.get("name"): s for s in prov.get("scenarios") or []}
    for doc in docs:
        eng = (by_name.get(doc.get("name")) or {}).get("engine") or dict(doc.get("engine") or {})
        timers = eng.get("timers") or {}
        switches = [(k, v) for k, v in eng.items() if k not in ("profile", "timers")]
        rows = "".join(
            f"<tr><td class='l'><code>{escape(k)}</code></td><td class='l'>{escape(str(v))}</td></tr>"
            for k, v in switches
        )
        trows = "".join(
            f"<tr><td class='l'><code>{escape(k)}</code></td><td>{escape(str(v))}</td></tr>" for k, v in timers.items()
        )
        parts.append(
            f"<h3>{escape(str(doc.get('name')))}: profile <code>{escape(str(eng.get('profile')))}</code></h3>"
            "<div style='display:flex;gap:2em;flex-wrap:wrap'>"
            f"<table><thead><tr><th class='l'>switch</th><th class='l'>value</th></tr></thead>{rows}</table>"
            f"<table><thead><tr><th class='l'>timer</th><th>seconds / count</th></tr></thead>{trows}</table>"
            "</div>"
        )
    return "".join(parts) or "<p>No engine settings recorded.</p>"


def provenance_section(prov: dict) -> str:
    e = escape
    cmd = prov.get("command")
    pairs = [
        ("pacing-sim", e(f"{prov.get('pacing_sim')} (engine reproduces VoIPbin {prov.get('engine_version')})")),
        ("Seed", e(", ".join(f"{k}: {v}" for k, v in (prov.get("seeds") or {}).items()) or str(prov.get("seed")))),
        ("Command", f"<code>{e(shlex.join(cmd))}</code>" if cmd else e(str(prov.get("entry") or "library"))),
        (
            "Executor",
            e(
                f"{prov.get('executor')}, {prov.get('workers')} worker(s)"
                + (f", scheduler {prov.get('scheduler')}" if prov.get("scheduler") else "")
            ),
        ),
        (
            "Ran",
            e(
                f"{_when(prov.get('started'))} to {_when(prov.get('finished'))}, "
                f"{_num(prov.get('wall_s')) or 0:.1f} s wall time"
            ),
        ),
        ("Python", e(f"{prov.get('python')} on {prov.get('platform')}")),
        ("Dependencies", e(", ".join(f"{k} {v}" for k, v in (prov.get("dependencies") or {}).items()))),
    ]
    git = prov.get("git")
    if git:
        pairs.append(
            ("Source", e(f"git {git.get('commit')}" + (" (sim/ modified)" if git.get("sim_modified") else "")))
        )
    runs = prov.get("runs") or {}
    if runs:
        pairs.append(
            (
                "Runs",
                e(
                    f"{runs.get('total')} in all: {runs.get('run_now')} run for this folder, "
                    f"{runs.get('reused_from_partial')} reused from an interrupted sweep, "
                    f"{len(runs.get('failed') or [])} failed"
                ),
            )
        )
    return _kv(pairs)


def failures_section(replications: pd.DataFrame) -> str:
    if "error" not in replications:
        return ""
    bad = replications[replications["error"].fillna("") != ""]
    if bad.empty:
        return ""
    items = "".join(
        f"<li>{escape(str(r.scenario))}, service level {r.service_level}, replication {r.replication}: "
        f"<code>{escape(str(r.error))}</code></li>"
        for r in bad.head(50).itertuples(index=False)
    )
    more = f"<li>… and {len(bad) - 50} more</li>" if len(bad) > 50 else ""
    return (
        f"<div class='warn'><strong>{len(bad)} of {len(replications)} runs failed</strong>; the figures rest on the "
        f"others (see n).<ul>{items}{more}</ul></div>"
    )


def definitions_section(rules: Regulatory) -> str:
    """What each column of the headline table means (from ``sim.registry``), the cap, the files."""
    pairs = [(m.report_heading(rules), escape(m.definition) + (f"; in this scenario: {escape(rules.footnote())}" if m.regulatory else ""))
             for m in registry.REPORT]
    pairs.append((registry.cap_label(rules.max_abandon),
                  escape(f"no more than {rules.max_abandon * 100:g} % of live answers abandoned, a live answer "
                         f"being abandoned unless it is talking to {rules.describe()}")))
    return (_kv(pairs) + "<p class='muted'>Files of this folder: summary.csv, replications.csv, timeseries.csv, "
            "calls.parquet, scenario.resolved.yaml, provenance.json, plots/. Every metric: docs/metrics.md.</p>")


def verdict_section(verdicts: list[dict]) -> str:
    """The answer first: the level to run (or that none qualifies), the reason, each level's status."""
    out = []
    for v in verdicts:
        sl = v.get("recommended_service_level")
        name = escape(str(v.get("scenario") or ""))
        head = (f"Run service level {sl}" if sl is not None else "No service level of the sweep qualifies")
        limit = v.get("limit")
        metric = registry.get(str(v.get("metric"))).title(registry.regulatory(v))  # the label, on its clock
        rule = f"{escape(metric)}: upper 95 % bound within {limit * 100:g} %" if limit is not None else ""
        if v.get("min_occupancy") is not None:
            rule += f", occupancy's lower bound at least {v['min_occupancy'] * 100:g} %"
        cls = "ok" if sl is not None else "bad"
        cells = "".join(f"<td class='{'ok' if e.get('passes') else 'bad'}'>{e['service_level']}: "
                        f"{'passes' if e.get('passes') else escape(str(e.get('status')))}</td>"
                        for e in v.get("levels", []))
        causes = ", ".join(f"{escape(c)} {share * 100:.0f} %" for c, share in (v.get("causes") or {}).items() if share)
        out.append(
            f"<div class='verdict {cls}'><p class='answer'>{name + ': ' if len(verdicts) > 1 else ''}{head}</p>"
            f"<p class='muted'>{rule}</p><p>{escape(str(v.get('reason') or ''))}</p>"
            + (f"<p class='muted'>Causes of the abandons at service level {v.get('causes_service_level')}: {causes}"
               "</p>" if causes else "")
            + f"<div class='scroll'><table><tr>{cells}</tr></table></div></div>"
        )
    return "".join(out)


def html(tables, images: dict[str, bytes], verdicts: Optional[list[dict]] = None) -> str:
    """The report page for ``tables`` (``sim.results.Tables``) and its PNG figures (name -> bytes);
    ``verdicts``: the verdict on each scenario's sweep (``sim.verdict``), shown first."""
    summary, reps, prov, docs = tables.summary, tables.replications, tables.provenance, tables.scenarios
    names = list(dict.fromkeys(reps["scenario"])) if len(reps) else [d.get("name") for d in docs]
    rules = {d.get("name"): registry.regulatory(d) for d in docs}
    first = rules.get(names[0], registry.regulatory()) if names else registry.regulatory()
    if verdicts is None:
        verdicts = tables.verdicts() if hasattr(tables, "verdicts") else []
    cap = verdicts[0]["limit"] if verdicts and verdicts[0].get("limit") is not None else first.max_abandon
    words = {"cap": f"{cap * 100:g}", "threshold": f"{first.threshold:g}", "rule": first.describe()}
    title = "pacing-sim report: " + ", ".join(str(n) for n in names)
    body = [
        f"<h1>{escape(title)}</h1>",
        "<h2>Verdict</h2>",
        verdict_section(verdicts) or "<p>(no verdict: no finished runs)</p>",
        f"<p class='muted'>What the campaign does to the agents and to the people called, at each service level. "
        f"Generated from the tables of this results folder; the sweep finished {escape(_when(prov.get('finished')))}.</p>",
        failures_section(reps),
        "<h2>Scenario</h2>",
        "".join(scenario_brief(d) for d in docs) or "<p>(no resolved scenario file)</p>",
        "<h2>Headline results</h2>",
    ]
    judged = {v.get("scenario"): v for v in verdicts}
    for n in names:
        if len(names) > 1:
            body.append(f"<h3>{escape(str(n))}</h3>")
        body.append(headline_table(summary, n, rules.get(n, registry.regulatory()), judged.get(n)))
    body.append("<h2>Plots</h2>")
    for name, data in images.items():
        kind = name.split("-", 1)[0]
        caption = CAPTIONS.get(kind, "").format(**words)
        if kind != name:
            caption = f"Scenario {name.split('-', 1)[1]}. " + caption
        b64 = base64.b64encode(data).decode("ascii")
        body.append(
            f"<figure id='{escape(name)}'><img alt='{escape(name)} plot' src='data:image/png;base64,{b64}'>"
            f"<figcaption>{escape(caption)}</figcaption></figure>"
        )
    body += [
        "<h2>Engine profile and switches</h2>",
        engine_section(prov, docs),
        "<h2>Provenance</h2>",
        provenance_section(prov),
        "<h2>Definitions</h2>",
        definitions_section(first),
    ]
    return (
        "<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'>"
        "<meta name='viewport' content='width=device-width, initial-scale=1'>"
        f"<title>{escape(title)}</title><style>{CSS}</style></head><body>"
        + "\n".join(b for b in body if b)
        + "</body></html>\n"
    )
