"""Shared helpers: small deterministic scenarios built from a dict, run in-process."""

from __future__ import annotations

import copy

import numpy as np
import pytest

from sim.engine.simulation import Simulation
from sim.metrics import call_arrays, decode, replication_metrics
from sim.scenario.load import parse_scenario

BASE = {
    "name": "test",
    "seed": 1,
    "horizon": "1h",
    "replications": 1,
    "campaigns": [
        {"name": "c", "type": "call", "service_level": 100, "end_handle": "stop",
         "outplan": "op", "outdial": "od", "queue": "q", "actions": []}
    ],
    "outplans": [{"name": "op", "try_interval": 0, "max_try_count": [1, 0, 0, 0, 0], "dial_timeout": "60s"}],
    "outdials": [{"name": "od", "targets": 10, "destinations": 1}],
    "queues": [{"name": "q", "tags": [], "wait_timeout": 0, "service_timeout": 0}],
    "agents": [{"name": "a", "count": 1, "tags": [], "talk_time": {"dist": "constant", "value": 100}}],
    "population": {
        "outcome": [{"no_answer": 1.0}],
        "ring_time": {"dist": "constant", "value": 10},
        "busy_time": {"dist": "constant", "value": 3},
        "failed_time": {"dist": "constant", "value": 2},
        "patience": {"dist": "constant", "value": 10000},
        "machine_talk_time": {"dist": "constant", "value": 20},
    },
}


def merge(base: dict, patch: dict) -> dict:
    out = copy.deepcopy(base)
    for k, v in patch.items():
        if isinstance(v, dict) and isinstance(out.get(k), dict):
            out[k] = merge(out[k], v)
        else:
            out[k] = copy.deepcopy(v)
    return out


def scenario(patch: dict | None = None, campaign: dict | None = None, **top):
    """The base scenario with ``patch`` deep-merged, ``campaign`` merged into campaigns[0]."""
    data = merge(BASE, patch or {})
    data = merge(data, top)
    if campaign:
        data["campaigns"][0] = merge(data["campaigns"][0], campaign)
    return parse_scenario(data, "test.yaml")


class Run:
    """A finished run: the engine's state (``sim``), its records (``rec``), their columns, metrics."""

    def __init__(self, sim: Simulation):
        self.sim = sim
        self.rec = sim.records()
        self.cols = call_arrays(self.rec)
        self.calls = decode(self.cols)
        self.m = replication_metrics(self.rec, self.cols)

    def times(self, col: str = "t_dial") -> list[float]:
        return [round(float(x), 6) for x in self.cols[col]]


def run(scn, service_level=None, replication=0) -> Run:
    return Run(Simulation(scn, service_level, replication).run())


def pytest_collection_modifyitems(config, items):
    """The notebooks (run by nbmake) are end-to-end: in the slow lane, out of ``-m "not slow"``."""
    for item in items:
        if "notebooks" in item.path.parts and item.path.suffix == ".ipynb":
            item.add_marker(pytest.mark.slow)


@pytest.fixture
def approx():
    return lambda x: pytest.approx(x, abs=1e-6)


__all__ = ["scenario", "run", "merge", "np"]
