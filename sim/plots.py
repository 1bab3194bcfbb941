"""The figures a pacing analyst looks at, as pure functions of the result tables.

Each function takes DataFrames (as ``ExperimentResult`` gives them or a results folder holds
them) and returns a ``matplotlib.figure.Figure``; nothing touches pyplot's global state, so they
work under any backend (``Agg`` included), in threads, and in notebooks (a Figure displays itself).
"""

from __future__ import annotations

import io
import textwrap
from typing import Optional

import numpy as np
import pandas as pd
from matplotlib import colormaps
from matplotlib.colors import Normalize, to_rgb
from matplotlib.figure import Figure
from matplotlib.ticker import FuncFormatter, MaxNLocator

from sim import registry
from sim.format import duration, slug
from sim.registry import DEFAULT_MAX_ABANDON, DEFAULT_THRESHOLD, Regulatory

SCENARIO_COLORS = colormaps["tab10"].colors
MARKERS = "osD^vP*Xhp"
LEVEL_CMAP = colormaps["viridis"]


def png_bytes(fig: Figure, dpi: int = 110) -> bytes:
    """The figure as PNG bytes (no file, no pyplot)."""
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=dpi, metadata={"Software": None})
    return buf.getvalue()


def _scenarios(df: pd.DataFrame) -> list[str]:
    return list(dict.fromkeys(df["scenario"])) if len(df) else []


def _axis_label(metric: str, threshold: "float | Regulatory" = DEFAULT_THRESHOLD) -> str:
    return registry.get(metric).axis_label(threshold)


def _metric(summary: pd.DataFrame, scenario: str, metric: str) -> pd.DataFrame:
    """One metric of one scenario: service_level, mean, lo, hi (error-bar lengths), n; in display units.

    Intervals are drawn inside what the metric can be (0 to 100 % for a share, 0 or more for the
    rest): with few replications a t-interval reaches past those bounds, which says nothing.
    """
    rows = summary[(summary["scenario"] == scenario) & (summary["metric"] == metric)]
    rows = rows.sort_values("service_level")
    percent = registry.get(metric).percent
    scale = 100.0 if percent else 1.0
    top = 100.0 if percent else np.inf
    mean = rows["mean"].to_numpy(float) * scale
    low = np.clip(rows["ci_low"].to_numpy(float) * scale, 0.0, top)
    high = np.clip(rows["ci_high"].to_numpy(float) * scale, 0.0, top)
    lo = np.nan_to_num(np.maximum(mean - low, 0.0), nan=0.0)
    hi = np.nan_to_num(np.maximum(high - mean, 0.0), nan=0.0)
    return pd.DataFrame(
        {
            "service_level": rows["service_level"].to_numpy(int),
            "mean": mean,
            "lo": lo,
            "hi": hi,
            "n": rows["n"].to_numpy(),
        }
    )


def _n_note(summary: pd.DataFrame) -> str:
    ns = sorted({int(n) for n in summary["n"].dropna() if n > 0}) if len(summary) else []
    if not ns:
        return "no finished runs"
    n = f"{ns[0]}" if len(ns) == 1 else f"{ns[0]}-{ns[-1]}"
    return f"mean and 95 % confidence interval over {n} replications"


def _empty(fig: Figure, ax, message: str) -> Figure:
    ax.text(0.5, 0.5, message, ha="center", va="center", transform=ax.transAxes, color="0.4")
    ax.set_xticks([])
    ax.set_yticks([])
    return fig


