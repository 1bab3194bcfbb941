"""A scenario written out as YAML with every field commented: its meaning, type and unit.

``pacing-sim init`` writes its starter scenario with :func:`annotated_yaml`. The meanings are the
scenario reference's (:mod:`sim.scenario.reference`), so the starter file and docs/scenarios.md
say the same thing. Every default is written out, so the file shows every knob there is.
"""

from __future__ import annotations

import textwrap

import yaml
from pydantic import BaseModel

from sim.scenario import reference
from sim.units import format_duration

WIDTH = 100


def _is_dist(value: object) -> bool:
    return isinstance(value, BaseModel) and type(value).__name__ in reference._DIST_CLASSES


def _scalar(value: object, duration: bool) -> str:
    if value is None:
        return "null"
    if duration and isinstance(value, (int, float)):
        return format_duration(float(value))
    if isinstance(value, float) and value.is_integer() and abs(value) < 1e15:
        return repr(value)
    text = yaml.safe_dump(value, default_flow_style=True, width=10_000, allow_unicode=True).strip()
    return text[:-4].rstrip() if text.endswith("\n...") else text.removesuffix("...").strip()


def _dist(value: BaseModel) -> str:
    parts = []
    for name, info in type(value).model_fields.items():
        v = getattr(value, name)
        if v is None:
            continue
        kind = reference.describe(info.annotation, list(info.metadata))[0]
        key = info.alias or name
        if isinstance(v, list):
            dur = kind.startswith("list of duration")
            parts.append(f"{key}: [{', '.join(_scalar(x, dur) for x in v)}]")
        else:
            parts.append(f"{key}: {_scalar(v, kind.startswith('duration'))}")
    return "{" + ", ".join(parts) + "}"


def _comment(pad: str, text: str) -> list[str]:
    return [f"{pad}# {line}" for line in textwrap.wrap(text, WIDTH - len(pad) - 2)] or [f"{pad}#"]


def _field_comment(model: type[BaseModel], name: str, info) -> str:
    kind, limits, _ = reference.describe(info.annotation, list(info.metadata))
    meaning = reference._meaning(model, name, info).rstrip(".")
    unit = kind if not limits else f"{kind}, {', '.join(limits)}"
    return f"{meaning}. [{unit}]"


def _emit(obj: BaseModel, pad: str, out: list[str], first_prefix: str | None = None) -> None:
    """The fields of ``obj`` at indentation ``pad``; ``first_prefix`` replaces the first key's indentation (``- ``)."""
    model = type(obj)
    items = []
    for name, info in model.model_fields.items():
        if info.exclude:
            continue
        value = getattr(obj, name)
        if model.__name__ == "ActionOption" and value is None:
            continue
        items.append((name, info, value))
    extras = list((obj.model_extra or {}).items()) if model.model_config.get("extra") == "allow" else []
    for i, (name, info, value) in enumerate(items):
        key = info.alias or name
        comment = _comment(pad if not (i == 0 and first_prefix) else first_prefix_pad(first_prefix, pad), _field_comment(model, name, info))
        lead = (first_prefix if i == 0 and first_prefix is not None else pad)
        out += comment
        kind = reference.describe(info.annotation, list(info.metadata))[0]
        _value(key, value, kind, lead, pad, out)
    for key, value in extras:
        out.append(f"{pad}{key}: {_scalar(value, False)}  # a VoIPbin option the model does not use")


def first_prefix_pad(prefix: str, pad: str) -> str:
    return prefix[:-2] if prefix.endswith("- ") else pad


def _value(key: str, value: object, kind: str, lead: str, pad: str, out: list[str]) -> None:
    if _is_dist(value):
        out.append(f"{lead}{key}: {_dist(value)}")
    elif isinstance(value, BaseModel):
        out.append(f"{lead}{key}:")
        _emit(value, pad + "  ", out)
    elif isinstance(value, list) and value and isinstance(value[0], BaseModel) and not _is_dist(value[0]):
        out.append(f"{lead}{key}:")
        for item in value:
            _emit(item, pad + "    ", out, first_prefix=pad + "  - ")
    elif isinstance(value, list):
        dur = kind.startswith("list of duration")
        out.append(f"{lead}{key}: [{', '.join(_dist(x) if _is_dist(x) else _scalar(x, dur) for x in value)}]")
    elif isinstance(value, dict):
        out.append(f"{lead}{key}: {_scalar(value, False)}")
    else:
        out.append(f"{lead}{key}: {_scalar(value, kind.startswith('duration'))}")


def annotated_yaml(scenario: BaseModel, header: str = "") -> str:
    """``scenario`` as YAML, every field preceded by a comment with its meaning and type."""
    out = [f"# {line}".rstrip() if line else "#" for line in header.splitlines()]
    if out:
        out.append("")
    _emit(scenario, "", out)
    return "\n".join(out) + "\n"
