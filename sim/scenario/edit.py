"""Overrides from Python: nested dicts, dotted keys or ``path=value`` strings, validated again.

    >>> as_set_strings({"agents": {0: {"count": 30}}, "horizon": "2h"})
    ['agents.0.count=30', 'horizon="2h"']
    >>> as_set_strings({"agents.0.count": 30})
    ['agents.0.count=30']
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any, Union

Overrides = Mapping[Any, Any] | Iterable[str] | None


def _flatten(prefix: str, value: Any, out: list[str]) -> None:
    if isinstance(value, Mapping) and value:
        for k, v in value.items():
            _flatten(f"{prefix}.{k}" if prefix else str(k), v, out)
    else:
        out.append(f"{prefix}={json.dumps(value)}")  # JSON is YAML: the value is read back as given


def as_set_strings(overrides: Overrides) -> list[str]:
    """The command line's ``--set`` strings for ``overrides``: a mapping, nested
    (``{"agents": {0: {"count": 30}}}``) or dotted (``{"agents.0.count": 30}``), or strings
    ``"agents.0.count=30"`` as on the command line. A mapping's leaf values are taken as they are
    (a dict value that should replace a whole field: give it at its own path as a string)."""
    if overrides is None:
        return []
    if isinstance(overrides, str):
        return [overrides]
    if isinstance(overrides, Mapping):
        out: list[str] = []
        for k, v in overrides.items():
            _flatten(str(k), v, out)
        return out
    items = list(overrides)
    bad = [x for x in items if not isinstance(x, str)]
    if bad:
        raise TypeError(f"overrides: expected a mapping or 'path=value' strings; got {bad[0]!r}")
    return items


def with_overrides(scenario, overrides: Overrides):
    """A copy of ``scenario`` with ``overrides`` applied and validated again (``ScenarioError`` if not valid)."""
    from sim.scenario.load import parse_scenario

    sets = as_set_strings(overrides)
    if not sets:
        return scenario
    data = scenario.model_dump(mode="json", by_alias=True)
    source: str | None = scenario.source_path
    base = str(Path(source).resolve().parent) if source and Path(source).exists() else None
    from sim.scenario.errors import ScenarioError

    try:
        return parse_scenario(data, source or "<scenario>", base, sets)
    except ScenarioError as exc:  # say where the value came from in Python's words
        import dataclasses

        cli = "set on the command line: "
        problems = [dataclasses.replace(p, origin="set in overrides: " + p.origin.removeprefix(cli))
                    if p.origin.startswith(cli) else p for p in exc.problems]
        raise ScenarioError(problems) from None
