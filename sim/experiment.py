"""Sweeps: every (service level, replication) run of a scenario, on one or many workers.

The unit of work is one run, fixed by (scenario, service level, replication) alone, so the
results are identical whatever the executor and the number of workers; they are always put
back in run order, never in completion order. A run that fails is recorded with its error
instead of stopping the sweep.
"""

from __future__ import annotations

import gc
import os
import sys
import time
import traceback
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Callable, Iterable, Iterator, Optional

import numpy as np
import pandas as pd

from sim.engine.simulation import Simulation, simulate
from sim.metrics import CALL_COLUMNS, EXTRA_METRICS, METRICS, call_arrays, decode, replication_metrics, timeseries
from sim.scenario.schema import Scenario
from sim.stats import summarize

TIMESERIES_COLUMNS = ("t_start", "live_calls", "available_agents", "queue_waiting", "dials", "answers",
                      "conversations", "abandons")
"""The columns of ``sim.metrics.timeseries`` (for an empty table)."""


@dataclass(frozen=True)
class Task:
    """One run: scenario index (in a multi-scenario sweep), service level, replication."""

    scenario: int
    service_level: Optional[int]
    replication: int


@dataclass
class RunOutput:
    task: Task
    metrics: dict[str, float] = field(default_factory=dict)
    timeseries: Optional[dict[str, np.ndarray]] = None
    calls: Optional[dict[str, np.ndarray]] = None
    error: Optional[str] = None
    wall_s: float = 0.0
    reused: bool = False
    """True when the output was read back from an interrupted sweep's folder, not run again."""


def run_task(scenario: Scenario, task: Task, keep_calls: bool = False, horizon: Optional[float] = None) -> RunOutput:
    """Run one replication and reduce it to metrics (and, if asked, its tables)."""
    start = time.perf_counter()
    try:
        rec = simulate(scenario, task.service_level, task.replication, horizon, engine=Simulation)
        cols = call_arrays(rec)
        out = RunOutput(task, replication_metrics(rec, cols), timeseries(rec, cols), cols if keep_calls else None)
    except Exception as exc:  # recorded in the run's result, the sweep goes on
        out = RunOutput(task, error=f"{type(exc).__name__}: {exc}\n{traceback.format_exc(limit=8)}")
    out.wall_s = time.perf_counter() - start
    return out


def plan(scenarios: list[Scenario], service_levels: Optional[list[int]] = None, replications: Optional[int] = None) -> list[Task]:
    """The runs of a sweep, in their fixed order: scenario, then service level, then replication."""
    tasks = []
    for si, scn in enumerate(scenarios):
        levels = list(service_levels) if service_levels else (scn.sweep_levels() if scn.service_levels else [None])
        reps = replications if replications is not None else scn.replications
        for sl in levels:
            for r in range(reps):
                tasks.append(Task(si, sl, r))
    return tasks


# --------------------------------------------------------------------------- executors

_WORKER_STATE: dict[str, Any] = {}


def _init_worker(scenarios, keep_calls, horizon):
    _WORKER_STATE.update(scenarios=scenarios, keep_calls=keep_calls, horizon=horizon)


def _run_in_worker(task: Task) -> RunOutput:
    s = _WORKER_STATE
    return run_task(s["scenarios"][task.scenario], task, s["keep_calls"], s["horizon"])


def _run_dask(scenario: Scenario, task: Task, keep_calls: bool, horizon: Optional[float]) -> RunOutput:
    return run_task(scenario, task, keep_calls, horizon)


class WorkerLost(RuntimeError):
    """A worker process died (killed, out of memory): the sweep stops; finished runs are kept."""


class ExecutorUnavailable(Exception):
    """The executor asked for cannot be used (Dask not installed, scheduler unreachable): nothing ran."""


SCHEDULER_TIMEOUT_S = 5.0
"""How long to try reaching a Dask scheduler before giving up."""


def check_executor(executor: Optional[str], scheduler: Optional[str] = None) -> None:
    """Fail fast, before any run or file, when the executor cannot work: Dask missing (it is the
    optional extra ``pacing-sim[dask]``) or its scheduler unreachable within a few seconds."""
    if executor not in (None, "serial", "process", "dask"):
        raise ValueError(f"unknown executor {executor!r}; expected serial, process or dask")
    if executor != "dask" and not scheduler:
        return
    if scheduler:
        _probe_scheduler(scheduler)  # cheap, and before the slow import of Dask
    try:
        import importlib.util

        found = importlib.util.find_spec("dask.distributed") is not None
    except (ImportError, ValueError):
        found = False
    if not found:
        raise ExecutorUnavailable('the dask executor needs Dask, an optional extra: pip install "pacing-sim[dask]"')


