"""The HTML report: self-contained, its images decode, it says what ran; ``report DIR`` rebuilds it."""

from __future__ import annotations

import base64
import os
import shutil
import subprocess
from html import unescape
from html.parser import HTMLParser
from pathlib import Path

import pytest

from sim.cli import main

ROOT = Path(__file__).resolve().parents[1]
DEFAULT = ROOT / "tests" / "data" / "golden_scenario.yaml"
PNG = b"\x89PNG\r\n\x1a\n"


class Page(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.images: list[dict] = []
        self.links: list[str] = []
        self.scripts = 0
        self.rows: list[list[str]] = []
        self._row: list[str] | None = None
        self._cell = False
        self.text: list[str] = []

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "img":
            self.images.append(a)
        if tag in ("link", "a") and (a.get("href") or "").startswith(("http:", "https:", "//")):
            self.links.append(a["href"])
        if tag == "script":
            self.scripts += 1
        if tag == "tr":
            self._row = []
        if tag in ("td", "th") and self._row is not None:
            self._row.append("")
            self._cell = True

    def handle_endtag(self, tag):
        if tag == "tr" and self._row is not None:
            self.rows.append(self._row)
            self._row = None
        if tag in ("td", "th"):
            self._cell = False

    def handle_data(self, data):
        self.text.append(data)
        if self._cell and self._row is not None:
            self._row[-1] += data


def parse(path: Path) -> Page:
    page = Page()
    page.feed(path.read_text(encoding="utf-8"))
    return page


@pytest.fixture(scope="module")
def folder(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("rep") / "out"
    args = ["run", str(DEFAULT), "--horizon", "30m", "--replications", "3", "--service-levels", "50,100,200",
            "--set", "description=Cold list <script>alert(1)</script> & more", "--out", str(out)]
    assert main(args) == 0
    return out


def test_report_embeds_every_plot_as_a_decodable_png(folder):
    page = parse(folder / "report.html")
    srcs = [img["src"] for img in page.images]
    assert srcs and all(s.startswith("data:image/png;base64,") for s in srcs)
    decoded = [base64.b64decode(s.split(",", 1)[1], validate=True) for s in srcs]
    assert all(d.startswith(PNG) for d in decoded)
    on_disk = sorted((folder / "plots").glob("*.png"))
    assert sorted(decoded) == sorted(p.read_bytes() for p in on_disk), "the report shows the plots of the folder"
    assert all(img.get("alt") for img in page.images)


def test_report_is_self_contained_and_escapes_scenario_text(folder):
    page = parse(folder / "report.html")
    assert page.links == [] and page.scripts == 0, "nothing to fetch, nothing to run"
    html = (folder / "report.html").read_text()
    assert "<script>alert(1)</script>" not in html
    assert "Cold list &lt;script&gt;alert(1)&lt;/script&gt; &amp; more" in html


def test_report_has_the_headline_table_engine_switches_seed_and_versions(folder):
    page = parse(folder / "report.html")
    header = next(r for r in page.rows if r and r[0] == "Service level")
    assert "Occupancy %" in header and "Abandon %" in header and "Conversations / h" in header
    # the regulatory rate is headed with the scenario's clock (the default: 1 s greeting + 2 s)
    assert "Regulatory abandon % (3 s from answer)" in header
    body = [r for r in page.rows if r and r[0] in ("50", "100", "200")]
    assert [r[0] for r in body] == ["50", "100", "200"]
    assert all(r[1] == "3" for r in body), "n replications per level"
    assert all("±" in cell for r in body for cell in r[2:6])
    text = " ".join(page.text)
    for switch, value in (("service_level_rule", "agent_side"), ("queue_order", "newest_first"),
                          ("missed_ring", "strand"), ("page_size", "100")):
        assert switch in text and value in text
    assert "cold-list-20-agents: 42" in text
    assert "numpy" in text and "pacing-sim" in text and "--horizon 30m --replications 3" in text


@pytest.mark.slow
def test_report_command_rebuilds_plots_and_report_from_the_tables(folder, tmp_path, capsys):
    copy = tmp_path / "copy"
    shutil.copytree(folder, copy)
    before = {p.name: p.read_bytes() for p in (copy / "plots").glob("*.png")}
    before_html = (copy / "report.html").read_bytes()
    shutil.rmtree(copy / "plots")
    (copy / "report.html").unlink()
    assert main(["report", str(copy)]) == 0
    assert "report.html" in capsys.readouterr().out
    assert {p.name: p.read_bytes() for p in (copy / "plots").glob("*.png")} == before
    assert (copy / "report.html").read_bytes() == before_html


def test_report_command_on_a_folder_without_results_is_an_input_error(tmp_path, capsys):
    assert main(["report", str(tmp_path)]) == 2
    assert "not a results folder" in capsys.readouterr().err


@pytest.mark.slow
def test_report_flags_failed_runs(folder, tmp_path):
    import pandas as pd

    copy = tmp_path / "copy"
    shutil.copytree(folder, copy)
    reps = pd.read_csv(copy / "replications.csv", keep_default_na=False)
    reps.loc[1, "error"] = "RuntimeError: boom"
    reps.to_csv(copy / "replications.csv", index=False)
    assert main(["report", str(copy)]) == 0
    html = (copy / "report.html").read_text()
    assert "1 of 9 runs failed" in html and "RuntimeError: boom" in html


@pytest.mark.slow
def test_report_renders_in_headless_chromium(folder, tmp_path):
    """Skipped only where no Chromium is installed and PACING_SIM_REQUIRE_BROWSER is unset;
    .ci/run installs Debian's chromium and sets it, so in CI this always runs."""
    browser = shutil.which("chromium") or shutil.which("chromium-browser")
    if browser is None:
        if os.environ.get("PACING_SIM_REQUIRE_BROWSER"):
            pytest.fail("no chromium on PATH, and PACING_SIM_REQUIRE_BROWSER is set (CI must render the report)")
        pytest.skip("no headless Chromium on this machine")
    shot = tmp_path / "shot.png"
    subprocess.run([browser, "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                    "--window-size=1200,3000", f"--screenshot={shot}", (folder / "report.html").as_uri()],
                   capture_output=True, timeout=120, check=False)
    assert shot.is_file() and shot.read_bytes().startswith(PNG)
    from matplotlib.image import imread

    pixels = imread(shot)
    assert pixels.shape[0] == 3000 and pixels.shape[1] == 1200
    assert pixels.std() > 0.05, "the page is not blank"


def test_the_report_heads_the_regulatory_rate_with_the_scenario_s_clock():
    """A queue clock with a 5 s threshold: the headline table's heading and its definition say
    5 s from entering the queue, never the default 3 s from the answer."""
    import pandas as pd

    from sim import registry, report

    rules = registry.Regulatory(5.0, 0.03, 1.0, "queue")
    summary = pd.DataFrame([{"scenario": "s", "service_level": 100, "metric": m.name, "mean": 0.01, "sd": 0.0,
                             "ci_low": 0.01, "ci_high": 0.01, "n": 2} for m in registry.REPORT])
    html = report.headline_table(summary, "s", rules)
    assert "Regulatory abandon % (5 s from queue entry)" in html and "3 s from answer" not in html
    defs = report.definitions_section(rules)
    assert "agent within 5 s of entering the queue (regulatory.threshold 5 s, regulatory.clock queue)" in defs


def _summary(levels: dict[int, dict[str, tuple]]):
    """``{level: {metric: (mean, ci_low, ci_high, n)}}``, the other report metrics at 0.5 ± 0."""
    import pandas as pd

    from sim import registry

    rows = []
    for sl, given in levels.items():
        for m in registry.REPORT:
            mean, lo, hi, n = given.get(m.name, (0.5, 0.5, 0.5, 3))
            rows.append({"scenario": "s", "service_level": sl, "metric": m.name, "mean": mean, "sd": 0.0,
                         "ci_low": lo, "ci_high": hi, "n": n})
    return pd.DataFrame(rows)


class Cells(HTMLParser):
    """Each body cell of the headline table as (class, text), row by row."""

    def __init__(self) -> None:
        super().__init__()
        self.rows: list[list[tuple[str, str]]] = []
        self._in = False

    def handle_starttag(self, tag, attrs):
        if tag == "tr":
            self.rows.append([])
        if tag == "td":
            self.rows[-1].append((dict(attrs).get("class") or "", ""))
            self._in = True

    def handle_endtag(self, tag):
        if tag == "td":
            self._in = False

    def handle_data(self, data):
        if self._in:
            cls, text = self.rows[-1][-1]
            self.rows[-1][-1] = (cls, text + data)


def _cells(html: str) -> dict[int, dict[str, tuple[str, str]]]:
    from sim import registry

    page = Cells()
    page.feed(html)
    names = [m.name for m in registry.REPORT]
    return {int(r[0][1]): dict(zip(names, r[2:])) for r in page.rows if r}


def test_the_headline_table_shades_what_the_verdict_judges_by_its_rule():
    """The cap is 3 %. Regulatory abandon rate: 100 has [1 %, 2.5 %] (upper bound within: passes,
    green), 200 [2 %, 4 %] (straddles: fails, amber), 300 [3.5 %, 6 %] (above: fails, red), 400 one
    replication (no interval: fails, grey). The plain abandon rate is 10 % everywhere, far above the
    cap, and is not shaded: the cap is not its rule. The shades agree with the verdict's statuses."""
    from sim import registry, report
    from sim.verdict import verdict

    reg = {100: (0.017, 0.01, 0.025, 3), 200: (0.03, 0.02, 0.04, 3), 300: (0.05, 0.035, 0.06, 3),
           400: (0.02, float("nan"), float("nan"), 1)}
    summary = _summary({sl: {"abandon_rate_regulatory": r, "abandon_rate": (0.1, 0.08, 0.12, 3)}
                        for sl, r in reg.items()})
    v = verdict(summary, None, name="s")
    html = report.headline_table(summary, "s", registry.regulatory(), v)
    cells = _cells(html)
    shade = {sl: cells[sl]["abandon_rate_regulatory"][0] for sl in reg}
    assert shade == {100: "ok", 200: "near", 300: "over", 400: "undef"}
    status = {e["service_level"]: e["status"] for e in v["levels"]}
    assert status == {100: "feasible", 200: "unclear", 300: "infeasible", 400: "undefined"}
    assert all(cells[sl]["abandon_rate"][0] == "" for sl in reg), "the plain rate is not judged against the cap"
    assert all(c == "" for sl in reg for name, (c, _) in cells[sl].items() if name != "abandon_rate_regulatory")
    # the legend says what the colours mean: the verdict's rule, on the scenario's clock
    text = unescape(html)
    assert "Regulatory abandon % (3 s from answer)</strong> is shaded by the verdict's test" in text
    assert "upper 95 % bound is within the 3 % cap" in text
    assert "Abandon % (callers who never reached an agent, with no deadline) is not the regulators' measure" in text


def test_the_headline_table_follows_the_verdict_s_metric_limit_and_minimum_occupancy():
    """A verdict on the plain abandon rate with a 5 % limit and a 40 % minimum occupancy: the plain
    rate's cells are shaded (4 % [3 %, 4.5 %] passes, 7 % [6 %, 8 %] fails), occupancy's on its
    lower bound (45 % [42 %, 48 %] passes, 40 % [35 %, 45 %] straddles), the regulatory rate not."""
    from sim import registry, report
    from sim.verdict import verdict

    summary = _summary({
        100: {"abandon_rate": (0.04, 0.03, 0.045, 3), "occupancy": (0.45, 0.42, 0.48, 3)},
        200: {"abandon_rate": (0.07, 0.06, 0.08, 3), "occupancy": (0.40, 0.35, 0.45, 3)},
    })
    v = verdict(summary, None, name="s", metric="abandon_rate", limit=0.05, min_occupancy=0.4)
    cells = _cells(report.headline_table(summary, "s", registry.regulatory(), v))
    assert [cells[sl]["abandon_rate"][0] for sl in (100, 200)] == ["ok", "over"]
    assert [cells[sl]["occupancy"][0] for sl in (100, 200)] == ["ok", "near"]
    assert [cells[sl]["abandon_rate_regulatory"][0] for sl in (100, 200)] == ["", ""]
    html = report.headline_table(summary, "s", registry.regulatory(), v)
    assert "within the 5 % cap" in html and "reaches 40 %" in html
    assert "Abandon %</strong> and <strong>Occupancy %</strong> are shaded by the verdict's test" in html


def test_the_headline_table_shows_a_rate_s_interval_cut_at_0_and_says_so():
    """Abandon 1 % with a t-interval of [-1 %, 3 %]: shown 1.00 [0.00, 3.00], never a negative
    percentage, and the note under the table says the display cuts it (the CSV keeps -1 %)."""
    from sim import registry, report

    summary = _summary({100: {"abandon_rate": (0.01, -0.01, 0.03, 2), "throughput_per_hour": (5.0, -1.0, 11.0, 2)}})
    html = report.headline_table(summary, "s", registry.regulatory())
    cells = _cells(html)[100]
    assert cells["abandon_rate"][1] == "1.00 [0.00, 3.00]"
    assert cells["throughput_per_hour"][1] == "5.0 ± 6.0", "not a rate: not cut"
    assert "a rate's 95 % interval cut at 0 % or 100 % (the JSON and CSV keep its raw ends)" in unescape(html)
