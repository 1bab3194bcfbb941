"""Reading a results folder back, and drawing its plots and report from the files alone
(``pacing-sim report DIR``)."""

from __future__ import annotations

import json
import os
import re
import warnings
from dataclasses import dataclass, field
from pathlib import Path
from typing import Optional

import pandas as pd

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
    read_csv_text,
)
from sim.scenario.safe_yaml import read_yaml

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


SUMMARY_COLUMNS = {"scenario": str, "service_level": "num", "metric": str, "mean": "num", "sd": "num",
                   "ci_low": "num", "ci_high": "num", "n": "num"}
KEY_COLUMNS = {"scenario": str, "service_level": "num", "replication": "num"}
FIGURE_NAME = re.compile(r"(tradeoff|tradeoff_regulatory|levels|comparison|timeseries(-.+)?|waits(-.+)?)\.png$")
"""The PNG files ``render`` draws: the only ones it ever replaces or deletes in ``plots/``."""


def _damaged(path: Path, why: str) -> ResultsFolderError:
    return ResultsFolderError(f"{path}: {why}; this results folder is damaged (run the sweep again to rebuild it)")


def _table(path: Path, required: dict) -> pd.DataFrame:
    """A CSV table of the folder, its required columns present and numbers numbers."""
    if not path.is_file():
        raise _damaged(path, "missing or not a file")
    try:
        df = pd.read_csv(path, keep_default_na=False, na_values=[""], dtype={"scenario": str, "error": str})
    except pd.errors.EmptyDataError:
        raise _damaged(path, "the file is empty") from None
    except (pd.errors.ParserError, UnicodeDecodeError, ValueError) as exc:
        raise _damaged(path, f"not a readable CSV table ({str(exc).splitlines()[0][:120]})") from None
    except OSError as exc:
        raise _damaged(path, f"cannot read it ({exc.strerror or exc})") from None
    missing = [c for c in required if c not in df.columns]
    if missing:
        raise _damaged(path, f"no column {', '.join(missing)}")
    for c, kind in required.items():
        if kind == "num" and not pd.api.types.is_numeric_dtype(df[c]):
            bad = pd.to_numeric(df[c], errors="coerce").isna() & df[c].notna()
            row = int(bad.to_numpy().argmax()) if bad.any() else 0
            raise _damaged(path, f"column {c}, row {row + 2}: {str(df[c].iloc[row])[:40]!r} is not a number")
    return read_csv_text(df)


def read_folder(folder: str | os.PathLike, *, all_calls: bool = False) -> Tables:
    """Read a results folder back (of the calls only the live answers and the columns the plots need,
    unless ``all_calls``). A damaged file is ``ResultsFolderError`` naming it."""
    folder = Path(folder)
    if not folder.is_dir():
        raise ResultsFolderError(f"{folder} is not a results folder: no such folder")
    missing = [n for n in (SUMMARY, REPLICATIONS, TIMESERIES) if not (folder / n).is_file()]
    if missing:
        raise ResultsFolderError(f"{folder} is not a results folder: no {', '.join(missing)}")
    summary = _table(folder / SUMMARY, SUMMARY_COLUMNS)
    reps = _table(folder / REPLICATIONS, KEY_COLUMNS)
    if "error" in reps:
        reps["error"] = reps["error"].fillna("")
    ts = _table(folder / TIMESERIES, KEY_COLUMNS)
    calls = None
    if (folder / CALLS).is_file():
        import pyarrow as pa
        import pyarrow.parquet as pq

        try:
            if all_calls:
                calls = pd.read_parquet(folder / CALLS)
            else:  # what the wait plots use: live answers, a few columns (a small part of a big table)
                names = pq.read_schema(folder / CALLS).names
                cols = [c for c in WAIT_COLUMNS if c in names]
                filters = [("outcome", "==", "human")] if "outcome" in names else None
                calls = pd.read_parquet(folder / CALLS, columns=cols, filters=filters)
        except (pa.ArrowException, OSError, ValueError, TypeError, KeyError) as exc:
            raise _damaged(folder / CALLS, f"not a readable parquet table ({str(exc).splitlines()[0][:120]})") from None
    prov: dict = {}
    if (folder / PROVENANCE).is_file():
        try:
            prov = json.loads((folder / PROVENANCE).read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError, ValueError, RecursionError) as exc:
            raise _damaged(folder / PROVENANCE, f"not readable JSON ({str(exc)[:120]})") from None
        if not isinstance(prov, dict):
            raise _damaged(folder / PROVENANCE, f"a JSON {type(prov).__name__}, expected an object")
    docs = []
    files = sorted((folder / SCENARIOS_DIR).glob("*.resolved.yaml")) if (folder / SCENARIOS_DIR).is_dir() else []
    if not files and (folder / SCENARIO).is_file():
        files = [folder / SCENARIO]
    for f in files:
        doc, problems, _ = read_yaml(f)  # the scenario loader's guards: size, depth, aliases, plain data
        if not problems and isinstance(doc, dict):
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
    return Tables(summary, reps, ts, calls, prov, docs, options)