def _probe_scheduler(address: str) -> None:
    """Open (and close) a TCP connection to the scheduler, so that a wrong address is one clear
    error within seconds instead of Dask's retries and a traceback."""
    import socket
    from urllib.parse import urlsplit

    text = address if "://" in address else f"tcp://{address}"
    try:
        parts = urlsplit(text)
        host, port = parts.hostname, parts.port or 8786
    except ValueError as exc:
        raise ExecutorUnavailable(f"--scheduler {address!r} is not an address like tcp://HOST:8786 ({exc})") from None
    if parts.scheme not in ("tcp", "tls"):
        return  # inproc://, ucx://, ws://: left to Dask's own (timed) connection
    if not host:
        raise ExecutorUnavailable(f"--scheduler {address!r} is not an address like tcp://HOST:8786")
    try:
        with socket.create_connection((host, port), timeout=SCHEDULER_TIMEOUT_S):
            pass
    except OSError as exc:
        reason = "no answer within %gs" % SCHEDULER_TIMEOUT_S if isinstance(exc, TimeoutError) else (exc.strerror or str(exc))
        raise ExecutorUnavailable(f"cannot reach the Dask scheduler at {address}: {reason}") from None


def execute(
    scenarios: list[Scenario],
    tasks: list[Task],
    *,
    workers: int = 1,
    executor: Optional[str] = None,
    scheduler: Optional[str] = None,
    keep_calls: bool = False,
    horizon: Optional[float] = None,
    on_result: Optional[Callable[[RunOutput], None]] = None,
    checkpoint: Optional[Any] = None,
    kept: Optional[dict[Task, RunOutput]] = None,
) -> list[RunOutput]:
    """Run ``tasks``; return their outputs in task order. ``on_result`` sees each as it finishes.

    ``checkpoint`` (a ``sim.results.Checkpoint``) keeps every finished run on disk as it
    arrives, and supplies the runs an earlier, interrupted call already finished: those are not
    run again (they come back with ``reused=True`` and are not passed to ``on_result``).
    ``kept``: those runs when the caller has already read them (``load_kept``), so that each
    kept run is read once.
    """
    if executor is None:
        executor = "process" if workers > 1 else "serial"
    if executor not in ("serial", "process", "dask"):
        raise ValueError(f"unknown executor {executor!r}; expected serial, process or dask")
    results: dict[Task, RunOutput] = {}
    if kept is None and checkpoint is not None:
        kept = load_kept(checkpoint, tasks)
    results.update(kept or {})
    todo = [t for t in tasks if t not in results]

    def done(out: RunOutput) -> None:
        results[out.task] = out
        if checkpoint is not None and out.error is None:
            checkpoint.save(out.task, out.metrics, out.timeseries, out.calls, out.wall_s)
        if on_result is not None:
            on_result(out)

    if not todo:
        pass
    elif executor == "serial":
        for t in todo:
            done(run_task(scenarios[t.scenario], t, keep_calls, horizon))
    elif executor == "process":
        _execute_process(scenarios, todo, workers, keep_calls, horizon, done)
    else:
        _execute_dask(scenarios, todo, workers, scheduler, keep_calls, horizon, done)
    return [results[t] for t in tasks]


class RunsFailed(RuntimeError):
    """Runs of an experiment failed; the message names them. ``failures``: the failed runs
    (``RunOutput``: ``task``, and ``error`` with the traceback); ``result``: from ``sim.run``, the
    whole ``ExperimentResult`` (finished runs included), else ``None``."""

    def __init__(self, message: str, failures: Iterable["RunOutput"] = (), result: Optional["ExperimentResult"] = None):
        super().__init__(message)
        self.failures = list(failures)
        self.result = result


