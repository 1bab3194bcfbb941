"""Distributions of durations, tagged by ``dist`` in a scenario.

Each one knows its own mean and variance (free test oracles) and draws a block of values
from a ``numpy.random.Generator`` at once, so the simulation never calls numpy per event.
"""

from __future__ import annotations

import math
from typing import Annotated, Literal, Optional, Union

import numpy as np
from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, model_validator

from sim.scenario.types import Number
from sim.units import parse_duration

MAX_SECONDS = 1_000_000_000
"""The largest duration a distribution takes as a parameter (about 31 years): beyond it the
sampler's arithmetic (squares of the sd, ratios of sd to mean) leaves the range of floats."""
MIN_POSITIVE = 1e-6
"""The smallest mean (and gamma sd) above 0, a microsecond, for the same reason."""

Duration = Annotated[float, BeforeValidator(parse_duration), Field(ge=0, le=MAX_SECONDS)]
"""A distribution's parameter in seconds: 0 to 1e9 (about 31 years)."""
PositiveDuration = Annotated[float, BeforeValidator(parse_duration), Field(ge=MIN_POSITIVE, le=MAX_SECONDS)]
"""A distribution's positive parameter in seconds: 1 microsecond to 1e9 (about 31 years)."""


class _Dist(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    @property
    def is_constant(self) -> bool:
        return False

    @property
    def mean(self) -> float:  # pragma: no cover - overridden
        raise NotImplementedError

    @property
    def var(self) -> float:  # pragma: no cover - overridden
        raise NotImplementedError

    def sample(self, gen: np.random.Generator, n: int) -> np.ndarray:  # pragma: no cover
        raise NotImplementedError


class Constant(_Dist):
    dist: Literal["constant"]
    value: Duration

    @property
    def is_constant(self) -> bool:
        return True

    @property
    def mean(self) -> float:
        return self.value

    @property
    def var(self) -> float:
        return 0.0

    def sample(self, gen: np.random.Generator, n: int) -> np.ndarray:
        return np.full(n, self.value)


class Exponential(_Dist):
    dist: Literal["exponential"]
    mean_: PositiveDuration = Field(alias="mean")

    @property
    def mean(self) -> float:
        return self.mean_

    @property
    def var(self) -> float:
        return self.mean_**2

    def sample(self, gen, n):
        return gen.exponential(self.mean_, n)


class Lognormal(_Dist):
    """Given by its own mean and standard deviation (not those of its logarithm); sd 0 is a constant."""

    dist: Literal["lognormal"]
    mean_: PositiveDuration = Field(alias="mean")
    sd: Duration

    @property
    def is_constant(self) -> bool:
        return self.sd == 0

    @property
    def mean(self) -> float:
        return self.mean_

    @property
    def var(self) -> float:
        return self.sd**2

    def sample(self, gen, n):
        m, s = self.mean_, self.sd
        if s == 0:
            return np.full(n, m)
        sigma2 = math.log1p((s / m) ** 2)
        return gen.lognormal(math.log(m) - sigma2 / 2, math.sqrt(sigma2), n)


class Uniform(_Dist):
    dist: Literal["uniform"]
    low: Duration
    high: Duration

    @model_validator(mode="after")
    def _ordered(self):
        if self.high < self.low:
            raise ValueError(f"expected low <= high in a uniform distribution; found low={self.low:g}s, high={self.high:g}s")
        return self

    @property
    def is_constant(self) -> bool:
        return self.low == self.high

    @property
    def mean(self) -> float:
        return (self.low + self.high) / 2

    @property
    def var(self) -> float:
        return (self.high - self.low) ** 2 / 12

    def sample(self, gen, n):
        return gen.uniform(self.low, self.high, n)


class Gamma(_Dist):
    """Given by its mean and standard deviation: shape (mean/sd)^2, scale sd^2/mean."""

    dist: Literal["gamma"]
    mean_: PositiveDuration = Field(alias="mean")
    sd: PositiveDuration

    @property
    def mean(self) -> float:
        return self.mean_

    @property
    def var(self) -> float:
        return self.sd**2

    def sample(self, gen, n):
        shape = (self.mean_ / self.sd) ** 2
        return gen.gamma(shape, self.sd**2 / self.mean_, n)


class Empirical(_Dist):
    dist: Literal["empirical"]
    values: Annotated[list[Duration], Field(min_length=1, max_length=100_000)]
    weights: Optional[Annotated[list[Annotated[Number, Field(ge=0)]], Field(max_length=100_000)]] = None

    @model_validator(mode="after")
    def _weights(self):
        if self.weights is not None:
            if len(self.weights) != len(self.values):
                raise ValueError(
                    f"expected one weight per value in an empirical distribution; found {len(self.values)} values "
                    f"and {len(self.weights)} weights"
                )
            total = float(sum(self.weights))  # inf when it overflows (fsum would raise)
            if not math.isfinite(total):
                raise ValueError("expected empirical weights whose sum is a finite number; they add up to more than "
                                 "the largest number (about 1.8e308): scale them down, only their ratios matter")
            if total <= 0:
                raise ValueError("expected empirical weights with at least one above 0; they are all 0")
        return self

    def _p(self) -> np.ndarray:
        if self.weights is None:
            return np.full(len(self.values), 1 / len(self.values))
        w = np.asarray(self.weights, float)
        w = w / w.max()  # scaled first, so tiny or huge weights neither underflow nor overflow
        return w / w.sum()

    @property
    def is_constant(self) -> bool:
        return len(set(self.values)) == 1

    @property
    def mean(self) -> float:
        return float(np.dot(self._p(), self.values))

    @property
    def var(self) -> float:
        v = np.asarray(self.values)
        return float(np.dot(self._p(), (v - self.mean) ** 2))

    def sample(self, gen, n):
        return gen.choice(np.asarray(self.values, float), size=n, p=self._p())


Distribution = Annotated[
    Union[Constant, Exponential, Lognormal, Uniform, Gamma, Empirical], Field(discriminator="dist")
]
DIST_NAMES = ("constant", "exponential", "lognormal", "uniform", "gamma", "empirical")


def constant(seconds: float) -> Constant:
    return Constant(dist="constant", value=seconds)
