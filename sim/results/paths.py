"""The results folder's file names, where things go next to it, and atomic writes."""

from __future__ import annotations

import os
import uuid
from pathlib import Path

from sim.format import slug  # noqa: F401  (the results folder's file names; re-exported)

SUMMARY, REPLICATIONS, CALLS, TIMESERIES = "summary.csv", "replications.csv", "calls.parquet", "timeseries.csv"
SCENARIO, PROVENANCE, REPORT, PLOTS = "scenario.resolved.yaml", "provenance.json", "report.html", "plots"
VERDICT = "verdict.json"
"""The verdict on the sweep (``sim.verdict``): one object, or a list of them with several scenarios."""
SCENARIOS_DIR = "scenarios"
"""With several scenarios, each one's resolved file is in ``scenarios/<name>.resolved.yaml``."""


class ResultsFolderError(Exception):
    """The results folder cannot be written where asked (it exists, or is a file)."""


def partial_path(out: str | os.PathLike) -> Path:
    """Where an interrupted sweep keeps its finished runs: ``<out>.partial`` next to ``out``."""
    out = Path(out)
    return out.with_name(out.name + ".partial")


def check_target(out: str | os.PathLike, *, force: bool = False) -> None:
    """Refuse an existing ``out`` unless ``force``; refuse a file in any case."""
    out = Path(out)
    if out.is_file():
        raise ResultsFolderError(f"{out} is a file; the results go into a folder")
    if out.exists() and not force:
        raise ResultsFolderError(
            f"{out} already exists; pass force=True to replace it (only once the new results "
            "are complete), or choose another folder"
        )


def atomic_write_bytes(path: Path, data: bytes) -> None:
    """Write ``data`` to a temporary file beside ``path``, flush it to disk, then rename it over ``path``."""
    tmp = path.with_name(f".{path.name}.tmp-{os.getpid()}-{uuid.uuid4().hex[:8]}")
    try:
        with open(tmp, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


def atomic_write_text(path: Path, text: str) -> None:
    atomic_write_bytes(path, text.encode("utf-8"))


