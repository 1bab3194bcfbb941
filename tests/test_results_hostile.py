"""Issue 10, the results folder and command output: each hostile case ends with exit 2 and one line
naming the path, no traceback, nothing outside the requested folder touched, no finished run lost.

The folder writer is also tested with generated names and runs that made no calls (hypothesis)."""

from __future__ import annotations

import csv
import fcntl
import io
import json
import os
import re
import shutil
import stat
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

import sim
from sim import results
from sim.cli import main
from sim.experiment import ExperimentResult, RunOutput, Task, run_task
from sim.results import checkpoint as checkpoint_mod
from sim.results import paths

from conftest import scenario

ROOT = Path(__file__).resolve().parents[1]
DEFAULT = ROOT / "scenarios" / "default.yaml"
TINY = ["--horizon", "10m", "--replications", "1", "--service-levels", "100"]


@pytest.fixture
def no_plots(monkeypatch):
    monkeypatch.setattr(results, "render", lambda folder: [])


def one_line(err: str) -> str:
    lines = [ln for ln in err.splitlines() if ln.strip()]
    assert len(lines) == 1, f"expected one line, got: {err!r}"
    assert "Traceback" not in err
    return lines[0]


def tree(folder: Path) -> dict[str, bytes]:
    return {str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


# --------------------------------------------------------------------------- 2: report DIR stays in DIR


@pytest.fixture(scope="module")
def folder(tmp_path_factory) -> Path:
    """A results folder (tables only: these tests are about reading and writing, not drawing)."""
    out = tmp_path_factory.mktemp("res") / "out"
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(results, "render", lambda folder: [])
        assert main(["run", str(DEFAULT), *TINY, "--out", str(out), "--format", "csv"]) == 0
    (out / "plots").mkdir()
    return out


@pytest.fixture
def no_drawing(monkeypatch):
    """The figures are built but not drawn to PNG (what costs time)."""
    import sim.plots

    monkeypatch.setattr(sim.plots, "png_bytes", lambda fig: b"\x89PNG\r\n\x1a\n")


def test_report_never_follows_a_plots_link_out_of_the_folder(folder, tmp_path, capsys):
    work = tmp_path / "work"
    shutil.copytree(folder, work)
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "photo.png").write_bytes(b"mine")
    (outside / "tradeoff.png").write_bytes(b"mine too")
    shutil.rmtree(work / "plots")
    (work / "plots").symlink_to(outside)
    assert main(["report", str(work)]) == 2
    line = one_line(capsys.readouterr().err)
    assert str(work / "plots") in line and "symbolic link" in line
    assert tree(outside) == {"photo.png": b"mine", "tradeoff.png": b"mine too"}, "nothing outside DIR touched"


def test_report_deletes_only_the_plots_it_draws(folder, tmp_path, no_drawing):
    work = tmp_path / "work"
    shutil.copytree(folder, work)
    (work / "plots" / "my-annotated.png").write_bytes(b"mine")
    (work / "plots" / "comparison.png").write_bytes(b"stale: a one-scenario folder has no comparison")
    assert main(["report", str(work)]) == 0
    assert (work / "plots" / "my-annotated.png").read_bytes() == b"mine"
    assert not (work / "plots" / "comparison.png").exists()


# --------------------------------------------------------------------------- 3: --force and -o replace only what they own


@pytest.mark.parametrize("what", ["device", "symlink-to-folder", "dangling-symlink", "fifo", "not-results"])
def test_run_out_force_replaces_only_a_results_folder(what, tmp_path, capsys, no_plots):
    out = tmp_path / "out"
    target = tmp_path / "elsewhere"
    if what == "device":
        out = Path("/dev/null")
    elif what == "symlink-to-folder":
        target.mkdir()
        (target / "keep.txt").write_text("keep")
        out.symlink_to(target)
    elif what == "dangling-symlink":
        out.symlink_to(target)
    elif what == "fifo":
        os.mkfifo(out)
    else:
        (out / "src" / "deep").mkdir(parents=True)
        (out / "src" / "deep" / "code.py").write_text("x = 1")
    before = os.lstat(out)
    for extra in ([], ["--force"]):
        assert main(["run", str(DEFAULT), *TINY, "--out", str(out), *extra]) == 2
        line = one_line(capsys.readouterr().err)
        assert str(out) in line
    after = os.lstat(out)
    assert (stat.S_IFMT(before.st_mode), before.st_ino) == (stat.S_IFMT(after.st_mode), after.st_ino)
    if what == "symlink-to-folder":
        assert tree(target) == {"keep.txt": b"keep"}
    if what == "not-results":
        assert (out / "src" / "deep" / "code.py").read_text() == "x = 1"
    assert not target.exists() or what == "symlink-to-folder"
    assert not paths.partial_path(out).exists() or what == "device"


