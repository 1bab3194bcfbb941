"""The metric registry: one list every reader follows; the regulatory threshold and cap from the
scenario; docs/metrics.md generated from it; the command line a package the library never imports."""

from __future__ import annotations

import ast
from pathlib import Path

import pandas as pd
from conftest import run, scenario

from sim import metrics, plots, registry

ROOT = Path(__file__).resolve().parents[1]


def test_every_computed_metric_is_registered_and_every_registered_one_computed():
    m = run(scenario()).m
    fixed = [k for k in m if not registry.is_dynamic(k)]
    assert set(fixed) == set(registry.ALL), "replication_metrics and the registry disagree"
    # a scenario's own names (occupancy per agent group, its service_thresholds) come after them
    assert list(m)[len(fixed):] == ["occupancy.a"]
    m = run(scenario(service_thresholds=[15])).m
    assert "p_within_15s" in m and "inbound_p_within_15s" in m and "p_within_10s" not in m
    assert registry.get("p_within_15s").percent and "15 s" in registry.get("p_within_15s").definition


def test_the_old_names_are_the_registry_s():
    assert metrics.METRICS == registry.CONTRACT and metrics.EXTRA_METRICS == registry.EXTRA
    assert metrics.HEADLINE == registry.HEADLINE
    assert set(registry.HEADLINE) <= set(registry.CONTRACT)
    assert registry.PERCENT >= {"occupancy", "abandon_rate", "abandon_rate_regulatory", "p_agent_within_threshold"}


def test_tune_s_objectives_and_constraints_point_the_way_the_registry_says():
    from sim.tune import CONSTRAINT_METRICS, OBJECTIVES

    assert all(registry.get(m).better == "higher" and m in registry.CONTRACT for m in OBJECTIVES)
    assert all(registry.get(m).better == "lower" and registry.get(m).percent for m in CONSTRAINT_METRICS)


def test_a_percent_metric_is_a_share_that_the_table_scales():
    s = {"mean": 0.1234, "sd": 0.0, "ci_low": 0.12, "ci_high": 0.1268, "n": 3}
    from sim.format import summary_interval

    m = registry.get("abandon_rate")
    assert summary_interval(s, spec=f".{m.digits}f", scale=m.scale) == "12.34 ±0.34"
    assert registry.get("unknown_metric").label == "Unknown metric" and not registry.get("unknown_metric").percent


def test_docs_metrics_md_is_what_the_registry_generates():
    committed = (ROOT / registry.DOC_PATH).read_text(encoding="utf-8")
    assert committed == registry.markdown(), f"{registry.DOC_PATH} is stale: run `{registry.REGENERATE}`"
    for m in registry.REGISTRY:
        assert f"`{m.name}`" in committed


def test_metrics_doc_check_mode_reports_a_stale_file(tmp_path):
    stale = tmp_path / "metrics.md"
    stale.write_text("# old\n", encoding="utf-8")
    assert registry.main(["--check", str(stale)]) == 1
    assert registry.main([str(stale)]) == 0
    assert registry.main(["--check", str(stale)]) == 0


def test_the_threshold_comes_from_the_scenario():
    scn = scenario(regulatory={"threshold": "3s"})
    rules = registry.regulatory(scn)
    assert rules.threshold == 3.0 and rules.max_abandon == registry.DEFAULT_MAX_ABANDON
    assert rules.greeting == 1.0 and rules.clock == "answer" and rules.allowed == 4.0
    loose = registry.regulatory(scenario(regulatory={"max_abandon": "5%", "clock": "queue", "greeting": 0}))
    assert loose.max_abandon == 0.05 and loose.clock == "queue" and loose.allowed == 2.0
    resolved = {"name": "x", "regulatory": {"threshold": 5.0, "greeting": 0.5, "clock": "answer", "max_abandon": 0.01}}
    assert registry.regulatory(resolved) == (5.0, 0.01, 0.5, "answer")
    assert registry.regulatory(None) == (2.0, 0.03, 1.0, "answer")
    m = registry.get("abandon_rate_regulatory")
    assert m.heading(rules) == "reg. abandon %" == m.heading()
    assert registry.footnotes(registry.TABLE, rules) == [
        "reg. abandon %: agent within 4 s of the answer (regulatory.greeting 1 s + regulatory.threshold 3 s)"]
    assert m.title(rules) == "Regulatory abandon rate (4 s from answer)" == m.title(3.0)
    assert m.title() == "Regulatory abandon rate (3 s from answer)"


