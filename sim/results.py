"""The results folder: tables, resolved scenario, provenance, plots and report, written atomically.

``write_folder`` builds the whole folder in a temporary sibling and renames it into place only
when complete, so a reader never sees half a folder. ``Checkpoint`` keeps every finished run of
a sweep in ``<DIR>.partial/`` (one file a run, each written atomically), so an interrupted sweep
resumes where it stopped; a run is reused only when its key (scenario, service level,
replication, options, package version and the source of the code that computes it) matches.
``read_folder`` and ``rebuild`` give ``pacing-sim report DIR``: plots and report from the files alone.
"""

from __future__ import annotations

import hashlib
import io
import json
import math
import os
import platform
import re
import shutil
import subprocess
import sys
import uuid
from dataclasses import dataclass, field
from functools import lru_cache
from importlib import metadata
from pathlib import Path
from typing import Any, Optional

import numpy as np
import pandas as pd
import yaml

from sim.scenario.schema import SWITCHES, Scenario

SUMMARY, REPLICATIONS, CALLS, TIMESERIES = "summary.csv", "replications.csv", "calls.parquet", "timeseries.csv"
SCENARIO, PROVENANCE, REPORT, PLOTS = "scenario.resolved.yaml", "provenance.json", "report.html", "plots"
SCENARIOS_DIR = "scenarios"
"""With several scenarios, each one's resolved file is in ``scenarios/<name>.resolved.yaml``."""

DEPENDENCIES = (
    "simpy",
    "numpy",
    "pandas",
    "scipy",
    "pydantic",
    "pyyaml",
    "pyarrow",
    "matplotlib",
    "dask",
    "distributed",
    "tqdm",
)

WAIT_COLUMNS = [
    "scenario",
    "service_level",
    "replication",
    "outcome",
    "t_queue",
    "t_agent_answer",
    "t_hangup",
    "queue_exit",
]
"""The columns of ``calls.parquet`` the plots need (read alone, the big table stays on disk)."""


class ResultsFolderError(Exception):
    """The results folder cannot be written where asked (it exists, or is a file)."""


# --------------------------------------------------------------------------- paths and atomic writes


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
            f"{out} already exists; pass --force to replace it (only once the new results "
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


def _slug(name: str) -> str:
    return re.sub(r"[^A-Za-z0-9._-]+", "-", name).strip("-.")[:80] or "scenario"


# --------------------------------------------------------------------------- keys


@lru_cache(maxsize=1)
def code_fingerprint() -> str:
    """A hash of the package's source that computes runs (everything but the commands and output layers).

    Part of every run's key: a run kept by an interrupted sweep is not reused once that code changed.
    """
    root = Path(__file__).resolve().parent
    skip = {"__main__.py", "cli.py", "cli_extra.py", "plots.py", "report.py", "results.py", "tune.py", "baseline.py"}
    h = hashlib.sha256()
    for f in sorted(root.rglob("*.py")):
        if f.parent == root and f.name in skip:
            continue
        h.update(str(f.relative_to(root)).encode())
        h.update(f.read_bytes())
    return h.hexdigest()


def scenario_fingerprint(scn: Scenario) -> str:
    """A hash of everything in the scenario that a run depends on (target lists read from CSV included)."""
    doc = scn.model_dump(mode="json", by_alias=True, exclude_none=False)
    h = hashlib.sha256(json.dumps(doc, sort_keys=True, separators=(",", ":")).encode())
    for name in sorted(scn.target_masks):
        h.update(name.encode())
        h.update(hashlib.sha256(scn.target_masks[name]).digest())
    return h.hexdigest()


def run_key(
    scn: Scenario, service_level: Optional[int], replication: int, keep_calls: bool, horizon: Optional[float]
) -> str:
    from sim import __version__

    doc = {
        "version": __version__,
        "code": code_fingerprint(),
        "scenario": scenario_fingerprint(scn),
        "service_level": service_level,
        "replication": replication,
        "keep_calls": bool(keep_calls),
        "horizon": horizon,
    }
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