@pytest.mark.parametrize("what", ["device", "symlink", "folder"])
def test_baseline_output_is_never_a_device_link_or_folder(what, tmp_path, capsys):
    target = tmp_path / "target.json"
    target.write_text("{}")
    out = {"device": Path("/dev/null"), "symlink": tmp_path / "link.json", "folder": tmp_path}[what]
    if what == "symlink":
        out.symlink_to(target)
    assert main(["baseline", str(DEFAULT), *TINY, "-o", str(out)]) == 2
    assert str(out) in one_line(capsys.readouterr().err)
    assert target.read_text() == "{}"
    if what == "symlink":
        assert out.is_symlink()
    assert stat.S_ISCHR(os.stat("/dev/null").st_mode)


# --------------------------------------------------------------------------- 4: a first run without calls


def test_sweep_whose_first_run_makes_no_calls_writes_its_folder(tmp_path, no_plots):
    out = tmp_path / "out"
    assert main(["run", str(DEFAULT), "--horizon", "10m", "--replications", "1", "--service-levels", "0,100",
                 "--out", str(out), "--format", "csv"]) == 0
    calls = pd.read_parquet(out / "calls.parquet")
    assert set(calls["service_level"]) == {100} and len(calls) > 0
    assert calls["campaign"].dtype != "null" and calls["scenario"].iloc[0] == "cold-list-20-agents"


# --------------------------------------------------------------------------- 5: names


@pytest.mark.slow
def test_names_with_dollar_and_carriage_return_draw_and_read_back(tmp_path, capsys):
    out = tmp_path / "out"
    name = '=HYPERLINK("http://x") $a_b$ \r cr'
    assert main(["run", str(DEFAULT), *TINY, "--set", f"name={json.dumps(name)}", "--out", str(out),
                 "--format", "csv"]) == 0
    raw = (out / "summary.csv").read_bytes().decode()
    assert "\n=" not in raw and "\n\"=" not in raw, "a spreadsheet would run the name as a formula"
    back = results.read_folder(out)
    assert set(back.summary["scenario"]) == {name} and set(back.replications["scenario"]) == {name}
    capsys.readouterr()
    assert main(["report", str(out)]) == 0


def test_two_scenarios_mapping_to_one_file_name_are_refused_before_any_run(tmp_path, capsys):
    a = tmp_path / "a.yaml"
    b = tmp_path / "b.yaml"
    text = DEFAULT.read_text()
    a.write_text(text)
    b.write_text(text)
    out = tmp_path / "out"
    assert main(["run", str(a), str(b), *TINY, "--set", 'name="promo a"', "--out", str(out)]) == 2
    capsys.readouterr()
    ran: list = []
    scn_a = sim.load_scenario(a, ['name="promo a"'])
    scn_b = sim.load_scenario(b, ['name="Promo-A"'])
    with pytest.raises(results.ResultsFolderError, match="same file name"):
        sim.run([scn_a, scn_b], out=out, on_result=ran.append)
    assert ran == [] and not out.exists() and not paths.partial_path(out).exists()


# --------------------------------------------------------------------------- 9: unwritable --out


def test_out_below_a_file_or_unwritable_is_refused_before_any_run(tmp_path, capsys):
    afile = tmp_path / "afile"
    afile.write_text("x")
    ro = tmp_path / "ro"
    ro.mkdir()
    ro.chmod(0o555)
    partial_file = tmp_path / "p"
    Path(str(partial_file) + ".partial").write_text("not a folder")
    cases = [afile / "out", partial_file]
    if os.geteuid() != 0:  # root writes anywhere
        cases.append(ro / "out")
    try:
        for out in cases:
            ran: list = []
            with pytest.raises(results.ResultsFolderError) as err:
                sim.run(scenario(), out=out, on_result=ran.append)
            assert ran == [], f"{out}: runs spent before the folder was found unwritable"
            assert "\n" not in str(err.value)
            assert main(["run", str(DEFAULT), *TINY, "--out", str(out)]) == 2
            assert str(out.parent if out.parent != tmp_path else out) in one_line(capsys.readouterr().err)
    finally:
        ro.chmod(0o755)


