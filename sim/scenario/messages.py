"""Pydantic's validation errors turned into problems a scenario author can act on.

Each problem names the path inside the file without pydantic's internals (the tag of a
distribution's union member never shows), the value found, and what was expected in the words
of the scenario format; an unknown key or value gets a "did you mean" drawn from the fields or
values allowed at that very place.
"""

from __future__ import annotations

import difflib
import typing
from dataclasses import dataclass, field
from typing import Any, Literal, Optional, Union

import annotated_types as at
from pydantic import BaseModel, BeforeValidator, ValidationError
from pydantic.fields import FieldInfo

from sim.scenario.errors import Problem, format_path, short
from sim.units import DURATION_HELP, parse_duration
from sim.world import distributions as dists

DIST_CLASSES: dict[str, type] = {
    "constant": dists.Constant,
    "exponential": dists.Exponential,
    "lognormal": dists.Lognormal,
    "uniform": dists.Uniform,
    "gamma": dists.Gamma,
    "empirical": dists.Empirical,
}
DIST_HELP = (
    "a distribution: a mapping with 'dist' set to one of "
    + ", ".join(dists.DIST_NAMES)
    + " and its parameters (constant: value; exponential: mean; lognormal, gamma: mean, sd; uniform: low, high; "
    "empirical: values, optional weights)"
)


# --------------------------------------------------------------------------- the schema at a path


@dataclass
class Spot:
    """What the schema expects at one path."""

    loc: tuple
    """The path without union tags."""
    tp: Any = None
    """The expected type (``None``: the path leaves the schema)."""
    meta: list = field(default_factory=list)
    """Constraints and validators on it (``annotated_types`` objects, ``BeforeValidator``)."""
    description: Optional[str] = None
    """The field's own description of what it holds, when it has one."""


def _flat_meta(items) -> list:
    out = []
    for m in items:
        if isinstance(m, FieldInfo):
            out += _flat_meta(m.metadata)
        else:
            out.append(m)
    return out


def _strip(tp: Any) -> tuple[Any, list]:
    """Remove ``Annotated`` (keeping its metadata) and ``Optional``."""
    meta: list = []
    for _ in range(10):
        origin = typing.get_origin(tp)
        if origin is typing.Annotated:
            args = typing.get_args(tp)
            meta += _flat_meta(args[1:])
            tp = args[0]
        elif origin is Union or str(origin) == "<class 'types.UnionType'>":
            args = [a for a in typing.get_args(tp) if a is not type(None)]
            if len(args) != 1:
                return tp, meta
            tp = args[0]
        else:
            break
    return tp, meta


def is_dist_union(tp: Any) -> bool:
    args = typing.get_args(tp)
    return typing.get_origin(tp) is Union and bool(args) and all(a in DIST_CLASSES.values() for a in args)


def model_field(model: type[BaseModel], key: str) -> Optional[FieldInfo]:
    """A field by its name in the file (its alias when it has one)."""
    for name, f in model.model_fields.items():
        if f.exclude:
            continue
        if (f.alias or name) == key:
            return f
        if f.alias and name == key and model.model_config.get("populate_by_name"):
            return f
    return None


def field_names(model: type[BaseModel]) -> list[str]:
    return [f.alias or n for n, f in model.model_fields.items() if not f.exclude]


def resolve(loc: tuple, root: type[BaseModel]) -> Spot:
    """Follow ``loc`` through the schema; drop the union tags pydantic puts in error paths."""
    tp: Any = root
    meta: list = []
    out: list = []
    known = True
    description = None
    for part in loc:
        if not known:
            out.append(part)
            continue
        tp, more = _strip(tp)
        meta += more
        description = None
        if is_dist_union(tp) and isinstance(part, str) and part in DIST_CLASSES:
            tp, meta = DIST_CLASSES[part], []
            continue
        out.append(part)
        if isinstance(part, int):
            if typing.get_origin(tp) is list:
                tp, meta = typing.get_args(tp)[0], []
            else:
                known = False
        elif isinstance(tp, type) and issubclass(tp, BaseModel):
            f = model_field(tp, part)
            if f is None:
                known = False
            else:
                tp, meta, description = f.annotation, _flat_meta(f.metadata), f.description
        else:
            known = False
    if not known:
        return Spot(tuple(out))
    tp, more = _strip(tp)
    return Spot(tuple(out), tp, meta + more, description)


