"""Hostile and extreme scenario input (issue 10, items 1, 7, 8, 12): exit code 2, one line naming
the file and the path inside it, no traceback, no file's content quoted, memory bounded.

Most cases run ``pacing-sim validate`` in-process; a few run it in a subprocess to see what a user
sees (the process environment, peak memory).
"""

from __future__ import annotations

import copy
import errno
import os
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest
import yaml

import sim
from sim.cli import main
from sim.scenario import ScenarioError, load_scenario
from sim.scenario.load import MAX_LINE_BYTES
from sim.scenario.schema import MAX_INTERVALS, MAX_LOOP_STEPS, Scenario, Timers

ROOT = Path(__file__).resolve().parents[1]
BASE = yaml.safe_load((ROOT / "tests" / "data" / "golden_scenario.yaml").read_text())
SECRET = "TOPSECRET-8f3a1c"


def scenario_file(folder: Path, targets=None, name: str = "scn.yaml", **fields) -> Path:
    data = copy.deepcopy(BASE)
    if targets is not None:
        data["outdials"][0]["targets"] = targets
    data.update(fields)
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    path.write_text(yaml.safe_dump(data, sort_keys=False))
    return path


def validate(capsys, path: Path, *extra: str) -> tuple[int, list[str]]:
    rc = main(["validate", str(path), *extra])
    _out, err = capsys.readouterr()
    lines = [ln for ln in err.splitlines() if ln.strip()]
    for ln in lines:
        assert "Traceback" not in ln
    return rc, lines


def refused(capsys, path: Path, *extra: str) -> str:
    """The one problem line of a refused scenario."""
    rc, lines = validate(capsys, path, *extra)
    assert rc == 2 and len(lines) == 1, lines
    return lines[0]


# --------------------------------------------------------------------------- item 1: confined target lists


@pytest.fixture
def outside(tmp_path) -> Path:
    """A readable file outside the scenario's folder whose first line is a secret."""
    f = tmp_path / "secret.csv"
    f.write_text(f"{SECRET},destination_0\n1,2\n")
    return f


@pytest.mark.parametrize("how", ["absolute", "dotdot", "symlink", "symlinked-folder"])
def test_target_list_outside_the_scenario_folder_is_refused(capsys, tmp_path, outside, how):
    """Whatever way the path leaves the folder, it is refused before the file is opened, and the
    message quotes nothing of the file."""
    folder = tmp_path / "scn"
    folder.mkdir()
    if how == "absolute":
        target = str(outside)
    elif how == "dotdot":
        target = "../secret.csv"
    elif how == "symlink":
        (folder / "list.csv").symlink_to(outside)
        target = "list.csv"
    else:
        (folder / "data").symlink_to(tmp_path)
        target = "data/secret.csv"
    msg = refused(capsys, scenario_file(folder, target))
    assert ": outdials[0].targets: the CSV file is outside the scenario's folder" in msg, msg
    assert "--allow-outside-targets" in msg and SECRET not in msg


@pytest.mark.slow
def test_proc_environ_is_not_printed(tmp_path):
    """The CI case: ``--set outdials.0.targets=/proc/self/environ`` must not print the environment."""
    path = scenario_file(tmp_path)
    env = {**os.environ, "PYTHONPATH": str(ROOT), "JOB_TOKEN": SECRET}
    for target in ("/proc/self/environ",):
        p = subprocess.run([sys.executable, "-m", "sim", "validate", str(path), "--set", f"outdials.0.targets={target}"], check=False,
                           capture_output=True, text=True, env=env, cwd=tmp_path, timeout=120)
        assert p.returncode == 2 and p.stdout == "", p
        assert SECRET not in p.stderr and "Traceback" not in p.stderr and "outside the scenario's folder" in p.stderr
        assert len(p.stderr.strip().splitlines()) == 1


def test_target_list_inside_the_folder_through_a_symlink_is_read(tmp_path):
    """A symlink that stays inside the folder is fine: the rule is about where the file is."""
    (tmp_path / "lists").mkdir()
    (tmp_path / "lists" / "t.csv").write_text("destination_0\n1\n2\n3\n")
    (tmp_path / "t.csv").symlink_to(tmp_path / "lists" / "t.csv")
    scn = load_scenario(scenario_file(tmp_path, "t.csv"))
    assert len(scn.target_masks["cold-list"]) == 3