def test_a_write_error_after_the_runs_is_one_line_and_keeps_the_runs(tmp_path, monkeypatch, capsys):
    out = tmp_path / "out"

    def full(*a, **k):
        raise OSError(28, "No space left on device", str(tmp_path / ".out.tmp" / "summary.csv"))

    monkeypatch.setattr(results.write, "write_tables", full)
    assert main(["run", str(DEFAULT), *TINY, "--out", str(out)]) == 2
    line = one_line(capsys.readouterr().err)
    assert "No space left on device" in line and str(paths.partial_path(out)) in line
    assert len(list((paths.partial_path(out) / "runs").glob("*.npz"))) == 1, "the finished run is kept"
    assert [p.name for p in tmp_path.iterdir()] == ["out.partial"], "no temporary folder left"


# --------------------------------------------------------------------------- 10: report on damaged folders


def _damage(folder: Path, how: str) -> str:
    """Damage ``folder`` one way; the file the message must name."""
    if how == "empty summary":
        (folder / "summary.csv").write_text("")
        return "summary.csv"
    if how == "truncated summary":
        (folder / "summary.csv").write_bytes((folder / "summary.csv").read_bytes()[:30])
        return "summary.csv"
    if how == "text in a number column":
        df = pd.read_csv(folder / "summary.csv")
        df["mean"] = df["mean"].astype(object)
        df.loc[2, "mean"] = "lots"
        df.to_csv(folder / "summary.csv", index=False)
        return "summary.csv"
    if how == "truncated calls":
        (folder / "calls.parquet").write_bytes((folder / "calls.parquet").read_bytes()[:500])
        return "calls.parquet"
    if how == "provenance a list":
        (folder / "provenance.json").write_text("[1, 2]")
        return "provenance.json"
    if how == "provenance not json":
        (folder / "provenance.json").write_text("{")
        return "provenance.json"
    if how == "plots a file":
        shutil.rmtree(folder / "plots")
        (folder / "plots").write_text("x")
        return "plots"
    if how == "replications without columns":
        (folder / "replications.csv").write_text("a,b\n1,2\n")
        return "replications.csv"
    if how == "timeseries binary":
        (folder / "timeseries.csv").write_bytes(b"\xff\xfe\x00\x01" * 100)
        return "timeseries.csv"
    if how == "report a folder":
        (folder / "report.html").unlink(missing_ok=True)
        (folder / "report.html").mkdir()
        return "report.html"
    raise AssertionError(how)


DAMAGES = ["empty summary", "truncated summary", "text in a number column", "truncated calls",
           "provenance a list", "provenance not json", "plots a file", "replications without columns",
           "timeseries binary", "report a folder"]


@pytest.mark.parametrize("how", DAMAGES)
def test_report_on_a_damaged_folder_names_the_file(how, folder, tmp_path, capsys, no_drawing):
    work = tmp_path / "work"
    shutil.copytree(folder, work)
    name = _damage(work, how)
    assert main(["report", str(work)]) == 2
    line = one_line(capsys.readouterr().err)
    assert str(work / name) in line, line


def test_report_reads_the_resolved_scenario_with_the_guarded_loader(folder, tmp_path):
    work = tmp_path / "work"
    shutil.copytree(folder, work)
    laughs = "a: &a [x, x, x, x, x, x, x, x, x]\n" + "".join(
        f"{c}: &{c} [{', '.join(['*' + p] * 9)}]\n" for p, c in zip("abcdefgh", "bcdefghi"))
    (work / "scenario.resolved.yaml").write_text(laughs)
    tables = results.read_folder(work)
    assert tables.scenarios == [], "an alias bomb is refused, not expanded"


# --------------------------------------------------------------------------- 13


def test_a_second_sweep_on_the_same_folder_is_refused_before_it_runs(tmp_path, capsys):
    out = tmp_path / "out"
    lock = results.SweepLock(out)
    try:
        ran: list = []
        with pytest.raises(results.ResultsFolderError, match="another pacing-sim sweep"):
            sim.run(scenario(), out=out, on_result=ran.append)
        assert ran == []
        # flock: a second open of the lock file conflicts even in the same process
        assert main(["run", str(DEFAULT), *TINY, "--out", str(out)]) == 2
        assert str(out) in one_line(capsys.readouterr().err)
        assert (paths.partial_path(out) / "lock").exists(), "the holder's partial folder is left alone"
    finally:
        lock.release()
    assert not paths.partial_path(out).exists(), "a partial folder holding only the lock goes with it"


