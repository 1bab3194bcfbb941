"""Every file in ``scenarios/`` validates, says what it is and where its numbers come from, and runs.

Each scenario runs through the command line's entry point (``pacing-sim run FILE --horizon 10m
--replications 1 --format json``) and its JSON is checked against the contract's shape
(docs/results.md, "The `run` command").
"""

from __future__ import annotations

import json
import math
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from sim.cli import main
from sim.scenario import load_scenario

ROOT = Path(__file__).resolve().parents[1]
SCENARIOS = sorted((ROOT / "scenarios").glob("*.yaml"))
DATA = ROOT / "scenarios" / "data"

CONTRACT_METRICS = (
    "occupancy", "talk_utilization", "abandon_rate", "abandon_rate_regulatory", "throughput_per_hour",
    "dials_per_hour", "answer_rate", "mean_queue_wait", "p90_queue_wait", "agent_idle_between_calls",
    "stranded_calls", "list_penetration", "campaign_end_time", "max_live_calls",
)
RATES = ("occupancy", "talk_utilization", "abandon_rate", "abandon_rate_regulatory", "answer_rate", "list_penetration")
SUMMARY_KEYS = {"mean", "sd", "ci_low", "ci_high", "n"}


def test_the_library_has_the_scenarios_the_issue_asks_for():
    names = {p.stem for p in SCENARIOS}
    assert "default" in names
    assert len(names - {"default"}) >= 5, f"at least five scenarios besides the default, found {sorted(names)}"
    kinds = {load_scenario(p).name: load_scenario(p) for p in SCENARIOS}
    assert any(s.engine.profile == "documented" for s in kinds.values()), "a documented-profile twin"
    assert any(len(s.campaigns) >= 2 and len({c.queue for c in s.campaigns}) == 1 for s in kinds.values()), \
        "two campaigns sharing one queue"
    assert any(sum(a.count for a in s.agents) <= 5 for s in kinds.values()), "a small team"
    assert any(
        s.outplans[0].try_interval > 0 and sum(1 for n in s.outplans[0].max_try_count if n) >= 2 for s in kinds.values()
    ), "a warm list with retries over two destinations"


@pytest.mark.parametrize("path", SCENARIOS, ids=lambda p: p.name)
def test_scenario_starts_with_a_comment_citing_its_sources(path):
    text = path.read_text()
    assert text.startswith("#"), f"{path.name} must start with a comment saying what it represents"
    header = []
    for line in text.splitlines():
        if not line.startswith("#"):
            break
        header.append(line)
    assert len(header) >= 3, f"{path.name}: the opening comment is too short to say what and where from"
    assert "docs/domain.md" in "\n".join(header), f"{path.name}: the comment must cite docs/domain.md"


@pytest.mark.parametrize("path", SCENARIOS, ids=lambda p: p.name)
def test_scenario_validates(path, capsys):
    assert main(["validate", str(path)]) == 0, capsys.readouterr().err
    assert "ok" in capsys.readouterr().out


@pytest.mark.parametrize("path", SCENARIOS, ids=lambda p: p.name)
def test_scenario_runs_and_prints_the_contract_json(path, capsys, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)  # run from elsewhere: CSV paths are relative to the scenario file
    rc = main(["run", str(path), "--horizon", "10m", "--replications", "1", "--format", "json"])
    out, err = capsys.readouterr()
    assert rc == 0, err
    doc = json.loads(out)
    scn = load_scenario(path)
    assert set(doc) == {"scenario", "seed", "replications", "verdict", "results", "scenarios"}
    assert doc["scenarios"] == [{k: v for k, v in doc.items() if k != "scenarios"}]
    assert set(doc["verdict"]) >= {"metric", "limit", "recommended_service_level", "reason", "causes"}
    assert doc["scenario"] == scn.name and doc["seed"] == scn.seed and doc["replications"] == 1
    assert [r["service_level"] for r in doc["results"]] == scn.sweep_levels()
    for r in doc["results"]:
        assert set(r) == {"service_level", "metrics", "causes"}
        assert set(CONTRACT_METRICS) <= set(r["metrics"]), f"missing: {set(CONTRACT_METRICS) - set(r['metrics'])}"
        for name, s in r["metrics"].items():
            assert set(s) == SUMMARY_KEYS, f"{name}: {sorted(s)}"
            assert s["n"] in (0, 1), f"{name}: n={s['n']} with one replication"
            if s["mean"] is not None:
                assert isinstance(s["mean"], (int, float)) and math.isfinite(s["mean"])
                assert s["mean"] >= 0, f"{name} is negative: {s['mean']}"
        for name in RATES:
            mean = r["metrics"][name]["mean"]
            assert mean is None or 0 <= mean <= 1, f"{path.name} SL {r['service_level']}: {name} = {mean}"
        assert r["metrics"]["dials_per_hour"]["mean"] > 0, f"{path.name} SL {r['service_level']} placed no call"
    assert list(tmp_path.iterdir()) == [], "a run without --out writes nothing"


