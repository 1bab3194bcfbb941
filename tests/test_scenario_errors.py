"""Malformed scenario files: one clear message per problem, exit code 2, no traceback, nothing written.

Most cases run ``pacing-sim validate`` in-process (``sim.cli.main``); a few run the real console
script in a subprocess to see what a user sees (no traceback, exit code 2, empty stdout).
"""

from __future__ import annotations

import copy
import os
import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import yaml

from sim.cli import main
from sim.scenario import ScenarioError, load_scenario
from sim.scenario.errors import MAX_PROBLEMS
from sim.scenario.safe_yaml import MAX_FILE_BYTES

ROOT = Path(__file__).resolve().parents[1]
DEFAULT = ROOT / "tests" / "data" / "golden_scenario.yaml"  # the default of earlier versions, frozen: the line numbers below are its
BASE = yaml.safe_load(DEFAULT.read_text())
DIST_TAGS = ("constant", "exponential", "lognormal", "uniform", "gamma", "empirical")


# --------------------------------------------------------------------------- helpers


def write(tmp_path: Path, content, name: str = "scn.yaml") -> Path:
    """Write a scenario: text as is, or a dict dumped as YAML."""
    path = tmp_path / name
    if isinstance(content, (bytes, bytearray)):
        path.write_bytes(content)
    else:
        path.write_text(content if isinstance(content, str) else yaml.safe_dump(content, sort_keys=False))
    return path


def changed(*edits) -> dict:
    """The default scenario with edits applied: ``("a.0.b", value)`` sets, ``("a.0.b", DELETE)`` deletes."""
    data = copy.deepcopy(BASE)
    for path, value in edits:
        node = data
        parts = [int(p) if p.isdigit() else p for p in path.split(".")]
        for p in parts[:-1]:
            node = node[p]
        if value is DELETE:
            del node[parts[-1]]
        else:
            node[parts[-1]] = value
    return data


DELETE = object()


def assert_clean(messages: list[str]) -> None:
    """No pydantic internals leak into a message."""
    for m in messages:
        assert "Traceback" not in m, m
        assert "Value error," not in m, m
        assert "Input should be" not in m, m
        assert "input should be" not in m, m
        assert "union_tag" not in m and "tagged-union" not in m and "function-" not in m, m
        assert "<unicode string>" not in m, m
        where = m.split(": ", 2)[1] if m.count(": ") >= 2 else ""
        for tag in DIST_TAGS:
            assert not re.search(rf"\.{tag}(\.|$)", where), f"distribution tag {tag!r} in the path: {m}"


def validate(capsys, path: Path, *extra: str) -> tuple[int, list[str], str]:
    """Run ``pacing-sim validate``: (exit code, problem lines on stderr, stdout)."""
    rc = main(["validate", str(path), *extra])
    out, err = capsys.readouterr()
    lines = [ln for ln in err.splitlines() if ln.strip()]
    assert_clean(lines)
    return rc, lines, out


def problems_of(capsys, tmp_path: Path, content, *extra: str) -> list[str]:
    """Validate ``content``; it must fail with exit code 2; return its problem lines, the file named ``FILE``."""
    path = write(tmp_path, content)
    rc, lines, out = validate(capsys, path, *extra)
    assert rc == 2, f"expected exit code 2, got {rc}; stderr: {lines}"
    assert lines, "a failing validation must say why"
    assert out == "", f"nothing on stdout for a bad file, got {out!r}"
    for ln in lines:
        assert ln.startswith(str(path)), f"every message names the file: {ln}"
    return ["FILE" + ln[len(str(path)):] for ln in lines]


def one(lines: list[str]) -> str:
    assert len(lines) == 1, f"expected exactly one problem, got {len(lines)}: {lines}"
    return lines[0]


def at(lines: list[str], path: str) -> list[str]:
    """The problems reported at ``path`` inside the file."""
    return [ln for ln in lines if f": {path}: " in ln]


# --------------------------------------------------------------------------- the file itself


def test_default_scenario_validates(capsys):
    rc, lines, out = validate(capsys, DEFAULT)
    assert rc == 0 and not lines and "ok" in out


def test_not_yaml_names_line_and_column(capsys, tmp_path):
    msg = one(problems_of(capsys, tmp_path, "name: x\ncampaigns: [1, 2\n"))
    assert "not valid YAML" in msg and "line 3" in msg and "column" in msg


def test_tab_indentation_is_a_yaml_error(capsys, tmp_path):
    assert "not valid YAML" in one(problems_of(capsys, tmp_path, "name: x\n\thorizon: 1h\n"))


@pytest.mark.parametrize("text", ["", "\n\n", "# only a comment\n", "---\n"])
def test_empty_file(capsys, tmp_path, text):
    msg = one(problems_of(capsys, tmp_path, text))
    assert "empty" in msg and "expected a scenario" in msg