def test_stale_temporaries_of_a_killed_writer_are_cleaned_on_the_next_run(tmp_path, no_plots):
    out = tmp_path / "out"
    proc = subprocess.Popen([sys.executable, "-c", "pass"])
    proc.wait()  # a process id that is no longer running
    dead = proc.pid
    stale = tmp_path / f".out.tmp-{dead}-0123abcd"
    stale.mkdir()
    (stale / "calls.parquet").write_bytes(b"x" * 1000)
    live = tmp_path / f".out.tmp-{os.getpid()}-0123abcd"  # a live writer's: left alone
    live.mkdir()
    other = tmp_path / f".other.tmp-{dead}-0123abcd"  # another folder's: left alone
    other.mkdir()
    sim.run(scenario(), out=out)
    assert not stale.exists() and live.exists() and other.exists()


def test_a_kept_run_that_fails_its_digest_is_run_again(tmp_path, no_plots):
    out = tmp_path / "out"

    class Stop(Exception):
        pass

    def stop(o):
        raise Stop

    scn = scenario(replications=2)
    with pytest.raises(Stop):
        sim.run(scn, out=out, on_result=stop)
    (kept,) = (paths.partial_path(out) / "runs").glob("*.npz")
    with np.load(kept, allow_pickle=False) as z:
        arrays = {k: z[k] for k in z.files}
    arrays["metrics"] = arrays["metrics"] + 1.0  # a valid file, with other numbers: not the run that ran
    buf = io.BytesIO()
    np.savez(buf, **arrays)
    kept.write_bytes(buf.getvalue())
    ran: list = []
    sim.run(scn, out=out, on_result=ran.append)
    assert len(ran) == 2, "the tampered run is run again"


def test_shares_of_time_are_clipped_to_zero_one():
    from sim.metrics import _share

    assert _share(-1.7e-16, 1.0) == 0.0 and _share(1.0 + 2e-16, 1.0) == 1.0 and _share(0.25, 1.0) == 0.25
    assert np.isnan(_share(1.0, 0.0))


def test_dask_starts_no_more_workers_than_runs(monkeypatch):
    import dask.distributed

    started: list[int] = []

    class Cluster:
        def __init__(self, n_workers, **kw):
            started.append(n_workers)
            raise RuntimeError("stop here")

    monkeypatch.setattr(dask.distributed, "LocalCluster", Cluster)
    with pytest.raises(RuntimeError, match="stop here"):
        sim.run(scenario(), workers=4, executor="dask")
    assert started == [1]


def test_workers_are_bounded(capsys):
    n = 4 * (os.cpu_count() or 1) + 1
    with pytest.raises(SystemExit) as exc:
        main(["run", str(DEFAULT), "--workers", str(n)])
    assert exc.value.code == 2 and "--workers" in capsys.readouterr().err


def test_tune_budget_below_one_batch_is_an_input_error(capsys):
    assert main(["tune", str(DEFAULT), "--replications", "3", "--budget", "2", "--horizon", "10m"]) == 2
    line = one_line(capsys.readouterr().err)
    assert "budget" in line and "3" in line


def test_messages_cut_a_long_set_argument_short(capsys):
    long = "a" * 6000
    for arg in (f"agents.0.count={long}", f"agents.0.no{long}=1", long, f'name="{long}"'):
        assert main(["validate", str(DEFAULT), "--set", arg]) == 2
        err = capsys.readouterr().err
        assert err.startswith(str(DEFAULT)) and "characters]" in err, err[:200]
        assert "Traceback" not in err and len(err) < 1000, f"{len(err)} characters for a {len(arg)}-character --set"


# --------------------------------------------------------------------------- the folder writer, property-based


@pytest.fixture(scope="module")
def runs():
    """Two finished runs of a small scenario, calls kept (made once: hypothesis reuses them)."""
    scn = scenario(replications=2)
    outs = [run_task(scn, Task(0, None, r), keep_calls=True) for r in range(2)]
    assert all(o.error is None for o in outs) and all(len(o.calls["t_dial"]) > 0 for o in outs)
    return scn, outs


NAMES = st.text(st.characters(blacklist_categories=("Cs",)), min_size=1, max_size=30)

# Names whose line ends put a formula character at the start of a physical line of the CSV file
# ("\n=" was found by hypothesis: summary.csv had the line '=",100,occupancy,...').
LINE_END_NAMES = ["\n=", "\r=", "\r\n=", "a\n+1", "a\r-1", "x\r\n@SUM(A1)", "\n\t", "\n\r", "=\n=",
                  "\n'", "'\n'=", "\n\n-", "\r\r+", '\n=HYPERLINK("http://x")', "a\n'b", "\n\'\'=", "\n"]


