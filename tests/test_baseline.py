"""The regression guard: baseline files, the check's tests and exit codes, the false-alarm rate."""

from __future__ import annotations

import json
import math
import xml.etree.ElementTree as ET

import numpy as np
import pytest
from scipy import stats

import sim
from sim.baseline import (
    BaselineError,
    compare,
    holm,
    make_baseline,
    maxt_adjusted,
    paired,
    read_baseline,
    run_experiment,
    welch,
    write_baseline,
)
from sim.cli import main
from sim.metrics import HEADLINE

SMALL = ["--horizon", "30m", "--replications", "5", "--service-levels", "100,400"]


@pytest.fixture(scope="module")
def base_file(tmp_path_factory):
    path = tmp_path_factory.mktemp("baseline") / "base.json"
    assert main(["baseline", "tests/data/golden_scenario.yaml", "-o", str(path), *SMALL]) == 0
    return path


def check(base_file, *extra) -> int:
    return main(["check", "tests/data/golden_scenario.yaml", "--baseline", str(base_file), *SMALL, *extra])


# ----------------------------------------------------------------------------- the file


def test_baseline_holds_statistics_versions_and_the_resolved_scenario(base_file):
    doc = read_baseline(base_file)
    assert doc["seed"] == 42 and doc["replications"] == 5 and doc["service_levels"] == [100, 400]
    assert doc["versions"]["pacing_sim"] == sim.__version__ and doc["versions"]["engine"] == sim.ENGINE_VERSION
    assert doc["scenario"]["hash"].startswith("sha256:") and doc["scenario"]["content"]["horizon"] == 1800
    occ = doc["results"][0]["metrics"]["occupancy"]
    assert occ["n"] == 5 and len(occ["values"]) == 5
    assert occ["mean"] == pytest.approx(np.mean(occ["values"]))
    assert occ["var"] == pytest.approx(np.var(occ["values"], ddof=1))


# ----------------------------------------------------------------------------- exit codes


def test_check_against_its_own_baseline_passes_and_writes_junit(base_file, tmp_path, capsys):
    junit = tmp_path / "report.xml"
    assert check(base_file, "--junit-xml", str(junit)) == 0
    out = capsys.readouterr().out
    assert "no significant change" in out
    cases = ET.parse(junit).getroot().findall(".//testcase")
    assert len(cases) == len(HEADLINE) * 2
    assert {c.get("name") for c in cases} == set(HEADLINE)
    assert not ET.parse(junit).getroot().findall(".//failure")


def test_check_with_another_seed_passes(base_file, capsys):
    assert check(base_file, "--seed", "7") == 0
    captured = capsys.readouterr()
    assert "max-T" in captured.out and "seed 7" in captured.err


@pytest.mark.parametrize("change, metric", [
    (["--set", "agents.0.count=22"], "throughput_per_hour"),
    (["--set", "agents.0.talk_time.mean=210s"], "throughput_per_hour"),
    (["--set", "population.outcome.0.human=0.19", "--set", "population.outcome.0.no_answer=0.65"], None),
])
def test_a_modest_change_fails_and_names_the_metric(base_file, tmp_path, capsys, change, metric):
    junit = tmp_path / "report.xml"
    assert check(base_file, *change, "--junit-xml", str(junit)) == 1
    captured = capsys.readouterr()
    assert "significant change" in captured.out
    assert "the scenario differs from the baseline's" in captured.err
    failed = {c.get("name") for c in ET.parse(junit).getroot().findall(".//testcase") if c.find("failure") is not None}
    assert failed, "no test case failed"
    if metric:
        assert metric in failed and f"{metric} at service level" in captured.out


def test_corrupt_missing_or_incomparable_baselines_exit_2(base_file, tmp_path, capsys):
    cases = {
        "missing.json": None,
        "garbage.json": "{not json",
        "other.json": json.dumps({"hello": "world"}),
        "truncated.json": base_file.read_text()[:500],
    }
    doc = json.loads(base_file.read_text())
    doc["results"][0]["metrics"]["occupancy"]["mean"] = "high"
    cases["wrong-type.json"] = json.dumps(doc)
    for name, text in cases.items():
        path = tmp_path / name
        if text is not None:
            path.write_text(text)
        assert check(path) == 2, name
        err = capsys.readouterr().err
        assert "Traceback" not in err and str(path) in err, (name, err)
    # other service levels
    assert main(["check", "tests/data/golden_scenario.yaml", "--baseline", str(base_file), "--horizon", "30m",
                 "--replications", "5", "--service-levels", "100,200"]) == 2
    assert "service levels" in capsys.readouterr().err
    # a metric the baseline lacks
    doc = json.loads(base_file.read_text())
    for r in doc["results"]:
        del r["metrics"]["dials_per_hour"]
    path = tmp_path / "old.json"
    path.write_text(json.dumps(doc))
    assert check(path) == 2
    assert "dials_per_hour" in capsys.readouterr().err