@pytest.mark.parametrize("text, kind", [("- 1\n- 2\n", "a list"), ("hello\n", "a single value"), ("42\n", "a single value")])
def test_top_level_not_a_mapping(capsys, tmp_path, text, kind):
    msg = one(problems_of(capsys, tmp_path, text))
    assert "expected a scenario: a mapping" in msg and kind in msg


def test_two_documents_in_one_file(capsys, tmp_path):
    assert "document" in one(problems_of(capsys, tmp_path, "name: a\n---\nname: b\n"))


def test_not_utf8(capsys, tmp_path):
    assert "not UTF-8" in one(problems_of(capsys, tmp_path, b"name: \xff\xfe\n"))


def test_utf8_byte_order_mark_is_accepted(capsys, tmp_path):
    path = write(tmp_path, b"\xef\xbb\xbf" + DEFAULT.read_bytes())
    rc, lines, _ = validate(capsys, path)
    assert rc == 0, lines


def test_missing_file(capsys, tmp_path):
    rc, lines, _ = validate(capsys, tmp_path / "nope.yaml")
    assert rc == 2 and "cannot read the file" in one(lines)


def test_folder_given_as_file(capsys, tmp_path):
    rc, lines, _ = validate(capsys, tmp_path)
    assert rc == 2 and "is a folder" in one(lines)[len(str(tmp_path)):]


def test_key_twice_at_top_level(capsys, tmp_path):
    text = DEFAULT.read_text() + "\nseed: 7\n"
    msg = one(problems_of(capsys, tmp_path, text))
    assert ": seed: key 'seed' is given twice" in msg
    first = next(i for i, ln in enumerate(text.splitlines(), 1) if ln.startswith("seed:"))
    assert f"first at line {first}" in msg


def test_key_twice_nested_names_the_path(capsys, tmp_path):
    text = DEFAULT.read_text().replace("    outplan: default\n", "    outplan: default\n    outplan: default\n")
    msg = one(problems_of(capsys, tmp_path, text))
    assert ": campaigns[0].outplan: key 'outplan' is given twice" in msg


def test_key_twice_inside_a_flow_mapping(capsys, tmp_path):
    text = DEFAULT.read_text().replace("{dist: exponential, mean: 15s}", "{dist: exponential, mean: 15s, mean: 20s}")
    msg = one(problems_of(capsys, tmp_path, text))
    assert ": agents[0].wrap_up.mean: key 'mean' is given twice" in msg


def test_merge_keys_are_plain_yaml(capsys, tmp_path):
    """``<<: *anchor`` shares settings; the keys it brings in are not 'given twice'."""
    text = DEFAULT.read_text().replace(
        "    talk_time: {dist: lognormal, mean: 180s, sd: 90s}",
        "    talk_time: &talk {dist: lognormal, mean: 180s, sd: 90s}",
    ).replace("    wrap_up: {dist: exponential, mean: 15s}", "    wrap_up: {<<: *talk, mean: 15s}")
    rc, lines, _ = validate(capsys, write(tmp_path, text))
    assert rc == 0, lines


@pytest.mark.parametrize("tag", [
    "!!python/object/apply:os.system ['echo pwned']",
    "!!python/object:collections.OrderedDict {}",
    "!!python/name:os.system",
    "!custom 3",
])
def test_object_tags_are_refused(capsys, tmp_path, tag):
    marker = tmp_path / "pwned"
    text = DEFAULT.read_text().replace("name: cold-list-20-agents", f"name: {tag.replace('echo pwned', f'touch {marker}')}")
    msg = one(problems_of(capsys, tmp_path, text))
    line = 1 + next(i for i, t in enumerate(text.splitlines()) if t.startswith("name:"))
    assert "refused" in msg and f"line {line}" in msg
    assert not marker.exists()


def test_billion_laughs_is_refused_without_using_memory(capsys, tmp_path):
    lines = ['a0: &a0 ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]']
    for i in range(1, 10):
        prev = f"*a{i - 1}"
        lines.append(f"a{i}: &a{i} [{', '.join([prev] * 9)}]")  # 9**10 values if expanded
    path = write(tmp_path, "\n".join(lines) + "\n")
    import resource

    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    rc, out, _ = validate(capsys, path)
    grown_mb = (resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before) / 1024
    assert rc == 2 and "aliases" in one(out) and "refused" in out[0]
    assert grown_mb < 50, f"refusing an alias bomb used {grown_mb:.0f} MB more"


def test_recursive_alias_is_refused(capsys, tmp_path):
    assert "refused" in one(problems_of(capsys, tmp_path, "a: &a [*a]\n"))


def test_deep_nesting_is_refused_without_recursion_error(capsys, tmp_path):
    for text in ("a: " + "[" * 5000 + "]" * 5000 + "\n", "a: " + "{b: " * 500 + "1" + "}" * 500 + "\n"):
        msg = one(problems_of(capsys, tmp_path, text))
        assert "deep" in msg or "depth" in msg


