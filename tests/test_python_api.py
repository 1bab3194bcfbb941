"""The library in Python and Jupyter: durations and overrides as Python gives them, one clear
exception when runs fail, Python words in messages, a rich display."""

from __future__ import annotations

from pathlib import Path

import pytest

import sim
from sim import experiment
from sim.engine.simulation import Simulation
from sim.scenario import ScenarioError

ROOT = Path(__file__).resolve().parent.parent
DEFAULT = ROOT / "scenarios" / "default.yaml"


@pytest.fixture(scope="module")
def scn():
    return sim.load_scenario(DEFAULT)


def test_duration_strings_and_nested_overrides(scn):
    """sim.run(scn, horizon="10m", overrides={"agents": {0: {"count": 30}}}) runs 30 agents for
    10 minutes (it used to fail every run and return an empty summary)."""
    result = sim.run(scn, horizon="10m", overrides={"agents": {0: {"count": 30}}}, service_levels=[100], replications=2)
    assert len(result.summary) and not result.failures
    assert result.scenarios[0].agents[0].count == 30
    dotted = sim.run(scn, horizon=600, overrides={"agents.0.count": 30}, service_levels=[100], replications=2)
    strings = sim.run(scn, horizon="600s", overrides=["agents.0.count=30"], service_levels=[100], replications=2)
    assert result.replications.equals(dotted.replications) and result.replications.equals(strings.replications)
    assert scn.agents[0].count == 20, "the scenario passed in is not changed"


def test_bad_overrides_and_durations_are_clear(scn):
    with pytest.raises(ScenarioError, match=r"did you mean 'count'.*set in overrides: agents\.0\.cuont=30"):
        sim.run(scn, overrides={"agents": {0: {"cuont": 30}}})
    with pytest.raises(ValueError, match="duration"):
        sim.run(scn, horizon="ten minutes")


class Failing(Simulation):
    def run(self):
        raise RuntimeError("boom in the engine")


def test_failed_runs_raise_one_exception_with_the_runs_attached(scn, monkeypatch):
    monkeypatch.setattr(experiment, "Simulation", Failing)
    with pytest.raises(experiment.RunsFailed) as info:
        sim.run(scn, horizon="5m", service_levels=[100], replications=2)
    exc = info.value
    assert "2 of 2 runs failed" in str(exc) and "boom in the engine" in str(exc)
    assert len(exc.failures) == 2 and "RuntimeError" in exc.failures[0].error
    assert exc.result.failures == exc.failures
    kept = sim.run(scn, horizon="5m", service_levels=[100], replications=2, raise_on_failure=False)
    assert len(kept.failures) == 2


def test_an_existing_folder_is_refused_in_python_words(scn, tmp_path):
    out = tmp_path / "res"
    out.mkdir()
    with pytest.raises(Exception, match=r"pass force=True") as info:
        sim.run(scn, horizon="5m", service_levels=[100], replications=1, out=out)
    assert "--force" not in str(info.value)


def test_result_table_and_rich_display(scn):
    result = sim.run(scn, horizon="20m", service_levels=[50, 100], replications=2)
    table = result.table()
    assert list(table.index) == [50, 100]
    assert {"occupancy", "abandon_rate", "throughput_per_hour"} <= set(table.columns)
    occ = result.summary.query("metric == 'occupancy' and service_level == 100")["mean"].iloc[0]
    assert table.loc[100, "occupancy"] == occ
    html = result._repr_html_()
    assert html.count("<tr>") == 3 and "occupancy %" in html and "±" in html
    assert "reg. abandon %: agent within 3 s of the answer (regulatory.greeting 1 s + regulatory.threshold 2 s)" in html


def test_progress_is_tqdm_auto_where_someone_watches(monkeypatch):
    """In a Jupyter kernel (or a terminal) a tqdm.auto bar; in a pipe, nothing."""
    import sys

    monkeypatch.setitem(sys.modules, "ipykernel", object())
    tick, close = experiment.progress_bar(5)
    assert tick is not None
    close()
    monkeypatch.delitem(sys.modules, "ipykernel")
    if not sys.stderr.isatty():
        assert experiment.progress_bar(5)[0] is None


def test_baseline_and_tune_runs_show_progress_where_someone_watches(scn, monkeypatch):
    """run_tasks (under baseline, check and tune) ticks a bar per run when asked."""
    ticks = []

    def fake_bar(total, initial=0, label=""):
        ticks.append(("open", total, label))
        return (lambda o: ticks.append("tick")), (lambda: ticks.append("close"))

    monkeypatch.setattr(experiment, "progress_bar", fake_bar)
    tasks = [experiment.Task(0, 100, r) for r in range(3)]
    short = scn.model_copy(update={"horizon": 300.0})
    experiment.run_tasks(short, tasks, progress=True, label="baseline")
    assert ticks[0] == ("open", 3, "baseline") and ticks.count("tick") == 3 and ticks[-1] == "close"


def test_load_scenario_takes_overrides_as_python_gives_them():
    nested = sim.load_scenario(DEFAULT, {"agents": {0: {"count": 30}}, "horizon": "2h"})
    dotted = sim.load_scenario(DEFAULT, {"agents.0.count": 30, "horizon": "2h"})
    strings = sim.load_scenario(DEFAULT, ["agents.0.count=30", "horizon=2h"])
    assert nested.agents[0].count == dotted.agents[0].count == strings.agents[0].count == 30
    assert nested.horizon == dotted.horizon == strings.horizon == 7200


def test_the_run_table_and_the_rich_display_cut_a_rate_s_interval_at_0_and_1():
    """Two 20-minute replications of the golden scenario at SL 100: some rates' t-intervals reach
    below 0 % or above 100 % (the summary keeps them raw). The run table and the notebook's
    display show every rate within [0, 100] (such a cell as mean [low, high]) and say so."""
    import re

    from sim import registry
    from sim.cli.run import result_table

    result = sim.run(sim.load_scenario(ROOT / "tests" / "data" / "golden_scenario.yaml"), horizon="20m",
                     service_levels=[100], replications=2)
    s = result.summary.set_index("metric")
    rates = [m for m in registry.TABLE if m.percent]
    beyond = [m for m in rates if s.loc[m.name, "ci_low"] < 0 or s.loc[m.name, "ci_high"] > 1]
    assert beyond, "the test needs a rate whose raw interval leaves [0, 1]"
    text = result_table(result)
    row = next(line for line in text.splitlines() if line.lstrip().startswith("100 "))
    assert not re.search(r"-\d", row) and "[0.00, " in row, row
    assert "a rate's 95 % interval cut at 0 % or 100 % (the JSON and CSV keep its raw ends)" in text
    html = result._repr_html_()
    cells = re.findall(r"<td>([^<]*)</td>", html)
    assert len(cells) == len(registry.TABLE) and not any(re.search(r"-\d", c) for c in cells), cells
    for m in beyond:
        lo, hi = max(s.loc[m.name, "ci_low"], 0.0), min(s.loc[m.name, "ci_high"], 1.0)
        shown = f"[{lo * 100:.{m.digits}f}, {hi * 100:.{m.digits}f}]"
        assert shown in cells[registry.TABLE.index(m)] and shown in row, (m.name, shown, row)