def _plots_folder(folder: Path) -> Path:
    """``folder/plots``, made if missing; never a link (out of the folder, or anywhere) nor a file."""
    plots_dir = folder / PLOTS
    if plots_dir.is_symlink():
        raise ResultsFolderError(f"{plots_dir} is a symbolic link; the plots are drawn only inside {folder}: "
                                 "remove the link and run again")
    if plots_dir.exists() and not plots_dir.is_dir():
        raise ResultsFolderError(f"{plots_dir} is not a folder; remove it and run again")
    try:
        plots_dir.mkdir(exist_ok=True)
    except OSError as exc:
        raise ResultsFolderError(f"cannot write {plots_dir}: {exc.strerror or exc}") from None
    return plots_dir


def render(folder: str | os.PathLike) -> list[Path]:
    """Draw ``plots/*.png`` and ``report.html`` in ``folder`` from its tables; each file replaced atomically.

    Labels are drawn as written (a ``$`` in a name is a dollar sign, not TeX). Only the files
    this draws are written or deleted (``FIGURE_NAME``), and nothing through a link.
    """
    import matplotlib

    from sim import plots, registry, report

    folder = Path(folder)
    tables = read_folder(folder)
    rules = {d.get("name"): registry.regulatory(d) for d in tables.scenarios}
    plots_dir = _plots_folder(folder)
    for name in (REPORT,):
        if (folder / name).is_symlink() or ((folder / name).exists() and not (folder / name).is_file()):
            raise ResultsFolderError(f"{folder / name} is not a file; remove it and run again")
    with matplotlib.rc_context({"text.parse_math": False, "text.usetex": False}), warnings.catch_warnings():
        warnings.filterwarnings("ignore", message="Glyph .* missing from font")  # a control character in a name
        try:
            verdicts = tables.verdicts()
            figures = plots.standard_figures(tables.summary, tables.timeseries, tables.calls, rules, verdicts)
            images: dict[str, bytes] = {name: plots.png_bytes(fig) for name, fig in figures.items()}
        except (ValueError, TypeError, KeyError, IndexError) as exc:  # tables that read but do not fit together
            raise _damaged(folder, f"its tables cannot be drawn ({type(exc).__name__}: {str(exc)[:120]})") from None
    written = []
    try:
        for name, data in images.items():
            path = plots_dir / f"{name}.png"
            atomic_write_bytes(path, data)
            written.append(path)
        for stale in plots_dir.iterdir():
            if FIGURE_NAME.match(stale.name) and stale.stem not in figures and stale.is_file() and not stale.is_symlink():
                stale.unlink()
        atomic_write_text(folder / REPORT, report.html(tables, images, verdicts))
    except OSError as exc:
        raise ResultsFolderError(f"cannot write {exc.filename or folder}: {exc.strerror or exc}") from None
    written.append(folder / REPORT)
    return written


def rebuild(folder: str | os.PathLike) -> list[Path]:
    """``pacing-sim report DIR``: redraw the plots and the report of an existing results folder."""
    return render(folder)