# --------------------------------------------------------------------------- what is expected


def _is_duration(meta: list) -> bool:
    return any(isinstance(m, BeforeValidator) and m.func is parse_duration for m in meta)


def _num(x: Any) -> str:
    if isinstance(x, int) and abs(x) >= 10_000:
        return f"{x:,}"
    return f"{x:g}" if isinstance(x, float) else str(x)


def _range(meta: list, unit: str = "") -> str:
    lo = hi = None
    lo_open = hi_open = False
    for m in meta:
        if isinstance(m, at.Ge):
            lo = m.ge
        elif isinstance(m, at.Gt):
            lo, lo_open = m.gt, True
        elif isinstance(m, at.Le):
            hi = m.le
        elif isinstance(m, at.Lt):
            hi, hi_open = m.lt, True
        elif isinstance(m, at.Interval):
            if m.ge is not None:
                lo = m.ge
            if m.gt is not None:
                lo, lo_open = m.gt, True
            if m.le is not None:
                hi = m.le
            if m.lt is not None:
                hi, hi_open = m.lt, True
    if lo is not None and hi is not None and not lo_open and not hi_open:
        return f" from {_num(lo)}{unit} to {_num(hi)}{unit}"
    parts = []
    if lo is not None:
        parts.append(f"above {_num(lo)}{unit}" if lo_open else f"of {_num(lo)}{unit} or more")
    if hi is not None:
        parts.append(f"below {_num(hi)}{unit}" if hi_open else f"at most {_num(hi)}{unit}")
    return (" " + " and ".join(parts)) if parts else ""


def _lengths(meta: list) -> tuple[Optional[int], Optional[int]]:
    lo = next((m.min_length for m in meta if isinstance(m, at.MinLen)), None)
    hi = next((m.max_length for m in meta if isinstance(m, at.MaxLen)), None)
    return lo, hi


def _count(lo: Optional[int], hi: Optional[int], noun: str) -> str:
    if lo is not None and hi is not None:
        return f"{_num(lo)} {noun}" if lo == hi else f"{_num(lo)} to {_num(hi)} {noun}"
    if lo:
        return f"at least {_num(lo)} {noun}"
    if hi is not None:
        return f"at most {_num(hi)} {noun}"
    return noun


def describe(spot: Spot) -> str:
    """What the schema expects at ``spot``, in the words of the scenario format."""
    tp, meta = spot.tp, spot.meta
    if tp is None:
        return "a known field"
    if spot.description:
        return spot.description
    if is_dist_union(tp):
        return DIST_HELP
    if _is_duration(meta):
        rng = _range(meta, "s")
        return DURATION_HELP + (f", {rng.strip()}" if rng else "")
    if typing.get_origin(tp) is Literal:
        return "one of " + ", ".join(repr(v) for v in typing.get_args(tp))
    if tp is bool:
        return "true or false"
    if tp is int:
        return "a whole number" + _range(meta)
    if tp is float:
        return "a number" + _range(meta)
    if tp is str:
        lo, hi = _lengths(meta)
        if lo and hi:
            return f"text of 1 to {hi} characters" if lo == 1 else f"text of {lo} to {hi} characters"
        return "text"
    if typing.get_origin(tp) is list:
        lo, hi = _lengths(meta)
        return "a list of " + _count(lo, hi, "items")
    if typing.get_origin(tp) is dict:
        return "a mapping"
    if typing.get_origin(tp) is Union:
        args = set(typing.get_args(tp))
        if args == {int, str}:
            return "a count of targets, or the path of a CSV file with columns destination_0..4"
    if isinstance(tp, type) and issubclass(tp, dists._Dist):
        return DIST_HELP
    if isinstance(tp, type) and issubclass(tp, BaseModel):
        names = field_names(tp)
        return "a mapping with fields " + ", ".join(names)
    return getattr(tp, "__name__", str(tp))


def did_you_mean(word: object, choices: list[str]) -> str:
    close = difflib.get_close_matches(str(word), [str(c) for c in choices], n=1, cutoff=0.6)
    return f"; did you mean {close[0]!r}?" if close else ""


# --------------------------------------------------------------------------- errors -> problems

MAX_TRANSLATED = 200
"""Errors turned into problems; a file with more gets a count of the rest."""

