"""The `import` and `fit` commands and `run --voipbin-records`: exit codes, messages, files written."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from sim.cli import main
from sim.scenario.load import load_scenario, parse_scenario

ROOT = Path(__file__).resolve().parents[1]
EXAMPLE = ROOT / "examples" / "voipbin"


def test_import_writes_a_scenario_that_runs(tmp_path, capsys):
    out = tmp_path / "march.yaml"
    assert main(["import", str(EXAMPLE / "account"), "-o", str(out), "--campaign", "march-renewals"]) == 0
    captured = capsys.readouterr()
    assert "wrote" in captured.out and "behaviour assumed" in captured.out
    assert "note: skipped campaign" in captured.err
    scn = load_scenario(out)
    # the queue's wait flow (talk, sleep 10 s) is imported since the scenario has queues[].wait_flow
    assert [a.type for a in scn.queues[0].wait_flow] == ["talk", "sleep"]
    assert (tmp_path / "march.targets.csv").is_file() and len(scn.target_masks["renewals-march"]) == 400
    assert main(["run", str(out), "--horizon", "10m", "--replications", "1", "--format", "json"]) == 0
    # an existing output is refused without --force, and nothing is touched
    before = out.read_text()
    assert main(["import", str(EXAMPLE / "account"), "-o", str(out)]) == 2
    assert "exists; pass --force" in capsys.readouterr().err
    assert out.read_text() == before
    assert main(["import", str(EXAMPLE / "account"), "-o", str(out), "--force"]) == 0


@pytest.mark.parametrize("command", ["import", "fit"])
def test_bad_records_exit_2_with_file_and_index(tmp_path, capsys, command):
    """A record with an unknown status: exit code 2, the file and result[i].field named, no
    traceback, nothing written."""
    folder = tmp_path / "in"
    folder.mkdir()
    for f in (EXAMPLE / "account").glob("*.json"):
        (folder / f.name).write_text(f.read_text())
    doc = json.loads((EXAMPLE / "records" / "campaigncalls.json").read_text())
    doc["result"][5]["status"] = "ringing"
    (folder / "campaigncalls.json").write_text(json.dumps(doc))
    out = tmp_path / "out.yaml"
    args = ["import", str(folder), "-o", str(out)] if command == "import" else ["fit", str(folder), "-o", str(out)]
    assert main(args) == 2
    err = capsys.readouterr().err
    assert f"{folder / 'campaigncalls.json'}: result[5].status: unknown value" in err
    assert "Traceback" not in err
    assert list(tmp_path.iterdir()) == [folder]


def test_voipbin_records_needs_out(capsys):
    assert main(["run", "--voipbin-records", "--horizon", "1m"]) == 2
    assert "--voipbin-records writes into the results folder" in capsys.readouterr().err


@pytest.mark.slow
def test_round_trip_on_the_command_line(tmp_path):
    """pacing-sim run --out DIR --voipbin-records, then pacing-sim fit on a run's folder: the fitted
    blocks validate inside the scenario and the report is drawn."""
    def cli(*args):
        return subprocess.run([sys.executable, "-m", "sim", *args], cwd=ROOT, capture_output=True, text=True, check=False)

    res = cli("run", "tests/data/voipbin-roundtrip.yaml", "--horizon", "1h", "--out", str(tmp_path / "rt"), "--voipbin-records")
    assert res.returncode == 0, res.stderr
    folder = tmp_path / "rt" / "voipbin" / "voipbin-roundtrip" / "sl150-r0"
    assert {p.name for p in folder.iterdir()} >= {"calls.json", "campaigncalls.json", "queuecalls.json", "campaigns.json"}
    res = cli("fit", str(folder), "-o", str(tmp_path / "fitted.yaml"), "--report", str(tmp_path / "rep"), "--format", "json")
    assert res.returncode == 0, res.stderr
    values = json.loads(res.stdout)
    assert {"population.ring_time.mean", "population.patience.mean", "agents.talk_time.mean"} <= set(values)
    assert (tmp_path / "rep" / "report.html").is_file() and (tmp_path / "rep" / "plots" / "population_patience.png").is_file()
    fitted = yaml.safe_load((tmp_path / "fitted.yaml").read_text())
    data = yaml.safe_load((ROOT / "tests/data/voipbin-roundtrip.yaml").read_text())
    data.update(population=fitted["population"], agents=fitted["agents"])
    assert parse_scenario(data, "fitted").agents[0].count == 25