def run_tasks(scenario: Scenario, tasks: list[Task], *, workers: int = 1, executor: Optional[str] = None,
              scheduler: Optional[str] = None, horizon: Optional[float] = None, progress: Optional[bool] = None,
              label: str = "") -> list[RunOutput]:
    """Run ``tasks`` of one scenario (``execute``); raise ``RunsFailed`` if any failed.

    ``progress``: a bar labelled ``label`` (``None``: in a notebook or a terminal), as ``run`` shows."""
    if progress is None:
        progress = interactive()
    tick, close = progress_bar(len(tasks), label=label) if progress else (None, lambda: None)
    try:
        outs = execute([scenario], tasks, workers=workers, executor=executor, scheduler=scheduler, horizon=horizon,
                       on_result=tick)
    finally:
        close()
    failed = [o for o in outs if o.error is not None]
    if failed:
        lines = [f"service level {o.task.service_level}, replication {o.task.replication}: "
                 f"{(o.error or '').splitlines()[0]}" for o in failed[:5]]
        raise RunsFailed(f"{len(failed)} of {len(outs)} runs failed: " + "; ".join(lines), failed)
    return outs


def load_kept(checkpoint, tasks: list[Task]) -> dict[Task, RunOutput]:
    """The runs of ``tasks`` that ``checkpoint`` (a ``sim.results.Checkpoint``) holds, as outputs."""
    return {t: RunOutput(t, k.metrics, k.timeseries, k.calls, wall_s=k.wall_s, reused=True)
            for t, k in checkpoint.load(tasks).items()}


def _execute_process(scenarios, tasks, workers, keep_calls, horizon, done) -> None:
    import multiprocessing as mp
    from concurrent.futures import ProcessPoolExecutor, as_completed
    from concurrent.futures.process import BrokenProcessPool

    # Earlier runs in this process may have left garbage in cycles (the simulation's processes
    # and callbacks); collect it before forking, so workers do not copy and traverse it.
    gc.collect()
    ctx = mp.get_context("spawn") if mp.get_start_method(allow_none=True) == "spawn" else mp.get_context("fork")
    pool = ProcessPoolExecutor(max_workers=max(1, min(workers, len(tasks))), mp_context=ctx,
                               initializer=_init_worker, initargs=(scenarios, keep_calls, horizon))
    futures = [pool.submit(_run_in_worker, t) for t in tasks]
    try:
        for fut in as_completed(futures):
            done(fut.result())
    except BrokenProcessPool as exc:
        pool.shutdown(wait=False, cancel_futures=True)
        raise WorkerLost(f"a worker process died ({exc}); the runs that finished are kept") from exc
    except BaseException:
        pool.shutdown(wait=False, cancel_futures=True)
        raise
    pool.shutdown(wait=True)


def _execute_dask(scenarios, tasks, workers, scheduler, keep_calls, horizon, done) -> None:
    check_executor("dask", scheduler)
    from dask.distributed import Client, LocalCluster
    from dask.distributed import as_completed as d_completed

    cluster = None
    if scheduler:
        try:
            client = Client(scheduler, timeout=SCHEDULER_TIMEOUT_S)
        except (OSError, TimeoutError) as exc:
            raise ExecutorUnavailable(f"cannot reach the Dask scheduler at {scheduler}: {exc}") from None
        except Exception:  # something answers there, but not as a Dask scheduler
            raise ExecutorUnavailable(f"cannot reach the Dask scheduler at {scheduler}: what answers there is not "
                                      "a Dask scheduler") from None
    else:
        cluster = LocalCluster(n_workers=max(1, min(workers, len(tasks))), threads_per_worker=1, processes=True,
                               dashboard_address=None, silence_logs=40)
        client = Client(cluster)
    try:
        scattered = [client.scatter(s, broadcast=True) for s in scenarios]
        futures = [client.submit(_run_dask, scattered[t.scenario], t, keep_calls, horizon, pure=False) for t in tasks]
        task_of = {fut.key: t for fut, t in zip(futures, tasks)}
        try:
            for fut in d_completed(futures):
                try:
                    out = fut.result()
                except Exception as exc:  # KilledWorker after Dask's own retries: that run failed
                    out = RunOutput(task_of[fut.key], error=f"{type(exc).__name__}: {exc}")
                done(out)
        except BaseException:
            client.cancel(futures)
            raise
    finally:
        client.close()
        if cluster is not None:
            cluster.close()


# --------------------------------------------------------------------------- results


