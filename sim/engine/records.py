"""What one replication leaves behind: plain columns and spells, the engine's only output.

``RunRecords`` holds numpy columns, numbers and strings, no engine objects: it is what metrics,
time series and tables are computed from, and it pickles cheaply to a worker's parent.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from sim.engine.resources import Outcome, QueueExit, Reason, Result, labels

CALL_COLUMNS = (
    "campaign", "target", "destination_index", "try_count", "t_dial", "outcome", "t_answer", "t_queue",
    "t_agent_ring", "t_agent_answer", "t_hangup", "t_ring_missed", "reason", "result", "agent", "stranded",
    "amd_hangup", "queue_exit", "requeues", "service_timeout_fired",
)
"""One row per campaigncall (dial attempt), in dial order. Codes for the categorical columns
(``decode`` names them); NaN for a time that did not happen (yet)."""

INBOUND_COLUMNS = (
    "queue", "t_queue", "t_agent_ring", "t_agent_answer", "t_hangup", "reason", "agent", "queue_exit", "stranded",
)
"""One row per inbound call (``queues[].inbound``), in arrival order; ``t_queue`` is its arrival."""

CODED_COLUMNS = {"outcome": Outcome, "reason": Reason, "result": Result, "queue_exit": QueueExit}
"""Categorical columns and the codes they hold (-1: not set yet)."""


@dataclass
class RunRecords:
    """The records of one replication.

    calls: the campaigncall columns (``CALL_COLUMNS``).
    spell_start, spell_end, spell_by_call: the agents' availability spells (a spell open at the
    end of the run ends at ``end_time``); ``spell_by_call`` is True where the spell ended because
    a queue rang the agent (an idle gap between calls), False where the agent logged off or the
    run ended.
    campaign_*: one entry per campaign, in the scenario's order (``campaign_end_time`` NaN while
    it has not stopped).
    """

    calls: dict[str, np.ndarray]
    spell_start: np.ndarray
    spell_end: np.ndarray
    spell_by_call: np.ndarray
    warmup: float
    """Start of the measurement window."""
    end_time: float
    """End of the run: the horizon, or the moment every campaign had stopped."""
    staffed: float
    """Agent-seconds logged in inside the measurement window."""
    max_live_calls: int
    """Most calls live at once inside the measurement window."""
    n_agents: int
    campaign_targets: np.ndarray
    campaign_done: np.ndarray
    campaign_end_time: np.ndarray
    campaign_started: np.ndarray
    campaign_service_level: np.ndarray
    regulatory_threshold: float
    """The scenario's ``regulatory`` block: the threshold, the greeting and the clock."""
    regulatory_greeting: float
    regulatory_clock: str
    timeseries_interval: float
    inbound: dict = field(default_factory=dict)
    """The inbound calls' columns (``INBOUND_COLUMNS``); empty without inbound streams."""
    spell_agent: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int32))
    """The agent of each availability spell."""
    agent_group: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int32))
    """Each agent's group (index in the scenario's ``agents``)."""
    group_names: tuple = ()
    group_staffed: np.ndarray = field(default_factory=lambda: np.zeros(0))
    """Agent-seconds logged in inside the measurement window, per group."""
    service_thresholds: tuple = ()
    """The scenario's ``service_thresholds`` (s): the metrics ``p_within_<N>s``."""
    queue_step: float = 0.1
    """The queue loop's step: a caller not rung to an agent within it waited (``p_wait``)."""
    has_inbound: bool = False

    @property
    def n_calls(self) -> int:
        return len(self.calls["t_dial"])


def decode(cols: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    """Codes -> names for the categorical columns (for tables users read)."""
    out = dict(cols)
    for name, codes in CODED_COLUMNS.items():
        if name not in cols:
            continue  # the inbound calls have no outcome or result
        table = labels(codes)
        lookup = np.empty(max(table) + 2, dtype=object)  # index code + 1, so -1 ("not set") is 0
        for code, label in table.items():
            lookup[code + 1] = label
        out[name] = lookup[cols[name].astype(np.int64) + 1]
    return out


__all__ = ["CALL_COLUMNS", "INBOUND_COLUMNS", "RunRecords", "decode"]
