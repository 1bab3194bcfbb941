"""Field types shared by the scenario models."""

from __future__ import annotations

from typing import Annotated

from pydantic import BeforeValidator, Field

from sim.units import parse_duration

Duration = Annotated[float, BeforeValidator(parse_duration)]
"""Seconds; accepts numbers and strings with a unit."""

ServiceLevel = Annotated[int, Field(ge=0, le=100_000, strict=True)]
"""An integer percent of 0 or more (the engine has no upper bound; we stop at 100000)."""

Probability = Annotated[float, Field(ge=0, le=1, allow_inf_nan=False)]