def test_huge_file_is_refused_before_reading(capsys, tmp_path, monkeypatch):
    path = tmp_path / "huge.yaml"
    with open(path, "wb") as fh:  # a sparse file: size limit must come from stat, not from reading it
        fh.truncate(MAX_FILE_BYTES * 50)
    import builtins

    real_open = builtins.open

    def guarded_open(file, *a, **k):
        assert Path(str(file)) != path, "the huge file was opened"
        return real_open(file, *a, **k)

    monkeypatch.setattr(builtins, "open", guarded_open)
    rc, lines, _ = validate(capsys, path)
    monkeypatch.undo()
    assert rc == 2 and f"at most {MAX_FILE_BYTES:,}" in one(lines)


def test_many_values_are_refused_before_building_them(capsys, tmp_path):
    text = DEFAULT.read_text().replace("[50, 100, 150, 200, 300]", "[" + ",".join(["1"] * 300_000) + "]")
    assert "more than" in one(problems_of(capsys, tmp_path, text))


# --------------------------------------------------------------------------- keys


@pytest.mark.parametrize("path, key, suggestion", [
    ("horizn", "horizn", "horizon"),
    ("campaigns.0.outplna", "outplna", "outplan"),
    ("campaigns.0.servce_level", "servce_level", "service_level"),
    ("agents.0.talk_time.sdd", "sdd", "sd"),
    ("agents.0.talk_time.meen", "meen", "mean"),
    ("agents.0.shift.strat", "strat", "start"),
    ("engine.timers", {"after_dail": 1}, "after_dial"),
    ("engine.profil", "profil", "profile"),
    ("population.amd.false_postive", "false_postive", "false_positive"),
    ("outplans.0.max_try_cont", "max_try_cont", "max_try_count"),
])
def test_unknown_key_gets_did_you_mean_from_its_own_model(capsys, tmp_path, path, key, suggestion):
    if isinstance(key, dict):
        data = changed((path, key))
        where, key = path + "." + next(iter(key)), next(iter(key))
    else:
        data = changed((path, 1))
        where = path
    where = re.sub(r"\.(\d+)", r"[\1]", where)
    msg = one(problems_of(capsys, tmp_path, data))
    assert f": {where}: unknown key {key!r}; did you mean {suggestion!r}?" in msg


def test_did_you_mean_comes_from_the_distribution_family_given(capsys, tmp_path):
    """'sd' belongs to lognormal; in a uniform distribution the close names are low/high."""
    lines = problems_of(capsys, tmp_path, changed(("agents.0.answer_delay", {"dist": "uniform", "low": 1, "hihg": 4})))
    assert any("answer_delay.hihg: unknown key 'hihg'; did you mean 'high'?" in ln for ln in lines)
    assert any("answer_delay.high: required field is missing" in ln for ln in lines)


@pytest.mark.parametrize("path, value, allowed", [
    ("agents.0.wrap_up", {"dist": "exponential", "mean": 5, "sd": 2}, "expected one of: dist, mean"),
    ("campaigns.0.horizon", "1h", "expected one of: name, type, service_level"),
    ("queues.0.count", 3, "expected one of: name, tags, routing_method"),
])
def test_a_field_of_another_model_is_not_suggested(capsys, tmp_path, path, value, allowed):
    """'sd' is a lognormal's, 'horizon' the scenario's, 'count' an agent group's: not offered here."""
    msg = one(problems_of(capsys, tmp_path, changed((path, value))))
    assert "did you mean" not in msg and allowed in msg, msg


def test_unknown_key_far_from_every_field_lists_the_fields(capsys, tmp_path):
    msg = one(problems_of(capsys, tmp_path, changed(("queues.0.zzzzzz", 1))))
    assert "expected one of: name, tags, routing_method, wait_timeout, service_timeout" in msg


def test_misspelt_distribution_parameter_in_a_lognormal(capsys, tmp_path):
    lines = problems_of(capsys, tmp_path, changed(("agents.0.talk_time", {"dist": "lognormal", "mean": "3m", "std": "1m"})))
    assert len(lines) == 2
    assert at(lines, "agents[0].talk_time.std") and "did you mean 'sd'?" in at(lines, "agents[0].talk_time.std")[0]
    assert at(lines, "agents[0].talk_time.sd") and "required field is missing" in at(lines, "agents[0].talk_time.sd")[0]


def test_non_text_key(capsys, tmp_path):
    text = DEFAULT.read_text() + "1: 2\n"
    assert "is not text" in one(problems_of(capsys, tmp_path, text))


# --------------------------------------------------------------------------- required fields and types


@pytest.mark.parametrize("path, expected", [
    ("horizon", "a duration"),
    ("name", "text"),
    ("population", "a mapping with fields outcome"),
    ("campaigns.0.outdial", "the name of one of the outdials"),
    ("campaigns.0.outplan", "the name of one of the outplans"),
    ("outplans.0.max_try_count", "a list of 1 to 5 items"),
    ("agents.0.talk_time", "a distribution"),
    ("agents.0.count", "a whole number"),
])
def test_missing_required_field(capsys, tmp_path, path, expected):
    lines = problems_of(capsys, tmp_path, changed((path, DELETE)))
    where = re.sub(r"\.(\d+)", r"[\1]", path)
    mine = at(lines, where)
    assert mine and "required field is missing" in mine[0] and expected in mine[0], lines


