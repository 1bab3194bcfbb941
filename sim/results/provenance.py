"""What produced a results folder: the resolved scenario (every default and switch written out) and
``provenance.json`` (versions, seeds, command line, engine switches, timestamps, wall times)."""

from __future__ import annotations

import hashlib
import platform
import subprocess
import sys
from importlib import metadata
from pathlib import Path
from typing import Optional

import yaml

from sim.format import jsonable
from sim.results.runs import code_fingerprint, scenario_fingerprint
from sim.scenario.schema import SWITCHES, Scenario

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
    root = Path(__file__).resolve().parents[2]
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
    return jsonable(
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


