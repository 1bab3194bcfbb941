"""Sweeps: every (service level, replication) run of a scenario, on one or many workers.

The unit of work is one run, fixed by (scenario, service level, replication) alone, so the
results are identical whatever the executor and the number of workers; they are always put
back in run order, never in completion order. A run that fails is recorded with its error
instead of stopping the sweep.
"""

from __future__ import annotations

import time
import traceback
from dataclasses import dataclass, field
from typing import Any, Callable, Iterable, Optional

import numpy as np
import pandas as pd

from sim.engine.simulation import Simulation
from sim.metrics import EXTRA_METRICS, METRICS, call_arrays, decode, replication_metrics, timeseries
from sim.scenario.schema import Scenario
from sim.stats import summarize


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


def run_task(scenario: Scenario, task: Task, keep_calls: bool = False, horizon: Optional[float] = None) -> RunOutput:
    """Run one replication and reduce it to metrics (and, if asked, its tables)."""
    start = time.perf_counter()
    try:
        sim = Simulation(scenario, task.service_level, task.replication, horizon=horizon).run()
        cols = call_arrays(sim)
        out = RunOutput(task, replication_metrics(sim, cols), timeseries(sim, cols), cols if keep_calls else None)
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
) -> list[RunOutput]:
    """Run ``tasks``; return their outputs in task order. ``on_result`` sees each as it finishes."""
    if executor is None:
        executor = "process" if workers > 1 else "serial"
    results: dict[Task, RunOutput] = {}

    def done(out: RunOutput) -> None:
        results[out.task] = out
        if on_result is not None:
            on_result(out)

    if not tasks:
        return []
    if executor == "serial":
        for t in tasks:
            done(run_task(scenarios[t.scenario], t, keep_calls, horizon))
    elif executor == "process":
        import multiprocessing as mp
        from concurrent.futures import ProcessPoolExecutor, as_completed

        ctx = mp.get_context("spawn") if mp.get_start_method(allow_none=True) == "spawn" else mp.get_context("fork")
        with ProcessPoolExecutor(max_workers=max(1, workers), mp_context=ctx, initializer=_init_worker,
                                 initargs=(scenarios, keep_calls, horizon)) as pool:
            futures = [pool.submit(_run_in_worker, t) for t in tasks]
            try:
                for fut in as_completed(futures):
                    done(fut.result())
            except BaseException:
                for fut in futures:
                    fut.cancel()
                raise
    elif executor == "dask":
        from dask.distributed import Client, LocalCluster, as_completed as d_completed

        cluster = None
        if scheduler:
            client = Client(scheduler)
        else:
            cluster = LocalCluster(n_workers=max(1, workers), threads_per_worker=1, processes=True,
                                   dashboard_address=None, silence_logs=40)
            client = Client(cluster)
        try:
            scattered = [client.scatter(s, broadcast=True) for s in scenarios]
            futures = [client.submit(_run_dask, scattered[t.scenario], t, keep_calls, horizon, pure=False) for t in tasks]
            for fut in d_completed(futures):
                done(fut.result())
        finally:
            client.close()
            if cluster is not None:
                cluster.close()
    else:
        raise ValueError(f"unknown executor {executor!r}; expected serial, process or dask")
    return [results[t] for t in tasks]


# --------------------------------------------------------------------------- results


class ExperimentResult:
    """The outputs of a sweep as tables (pandas DataFrames), in run order."""

    def __init__(self, scenarios: list[Scenario], tasks: list[Task], outputs: list[RunOutput]):
        self.scenarios = scenarios
        self.tasks = tasks
        self.outputs = outputs

    @property
    def scenario(self) -> Scenario:
        return self.scenarios[0]

    @property
    def failures(self) -> list[RunOutput]:
        return [o for o in self.outputs if o.error is not None]

    def _label(self, task: Task) -> int:
        if task.service_level is not None:
            return task.service_level
        return self.scenarios[task.scenario].campaigns[0].service_level

    @property
    def replications(self) -> pd.DataFrame:
        """A row per scenario, service level and replication; a column per metric."""
        rows = []
        for o in self.outputs:
            row = {"scenario": self.scenarios[o.task.scenario].name, "service_level": self._label(o.task),
                   "replication": o.task.replication}
            names = METRICS + EXTRA_METRICS
            row.update({k: o.metrics.get(k, np.nan) for k in names})
            row["wall_s"] = o.wall_s
            row["error"] = (o.error or "").splitlines()[0] if o.error else ""
            rows.append(row)
        return pd.DataFrame(rows)

    @property
    def summary(self) -> pd.DataFrame:
        """A row per scenario, service level and metric: mean, sd, 95 % interval, n."""
        reps = self.replications
        reps = reps[reps["error"] == ""]
        rows = []
        for (scn, sl), grp in reps.groupby(["scenario", "service_level"], sort=False):
            for m in METRICS + EXTRA_METRICS:
                s = summarize(grp[m].to_numpy())
                rows.append({"scenario": scn, "service_level": sl, "metric": m, **s})
        return pd.DataFrame(rows, columns=["scenario", "service_level", "metric", "mean", "sd", "ci_low", "ci_high", "n"])

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
        frames = []
        for o in self.outputs:
            if o.timeseries is None:
                continue
            df = pd.DataFrame(o.timeseries)
            df.insert(0, "replication", o.task.replication)
            df.insert(0, "service_level", self._label(o.task))
            df.insert(0, "scenario", self.scenarios[o.task.scenario].name)
            frames.append(df)
        return pd.concat(frames, ignore_index=True) if frames else pd.DataFrame()

    @property
    def calls(self) -> pd.DataFrame:
        frames = []
        for o in self.outputs:
            if o.calls is None:
                continue
            df = pd.DataFrame(decode(o.calls))
            df.insert(0, "replication", o.task.replication)
            df.insert(0, "service_level", self._label(o.task))
            df.insert(0, "scenario", self.scenarios[o.task.scenario].name)
            frames.append(df)
        return pd.concat(frames, ignore_index=True) if frames else pd.DataFrame()


def run(
    scenario: Scenario | list[Scenario],
    service_levels: Optional[Iterable[int]] = None,
    replications: Optional[int] = None,
    *,
    workers: int = 1,
    executor: Optional[str] = None,
    scheduler: Optional[str] = None,
    keep_calls: bool = False,
    horizon: Optional[float] = None,
    on_result: Optional[Callable[[RunOutput], None]] = None,
) -> ExperimentResult:
    """Run a scenario's experiment (or several scenarios') and return its tables.

    ``service_levels`` and ``replications`` override the scenario's own.
    """
    scenarios = scenario if isinstance(scenario, list) else [scenario]
    tasks = plan(scenarios, list(service_levels) if service_levels else None, replications)
    outputs = execute(scenarios, tasks, workers=workers, executor=executor, scheduler=scheduler,
                      keep_calls=keep_calls, horizon=horizon, on_result=on_result)
    return ExperimentResult(scenarios, tasks, outputs)
