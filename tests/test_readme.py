"""Every command of the README and of examples/ runs as written, on a copy of the repository.

The README's ```bash blocks run in order with ``bash -e`` in a fresh copy of the tracked files
(a fresh clone, without the git history), with ``pacing-sim`` on PATH running this tree's code
and ``PACING_SIM_QUICK=1`` (30-minute horizon, 2 replications: the commands are the same, the
runs shorter). Its ```python blocks run as a script in the same copy. The ```sh blocks are the
installation, which ``.ci/run`` performs itself. Then examples/ci/run-check.sh and the commands of
examples/ci/pacing-check.yml run against the baseline the tour wrote.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parent.parent
README = ROOT / "README.md"

pytestmark = pytest.mark.slow


def blocks(text: str, lang: str) -> list[str]:
    return re.findall(rf"^```{lang}\n(.*?)^```", text, re.MULTILINE | re.DOTALL)


def fresh_copy(dest: Path) -> Path:
    out = subprocess.run(["git", "ls-files"], cwd=ROOT, capture_output=True, text=True, check=False)
    if out.returncode != 0:
        pytest.skip("not a git checkout")
    for name in out.stdout.splitlines():
        src = ROOT / name
        if src.is_file():
            (dest / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(src, dest / name)
    return dest


def environment(tmp: Path, repo: Path) -> dict[str, str]:
    """``pacing-sim`` on PATH as this interpreter running the copy's code."""
    bindir = tmp / "bin"
    bindir.mkdir()
    shim = bindir / "pacing-sim"
    shim.write_text(f'#!/bin/sh\nexec "{sys.executable}" -m sim "$@"\n')
    shim.chmod(0o755)
    env = dict(os.environ, PATH=f"{bindir}{os.pathsep}{os.environ['PATH']}", PYTHONPATH=str(repo),
               PACING_SIM_QUICK="1", MPLBACKEND="Agg")
    env.pop("PACING_SIM_REQUIRE_BROWSER", None)
    return env


def run_bash(script: str, cwd: Path, env: dict[str, str]) -> subprocess.CompletedProcess:
    return subprocess.run(["bash", "-e", "-o", "pipefail", "-c", script], cwd=cwd, env=env, capture_output=True,
                          text=True, timeout=1800, check=False)


@pytest.fixture(scope="module")
def tour(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("readme")
    repo = fresh_copy(tmp / "clone")
    env = environment(tmp, repo)
    return repo, env


def test_readme_has_runnable_blocks():
    text = README.read_text(encoding="utf-8")
    assert len(blocks(text, "bash")) >= 3 and blocks(text, "python")
    assert not re.search(r"spring-promo|my\.yaml", text)


def test_readme_bash_blocks_run_as_written(tour):
    repo, env = tour
    for i, block in enumerate(blocks(README.read_text(encoding="utf-8"), "bash")):
        proc = run_bash(block, repo, env)
        assert proc.returncode == 0, f"README bash block {i + 1} failed ({proc.returncode}):\n{block}\n{proc.stderr[-3000:]}"
    assert (repo / "baselines" / "my-campaign.json").is_file()
    assert (repo / "reports" / "pacing.xml").is_file()


def test_readme_python_blocks_run(tour):
    repo, env = tour
    for i, block in enumerate(blocks(README.read_text(encoding="utf-8"), "python")):
        proc = subprocess.run([sys.executable, "-c", block], cwd=repo, env=env, capture_output=True, text=True,
                              timeout=1800, check=False)
        assert proc.returncode == 0, f"README python block {i + 1} failed:\n{block}\n{proc.stderr[-3000:]}"


@pytest.fixture(scope="module")
def examples_clone(tmp_path_factory):
    """Another fresh copy (the tour's baselines would be checked too), with a baseline of the
    default scenario as examples/ci expects: scenarios/<name>.yaml and baselines/<name>.json."""
    tmp = tmp_path_factory.mktemp("examples")
    repo = fresh_copy(tmp / "clone")
    env = environment(tmp, repo)
    proc = run_bash("mkdir -p baselines && pacing-sim baseline scenarios/default.yaml -o baselines/default.json", repo, env)
    assert proc.returncode == 0, proc.stderr[-2000:]
    return repo, env


def test_example_ci_script_runs_on_this_repository(examples_clone):
    """examples/ci/run-check.sh against that baseline: exit 0, a JUnit report."""
    repo, env = examples_clone
    proc = run_bash("bash examples/ci/run-check.sh", repo, env)
    assert proc.returncode == 0, proc.stdout[-2000:] + proc.stderr[-2000:]
    assert (repo / "reports" / "default.xml").is_file()


def test_example_workflow_commands_run(examples_clone):
    """The pacing-sim commands of examples/ci/pacing-check.yml, for each scenario of its matrix."""
    repo, env = examples_clone
    wf = yaml.safe_load((repo / "examples" / "ci" / "pacing-check.yml").read_text(encoding="utf-8"))
    job = wf["jobs"]["pacing"]
    names = job["strategy"]["matrix"]["scenario"]
    steps = [s["run"] for s in job["steps"] if "run" in s and "pacing-sim " in s["run"] and "pip install" not in s["run"]]
    assert steps
    for name in names:
        assert (repo / "scenarios" / f"{name}.yaml").is_file(), name
        for cmd in steps:
            cmd = cmd.replace("${{ matrix.scenario }}", name)
            proc = run_bash("mkdir -p baselines reports && " + " ".join(cmd.split()), repo, env)
            assert proc.returncode == 0, f"{cmd}\n{proc.stderr[-2000:]}"
