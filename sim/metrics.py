"""Records of one replication -> its metrics (the contract's table) and tables.

Everything is computed from the simulated events, as the engine records them (``RunRecords``):
the campaigncall records and the agents' availability spells. The measurement window runs from ``warmup`` to
the horizon, or to the moment every campaign has stopped, whichever is first.
"""

from __future__ import annotations

import math

import numpy as np

from sim import registry
from sim.abandons import cause_counts, classify
from sim.engine.records import CALL_COLUMNS, RunRecords, decode  # noqa: F401  (CALL_COLUMNS, decode: re-exported)
from sim.engine.resources import HUMAN, NO_ANSWER, PLACED, QueueExit

METRICS = registry.CONTRACT
"""The contract's metrics, in its order (defined in ``sim.registry``)."""

EXTRA_METRICS = registry.EXTRA
"""Counts behind the rates, so identities can be checked from the tables (defined in ``sim.registry``)."""

HEADLINE = registry.HEADLINE


def call_arrays(rec: RunRecords) -> dict[str, np.ndarray]:
    """The campaigncall records as numpy columns (codes for the categorical ones)."""
    return rec.calls


def _ratio(num: float, den: float) -> float:
    return num / den if den > 0 else math.nan


def _share(num: float, den: float) -> float:
    """A share of time, computed from sums of float times: clipped to [0, 1], so rounding never
    shows as an occupancy of -1.7e-16 or 1.0000000000000002."""
    r = _ratio(num, den)
    return r if math.isnan(r) else min(1.0, max(0.0, r))


WAIT_FLOW_EXITS = (QueueExit.NO_WAIT_FLOW, QueueExit.ACTION_LIMIT, QueueExit.WAIT_FLOW_HANGUP)
"""Queue exits where the caller's flow ended while they waited (cause ``wait_flow_end``)."""


