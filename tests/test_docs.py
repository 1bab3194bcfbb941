"""The project's own documentation: generated parts match their source, links resolve, and
nothing points outside the repository."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import pytest

from sim.scenario import reference

ROOT = Path(__file__).resolve().parent.parent
PAGES = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]


def test_scenario_reference_matches_the_schema():
    """docs/scenarios.md is generated from sim/scenario/schema.py; a schema change without
    regenerating it fails here."""
    committed = (ROOT / reference.DOC_PATH).read_text(encoding="utf-8")
    assert committed == reference.render(), f"{reference.DOC_PATH} is stale; regenerate it: {reference.REGENERATE}"


def test_every_scenario_field_has_a_meaning():
    missing = reference.missing_meanings()
    assert not missing, f"describe these fields in FIELD_DOCS (sim/scenario/reference.py) or in the schema: {missing}"


def test_scenario_reference_lists_every_field_with_default_and_limits():
    text = (ROOT / reference.DOC_PATH).read_text(encoding="utf-8")
    for needle in ("| `horizon` | duration | required |", "| `replications` | integer | `10` | ≥ 1, ≤ 10,000 |",
                   "`agents[].miss_probability` | fraction | `0` | ≥ 0, ≤ 1 |", "`population.patience` | distribution |",
                   "`engine.timers.page_size`", "## Distributions"):
        assert needle in text, needle


def test_reference_check_mode_reports_a_stale_file(tmp_path):
    stale = tmp_path / "scenarios.md"
    stale.write_text("# old\n", encoding="utf-8")
    assert reference.main(["--check", str(stale)]) == 1
    stale.write_text(reference.render(), encoding="utf-8")
    assert reference.main(["--check", str(stale)]) == 0


def tracked_files() -> list[Path]:
    out = subprocess.run(["git", "ls-files"], cwd=ROOT, capture_output=True, text=True, check=False)
    if out.returncode != 0:
        pytest.skip("not a git checkout")
    return [ROOT / line for line in out.stdout.splitlines() if line]


def test_nothing_points_outside_the_repository():
    """Users have only the repository: no reference to the development notes it was built from."""
    shared, work = "shared", "work"  # spelled apart so this test does not find itself
    bad = re.compile(rf"{shared}/docs|\.\./{shared}|/{work}/")
    offenders = []
    for path in tracked_files():
        if path.suffix in (".png", ".parquet", ".npz") or not path.is_file():
            continue
        text = path.read_text(encoding="utf-8", errors="replace")
        for i, line in enumerate(text.splitlines(), 1):
            if bad.search(line):
                offenders.append(f"{path.relative_to(ROOT)}:{i}: {line.strip()[:100]}")
    assert not offenders, "\n".join(offenders)


def slug(title: str) -> str:
    """GitHub's anchor for a heading."""
    title = re.sub(r"[`*_]", "", title.strip().lower())
    title = re.sub(r"[^\w\- ]", "", title)
    return title.replace(" ", "-")


LINK = re.compile(r"\]\(([^)\s]+)\)")


@pytest.mark.parametrize("page", PAGES, ids=lambda p: p.name)
def test_links_resolve(page):
    """Every relative link of the README and docs/ names a file that exists, and an anchor that
    is one of its headings."""
    problems = []
    for target in LINK.findall(page.read_text(encoding="utf-8")):
        if re.match(r"[a-z]+:", target):
            continue
        file_part, _, anchor = target.partition("#")
        dest = (page.parent / file_part).resolve() if file_part else page
        if not dest.exists():
            problems.append(f"{target}: no such file")
            continue
        if anchor and dest.suffix == ".md":
            heads = {slug(h) for h in re.findall(r"^#+ (.+)$", dest.read_text(encoding="utf-8"), re.MULTILINE)}
            if anchor not in heads:
                problems.append(f"{target}: no heading with anchor #{anchor}")
    assert not problems, f"{page.name}: " + "; ".join(problems)


def test_glossary_defines_the_terms_users_meet():
    text = (ROOT / "docs" / "glossary.md").read_text(encoding="utf-8").lower()
    for term in ("service level", "answered within x seconds", "campaigncall", "outplan", "outdial", "dial level",
                 "occupancy", "2-second rule"):
        assert term in text, term


def _speed_table() -> str:
    import importlib.util
    import json

    spec = importlib.util.spec_from_file_location("bench_run", ROOT / "benchmarks" / "run.py")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod.markdown_table(json.loads((ROOT / "benchmarks" / "last.json").read_text(encoding="utf-8")))


@pytest.mark.parametrize("page", ["README.md", "docs/performance.md"])
def test_speed_tables_show_benchmarks_last_json(page):
    """README.md and docs/performance.md show the figures of benchmarks/last.json: new figures
    without the pages (or the reverse) fail here; regenerate the table with
    ``python benchmarks/run.py --markdown benchmarks/last.json``."""
    assert _speed_table() in (ROOT / page).read_text(encoding="utf-8")