# --------------------------------------------------------------------------- checkpoint


class Checkpoint:
    """Finished runs of a sweep, one ``.npz`` file each (numpy arrays only, no pickle), in ``folder``.

    ``save`` is called as each run arrives; ``load`` returns the runs of ``tasks`` already there
    whose key matches. Failed runs are not kept: they run again on the next try.
    """

    def __init__(self, folder: str | os.PathLike):
        self.folder = Path(folder)
        self._fingerprints: dict[int, str] = {}

    def _key(self, scenarios: list[Scenario], task, keep_calls: bool, horizon: Optional[float]) -> str:
        scn = scenarios[task.scenario]
        return run_key(scn, task.service_level, task.replication, keep_calls, horizon)

    def path(self, scenarios: list[Scenario], task, keep_calls: bool, horizon: Optional[float]) -> tuple[Path, str]:
        key = self._key(scenarios, task, keep_calls, horizon)
        sl = "none" if task.service_level is None else str(task.service_level)
        name = f"{_slug(scenarios[task.scenario].name)}-sl{sl}-r{task.replication}-{key[:16]}.npz"
        return self.folder / "runs" / name, key

    def save(self, scenarios: list[Scenario], out, *, keep_calls: bool, horizon: Optional[float]) -> None:
        path, key = self.path(scenarios, out.task, keep_calls, horizon)
        path.parent.mkdir(parents=True, exist_ok=True)
        readme = self.folder / "README.txt"
        if not readme.exists():
            atomic_write_text(
                readme,
                "Runs finished by a sweep that has not completed yet (or was interrupted).\n"
                "Run the same command again to resume: these runs are not run again.\n"
                "Deleted when the sweep completes; safe to delete by hand.\n",
            )
        names = list(out.metrics)
        arrays: dict[str, np.ndarray] = {
            "key": np.array(key),
            "meta": np.array(json.dumps({"metrics": names, "wall_s": out.wall_s})),
            "metrics": np.array([out.metrics[n] for n in names], dtype=float),
        }
        for prefix, cols in (("ts", out.timeseries), ("calls", out.calls)):
            for col, arr in (cols or {}).items():
                arrays[f"{prefix}.{col}"] = np.asarray(arr)
        buf = io.BytesIO()
        np.savez(buf, **arrays)  # uncompressed: 10x less CPU in the main process, 4x the (temporary) disk
        atomic_write_bytes(path, buf.getvalue())

    def load(self, scenarios: list[Scenario], tasks, *, keep_calls: bool, horizon: Optional[float]) -> dict:
        """``{task: RunOutput}`` for the tasks whose finished run is on disk with a matching key."""
        from sim.experiment import RunOutput

        found = {}
        if not (self.folder / "runs").is_dir():
            return found
        for t in tasks:
            path, key = self.path(scenarios, t, keep_calls, horizon)
            if not path.is_file():
                continue
            try:
                with np.load(io.BytesIO(path.read_bytes()), allow_pickle=False) as z:
                    if str(z["key"]) != key:
                        continue
                    meta = json.loads(str(z["meta"]))
                    metrics = dict(zip(meta["metrics"], (float(v) for v in z["metrics"])))
                    ts = {k[3:]: z[k] for k in z.files if k.startswith("ts.")}
                    calls = {k[6:]: z[k] for k in z.files if k.startswith("calls.")}
            except Exception:  # an unreadable file is a run to do again, not an error
                continue
            found[t] = RunOutput(
                t, metrics, ts or None, calls if keep_calls else None, wall_s=meta["wall_s"], reused=True
            )
        return found

    def remove(self) -> None:
        shutil.rmtree(self.folder, ignore_errors=True)


# --------------------------------------------------------------------------- resolved scenario, provenance