@pytest.mark.parametrize("path, value, expected", [
    ("agents.0.count", "twenty", "a whole number from 0 to 100,000"),
    ("agents.0.count", 2.5, "a whole number"),
    ("agents.0.count", True, "a whole number"),
    ("campaigns", {"a": 1}, "a list of at most 100 items"),
    ("campaigns.0", None, "a mapping with fields name"),
    ("campaigns.0.type", "sms", "one of 'call', 'flow'"),
    ("campaigns.0.end_handle", "stpo", "did you mean 'stop'?"),
    ("engine.profile", "documentd", "did you mean 'documented'?"),
    ("queues.0.tags", "sales", "a list"),
    ("name", 5, "text"),
    ("name", "", "text of 1 to 200 characters"),
    ("seed", -1, "a whole number of 0 or more"),
    ("seed", "abc", "a whole number"),
    ("replications", 0, "a whole number from 1 to 10,000"),
    ("outdials.0.destinations", 6, "a whole number from 1 to 5"),
    ("outplans.0.max_try_count", [1, 2, 3, 4, 5, 6], "a list of 1 to 5 items; found 6 items"),
    ("outplans.0.max_try_count", [], "found 0 items"),
    ("population.outcome", [], "a list of 1 to 5 items"),
    ("population.speech_rate_wps", 0, "a number above 0"),
    ("population.speech_rate_wps", "fast", "a number"),
    ("engine.timers", {"page_size": 0}, "a whole number from 1 to 1,000,000"),
    ("population.time_of_day", {"multipliers": [1] * 23}, "a list of 24 items; found 23 items"),
    ("campaigns.0.actions", [{"type": "amd", "option": {"machine_handle": "hangpu"}}], "did you mean 'hangup'?"),
])
def test_wrong_type_says_what_was_expected(capsys, tmp_path, path, value, expected):
    msg = one(problems_of(capsys, tmp_path, changed((path, value))))
    assert "expected" in msg and expected in msg, msg
    if not isinstance(value, (list, dict)):
        assert "found:" in msg, msg


# --------------------------------------------------------------------------- durations


@pytest.mark.parametrize("value, expected", [
    ("10 parsecs", "a duration"),
    ("ten minutes", "a duration"),
    ("5m5", "a duration"),
    (-5, "0 or more"),
    ("-3s", "0 or more"),
    (True, "true/false"),
    (float("inf"), "finite"),
    (float("nan"), "finite"),
    (".inf", "a duration"),
    (10**400, "finite"),
    ([1, 2], "a duration"),
    ({"h": 1}, "a duration"),
])
def test_bad_duration(capsys, tmp_path, value, expected):
    msg = one(problems_of(capsys, tmp_path, changed(("queues.0.wait_timeout", value))))
    assert ": queues[0].wait_timeout: expected" in msg and expected in msg
    assert "found:" in msg


def test_horizon_zero_and_beyond_a_month(capsys, tmp_path):
    assert "above 0" in one(problems_of(capsys, tmp_path, changed(("horizon", 0))))
    assert "31 days" in one(problems_of(capsys, tmp_path, changed(("horizon", "40d"))))


@pytest.mark.parametrize("timer", ["after_dial", "after_wait", "queue_step", "queue_idle_step"])
def test_loop_timers_must_advance(capsys, tmp_path, timer):
    msg = one(problems_of(capsys, tmp_path, changed(("engine.timers", {timer: "0s"}))))
    assert f": engine.timers.{timer}: expected a duration" in msg and "at least 1ms" in msg


# --------------------------------------------------------------------------- service levels


@pytest.mark.parametrize("value", [-1, 1.5, "100", "high", None, True])
def test_bad_campaign_service_level(capsys, tmp_path, value):
    msg = one(problems_of(capsys, tmp_path, changed(("campaigns.0.service_level", value))))
    assert ": campaigns[0].service_level: expected a whole number from 0 to 100,000" in msg
    assert f"found: {value!r}" in msg


def test_bad_service_levels_in_the_sweep_each_reported(capsys, tmp_path):
    lines = problems_of(capsys, tmp_path, changed(("service_levels", [50, -1, 2.5, "100", 150])))
    assert [ln.split(": ")[1] for ln in lines] == ["service_levels[1]", "service_levels[2]", "service_levels[3]"]


def test_service_level_zero_is_valid(capsys, tmp_path):
    rc, lines, _ = validate(capsys, write(tmp_path, changed(("service_levels", [0, 100]))))
    assert rc == 0, lines


# --------------------------------------------------------------------------- probabilities


def test_outcome_probabilities_must_sum_to_one(capsys, tmp_path):
    msg = one(problems_of(capsys, tmp_path, changed(("population.outcome.1.human", 0.9))))
    assert ": population.outcome[1]: expected outcome probabilities" in msg and "sum to 1.75" in msg


