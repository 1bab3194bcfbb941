"""Reading YAML safely: plain data only, no key given twice, bounded size, depth and alias expansion.

Every limit is checked before the memory it guards is spent: the file size before reading, the
nesting depth on the parser's event stream before building nodes, and the size of the document
with its aliases expanded on the node graph (where an alias is one shared node) before any Python
object is built.
"""

from __future__ import annotations

import os
from typing import Any, Optional

import yaml

from sim.scenario.errors import Problem, format_path

MAX_FILE_BYTES = 2 * 1024 * 1024
MAX_DEPTH = 40
MAX_NODES = 250_000
"""Nodes of the document with every alias expanded; a plain 2 MB file has well under this."""
MAX_EXPANDED_CHARS = 8 * 1024 * 1024
"""Characters of text (keys and values) with every alias expanded: what a dump or a hash of the
scenario writes out. A plain file has at most its own size (2 MB); aliases may repeat some of it."""

Loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)

Lines = dict[tuple, int]
"""Path inside the document -> line number (1-based) where that key or item starts."""


def read_yaml(path: str | os.PathLike) -> tuple[Any, list[Problem], Lines]:
    """Read one scenario file: ``(data or None, problems, lines)``; ``None`` when unusable."""
    file = str(path)
    try:
        nbytes = os.stat(file).st_size
    except OSError as exc:
        return None, [Problem(file, "", f"cannot read the file: {exc.strerror or exc}")], {}
    if os.path.isdir(file):
        return None, [Problem(file, "", "is a folder; expected a scenario file")], {}
    if nbytes > MAX_FILE_BYTES:
        return None, [Problem(file, "", f"the file has {nbytes:,} bytes; a scenario file may have at most {MAX_FILE_BYTES:,}")], {}
    try:
        with open(file, "rb") as fh:
            raw = fh.read(MAX_FILE_BYTES + 1)
    except OSError as exc:
        return None, [Problem(file, "", f"cannot read the file: {exc.strerror or exc}")], {}
    if len(raw) > MAX_FILE_BYTES:  # grew since stat, or a special file
        return None, [Problem(file, "", f"the file has more than {MAX_FILE_BYTES:,} bytes; refused")], {}
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        return None, [Problem(file, "", f"the file is not UTF-8 text (byte {exc.start}); expected a YAML scenario")], {}
    return parse_yaml_text(text, file, require_mapping=True)


def parse_yaml_text(text: str, file: str = "<string>", require_mapping: bool = True) -> tuple[Any, list[Problem], Lines]:
    """Parse YAML text safely; see the module docstring for what is refused."""
    if len(text) > MAX_FILE_BYTES:
        return None, [Problem(file, "", f"the text has more than {MAX_FILE_BYTES:,} characters; refused")], {}
    depth_problem = _depth_problem(text, file)
    if depth_problem is not None:
        return None, [depth_problem], {}
    loader = Loader(text)
    try:
        try:
            root = loader.get_single_node()
        except yaml.YAMLError as exc:
            return None, [Problem(file, "", f"not valid YAML: {yaml_message(exc)}")], {}
        if root is None or (isinstance(root, yaml.ScalarNode) and root.tag == "tag:yaml.org,2002:null" and require_mapping):
            if require_mapping:
                return None, [Problem(file, "", "the file is empty; expected a scenario: a mapping of fields such as name, horizon, campaigns")], {}
            return None, [], {}
        nodes, chars = _expanded_size(root)
        if nodes > MAX_NODES:
            return None, [
                Problem(file, "", f"the document expands to more than {MAX_NODES:,} values through its aliases (&anchor / *alias), "
                              "as a 'billion laughs' attack does; refused")
            ], {}
        if chars > MAX_EXPANDED_CHARS:
            return None, [
                Problem(file, "", f"the document expands to more than {MAX_EXPANDED_CHARS:,} characters of text through its "
                              "aliases (&anchor / *alias), which every copy of the scenario (the resolved file, its hash) "
                              "would write out in full; refused")
            ], {}
        lines: Lines = {}
        problems = _walk(file, root, lines)
        if require_mapping and not isinstance(root, yaml.MappingNode):
            kind = "a list" if isinstance(root, yaml.SequenceNode) else f"a single value ({short_scalar(root)})"
            return None, problems + [Problem(file, "", f"expected a scenario: a mapping of fields such as name, horizon, campaigns; found {kind}")], lines
        try:
            data = loader.construct_document(root)
        except yaml.YAMLError as exc:
            return None, problems + [Problem(file, "", constructor_message(exc))], lines
        except (TypeError, ValueError) as exc:  # e.g. an unhashable key in a merge
            return None, problems + [Problem(file, "", f"not plain YAML data: {exc}")], lines
        return data, problems, lines
    finally:
        loader.dispose()


def parse_value(text: str, what: str) -> tuple[Any, Optional[str]]:
    """Parse a small YAML value (a ``--set`` value); ``(value, None)`` or ``(None, message)``."""
    data, problems, _ = parse_yaml_text(text, what, require_mapping=False)
    if problems:
        return None, "; ".join(p.message for p in problems)
    return data, None


# --------------------------------------------------------------------------- checks