class ExperimentResult:
    """The outputs of a sweep as tables (pandas DataFrames), in run order.

    The tables are ``summary``, ``replications``, ``timeseries`` and ``calls`` (the last only
    when the runs kept their call records); ``runs`` has each run's wall time. ``plot_*`` draw
    the standard figures and ``write(DIR)`` writes the results folder.
    """

    def __init__(self, scenarios: list[Scenario], tasks: list[Task], outputs: list[RunOutput],
                 meta: Optional[dict[str, Any]] = None):
        self.scenarios = scenarios
        self.tasks = tasks
        self.outputs = outputs
        self.meta: dict[str, Any] = dict(meta or {})
        """How the sweep ran (executor, workers, timestamps, command line), for provenance."""
        self.verdict_options: dict[str, Any] = {}
        """The verdict's constraint (``metric``, ``limit``, ``min_occupancy``, ``objective``); unset
        keys take ``sim.verdict.verdict``'s defaults (the scenario's ``regulatory.max_abandon``)."""
        self._cache: dict[str, pd.DataFrame] = {}

    def verdict(self, scenario: int = 0, **options: Any) -> dict[str, Any]:
        """The verdict on one scenario's sweep (``sim.verdict.verdict``): the level to run, or why none."""
        from sim.verdict import verdict

        opts = {k: v for k, v in {**self.verdict_options, **options}.items() if v is not None}
        return verdict(self.summary, self.scenarios[scenario], **opts)

    @property
    def scenario(self) -> Scenario:
        return self.scenarios[0]

    @property
    def failures(self) -> list[RunOutput]:
        return [o for o in self.outputs if o.error is not None]

    def table(self, metrics: Optional[Iterable[str]] = None) -> pd.DataFrame:
        """A row per service level (scenario and level with several), a column per metric: the
        means, as fractions, seconds and counts per hour (``summary`` has the intervals)."""
        from sim.display import wide_table

        return wide_table(self, metrics)

    def _repr_html_(self) -> str:
        """Jupyter's display: the verdict if there is one, then the table a row per service level."""
        from sim.display import html_table

        return html_table(self)

    def _label(self, task: Task) -> int:
        if task.service_level is not None:
            return task.service_level
        return self.scenarios[task.scenario].campaigns[0].service_level

    def _keys(self, o: RunOutput) -> dict[str, Any]:
        return {"scenario": self.scenarios[o.task.scenario].name, "service_level": self._label(o.task),
                "replication": o.task.replication}

    @property
    def replications(self) -> pd.DataFrame:
        """A row per scenario, service level and replication; a column per metric, then ``error``.

        No wall time here (it is in ``runs``), so the table is the same whatever ran it.
        """
        if "replications" not in self._cache:
            names = metric_names(o.metrics for o in self.outputs)
            rows = []
            for o in self.outputs:
                row = self._keys(o)
                row.update({k: float(o.metrics.get(k, np.nan)) for k in names})
                row["error"] = (o.error or "").splitlines()[0] if o.error else ""
                rows.append(row)
            cols = ["scenario", "service_level", "replication", *names, "error"]
            self._cache["replications"] = pd.DataFrame(rows, columns=cols)
        return self._cache["replications"].copy()

    @property
    def runs(self) -> pd.DataFrame:
        """A row per run: its wall time, whether it was reused from an interrupted sweep, its error."""
        rows = [{**self._keys(o), "wall_s": o.wall_s, "reused": o.reused, "error": o.error or ""} for o in self.outputs]
        return pd.DataFrame(rows, columns=["scenario", "service_level", "replication", "wall_s", "reused", "error"])

    @property
    def summary(self) -> pd.DataFrame:
        """A row per scenario, service level and metric: mean, sd, 95 % interval, n."""
        if "summary" not in self._cache:
            self._cache["summary"] = summary_table(self.replications)
        return self._cache["summary"].copy()

    def metric_summary(self, scenario: int = 0) -> dict[int, dict[str, dict[str, float]]]:
        """``{service_level: {metric: {mean, sd, ci_low, ci_high, n}}}`` for one scenario."""
        out: dict[int, dict[str, dict[str, float]]] = {}
        name = self.scenarios[scenario].name
        summ = self.summary
        summ = summ[summ["scenario"] == name]
        for row in summ.itertuples(index=False):
            out.setdefault(int(row.service_level), {})[row.metric] = {
                "mean": row.mean, "sd": row.sd, "ci_low": row.ci_low, "ci_high": row.ci_high, "n": int(row.n)
            }
        return out

    @property
    def timeseries(self) -> pd.DataFrame:
        """A row per run and interval (``timeseries_interval``, 15 min by default)."""
        if "timeseries" not in self._cache:
            frames = []
            for o in self.outputs:
                if o.timeseries is None:
                    continue
                df = pd.DataFrame(o.timeseries)
                for i, (k, v) in enumerate(self._keys(o).items()):
                    df.insert(i, k, v)
                frames.append(df)
            self._cache["timeseries"] = pd.concat(frames, ignore_index=True) if frames else pd.DataFrame(
                columns=["scenario", "service_level", "replication", *TIMESERIES_COLUMNS])
        return self._cache["timeseries"].copy()

    @property
    def calls(self) -> pd.DataFrame:
        """A row per campaigncall of every run (only when the runs kept them: ``keep_calls=True``).

        Categorical columns hold names (outcome, reason, result, queue_exit, and the campaign).
        """
        if "calls" not in self._cache:
            frames = list(self.call_frames())
            self._cache["calls"] = pd.concat(frames, ignore_index=True) if frames else pd.DataFrame(
                columns=["scenario", "service_level", "replication", *CALL_COLUMNS])
        return self._cache["calls"]

    def call_frames(self) -> Iterator[pd.DataFrame]:
        """The calls table one run at a time, in run order (to write it without holding it whole)."""
        for o in self.outputs:
            if o.calls is None:
                continue
            df = pd.DataFrame(decode(o.calls))
            names = np.asarray([c.name for c in self.scenarios[o.task.scenario].campaigns], dtype=object)
            df["campaign"] = names[df["campaign"].to_numpy()]
            for i, (k, v) in enumerate(self._keys(o).items()):
                df.insert(i, k, v)
            yield df

    @property
    def has_calls(self) -> bool:
        return all(o.calls is not None for o in self.outputs if o.error is None)

    # ----------------------------------------------------------------------- plots and folder

    def _rules(self, kwargs: dict, limit: bool = True) -> dict:
        """The first scenario's regulatory clock (and cap) as the plot's defaults (``sim.registry.regulatory``):
        the whole rule where the plot names it in labels, the threshold alone for ``waits``."""
        from sim import registry

        rules = registry.regulatory(self.scenarios[0] if self.scenarios else None)
        kwargs.setdefault("threshold", rules if limit else rules.threshold)
        if limit:
            kwargs.setdefault("limit", rules.max_abandon)
        return kwargs

    def plot_tradeoff(self, **kwargs):
        """Abandon rate against occupancy, a point per service level (see ``sim.plots.tradeoff``)."""
        from sim import plots

        return plots.tradeoff(self.summary, **self._rules(kwargs))

    def plot_levels(self, **kwargs):
        """Throughput and occupancy against service level (see ``sim.plots.levels``)."""
        from sim import plots

        return plots.levels(self.summary, **self._rules(kwargs))

    def plot_timeseries(self, **kwargs):
        """A run's live calls, available agents, queue and abandons over time (``sim.plots.timeseries``)."""
        from sim import plots

        return plots.timeseries(self.timeseries, **kwargs)

    def plot_waits(self, **kwargs):
        """The distribution of queue waits (``sim.plots.waits``); needs ``keep_calls=True``."""
        from sim import plots

        if not self.has_calls:
            raise ValueError("this result has no call records; run with keep_calls=True to plot queue waits")
        return plots.waits(self.calls, **self._rules(kwargs, limit=False))

    def write(self, out: str | Path, *, force: bool = False, voipbin_records: bool = False) -> Path:
        """Write the results folder (tables, resolved scenario, provenance, plots, report) to ``out``.

        Built in a temporary folder next to ``out`` and renamed into place when complete; an
        existing ``out`` is refused unless ``force`` (then replaced). ``voipbin_records``: each
        run's calls also as VoIPbin records (calls, campaigncalls, queuecalls and the
        configuration) in ``voipbin/<scenario>/sl<SL>-r<R>/``, for ``pacing-sim fit`` and ``import``.
        """
        from sim import results

        return results.write_folder(self, out, force=force, voipbin_records=voipbin_records)


