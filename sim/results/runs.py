"""Run keys: what a kept run must match to be reused (scenario, level, replication, options, code).

A run kept by an interrupted sweep is reused only when its key matches. The key's code part,
``code_fingerprint``, is the source of every module a run's numbers can depend on, found from the
imports rather than listed by hand: ``sim.experiment`` (which computes a run) and every ``sim``
module it imports when loaded, transitively, with the packages they sit in. A new module the
engine or the metrics import is covered the moment they import it; the command line, the plots,
the report and the results folder's own writing are not imported by a run, so changing them does
not throw kept runs away.
"""

from __future__ import annotations

import ast
import hashlib
import json
from functools import lru_cache
from pathlib import Path
from typing import Any, Optional

from sim.scenario.schema import Scenario

PACKAGE = "sim"
RUN_ROOTS = ("sim.experiment",)
"""Where a run is computed; ``run_modules`` follows their imports."""

_ROOT = Path(__file__).resolve().parent.parent


def _module_file(root: Path, name: str) -> Optional[Path]:
    """The file of module ``name`` (``sim.a.b``) in the package at ``root``, or None."""
    parts = name.split(".")[1:]
    base = root.joinpath(*parts)
    for f in (base.with_suffix(".py") if parts else None, base / "__init__.py"):
        if f is not None and f.is_file():
            return f
    return None


def _load_time_imports(root: Path, name: str, path: Path) -> set[str]:
    """The ``sim`` modules that module ``name`` imports when it is loaded (not in function bodies)."""
    tree = ast.parse(path.read_bytes(), filename=str(path))
    is_pkg = path.name == "__init__.py"
    package = name if is_pkg else name.rpartition(".")[0]
    found: set[str] = set()

    def visit(nodes) -> None:
        for node in nodes:
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda)):
                continue
            if isinstance(node, ast.Import):
                found.update(a.name for a in node.names)
            elif isinstance(node, ast.ImportFrom):
                if node.level:
                    base = package.split(".")
                    base = base[: len(base) - node.level + 1]
                    mod = ".".join(base + ([node.module] if node.module else []))
                else:
                    mod = node.module or ""
                found.add(mod)
                for a in node.names:  # ``from sim import experiment``: a submodule
                    if _module_file(root, f"{mod}.{a.name}") is not None:
                        found.add(f"{mod}.{a.name}")
            visit(ast.iter_child_nodes(node))

    visit(tree.body)
    return {m for m in found if m == PACKAGE or m.startswith(PACKAGE + ".")}


def run_modules(root: Path = _ROOT, roots: tuple[str, ...] = RUN_ROOTS) -> dict[str, Path]:
    """``{module: file}``: ``roots`` and every ``sim`` module they import at load time, transitively,
    with every package that holds one of them (importing ``sim.a.b`` runs ``sim/a/__init__.py``)."""
    seen: dict[str, Path] = {}
    todo = list(roots)
    while todo:
        name = todo.pop()
        if name in seen:
            continue
        path = _module_file(root, name)
        if path is None:
            continue
        seen[name] = path
        parts = name.split(".")
        todo.extend(".".join(parts[:i]) for i in range(1, len(parts)))
        todo.extend(_load_time_imports(root, name, path))
    return dict(sorted(seen.items()))


def fingerprint_files(root: Path, files: dict[str, Path]) -> str:
    h = hashlib.sha256()
    for path in sorted(files.values()):
        h.update(str(path.relative_to(root)).encode())
        h.update(path.read_bytes())
    return h.hexdigest()


@lru_cache(maxsize=1)
def code_fingerprint() -> str:
    """A hash of the source of every module a run depends on (``run_modules``).

    Part of every run's key: a run kept by an interrupted sweep is not reused once that code changed.
    """
    return fingerprint_files(_ROOT, run_modules())


def scenario_fingerprint(scn: Scenario) -> str:
    """A hash of everything in the scenario that a run depends on (target lists read from CSV included)."""
    doc = scn.model_dump(mode="json", by_alias=True, exclude_none=False)
    h = hashlib.sha256(json.dumps(doc, sort_keys=True, separators=(",", ":")).encode())
    for name in sorted(scn.target_masks):
        h.update(name.encode())
        h.update(hashlib.sha256(scn.target_masks[name]).digest())
    return h.hexdigest()


def run_key(
    scn: Scenario,
    service_level: Optional[int],
    replication: int,
    keep_calls: bool,
    horizon: Optional[float],
    *,
    scenario_fp: Optional[str] = None,
    store: str = "",
) -> str:
    """The key a kept run must match. ``scenario_fp``: ``scenario_fingerprint(scn)`` if already known;
    ``store``: a fingerprint of the code that stores and reads kept runs."""
    from sim import __version__

    doc = {
        "version": __version__,
        "code": code_fingerprint(),
        "scenario": scenario_fp or scenario_fingerprint(scn),
        "service_level": service_level,
        "replication": replication,
        "keep_calls": bool(keep_calls),
        "horizon": horizon,
    }
    if store:
        doc["store"] = store
    return hashlib.sha256(json.dumps(doc, sort_keys=True).encode()).hexdigest()


def with_sweep(
    scn: Scenario, service_levels: Optional[list[int]], replications: Optional[int], horizon: Optional[float]
) -> Scenario:
    """The scenario with the sweep's overrides written into it (so the resolved file says what ran)."""
    update: dict[str, Any] = {}
    if service_levels is not None:
        update["service_levels"] = list(service_levels)
    if replications is not None:
        update["replications"] = int(replications)
    if horizon is not None:
        update["horizon"] = float(horizon)
    if not update:
        return scn
    new = scn.model_copy(update=update, deep=True)
    new.target_masks = dict(scn.target_masks)
    new.source_path = scn.source_path
    return new