def _depth_problem(text: str, file: str) -> Optional[Problem]:
    """Nesting depth and number of values, measured on the event stream (no recursion, nothing built)."""
    depth = 0
    values = 0
    try:
        for event in yaml.parse(text, Loader=Loader):
            if isinstance(event, (yaml.MappingStartEvent, yaml.SequenceStartEvent)):
                depth += 1
                values += 1
                if depth > MAX_DEPTH:
                    return Problem(file, "", f"nested more than {MAX_DEPTH} levels deep; refused", line=event.start_mark.line + 1)
            elif isinstance(event, (yaml.MappingEndEvent, yaml.SequenceEndEvent)):
                depth -= 1
            elif isinstance(event, (yaml.ScalarEvent, yaml.AliasEvent)):
                values += 1
            if values > MAX_NODES:
                return Problem(file, "", f"the document has more than {MAX_NODES:,} values; refused", line=event.start_mark.line + 1)
    except yaml.YAMLError as exc:
        return Problem(file, "", f"not valid YAML: {yaml_message(exc)}")
    return None


def _expanded_size(root: yaml.Node) -> tuple[int, int]:
    """Nodes and characters of text with every alias expanded, computed once per shared node (capped).

    A node's size is worked out after its children's (an explicit stack, no recursion), so a
    shared node costs one visit however often it is aliased.
    """
    cap_nodes, cap_chars = MAX_NODES + 1, MAX_EXPANDED_CHARS + 1
    sizes: dict[int, tuple[int, int]] = {}
    stack: list[tuple[yaml.Node, bool]] = [(root, False)]
    while stack:
        node, children_done = stack.pop()
        key = id(node)
        if key in sizes and not children_done:
            continue
        if isinstance(node, yaml.MappingNode):
            kids = [n for kv in node.value for n in kv]
        elif isinstance(node, yaml.SequenceNode):
            kids = list(node.value)
        else:
            sizes[key] = (1, min(len(str(node.value)), cap_chars))
            continue
        if not children_done:
            sizes[key] = (cap_nodes, cap_chars)  # a node inside itself (a recursive alias) counts as too big
            stack.append((node, True))
            stack.extend((k, False) for k in kids if id(k) not in sizes)
            continue
        n, c = 1, 0
        for k in kids:
            kn, kc = sizes[id(k)]
            n, c = min(n + kn, cap_nodes), min(c + kc, cap_chars)
        sizes[key] = (n, c)
    return sizes[id(root)]


def _walk(file: str, root: yaml.Node, lines: Lines) -> list[Problem]:
    """Keys given twice in one mapping, and the line of every path (aliases not followed)."""
    problems: list[Problem] = []
    visited: set[int] = set()

    def walk(node: yaml.Node, loc: tuple) -> None:
        if id(node) in visited:  # an alias: its lines are where the anchor was
            return
        visited.add(id(node))
        if isinstance(node, yaml.MappingNode):
            first_line: dict[str, int] = {}
            for k, v in node.value:
                if not isinstance(k, yaml.ScalarNode):
                    continue
                key = k.value
                line = k.start_mark.line + 1
                if key in first_line and k.tag != "tag:yaml.org,2002:merge":
                    problems.append(
                        Problem(file, format_path(loc + (key,)),
                                f"key {key!r} is given twice in one mapping (first at line {first_line[key]}); give it once",
                                line=line)
                    )
                    continue
                first_line.setdefault(key, line)
                lines.setdefault(loc + (key,), line)
                walk(v, loc + (key,))
        elif isinstance(node, yaml.SequenceNode):
            for i, v in enumerate(node.value):
                lines.setdefault(loc + (i,), v.start_mark.line + 1)
                walk(v, loc + (i,))

    walk(root, ())
    return problems


# --------------------------------------------------------------------------- messages


def _mark(mark) -> str:
    return f"line {mark.line + 1}, column {mark.column + 1}" if mark is not None else ""


def yaml_message(exc: yaml.YAMLError) -> str:
    """A parser error without PyYAML's echo of the input: ``line 3, column 5: what (context)``."""
    if isinstance(exc, yaml.MarkedYAMLError):
        problem = exc.problem or "cannot parse"
        where = _mark(exc.problem_mark)
        text = f"{where}: {problem}" if where else problem
        if exc.context:
            ctx_where = _mark(exc.context_mark)
            text += f" ({exc.context}{', ' + ctx_where if ctx_where else ''})"
        return " ".join(text.split())[:300]
    return " ".join(str(exc).split())[:300]


def constructor_message(exc: yaml.YAMLError) -> str:
    problem = getattr(exc, "problem", "") or ""
    if "constructor for the tag" in problem:
        tag = problem.split("tag", 1)[1].strip().strip("'").replace("tag:yaml.org,2002:", "!!")
        where = _mark(getattr(exc, "problem_mark", None))
        return (f"{where}: the tag {tag!r} is refused; only plain YAML data (mappings, lists, text, numbers) "
                f"is accepted, and tags such as !!python/object are not")
    return f"not plain YAML data: {yaml_message(exc)}"


def short_scalar(node: yaml.Node) -> str:
    value = str(getattr(node, "value", ""))
    return repr(value if len(value) <= 40 else value[:37] + "...")