MOVED_KEYS: dict[tuple, tuple[str, str]] = {
    ("regulatory_threshold",): ("regulatory.threshold", "regulatory: {threshold: 2s, greeting: 1s, clock: answer, max_abandon: 3%}"),
}
"""Keys of older scenario files that now live elsewhere: the new path and an example."""

_EXPECT_TYPES = {
    "missing",
    "int_type", "int_parsing", "int_from_float", "float_type", "float_parsing", "bool_type", "bool_parsing",
    "string_type", "list_type", "dict_type", "model_type", "model_attributes_type", "literal_error",
    "greater_than", "greater_than_equal", "less_than", "less_than_equal", "finite_number", "enum",
    "too_short", "too_long", "string_too_short", "string_too_long", "is_instance_of", "dataclass_type",
    "tuple_type", "set_type", "iterable_type", "int_parsing_size",
}


def pydantic_problems(file: str, exc: ValidationError, root: type[BaseModel]) -> list[Problem]:
    """One problem per pydantic error, in the scenario's terms."""
    problems: list[Problem] = []
    errors = exc.errors(include_url=False, include_context=True)
    for err in errors[:MAX_TRANSLATED]:
        problems.append(_translate(file, err, root))
    if len(errors) > MAX_TRANSLATED:
        problems.append(Problem(file, "", f"... and {len(errors) - MAX_TRANSLATED:,} more problems of the same kinds not listed"))
    return problems


def _translate(file: str, err: dict, root: type[BaseModel]) -> Problem:
    loc = tuple(err["loc"])
    typ = err["type"]
    ctx = err.get("ctx") or {}
    value = err.get("input")

    if typ == "extra_forbidden":
        parent = resolve(loc[:-1], root)
        key = loc[-1]
        if loc in MOVED_KEYS:
            new, example = MOVED_KEYS[loc]
            return Problem(file, format_path(loc), f"unknown key {key!r}; did you mean `{new}`? (it moved: {example})")
        tp = parent.tp
        names = field_names(tp) if isinstance(tp, type) and issubclass(tp, BaseModel) else []
        hint = did_you_mean(key, names) or (f"; expected one of: {', '.join(names)}" if names else "")
        return Problem(file, format_path(parent.loc + (key,)), f"unknown key {key!r}{hint}")

    if typ == "invalid_key":
        parent = resolve(loc[:-1], root)
        return Problem(file, format_path(parent.loc), f"key {loc[-1]!r} is not text; expected field names as keys", loc[-1], True)

    if typ == "union_tag_invalid":
        spot = resolve(loc, root)
        tag = ctx.get("tag", value.get("dist") if isinstance(value, dict) else value)
        hint = did_you_mean(tag, list(DIST_CLASSES))
        msg = f"unknown distribution; expected one of {', '.join(dists.DIST_NAMES)}{hint}"
        return Problem(file, format_path(spot.loc + ("dist",)), msg, tag, True)

    if typ == "union_tag_not_found":
        spot = resolve(loc, root)
        return Problem(file, format_path(spot.loc), f"the distribution has no 'dist'; expected {DIST_HELP}", value, True)

    spot = resolve(loc, root)
    path = format_path(spot.loc)

    if typ == "missing":
        return Problem(file, path, f"required field is missing; expected {describe(spot)}")

    if typ in ("value_error", "assertion_error"):
        msg = str(err.get("msg", ""))
        for prefix in ("Value error, ", "Assertion failed, "):
            msg = msg.removeprefix(prefix)
        return Problem(file, path, msg, value, True)

    if typ in _EXPECT_TYPES:
        msg = f"expected {describe(spot)}"
        if typ in ("too_short", "too_long") and "actual_length" in ctx:
            msg += f"; found {ctx['actual_length']:,} items"
            return Problem(file, path, msg)
        if typ == "literal_error" and typing.get_origin(spot.tp) is Literal:
            msg += did_you_mean(value, [str(v) for v in typing.get_args(spot.tp)])
        return Problem(file, path, msg, value, True)

    msg = str(err.get("msg", "invalid value"))
    msg = msg.replace("Input should be", "expected").replace("input should be", "expected")
    return Problem(file, path, msg, value, True)


__all__ = ["DIST_CLASSES", "Spot", "describe", "did_you_mean", "field_names", "pydantic_problems", "resolve", "short"]