def formula_cells(raw: str) -> list[str]:
    """Every cell of the CSV text ``raw`` a spreadsheet would run, read two ways: as CSV (quoted
    cells whole) and as a reader that cuts the file into physical lines first would (a line start
    is a cell start)."""
    bad = paths.FORMULA_START[:-1]
    cells = [c for row in list(csv.reader(io.StringIO(raw, newline="")))[1:] for c in row]
    lines = re.split(r"\r\n|\r|\n", raw)[1:]
    return [c for c in cells if c.startswith(bad)] + \
        [ln for ln in lines if ln.startswith(bad)]


@pytest.mark.parametrize("name", LINE_END_NAMES)
def test_csv_names_with_line_ends_never_start_a_line_with_a_formula_and_read_back(name):
    """A quoted cell holding "\n=" is one cell to a CSV reader, but its second physical line starts
    with "=": each line of a cell gets the same ' before a formula character as the cell itself."""
    df = pd.DataFrame({"scenario": [name, "plain"], "service_level": [100, 90], "metric": ["occupancy"] * 2})
    raw = paths.csv_bytes(df).decode("utf-8")
    assert formula_cells(raw) == [], raw
    back = paths.read_csv_text(pd.read_csv(io.BytesIO(raw.encode()), keep_default_na=False, na_values=[""],
                                           dtype={"scenario": str}))
    assert back["scenario"].tolist() == [name, "plain"]
    assert paths.csv_bytes(df.iloc[1:]) == df.iloc[1:].to_csv(index=False, lineterminator="\n").encode()


@settings(max_examples=300, deadline=None)
@given(st.text(st.sampled_from(["=", "+", "-", "@", "\t", "\r", "\n", "'", "a", ","]), max_size=12))
def test_csv_guard_round_trips_any_text_and_leaves_no_formula_line(text):
    assert paths._unguard(paths._guard(text)) == text
    df = pd.DataFrame({"scenario": [text], "n": [1]})
    raw = paths.csv_bytes(df).decode("utf-8")
    assert formula_cells(raw) == [], raw
    back = paths.read_csv_text(pd.read_csv(io.BytesIO(raw.encode()), keep_default_na=False, na_values=[""],
                                           dtype={"scenario": str}))
    assert back["scenario"].fillna("").tolist() == [text]


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(names=st.lists(NAMES, min_size=1, max_size=3), empty=st.lists(st.booleans(), min_size=2, max_size=6))
@example(names=["\n="], empty=[False, False])
@example(names=["a\r-1", "\r\n@x", "\n\t"], empty=[True, False])
def test_folder_writer_round_trips_any_names_and_runs_without_calls(runs, tmp_path_factory, names, empty):
    scn, base = runs
    scenarios = [scn.model_copy(update={"name": n}) for n in names]
    outputs = []
    tasks = []
    for si in range(len(scenarios)):
        for r, out in enumerate(base):
            flag = empty[(si * 2 + r) % len(empty)]
            calls = {k: v[:0] for k, v in out.calls.items()} if flag else out.calls
            t = Task(si, None, r)
            tasks.append(t)
            outputs.append(RunOutput(t, out.metrics, out.timeseries, calls, wall_s=0.0))
    result = ExperimentResult(scenarios, tasks, outputs, {})
    parent = tmp_path_factory.mktemp("w")
    dest = parent / "out"
    keys = [paths.slug(n).casefold() for n in names]
    if len(set(keys)) < len(keys):
        with pytest.raises(results.ResultsFolderError):
            results.write.write_folder(result, dest)
        assert list(parent.iterdir()) == [], "a refused folder leaves nothing"
        return
    results.write.write_folder(result, dest)
    assert [p.name for p in parent.iterdir()] == ["out"]
    back = results.read_folder(dest)
    pd.testing.assert_frame_equal(back.replications.drop(columns="error"), result.replications.drop(columns="error"),
                                  check_dtype=False)
    assert back.summary["scenario"].tolist() == result.summary["scenario"].tolist()
    for name in ("summary.csv", "replications.csv", "timeseries.csv"):
        raw = (dest / name).read_bytes().decode("utf-8")
        assert formula_cells(raw) == [], f"{name}: cells a spreadsheet would run"
    calls = pd.read_parquet(dest / "calls.parquet")
    assert len(calls) == sum(len(o.calls["t_dial"]) for o in outputs)
    if len(scenarios) > 1:
        assert len(list((dest / "scenarios").glob("*.resolved.yaml"))) == len(scenarios)
