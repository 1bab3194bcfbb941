"""Loading scenario files: safe YAML, duplicate keys, ``--set`` overrides, every problem at once."""

from __future__ import annotations

import difflib
import os
import typing
from pathlib import Path
from typing import Any, Iterable, Optional

import yaml
from pydantic import BaseModel, ValidationError

from sim.scenario.errors import Problem, ScenarioError, format_path
from sim.scenario.schema import MAX_AGENTS, MAX_TARGETS, Scenario
from sim.world.distributions import DIST_NAMES

MAX_FILE_BYTES = 2 * 1024 * 1024
MAX_CSV_BYTES = 1024 * 1024 * 1024
MAX_NODES = 1_000_000
MAX_RUNS = 1_000_000
DEST_COLUMNS = [f"destination_{i}" for i in range(5)]


# --------------------------------------------------------------------------- YAML


def _node_problems(file: str, root: yaml.Node) -> list[Problem]:
    """Duplicate keys (with their path) and alias bombs, found on the composed node tree."""
    problems: list[Problem] = []
    sizes: dict[int, int] = {}

    def size(node: yaml.Node) -> int:
        key = id(node)
        if key in sizes:
            return sizes[key]
        sizes[key] = 1  # guards against recursive aliases
        if isinstance(node, yaml.MappingNode):
            total = 1 + sum(size(k) + size(v) for k, v in node.value)
        elif isinstance(node, yaml.SequenceNode):
            total = 1 + sum(size(v) for v in node.value)
        else:
            total = 1
        sizes[key] = min(total, MAX_NODES + 1)
        return sizes[key]

    def walk(node: yaml.Node, loc: tuple, seen: set[int]) -> None:
        if id(node) in seen:
            return
        seen = seen | {id(node)}
        if isinstance(node, yaml.MappingNode):
            keys: dict[Any, int] = {}
            for k, v in node.value:
                kv = k.value if isinstance(k, yaml.ScalarNode) else None
                if kv is not None and kv in keys:
                    problems.append(
                        Problem(
                            file,
                            format_path(loc + (kv,)),
                            f"key {kv!r} is given twice in one mapping (lines {keys[kv] + 1} and "
                            f"{k.start_mark.line + 1}); give it once",
                        )
                    )
                elif kv is not None:
                    keys[kv] = k.start_mark.line
                walk(v, loc + (kv if kv is not None else "?",), seen)
        elif isinstance(node, yaml.SequenceNode):
            for i, v in enumerate(node.value):
                walk(v, loc + (i,), seen)

    if size(root) > MAX_NODES:
        problems.append(Problem(file, "", f"the document expands to more than {MAX_NODES:,} YAML nodes (aliases?); refused"))
        return problems
    walk(root, (), set())
    return problems


def read_yaml(path: str) -> tuple[Any, list[Problem]]:
    """Parse one YAML file safely: no tags that build objects, no duplicate keys, bounded size."""
    file = str(path)
    try:
        nbytes = os.stat(file).st_size
    except OSError as exc:
        return None, [Problem(file, "", f"cannot read the file: {exc.strerror or exc}")]
    if nbytes > MAX_FILE_BYTES:
        return None, [Problem(file, "", f"the file has {nbytes:,} bytes; a scenario may have at most {MAX_FILE_BYTES:,}")]
    try:
        with open(file, "rb") as fh:
            text = fh.read().decode("utf-8")
    except UnicodeDecodeError:
        return None, [Problem(file, "", "the file is not UTF-8 text")]
    except OSError as exc:
        return None, [Problem(file, "", f"cannot read the file: {exc.strerror or exc}")]
    return parse_yaml_text(text, file)


