"""The results folder: every file present and readable, atomic replacement, and resuming an interrupted sweep."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd
import pytest

import sim
from sim import results
from sim.cli import main

ROOT = Path(__file__).resolve().parents[1]
DEFAULT = ROOT / "tests" / "data" / "golden_scenario.yaml"
SMALL = ["--horizon", "20m", "--replications", "2", "--service-levels", "50,150"]
TABLES = ("summary.csv", "replications.csv", "timeseries.csv")


def small_scenario(**overrides: object):
    extra = [f"{k}={json.dumps(v)}" for k, v in {"horizon": "20m", "replications": 2, "service_levels": [50, 150],
                                                  **overrides}.items()]
    return sim.load_scenario(DEFAULT, extra)


@pytest.fixture
def no_plots(monkeypatch):
    """Tables only: drawing the plots is what costs time, and these tests are about the tables."""
    monkeypatch.setattr(results, "render", lambda folder: [])


def table_bytes(folder: Path) -> dict[str, bytes]:
    return {name: (folder / name).read_bytes() for name in (*TABLES, "calls.parquet")}


@pytest.fixture(scope="module")
def folder(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("res") / "out"
    assert main(["run", str(DEFAULT), *SMALL, "--out", str(out), "--format", "csv"]) == 0
    return out


def test_out_folder_holds_every_file_of_the_contract(folder):
    for name in (*TABLES, "calls.parquet", "scenario.resolved.yaml", "provenance.json", "report.html"):
        assert (folder / name).is_file(), f"{name} missing from the results folder"
    pngs = sorted(p.name for p in (folder / "plots").glob("*.png"))
    assert {"tradeoff.png", "tradeoff_regulatory.png", "levels.png", "timeseries.png", "waits.png"} <= set(pngs)
    assert not results.partial_path(folder).exists(), "the partial folder should go once the sweep completed"
    leftovers = [p.name for p in folder.parent.iterdir() if p.name.startswith(".")]
    assert leftovers == [], f"temporary folders left next to the results: {leftovers}"


def test_tables_are_readable_by_pandas_with_the_documented_columns(folder):
    summary = pd.read_csv(folder / "summary.csv")
    assert list(summary.columns) == ["scenario", "service_level", "metric", "mean", "sd", "ci_low", "ci_high", "n"]
    assert set(summary["metric"]) >= set(sim.metrics.METRICS)
    assert sorted(set(summary["service_level"])) == [50, 150]

    reps = pd.read_csv(folder / "replications.csv", keep_default_na=False, na_values=[""])
    assert list(reps.columns[:3]) == ["scenario", "service_level", "replication"]
    assert reps.columns[-1] == "error" and "wall_s" not in reps.columns
    assert len(reps) == 4 and set(reps["scenario"]) == {"cold-list-20-agents"}

    ts = pd.read_csv(folder / "timeseries.csv")
    for col in ("scenario", "service_level", "replication", "t_start", "live_calls", "available_agents",
                "queue_waiting", "dials", "answers", "abandons"):
        assert col in ts.columns, f"timeseries.csv lacks {col}"

    calls = pd.read_parquet(folder / "calls.parquet")
    for col in ("scenario", "service_level", "replication", "t_dial", "t_answer", "t_queue", "t_agent_answer",
                "t_hangup", "outcome", "result"):
        assert col in calls.columns, f"calls.parquet lacks {col}"
    dials = reps.set_index(["service_level", "replication"])["dials"]
    per_run = calls.groupby(["service_level", "replication"]).size()
    assert (per_run >= dials).all(), "every dial in the window is a row of calls.parquet"


def test_resolved_scenario_loads_again_and_gives_the_same_tables(folder, tmp_path, no_plots):
    scn = sim.load_scenario(folder / "scenario.resolved.yaml")
    assert scn.engine.service_level_rule == "agent_side", "the resolved file writes every switch out"
    again = sim.run(scn, out=tmp_path / "again")
    for name in TABLES:
        assert (tmp_path / "again" / name).read_bytes() == (folder / name).read_bytes(), f"{name} differs"
    assert again.scenario.seed == 42


def test_provenance_names_versions_seed_command_and_switches(folder):
    prov = json.loads((folder / "provenance.json").read_text())
    assert prov["pacing_sim"] == sim.__version__ and prov["seed"] == 42
    assert prov["command"][:2] == ["pacing-sim", "run"] and "--out" in prov["command"]
    assert prov["dependencies"]["numpy"] and prov["dependencies"]["simpy"]
    eng = prov["scenarios"][0]["engine"]
    assert eng["profile"] == "voipbin" and eng["queue_order"] == "newest_first" and eng["timers"]["page_size"] == 100
    assert prov["runs"]["total"] == 4 and prov["runs"]["failed"] == [] and len(prov["runs"]["wall_s"]) == 4
    assert prov["started"] <= prov["finished"] and prov["wall_s"] > 0


def test_existing_folder_is_refused_without_force_and_replaced_whole_with_it(folder, tmp_path, no_plots, capsys):
    out = tmp_path / "out"
    out.mkdir()
    (out / "mine.txt").write_text("keep me")
    assert main(["run", str(DEFAULT), *SMALL, "--out", str(out)]) == 2
    assert "already exists" in capsys.readouterr().err
    assert (out / "mine.txt").read_text() == "keep me" and not (out / "summary.csv").exists()

    assert main(["run", str(DEFAULT), *SMALL, "--out", str(out), "--force"]) == 0
    assert not (out / "mine.txt").exists(), "--force replaces the folder, it does not merge into it"
    assert table_bytes(out) == table_bytes(folder)
    assert [p.name for p in tmp_path.iterdir()] == ["out"]


class Stop(Exception):
    pass


def test_interrupted_sweep_resumes_without_running_finished_runs_again(folder, tmp_path, no_plots):
    out = tmp_path / "out"
    seen: list = []

    def stop_after_three(o):
        seen.append(o.task)
        if len(seen) == 3:
            raise Stop

    with pytest.raises(Stop):
        sim.run(small_scenario(), out=out, on_result=stop_after_three)
    assert not out.exists(), "nothing is moved into place before the sweep completes"
    kept = sorted((results.partial_path(out) / "runs").glob("*.npz"))
    assert len(kept) == 3, "each finished run is on disk as soon as it finished"

    rerun: list = []
    result = sim.run(small_scenario(), out=out, on_result=lambda o: rerun.append(o.task))
    assert len(rerun) == 1 and rerun[0] not in seen, f"finished runs ran again: {rerun}"
    assert {o.task for o in result.outputs if o.reused} == set(seen)
    assert table_bytes(out) == table_bytes(folder), "a resumed sweep gives the tables of an uninterrupted one"
    prov = json.loads((out / "provenance.json").read_text())
    assert prov["runs"]["reused_from_partial"] == 3 and prov["runs"]["run_now"] == 1
    assert not results.partial_path(out).exists()


def test_kept_runs_of_another_scenario_are_not_reused(tmp_path, no_plots):
    out = tmp_path / "out"

    def stop(o):
        raise Stop

    with pytest.raises(Stop):
        sim.run(small_scenario(seed=1), out=out, on_result=stop)
    ran: list = []
    result = sim.run(small_scenario(seed=2), out=out, on_result=ran.append)
    assert len(ran) == 4 and not any(o.reused for o in result.outputs), "a different seed must not reuse runs"


def test_a_damaged_kept_run_is_run_again(tmp_path, no_plots):
    out = tmp_path / "out"

    def stop(o):
        raise Stop

    with pytest.raises(Stop):
        sim.run(small_scenario(), out=out, on_result=stop)
    (kept,) = (results.partial_path(out) / "runs").glob("*.npz")
    kept.write_bytes(kept.read_bytes()[:100])
    ran: list = []
    sim.run(small_scenario(), out=out, on_result=ran.append)
    assert len(ran) == 4


@pytest.mark.slow
def test_sweep_killed_with_sigkill_resumes_from_the_command_line(tmp_path, no_plots):
    """A real kill: the process dies between runs, without any chance to clean up."""
    out = tmp_path / "out"
    cmd = [sys.executable, "-m", "sim", "run", str(DEFAULT), "--horizon", "4h", "--replications", "8",
           "--service-levels", "100", "--out", str(out), "--format", "csv"]
    env = {**os.environ, "MPLBACKEND": "Agg"}
    runs_dir = results.partial_path(out) / "runs"
    with subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env, cwd=tmp_path) as proc:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and proc.poll() is None:
            if runs_dir.is_dir() and len(list(runs_dir.glob("*.npz"))) >= 3:
                break
            time.sleep(0.01)
        if proc.poll() is not None:
            pytest.skip("the sweep finished before it could be killed (machine too fast for this test)")
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=30)
    kept = len(list(runs_dir.glob("*.npz")))
    assert not out.exists() and 3 <= kept < 8

    done = subprocess.run(cmd, capture_output=True, text=True, env=env, cwd=tmp_path, timeout=120)
    assert done.returncode == 0, done.stderr
    prov = json.loads((out / "provenance.json").read_text())
    assert prov["runs"]["reused_from_partial"] == kept and prov["runs"]["run_now"] == 8 - kept

    scn = sim.load_scenario(DEFAULT, ['horizon="4h"', "replications=8", "service_levels=[100]"])
    sim.run(scn, out=tmp_path / "whole")
    assert table_bytes(out) == table_bytes(tmp_path / "whole")


@pytest.mark.slow
def test_library_write_needs_call_records(tmp_path):
    result = sim.run(small_scenario(), replications=1)
    with pytest.raises(ValueError, match="keep_calls"):
        result.write(tmp_path / "x")
    result = sim.run(small_scenario(), replications=1, keep_calls=True)
    assert result.write(tmp_path / "x") == tmp_path / "x"
    assert (tmp_path / "x" / "report.html").is_file()
