"""Writing a results folder: tables, resolved scenario(s), provenance, then plots and report.

``write_folder`` builds the whole folder in a temporary sibling and renames it into place only
when complete, so a reader never sees half a folder.
"""

from __future__ import annotations

import json
import os
import shutil
import uuid
from pathlib import Path
from typing import Callable, Optional

import pandas as pd

from sim.results.paths import (
    CALLS,
    PROVENANCE,
    REPLICATIONS,
    SCENARIO,
    SCENARIOS_DIR,
    SUMMARY,
    TIMESERIES,
    VERDICT,
    ResultsFolderError,
    check_names,
    check_target,
    csv_bytes,
    slug,
)
from sim.results.provenance import provenance, resolved_yaml


def _csv(df: pd.DataFrame) -> bytes:
    return csv_bytes(df)


def write_calls(result, path: Path) -> None:
    """``calls.parquet``, a row group per run, written run by run (never the whole table in memory)."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    writer = None
    empty: list = []  # runs without calls before the first with some: their columns have no type yet
    try:
        for df in result.call_frames():
            table = pa.Table.from_pandas(df, preserve_index=False)
            if writer is None:
                if table.num_rows == 0:
                    empty.append(table)
                    continue
                writer = pq.ParquetWriter(path, table.schema, compression="zstd")
                for e in empty:  # in run order, typed like the first run that made calls
                    writer.write_table(e.cast(writer.schema))
                empty.clear()
            writer.write_table(table.cast(writer.schema))
        if writer is None:  # no finished run: an empty table with the columns
            result.calls.to_parquet(path, index=False)
    finally:
        if writer is not None:
            writer.close()


def write_tables(result, folder: Path) -> None:
    """The four tables, the resolved scenario(s) and the provenance, into ``folder``."""
    if len(result.scenarios) > 1:
        check_names([s.name for s in result.scenarios])  # one file per scenario: no two may share one
    (folder / SUMMARY).write_bytes(_csv(result.summary))
    (folder / REPLICATIONS).write_bytes(_csv(result.replications))
    (folder / TIMESERIES).write_bytes(_csv(result.timeseries))
    write_calls(result, folder / CALLS)
    several = len(result.scenarios) > 1
    note = (
        f"The first of {len(result.scenarios)} scenarios of this sweep; each one is in {SCENARIOS_DIR}/."
        if several
        else ""
    )
    (folder / SCENARIO).write_text(resolved_yaml(result.scenarios[0], note), encoding="utf-8")
    if several:
        (folder / SCENARIOS_DIR).mkdir()
        for scn in result.scenarios:
            (folder / SCENARIOS_DIR / f"{slug(scn.name)}.resolved.yaml").write_text(
                resolved_yaml(scn), encoding="utf-8"
            )
    (folder / PROVENANCE).write_text(json.dumps(provenance(result), indent=2) + "\n", encoding="utf-8")
    from sim.format import jsonable

    verdicts = [jsonable(result.verdict(i)) for i in range(len(result.scenarios))]
    (folder / VERDICT).write_text(json.dumps(verdicts[0] if len(verdicts) == 1 else verdicts, indent=2) + "\n",
                                  encoding="utf-8")


def write_folder(result, out: str | os.PathLike, *, force: bool = False,
                 draw: Optional[Callable[[Path], object]] = None) -> Path:
    """Write the whole results folder to a temporary sibling of ``out``, then rename it into place.

    ``draw(folder)`` adds the plots and the report from the tables (``sim.results.render``).
    An existing ``out`` is refused unless ``force``; then the old folder is renamed aside, the
    new one renamed in, and the old one deleted (a reader sees the old or the new, never a mix).
    """
    if not result.has_calls:
        raise ValueError("this result has no call records (calls.parquet); run with keep_calls=True, or with out=DIR")

    def fill(folder: Path) -> None:
        write_tables(result, folder)
        if draw is not None:
            draw(folder)

    return build_atomically(out, fill, force=force)


def build_atomically(out: str | os.PathLike, fill: Callable[[Path], object], *, force: bool = False) -> Path:
    """Build a folder with ``fill(tmp)`` in a temporary sibling of ``out``, then rename it into
    place; an existing ``out`` is refused unless ``force``, and then replaced only once the new
    folder is complete. A failure (or an interrupt) leaves ``out`` as it was."""
    out = Path(out)
    check_target(out, force=force)
    tmp = out.with_name(f".{out.name}.tmp-{os.getpid()}-{uuid.uuid4().hex[:8]}")
    try:
        out.parent.mkdir(parents=True, exist_ok=True)
        tmp.mkdir()
    except OSError as exc:
        raise ResultsFolderError(f"cannot write {out}: {_where(exc, out.parent)}") from None
    try:
        fill(tmp)
        _sync_tree(tmp)
        check_target(out, force=force)
        if out.exists():
            old = out.with_name(f".{out.name}.old-{os.getpid()}-{uuid.uuid4().hex[:8]}")
            os.rename(out, old)
            try:
                os.rename(tmp, out)
            except BaseException:
                os.rename(old, out)
                raise
            shutil.rmtree(old, ignore_errors=True)
        else:
            os.rename(tmp, out)
    except OSError as exc:
        shutil.rmtree(tmp, ignore_errors=True)
        raise ResultsFolderError(f"cannot write {out}: {_where(exc, tmp)}".replace(str(tmp), str(out))) from None
    except ResultsFolderError as exc:  # from drawing: name the folder asked for, not the temporary one
        shutil.rmtree(tmp, ignore_errors=True)
        raise ResultsFolderError(str(exc).replace(str(tmp), str(out))) from None
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return out


def _where(exc: OSError, default: Path) -> str:
    """``path: reason`` of an ``OSError``, in one line."""
    return f"{exc.filename or default}: {exc.strerror or exc}"


def _sync_tree(folder: Path) -> None:
    """Flush every file of ``folder`` to disk before it is renamed into place."""
    for f in folder.rglob("*"):
        if f.is_file():
            fd = os.open(f, os.O_RDONLY)
            try:
                os.fsync(fd)
            finally:
                os.close(fd)