def tradeoff(
    summary: pd.DataFrame,
    *,
    abandon: str = "abandon_rate",
    occupancy: str = "occupancy",
    limit: Optional[float] = DEFAULT_MAX_ABANDON,
    threshold: "float | Regulatory" = DEFAULT_THRESHOLD,
    scenarios: Optional[list[str]] = None,
    title: Optional[str] = None,
    passes: Optional[dict[str, dict[int, bool]]] = None,
) -> Figure:
    """Abandon rate against occupancy: a point per service level (labelled), 95 % intervals on both
    axes, a line per scenario, and the regulatory cap ``limit`` as a dashed line (None: no line).
    ``threshold``, the scenario's ``sim.registry.regulatory()`` (or a threshold in seconds on the
    default clock), names the regulators' clock in the labels. ``passes`` (scenario -> level ->
    bool, e.g. from the verdict) marks each level that passes (filled green) or fails (red ring)."""
    fig = Figure(figsize=(8.5, 5.6), layout="constrained")
    ax = fig.add_subplot()
    names = scenarios or _scenarios(summary)
    pretty = registry.get(abandon).title(threshold)
    fig.suptitle(title or f"Service-level trade-off: {pretty.lower()} against occupancy", fontweight="bold")
    labels = "labels are service levels" if len(names) < 2 else "labels: each line's lowest and highest service level"
    ax.set_title(_n_note(summary) + "; " + labels, fontsize=9, color="0.35")
    if not names:
        return _empty(fig, ax, "no results")
    ymax = 0.0
    for i, scn in enumerate(names):
        x, y = _metric(summary, scn, occupancy), _metric(summary, scn, abandon)
        both = x.merge(y, on="service_level", suffixes=("_x", "_y")).dropna(subset=["mean_x", "mean_y"])
        if both.empty:
            continue
        color = SCENARIO_COLORS[i % len(SCENARIO_COLORS)]
        ax.errorbar(
            both["mean_x"],
            both["mean_y"],
            xerr=[both["lo_x"], both["hi_x"]],
            yerr=[both["lo_y"], both["hi_y"]],
            fmt="-" + MARKERS[i % len(MARKERS)],
            color=color,
            ms=6,
            lw=1.3,
            elinewidth=1,
            capsize=3,
            label=scn,
            zorder=3,
        )
        marks = (passes or {}).get(scn) or {}
        if marks:
            ok = both["service_level"].map(lambda v: marks.get(int(v))).to_numpy(object)
            for want, style in ((True, dict(facecolor="#2a9d8f", edgecolor="#2a9d8f")),
                                (False, dict(facecolor="none", edgecolor="tab:red"))):
                sel = ok == want
                if sel.any():
                    ax.scatter(both["mean_x"][sel], both["mean_y"][sel], s=130, lw=1.6, zorder=5,
                               label=("passes" if want else "fails") + (f" ({scn})" if len(names) > 1 else ""),
                               **style)
        # one scenario: every level labelled; several: only the ends of each line, or labels pile up
        ends = {both["service_level"].iloc[0], both["service_level"].iloc[-1]}
        for k, r in enumerate(both.itertuples(index=False)):
            if len(names) > 1 and r.service_level not in ends:
                continue
            # alternate the label side so neighbouring levels do not print over each other
            dx, dy, ha = (7, -12, "left") if (k + i) % 2 else (-7, 6, "right")
            ax.annotate(
                f"SL {r.service_level}",
                (r.mean_x, r.mean_y),
                xytext=(dx, dy),
                textcoords="offset points",
                fontsize=8,
                color=color,
                ha=ha,
                zorder=4,
            )
        ymax = max(ymax, float((both["mean_y"] + both["hi_y"]).max()))
    if limit is not None:
        ax.axhline(limit * 100, color="tab:red", ls="--", lw=1.2, zorder=2)
        ax.annotate(
            registry.cap_label(limit),
            (1, limit * 100),
            xycoords=("axes fraction", "data"),
            xytext=(-4, 4),
            textcoords="offset points",
            ha="right",
            va="bottom",
            fontsize=8,
            color="tab:red",
        )
        ymax = max(ymax, limit * 100 * 1.4)
    ax.set_ylim(0, ymax * 1.08 if ymax > 0 else 1)
    ax.set_xlabel(_axis_label(occupancy, threshold))
    ax.set_ylabel(_axis_label(abandon, threshold))
    ax.grid(alpha=0.3)
    if len(names) > 1 or passes:
        ax.legend(title="scenario" if len(names) > 1 else None, fontsize=8, loc="best")
    return fig


