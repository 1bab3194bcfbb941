"""Durations with units, and distributions that know their own mean and variance."""

from __future__ import annotations

import math

import numpy as np
import pytest
from pydantic import TypeAdapter, ValidationError

from sim.units import format_duration, parse_duration
from sim.world.distributions import Distribution

# --------------------------------------------------------------------------- durations


@pytest.mark.parametrize("text, seconds", [
    ("500ms", 0.5),
    ("45s", 45.0),
    ("10m", 600.0),
    ("10min", 600.0),
    ("8h", 28800.0),
    ("1d", 86400.0),
    ("1h30m", 5400.0),
    ("1h 30m 15s", 5415.0),
    ("1.5h", 5400.0),
    (".5s", 0.5),
    ("600000ms", 600.0),  # a value copied from VoIPbin's API, in milliseconds
    ("0s", 0.0),
    (" 45s ", 45.0),
    (45, 45.0),
    (2.5, 2.5),
    (0, 0.0),
    ("30", 30.0),
    ("1e3", 1000.0),
])
def test_duration_parses(text, seconds):
    assert parse_duration(text) == pytest.approx(seconds, abs=1e-12)


@pytest.mark.parametrize("value", [
    "10 parsecs", "ten", "5m5", "m", "", "1.2.3s", "10ms5", "h1", "-3s", -1, -0.001, True, False, None,
    [1], {"s": 1}, float("inf"), float("nan"), "inf", "nan", 10**400,
])
def test_bad_duration_is_a_value_error(value):
    with pytest.raises(ValueError, match="duration"):
        parse_duration(value)


@pytest.mark.parametrize("seconds, text", [(28800, "8h"), (600, "10m"), (45, "45s"), (0.5, "0.5s"), (90, "90s")])
def test_format_duration(seconds, text):
    assert format_duration(seconds) == text
    assert parse_duration(text) == seconds


# --------------------------------------------------------------------------- distributions

DIST = TypeAdapter(Distribution)

CASES = [
    {"dist": "constant", "value": "12s"},
    {"dist": "exponential", "mean": "25s"},
    {"dist": "lognormal", "mean": "180s", "sd": "90s"},
    {"dist": "lognormal", "mean": "6m", "sd": "8m"},      # heavier tail: cv above 1
    {"dist": "lognormal", "mean": "10s", "sd": 0},         # sd 0: a constant
    {"dist": "uniform", "low": "1s", "high": "4s"},
    {"dist": "uniform", "low": 3, "high": 3},
    {"dist": "gamma", "mean": "569s", "sd": "655s"},       # shape 0.755 (ContactCenters' inbound talk time)
    {"dist": "gamma", "mean": 10, "sd": 2},
    {"dist": "empirical", "values": ["6s", "8s", "10s", "18s", "20s", "22s"]},
    {"dist": "empirical", "values": [1, 2, 10], "weights": [5, 3, 2]},
    {"dist": "empirical", "values": [7, 7]},
]


def _id(case: dict) -> str:
    return "-".join(str(v) for v in case.values())


@pytest.mark.parametrize("case", CASES, ids=_id)
def test_sample_mean_and_variance_match_the_distribution(case):
    """Sample mean and variance within 4 standard errors of ``.mean`` and ``.var``.

    Standard error of the sample mean: sqrt(var / n). Standard error of the sample variance:
    sqrt((m4 - var^2) / n), with m4 the sample's fourth central moment. 4 standard errors leave
    a chance of about 6e-5 per check of failing by bad luck, and the seed is fixed anyway.
    """
    d = DIST.validate_python(case)
    n = 400_000
    x = d.sample(np.random.default_rng(20240601), n)
    assert x.shape == (n,) and np.all(x >= 0) and np.all(np.isfinite(x))
    mean, var = float(x.mean()), float(x.var(ddof=1))
    if d.var == 0:
        assert np.all(x == d.mean) and d.is_constant
        return
    se_mean = math.sqrt(d.var / n)
    assert abs(mean - d.mean) <= 4 * se_mean, f"{case}: sample mean {mean:.4f}, expected {d.mean:.4f} +- {4 * se_mean:.4f}"
    m4 = float(np.mean((x - mean) ** 4))
    se_var = math.sqrt(max(m4 - var**2, 0.0) / n)
    assert abs(var - d.var) <= 4 * se_var, f"{case}: sample variance {var:.4f}, expected {d.var:.4f} +- {4 * se_var:.4f}"


@pytest.mark.parametrize("case, mean, var", [
    ({"dist": "constant", "value": "2m"}, 120.0, 0.0),
    ({"dist": "exponential", "mean": "15s"}, 15.0, 225.0),
    ({"dist": "lognormal", "mean": "3m", "sd": "90s"}, 180.0, 8100.0),
    ({"dist": "uniform", "low": "2s", "high": "5s"}, 3.5, 0.75),
    ({"dist": "gamma", "mean": 10, "sd": 5}, 10.0, 25.0),
    ({"dist": "empirical", "values": [1, 3]}, 2.0, 1.0),
    ({"dist": "empirical", "values": [0, 10], "weights": [3, 1]}, 2.5, 18.75),
])
def test_mean_and_variance_are_those_of_the_parameters(case, mean, var):
    d = DIST.validate_python(case)
    assert d.mean == pytest.approx(mean) and d.var == pytest.approx(var)


def test_same_seed_same_draws():
    d = DIST.validate_python({"dist": "lognormal", "mean": 180, "sd": 90})
    a = d.sample(np.random.default_rng(7), 1000)
    b = d.sample(np.random.default_rng(7), 1000)
    assert np.array_equal(a, b)


def test_distributions_are_picklable():
    import pickle

    for case in CASES:
        d = DIST.validate_python(case)
        assert pickle.loads(pickle.dumps(d)) == d


@pytest.mark.parametrize("case", [
    {"dist": "exponential", "mean": 0},
    {"dist": "lognormal", "mean": 0, "sd": 1},
    {"dist": "gamma", "mean": 10, "sd": 0},
    {"dist": "uniform", "low": 5, "high": 1},
    {"dist": "empirical", "values": [1, 2], "weights": [1]},
    {"dist": "empirical", "values": [1, 2], "weights": [0, 0]},
    {"dist": "empirical", "values": [1, 2], "weights": [1, True]},
    {"dist": "constant", "value": "-1s"},
    {"dist": "weibull", "mean": 3},
    {"dist": "lognormal", "mean": 3},
])
def test_invalid_distribution_is_refused(case):
    with pytest.raises(ValidationError):
        DIST.validate_python(case)