def test_allow_outside_targets_opts_in(tmp_path):
    """Python: ``load_scenario(..., allow_outside_targets=True)`` reads a list from anywhere."""
    lists = tmp_path / "shared"
    lists.mkdir()
    (lists / "t.csv").write_text("destination_0,destination_1\n1,\n,2\n")
    path = scenario_file(tmp_path / "scn", str(lists / "t.csv"))
    with pytest.raises(ScenarioError, match="outside the scenario's folder"):
        load_scenario(path)
    scn = load_scenario(path, allow_outside_targets=True)
    assert list(scn.target_masks["cold-list"]) == [0b01, 0b10]


def test_messages_quote_only_header_names_cut_short(capsys, tmp_path):
    """Even inside the folder (or opted in), a message shows no more of a file than its header
    names, each cut short; parse errors give line numbers, never content."""
    (tmp_path / "h.csv").write_text(f"{SECRET * 5},b\n1,2\n")
    msg = refused(capsys, scenario_file(tmp_path, "h.csv"))
    assert "no destination columns" in msg and SECRET * 2 not in msg and len(msg) < 600
    (tmp_path / "q.csv").write_text(f'destination_0\n"{SECRET}\n')
    msg = refused(capsys, scenario_file(tmp_path, "q.csv"))
    assert "cannot read the CSV file" in msg and SECRET not in msg
    (tmp_path / "u.csv").write_bytes(f"destination_0\n{SECRET}\xff\n".encode("latin-1"))
    msg = refused(capsys, scenario_file(tmp_path, "u.csv"))
    assert "not UTF-8 text" in msg and SECRET not in msg


# --------------------------------------------------------------------------- item 12: paths and huge lines


def test_file_name_over_the_system_limit(capsys, tmp_path):
    msg = refused(capsys, scenario_file(tmp_path, "a" * 300 + ".csv"))
    assert ": outdials[0].targets: a name in the path of the CSV file has 304 bytes" in msg


def test_path_over_the_system_maximum(capsys, tmp_path):
    msg = refused(capsys, scenario_file(tmp_path, "d/" * 3000 + "t.csv"))
    assert ": outdials[0].targets: the path of the CSV file has" in msg and "this system allows paths" in msg
    # the same when the rest of the scenario is invalid too (the path is still checked)
    rc, lines = validate(capsys, scenario_file(tmp_path, "a" * 300 + ".csv"), "--set", "agents.0.count=-1")
    assert rc == 2 and len(lines) == 2 and any("a name in the path" in ln for ln in lines)


def test_unreadable_folder(capsys, tmp_path, monkeypatch):
    """A folder on the way that may not be read: one line, "permission denied". As root the
    permission bits do not stop a read, so the refusal is simulated there."""
    (tmp_path / "locked").mkdir()
    (tmp_path / "locked" / "t.csv").write_text("destination_0\n1\n")
    path = scenario_file(tmp_path, "locked/t.csv")
    if os.geteuid() == 0:
        real_open = os.open

        def deny(p, *a, **k):
            if "locked" in str(p):
                raise PermissionError(errno.EACCES, "Permission denied", str(p))
            return real_open(p, *a, **k)

        monkeypatch.setattr(os, "open", deny)
        msg = refused(capsys, path)
    else:  # pragma: no cover - depends on the user running the tests
        os.chmod(tmp_path / "locked", 0)
        try:
            msg = refused(capsys, path)
        finally:
            os.chmod(tmp_path / "locked", 0o755)
    assert ": outdials[0].targets: cannot read the CSV file" in msg and "permission denied" in msg


def test_special_files_are_refused_without_blocking(capsys, tmp_path):
    os.mkfifo(tmp_path / "fifo.csv")
    msg = refused(capsys, scenario_file(tmp_path, "fifo.csv"))
    assert "not a regular file" in msg
    msg = refused(capsys, scenario_file(tmp_path, "."))
    assert "is a folder" in msg


