"""The bundled scenario library: the files of the repository's ``scenarios/`` folder, shipped as
package data (``sim/_bundled/``) so that ``pip install`` users have them too."""

from __future__ import annotations

from dataclasses import dataclass
from importlib import resources
from pathlib import Path

import yaml


@dataclass(frozen=True)
class Bundled:
    key: str  # the file's stem, e.g. "cold-list-purchased"
    path: Path
    name: str
    description: str


def bundled_dir() -> Path:
    return Path(str(resources.files("sim") / "_bundled"))


def bundled() -> list[Bundled]:
    """Every bundled scenario, ``default`` first, then by file name."""
    out = []
    for path in sorted(bundled_dir().glob("*.yaml"), key=lambda p: (p.stem != "default", p.stem)):
        try:
            data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        except yaml.YAMLError:  # pragma: no cover - the library test loads every file
            data = {}
        out.append(Bundled(path.stem, path, str(data.get("name", path.stem)), " ".join(str(data.get("description", "")).split())))
    return out


def find(key: str) -> Bundled:
    """The bundled scenario named ``key``: its file stem, its ``name``, or a prefix of one of
    them that matches only one (``cold-list`` finds ``cold-list-purchased``)."""
    items = bundled()
    for b in items:
        if key in (b.key, b.name):
            return b
    hits = [b for b in items if b.key.startswith(key)] or [b for b in items if b.name.startswith(key)]
    if len(hits) == 1:
        return hits[0]
    names = ", ".join(b.key for b in items)
    if hits:
        raise KeyError(f"{key!r} matches several bundled scenarios ({', '.join(b.key for b in hits)}); one of: {names}")
    raise KeyError(f"no bundled scenario {key!r}; one of: {names}")


def header_comment(path: Path) -> str:
    """The opening comment of a scenario file (what it represents, where its numbers come from)."""
    lines = []
    for line in path.read_text(encoding="utf-8").splitlines():
        if not line.startswith("#"):
            break
        lines.append(line[1:].removeprefix(" "))
    return "\n".join(lines)
