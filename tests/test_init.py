"""``pacing-sim init`` and ``pacing-sim scenarios``: a starter scenario a newcomer can edit."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

import sim
from sim.cli import main
from sim.scenario import reference
from sim.scenario.library import bundled, find

ROOT = Path(__file__).resolve().parent.parent


def test_every_scenario_of_the_repository_is_bundled_byte_for_byte():
    """``pip install .`` users get the library: sim/_bundled/ holds a copy of scenarios/."""
    src = sorted(p.relative_to(ROOT / "scenarios") for p in (ROOT / "scenarios").rglob("*") if p.is_file())
    dst = sorted(p.relative_to(ROOT / "sim" / "_bundled") for p in (ROOT / "sim" / "_bundled").rglob("*") if p.is_file())
    assert src == dst, "copy scenarios/ into sim/_bundled/: rm -r sim/_bundled && cp -r scenarios sim/_bundled"
    for rel in src:
        assert (ROOT / "scenarios" / rel).read_bytes() == (ROOT / "sim" / "_bundled" / rel).read_bytes(), rel


def test_scenarios_lists_every_bundled_one(capsys):
    assert main(["scenarios"]) == 0
    out = capsys.readouterr().out
    for p in (ROOT / "scenarios").glob("*.yaml"):
        assert p.stem in out
    assert main(["scenarios", "--format", "json"]) == 0
    doc = json.loads(capsys.readouterr().out)
    assert doc[0]["key"] == "default" and all({"key", "name", "description", "path"} <= set(d) for d in doc)


def test_from_takes_a_unique_prefix_and_names_the_choices():
    assert find("cold-list").key == "cold-list-purchased"
    with pytest.raises(KeyError, match="one of: default"):
        find("nonexistent")


@pytest.mark.parametrize("key", [b.key for b in bundled()])
def test_init_writes_a_commented_scenario_that_validates_and_equals_its_source(key, tmp_path, monkeypatch, capsys):
    """Every field written out and commented; loading it gives the bundled scenario (renamed)."""
    monkeypatch.chdir(tmp_path)
    assert main(["init", "mine", "--from", key]) == 0
    text = (tmp_path / "mine.yaml").read_text(encoding="utf-8")
    mine = sim.load_scenario(tmp_path / "mine.yaml")
    src = sim.load_scenario(find(key).path)
    assert mine.name == "mine"
    assert mine.model_dump(exclude={"name"}) == src.model_dump(exclude={"name"})
    lines = text.splitlines()
    keyed = [i for i, line in enumerate(lines) if line.strip() and not line.lstrip().startswith("#")
             and ":" in line and not line.lstrip().startswith("- {")]
    for i in keyed:  # every key line is preceded by its comment
        assert lines[i - 1].lstrip().startswith("#"), f"no comment above line {i + 1}: {lines[i]}"
    assert "[duration]" in text and "[fraction, ≥ 0, ≤ 1]" in text
    assert main(["validate", "mine.yaml"]) == 0


def test_init_refuses_an_existing_file_unless_forced(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    assert main(["init"]) == 0
    assert (tmp_path / "scenario.yaml").is_file()
    before = (tmp_path / "scenario.yaml").read_text()
    (tmp_path / "scenario.yaml").write_text("# mine\n" + before)
    assert main(["init"]) == 2
    assert "already exists" in capsys.readouterr().err
    assert (tmp_path / "scenario.yaml").read_text().startswith("# mine")
    assert main(["init", "--force"]) == 0
    assert (tmp_path / "scenario.yaml").read_text() == before


def test_init_with_a_csv_target_list_copies_the_list(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert main(["init", "crm", "--from", "csv-target-list"]) == 0
    sim.load_scenario(tmp_path / "crm.yaml")
    assert any((tmp_path / "data").glob("*.csv"))


def test_init_bad_input_is_exit_2_and_writes_nothing(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    assert main(["init", "x", "--from", "nope"]) == 2
    assert main(["init", "missing/x"]) == 2
    err = capsys.readouterr().err
    assert "no bundled scenario 'nope'" in err and "does not exist" in err
    assert list(tmp_path.iterdir()) == []


def test_the_starter_uses_the_reference_meanings():
    text = (ROOT / reference.DOC_PATH).read_text(encoding="utf-8")
    assert reference.FIELD_DOCS["AgentGroup.wrap_up"] in text