def resolved_document(scn: Scenario) -> dict:
    """The validated scenario with every default and every engine switch written out.

    Loadable again by ``sim.load_scenario``: distributions use their file names (``mean``),
    durations are seconds, and a CSV target list is given by its absolute path.
    """
    doc = scn.model_dump(mode="json", by_alias=True, exclude_none=False)
    sem = scn.semantics()
    for name in SWITCHES:
        doc["engine"][name] = getattr(sem, name)
    base = Path(scn.source_path).resolve().parent if scn.source_path and Path(scn.source_path).exists() else None
    for od in doc["outdials"]:
        if isinstance(od["targets"], str) and base is not None and not Path(od["targets"]).is_absolute():
            od["targets"] = str(base / od["targets"])
    return doc


def resolved_yaml(scn: Scenario, note: str = "") -> str:
    head = (
        f"# The scenario {scn.name!r} as validated and run: every default and engine switch written out.\n"
        "# Load it again with sim.load_scenario(path) or pacing-sim run PATH.\n"
    )
    if note:
        head += f"# {note}\n"
    return head + yaml.safe_dump(resolved_document(scn), sort_keys=False, allow_unicode=True, width=100)


def _versions() -> dict[str, Optional[str]]:
    out = {}
    for name in DEPENDENCIES:
        try:
            out[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            out[name] = None
    return out


def _git() -> Optional[dict]:
    """The commit of the source checkout the package runs from, if it is one (else None)."""
    root = Path(__file__).resolve().parent.parent
    if not (root / ".git").exists():
        return None
    try:
        commit = subprocess.run(
            ["git", "-C", str(root), "rev-parse", "HEAD"], capture_output=True, text=True, timeout=5
        ).stdout.strip()
        dirty = subprocess.run(
            ["git", "-C", str(root), "status", "--porcelain", "--", "sim"], capture_output=True, text=True, timeout=5
        ).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return None
    return {"commit": commit or None, "sim_modified": bool(dirty)} if commit else None


def _file_sha256(path: Optional[str]) -> Optional[str]:
    try:
        return hashlib.sha256(Path(path).read_bytes()).hexdigest() if path else None
    except OSError:
        return None


def provenance(result) -> dict:
    """What produced the folder: versions, seeds, command line, engine switches, timestamps, wall times."""
    from sim import ENGINE_VERSION, __version__

    meta = result.meta
    runs = result.runs
    scenarios = []
    for scn in result.scenarios:
        sem = scn.semantics()
        scenarios.append(
            {
                "name": scn.name,
                "source": scn.source_path,
                "source_sha256": _file_sha256(scn.source_path),
                "fingerprint": scenario_fingerprint(scn),
                "seed": scn.seed,
                "replications": scn.replications,
                "service_levels": scn.sweep_levels(),
                "horizon_s": scn.horizon,
                "warmup_s": scn.warmup,
                "engine": {
                    "profile": scn.engine.profile,
                    **{n: getattr(sem, n) for n in SWITCHES},
                    "timers": sem.timers.model_dump(mode="json"),
                },
            }
        )
    failed = runs[runs["error"] != ""]
    return _json_safe(
        {
            "pacing_sim": __version__,
            "engine_version": ENGINE_VERSION,
            "seed": result.scenarios[0].seed,
            "seeds": {s.name: s.seed for s in result.scenarios},
            "command": meta.get("command"),
            "entry": "command line" if meta.get("command") else "library",
            "executor": meta.get("executor"),
            "workers": meta.get("workers"),
            "scheduler": meta.get("scheduler"),
            "started": meta.get("started"),
            "finished": meta.get("finished"),
            "wall_s": meta.get("wall_s"),
            "python": sys.version.split()[0],
            "platform": platform.platform(),
            "dependencies": _versions(),
            "git": _git(),
            "code_fingerprint": code_fingerprint(),
            "scenarios": scenarios,
            "runs": {
                "total": int(len(runs)),
                "run_now": int((~runs["reused"]).sum()),
                "reused_from_partial": int(runs["reused"].sum()),
                "failed": [
                    {
                        "scenario": r.scenario,
                        "service_level": int(r.service_level),
                        "replication": int(r.replication),
                        "error": r.error,
                    }
                    for r in failed.itertuples(index=False)
                ],
                "wall_s_sum": float(runs["wall_s"].sum()),
                "wall_s": [
                    {
                        "scenario": r.scenario,
                        "service_level": int(r.service_level),
                        "replication": int(r.replication),
                        "wall_s": round(float(r.wall_s), 4),
                        "reused": bool(r.reused),
                    }
                    for r in runs.itertuples(index=False)
                ],
            },
        }
    )


def _json_safe(x):
    if isinstance(x, dict):
        return {k: _json_safe(v) for k, v in x.items()}
    if isinstance(x, (list, tuple)):
        return [_json_safe(v) for v in x]
    if isinstance(x, np.generic):
        x = x.item()
    if isinstance(x, float) and not math.isfinite(x):
        return None
    return x


# --------------------------------------------------------------------------- the folder


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


def _csv(df: pd.DataFrame) -> bytes:
    return df.to_csv(index=False, lineterminator="\n").encode("utf-8")


def write_calls(result, path: Path) -> None:
    """``calls.parquet``, a row group per run, written run by run (never the whole table in memory)."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    writer = None
    try:
        for df in result.call_frames():
            table = pa.Table.from_pandas(df, preserve_index=False)
            if writer is None:
                writer = pq.ParquetWriter(path, table.schema, compression="zstd")
            writer.write_table(table.cast(writer.schema))
        if writer is None:  # no finished run: an empty table with the columns
            result.calls.to_parquet(path, index=False)
    finally:
        if writer is not None:
            writer.close()


def write_tables(result, folder: Path) -> None:
    """The four tables, the resolved scenario(s) and the provenance, into ``folder``."""
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
            (folder / SCENARIOS_DIR / f"{_slug(scn.name)}.resolved.yaml").write_text(
                resolved_yaml(scn), encoding="utf-8"
            )
    (folder / PROVENANCE).write_text(json.dumps(provenance(result), indent=2) + "\n", encoding="utf-8")


def write_folder(result, out: str | os.PathLike, *, force: bool = False) -> Path:
    """Write the whole results folder to a temporary sibling of ``out``, then rename it into place.

    An existing ``out`` is refused unless ``force``; then the old folder is renamed aside, the
    new one renamed in, and the old one deleted (a reader sees the old or the new, never a mix).
    """
    if not result.has_calls:
        raise ValueError("this result has no call records (calls.parquet); run with keep_calls=True, or with out=DIR")
    out = Path(out)
    check_target(out, force=force)
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_name(f".{out.name}.tmp-{os.getpid()}-{uuid.uuid4().hex[:8]}")
    tmp.mkdir()
    try:
        write_tables(result, tmp)
        render(tmp)
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
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return out


def _sync_tree(folder: Path) -> None:
    """Flush every file of ``folder`` to disk before it is renamed into place."""
    for f in folder.rglob("*"):
        if f.is_file():
            fd = os.open(f, os.O_RDONLY)
            try:
                os.fsync(fd)
            finally:
                os.close(fd)


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
    return Tables(csv(SUMMARY), reps, csv(TIMESERIES), calls, prov, docs)


def render(folder: str | os.PathLike) -> list[Path]:
    """Draw ``plots/*.png`` and ``report.html`` in ``folder`` from its tables; each file replaced atomically."""
    from sim import plots, report

    folder = Path(folder)
    tables = read_folder(folder)
    figures = plots.standard_figures(tables.summary, tables.timeseries, tables.calls)
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
    atomic_write_text(folder / REPORT, report.html(tables, images))
    written.append(folder / REPORT)
    return written


def rebuild(folder: str | os.PathLike) -> list[Path]:
    """``pacing-sim report DIR``: redraw the plots and the report of an existing results folder."""
    return render(folder)
