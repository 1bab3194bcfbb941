"""Field types shared by the scenario models."""

from __future__ import annotations

from typing import Annotated

from pydantic import BeforeValidator, Field
from pydantic_core import PydanticCustomError

from sim.units import parse_duration


def _number(value: object) -> object:
    """A plain number: ``true``/``false`` and text are refused (pydantic would turn them into 1.0 or parse them)."""
    if isinstance(value, (bool, str)):
        raise PydanticCustomError("float_type", "expected a number")
    return value


Duration = Annotated[float, BeforeValidator(parse_duration)]
"""Seconds; accepts numbers and strings with a unit."""

PositiveDuration = Annotated[float, BeforeValidator(parse_duration), Field(gt=0)]
"""Seconds, above 0."""

ServiceLevel = Annotated[int, Field(ge=0, le=100_000, strict=True)]
"""An integer percent of 0 or more (the engine has no upper bound; we stop at 100000)."""

Probability = Annotated[float, BeforeValidator(_number), Field(ge=0, le=1, allow_inf_nan=False)]
"""A number from 0 to 1."""

def _rate(value: object) -> object:
    """``0.03`` or ``"3%"``: a share written either way (text only with a percent sign)."""
    if isinstance(value, bool):
        raise PydanticCustomError("float_type", "expected a number")
    if isinstance(value, str):
        text = value.strip()
        if not text.endswith("%"):
            raise PydanticCustomError("float_type", "expected a number")
        try:
            return float(text[:-1]) / 100.0
        except ValueError:
            raise PydanticCustomError("float_type", "expected a number") from None
    return value


Rate = Annotated[float, BeforeValidator(_rate), Field(ge=0, le=1, allow_inf_nan=False)]
"""A share from 0 to 1, written as a number (``0.03``) or a percentage (``3%``)."""

Number = Annotated[float, BeforeValidator(_number), Field(allow_inf_nan=False)]
"""A finite plain number."""