@pytest.mark.slow
def test_huge_header_line_is_refused_quickly_in_little_memory(tmp_path):
    """A 60 MB header line: refused after reading its first block, in a subprocess whose peak
    memory is measured (under 500 MB; pandas alone takes about 100)."""
    with open(tmp_path / "big.csv", "w") as f:
        f.write("destination_0," + "x" * 60_000_000 + "\n1,2\n")
    path = scenario_file(tmp_path, "big.csv")
    code = ("import resource, sys, time; from sim.cli import main; t = time.perf_counter(); "
            f"rc = main(['validate', {str(path)!r}]); "
            "print(rc, time.perf_counter() - t, resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024)")
    p = subprocess.run([sys.executable, "-c", code], check=False, capture_output=True, text=True,
                       env={**os.environ, "PYTHONPATH": str(ROOT)}, timeout=120)
    rc, seconds, peak_mb = p.stdout.split()
    assert rc == "2" and f"the header line (line 1) of the CSV file is longer than {MAX_LINE_BYTES:,} bytes" in p.stderr
    assert "Traceback" not in p.stderr and len(p.stderr.strip().splitlines()) == 1
    assert float(seconds) < 60 and int(peak_mb) < 500, (seconds, peak_mb)  # unbounded, it read for minutes


def test_long_data_line_is_refused_with_its_number(capsys, tmp_path):
    (tmp_path / "t.csv").write_text("destination_0,b\n" + "1,2\n" * 1000 + "1," + "," * (MAX_LINE_BYTES + 5) + "\n")
    msg = refused(capsys, scenario_file(tmp_path, "t.csv"))
    assert f"line 1,002 of the CSV file is longer than {MAX_LINE_BYTES:,} bytes" in msg


def test_carriage_return_line_ends_still_read(tmp_path):
    (tmp_path / "t.csv").write_bytes(b"destination_0\r1\r2\r\r\n3\r\n")
    assert len(load_scenario(scenario_file(tmp_path, "t.csv")).target_masks["cold-list"]) == 3


# --------------------------------------------------------------------------- item 7: distribution parameters


@pytest.mark.parametrize("dist, field", [
    ({"dist": "lognormal", "mean": 10, "sd": 1.0e+160}, "sd"),
    ({"dist": "lognormal", "mean": 1.0e-300, "sd": 1}, "mean"),
    ({"dist": "gamma", "mean": 1.0e-300, "sd": 1}, "mean"),
    ({"dist": "gamma", "mean": 1, "sd": 1.0e+300}, "sd"),
    ({"dist": "exponential", "mean": 1.0e+300}, "mean"),
    ({"dist": "uniform", "low": 0, "high": 1.0e+300}, "high"),
    ({"dist": "constant", "value": 1.0e+300}, "value"),
    ({"dist": "empirical", "values": [1.0e+300]}, "values[0]"),
])
def test_distribution_parameters_beyond_the_sampler_are_refused(capsys, tmp_path, dist, field):
    data = copy.deepcopy(BASE)
    data["agents"][0]["talk_time"] = dist
    msg = refused(capsys, scenario_file(tmp_path, agents=data["agents"]))
    assert f": agents[0].talk_time.{field}: expected a duration" in msg and "1,000,000,000s" in msg, msg


def test_empirical_weights_that_overflow_are_refused(capsys, tmp_path):
    data = copy.deepcopy(BASE)
    data["agents"][0]["talk_time"] = {"dist": "empirical", "values": [1, 2], "weights": [1.0e+308, 1.0e+308]}
    msg = refused(capsys, scenario_file(tmp_path, agents=data["agents"]))
    assert ": agents[0].talk_time: expected empirical weights whose sum is a finite number" in msg


def test_every_distribution_at_its_bounds_samples_finite_values():
    """The corners of the accepted ranges: the sampler's arithmetic never overflows, and no
    value drawn is infinite or NaN (the failure the bounds prevent)."""
    from sim.world.distributions import MAX_SECONDS, MIN_POSITIVE, Empirical, Gamma, Lognormal, Uniform

    gen = np.random.default_rng(1)
    corners = [MIN_POSITIVE, 1.0, MAX_SECONDS]
    for m in corners:
        for s in [0.0, *corners]:
            x = Lognormal(dist="lognormal", mean=m, sd=s)
            assert np.isfinite(x.sample(gen, 500)).all() and np.isfinite(x.var)
            if s:
                assert np.isfinite(Gamma(dist="gamma", mean=m, sd=s).sample(gen, 500)).all()
    assert np.isfinite(Uniform(dist="uniform", low=0, high=MAX_SECONDS).var)
    for w in ([1e307, 1e-300], [5e-324, 5e-324], [1.7e308, 0]):
        x = Empirical(dist="empirical", values=[1, 2], weights=w).sample(gen, 100)
        assert set(x.tolist()) <= {1.0, 2.0}


# --------------------------------------------------------------------------- item 8: timers and intervals


