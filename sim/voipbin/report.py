"""``pacing-sim fit --report DIR``: each fitted distribution drawn against the data's histogram
(and, where callers or conversations were censored, the Kaplan-Meier curve against the fitted
survival), the outcome mix with its intervals, the answer rate by hour; one self-contained page."""

from __future__ import annotations

import base64
import html
import io
import os
from pathlib import Path

import numpy as np
from matplotlib.figure import Figure

from sim.voipbin.dists import Estimate, kaplan_meier
from sim.voipbin.fit import OUTCOMES, FitResult


def _estimate_figure(name: str, est: Estimate) -> Figure:
    panels = 2 if est.n_censored else 1
    fig = Figure(figsize=(5.2 * panels, 3.4))
    ax = fig.add_subplot(1, panels, 1)
    x = est.events
    hi = float(np.quantile(x, 0.995)) if len(x) else 1.0
    hi = max(hi, float(x.max()) if est.family in ("uniform", "constant") and len(x) else hi) * 1.05 + 1e-9
    ax.hist(x, bins=min(60, max(10, int(np.sqrt(len(x))))), range=(0, hi), density=True, color="#9ecae1",
            edgecolor="white", label=f"records (n={len(x)})")
    if est.pdf is not None and est.family != "constant":
        grid = np.linspace(max(hi / 2000, 1e-6), hi, 400)
        ax.plot(grid, est.pdf(grid), color="#d62728", lw=2, label=f"fitted {est.family}")
    elif est.family == "constant":
        ax.axvline(est.params["value"], color="#d62728", lw=2, label="fitted constant")
    ax.set_xlabel("seconds")
    ax.set_ylabel("density")
    ax.set_title(f"{name}: {est.family}, KS {est.ks:.3f}", fontsize=9)
    ax.legend(fontsize=8)
    if panels == 2:
        ax2 = fig.add_subplot(1, 2, 2)
        t, s = kaplan_meier(est.events, est.censored)
        ax2.step(np.concatenate([[0], t]), np.concatenate([[1], s]), where="post", color="#1f77b4",
                 label=f"Kaplan-Meier ({est.n_censored} censored)")
        grid = np.linspace(0, max(float(t.max()) if len(t) else 1.0, 1.0), 400)
        ax2.plot(grid, 1 - est.cdf(grid), color="#d62728", lw=2, label="fitted survival")
        ax2.set_xlabel("seconds")
        ax2.set_ylabel("still waiting" if "patience" in name else "survival")
        ax2.set_ylim(0, 1.02)
        ax2.legend(fontsize=8)
    fig.tight_layout()
    return fig


def _outcome_figure(fit: FitResult) -> Figure:
    mixes = fit.population.get("outcome", [])
    fig = Figure(figsize=(2.2 + 2.2 * len(OUTCOMES), 3.4))
    ax = fig.add_subplot(1, 1, 1)
    width = 0.8 / max(len(mixes), 1)
    for i, _ in enumerate(mixes):
        vals, los, his = [], [], []
        for k in OUTCOMES:
            name = f"population.outcome[{i}].{k}"
            if name in fit.proportions:
                v = fit.value(name)
                lo, hi = fit.interval(name)
            else:
                v = mixes[i][k]
                lo = hi = v
            vals.append(v)
            los.append(v - lo)
            his.append(hi - v)
        xs = np.arange(len(OUTCOMES)) + i * width
        ax.bar(xs, vals, width=width, yerr=[los, his], capsize=3, label=f"destination_{i}")
    ax.set_xticks(np.arange(len(OUTCOMES)) + width * (len(mixes) - 1) / 2)
    ax.set_xticklabels(OUTCOMES)
    ax.set_ylabel("share of dials")
    ax.set_title("outcome mix per destination index (95 % intervals)", fontsize=9)
    ax.legend(fontsize=8)
    fig.tight_layout()
    return fig


def _hourly_figure(fit: FitResult) -> Figure:
    h = fit.hourly
    fig = Figure(figsize=(6, 3.2))
    ax = fig.add_subplot(1, 1, 1)
    ax.bar(h["hours"], h["rate"], color="#9ecae1")
    ax.set_xlabel("hour of the dial (UTC)")
    ax.set_ylabel("human answers / dials")
    ax.set_title(f"answer rate by hour (chi-square p = {h['p']:.2g})", fontsize=9)
    fig.tight_layout()
    return fig


def write_report(fit: FitResult, folder: str | os.PathLike, source: str = "") -> Path:
    """Write ``folder/report.html`` and ``folder/plots/*.png``; return the page's path."""
    folder = Path(folder)
    (folder / "plots").mkdir(parents=True, exist_ok=True)
    figs: list[tuple[str, str, Figure]] = [("outcome", "Outcome mix", _outcome_figure(fit))]
    for name, est in fit.estimates.items():
        figs.append((name.replace(".", "_"), f"{name}: {est.describe()}", _estimate_figure(name, est)))
    if fit.hourly:
        figs.append(("answer_rate_by_hour", "Answer rate by hour", _hourly_figure(fit)))
    parts = [f"<h1>pacing-sim fit</h1><p>{html.escape(source)}</p>",
             "<ul>" + "".join(f"<li>{html.escape(m)}</li>" for m in fit.messages) + "</ul>",
             "<h2>Parameters</h2><pre>" + html.escape(fit.table()) + "</pre>",
             "<h2>Records</h2><pre>" + html.escape("\n".join(f"{k}: {v}" for k, v in fit.counts.items())) + "</pre>"]
    for stem, title, fig in figs:
        buf = io.BytesIO()
        fig.savefig(buf, format="png", dpi=90)
        png = buf.getvalue()
        (folder / "plots" / f"{stem}.png").write_bytes(png)
        parts.append(f"<h3>{html.escape(title)}</h3><img src=\"data:image/png;base64,{base64.b64encode(png).decode()}\">")
    page = folder / "report.html"
    page.write_text("<!doctype html><meta charset=utf-8><title>pacing-sim fit</title>"
                    "<style>body{font-family:sans-serif;max-width:1100px;margin:auto}pre{background:#f6f6f6;padding:8px}"
                    "</style>" + "\n".join(parts), encoding="utf-8")
    return page


__all__ = ["write_report"]