# ----------------------------------------------------------------------------- the statistics


def test_welch_and_paired_agree_with_scipy():
    rng = np.random.default_rng(3)
    a, b = rng.normal(0, 1, 7), rng.normal(0.5, 2, 9)
    t, p = welch(a.mean(), a.var(ddof=1), 7, b.mean(), b.var(ddof=1), 9)
    ref = stats.ttest_ind(b, a, equal_var=False)
    assert t == pytest.approx(ref.statistic) and p == pytest.approx(ref.pvalue)
    c = a + rng.normal(0.1, 0.3, 7)
    t, p, k = paired(a, c)
    ref = stats.ttest_rel(c, a)
    assert k == 7 and t == pytest.approx(ref.statistic) and p == pytest.approx(ref.pvalue)
    assert welch(1.0, 0.0, 5, 1.0, 0.0, 5) == (0.0, 1.0)
    assert welch(1.0, 0.0, 5, 2.0, 0.0, 5)[1] == 0.0
    assert paired([1, 2, 3], [1, 2, 3])[:2] == (0.0, 1.0)


def test_holm_steps_down():
    assert holm([0.01, 0.04, 0.03, math.nan]) == pytest.approx([0.03, 0.06, 0.06, math.nan], nan_ok=True)


def test_maxt_is_exact_under_the_null_and_sees_a_shift():
    rng = np.random.default_rng(0)
    alarms = 0
    for _ in range(200):
        common = rng.normal(size=(10, 1))  # strongly correlated tests, as the metrics of one run are
        z = common + 0.3 * rng.normal(size=(10, 6))
        alarms += bool((maxt_adjusted(z[:5], z[5:]) <= 0.05).any())
    assert 3 <= alarms <= 20, alarms  # about 5 % of 200, where Bonferroni would give far fewer
    x, y = rng.normal(size=(6, 3)), rng.normal(size=(6, 3))
    y[:, 1] += 3
    adj = maxt_adjusted(x, y)
    assert adj[1] <= 0.05 and adj[0] > 0.05


@pytest.mark.slow
def test_false_alarm_rate_over_independent_seeds_is_near_alpha():
    """20 checks of an unchanged model, each against a baseline of another seed (small runs)."""
    opts = ["horizon=20m", "replications=5", "service_levels=[100, 300]"]
    runs = {}
    for seed in range(40):
        scn = sim.load_scenario("tests/data/golden_scenario.yaml", opts + [f"seed={1000 + seed}"])
        runs[seed] = (scn, run_experiment(scn))
    alarms = 0
    for k in range(20):
        (a, va), (b, vb) = runs[2 * k], runs[2 * k + 1]
        doc = json.loads(json.dumps(make_baseline(a, va), default=float).replace("NaN", "null"))
        report = compare(doc, b, vb)
        assert report.correction == "maxt" and report.test == "welch"
        alarms += not report.passed
    # alpha 0.05: 1 expected; P(4 or more | 0.05) = 1.6 %
    assert alarms <= 3, f"{alarms} false alarms in 20 checks at alpha 0.05"


def test_write_is_atomic_and_readable(tmp_path):
    scn = sim.load_scenario("tests/data/golden_scenario.yaml", ["horizon=10m", "replications=2", "service_levels=[0, 100]"])
    doc = make_baseline(scn, run_experiment(scn))
    path = write_baseline(doc, tmp_path / "sub" / "b.json")
    assert read_baseline(path)["results"][0]["metrics"]["abandon_rate"]["values"] == [None, None]
    assert [p.name for p in path.parent.iterdir()] == ["b.json"]
    with pytest.raises(BaselineError):
        read_baseline(tmp_path / "nothing.json")


# ----------------------------------------------------------------------------- the CI example


def test_example_workflow_parses_and_uses_real_options():
    from pathlib import Path

    import yaml

    from sim.cli import build_parser

    doc = yaml.safe_load(Path("examples/ci/pacing-check.yml").read_text())
    steps = doc["jobs"]["pacing"]["steps"]
    command = next(s["run"] for s in steps if "pacing-sim check" in str(s.get("run", "")))
    args = command.replace("${{ matrix.scenario }}", "x").split()[1:]
    assert build_parser().parse_args(args).command == "check"


