"""The results package: what invalidates kept runs (by the imports, not a list), each kept run read
once on resume, and no import back from ``sim.results`` into ``sim.experiment``."""

from __future__ import annotations

import ast
import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

import sim
from sim import results
from sim.results import checkpoint as checkpoint_mod
from sim.results.runs import fingerprint_files, run_modules

ROOT = Path(__file__).resolve().parents[1]
DEFAULT = ROOT / "scenarios" / "default.yaml"


def test_run_modules_are_the_engine_side_not_the_output_side():
    mods = set(run_modules())
    for name in ("sim.experiment", "sim.engine.simulation", "sim.engine.call", "sim.metrics", "sim.rng",
                 "sim.world.distributions", "sim.scenario.schema", "sim.stats", "sim"):
        assert name in mods, f"{name} computes runs but is not in the code fingerprint"
    for name in mods:
        assert not name.startswith(("sim.cli", "sim.results", "sim.plots", "sim.report", "sim.baseline",
                                    "sim.tune", "sim.__main__")), f"{name} does not compute runs"


@pytest.mark.slow
def test_every_module_a_run_loads_is_in_the_fingerprint():
    """What a real run imports (in a fresh interpreter) is what the fingerprint follows: a lazy
    import added to the engine, which the static walk cannot see, makes this fail."""
    code = (
        "import sys, sim\n"
        "from sim.experiment import Task, run_task\n"
        f"scn = sim.load_scenario({str(DEFAULT)!r}, ['horizon=\"10m\"'])\n"
        "out = run_task(scn, Task(0, 100, 0), keep_calls=True)\n"
        "assert out.error is None, out.error\n"
        "print('\\n'.join(sorted(m for m in sys.modules if m == 'sim' or m.startswith('sim.'))))\n"
    )
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, timeout=120)
    assert proc.returncode == 0, proc.stderr
    loaded = set(proc.stdout.split())
    assert loaded, "no sim module loaded?"
    assert loaded <= set(run_modules()), f"loaded by a run, not fingerprinted: {sorted(loaded - set(run_modules()))}"


def _copy_package(tmp_path: Path) -> Path:
    root = tmp_path / "sim"
    shutil.copytree(ROOT / "sim", root, ignore=shutil.ignore_patterns("__pycache__"))
    return root


def test_fingerprint_follows_imports_not_a_list_of_names(tmp_path):
    root = _copy_package(tmp_path)

    def fp() -> str:
        return fingerprint_files(root, run_modules(root))

    before = fp()
    (root / "plots.py").write_text((root / "plots.py").read_text() + "\n# a change to the plots\n")
    (root / "report.py").write_text((root / "report.py").read_text() + "\n# a change to the report\n")
    (root / "newthing.py").write_text("X = 1\n")  # a new module nothing of a run imports
    assert fp() == before, "the plots, the report and unused modules must not invalidate kept runs"

    (root / "engine" / "helper.py").write_text("FACTOR = 2\n")
    assert fp() == before
    sim_py = root / "engine" / "simulation.py"
    sim_py.write_text(sim_py.read_text().replace("import simpy\n", "import simpy\n\nfrom sim.engine import helper\n", 1))
    changed = fp()
    assert changed != before, "a new module the engine imports must invalidate kept runs"
    (root / "engine" / "helper.py").write_text("FACTOR = 3\n")
    assert fp() != changed, "a change to that new module must invalidate kept runs"


def _imports(path: Path) -> set[str]:
    found = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            found.update(a.name for a in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            found.add(node.module)
            found.update(f"{node.module}.{a.name}" for a in node.names)
    return found


def test_results_never_imports_the_experiment():
    for path in sorted((ROOT / "sim" / "results").glob("*.py")):
        assert "sim.experiment" not in _imports(path), f"{path.name} imports sim.experiment (an import circle)"


def test_resume_reads_each_kept_run_once(tmp_path, monkeypatch):
    monkeypatch.setattr(results, "render", lambda folder: [])
    scn = sim.load_scenario(DEFAULT, ['horizon="10m"', "replications=2", "service_levels=[50, 150]"])
    out = tmp_path / "out"

    class Stop(Exception):
        pass

    def stop_after_two(o, seen=[]):
        seen.append(o)
        if len(seen) == 2:
            raise Stop

    with pytest.raises(Stop):
        sim.run(scn, out=out, on_result=stop_after_two)
    reads: list[str] = []
    real = checkpoint_mod.np.load

    def counting_load(file, *a, **k):
        reads.append("x")
        return real(file, *a, **k)

    monkeypatch.setattr(checkpoint_mod.np, "load", counting_load)
    result = sim.run(scn, out=out)
    assert sum(o.reused for o in result.outputs) == 2
    assert len(reads) == 2, f"{len(reads)} reads of 2 kept runs"
    prov = json.loads((out / "provenance.json").read_text())
    assert prov["runs"]["reused_from_partial"] == 2