@pytest.mark.parametrize("timer", ["after_dial", "after_wait", "queue_step", "queue_idle_step"])
def test_step_timers_below_a_millisecond_are_refused(capsys, tmp_path, timer):
    msg = refused(capsys, scenario_file(tmp_path), "--set", f"engine.timers.{timer}=0.000001")
    assert f": engine.timers.{timer}: expected a duration" in msg and "at least 1ms" in msg
    assert f"horizon / {MAX_LOOP_STEPS:,}" in msg


def test_step_timer_too_short_for_the_horizon(capsys, tmp_path):
    """1 ms is the floor; over 31 days a loop stepping every 50 ms would wake 53.6 million times."""
    msg = refused(capsys, scenario_file(tmp_path), "--set", "engine.timers.after_wait=50ms", "--set", "horizon=31d")
    assert ": engine.timers.after_wait: expected a step of at least the horizon / 30,000,000 (89.3ms" in msg
    assert "53,568,000 times" in msg


def test_too_many_timeseries_intervals(capsys, tmp_path):
    msg = refused(capsys, scenario_file(tmp_path), "--set", "timeseries_interval=1s", "--set", "horizon=30d")
    assert f": timeseries_interval: expected at most {MAX_INTERVALS:,} time-series intervals" in msg
    assert "2,592,000" in msg and "at least 25.92s" in msg


def test_the_bounds_are_in_the_schema():
    """docs/scenarios.md is written from the schema: the bounds are in the fields' descriptions."""
    for name in ("after_dial", "after_wait", "queue_step", "queue_idle_step"):
        text = Timers.model_fields[name].description
        assert "at least 1ms" in text and f"horizon / {MAX_LOOP_STEPS:,}" in text
    assert f"horizon / {MAX_INTERVALS:,}" in Scenario.model_fields["timeseries_interval"].description


def test_a_month_at_the_engines_own_timers_is_accepted(capsys, tmp_path):
    rc, lines = validate(capsys, scenario_file(tmp_path), "--set", "horizon=31d")
    assert rc == 0, lines


def test_refused_input_leaves_nothing_behind(tmp_path):
    """``run --out`` on a refused scenario writes nothing."""
    path = scenario_file(tmp_path / "scn", "../secret.csv")
    (tmp_path / "secret.csv").write_text("destination_0\n1\n")
    t0 = time.time()
    rc = main(["run", str(path), "--out", str(tmp_path / "out"), "--replications", "1"])
    assert rc == 2 and time.time() - t0 < 60
    assert sorted(p.name for p in tmp_path.iterdir()) == ["scn", "secret.csv"]
    assert sim.load_scenario(path, allow_outside_targets=True).name == BASE["name"]


# --------------------------------------------------------------------------- item 6: alias amplification by size


def _aliased(count: int, size: int, where: str) -> str:
    """The default scenario with ``count`` aliases of one ``size``-character description: as the
    texts of actions, or in a list in a free-form action option (whatever their place, the
    reader refuses them before validation)."""
    text = yaml.safe_dump({k: v for k, v in BASE.items() if k != "description"}, sort_keys=False)
    if where == "actions":
        items = "".join("  - {type: talk, option: {text: *big}}\n" for _ in range(count))
    else:
        items = "  - {type: talk, option: {text: hi, notes: [" + ", ".join(["*big"] * count) + "]}}\n"
    assert "  actions:\n" in text
    text = text.replace("  actions:\n", "  actions:\n" + items, 1)
    return f"description: &big {'x' * size}\n" + text


@pytest.mark.slow
@pytest.mark.parametrize("count, size, where", [(998, 1_900_000, "actions"), (150_000, 20_000, "options")])
def test_aliases_that_expand_to_gigabytes_are_refused_cheaply(capsys, tmp_path, count, size, where):
    """A 1.9 MB file whose aliases repeat a long string: few values, but gigabytes once a dump or
    hash writes it out. Refused before any Python object is built, in little memory."""
    import tracemalloc

    text = _aliased(count, size, where)
    path = tmp_path / "amp.yaml"
    assert len(text) < 2_000_000
    path.write_text(text)
    tracemalloc.start()
    try:
        rc, lines = validate(capsys, path)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert rc == 2 and len(lines) == 1, lines
    assert "through its aliases" in lines[0] and str(path) in lines[0]
    assert peak < 200e6, peak