def levels(
    summary: pd.DataFrame,
    *,
    metrics: tuple[str, ...] = ("throughput_per_hour", "occupancy", "abandon_rate_regulatory"),
    scenarios: Optional[list[str]] = None,
    limit: Optional[float] = DEFAULT_MAX_ABANDON,
    threshold: "float | Regulatory" = DEFAULT_THRESHOLD,
    title: Optional[str] = None,
) -> Figure:
    """Each metric against service level (throughput, occupancy and the regulatory abandon rate by
    default), with 95 % intervals as error bars and a band; a line per scenario; the cap ``limit``
    on the regulatory abandon rate (None: no line), the only rate a regulator caps."""
    ncols = len(metrics) if len(metrics) <= 3 else (2 if len(metrics) == 4 else 3)
    nrows = -(-len(metrics) // ncols)
    fig = Figure(figsize=(4.6 * ncols, 4.0 * nrows), layout="constrained")
    axes = fig.subplots(nrows, ncols, squeeze=False).ravel()
    names = scenarios or _scenarios(summary)
    fig.suptitle(title or "Headline metrics against service level", fontweight="bold")
    for ax, metric in zip(axes, metrics):
        m = registry.get(metric)
        name = m.title(threshold)
        ax.set_title(name, fontsize=10)
        for i, scn in enumerate(names):
            d = _metric(summary, scn, metric).dropna(subset=["mean"])
            if d.empty:
                continue
            color = SCENARIO_COLORS[i % len(SCENARIO_COLORS)]
            ax.fill_between(d["service_level"], d["mean"] - d["lo"], d["mean"] + d["hi"], color=color, alpha=0.15, lw=0)
            ax.errorbar(
                d["service_level"],
                d["mean"],
                yerr=[d["lo"], d["hi"]],
                fmt="-" + MARKERS[i % len(MARKERS)],
                color=color,
                ms=4.5,
                lw=1.3,
                capsize=2.5,
                label=scn,
            )
        if limit is not None and metric == "abandon_rate_regulatory":  # the cap is on the regulators' rate only
            ax.axhline(limit * 100, color="tab:red", ls="--", lw=1.1)
            ax.annotate(
                f"{limit * 100:g} % cap",
                (0, limit * 100),
                xycoords=("axes fraction", "data"),
                xytext=(4, 3),
                textcoords="offset points",
                fontsize=8,
                color="tab:red",
            )
        if m.percent:
            ax.set_ylim(bottom=0)
        ax.set_xlabel("Service level (%)")
        ax.set_ylabel(textwrap.fill(m.axis_label(threshold), 42))  # a long label in two lines: the panel is narrow
        ax.grid(alpha=0.3)
    for ax in axes[len(metrics) :]:
        ax.set_visible(False)
    if len(names) > 1:
        handles, labels_ = axes[0].get_legend_handles_labels()
        fig.legend(
            handles,
            labels_,
            title=f"scenario ({_n_note(summary)})",
            loc="outside lower center",
            ncols=min(len(names), 4),
            fontsize=8,
            title_fontsize=8,
        )
    else:
        fig.supxlabel(_n_note(summary), fontsize=8, color="0.35", x=0.99, ha="right")
    return fig


def comparison(
    summary: pd.DataFrame,
    *,
    scenarios: Optional[list[str]] = None,
    limit: Optional[float] = DEFAULT_MAX_ABANDON,
    threshold: "float | Regulatory" = DEFAULT_THRESHOLD,
) -> Figure:
    """Several scenarios side by side: occupancy, throughput and both abandon rates against service level."""
    return levels(
        summary,
        metrics=("occupancy", "throughput_per_hour", "abandon_rate", "abandon_rate_regulatory"),
        scenarios=scenarios,
        limit=limit,
        threshold=threshold,
        title="Scenarios compared",
    )


TS_PANELS = (
    ("live_calls", "Live calls", "calls"),
    ("available_agents", "Available agents", "agents"),
    ("queue_waiting", "Callers waiting in the queue", "callers"),
    ("abandons", "Abandons", "per {interval}"),
)


def timeseries(
    ts: pd.DataFrame,
    *,
    scenario: Optional[str] = None,
    replication: int = 0,
    service_levels: Optional[list[int]] = None,
) -> Figure:
    """One run's course over the day, per interval: live calls, available agents, callers waiting
    (time-weighted means over each interval) and abandons in it; a line per service level
    (replication ``replication`` of each, so the levels share their random numbers)."""
    fig = Figure(figsize=(9.5, 8.2), layout="constrained")
    axes = fig.subplots(len(TS_PANELS), 1, sharex=True)
    names = _scenarios(ts)
    scenario = scenario if scenario is not None else (names[0] if names else None)
    d = ts[(ts["scenario"] == scenario) & (ts["replication"] == replication)] if scenario is not None else ts.iloc[:0]
    levels_ = sorted(set(d["service_level"])) if service_levels is None else list(service_levels)
    d = d[d["service_level"].isin(levels_)]
    fig.suptitle(f"Time series of one run (replication {replication}) at each service level", fontweight="bold")
    if d.empty:
        return _empty(fig, axes[0], "no time series for this scenario and replication")
    t = np.sort(d["t_start"].unique())
    step = float(np.median(np.diff(t))) if len(t) > 1 else 900.0
    interval = duration(step)
    norm = Normalize(min(levels_), max(levels_) if max(levels_) > min(levels_) else min(levels_) + 1)
    for sl in levels_:
        run = d[d["service_level"] == sl].sort_values("t_start")
        hours = np.append(run["t_start"].to_numpy(float), run["t_start"].iloc[-1] + step) / 3600.0
        color = LEVEL_CMAP(norm(sl) * 0.9) if len(levels_) > 1 else SCENARIO_COLORS[0]
        for ax, (col, _, _) in zip(axes, TS_PANELS):
            y = run[col].to_numpy(float)
            ax.stairs(y, hours, color=color, lw=1.4, label=f"SL {sl}", baseline=None)
    for ax, (col, name, unit) in zip(axes, TS_PANELS):
        unit = unit.format(interval=interval)
        ax.set_title(f"{name} ({unit})" if col == "abandons" else name, fontsize=10, loc="left")
        ax.set_ylabel(unit)
        ax.set_ylim(bottom=0)
        ax.yaxis.set_major_locator(MaxNLocator(nbins=5, integer=True))
        ax.grid(alpha=0.3)
    axes[-1].set_xlabel("Simulated time (hours from start)")
    sub = f"scenario {scenario}; levels are time-weighted means over each {interval} interval, abandons counted in it"
    axes[0].annotate(
        sub,
        (1, 1),
        xycoords="axes fraction",
        xytext=(0, 4),
        textcoords="offset points",
        ha="right",
        va="bottom",
        fontsize=8,
        color="0.35",
    )
    if len(levels_) > 1:
        fig.legend(*axes[0].get_legend_handles_labels(), title="service level", loc="outside right center", fontsize=8)
    return fig


CAUSE_COLORS = {
    "actions_before_queue": "#6d597a",
    "queue_no_agent": "#e76f51",
    "agent_ringing": "#f4a261",
    "stranded": "#9b2226",
    "amd_hangup": "#264653",
    "wait_timeout": "#8d99ae",
    "wait_flow_end": "#2a9d8f",
}


def causes(summary: pd.DataFrame, *, threshold: "float | Regulatory" = DEFAULT_THRESHOLD, scenarios: Optional[list[str]] = None) -> Figure:
    """Why callers were abandoned, per service level: stacked bars of the abandoned live answers by
    cause, as a share of live answers (so a bar's height is the abandon rate, pooled over the
    replications), on the regulators' clock (left) and plain (right); a row per scenario."""
    names = scenarios or _scenarios(summary)
    fig = Figure(figsize=(12, 3.6 + 2.4 * max(len(names) - 1, 0)), layout="constrained")
    fig.suptitle("Why callers are abandoned: each bar is the abandon rate, split by cause", fontweight="bold")
    axes = fig.subplots(max(len(names), 1), 2, squeeze=False)
    if not names:
        return _empty(fig, axes[0][0], "no results")
    for i, scn in enumerate(names):
        rows = summary[summary["scenario"] == scn]
        mean = rows.pivot_table(index="service_level", columns="metric", values="mean", aggfunc="first")
        levels_ = [int(v) for v in mean.index]
        x = np.arange(len(levels_))
        answers = mean["human_answers"].to_numpy(float) if "human_answers" in mean else np.full(len(x), np.nan)
        reg_title = registry.get("abandon_rate_regulatory").title(threshold)
        for j, (count, label) in enumerate((("abandoned_regulatory", reg_title),
                                            ("abandoned", "Plain abandon rate (never reached an agent)"))):
            ax = axes[i][j]
            bottom = np.zeros(len(x))
            for c in registry.CAUSES:
                col = f"{count}_{c}"
                vals = mean[col].to_numpy(float) if col in mean else np.zeros(len(x))
                share = np.nan_to_num(np.divide(vals, answers, out=np.zeros(len(x)), where=answers > 0)) * 100
                ax.bar(x, share, bottom=bottom, color=CAUSE_COLORS[c], width=0.7,
                       label=f"{c}: {registry.CAUSE_LABELS[c]}" if i == 0 and j == 0 else None)
                bottom += share
            ax.set_xticks(x, [str(v) for v in levels_])
            ax.set_xlabel("Service level (%)")
            ax.set_ylabel("% of live answers")
            ax.set_title(label + (f"; scenario {scn}" if len(names) > 1 else ""), fontsize=9, color="0.35")
            ax.set_ylim(0, max(float(bottom.max()) * 1.12, 1.0))
            ax.grid(axis="y", alpha=0.3)
    fig.legend(title="cause", loc="outside right center", fontsize=8)
    return fig


QUEUE_FATES = (
    # key, legend, colour; keys other than within/late are queue_exit values of the calls table
    ("within", "with an agent within {within}", "#2a9d8f"),
    ("late", "with an agent later", "#e9c46a"),
    ("hangup_agent_ringing", "hung up while an agent's phone rang", "#f4a261"),
    ("hangup_waiting", "hung up waiting for an agent", "#e76f51"),
    ("hangup_stranded", "hung up stranded (agent missed the ring)", "#9b2226"),
    ("other", "wait timeout, cut, or still waiting", "#8d99ae"),
)


def waits(
    calls: pd.DataFrame,
    *,
    scenario: Optional[str] = None,
    threshold: float = DEFAULT_THRESHOLD,
    max_wait: Optional[float] = None,
    greeting: Optional[float] = None,
) -> Figure:
    """Queue waits of the people who answered, per service level (all replications pooled).

    Left: the share of them with an agent within x seconds of entering the queue (those who
    never reached one keep the curve below 100 %). Right: how each one left the queue.
    ``greeting`` (the regulators' answer clock): the times run from the answer instead, and the
    rule's line sits at greeting + threshold, so the campaign's actions show.
    """
    fig = Figure(figsize=(12, 5.0), layout="constrained")
    ax, bx = fig.subplots(1, 2, width_ratios=[1.35, 1])
    names = _scenarios(calls)
    scenario = scenario if scenario is not None else (names[0] if names else None)
    fig.suptitle("Queue waits of live answers: time from entering the queue to an agent answering", fontweight="bold")
    d = (
        calls[(calls["scenario"] == scenario) & (calls["outcome"] == "human")]
        if scenario is not None
        else calls.iloc[:0]
    )
    d = d[d["t_queue"].notna()]
    if d.empty:
        _empty(fig, bx, "")
        return _empty(fig, ax, "no live answers reached the queue")
    from_answer = greeting is not None and "t_answer" in d
    if from_answer:  # the regulators' answer clock: the times run from the answer
        fig.suptitle("Waits of live answers: time from the answer to an agent answering", fontweight="bold")
    start = d["t_answer"] if from_answer else d["t_queue"]
    wait = (d["t_agent_answer"] - start).to_numpy(float)
    deadline = threshold + (greeting if from_answer else 0.0)
    sl = d["service_level"].to_numpy(int)
    levels_ = sorted(set(sl))
    norm = Normalize(min(levels_), max(levels_) if max(levels_) > min(levels_) else min(levels_) + 1)
    connected = ~np.isnan(wait)
    top = max_wait if max_wait is not None else float(np.nanquantile(wait, 0.995)) * 1.05 if connected.any() else 10.0
    top = max(top, deadline * 2)
    fates = np.full(len(d), "other", dtype=object)
    exits = d["queue_exit"].to_numpy(object) if "queue_exit" in d else np.full(len(d), "", dtype=object)
    fates[connected & (wait <= deadline)] = "within"
    fates[connected & (wait > deadline)] = "late"
    for key in ("hangup_agent_ringing", "hangup_waiting", "hangup_stranded"):
        fates[~connected & (exits == key)] = key
    shares = {}
    for level in levels_:
        mine = sl == level
        w = np.sort(wait[mine & connected])
        color = LEVEL_CMAP(norm(level) * 0.9) if len(levels_) > 1 else SCENARIO_COLORS[0]
        # the ECDF on a fine grid: the same picture as a step per call, at a fixed cost
        grid = np.linspace(0.0, top, 600)
        frac = np.searchsorted(w, grid, side="right") / max(int(mine.sum()), 1) * 100
        ax.plot(grid, frac, drawstyle="steps-post", color=color, lw=1.4, label=f"SL {level}")
        shares[level] = [float((fates[mine] == k).mean() * 100) for k, _, _ in QUEUE_FATES]
    ax.axvline(deadline, color="tab:red", ls="--", lw=1.1)
    rule = (f"{deadline:g} s from the answer (greeting {greeting:g} s + threshold {threshold:g} s)" if from_answer
            else f"{deadline:g} s from entering the queue")
    within = f"{deadline:g} s of " + ("the answer" if from_answer else "entering the queue")
    ax.annotate(rule, (deadline, 50), xytext=(3, 0), textcoords="offset points", fontsize=8, color="tab:red",
                rotation=90, ha="left", va="center")
    ax.set_xlim(0, top)
    ax.set_ylim(0, 100)
    ax.set_xlabel("From the answer to agent answer (s)" if from_answer else "Wait from entering the queue to agent answer (s)")
    ax.set_ylabel("Live answers with an agent by then (%)")
    ax.set_title(f"Cumulative distribution; scenario {scenario}", fontsize=9, color="0.35")
    ax.grid(alpha=0.3)
    ax.legend(title="service level", fontsize=8, loc="lower right", ncols=2 if len(levels_) > 6 else 1)

    x = np.arange(len(levels_))
    bottom = np.zeros(len(levels_))
    for j, (_, label, color) in enumerate(QUEUE_FATES):
        vals = np.array([shares[level][j] for level in levels_])
        bx.bar(x, vals, bottom=bottom, color=color, label=label.format(within=within), width=0.7)
        bottom += vals
    bx.set_xticks(x, [str(v) for v in levels_])
    bx.set_xlabel("Service level (%)")
    bx.set_ylabel("Live answers that entered the queue (%)")
    bx.set_ylim(0, 100)
    bx.yaxis.set_major_formatter(FuncFormatter(lambda v, _: f"{v:.0f}"))
    bx.set_title("How they left the queue", fontsize=9, color="0.35")
    bx.legend(fontsize=8, loc="upper center", bbox_to_anchor=(0.5, -0.14), ncols=2, frameon=False)
    return fig


def standard_figures(
    summary: pd.DataFrame,
    ts: pd.DataFrame,
    calls: Optional[pd.DataFrame],
    rules: Optional[dict[str, Regulatory]] = None,
    verdicts: Optional[list[dict]] = None,
) -> dict[str, Figure]:
    """The figures of a results folder, by file name (without ``.png``).

    ``rules``: each scenario's threshold and cap by scenario name (``sim.registry.regulatory``);
    the defaults for a scenario not in it. Figures drawing several scenarios use the first's.
    """
    names = _scenarios(summary) or _scenarios(ts)
    rules = rules or {}
    default = registry.regulatory()
    first = rules.get(names[0], default) if names else default
    lim, thr = first.max_abandon, first  # thr: the first scenario's clock, named in the labels
    passes = None
    if verdicts:
        passes = {v.get("scenario"): {int(e["service_level"]): bool(e["passes"]) for e in v.get("levels", [])}
                  for v in verdicts}
        # the verdict's limit, as the user set it (--max-abandon), is the line the levels are judged by
        if verdicts[0].get("metric") == "abandon_rate_regulatory" and verdicts[0].get("limit") is not None:
            lim = float(verdicts[0]["limit"])
    plain_marks = passes if verdicts and verdicts[0].get("metric") == "abandon_rate" else None
    reg_marks = passes if verdicts and verdicts[0].get("metric") != "abandon_rate" else None
    figs: dict[str, Figure] = {
        # the plain rate is no regulator's measure: no cap line on it
        "tradeoff": tradeoff(summary, limit=None, threshold=thr, passes=plain_marks,
                             title="Plain abandon rate (callers who never reached an agent) against occupancy"),
        "tradeoff_regulatory": tradeoff(summary, abandon="abandon_rate_regulatory", limit=lim, threshold=thr,
                                        passes=reg_marks),
        "levels": levels(summary, limit=lim, threshold=thr),
        "causes": causes(summary, threshold=thr),
    }
    if len(names) > 1:
        figs["comparison"] = comparison(summary, limit=lim, threshold=thr)
    for scn in names:
        suffix = "" if len(names) == 1 else "-" + slug(scn)
        figs["timeseries" + suffix] = timeseries(ts, scenario=scn)
        if calls is not None:
            r = rules.get(scn, default)
            figs["waits" + suffix] = waits(calls, scenario=scn, threshold=r.threshold,
                                           greeting=r.greeting if r.clock == "answer" else None)
    return figs



POLICY_ORDER = ("voipbin", "documented", "progressive", "ratio", "adaptive", "predictive")


def frontier(table: pd.DataFrame, *, cap: float, upper_bound: Optional[float] = None,
             metric: str = "abandon_rate_regulatory", cap_label: Optional[str] = None,
             rules: Optional[Regulatory] = None) -> Figure:
    """The pacing frontier (``frontier.csv``): per policy, throughput (left) and occupancy (right)
    against the constraint metric, each knob value a point with 95 % intervals on both axes, the
    cap, each policy's chosen point (a ring), and the throughput no dialer can beat. ``rules``: the
    scenario's regulatory clock (``sim.registry.regulatory``), named in the axis label."""
    fig = Figure(figsize=(12, 5.2), layout="constrained")
    axes = fig.subplots(1, 2)
    if not len(table):
        return _empty(fig, axes[0], "no runs")
    policies = [p for p in POLICY_ORDER if p in set(table["policy"])] + sorted(
        set(table["policy"]) - set(POLICY_ORDER))
    # the region where the decision is: up to four times the cap, or the chosen points and a margin
    xs = table[table["metric"] == metric]
    chosen_x = xs[xs["chosen"].astype(bool)]["mean"].to_numpy(float) * 100
    xmax = max(cap * 100 * 4, *(chosen_x * 1.5 if len(chosen_x) else [0.0]), 1.0)
    for ax, ymetric in zip(axes, ("throughput_per_hour", "occupancy")):
        yscale = 100.0 if registry.get(ymetric).percent else 1.0
        for i, pol in enumerate(policies):
            rows = table[table["policy"] == pol]
            x = rows[rows["metric"] == metric].set_index("knob")
            y = rows[rows["metric"] == ymetric].set_index("knob")
            knobs = [k for k in x.index if k in y.index] if pol != "progressive" else list(x.index)
            if not knobs:
                continue
            x, y = x.loc[knobs], y.loc[knobs]
            xm = x["mean"].to_numpy(float) * 100
            xlo = np.clip(x["ci_low"].to_numpy(float) * 100, 0, 100)
            xhi = np.clip(x["ci_high"].to_numpy(float) * 100, 0, 100)
            ym = y["mean"].to_numpy(float) * yscale
            ylo = np.clip(y["ci_low"].to_numpy(float) * yscale, 0, np.inf)
            yhi = y["ci_high"].to_numpy(float) * yscale
            order = np.arange(len(xm))  # in knob order: the curve a sweep of the knob traces
            slot = POLICY_ORDER.index(pol) if pol in POLICY_ORDER else i
            color = SCENARIO_COLORS[slot % len(SCENARIO_COLORS)]
            ax.errorbar(xm[order], ym[order],
                        xerr=np.nan_to_num([np.maximum(xm - xlo, 0)[order], np.maximum(xhi - xm, 0)[order]]),
                        yerr=np.nan_to_num([np.maximum(ym - ylo, 0)[order], np.maximum(yhi - ym, 0)[order]]),
                        marker=MARKERS[slot % len(MARKERS)], ms=4, lw=1.4, capsize=2, color=color, label=pol,
                        elinewidth=0.7, ecolor=(*to_rgb(color), 0.45))  # the curves stand out
            chosen = x["chosen"].to_numpy(bool)
            if chosen.any():
                ax.plot(xm[chosen], ym[chosen], "o", ms=13, mfc="none", mec=color, mew=2)
        ax.axvline(cap * 100, color="crimson", ls="--", lw=1.2, label=cap_label or registry.cap_label(cap))
        if ymetric == "throughput_per_hour" and upper_bound:
            ax.axhline(upper_bound, color="0.3", ls=":", lw=1.2, label="every agent talking all the time")
        ax.set_xlabel(_axis_label(metric, rules))
        ax.set_ylabel(_axis_label(ymetric))
        ax.set_xlim(-xmax * 0.02, xmax)  # points at 0 % (no abandons) off the axis line, where they show
        ax.set_ylim(bottom=0)
        ax.grid(alpha=0.3)
    axes[0].legend(fontsize=8, loc="lower right")
    axes[0].set_title("Throughput against abandons: up and to the left is better", fontsize=10)
    axes[1].set_title("Agent occupancy against abandons (ringed: best within the cap)", fontsize=10)
    return fig