@pytest.mark.slow
def test_example_ci_script_exit_codes(tmp_path):
    import os
    import shutil
    import subprocess
    import sys
    from pathlib import Path

    if shutil.which("bash") is None:
        pytest.skip("no bash")
    (tmp_path / "scenarios").mkdir()
    (tmp_path / "baselines").mkdir()
    text = Path("tests/data/golden_scenario.yaml").read_text()
    text = text.replace("horizon: 8h", "horizon: 10m").replace("replications: 10", "replications: 3")
    text = text.replace("service_levels: [50, 100, 150, 200, 300]", "service_levels: [100, 200]")
    (tmp_path / "scenarios" / "s.yaml").write_text(text)
    env = dict(os.environ, PATH=f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}")
    script = str(Path("examples/ci/run-check.sh").resolve())
    assert main(["baseline", str(tmp_path / "scenarios" / "s.yaml"), "-o", str(tmp_path / "baselines" / "s.json")]) == 0
    run = subprocess.run(["bash", script], cwd=tmp_path, env=env, capture_output=True, text=True, check=False)
    assert run.returncode == 0, run.stderr
    assert (tmp_path / "reports" / "s.xml").is_file()
    (tmp_path / "baselines" / "s.json").write_text("{")
    run = subprocess.run(["bash", script], cwd=tmp_path, env=env, capture_output=True, text=True, check=False)
    assert run.returncode == 2 and "not a pacing-sim baseline" in run.stderr


def test_content_diff_names_paths_and_ignores_unset_new_fields():
    from sim.baseline import content_diff

    old = {"agents": [{"count": 20, "talk_time": {"mean": 180}}], "engine": {"profile": "voipbin"}}
    new = {"agents": [{"count": 22, "talk_time": {"mean": 180}}], "engine": {"profile": "voipbin", "x": None},
           "extra": 1}
    assert content_diff(old, new) == ["agents.0.count: 20 -> 22", "extra: (absent) -> 1"]


# --------------------------------------------------------------------------- the baseline's experiment


def test_check_runs_the_baselines_experiment_not_the_files(tmp_path, capsys):
    """A baseline made with --horizon 20m --replications 2 --service-levels 100: a bare check
    runs exactly that (not the file's 8 h x 10 x five levels) and passes with identical numbers."""
    from sim.cli import main

    base = tmp_path / "b.json"
    assert main(["baseline", "scenarios/default.yaml", "-o", str(base), "--horizon", "20m", "--replications", "2",
                 "--service-levels", "100"]) == 0
    capsys.readouterr()
    assert main(["check", "scenarios/default.yaml", "--baseline", str(base), "--format", "json"]) == 0
    doc = json.loads(capsys.readouterr().out)
    assert {r["service_level"] for r in doc["results"]} == {100}
    assert all(r["now"]["n"] == 2 and r["now"]["mean"] == r["baseline"]["mean"] for r in doc["results"])


@pytest.mark.parametrize("option", [["--horizon", "30m"], ["--service-levels", "50,100"], ["--set", "warmup=5m"]])
def test_check_options_that_contradict_the_baseline_are_exit_2(option, tmp_path, capsys):
    from sim.cli import main

    base = tmp_path / "b.json"
    assert main(["baseline", "scenarios/default.yaml", "-o", str(base), "--horizon", "20m", "--replications", "2",
                 "--service-levels", "100"]) == 0
    capsys.readouterr()
    assert main(["check", "scenarios/default.yaml", "--baseline", str(base), *option]) == 2
    err = capsys.readouterr().err
    assert "cannot compare: the baseline ran" in err and err.count("\n") == 1, err


def test_baseline_refuses_an_existing_file_and_a_missing_folder(tmp_path, capsys):
    from sim.cli import main

    base = tmp_path / "b.json"
    base.write_text("{}")
    args = ["scenarios/default.yaml", "--horizon", "10m", "--replications", "2", "--service-levels", "100"]
    assert main(["baseline", *args, "-o", str(base)]) == 2
    assert "already exists; pass --force" in capsys.readouterr().err and base.read_text() == "{}"
    assert main(["baseline", *args, "-o", str(tmp_path / "nowhere" / "b.json")]) == 2
    assert "does not exist" in capsys.readouterr().err and not (tmp_path / "nowhere").exists()
    assert main(["baseline", *args, "-o", str(base), "--force"]) == 0
    assert json.loads(base.read_text())["format"]
