"""How an experiment's result shows itself: a wide table (a row per service level, a column per
metric) as a DataFrame, and as HTML in Jupyter (``ExperimentResult._repr_html_``)."""

from __future__ import annotations

import html
from typing import Any

import pandas as pd


def wide_table(result: Any, metrics: Any = None) -> pd.DataFrame:
    """Means, a row per service level (per scenario and level with several scenarios), a column
    per metric, in the units of the machine formats (fractions, seconds, per hour)."""
    from sim import registry

    names = list(metrics) if metrics is not None else list(registry.CONTRACT)
    s = result.summary
    s = s[s["metric"].isin(names)]
    several = s["scenario"].nunique() > 1
    index = ["scenario", "service_level"] if several else ["service_level"]
    wide = s.pivot_table(index=index, columns="metric", values="mean", aggfunc="first", dropna=False, sort=False)
    wide = wide.reindex(columns=[n for n in names if n in wide.columns])
    wide.columns.name = None
    return wide


def _verdict_html(result: Any) -> str:
    verdict = getattr(result, "verdict", None)
    if callable(verdict):
        try:
            verdict = verdict()
        except Exception:  # noqa: BLE001 - a display must not fail
            verdict = None
    if not verdict:
        return ""
    if isinstance(verdict, dict):
        text = verdict.get("reason") or ", ".join(f"{k}: {v}" for k, v in verdict.items())
    else:
        text = getattr(verdict, "reason", None) or str(verdict)
    return f"<p><b>Verdict.</b> {html.escape(str(text))}</p>"


def html_table(result: Any) -> str:
    """The ``run`` table as HTML: a row per service level, each headline metric as mean ± half-width
    of its 95 % interval, rates in percent; the verdict first when there is one."""
    from sim import registry
    from sim.format import CUT_NOTE, summary_interval

    parts = [_verdict_html(result)]
    for si, scn in enumerate(result.scenarios):
        summary = result.metric_summary(si)
        rules = registry.regulatory(scn)
        reps = max((t.replication for t in result.tasks if t.scenario == si), default=-1) + 1
        head = "".join(f"<th>{html.escape(m.heading(rules))}</th>" for m in registry.TABLE)
        rows, cut = [], False
        for sl, ms in summary.items():
            texts = [summary_interval(ms[m.name], spec=f".{m.digits}f", scale=m.scale, bounds=m.bounds)
                     for m in registry.TABLE]
            cut = cut or any("[" in t for t in texts)
            cells = "".join(f"<td>{html.escape(t)}</td>" for t in texts)
            rows.append(f"<tr><th>{sl}</th>{cells}</tr>")
        parts.append(f"<p><b>{html.escape(scn.name)}</b>: {reps} replications per service level, seed {scn.seed}, "
                     f"engine profile {html.escape(scn.engine.profile)}; mean ± half-width of the 95 % interval, "
                     "rates in percent (<code>.summary</code> and <code>.table()</code> hold fractions)</p>")
        parts.append(f"<table><thead><tr><th>SL</th>{head}</tr></thead><tbody>{''.join(rows)}</tbody></table>")
        if cut:
            parts.append(f"<p>{html.escape(CUT_NOTE)}</p>")
        parts += [f"<p>{html.escape(note)}</p>" for note in registry.footnotes(registry.TABLE, rules)]
    failed = len(result.failures)
    if failed:
        parts.append(f"<p><b>{failed} of {len(result.outputs)} runs failed</b> (see <code>.runs</code>)</p>")
    return "".join(p for p in parts if p)
