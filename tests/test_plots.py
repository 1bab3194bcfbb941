"""Plots: pure functions of the result tables, readable labels, no pyplot state."""

from __future__ import annotations

import io
from pathlib import Path

import numpy as np
import pytest
from matplotlib.figure import Figure
from matplotlib.image import imread

import sim
from sim import plots

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def result():
    scn = sim.load_scenario(ROOT / "tests" / "data" / "golden_scenario.yaml",
                            ['horizon="1h"', "replications=3", "service_levels=[50, 100, 200]"])
    return sim.run(scn, keep_calls=True)


def texts(fig: Figure) -> list[str]:
    out = [t.get_text() for t in fig.findobj(lambda a: hasattr(a, "get_text"))]
    return [t for t in out if t]


def decode_png(fig: Figure) -> np.ndarray:
    data = plots.png_bytes(fig)
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    return imread(io.BytesIO(data), format="png")


def test_tradeoff_has_a_point_per_level_the_cap_line_and_axis_units(result):
    fig = result.plot_tradeoff()
    ax = fig.axes[0]
    assert ax.get_xlabel() == "Agent occupancy (%)"
    assert ax.get_ylabel() == "Abandon rate (% of live answers)"
    words = texts(fig)
    assert {"SL 50", "SL 100", "SL 200"} <= set(words), "each point is labelled with its service level"
    assert any("3 % cap" in w for w in words)
    flat = [line for line in ax.get_lines() if len(set(np.asarray(line.get_ydata(), float))) == 1]
    assert any(np.isclose(float(line.get_ydata()[0]), 3.0) for line in flat), "the 3 % line is drawn at 3"
    (series,) = [line for line in ax.get_lines() if line.get_marker() not in ("None", None, "", "|", "_")
                 and len(line.get_xdata()) == 3]
    occ = result.summary.query("metric == 'occupancy'")["mean"].to_numpy() * 100
    assert np.allclose(series.get_xdata(), occ)
    assert decode_png(fig).shape[1] > 600


def test_tradeoff_error_bars_are_the_confidence_intervals(result):
    fig = plots.tradeoff(result.summary)
    ax = fig.axes[0]
    ab = result.summary.query("metric == 'abandon_rate'").sort_values("service_level")
    spans = []
    for coll in ax.collections:
        for seg in getattr(coll, "get_segments", lambda: [])():
            seg = np.asarray(seg)
            if np.isclose(seg[0, 0], seg[1, 0]):  # vertical bar
                spans.append((round(seg[0, 1], 6), round(seg[1, 1], 6)))
    want = {(round(lo * 100, 6), round(hi * 100, 6)) for lo, hi in zip(ab["ci_low"], ab["ci_high"], strict=True)}
    assert want <= set(spans)


def test_levels_timeseries_and_waits_are_labelled(result):
    lv = result.plot_levels()
    assert [a.get_xlabel() for a in lv.axes] == ["Service level (%)"] * 3
    assert lv.axes[0].get_ylabel() == "Throughput (conversations per hour)"

    ts = result.plot_timeseries()
    assert [a.get_title(loc="left") for a in ts.axes[:4]] == [
        "Live calls", "Available agents", "Callers waiting in the queue", "Abandons (per 15 min)"]
    assert ts.axes[3].get_xlabel() == "Simulated time (hours from start)"
    assert any("SL 200" in t for t in texts(ts))

    w = result.plot_waits()
    assert w.axes[0].get_xlabel() == "Wait from entering the queue to agent answer (s)"
    assert w.axes[1].get_xlabel() == "Service level (%)"
    for fig in (lv, ts, w):
        assert fig._suptitle is not None and fig._suptitle.get_text()
        decode_png(fig)


def test_plot_waits_bars_add_up_to_all_live_answers_in_the_queue(result):
    fig = result.plot_waits()
    bars = fig.axes[1].patches
    heights = np.array([b.get_height() for b in bars]).reshape(len(plots.QUEUE_FATES), 3)
    assert np.allclose(heights.sum(axis=0), 100)


def test_plots_leave_pyplot_alone(result):
    import matplotlib.pyplot as plt

    before = plt.get_fignums()
    for fig in plots.standard_figures(result.summary, result.timeseries, result.calls).values():
        assert isinstance(fig, Figure)
    assert plt.get_fignums() == before, "figures must not be registered with pyplot"


def test_several_scenarios_get_a_line_each_and_a_legend(result):
    other = result.summary.copy()
    other["scenario"] = "more-agents"
    import pandas as pd

    both = pd.concat([result.summary, other], ignore_index=True)
    fig = plots.tradeoff(both)
    legend = fig.axes[0].get_legend()
    assert [t.get_text() for t in legend.get_texts()] == ["cold-list-20-agents", "more-agents"]
    cmp = plots.comparison(both)
    assert len(cmp.axes) == 4 and fig.legends == [] and len(cmp.legends) == 1


def test_empty_tables_give_a_figure_that_says_so(result):
    empty = result.summary.iloc[:0]
    assert "no results" in texts(plots.tradeoff(empty))
    assert any("no time series" in t for t in texts(plots.timeseries(result.timeseries.iloc[:0])))
    assert any("no live answers" in t for t in texts(plots.waits(result.calls.iloc[:0])))


def test_plot_waits_without_calls_says_how_to_get_them():
    scn = sim.load_scenario(ROOT / "tests" / "data" / "golden_scenario.yaml", ['horizon="10m"', "replications=1",
                                                                  "service_levels=[100]"])
    with pytest.raises(ValueError, match="keep_calls=True"):
        sim.run(scn).plot_waits()
