"""A small YAML writer that puts a comment on every line (PyYAML cannot write comments).

Values are written in flow style as JSON, which YAML reads as it is.
"""

from __future__ import annotations

import json
from typing import Any


def flow(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False)


class Writer:
    def __init__(self) -> None:
        self.lines: list[str] = []

    def _add(self, text: str, comment: str | None) -> None:
        if comment:
            comment = " ".join(str(comment).split())
            text = f"{text}  # {comment}"
        self.lines.append(text)

    def comment(self, text: str, indent: int = 0) -> None:
        for part in str(text).splitlines() or [""]:
            self.lines.append(" " * indent + ("# " + part if part else "#"))

    def blank(self) -> None:
        self.lines.append("")

    def kv(self, indent: int, key: str, value: Any, comment: str | None = None, item: bool = False) -> None:
        lead = " " * indent + ("- " if item else "")
        self._add(f"{lead}{key}: {flow(value)}", comment)

    def open(self, indent: int, key: str, comment: str | None = None, item: bool = False) -> None:
        lead = " " * indent + ("- " if item else "")
        self._add(f"{lead}{key}:", comment)

    def item(self, indent: int, value: Any, comment: str | None = None) -> None:
        self._add(f"{' ' * indent}- {flow(value)}", comment)

    def text(self) -> str:
        return "\n".join(self.lines) + "\n"