def parse_yaml_text(text: str, file: str = "<string>") -> tuple[Any, list[Problem]]:
    try:
        root = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.YAMLError as exc:
        return None, [Problem(file, "", f"not valid YAML: {_yaml_message(exc)}")]
    if root is None:
        return None, [Problem(file, "", "the file is empty; expected a scenario mapping")]
    problems = _node_problems(file, root)
    if any(p.path == "" for p in problems):
        return None, problems
    try:
        data = yaml.safe_load(text)
    except yaml.constructor.ConstructorError as exc:
        return None, problems + [
            Problem(file, "", f"refused: {_yaml_message(exc)} (only plain YAML data is accepted; tags such as !!python/object are not)")
        ]
    except yaml.YAMLError as exc:
        return None, problems + [Problem(file, "", f"not valid YAML: {_yaml_message(exc)}")]
    if not isinstance(data, dict):
        return None, problems + [Problem(file, "", f"expected a mapping of scenario fields at the top; found {type(data).__name__}")]
    return data, problems


def _yaml_message(exc: yaml.YAMLError) -> str:
    text = " ".join(str(exc).split())
    return text[:300]


# --------------------------------------------------------------------------- overrides


def apply_overrides(data: dict, overrides: Iterable[str], file: str) -> list[Problem]:
    """Apply ``path=value`` overrides (dotted path, list items by index, value parsed as YAML)."""
    problems: list[Problem] = []
    for item in overrides:
        if "=" not in item:
            problems.append(Problem(file, "", f"--set {item!r}: expected PATH=VALUE, e.g. agents.0.count=30"))
            continue
        path, raw = item.split("=", 1)
        parts = [p for p in path.strip().split(".")]
        if not path.strip() or any(p == "" for p in parts):
            problems.append(Problem(file, "", f"--set {item!r}: the path is empty or has an empty part"))
            continue
        try:
            value = yaml.safe_load(raw)
        except yaml.YAMLError as exc:
            problems.append(Problem(file, path, f"--set value is not valid YAML: {_yaml_message(exc)}", raw, True))
            continue
        node: Any = data
        loc: tuple = ()
        for i, part in enumerate(parts):
            last = i == len(parts) - 1
            if isinstance(node, list):
                if not part.lstrip("-").isdigit() or not -len(node) <= int(part) < len(node):
                    problems.append(
                        Problem(file, format_path(loc), f"--set {path}: no item {part!r} in a list of {len(node)}")
                    )
                    break
                key: Any = int(part)
            elif isinstance(node, dict):
                key = part
                if not last and key not in node:
                    close = difflib.get_close_matches(key, [str(k) for k in node], n=1)
                    hint = f"; did you mean {close[0]!r}?" if close else ""
                    problems.append(Problem(file, format_path(loc + (key,)), f"--set {path}: no such field{hint}"))
                    break
            else:
                problems.append(Problem(file, format_path(loc), f"--set {path}: {format_path(loc)} is a value, not a mapping or list"))
                break
            if last:
                node[key] = value
            else:
                node = node[key]
                loc = loc + (key,)
    return problems


# --------------------------------------------------------------------------- validation


def _field_names(loc: tuple) -> list[str]:
    """Names of the fields allowed where ``loc`` points (for 'did you mean')."""
    model: Any = Scenario
    for part in loc:
        model = _unwrap(model)
        if isinstance(part, int):
            continue
        if isinstance(model, type) and issubclass(model, BaseModel):
            field = model.model_fields.get(part) or next(
                (f for f in model.model_fields.values() if f.alias == part), None
            )
            if field is None:
                # a distribution tag inside a discriminated union: step into that class
                from sim.world import distributions as d

                cls = {n: getattr(d, n.capitalize()) for n in DIST_NAMES}.get(part)
                if cls is None:
                    return []
                model = cls
                continue
            model = field.annotation
        else:
            return []
    model = _unwrap(model)
    if isinstance(model, type) and issubclass(model, BaseModel):
        return [f.alias or n for n, f in model.model_fields.items() if not f.exclude]
    return []


def _unwrap(tp: Any) -> Any:
    for _ in range(8):
        origin = typing.get_origin(tp)
        if origin is typing.Annotated:
            tp = typing.get_args(tp)[0]
        elif origin in (list, typing.Union) or str(origin) == "types.UnionType":
            args = [a for a in typing.get_args(tp) if a is not type(None)]
            if len(args) != 1:
                return tp
            tp = args[0]
        else:
            return tp
    return tp