def metric_names(metric_dicts) -> list[str]:
    """The registry's metrics in its order, then the names a scenario adds (its own
    ``service_thresholds`` beyond the registered 10/20/30 s, ``occupancy.<group>``), in the order
    first met."""
    names = list(METRICS + EXTRA_METRICS)
    known = set(names)
    for d in metric_dicts:
        for k in d or ():
            if k not in known:
                known.add(k)
                names.append(k)
    return names


def summary_table(replications: pd.DataFrame) -> pd.DataFrame:
    """``replications`` (finished runs) -> a row per scenario, service level and metric."""
    reps = replications[replications["error"] == ""] if "error" in replications else replications
    rows = []
    names = [c for c in replications.columns if c not in ("scenario", "service_level", "replication", "error")]
    for (scn, sl), grp in reps.groupby(["scenario", "service_level"], sort=False):
        for m in names:
            s = summarize(grp[m].to_numpy())
            rows.append({"scenario": scn, "service_level": sl, "metric": m, **s})
    return pd.DataFrame(rows, columns=["scenario", "service_level", "metric", "mean", "sd", "ci_low", "ci_high", "n"])


def _utc_now() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="seconds")


def run(
    scenario: Scenario | str | os.PathLike | list,
    service_levels: Optional[Iterable[int]] = None,
    replications: Optional[int] = None,
    *,
    workers: int = 1,
    executor: Optional[str] = None,
    scheduler: Optional[str] = None,
    keep_calls: bool = False,
    horizon: Optional[float | str] = None,
    overrides: Any = None,
    on_result: Optional[Callable[[RunOutput], None]] = None,
    out: Optional[str | Path] = None,
    force: bool = False,
    progress: Optional[bool] = None,
    command: Optional[list[str]] = None,
    voipbin_records: bool = False,
    allow_outside_targets: bool = False,
    raise_on_failure: bool = True,
    verdict: Optional[dict[str, Any]] = None,
) -> ExperimentResult:
    """Run a scenario's experiment (or several scenarios') and return its tables.

    ``service_levels`` and ``replications`` override the scenario's own. With ``out``, the
    results folder is written there (calls kept), and an interrupted call resumes: the runs it
    finished are in ``<out>.partial/`` and are not run again. ``progress`` shows a bar on
    stderr when it is a terminal. ``voipbin_records`` (with ``out``): each run's calls also in
    VoIPbin's record shapes (``ExperimentResult.write``).

    ``scenario`` may also be a scenario file's path (or a list of them), loaded with
    ``sim.load_scenario``; ``allow_outside_targets`` lets its CSV target lists be outside the
    file's folder. ``horizon`` is checked against the scenario's timers (``ScenarioError``).

    ``horizon`` is seconds or a duration string (``"10m"``, ``"8h"``). ``overrides`` changes
    scenario fields before the runs, validated again: nested (``{"agents": {0: {"count": 30}}}``),
    dotted (``{"agents.0.count": 30}``) or ``["agents.0.count=30"]`` as ``--set`` takes them.
    ``progress``: a bar (``tqdm.auto``: a widget in Jupyter, text in a terminal); ``None`` shows
    it in a notebook or a terminal. If runs fail, :class:`RunsFailed` is raised with the failed
    runs and the result attached (``raise_on_failure=False`` returns the result instead; the
    failures are then in ``result.failures``).
    """
    from sim import results as results_mod
    from sim.scenario.edit import with_overrides
    from sim.scenario.load import check_horizon, load_scenario
    from sim.units import parse_duration

    scenarios = scenario if isinstance(scenario, list) else [scenario]
    scenarios = [load_scenario(s, allow_outside_targets=allow_outside_targets) if isinstance(s, (str, os.PathLike)) else s
                 for s in scenarios]
    if overrides:
        scenarios = [with_overrides(s, overrides) for s in scenarios]
    if horizon is not None:
        if isinstance(horizon, str):  # "10m", "8h": as a scenario file writes it
            horizon = parse_duration(horizon)
        for s in scenarios:
            check_horizon(s, horizon)
    if progress is None:
        progress = interactive()
    if len(scenarios) > 1:
        results_mod.check_names([s.name for s in scenarios])
    levels = list(service_levels) if service_levels else None
    tasks = plan(scenarios, levels, replications)
    check_executor(executor, scheduler)  # before any run or file
    checkpoint = None
    lock = None
    if out is not None:
        results_mod.check_target(out, force=force)
        results_mod.check_writable(out)  # before any run, not after all of them
        keep_calls = True
        if levels is not None or replications is not None or horizon is not None:
            scenarios = [results_mod.with_sweep(s, levels, replications, horizon) for s in scenarios]
            horizon = None
        checkpoint = results_mod.Checkpoint(results_mod.partial_path(out), scenarios, keep_calls=keep_calls,
                                            horizon=horizon)
        lock = results_mod.SweepLock(out)  # one sweep at a time on ``out``
    try:
        if out is not None:
            results_mod.clean_stale(out)
        return _run(scenarios, tasks, workers=workers, executor=executor, scheduler=scheduler,
                    keep_calls=keep_calls, horizon=horizon, on_result=on_result, out=out, force=force,
                    progress=progress, command=command, checkpoint=checkpoint, voipbin_records=voipbin_records,
                    raise_on_failure=raise_on_failure, verdict=verdict)
    finally:
        if lock is not None:
            lock.release()


