"""Validating a baseline file as strictly as a scenario: every number finite and in range, and the
statistics consistent with the replications they summarise.

``check`` trusts what a baseline says (its means, variances and counts go straight into the
tests), so a file that was edited, truncated or made up must be refused before it is used:
``n: 0`` beside real values would raise a false alarm on identical runs, ``var: Infinity`` or a
one-item ``values`` would silently drop a metric from the test. Each problem names its field.

Reading is bounded too: the file's size before it is read, its nesting depth and its numbers
(a 5,000-digit integer) as it is parsed.
"""

from __future__ import annotations

import json
import math
from typing import Annotated, Any

import numpy as np
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from sim.scenario.errors import format_path

MAX_BASELINE_BYTES = 8 * 1024 * 1024
"""A baseline file's size at most (a 9-level, 20-replication baseline takes about 100 kB)."""
MAX_DEPTH = 64
"""Nesting depth at most (a baseline nests about 8 levels; the resolved scenario a few more)."""
MAX_REPLICATIONS = 10_000
"""As in a scenario: replications per service level at most."""
MAX_PROBLEMS = 5
REL_TOL = 1e-9
"""Tolerance of the recomputed mean and variance against the stored ones (a baseline stores
them to 17 digits, so a written baseline matches exactly; an edited one does not)."""


class _M(BaseModel):
    model_config = ConfigDict(extra="allow", strict=True)


FiniteFloat = Annotated[float, Field(allow_inf_nan=False, strict=False)]
Count = Annotated[int, Field(ge=0, le=MAX_REPLICATIONS, strict=True)]


def _finite(v: Any) -> Any:
    """``int`` or ``float`` (never ``bool``), finite; None passes through."""
    if v is None:
        return v
    if isinstance(v, bool) or not isinstance(v, (int, float)):
        raise ValueError("expected a number")  # noqa: TRY004 (pydantic wants ValueError)
    if not math.isfinite(float(v)):
        raise ValueError(f"expected a finite number; found {v!r}")
    return float(v)


class MetricStats(_M):
    mean: float | None = Field(description="the mean of the defined values; null when n is 0")
    var: float | None = Field(description="their variance (n - 1 in the denominator); null when n is below 2")
    n: Count
    sd: float | None = None
    values: Annotated[list[float | None], Field(max_length=MAX_REPLICATIONS)] | None = None

    @field_validator("mean", "var", "sd", mode="before")
    @classmethod
    def _number(cls, v: Any) -> Any:
        return _finite(v)

    @field_validator("values", mode="before")
    @classmethod
    def _numbers(cls, v: Any) -> Any:
        if isinstance(v, list):
            for i, x in enumerate(v):
                try:
                    _finite(x)
                except ValueError as exc:
                    raise ValueError(f"item {i}: {exc}") from None
            return [None if x is None else float(x) for x in v]
        return v

    @model_validator(mode="after")
    def _consistent(self):
        n = self.n
        if self.var is not None and self.var < 0:
            raise ValueError(f"var is {self.var!r}; a variance is 0 or more")
        if self.sd is not None and self.sd < 0:
            raise ValueError(f"sd is {self.sd!r}; a standard deviation is 0 or more")
        if (self.mean is None) != (n == 0):
            raise ValueError(f"mean is {self.mean!r} with n {n}; a mean is given exactly when n is 1 or more")
        if (self.var is None) != (n < 2):
            raise ValueError(f"var is {self.var!r} with n {n}; a variance is given exactly when n is 2 or more")
        if self.var is not None and self.sd is not None and not _close(self.sd, math.sqrt(self.var)):
            raise ValueError(f"sd {self.sd!r} is not the square root of var {self.var!r}")
        if self.values is not None:
            with np.errstate(all="ignore"):  # huge values overflow to inf and then fail the comparison
                return self._match_values(n)
        return self

    def _match_values(self, n: int):
        if self.values is not None:
            defined = np.array([x for x in self.values if x is not None], float)
            if len(defined) != n:
                raise ValueError(f"n is {n} but values has {len(defined)} defined item(s) of {len(self.values)}")
            if n and not _close(self.mean, float(defined.mean())):
                raise ValueError(f"mean {self.mean!r} is not the mean of values ({float(defined.mean())!r})")
            if n > 1 and not _close(self.var, float(defined.var(ddof=1))):
                raise ValueError(f"var {self.var!r} is not the variance of values ({float(defined.var(ddof=1))!r})")
        return self