def replication_metrics(rec: RunRecords, cols: dict[str, np.ndarray] | None = None) -> dict[str, float]:
    """The metrics of one finished replication."""
    if cols is None:
        cols = rec.calls
    w0, w1 = rec.warmup, rec.end_time
    hours = max(w1 - w0, 0.0) / 3600.0
    # the regulators' clock: seconds from its start (the answer, or entering the queue) to the deadline
    allowed = rec.regulatory_threshold + (rec.regulatory_greeting if rec.regulatory_clock == "answer" else 0.0)

    def inwin(t: np.ndarray) -> np.ndarray:
        return (t >= w0) & (t < w1)

    t_dial, t_answer = cols["t_dial"], cols["t_answer"]
    t_queue, t_agent_answer, t_hangup = cols["t_queue"], cols["t_agent_answer"], cols["t_hangup"]
    dialled = inwin(t_dial)
    dials = int(dialled.sum())
    human = (cols["outcome"] == HUMAN) & inwin(t_answer)
    # abandoned live answers, plain and on the regulators' clock, each with its cause; classified
    # on the live answers' rows only (``h``, in row order): no other row can be abandoned
    h = np.flatnonzero(human)
    queue_exit = cols["queue_exit"][h]
    ab = classify(
        t_answer=t_answer[h], t_queue=t_queue[h], t_agent_ring=cols["t_agent_ring"][h],
        t_agent_answer=t_agent_answer[h], t_hangup=t_hangup[h], t_ring_missed=cols["t_ring_missed"][h],
        amd_hangup=cols["amd_hangup"][h], wait_timeout_exit=queue_exit == QueueExit.WAIT_TIMEOUT,
        human=np.ones(len(h), bool), window_end=w1, wait_flow_exit=np.isin(queue_exit, WAIT_FLOW_EXITS),
        clock=rec.regulatory_clock, allowed=allowed,
    )
    connected, ended_unconnected, in_progress = ab["connected"], ab["abandoned"], ab["in_progress"]
    n_conn, n_aband = int(connected.sum()), int(ended_unconnected.sum())
    reg_known = int(ab["regulatory_known"].sum())
    reg_aband = int(ab["regulatory"].sum())

    # conversations are with people; an agent put through to an answering machine spends the
    # time all the same (it is in talk time and occupancy) but holds no conversation
    conv = inwin(t_agent_answer)
    n_conv = int((conv & (cols["outcome"] == HUMAN)).sum())
    n_machine_conv = int(conv.sum()) - n_conv
    # agents' talk time inside the window, conversations begun before it included
    talking = conv | ((t_agent_answer < w0) & (np.nan_to_num(t_hangup, nan=w1) > w0))
    conv_start = np.clip(t_agent_answer[talking], w0, w1)
    conv_end = np.clip(np.nan_to_num(t_hangup[talking], nan=w1), w0, w1)
    talk_time = float((conv_end - conv_start).sum())

    spell_s, spell_e, by_call = rec.spell_start, rec.spell_end, rec.spell_by_call
    avail_time = float(np.clip(np.minimum(spell_e, w1) - np.maximum(spell_s, w0), 0, None).sum())
    staffed = rec.staffed
    idle_spells = by_call & (spell_e >= w0) & (spell_e < w1)

    human_waits = (t_agent_answer[h] - t_queue[h])[connected]
    started, camp_end = rec.campaign_started, rec.campaign_end_time
    ended_all = bool(started.any()) and not np.isnan(camp_end[started]).any()
    total_targets = int(rec.campaign_targets.sum())
    done_targets = int(rec.campaign_done.sum())
    human_all = int(human.sum())

    # compliance checks the domain notes ask for: unanswered attempts released before 15 s of
    # ringing (the FCC/FTC/Ofcom minimum), and abandoned people dialled again within 72 h
    # (Ofcom; as coded an abandon in the queue is a success and never redialled, but a person
    # taken for a machine by AMD is a fail and is)
    no_answer = (cols["outcome"] == NO_ANSWER) & dialled & ~np.isnan(t_hangup)
    short_ring = int((no_answer & (t_hangup - t_dial < 15.0)).sum())
    key = cols["campaign"].astype(np.int64) * (1 << 40) + cols["target"]
    redials = _redials_within(key, t_dial, t_hangup, h[ended_unconnected], 72 * 3600.0)

    m = {
        "occupancy": _share(staffed - avail_time, staffed),
        "talk_utilization": _share(talk_time, staffed),
        "abandon_rate": _ratio(n_aband, n_conn + n_aband),
        "abandon_rate_regulatory": _ratio(reg_aband, reg_known),
        "throughput_per_hour": _ratio(n_conv, hours),
        "dials_per_hour": _ratio(dials, hours),
        "answer_rate": _ratio(human_all, dials),
        "mean_queue_wait": float(human_waits.mean()) if len(human_waits) else math.nan,
        "p90_queue_wait": float(np.quantile(human_waits, 0.9)) if len(human_waits) else math.nan,
        "agent_idle_between_calls": float((spell_e - spell_s)[idle_spells].mean()) if idle_spells.any() else math.nan,
        "stranded_calls": float((cols["stranded"] & inwin(cols["t_agent_ring"])).sum()),
        "list_penetration": _ratio(done_targets, total_targets),
        "campaign_end_time": float(np.nanmax(camp_end)) if ended_all else math.nan,
        "max_live_calls": float(rec.max_live_calls),
        "dials": float(dials),
        "human_answers": float(human_all),
        "conversations": float(n_conv),
        "machine_conversations": float(n_machine_conv),
        "abandoned": float(n_aband),
        "abandoned_regulatory": float(reg_aband),
        "in_progress": float(in_progress.sum()),
        "amd_false_positives": float((human & cols["amd_hangup"]).sum()),
        "p_agent_within_threshold": _ratio(int(ab["within"].sum()), n_conn + n_aband),
        "attempts_per_contact": _ratio(dials, human_all),
        "window_hours": hours,
        "unanswered_released_before_15s": _ratio(short_ring, int(no_answer.sum())),
        "redials_after_abandon": float(redials),
        **cause_counts(ab["cause"], "abandoned"),
        **cause_counts(ab["regulatory_cause"], "abandoned_regulatory"),
    }
    m.update(queueing_metrics(rec, cols, human, inwin))
    return m


def _sorted(a: np.ndarray) -> bool:
    return len(a) < 2 or bool((a[1:] >= a[:-1]).all())


def _redials_within(key: np.ndarray, t_dial: np.ndarray, t_hangup: np.ndarray, rows: np.ndarray,
                    seconds: float) -> int:
    """How many of the calls ``rows`` have their target (``key``: campaign and target) dialled
    again within ``seconds`` of their hang-up: the next dial of the same key, by dial time (then
    row). Only the dials of the keys of ``rows`` are sorted, which gives each of them the same
    next dial as sorting every call would."""
    keys = np.unique(key[rows])
    if not len(keys):
        return 0
    pos = np.minimum(np.searchsorted(keys, key), len(keys) - 1)
    sel = np.flatnonzero(keys[pos] == key)  # every dial of those keys, in row order
    k, t = key[sel], t_dial[sel]
    order = np.lexsort((t, k))
    next_dial = np.full(len(sel), np.nan)
    same = k[order[1:]] == k[order[:-1]]
    next_dial[order[:-1][same]] = t[order[1:][same]]
    counted = np.isin(sel, rows, assume_unique=True)
    return int((counted & (next_dial - t_hangup[sel] <= seconds)).sum())