@pytest.mark.parametrize("path, value", [
    ("population.outcome.0.human", 1.2),
    ("population.outcome.0.no_answer", -0.2),
    ("agents.0.miss_probability", 1.5),
    ("agents.0.miss_probability", "0.5"),
    ("agents.0.miss_probability", True),
    ("population.amd.false_positive", -0.01),
])
def test_probability_outside_zero_one(capsys, tmp_path, path, value):
    lines = problems_of(capsys, tmp_path, changed((path, value)))
    where = re.sub(r"\.(\d+)", r"[\1]", path)
    mine = at(lines, where)
    assert mine and "expected a number from 0 to 1" in mine[0], lines


# --------------------------------------------------------------------------- distributions


def test_unknown_distribution_gets_did_you_mean(capsys, tmp_path):
    msg = one(problems_of(capsys, tmp_path, changed(("agents.0.talk_time", {"dist": "lognorm", "mean": 3, "sd": 1}))))
    assert ": agents[0].talk_time.dist: unknown distribution; expected one of constant, exponential" in msg
    assert "did you mean 'lognormal'?" in msg and "found: 'lognorm'" in msg


def test_unknown_distribution_far_from_every_name(capsys, tmp_path):
    msg = one(problems_of(capsys, tmp_path, changed(("agents.0.talk_time", {"dist": "weibull", "mean": 3}))))
    assert "unknown distribution" in msg and "did you mean" not in msg


@pytest.mark.parametrize("value", [{"mean": 3}, 5, "3m", [1, 2]])
def test_distribution_that_is_not_a_tagged_mapping(capsys, tmp_path, value):
    msg = one(problems_of(capsys, tmp_path, changed(("agents.0.wrap_up", value))))
    assert ": agents[0].wrap_up: " in msg and "'dist' set to one of" in msg


@pytest.mark.parametrize("dist, missing", [
    ({"dist": "lognormal", "mean": "3m"}, "sd"),
    ({"dist": "gamma", "sd": "3m"}, "mean"),
    ({"dist": "exponential"}, "mean"),
    ({"dist": "constant"}, "value"),
    ({"dist": "uniform", "low": 1}, "high"),
    ({"dist": "empirical"}, "values"),
])
def test_missing_distribution_parameter(capsys, tmp_path, dist, missing):
    msg = one(problems_of(capsys, tmp_path, changed(("agents.0.talk_time", dist))))
    assert f": agents[0].talk_time.{missing}: required field is missing" in msg


@pytest.mark.parametrize("dist, expected", [
    ({"dist": "uniform", "low": "5s", "high": "1s"}, "expected low <= high"),
    ({"dist": "empirical", "values": [1, 2, 3], "weights": [1, 2]}, "3 values and 2 weights"),
    ({"dist": "empirical", "values": [1, 2], "weights": [0, 0]}, "all 0"),
    ({"dist": "empirical", "values": []}, "a list of 1 to 100,000 items"),
])
def test_inconsistent_distribution_parameters(capsys, tmp_path, dist, expected):
    msg = one(problems_of(capsys, tmp_path, changed(("agents.0.talk_time", dist))))
    assert ": agents[0].talk_time" in msg and expected in msg


@pytest.mark.parametrize("dist, path", [
    ({"dist": "exponential", "mean": 0}, "mean"),
    ({"dist": "lognormal", "mean": "-1s", "sd": 1}, "mean"),
    ({"dist": "gamma", "mean": 10, "sd": 0}, "sd"),
    ({"dist": "empirical", "values": [1, "x"]}, "values[1]"),
    ({"dist": "empirical", "values": [1, 2], "weights": [1, -1]}, "weights[1]"),
])
def test_bad_distribution_parameter_value(capsys, tmp_path, dist, path):
    msg = one(problems_of(capsys, tmp_path, changed(("agents.0.talk_time", dist))))
    assert f": agents[0].talk_time.{path}: expected" in msg


# --------------------------------------------------------------------------- references and names


@pytest.mark.parametrize("field, value, suggestion", [
    ("outplan", "defualt", "default"),
    ("outdial", "cold-lst", "cold-list"),
    ("queue", "sale", "sales"),
    ("next_campaign", "spring-prom", "spring-promo"),
])
def test_reference_to_a_missing_name(capsys, tmp_path, field, value, suggestion):
    msg = one(problems_of(capsys, tmp_path, changed((f"campaigns.0.{field}", value))))
    assert f": campaigns[0].{field}: no " in msg and f"did you mean {suggestion!r}?" in msg and f"found: {value!r}" in msg


def test_reference_far_from_every_name_lists_them(capsys, tmp_path):
    msg = one(problems_of(capsys, tmp_path, changed(("campaigns.0.queue", "zzz"))))
    assert "expected one of: sales" in msg