def _close(a: float | None, b: float) -> bool:
    return a is not None and abs(a - b) <= REL_TOL * max(abs(a), abs(b)) + 1e-300


class LevelResult(_M):
    service_level: Annotated[int, Field(ge=0, le=100_000, strict=True)]
    metrics: dict[str, MetricStats]


class ScenarioInfo(_M):
    name: str | None = None
    hash: str | None = None
    content: dict | None = None


class Baseline(_M):
    format: str
    format_version: int
    seed: Annotated[int, Field(ge=0, lt=2**63, strict=True)]
    replications: Annotated[int, Field(ge=1, le=MAX_REPLICATIONS, strict=True)]
    service_levels: Annotated[list[Annotated[int, Field(ge=0, le=100000, strict=True)]], Field(min_length=1)] | None = None
    metrics: list[str] | None = None
    scenario: ScenarioInfo | None = None
    versions: dict[str, str | None] | None = None
    results: Annotated[list[LevelResult], Field(min_length=1, max_length=100_000)]

    @model_validator(mode="after")
    def _levels(self):
        problems = []
        seen: dict[int, int] = {}
        for i, r in enumerate(self.results):
            if r.service_level in seen:
                problems.append(f"results[{i}].service_level: service level {r.service_level} is also "
                                f"results[{seen[r.service_level]}]")
            seen.setdefault(r.service_level, i)
        if self.service_levels is not None and sorted(self.service_levels) != sorted(seen):
            problems.append(f"service_levels: {self.service_levels} are not the levels in results {sorted(seen)}")
        for i, r in enumerate(self.results):
            for m, s in r.metrics.items():
                if s.n > self.replications:
                    problems.append(f"results[{i}].metrics.{m}.n: {s.n} is above the baseline's "
                                    f"{self.replications} replications")
                if s.values is not None and len(s.values) != self.replications:
                    problems.append(f"results[{i}].metrics.{m}.values: {len(s.values)} item(s); the baseline has "
                                    f"{self.replications} replications")
        if problems:
            raise ValueError("; ".join(problems[:MAX_PROBLEMS]))
        return self


# --------------------------------------------------------------------------- reading


def parse_baseline_text(raw: bytes) -> tuple[Any, str | None]:
    """JSON text -> ``(document, None)`` or ``(None, why)``; never raises on bad input."""
    if len(raw) > MAX_BASELINE_BYTES:
        return None, f"the file has more than {MAX_BASELINE_BYTES:,} bytes; a baseline is far smaller"
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        return None, f"not UTF-8 text (byte {exc.start})"
    try:
        doc = json.loads(text)
    except json.JSONDecodeError as exc:
        return None, f"invalid JSON at line {exc.lineno}, column {exc.colno} ({exc.msg})"
    except RecursionError:
        return None, f"nested more than {MAX_DEPTH} levels deep"
    except ValueError as exc:  # e.g. an integer of more than 4,300 digits
        if "digits" in str(exc):
            return None, "a number has too many digits (more than 4,300)"
        return None, "invalid JSON"
    if _too_deep(doc):
        return None, f"nested more than {MAX_DEPTH} levels deep"
    return doc, None


def _too_deep(doc: Any) -> bool:
    """Nesting deeper than ``MAX_DEPTH``, measured without recursion."""
    stack = [(doc, 1)]
    while stack:
        node, depth = stack.pop()
        if depth > MAX_DEPTH:
            return True
        if isinstance(node, dict):
            stack.extend((v, depth + 1) for v in node.values() if isinstance(v, (dict, list)))
        elif isinstance(node, list):
            stack.extend((v, depth + 1) for v in node if isinstance(v, (dict, list)))
    return False


def baseline_problems(doc: Any) -> list[str]:
    """Every problem of a parsed baseline document, each ``path: what`` (empty: usable)."""
    try:
        Baseline.model_validate(doc)
    except ValidationError as exc:
        out = []
        for err in exc.errors(include_url=False):
            path = format_path(err["loc"])
            msg = str(err.get("msg", "invalid")).removeprefix("Value error, ")
            msg = msg.replace("Input should be", "expected").replace("input should be", "expected")
            if err["type"] == "missing":
                msg = "required field is missing"
            out.append(f"{path}: {msg}" if path else msg)
        return out
    return []