@pytest.mark.slow
def test_console_script_runs_a_library_scenario(tmp_path):
    """What a user types: the installed console script, outside the repository."""
    exe = shutil.which("pacing-sim", path=str(Path(sys.executable).parent)) or shutil.which("pacing-sim")
    cmd = [exe] if exe else [sys.executable, "-m", "sim"]
    path = ROOT / "scenarios" / "csv-target-list.yaml"
    proc = subprocess.run([*cmd, "run", str(path), "--horizon", "10m", "--replications", "1", "--format", "json",
                           "--service-levels", "100"], cwd=tmp_path, capture_output=True, text=True, timeout=120, check=False,
                          env=dict(os.environ, PYTHONWARNINGS="ignore"))
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout)["results"][0]["service_level"] == 100


def test_bundled_default_is_byte_identical_to_scenarios_default():
    bundled = ROOT / "sim" / "_bundled" / "default.yaml"
    assert bundled.read_bytes() == (ROOT / "scenarios" / "default.yaml").read_bytes(), \
        "sim/_bundled/default.yaml must be a copy of scenarios/default.yaml"


def test_documented_twin_has_the_default_numbers():
    default = load_scenario(ROOT / "scenarios" / "default.yaml")
    twins = [load_scenario(p) for p in SCENARIOS if p.stem != "default"]
    twins = [s for s in twins if s.engine.profile == "documented"]
    assert twins, "no documented-profile scenario"
    twin = twins[0]
    a, b = default.model_dump(), twin.model_dump()
    for d in (a, b):
        d.pop("name"), d.pop("description"), d["engine"].pop("profile")
    assert a == b, "the documented twin must differ from the default only in name, description and profile"
    assert twin.name != default.name


def test_data_files_are_used_and_small():
    used = set()
    for p in SCENARIOS:
        for od in yaml.safe_load(p.read_text()).get("outdials", []):
            if isinstance(od.get("targets"), str):
                target = (p.parent / od["targets"]).resolve()
                assert target.is_file(), f"{p.name}: {od['targets']} is missing"
                used.add(target)
    present = {f.resolve() for f in DATA.rglob("*") if f.is_file()} if DATA.exists() else set()
    assert present <= used, f"files in scenarios/data/ no scenario uses: {sorted(map(str, present - used))}"
    for f in present:
        assert f.stat().st_size < 200_000, f"{f.name} is large for a repository; keep example lists small"


def test_csv_scenario_loads_its_masks():
    path = ROOT / "scenarios" / "csv-target-list.yaml"
    scn = load_scenario(path)
    (od,) = scn.outdials
    masks = scn.target_masks[od.name]
    assert len(masks) == 2000
    # the list has targets with some numbers missing, and every number column is used
    assert len(set(masks)) > 1 and all(any(m >> i & 1 for m in masks) for i in range(3))


def _header(path: Path) -> str:
    lines = []
    for line in path.read_text().splitlines():
        if not line.startswith("#"):
            break
        lines.append(line.lstrip("# "))
    return " ".join(lines)


@pytest.mark.parametrize("path", SCENARIOS, ids=lambda p: p.name)
def test_a_greeting_before_the_queue_is_said_to_fail_the_regulators_clock(path, capsys, tmp_path, monkeypatch):
    """A library scenario whose campaigns play anything before the queue (a talk or an amd action:
    every one here outlasts the 3 s from the answer that the default regulatory block allows) says
    so in its opening comment, 100 % at every level, and names scenarios/default.yaml as the
    compliant set-up. A 3-hour run at its lowest level (both campaigns of the two-campaign file
    dialling; two replications) bears it out: every live answer is abandoned on the regulators'
    clock, the level fails, and most abandons are actions_before_queue."""
    scn = load_scenario(path)
    if not any(a.type != "queue_join" for c in scn.campaigns for a in c.actions):
        pytest.skip("nothing plays before the queue")
    header = _header(path)
    assert "abandon_rate_regulatory" in header and "100 %" in header and "every" in header, header
    assert "scenarios/default.yaml" in header, f"{path.name}: name the compliant set-up"
    monkeypatch.chdir(tmp_path)
    level = str(min(scn.sweep_levels()))
    rc = main(["run", str(path), "--horizon", "3h", "--replications", "2", "--service-levels", level,
               "--format", "json"])
    out, err = capsys.readouterr()
    assert rc == 0, err
    doc = json.loads(out)
    reg = doc["results"][0]["metrics"]["abandon_rate_regulatory"]
    assert reg["n"] == 2 and reg["mean"] == 1.0 and reg["sd"] == 0.0
    assert doc["verdict"]["recommended_service_level"] is None
    assert doc["verdict"]["causes"]["actions_before_queue"] > 0.5