def threshold_name(seconds: float, prefix: str = "p_within_") -> str:
    """``p_within_<N>s`` for a threshold of N seconds (``10`` -> ``p_within_10s``, ``2.5`` -> ``p_within_2.5s``)."""
    return f"{prefix}{seconds:g}s"


def _queue_visits(t_queue, t_agent_ring, t_agent_answer, t_hangup, chosen, queue_step, thresholds, prefix):
    """The queueing figures of callers who entered a queue (``chosen``) and left it, connected or not.

    A caller left the queue when an agent answered or the call ended; their wait runs from entering
    the queue to the agent answering, or to the hang-up. They waited when no agent was rung for them
    within one step of the queue loop (a caller finding an agent free is rung at the next step)."""
    left = chosen & ~np.isnan(t_queue) & ~(np.isnan(t_agent_answer) & np.isnan(t_hangup))
    n = int(left.sum())
    connected = left & ~np.isnan(t_agent_answer)
    wait = np.where(np.isnan(t_agent_answer), t_hangup, t_agent_answer) - t_queue
    rung_after = np.where(np.isnan(t_agent_ring), np.inf, t_agent_ring - t_queue)
    out = {
        "p_wait": _ratio(int((left & (rung_after > queue_step + 1e-9)).sum()), n),
        "mean_wait_all": float(wait[left].mean()) if n else math.nan,
        "abandon_rate": _ratio(n - int(connected.sum()), n),
    }
    for thr in thresholds:
        out[threshold_name(thr, prefix)] = _ratio(int((connected & (t_agent_answer - t_queue <= thr)).sum()), n)
    return out


def queueing_metrics(rec: RunRecords, cols, human, inwin) -> dict[str, float]:
    """The figures queueing people compare with (issue 11): probability of waiting, mean wait of
    all, time-average number waiting, occupancy per agent group, the share answered within each
    of ``service_thresholds``; the same for the inbound calls, and their share of the agents."""
    w0, w1 = rec.warmup, rec.end_time
    span = w1 - w0
    thresholds = rec.service_thresholds
    t_queue = cols["t_queue"]
    people = human & inwin(t_queue)
    out_q = _queue_visits(t_queue, cols["t_agent_ring"], cols["t_agent_answer"], cols["t_hangup"], people,
                          rec.queue_step, thresholds, "p_within_")
    m = {"p_wait": out_q["p_wait"], "mean_wait_all": out_q["mean_wait_all"]}

    # every caller waiting in a queue (people, machines, inbound), time-averaged over the window
    starts, ends = [t_queue], [np.where(np.isnan(cols["t_agent_ring"]), cols["t_hangup"], cols["t_agent_ring"])]
    ib = rec.inbound
    if ib:
        starts.append(ib["t_queue"])
        ends.append(np.where(np.isnan(ib["t_agent_ring"]), ib["t_hangup"], ib["t_agent_ring"]))
    s = np.concatenate(starts)
    e = np.concatenate(ends)
    queued = ~np.isnan(s)
    s, e = s[queued], np.nan_to_num(e[queued], nan=w1)
    waiting_time = float(np.clip(np.minimum(e, w1) - np.maximum(s, w0), 0, None).sum())
    m["mean_number_waiting"] = waiting_time / span if span > 0 else math.nan
    for thr in thresholds:
        name = threshold_name(thr)
        m[name] = out_q[name]

    # inbound calls, by arrival in the window
    if rec.has_inbound and ib:
        arrived = inwin(ib["t_queue"])
        out_i = _queue_visits(ib["t_queue"], ib["t_agent_ring"], ib["t_agent_answer"], ib["t_hangup"], arrived,
                              rec.queue_step, thresholds, "inbound_p_within_")
        ring = ~np.isnan(ib["t_agent_ring"])
        held_s = np.maximum(ib["t_agent_ring"][ring], w0)
        held_e = np.minimum(np.nan_to_num(ib["t_hangup"][ring], nan=w1), w1)
        held = float(np.clip(held_e - held_s, 0, None).sum())
        m["inbound_abandon_rate"] = out_i["abandon_rate"]
        m["inbound_mean_wait"] = out_i["mean_wait_all"]
        m["inbound_occupancy_share"] = _ratio(held, rec.staffed)
        for thr in thresholds:
            name = threshold_name(thr, "inbound_p_within_")
            m[name] = out_i[name]
    else:
        for name in ("inbound_abandon_rate", "inbound_mean_wait", "inbound_occupancy_share"):
            m[name] = math.nan
        for thr in thresholds:
            m[threshold_name(thr, "inbound_p_within_")] = math.nan

    # occupancy per agent group: 1 - its agents' time available over its staffed time
    if len(rec.group_names):
        group = rec.agent_group[rec.spell_agent] if len(rec.spell_agent) else np.zeros(0, np.int32)
        avail = np.clip(np.minimum(rec.spell_end, w1) - np.maximum(rec.spell_start, w0), 0, None)
        by_group = np.bincount(group, weights=avail, minlength=len(rec.group_names)) if len(avail) else np.zeros(len(rec.group_names))
        for g, name in enumerate(rec.group_names):
            staffed = float(rec.group_staffed[g])
            m[f"occupancy.{name}"] = _ratio(staffed - float(by_group[g]), staffed)
    return m


