"""Property-based tests of the scenario loader (hypothesis): whatever the input, the loader either
returns a scenario that can be run safely or raises ``ScenarioError`` whose every problem is one
line naming the file; nothing else escapes, and a target list is never read from outside the
scenario's folder.

Deterministic (``derandomize``) and small enough for the fast lane: a few seconds in all.
"""

from __future__ import annotations

import copy
import math
from pathlib import Path

import numpy as np
import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sim.scenario import ScenarioError, parse_scenario
from sim.scenario.safe_yaml import parse_yaml_text
from sim.scenario.schema import MAX_INTERVALS, MAX_LOOP_STEPS, Scenario

ROOT = Path(__file__).resolve().parents[1]
BASE = yaml.safe_load((ROOT / "tests" / "data" / "golden_scenario.yaml").read_text())
FILE = "hyp.yaml"
SETTINGS = settings(max_examples=120, deadline=None, derandomize=True, database=None,
                    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])

# values that have broken loaders: extremes of floats and ints, text where numbers go, nesting
hostile = st.recursive(
    st.one_of(
        st.none(), st.booleans(),
        st.integers(min_value=-(10**30), max_value=10**30),
        st.sampled_from([0, -1, 1e-300, 1e-6, 1e9, 1e160, 1e308, -1e308, 2**63, 10**12]),
        st.floats(allow_nan=True, allow_infinity=True),
        st.sampled_from(["", "0s", "1ms", "0.000001", "1e160", "-5s", "31d", "1h30m", "NaN", "inf", "../x.csv",
                         "/proc/self/environ", "a" * 300, "lognormal", "gamma", "empirical"]),
        st.text(max_size=20),
    ),
    lambda inner: st.one_of(st.lists(inner, max_size=4),
                            st.dictionaries(st.sampled_from(["dist", "mean", "sd", "value", "low", "high", "values",
                                                             "weights", "x"]), inner, max_size=4)),
    max_leaves=8,
)


def _paths(node, loc=()):
    """Every path into the default scenario (mappings by key, lists by index)."""
    yield loc
    if isinstance(node, dict):
        for k, v in node.items():
            yield from _paths(v, loc + (k,))
    elif isinstance(node, list):
        for i, v in enumerate(node):
            yield from _paths(v, loc + (i,))


PATHS = [p for p in _paths(BASE) if p] + [
    ("engine", "timers", t) for t in ("after_dial", "after_wait", "queue_step", "queue_idle_step", "first_step")
] + [("timeseries_interval",), ("population", "ring_time"), ("agents", 0, "wrap_up")]


def _set(data, loc, value):
    node = data
    for part in loc[:-1]:
        if isinstance(node, dict):
            node = node.setdefault(part, {})
        else:
            node = node[part]
    node[loc[-1]] = value


def _check_problems(exc: ScenarioError) -> None:
    assert exc.problems
    for p in exc.problems:
        text = str(p)
        assert p.file == FILE and text.startswith(FILE) and "\n" not in text and "Traceback" not in text, text
        assert len(text) < 2000, text


def _safe_to_run(scn: Scenario) -> None:
    """What validation promises a run: samplers that give finite values, loops that end."""
    gen = np.random.default_rng(0)
    dists = [scn.population.ring_time, scn.population.busy_time, scn.population.failed_time,
             scn.population.patience, scn.population.machine_talk_time, scn.population.amd.detect_time]
    for a in scn.agents:
        dists += [a.answer_delay, a.talk_time, a.wrap_up, a.status_reset]
    for d in dists:
        x = d.sample(gen, 64)
        assert np.isfinite(x).all() and (x >= 0).all(), d
        assert math.isfinite(d.mean) and math.isfinite(d.var)
    t = scn.engine.timers
    for step in (t.after_dial, t.after_wait, t.queue_step, t.queue_idle_step):
        assert scn.horizon / step <= MAX_LOOP_STEPS
    assert scn.horizon / scn.timeseries_interval <= MAX_INTERVALS


@pytest.mark.slow
@settings(SETTINGS, max_examples=60)
@given(edits=st.lists(st.tuples(st.sampled_from(PATHS), hostile), min_size=1, max_size=3))
def test_any_edit_of_a_scenario_is_accepted_safely_or_refused_cleanly(edits, tmp_path_factory):
    folder = tmp_path_factory.getbasetemp() / "hyp-scn"
    folder.mkdir(exist_ok=True)
    data = copy.deepcopy(BASE)
    for loc, value in edits:
        try:
            _set(data, loc, copy.deepcopy(value))
        except (TypeError, IndexError, KeyError):
            pass  # an earlier edit replaced a mapping on the way by a value
    try:
        scn = parse_scenario(data, FILE, str(folder))
    except ScenarioError as exc:
        _check_problems(exc)
    else:
        _safe_to_run(scn)


@SETTINGS
@given(target=st.one_of(
    st.text(max_size=40),
    st.lists(st.sampled_from(["..", ".", "data", "t.csv", "a" * 300, "", "~", "/", "proc", "self", "environ",
                              "link.csv", "\x00"]), max_size=8).map("/".join),
))
def test_target_list_paths_are_confined_or_refused(target, tmp_path_factory):
    """Any path: refused cleanly, or read from inside the scenario's folder (``data/t.csv``, or
    ``link.csv`` that points at it)."""
    base = tmp_path_factory.getbasetemp() / "hyp-targets"
    folder = base / "scn"
    if not folder.exists():
        (folder / "data").mkdir(parents=True)
        (folder / "data" / "t.csv").write_text("destination_0\n1\n2\n")
        (folder / "link.csv").symlink_to(folder / "data" / "t.csv")
        (base / "t.csv").write_text("destination_0\n1\n")  # outside: never to be read
        (base / "outside.csv").symlink_to(base / "t.csv")
    data = copy.deepcopy(BASE)
    data["outdials"][0]["targets"] = target
    try:
        scn = parse_scenario(data, FILE, str(folder))
    except ScenarioError as exc:
        _check_problems(exc)
    else:
        masks = scn.target_masks.get("cold-list")
        if isinstance(scn.outdials[0].targets, str):
            assert masks is not None and len(masks) == 2, target  # only the list inside has 2 targets


@SETTINGS
@given(text=st.one_of(
    st.text(max_size=200),
    st.lists(st.sampled_from(["a: &x [1, 2]\n", "b: *x\n", "c: {d: *x}\n", "- 1\n", "e: !!python/object x\n",
                              "f: [[[[[[\n", "g: 1\ng: 2\n", "h: '\x00'\n", ": :\n", "&y i: 1\n", "*y\n"]),
             max_size=6).map("".join),
))
def test_any_text_is_parsed_or_refused_cleanly(text):
    data, problems, _ = parse_yaml_text(text, FILE)
    if data is None:
        for p in problems:
            assert str(p).startswith(FILE) and "\n" not in str(p)
    else:
        assert isinstance(data, dict)
        try:
            parse_scenario(data, FILE, pre_problems=problems)
        except ScenarioError as exc:
            _check_problems(exc)


def test_hypothesis_is_declared_for_the_tests():
    text = (ROOT / "pyproject.toml").read_text()
    test_extra = text.split("[project.optional-dependencies]", 1)[1].split("\n\n", 1)[0]
    assert "hypothesis" in test_extra


pytestmark = pytest.mark.filterwarnings("ignore::hypothesis.errors.NonInteractiveExampleWarning")