def test_reference_when_the_section_is_empty(capsys, tmp_path):
    msg = one(problems_of(capsys, tmp_path, changed(("queues", []))))
    assert ": campaigns[0].queue: " in msg and "no queues" in msg


def test_two_campaigns_on_one_outdial(capsys, tmp_path):
    data = changed()
    second = copy.deepcopy(data["campaigns"][0])
    second["name"] = "second"
    data["campaigns"].append(second)
    msg = one(problems_of(capsys, tmp_path, data))
    assert ": campaigns[1].outdial: the outdial already belongs to campaigns[0]" in msg


def test_campaign_chaining_to_itself(capsys, tmp_path):
    msg = one(problems_of(capsys, tmp_path, changed(("campaigns.0.next_campaign", "spring-promo"))))
    assert "cannot chain to itself" in msg


@pytest.mark.parametrize("section", ["campaigns", "outplans", "outdials", "queues", "agents"])
def test_duplicate_names(capsys, tmp_path, section):
    data = changed()
    twin = copy.deepcopy(data[section][0])
    if section == "campaigns":
        data["outdials"].append({"name": "other", "targets": 10})
        twin["outdial"] = "other"
    if section == "outdials":
        twin["targets"] = 1
    data[section].append(twin)
    msg = one(problems_of(capsys, tmp_path, data))
    assert f": {section}[1].name: the name is already used by {section}[0]" in msg


# --------------------------------------------------------------------------- experiment limits


@pytest.mark.parametrize("warmup", ["8h", "9h"])
def test_warmup_not_before_the_horizon(capsys, tmp_path, warmup):
    msg = one(problems_of(capsys, tmp_path, changed(("warmup", warmup))))
    assert ": warmup: expected a warm-up shorter than the horizon" in msg and f"found: {warmup!r}" in msg


@pytest.mark.parametrize("targets", [10_000_001, 10**30, -4])
def test_too_many_targets_refused_at_validation(capsys, tmp_path, targets):
    msg = one(problems_of(capsys, tmp_path, changed(("outdials.0.targets", targets))))
    assert ": outdials[0].targets: expected a count of targets from 0 to 10,000,000" in msg


def test_too_many_dial_attempts_refused_before_running(capsys, tmp_path):
    """Each attempt is a record in memory: a bound from targets x attempts and horizon / after_dial."""
    data = changed(("outdials.0.targets", 10_000_000), ("engine.timers", {"after_dial": "2ms"}))
    msg = one(problems_of(capsys, tmp_path, data))
    assert ": campaigns: expected at most 10,000,000 dial attempts in one replication" in msg
    # the same list over a month at the engine's own 0.5 s step is fine: 31 days / 0.5 s < 10 M
    rc, lines, _ = validate(capsys, write(tmp_path, changed(("outdials.0.targets", 10_000_000), ("horizon", "31d"))))
    assert rc == 0, lines


def test_too_many_agents(capsys, tmp_path):
    msg = one(problems_of(capsys, tmp_path, changed(("agents.0.count", 100_001))))
    assert "from 0 to 100,000" in msg


def test_too_many_runs(capsys, tmp_path):
    msg = one(problems_of(capsys, tmp_path, changed(("replications", 10_000), ("service_levels", list(range(200))))))
    assert ": replications: expected at most 1,000,000 runs" in msg


def test_bad_actions(capsys, tmp_path):
    lines = problems_of(capsys, tmp_path, changed(("campaigns.0.actions", [
        {"type": "play"},
        {"type": "tlak", "option": {"text": "hi"}},
        {"type": "sleep", "option": {"duraton": "2s"}},
        {"type": "talk", "optoin": {}},
        {"type": "webhook_send", "option": {"uri": "https://example.com"}},
    ])))
    assert len(lines) == 4, lines
    assert "expected option.duration" in at(lines, "campaigns[0].actions[0]")[0]
    assert "did you mean 'talk'?" in at(lines, "campaigns[0].actions[1]")[0]
    assert "did you mean 'duration'?" in at(lines, "campaigns[0].actions[2]")[0]
    assert "did you mean 'option'?" in at(lines, "campaigns[0].actions[3].optoin")[0]


def test_shift_ending_before_it_starts(capsys, tmp_path):
    msg = one(problems_of(capsys, tmp_path, changed(("agents.0.shift", {"start": "8h", "end": "1h"}))))
    assert ": agents[0].shift: expected a shift that ends at or after its start" in msg


# --------------------------------------------------------------------------- CSV target lists


def test_csv_missing_file(capsys, tmp_path):
    msg = one(problems_of(capsys, tmp_path, changed(("outdials.0.targets", "nothere.csv"))))
    assert ": outdials[0].targets: expected a CSV file" in msg and "no file at" in msg and "nothere.csv" in msg


def test_csv_missing_file_reported_with_other_problems(capsys, tmp_path):
    lines = problems_of(capsys, tmp_path, changed(("outdials.0.targets", "nothere.csv"), ("agents.0.count", -1)))
    assert len(lines) == 2 and at(lines, "outdials[0].targets") and at(lines, "agents[0].count")


