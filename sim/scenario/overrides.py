"""``--set path=value`` overrides: any scenario field by dotted path, list items by index.

The value is parsed as YAML (safely, as a file is) and the whole scenario is validated again
afterwards. A path may name a field the file leaves out (``engine.timers.after_wait``): the
mappings on the way are created. Each problem says which ``--set`` it comes from.
"""

from __future__ import annotations

import re
from typing import Any, Iterable

from pydantic import BaseModel

from sim.scenario.errors import Problem, format_path
from sim.scenario.messages import did_you_mean, field_names, resolve
from sim.scenario.safe_yaml import parse_value

_BRACKET = re.compile(r"\[(-?\d+)\]")


def split_path(path: str) -> list[str]:
    """``agents.0.count`` and ``agents[0].count`` -> ``['agents', '0', 'count']``."""
    return _BRACKET.sub(r".\1", path.strip()).split(".")


def apply_overrides(
    data: dict, overrides: Iterable[str], file: str, root: type[BaseModel]
) -> tuple[list[Problem], dict[str, str]]:
    """Apply each ``PATH=VALUE`` to ``data`` in place: ``(problems, {path set: its --set})``."""
    problems: list[Problem] = []
    done: dict[str, str] = {}
    for item in overrides:
        origin = f"set on the command line: {item}"
        if "=" not in item:
            problems.append(Problem(file, "", f"--set {item!r}: expected PATH=VALUE, e.g. --set agents.0.count=30"))
            continue
        path, raw = item.split("=", 1)
        parts = split_path(path)
        if not path.strip() or any(p.strip() == "" for p in parts):
            problems.append(Problem(file, "", f"--set {item!r}: the path before '=' is empty or has an empty part; expected e.g. agents.0.count"))
            continue
        parts = [p.strip() for p in parts]
        value, error = parse_value(raw, "--set")
        if error is not None:
            problems.append(Problem(file, path.strip(), f"expected a plain YAML value; {error}", raw, True, origin=origin))
            continue
        loc = _set(data, parts, value, file, root, origin, problems)
        if loc is not None:
            done[format_path(loc)] = origin
    return problems, done


def _set(data: dict, parts: list[str], value: Any, file: str, root: type[BaseModel], origin: str, problems: list[Problem]):
    node: Any = data
    loc: tuple = ()
    for i, part in enumerate(parts):
        last = i == len(parts) - 1
        if isinstance(node, list):
            if not re.fullmatch(r"-?\d+", part):
                problems.append(Problem(file, format_path(loc), f"expected a list index (0 to {len(node) - 1}) after {format_path(loc)}, not {part!r}", origin=origin))
                return None
            index = int(part)
            if not -len(node) <= index < len(node):
                have = f"indices 0 to {len(node) - 1}" if node else "no items"
                problems.append(Problem(file, format_path(loc + (index,)), f"no such item: the list has {len(node)} item(s), {have}", origin=origin))
                return None
            key: Any = index % len(node)
        elif isinstance(node, dict):
            key = part
        else:
            problems.append(Problem(file, format_path(loc), f"is {_kind(node)}, not a mapping or list; cannot set {part!r} inside it", node, True, origin=origin))
            return None
        if last:
            node[key] = value
            return loc + (key,)
        child = node.get(key) if isinstance(node, dict) else node[key]
        if child is None:
            # a field the file leaves out (or sets to null): create it if the schema has it
            spot = resolve(loc + (key,), root)
            if not isinstance(key, int) and spot.tp is None:
                parent = resolve(loc, root).tp
                names = field_names(parent) if isinstance(parent, type) and issubclass(parent, BaseModel) else []
                problems.append(Problem(file, format_path(loc + (key,)), f"no such field{did_you_mean(key, names)}", origin=origin))
                return None
            if isinstance(spot.tp, type) and issubclass(spot.tp, BaseModel):
                child = {}
                node[key] = child
            else:
                problems.append(Problem(file, format_path(loc + (key,)), "is not set in the file, and is not a mapping to set fields in", origin=origin))
                return None
        node = child
        loc = loc + (key,)
    return None


def _kind(value: Any) -> str:
    return "a value" if not isinstance(value, (list, dict)) else type(value).__name__
