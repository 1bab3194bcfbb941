"""Executors: the same sweep gives the same tables, byte for byte, whatever runs it; failures are recorded."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest

import sim
from sim import experiment, results
from sim.cli import main
from sim.engine.simulation import Simulation

ROOT = Path(__file__).resolve().parents[1]
DEFAULT = ROOT / "tests" / "data" / "golden_scenario.yaml"
TABLES = ("summary.csv", "replications.csv", "timeseries.csv", "calls.parquet")


def sweep_scenario():
    return sim.load_scenario(DEFAULT, ['horizon="30m"', "replications=3", "service_levels=[50, 100, 200]"])


@pytest.fixture
def no_plots(monkeypatch):
    """Tables only: drawing the plots is what costs time, and these tests are about the tables."""
    monkeypatch.setattr(results, "render", lambda folder: [])


def tables(folder: Path) -> dict[str, bytes]:
    return {name: (folder / name).read_bytes() for name in TABLES}


@pytest.mark.slow
def test_one_worker_two_workers_and_dask_give_identical_tables(tmp_path, no_plots):
    scn = sweep_scenario()
    sim.run(scn, out=tmp_path / "serial", workers=1)
    sim.run(scn, out=tmp_path / "process", workers=2)
    sim.run(scn, out=tmp_path / "dask", workers=2, executor="dask")
    serial = tables(tmp_path / "serial")
    for name in ("process", "dask"):
        other = tables(tmp_path / name)
        for table in TABLES:
            assert other[table] == serial[table], f"{table} from the {name} executor differs from the serial one"
    prov = json.loads((tmp_path / "dask" / "provenance.json").read_text())
    assert prov["executor"] == "dask" and prov["workers"] == 2


def test_dask_on_an_existing_scheduler(tmp_path):
    from dask.distributed import LocalCluster

    scn = sim.load_scenario(DEFAULT, ['horizon="20m"', "replications=2", "service_levels=[100]"])
    with LocalCluster(n_workers=1, processes=False, dashboard_address=None, silence_logs=40) as cluster:
        remote = sim.run(scn, executor="dask", scheduler=cluster.scheduler_address)
    local = sim.run(scn)
    pd.testing.assert_frame_equal(remote.replications, local.replications)


def test_results_come_back_in_run_order_not_completion_order():
    scn = sweep_scenario()
    tasks = experiment.plan([scn])
    order: list = []
    outs = experiment.execute([scn], tasks, workers=2, on_result=lambda o: order.append(o.task))
    assert [o.task for o in outs] == tasks
    assert sorted(order, key=tasks.index) == tasks


class Failing(Simulation):
    """Replication 1 at service level 100 raises; every other run is normal."""

    def run(self):
        if self.service_level == 100 and self.replication == 1:
            raise RuntimeError("boom in the engine")
        return super().run()


@pytest.mark.slow
@pytest.mark.parametrize("workers", [1, 2])
def test_a_failing_run_is_recorded_and_the_sweep_goes_on(monkeypatch, tmp_path, capsys, workers):
    monkeypatch.setattr(experiment, "Simulation", Failing)  # forked workers inherit it
    out = tmp_path / "out"
    code = main(["run", str(DEFAULT), "--horizon", "20m", "--replications", "3", "--service-levels", "50,100",
                 "--workers", str(workers), "--out", str(out)])
    err = capsys.readouterr().err
    assert code == 1
    assert "service level 100, replication 1: RuntimeError: boom in the engine" in err
    assert "1 of 6 runs failed" in err

    reps = pd.read_csv(out / "replications.csv", keep_default_na=False)
    failed = reps[reps["error"] != ""]
    assert failed[["service_level", "replication"]].values.tolist() == [[100, 1]]
    assert failed["error"].iloc[0] == "RuntimeError: boom in the engine"
    summary = pd.read_csv(out / "summary.csv")
    n = summary[summary["metric"] == "occupancy"].set_index("service_level")["n"]
    assert n.to_dict() == {50: 3, 100: 2}, "the summary rests on the runs that finished"
    prov = json.loads((out / "provenance.json").read_text())
    assert [(f["service_level"], f["replication"]) for f in prov["runs"]["failed"]] == [(100, 1)]
    assert "boom in the engine" in prov["runs"]["failed"][0]["error"]
    assert "1 of 6 runs failed" in (out / "report.html").read_text()
    # the finished runs stay on disk: a retry with --force runs only the failed one
    monkeypatch.setattr(experiment, "Simulation", Simulation)
    monkeypatch.setattr(results, "render", lambda folder: [])
    ran: list = []
    monkeypatch.setattr(experiment, "run_task", _counting(experiment.run_task, ran))
    assert main(["run", str(DEFAULT), "--horizon", "20m", "--replications", "3", "--service-levels", "50,100",
                 "--out", str(out), "--force"]) == 0
    assert [(t.service_level, t.replication) for t in ran] == [(100, 1)]


def _counting(fn, seen: list):
    def wrapper(scenario, task, *args, **kwargs):
        seen.append(task)
        return fn(scenario, task, *args, **kwargs)

    return wrapper


def test_scheduler_without_dask_executor_is_an_input_error(capsys):
    assert main(["run", str(DEFAULT), "--executor", "process", "--scheduler", "tcp://127.0.0.1:1"]) == 2
    assert "--scheduler" in capsys.readouterr().err


@pytest.mark.slow
def test_several_scenarios_in_one_sweep_label_every_table(tmp_path, capsys):
    folder = tmp_path / "scenarios"
    folder.mkdir()
    text = DEFAULT.read_text()
    (folder / "a.yaml").write_text(text)
    (folder / "b.yaml").write_text(text.replace("name: cold-list-20-agents", "name: thirty-agents")
                                   .replace("count: 20", "count: 30"))
    out = tmp_path / "out"
    assert main(["run", str(folder), "--horizon", "20m", "--replications", "2", "--service-levels", "100,200",
                 "--out", str(out), "--format", "json"]) == 0
    doc = json.loads(capsys.readouterr().out)
    # one JSON shape for one scenario or many: the first scenario's keys at the top, each in "scenarios"
    assert set(doc) == {"scenario", "seed", "replications", "verdict", "results", "scenarios"}
    assert [d["verdict"]["scenario"] for d in doc["scenarios"]] == ["cold-list-20-agents", "thirty-agents"]
    assert [d["scenario"] for d in doc["scenarios"]] == ["cold-list-20-agents", "thirty-agents"]
    assert {k: v for k, v in doc.items() if k != "scenarios"} == doc["scenarios"][0]
    for name in ("summary.csv", "replications.csv", "timeseries.csv"):
        df = pd.read_csv(out / name)
        assert list(dict.fromkeys(df["scenario"])) == ["cold-list-20-agents", "thirty-agents"], name
    calls = pd.read_parquet(out / "calls.parquet", columns=["scenario"])
    assert set(calls["scenario"]) == {"cold-list-20-agents", "thirty-agents"}
    assert (out / "plots" / "comparison.png").is_file()
    assert (out / "plots" / "timeseries-thirty-agents.png").is_file()
    assert sim.load_scenario(out / "scenarios" / "thirty-agents.resolved.yaml").agents[0].count == 30
    assert sim.load_scenario(out / "scenario.resolved.yaml").name == "cold-list-20-agents"


class Dying(Simulation):
    """The worker process running replication 4 dies outright (as if killed or out of memory)."""

    def run(self):
        if self.replication == 4:
            import os

            os._exit(9)
        return super().run()


@pytest.mark.slow
def test_a_killed_worker_stops_the_sweep_and_keeps_finished_runs(monkeypatch, tmp_path, capsys, no_plots):
    monkeypatch.setattr(experiment, "Simulation", Dying)
    out = tmp_path / "out"
    args = ["run", str(DEFAULT), "--horizon", "20m", "--replications", "6", "--service-levels", "100",
            "--workers", "2", "--out", str(out)]
    assert main(args) == 1
    err = capsys.readouterr().err
    assert "worker process died" in err and "run the same command again to resume" in err
    assert not out.exists()
    kept = len(list((out.parent / "out.partial" / "runs").glob("*.npz")))
    assert kept >= 1

    monkeypatch.setattr(experiment, "Simulation", Simulation)
    assert main(args) == 0
    prov = json.loads((out / "provenance.json").read_text())
    assert prov["runs"]["reused_from_partial"] == kept and prov["runs"]["run_now"] == 6 - kept


# --------------------------------------------------------------------------- Dask as an extra


def test_missing_dask_is_one_line_naming_the_extra(monkeypatch, tmp_path, capsys):
    """Dask is the optional extra pacing-sim[dask]: without it, --executor dask says how to get
    it (exit 2, one line) and writes nothing."""
    monkeypatch.setitem(__import__("sys").modules, "dask.distributed", None)  # import fails
    with pytest.raises(experiment.ExecutorUnavailable, match=r'pip install "pacing-sim\[dask\]"'):
        experiment.check_executor("dask")
    out = tmp_path / "res"
    code = main(["run", str(DEFAULT), "--horizon", "10m", "--replications", "1", "--executor", "dask", "--out", str(out)])
    err = capsys.readouterr().err
    assert code == 2
    assert err.strip().count("\n") == 0 and 'pip install "pacing-sim[dask]"' in err, err
    assert not out.exists() and not Path(f"{out}.partial").exists()


@pytest.mark.parametrize("address", ["tcp://127.0.0.1:9", "tcp://10.255.255.1:8786", "not an address"])
def test_unreachable_scheduler_is_one_line_exit_2_within_10_s(address, tmp_path, capsys):
    """A wrong --scheduler: one line on stderr, exit code 2, in under 10 s (a closed port, an
    address nobody answers at or something that is not a scheduler, a malformed one), and no
    results folder. Timed inside the process: the interpreter's start-up is not the wait."""
    import time

    out = tmp_path / "res"
    t0 = time.monotonic()
    code = main(["run", str(DEFAULT), "--horizon", "10m", "--replications", "1", "--executor", "dask",
                 "--scheduler", address, "--out", str(out)])
    elapsed = time.monotonic() - t0
    err = capsys.readouterr().err
    assert code == 2, err
    lines = err.strip().splitlines()
    assert len(lines) == 1 and "scheduler" in lines[0], err
    assert elapsed < 10, f"took {elapsed:.1f}s"
    assert not out.exists() and not Path(f"{out}.partial").exists()