@pytest.mark.parametrize("content, expected", [
    ("phone,name\n555,a\n", "no destination columns"),
    ("", "empty"),
    (b"destination_0\n\xff\xfe\n", "not UTF-8"),
    ('destination_0,destination_1\n1,2,3,4\n"unterminated\n', "cannot read"),
])
def test_csv_unusable(capsys, tmp_path, content, expected):
    csv = tmp_path / "targets.csv"
    csv.write_bytes(content if isinstance(content, bytes) else content.encode())
    msg = one(problems_of(capsys, tmp_path, changed(("outdials.0.targets", "targets.csv"))))
    assert ": outdials[0].targets: " in msg and expected in msg


def test_csv_targets_load_with_destination_masks(tmp_path):
    """Targets with some destinations empty: each target's mask has bit i for destination_i present."""
    (tmp_path / "targets.csv").write_text(
        "id,destination_0,destination_1,destination_3\n"
        "1,+15550001,+15550002,\n"      # 0 and 1        -> 0b0011
        "2,,+15550003,\n"               # 1 only         -> 0b0010
        "3,+15550004,,+15550005\n"      # 0 and 3        -> 0b1001
        "4,,,\n"                        # none           -> 0
        '5," +15550006 ",  ,\n'         # 0 (spaces are not a destination) -> 0b0001
    )
    path = write(tmp_path, changed(("outdials.0.targets", "targets.csv")))
    scn = load_scenario(path)
    masks = np.frombuffer(scn.target_masks["cold-list"], dtype=np.uint8)
    assert masks.tolist() == [0b0011, 0b0010, 0b1001, 0, 0b0001]


def test_csv_path_is_relative_to_the_scenario_file(tmp_path, monkeypatch):
    sub = tmp_path / "data"
    sub.mkdir()
    (sub / "t.csv").write_text("destination_0\n1\n2\n")
    path = write(tmp_path, changed(("outdials.0.targets", "data/t.csv")))
    monkeypatch.chdir(sub)  # not where the scenario is
    assert len(load_scenario(path).target_masks["cold-list"]) == 2


def test_csv_with_only_a_header_has_no_targets(tmp_path):
    (tmp_path / "t.csv").write_text("destination_0,destination_1\n")
    scn = load_scenario(write(tmp_path, changed(("outdials.0.targets", "t.csv"))))
    assert scn.target_masks["cold-list"] == b""


def test_csv_size_limit_is_checked_before_reading(capsys, tmp_path, monkeypatch):
    from sim.scenario import load

    (tmp_path / "t.csv").write_text("destination_0\n" + "1\n" * 100)
    monkeypatch.setattr(load, "MAX_CSV_BYTES", 50)
    msg = one(problems_of(capsys, tmp_path, changed(("outdials.0.targets", "t.csv"))))
    assert "at most 50" in msg


def test_csv_row_limit(capsys, tmp_path, monkeypatch):
    from sim.scenario import load

    (tmp_path / "t.csv").write_text("destination_0\n" + "1\n" * 30)
    monkeypatch.setattr(load, "MAX_TARGETS", 20)
    monkeypatch.setattr(load, "CSV_CHUNK_ROWS", 7)
    msg = one(problems_of(capsys, tmp_path, changed(("outdials.0.targets", "t.csv"))))
    assert "more than 20 targets" in msg


# --------------------------------------------------------------------------- --set


def test_set_changes_a_field(capsys, tmp_path):
    rc, lines, out = validate(capsys, DEFAULT, "--set", "agents.0.count=30")
    assert rc == 0 and "30 agents" in out, lines


def test_set_accepts_brackets_and_creates_mappings_the_file_leaves_out(tmp_path):
    scn = load_scenario(DEFAULT, ["agents[0].count=7", "engine.timers.after_wait=2s", "population.time_of_day.multipliers=" + str([1] * 24)])
    assert scn.agents[0].count == 7 and scn.engine.timers.after_wait == 2.0
    assert scn.population.time_of_day is not None


@pytest.mark.parametrize("item, path, expected", [
    ("agents.0.cont=3", "agents[0].cont", "did you mean 'count'?"),
    ("horizn=3h", "horizn", "did you mean 'horizon'?"),
    ("engine.timrs.after_wait=1", "engine.timrs", "did you mean 'timers'?"),
    ("agents.5.count=3", "agents[5]", "the list has 1 item(s), indices 0 to 0"),
    ("agents.x.count=3", "agents", "expected a list index"),
    ("agents.0.count=abc", "agents[0].count", "expected a whole number"),
    ("agents.0.count=2.5", "agents[0].count", "expected a whole number"),
    ("campaigns.0.service_level=-5", "campaigns[0].service_level", "expected a whole number from 0"),
    ("seed.x=3", "seed", "is a value, not a mapping or list"),
    ("agents.0.count=[1", "agents.0.count", "not valid YAML"),
    ("agents.0.count=!!python/object/apply:os.system [ls]", "agents.0.count", "refused"),
])
def test_set_errors(capsys, item, path, expected):
    rc, lines, _ = validate(capsys, DEFAULT, "--set", item)
    assert rc == 2
    msg = one(lines).replace(str(DEFAULT), "FILE")
    assert f": {path}: " in msg and expected in msg and f"set on the command line: {item})" in msg


