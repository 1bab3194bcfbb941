"""The results folder and the resume state of a sweep, one module a responsibility:

- ``paths``: the folder's file names, where things go next to it, atomic writes;
- ``runs``: run keys (what a kept run must match to be reused, code fingerprint included);
- ``checkpoint``: every finished run of a sweep kept in ``<DIR>.partial/``, to resume it;
- ``provenance``: the resolved scenario and ``provenance.json``;
- ``write``: the folder written in a temporary sibling and renamed into place when complete;
- ``read``: the folder read back; plots and report drawn from its files (``pacing-sim report DIR``).

Nothing here imports ``sim.experiment``: the experiment calls into this package, not back.
"""

from __future__ import annotations

import os
from pathlib import Path

from sim.results.checkpoint import Checkpoint, KeptRun
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
    ResultsFolderError,
    SweepLock,
    atomic_write_bytes,
    atomic_write_text,
    check_names,
    check_output_file,
    check_target,
    check_writable,
    clean_stale,
    csv_bytes,
    partial_path,
    read_csv_text,
)
from sim.results.provenance import DEPENDENCIES, resolved_document, resolved_yaml
from sim.results.read import WAIT_COLUMNS, Tables, read_folder, rebuild, render
from sim.results.runs import code_fingerprint, run_key, run_modules, scenario_fingerprint, with_sweep
from sim.results.write import write_calls, write_tables

__all__ = [
    "CALLS", "PLOTS", "PROVENANCE", "REPLICATIONS", "REPORT", "SCENARIO", "SCENARIOS_DIR", "SUMMARY",
    "TIMESERIES", "DEPENDENCIES", "WAIT_COLUMNS", "Checkpoint", "KeptRun", "ResultsFolderError", "SweepLock", "Tables",
    "check_names", "check_output_file", "check_writable", "clean_stale", "csv_bytes", "read_csv_text",
    "atomic_write_bytes", "atomic_write_text", "check_target", "code_fingerprint", "partial_path",
    "read_folder", "rebuild", "render", "resolved_document", "resolved_yaml", "run_key", "run_modules",
    "scenario_fingerprint", "with_sweep", "write_calls", "write_folder", "write_tables",
]


def write_folder(result, out: str | os.PathLike, *, force: bool = False, voipbin_records: bool = False) -> Path:
    """Write the results folder of ``result`` to ``out`` (see ``sim.results.write.write_folder``),
    its plots and report drawn by this package's ``render``. ``voipbin_records``: also each run's
    calls in VoIPbin's record shapes, in ``voipbin/<scenario>/sl<SL>-r<R>/`` (``sim.voipbin.export``)."""
    from sim.results import write

    if not voipbin_records:
        return write.write_folder(result, out, force=force, draw=render)  # ``render`` as it is when called

    def draw(folder: Path) -> None:
        from sim.voipbin.export import write_records

        render(folder)
        write_records(result, folder)

    return write.write_folder(result, out, force=force, draw=draw)