def _run(scenarios, tasks, *, workers, executor, scheduler, keep_calls, horizon, on_result, out, force, progress,
         command, checkpoint, voipbin_records, raise_on_failure, verdict) -> ExperimentResult:
    """The body of ``run`` once the folder is checked and locked (every name as ``run`` has it)."""
    from sim import results as results_mod

    if executor is None:
        executor = "process" if workers > 1 else "serial"
    meta: dict[str, Any] = {"executor": executor, "workers": workers, "scheduler": scheduler,
                            "command": list(command) if command is not None else None, "started": _utc_now()}
    t0 = time.perf_counter()
    kept = load_kept(checkpoint, tasks) if checkpoint is not None else {}  # read once, handed to execute
    tick, close = progress_bar(len(tasks), len(kept)) if progress else (None, lambda: None)

    def seen(o: RunOutput) -> None:
        if tick is not None:
            tick(o)
        if on_result is not None:
            on_result(o)

    try:
        outputs = execute(scenarios, tasks, workers=workers, executor=executor, scheduler=scheduler,
                          keep_calls=keep_calls, horizon=horizon, on_result=seen, checkpoint=checkpoint, kept=kept)
    finally:
        close()
    meta.update(finished=_utc_now(), wall_s=time.perf_counter() - t0)
    result = ExperimentResult(scenarios, tasks, outputs, meta)
    result.verdict_options = dict(verdict or {})
    if out is not None:
        try:
            result.write(out, force=force, voipbin_records=voipbin_records)
        except results_mod.ResultsFolderError as exc:
            raise results_mod.ResultsFolderError(
                f"{exc}; the finished runs are kept in {results_mod.partial_path(out)}: run the same command "
                "again once it can be written, and they are not run again") from None
        if not result.failures and checkpoint is not None:
            checkpoint.remove()
    if raise_on_failure and result.failures:
        failed = result.failures
        o = failed[0]
        first = (o.error or "").strip().splitlines()
        raise RunsFailed(f"{len(failed)} of {len(result.outputs)} runs failed; the first (scenario "
                         f"{result.scenarios[o.task.scenario].name}, service level {o.task.service_level}, replication "
                         f"{o.task.replication}): {first[-1] if first else 'no message'}. The failed runs are in "
                         ".failures (each with its traceback in .error), the finished ones in .result", failed, result)
    return result


def interactive() -> bool:
    """True in a Jupyter kernel or when stderr is a terminal: where a progress bar helps."""
    return "ipykernel" in sys.modules or sys.stderr.isatty()


def progress_bar(total: int, initial: int = 0, label: str = ""):
    """A bar (runs done, runs left, time left) in a notebook (``tqdm.auto``: a widget) or on a
    terminal's stderr; else nothing.

    Returns ``(tick, close)``: ``tick(output)`` after each run (``None`` when quiet), ``close()``.
    """
    if not interactive() or total - initial < 2:
        return None, lambda: None
    import warnings

    with warnings.catch_warnings():  # without ipywidgets, tqdm.auto warns and falls back to text
        warnings.simplefilter("ignore")
        from tqdm.auto import tqdm

    bar = tqdm(total=total, initial=initial, unit="run", file=sys.stderr, dynamic_ncols=True, leave=False,
               desc=label or None)
    return (lambda _out: bar.update(1)), bar.close