def _strip_tags(loc: tuple) -> tuple:
    return tuple(p for i, p in enumerate(loc) if not (isinstance(p, str) and p in DIST_NAMES and i < len(loc) - 1))


def _pydantic_problems(file: str, exc: ValidationError) -> list[Problem]:
    problems = []
    for err in exc.errors(include_url=False):
        loc = tuple(err["loc"])
        typ = err["type"]
        if typ == "extra_forbidden":
            key = loc[-1]
            names = _field_names(loc[:-1])
            close = difflib.get_close_matches(str(key), names, n=1)
            hint = f"; did you mean {close[0]!r}?" if close else (f"; expected one of: {', '.join(names)}" if names else "")
            problems.append(Problem(file, format_path(_strip_tags(loc)), f"unknown key {key!r}{hint}"))
            continue
        if typ == "missing":
            problems.append(Problem(file, format_path(_strip_tags(loc)), "required field is missing"))
            continue
        if typ in ("union_tag_invalid", "union_tag_not_found"):
            msg = f"expected a distribution: a mapping with 'dist' set to one of {', '.join(DIST_NAMES)}"
            problems.append(Problem(file, format_path(_strip_tags(loc)), msg, err.get("input"), typ == "union_tag_invalid"))
            continue
        msg = err["msg"]
        if msg.startswith("Value error, "):
            msg = msg[len("Value error, ") :]
        msg = msg.replace("Input should be", "expected").replace("input should be", "expected")
        problems.append(Problem(file, format_path(_strip_tags(loc)), msg, err.get("input"), True))
    return problems


def _names(data: dict, section: str) -> list[str]:
    items = data.get(section)
    if not isinstance(items, list):
        return []
    return [it.get("name") for it in items if isinstance(it, dict) and isinstance(it.get("name"), str)]


def _reference_problems(file: str, data: dict) -> list[Problem]:
    """Checks across sections: unique names, references that exist, one campaign per outdial."""
    problems: list[Problem] = []
    for section in ("campaigns", "outplans", "outdials", "queues", "agents"):
        seen: set[str] = set()
        items = data.get(section)
        for i, it in enumerate(items if isinstance(items, list) else []):
            name = it.get("name") if isinstance(it, dict) else None
            if isinstance(name, str):
                if name in seen:
                    problems.append(Problem(file, f"{section}[{i}].name", f"the name is used twice in {section}; names must be unique", name, True))
                seen.add(name)
    refs = {"outplan": "outplans", "outdial": "outdials", "queue": "queues", "next_campaign": "campaigns"}
    outdial_user: dict[str, int] = {}
    campaigns = data.get("campaigns")
    for i, c in enumerate(campaigns if isinstance(campaigns, list) else []):
        if not isinstance(c, dict):
            continue
        for field, section in refs.items():
            ref = c.get(field)
            if ref is None or not isinstance(ref, str):
                continue
            names = _names(data, section)
            if ref not in names:
                close = difflib.get_close_matches(ref, names, n=1)
                hint = f"; did you mean {close[0]!r}?" if close else (f"; expected one of: {', '.join(names)}" if names else f"; {section} is empty")
                problems.append(Problem(file, f"campaigns[{i}].{field}", f"no {section[:-1]} of that name{hint}", ref, True))
        od = c.get("outdial")
        if isinstance(od, str):
            if od in outdial_user:
                problems.append(
                    Problem(file, f"campaigns[{i}].outdial", f"outdial already belongs to campaigns[{outdial_user[od]}]; in VoIPbin an outdial belongs to one campaign", od, True)
                )
            else:
                outdial_user[od] = i
        if c.get("next_campaign") is not None and c.get("next_campaign") == c.get("name"):
            problems.append(Problem(file, f"campaigns[{i}].next_campaign", "a campaign cannot chain to itself", c.get("next_campaign"), True))
    return problems


