"""Reading a results folder back, and drawing its plots and report from the files alone
(``pacing-sim report DIR``)."""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Optional

import pandas as pd
import yaml

from sim.results.paths import (
    CALLS,
    PLOTS,
    PROVENANCE,
    REPLICATIONS,
    REPORT,
    SCENARIO,
    SCENARIOS_DIR,
    SUMMARY,
    TIMESERIES,
    VERDICT,
    ResultsFolderError,
    atomic_write_bytes,
    atomic_write_text,
)

WAIT_COLUMNS = [
    "scenario",
    "service_level",
    "replication",
    "outcome",
    "t_answer",
    "t_queue",
    "t_agent_answer",
    "t_hangup",
    "queue_exit",
]
"""The columns of ``calls.parquet`` the plots need (read alone, the big table stays on disk)."""


@dataclass
class Tables:
    """A results folder's contents as the plots and the report need them."""

    summary: pd.DataFrame
    replications: pd.DataFrame
    timeseries: pd.DataFrame
    calls: Optional[pd.DataFrame]
    provenance: dict = field(default_factory=dict)
    scenarios: list[dict] = field(default_factory=list)
    """The resolved scenario documents (plain dicts, as in the YAML files)."""
    verdict_options: dict = field(default_factory=dict)
    """The verdict's constraint as the sweep was judged (``verdict.json``: metric, limit, ...)."""

    def verdicts(self) -> list[dict]:
        """The verdict on each scenario's sweep, judged again from the summary table."""
        from sim.verdict import verdict_from_document

        return [verdict_from_document(self.summary, d, **self.verdict_options) for d in self.scenarios]


def read_folder(folder: str | os.PathLike, *, all_calls: bool = False) -> Tables:
    """Read a results folder back (of the calls only the live answers and the columns the plots need,
    unless ``all_calls``)."""
    folder = Path(folder)
    missing = [n for n in (SUMMARY, REPLICATIONS, TIMESERIES) if not (folder / n).is_file()]
    if missing:
        raise ResultsFolderError(f"{folder} is not a results folder: no {', '.join(missing)}")

    def csv(name: str, **dtypes: type) -> pd.DataFrame:
        return pd.read_csv(folder / name, keep_default_na=False, na_values=[""], dtype={"scenario": str, **dtypes})

    reps = csv(REPLICATIONS, error=str)
    if "error" in reps:
        reps["error"] = reps["error"].fillna("")
    calls = None
    if (folder / CALLS).is_file():
        import pyarrow.parquet as pq

        if all_calls:
            calls = pd.read_parquet(folder / CALLS)
        else:  # what the wait plots use: live answers, a few columns (a small part of a big table)
            names = pq.read_schema(folder / CALLS).names
            cols = [c for c in WAIT_COLUMNS if c in names]
            filters = [("outcome", "==", "human")] if "outcome" in names else None
            calls = pd.read_parquet(folder / CALLS, columns=cols, filters=filters)
    prov = json.loads((folder / PROVENANCE).read_text(encoding="utf-8")) if (folder / PROVENANCE).is_file() else {}
    docs = []
    files = sorted((folder / SCENARIOS_DIR).glob("*.resolved.yaml")) if (folder / SCENARIOS_DIR).is_dir() else []
    if not files and (folder / SCENARIO).is_file():
        files = [folder / SCENARIO]
    for f in files:
        try:
            doc = yaml.safe_load(f.read_text(encoding="utf-8"))
        except yaml.YAMLError:
            continue
        if isinstance(doc, dict):
            docs.append(doc)
    order = list(dict.fromkeys(reps["scenario"]))
    docs.sort(key=lambda d: order.index(d.get("name")) if d.get("name") in order else len(order))
    options: dict = {}
    if (folder / VERDICT).is_file():
        try:
            stored = json.loads((folder / VERDICT).read_text(encoding="utf-8"))
            first = stored[0] if isinstance(stored, list) and stored else stored
            if isinstance(first, dict):
                options = {k: first.get(k) for k in ("metric", "limit", "min_occupancy", "objective")
                           if first.get(k) is not None}
        except (ValueError, OSError):
            options = {}
    return Tables(csv(SUMMARY), reps, csv(TIMESERIES), calls, prov, docs, options)


def render(folder: str | os.PathLike) -> list[Path]:
    """Draw ``plots/*.png`` and ``report.html`` in ``folder`` from its tables; each file replaced atomically."""
    from sim import plots, registry, report

    folder = Path(folder)
    tables = read_folder(folder)
    rules = {d.get("name"): registry.regulatory(d) for d in tables.scenarios}
    verdicts = tables.verdicts()
    figures = plots.standard_figures(tables.summary, tables.timeseries, tables.calls, rules, verdicts)
    (folder / PLOTS).mkdir(exist_ok=True)
    images: dict[str, bytes] = {}
    written = []
    for name, fig in figures.items():
        images[name] = plots.png_bytes(fig)
        path = folder / PLOTS / f"{name}.png"
        atomic_write_bytes(path, images[name])
        written.append(path)
    for stale in (folder / PLOTS).glob("*.png"):
        if stale.stem not in figures:
            stale.unlink()
    atomic_write_text(folder / REPORT, report.html(tables, images, verdicts))
    written.append(folder / REPORT)
    return written


def rebuild(folder: str | os.PathLike) -> list[Path]:
    """``pacing-sim report DIR``: redraw the plots and the report of an existing results folder."""
    return render(folder)