def test_anchors_in_ordinary_use_still_load(tmp_path):
    text = yaml.safe_dump(BASE, sort_keys=False)
    text = text.replace("  talk_time:\n", "  talk_time: &talk\n", 1)
    data = yaml.safe_load(text)
    data["population"]["machine_talk_time"] = data["agents"][0]["talk_time"]
    out = yaml.safe_dump(data, sort_keys=False)  # PyYAML writes the shared object as &id001 / *id001
    assert "*id001" in out
    path = tmp_path / "a.yaml"
    path.write_text(out)
    assert load_scenario(path).population.machine_talk_time == load_scenario(path).agents[0].talk_time


# --------------------------------------------------------------------------- the opt-in on the command line and in sim.run


@pytest.mark.parametrize("command", ["validate", "run", "baseline", "check", "tune"])
def test_every_command_that_loads_scenarios_has_the_opt_in(capsys, command):
    with pytest.raises(SystemExit):
        main([command, "--help"])
    out = capsys.readouterr().out
    assert "--allow-outside-targets" in out and "scenario file's folder" in " ".join(out.split())


def test_allow_outside_targets_on_the_command_line(capsys, tmp_path):
    (tmp_path / "lists").mkdir()
    (tmp_path / "lists" / "t.csv").write_text("destination_0\n1\n2\n")
    path = scenario_file(tmp_path / "scn", "../lists/t.csv")
    assert "outside the scenario's folder" in refused(capsys, path)
    rc, lines = validate(capsys, path, "--allow-outside-targets")
    assert rc == 0, lines


def test_sim_run_takes_a_path_and_the_opt_in(tmp_path):
    (tmp_path / "lists").mkdir()
    (tmp_path / "lists" / "t.csv").write_text("destination_0\n" + "1\n" * 50)
    path = scenario_file(tmp_path / "scn", "../lists/t.csv")
    with pytest.raises(ScenarioError, match="outside the scenario's folder"):
        sim.run(path, service_levels=[100], replications=1)
    result = sim.run(str(path), service_levels=[100], replications=1, horizon=600, allow_outside_targets=True)
    assert len(result.replications) == 1 and result.failures == []


def test_sim_run_checks_a_horizon_it_is_given():
    """``sim.run(horizon=...)`` changes the horizon after validation: the same bounds apply."""
    scn = load_scenario(ROOT / "scenarios" / "default.yaml", ["timeseries_interval=1s"])
    with pytest.raises(ScenarioError, match="at most 100,000 time-series intervals"):
        sim.run(scn, service_levels=[100], replications=1, horizon=30 * 86400)
    with pytest.raises(ScenarioError, match="expected a horizon above 0"):
        sim.run(scn, service_levels=[100], replications=1, horizon=-5)


def test_home_folder_that_cannot_be_found(capsys, tmp_path):
    msg = refused(capsys, scenario_file(tmp_path, "~no-such-user-here/t.csv"))
    assert ": outdials[0].targets: cannot find the home folder" in msg


@pytest.mark.parametrize("command", [["run"], ["validate"], ["check", str(ROOT / "scenarios" / "default.yaml"), "--baseline"]])
def test_a_name_over_the_system_limit_on_the_command_line(capsys, tmp_path, command):
    rc = main([*command, str(tmp_path / ("a" * 300 + ".yaml"))])
    err = capsys.readouterr().err
    assert rc == 2 and "Traceback" not in err and "too long" in err and len(err.strip().splitlines()) == 1, err


def test_symbolic_link_loop(capsys, tmp_path):
    (tmp_path / "a.csv").symlink_to(tmp_path / "b.csv")
    (tmp_path / "b.csv").symlink_to(tmp_path / "a.csv")
    msg = refused(capsys, scenario_file(tmp_path, "a.csv"))
    assert ": outdials[0].targets: cannot read the CSV file" in msg and "too many symbolic links" in msg


def test_a_problem_path_the_line_finder_cannot_shorten_does_not_hang():
    """A validation problem whose path ends in something that is neither ``.name`` nor ``[n]``
    (pydantic names union members like ``list[Action]``) once made the line finder loop for
    ever; it must find the nearest line above it and return."""
    from sim.scenario.errors import Problem
    from sim.scenario.load import _place

    lines = {("queues",): 7}
    placed = _place([Problem("s.yaml", "queues[0].wait_flow.list[Action]", "bad", None, False, None, "")], lines, {})
    assert len(placed) == 1 and placed[0].line in (7, None)