@pytest.mark.parametrize("item", ["agentscount", "=3", "agents..count=3"])
def test_set_without_a_usable_path(capsys, item):
    rc, lines, _ = validate(capsys, DEFAULT, "--set", item)
    msg = one(lines)[len(str(DEFAULT)):]
    assert rc == 2 and "--set" in msg and ("PATH=VALUE" in msg or "path" in msg)


def test_run_options_are_validated_like_the_file(capsys):
    rc = main(["run", str(DEFAULT), "--horizon", "10 parsecs", "--format", "json"])
    out, err = capsys.readouterr()
    assert rc == 2 and out == "" and ": horizon: expected a duration" in err


# --------------------------------------------------------------------------- every problem at once


def test_several_problems_reported_at_once_in_file_order(capsys, tmp_path):
    data = changed(
        ("horizn", "1h"),
        ("agents.0.count", -1),
        ("campaigns.0.queue", "nope"),
        ("population.outcome.1.human", 0.9),
        ("agents.0.talk_time", {"dist": "lognormal", "mean": 3}),
        ("warmup", "-1s"),
    )
    lines = problems_of(capsys, tmp_path, data)
    paths = [ln.split(": ")[1] for ln in lines]
    assert sorted(paths) == sorted([
        "horizn", "agents[0].count", "campaigns[0].queue", "population.outcome[1]", "agents[0].talk_time.sd", "warmup",
    ])
    numbers = [int(m.group(1)) for ln in lines if (m := re.search(r"line (\d+)\)$", ln))]
    assert numbers == sorted(numbers) and len(numbers) == len(lines), lines


def test_problems_in_several_files_are_all_reported(capsys, tmp_path):
    a = write(tmp_path, changed(("agents.0.count", -1)), "a.yaml")
    b = write(tmp_path, changed(("horizon", "x")), "b.yaml")
    rc = main(["validate", str(a), str(DEFAULT), str(b)])
    out, err = capsys.readouterr()
    assert rc == 2
    assert any(ln.startswith(str(a)) for ln in err.splitlines()) and any(ln.startswith(str(b)) for ln in err.splitlines())
    assert "ok" in out  # the good file is still reported


def test_a_flood_of_problems_is_capped(capsys, tmp_path):
    data = changed(("agents.0.talk_time", {"dist": "empirical", "values": ["x"] * 5000}))
    lines = problems_of(capsys, tmp_path, data)
    assert len(lines) == MAX_PROBLEMS + 1 and "more problems not listed" in lines[-1]


def test_scenario_error_carries_structured_problems(tmp_path):
    with pytest.raises(ScenarioError) as info:
        load_scenario(write(tmp_path, changed(("campaigns.0.outplan", "defualt"))))
    (p,) = info.value.problems
    assert (p.path, p.value, p.has_value) == ("campaigns[0].outplan", "defualt", True)
    assert p.line == 20


# --------------------------------------------------------------------------- what a user sees


def _cli(*args: str, cwd: Path) -> subprocess.CompletedProcess:
    env = dict(os.environ, PYTHONWARNINGS="ignore")
    return subprocess.run([sys.executable, "-m", "sim", *args], cwd=cwd, capture_output=True, text=True, env=env, timeout=120,
                          check=False)


@pytest.mark.parametrize("command", ["validate", pytest.param("run", marks=pytest.mark.slow)])
def test_console_exit_code_two_no_traceback_nothing_written(tmp_path, command):
    work = tmp_path / "work"
    work.mkdir()
    bad = write(tmp_path, DEFAULT.read_text().replace("outplan: default", "outplan: defualt") + "\nhorizn: 1h\n" + "seed: 1\n")
    before = set(work.rglob("*"))
    proc = _cli(command, str(bad), cwd=work)
    assert proc.returncode == 2, proc.stderr
    assert "Traceback" not in proc.stderr and proc.stdout == ""
    lines = proc.stderr.splitlines()
    assert len(lines) == 3, lines
    assert_clean(lines)
    assert set(work.rglob("*")) == before, "a failed validation wrote files"


def test_run_with_out_folder_writes_nothing_on_bad_input(capsys, tmp_path):
    from sim.cli import build_parser

    run_parser = build_parser()._subparsers._group_actions[0].choices["run"]
    if not any("--out" in a.option_strings for a in run_parser._actions):
        pytest.skip("run has no --out option yet")
    out = tmp_path / "results"
    rc = main(["run", str(write(tmp_path, changed(("horizon", "x")))), "--out", str(out)])
    capsys.readouterr()
    assert rc == 2 and not out.exists() and [p.name for p in tmp_path.iterdir()] == ["scn.yaml"]