def _limit_problems(file: str, scn: Scenario) -> list[Problem]:
    problems = []
    if scn.warmup >= scn.horizon:
        problems.append(Problem(file, "warmup", f"warmup must be shorter than the horizon ({scn.horizon:g}s)", scn.warmup, True))
    total_agents = sum(g.count for g in scn.agents)
    if total_agents > MAX_AGENTS:
        problems.append(Problem(file, "agents", f"{total_agents:,} agents in all; at most {MAX_AGENTS:,}"))
    runs = scn.replications * len(scn.sweep_levels())
    if runs > MAX_RUNS:
        problems.append(Problem(file, "replications", f"{runs:,} runs (replications x service levels); at most {MAX_RUNS:,}"))
    return problems


def _read_targets(file: str, base: Path, scn: Scenario) -> list[Problem]:
    """Read CSV target lists into one destination bit mask per target."""
    import numpy as np
    import pandas as pd

    problems: list[Problem] = []
    for i, od in enumerate(scn.outdials):
        if not isinstance(od.targets, str):
            continue
        path = Path(od.targets)
        if not path.is_absolute():
            path = base / path
        where = f"outdials[{i}].targets"
        try:
            nbytes = path.stat().st_size
        except OSError:
            problems.append(Problem(file, where, f"no readable CSV file at {str(path)!r}", od.targets, True))
            continue
        if nbytes > MAX_CSV_BYTES:
            problems.append(Problem(file, where, f"the CSV file has {nbytes:,} bytes; at most {MAX_CSV_BYTES:,}", od.targets, True))
            continue
        try:
            header = pd.read_csv(path, nrows=0)
        except Exception as exc:  # pandas raises several kinds for bad CSV
            problems.append(Problem(file, where, f"cannot read the CSV file: {exc}", od.targets, True))
            continue
        cols = [c for c in header.columns if c in DEST_COLUMNS]
        if not cols:
            problems.append(
                Problem(file, where, f"the CSV file has no destination columns; expected some of {', '.join(DEST_COLUMNS)}; found {list(header.columns)[:10]}", od.targets, True)
            )
            continue
        try:
            frame = pd.read_csv(path, usecols=cols, dtype=str, keep_default_na=False, nrows=MAX_TARGETS + 1)
        except Exception as exc:
            problems.append(Problem(file, where, f"cannot read the CSV file: {exc}", od.targets, True))
            continue
        if len(frame) > MAX_TARGETS:
            problems.append(Problem(file, where, f"the CSV file has more than {MAX_TARGETS:,} targets", od.targets, True))
            continue
        mask = np.zeros(len(frame), dtype=np.uint8)
        for col in cols:
            idx = int(col[-1])
            present = frame[col].str.strip().to_numpy() != ""
            mask |= present.astype(np.uint8) << idx
        scn.target_masks[od.name] = mask.tobytes()
    return problems


def parse_scenario(
    data: Any,
    file: str = "<scenario>",
    base_dir: Optional[str] = None,
    overrides: Iterable[str] = (),
    pre_problems: Iterable[Problem] = (),
) -> Scenario:
    """Validate raw scenario data (a dict as YAML gives it); raise ``ScenarioError`` listing every problem."""
    problems = list(pre_problems)
    if not isinstance(data, dict):
        raise ScenarioError(problems + [Problem(file, "", "expected a mapping of scenario fields")])
    problems += apply_overrides(data, overrides, file)
    if problems and any("--set" in p.message for p in problems):
        raise ScenarioError(problems)
    problems += _reference_problems(file, data)
    scn: Optional[Scenario] = None
    try:
        scn = Scenario.model_validate(data)
    except ValidationError as exc:
        problems += _pydantic_problems(file, exc)
    if scn is not None:
        problems += _limit_problems(file, scn)
        if not problems:
            scn.source_path = file
            problems += _read_targets(file, Path(base_dir or "."), scn)
    if problems:
        raise ScenarioError(problems)
    assert scn is not None
    return scn


def load_scenario(path: str | os.PathLike, overrides: Iterable[str] = ()) -> Scenario:
    """Load and validate a scenario file; raise ``ScenarioError`` listing every problem."""
    file = str(path)
    data, problems = read_yaml(file)
    if data is None:
        raise ScenarioError(problems)
    return parse_scenario(data, file, str(Path(file).resolve().parent), overrides, problems)