def test_labels_on_the_regulators_clock_say_what_is_measured():
    """Greeting 0, threshold 5 s, answer clock: 5 s from the answer; the queue clock: threshold 5 s
    from entering the queue, the greeting (1 s) not counted. No label keeps the old "2 s"."""
    no_greeting = registry.regulatory(scenario(regulatory={"threshold": "5s", "greeting": 0}))
    queue = registry.regulatory(scenario(regulatory={"threshold": "5s", "clock": "queue"}))
    m = registry.get("abandon_rate_regulatory")
    assert m.report_heading(no_greeting) == "Regulatory abandon % (5 s from answer)"
    assert m.axis_label(queue) == "Regulatory abandon rate (5 s from queue entry; % of live answers)"
    assert registry.footnotes(registry.TABLE, no_greeting) == [
        "reg. abandon %: agent within 5 s of the answer (regulatory.greeting 0 s + regulatory.threshold 5 s)"]
    assert registry.footnotes(registry.TABLE, queue) == [
        "reg. abandon %: agent within 5 s of entering the queue (regulatory.threshold 5 s, regulatory.clock queue)"]
    assert registry.get("p_agent_within_threshold").title(queue) == "With an agent within 5 s of entering the queue"
    assert registry.get("abandoned_regulatory_queue_no_agent").title(no_greeting) == \
        "Abandoned, 5 s from answer: no agent free"
    for rules in (no_greeting, queue):
        texts = [f(rules) for x in registry.REGISTRY for f in (x.title, x.heading, x.report_heading, x.axis_label)]
        assert not any("2 s" in t or "2s" in t or "2-second" in t for t in texts)


def _summary() -> pd.DataFrame:
    rows = []
    for sl, occ, ab in ((50, 0.3, 0.01), (100, 0.5, 0.04)):
        for metric, v in (("occupancy", occ), ("abandon_rate", ab), ("abandon_rate_regulatory", ab * 2),
                          ("throughput_per_hour", 50.0)):
            rows.append({"scenario": "s", "service_level": sl, "metric": metric, "mean": v, "sd": 0.0,
                         "ci_low": v, "ci_high": v, "n": 3})
    return pd.DataFrame(rows)


def _texts(fig) -> list[str]:
    return [t.get_text() for t in fig.findobj(lambda a: hasattr(a, "get_text")) if t.get_text()]


def test_plots_draw_the_cap_and_name_the_threshold_they_are_given():
    fig = plots.tradeoff(_summary(), abandon="abandon_rate_regulatory", limit=0.05, threshold=3.0)
    t = _texts(fig)
    assert "5 % cap" in t and not any("3 % cap" in x for x in t)
    assert fig.axes[0].get_ylabel() == "Regulatory abandon rate (4 s from answer; % of live answers)"
    fig = plots.levels(_summary(), limit=0.05, threshold=3.0)
    assert "5 % cap" in _texts(fig)
    queue = registry.Regulatory(5.0, 0.05, 1.0, "queue")
    fig = plots.levels(_summary(), limit=0.05, threshold=queue)
    assert "Regulatory abandon rate (5 s from queue entry)" in [ax.get_title() for ax in fig.axes]
    fig = plots.causes(pd.concat([_summary(), _summary().assign(metric="human_answers")]), threshold=queue)
    assert "Regulatory abandon rate (5 s from queue entry)" in [ax.get_title() for ax in fig.axes]
    assert not any("2 s" in t or "2-second" in t for t in _texts(fig))


def test_library_never_imports_the_command_line():
    offenders = []
    for f in sorted((ROOT / "sim").rglob("*.py")):
        rel = f.relative_to(ROOT / "sim")
        if rel.parts[0] == "cli" or rel.name == "__main__.py":
            continue
        for node in ast.walk(ast.parse(f.read_text(encoding="utf-8"))):
            names = []
            if isinstance(node, ast.Import):
                names = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module:
                names = [node.module] + [f"{node.module}.{a.name}" for a in node.names]
            if any(n == "sim.cli" or n.startswith("sim.cli.") for n in names):
                offenders.append(str(rel))
    assert offenders == []


def test_commands_are_the_listed_modules_in_order():
    from sim import cli

    sub = cli.build_parser()._subparsers._group_actions[0]
    # a module is named after its command (``import_``: ``import`` is a Python keyword)
    names = [m.__name__.rsplit(".", 1)[1].rstrip("_") for m in cli.COMMANDS]
    assert list(sub.choices) == names, "a command per module, in the order of COMMANDS"
    assert names[:6] == ["run", "report", "validate", "tune", "baseline", "check"]
    assert {"frontier", "import", "fit"} <= set(names)
    for module, p in zip(cli.COMMANDS, sub.choices.values()):
        assert p.get_default("func") is module.handle


def test_rates_and_only_rates_have_bounds_for_showing_their_intervals():
    """Every percent metric (a share from 0 to 1, a scenario's own included) is shown within
    [0, 1]; counts, times and throughputs are not cut."""
    assert all(m.bounds == (0.0, 1.0) for m in registry.REGISTRY if m.percent)
    assert all(m.bounds is None for m in registry.REGISTRY if not m.percent)
    assert registry.get("p_within_45s").bounds == (0.0, 1.0) == registry.get("occupancy.team").bounds
    assert registry.get("throughput_per_hour").bounds is None and registry.get("abandoned").bounds is None