def _time_in_state(start: np.ndarray, end: np.ndarray, edges: np.ndarray) -> np.ndarray:
    """For spans [start, end), the total span time before each edge: F(x) = sum(min(x, end) -
    start over spans with start < x). Differences of F over a bin give the time spent in it."""
    start = start if _sorted(start) else np.sort(start)  # the dials come in order: no sort to do
    end = end if _sorted(end) else np.sort(end)
    cs = np.concatenate(([0.0], np.cumsum(start)))
    ce = np.concatenate(([0.0], np.cumsum(end)))
    ks = np.searchsorted(start, edges, side="left")
    ke = np.searchsorted(end, edges, side="left")
    return (ks * edges - cs[ks]) - (ke * edges - ce[ke])


def timeseries(rec: RunRecords, cols: dict[str, np.ndarray] | None = None) -> dict[str, np.ndarray]:
    """Per interval (``timeseries_interval``, 15 min by default, the last one cut at the end of
    the run): time-weighted mean levels over the interval (live calls, available agents, callers
    waiting in the queue), and counts of events in it (dials, human answers, conversations,
    abandons). All computed from the records of the simulated events."""
    if cols is None:
        cols = rec.calls
    step = rec.timeseries_interval
    end_time = rec.end_time
    n_bins = max(1, int(math.ceil(end_time / step - 1e-9)))
    edges = np.minimum(np.arange(n_bins + 1) * step, end_time)
    width = np.diff(edges)

    def count(times: np.ndarray) -> np.ndarray:
        # np.histogram's bins (each [left, right), the last one [left, right], times outside
        # none), found by a binary search of the edges for each time rather than a sort of the times
        times = times[~np.isnan(times)]
        b = np.searchsorted(edges, times, side="right") - 1
        b[times == edges[-1]] = n_bins - 1
        return np.bincount(b[(b >= 0) & (b < n_bins)], minlength=n_bins)

    def level(start: np.ndarray, end: np.ndarray) -> np.ndarray:
        end = np.where(np.isnan(end), end_time, end)
        f = _time_in_state(start, end, edges)
        return np.divide(np.diff(f), width, out=np.zeros(n_bins), where=width > 0)

    outcome = cols["outcome"]
    placed = np.isin(outcome, list(PLACED))  # calls placed (flow campaigncalls and unplaced attempts are not calls)
    human = outcome == HUMAN
    queued = ~np.isnan(cols["t_queue"])
    left_queue = np.where(np.isnan(cols["t_agent_ring"]), cols["t_hangup"], cols["t_agent_ring"])
    aband_t = np.where(human & np.isnan(cols["t_agent_answer"]), cols["t_hangup"], np.nan)
    return {
        "t_start": edges[:-1],
        "live_calls": level(cols["t_dial"][placed], cols["t_hangup"][placed]),
        "available_agents": level(rec.spell_start, rec.spell_end),
        "queue_waiting": level(cols["t_queue"][queued], left_queue[queued]),
        "dials": count(cols["t_dial"]),
        "answers": count(np.where(human, cols["t_answer"], np.nan)),
        "conversations": count(np.where(human, cols["t_agent_answer"], np.nan)),
        "abandons": count(aband_t),
    }
