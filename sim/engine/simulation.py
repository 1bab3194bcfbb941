"""One replication of one scenario at one service level: build the resources, run, hand back records.

``Simulation`` is the state of one replication, put together by the ``build_*`` functions below
(one per part of the scenario); the processes acting on it live in ``campaign``, ``queue`` and
``call``. After ``run()``, ``records()`` gives the ``RunRecords`` metrics are computed from.
"""

from __future__ import annotations

import gc
import math
from functools import partial
from itertools import chain
from operator import attrgetter
from typing import Optional

import numpy as np
import simpy

from sim.engine import call as call_mod
from sim.engine import campaign as campaign_mod
from sim.engine import pacing as pacing_mod
from sim.engine import queue as queue_mod
from sim.engine.clock import Environment, run_until, trigger
from sim.engine.inbound import build_inbound
from sim.engine.records import INBOUND_COLUMNS, RunRecords
from sim.engine.waitflow import compile_wait_flow, wait_flow_end
from sim.engine.resources import (
    A_AMD,
    A_HANGUP,
    A_TIME,
    ALL_DESTINATIONS,
    AMD,
    AVAILABLE,
    BUSY,
    HUMAN,
    N_DESTINATIONS,
    NORMAL,
    OFFLINE,
    RINGING,
    Agent,
    Campaign,
    Queue,
)
from sim.rng import Streams
from sim.scenario.schema import Scenario

INF = float("inf")


def compile_actions(actions, speech_rate_wps: float, for_flow: bool) -> tuple[Optional[list], float]:
    """Actions -> (steps, total): steps is None when only fixed durations remain (the fast path)."""
    steps: list[tuple] = []
    for a in actions:
        opt = a.option
        if a.type == "talk":
            dur = opt.duration if opt.duration is not None else len((opt.text or "").split()) / speech_rate_wps
            steps.append((A_TIME, dur, None))
        elif a.type in ("play", "sleep"):
            steps.append((A_TIME, float(opt.duration or 0.0), None))
        elif a.type == "amd":
            if not for_flow:  # machine detection needs a call
                steps.append((A_AMD, 0.0, (opt.machine_handle or "hangup") == "hangup"))
        elif a.type == "hangup":
            # An answered call hung up by the flow is terminating: call-manager gives reason
            # normal whatever the action's reason, except amd (bin-call-manager CalculateHangupReason).
            steps.append((A_HANGUP, 0.0, AMD if opt.reason == "amd" else NORMAL))
            break
        # other VoIPbin actions take no time in the model
    total = sum(v for k, v, _ in steps if k == A_TIME)
    if all(k == A_TIME for k, _, _ in steps):
        return None, total
    return steps, total


CALL_ATTRS = (
    # the columns of the call records the engine writes, the Call attribute each comes from, dtype
    ("campaign", "campaign.idx", np.int16),
    ("target", "target_idx", np.int64),
    ("destination_index", "dest", np.int8),
    ("try_count", "attempt", np.int16),
    ("t_dial", "t_dial", float),
    ("outcome", "outcome", np.int8),
    ("t_answer", "t_answer", float),
    ("t_queue", "t_queue", float),
    ("t_agent_ring", "t_agent_ring", float),
    ("t_agent_answer", "t_agent_answer", float),
    ("t_hangup", "t_hangup", float),
    ("t_ring_missed", "t_ring_missed", float),
    ("reason", "reason", np.int8),
    ("result", "result", np.int8),
    ("agent", "agent", np.int32),
    ("stranded", "stranded", bool),
    ("amd_hangup", "amd_hangup", bool),
    ("queue_exit", "queue_exit", np.int8),
    ("requeues", "requeues", np.int16),
)


INBOUND_ATTRS = (
    # the columns of the inbound call records (INBOUND_COLUMNS), the InboundCall attribute each comes from, dtype
    ("queue", "queue.idx", np.int16),
    ("t_queue", "t_queue", float),
    ("t_agent_ring", "t_agent_ring", float),
    ("t_agent_answer", "t_agent_answer", float),
    ("t_hangup", "t_hangup", float),
    ("reason", "reason", np.int8),
    ("agent", "agent", np.int32),
    ("queue_exit", "queue_exit", np.int8),
    ("stranded", "stranded", bool),
)


def columns(objs: list, spec) -> dict[str, np.ndarray]:
    """Numpy columns of attributes of ``objs``, per ``spec`` ((column, attribute, dtype), ...).

    Visiting the objects (scattered in memory) is most of the cost, so they are visited twice, not
    once per column: once for the float columns, once for the others (integers, codes, booleans,
    read as int64 and cast, which is exact for values of the column's type). Each visit is in C:
    one ``attrgetter`` of all the attributes, its tuples chained into ``np.fromiter``, the block
    cut into columns."""
    n = len(objs)
    out = {}
    for floats in (True, False):
        part = [(name, attr, dtype) for name, attr, dtype in spec if (dtype is float) == floats]
        if not part:
            continue
        k = len(part)
        get = attrgetter(*(attr for _, attr, _ in part))
        values = map(get, objs) if k == 1 else chain.from_iterable(map(get, objs))
        block = np.fromiter(values, np.float64 if floats else np.int64, n * k).reshape(n, k).T.copy()
        for j, (name, _, dtype) in enumerate(part):
            out[name] = block[j] if floats else block[j].astype(dtype)
    return {name: out[name] for name, _, _ in spec}


class CalledParties:
    """The people (and machines) the campaigns dial: outcome mixes and their random streams."""

    __slots__ = (
        "outcome_u", "outcome_p", "tod", "clock0", "ring_time", "busy_time", "failed_time", "patience",
        "machine_talk", "amd_detect", "amd_u", "amd_fp", "amd_fn", "create_failure", "create_u",
    )


def build_called_parties(pop, streams: Streams) -> CalledParties:
    p = CalledParties()
    p.outcome_u = [streams.uniform(f"population.outcome.{i}") for i in range(N_DESTINATIONS)]
    p.outcome_p = []
    for i in range(N_DESTINATIONS):
        mix = pop.outcome[min(i, len(pop.outcome) - 1)]
        p.outcome_p.append((mix.machine, mix.busy, mix.failed, mix.human))
    p.tod = list(pop.time_of_day.multipliers) if pop.time_of_day else None
    p.clock0 = pop.time_of_day.clock_start if pop.time_of_day else 0.0
    p.ring_time = streams.sampler("population.ring_time", pop.ring_time)
    p.busy_time = streams.sampler("population.busy_time", pop.busy_time)
    p.failed_time = streams.sampler("population.failed_time", pop.failed_time)
    p.patience = streams.sampler("population.patience", pop.patience)
    p.machine_talk = streams.sampler("population.machine_talk_time", pop.machine_talk_time)
    p.amd_detect = streams.sampler("population.amd.detect_time", pop.amd.detect_time)
    p.amd_u = streams.uniform("population.amd.classify")
    p.amd_fp = pop.amd.false_positive
    p.amd_fn = pop.amd.false_negative
    # drawn only when used, so scenarios without it keep their numbers and their speed
    p.create_failure = pop.create_failure
    p.create_u = streams.uniform("population.create_failure") if pop.create_failure > 0 else None
    return p


def build_queues(sim: "Simulation", models, streams: Streams, speech_rate_wps: float) -> list[Queue]:
    queues = []
    for i, qm in enumerate(models):
        q = Queue(i, qm.name, qm.tags, qm.wait_timeout, qm.service_timeout)
        q.choose = streams.uniform(f"queue.{qm.name}.agent_choice")
        q.step = partial(queue_mod.queue_step, sim, q)  # the loop's step, as a timer's callback
        q.wait_steps = compile_wait_flow(qm.wait_flow, speech_rate_wps)
        queues.append(q)
    return queues


def queue_wait_end(q: Queue, n_before: int) -> tuple:
    """The queue's wait-flow end for callers whose activeflow ran ``n_before`` actions before the queue_join."""
    if n_before not in q.wait_end:
        q.wait_end[n_before] = wait_flow_end(q.wait_steps, n_before)
    return q.wait_end[n_before]


def build_agents(sim: "Simulation", groups, queues: list[Queue], streams: Streams) -> tuple[list[Agent], list[list[Agent]]]:
    """The agents, in creation order, and the members of each group (for their shifts)."""
    agents: list[Agent] = []
    members_by_group = []
    for g, gm in enumerate(groups):
        answer_delay = streams.sampler(f"agents.{gm.name}.answer_delay", gm.answer_delay)
        miss = streams.uniform(f"agents.{gm.name}.miss")
        talk = streams.sampler(f"agents.{gm.name}.talk_time", gm.talk_time)
        wrap = streams.sampler(f"agents.{gm.name}.wrap_up", gm.wrap_up)
        reset = streams.sampler(f"agents.{gm.name}.status_reset", gm.status_reset)
        tags = set(gm.tags)
        matching = [q for q in queues if not q.tags or q.tags & tags]
        members = []
        for _ in range(gm.count):
            a = Agent(len(agents), g)
            a.queues = matching
            a.answer_delay, a.miss, a.miss_p = answer_delay, miss, gm.miss_probability
            a.talk, a.wrap, a.reset = talk, wrap, reset
            a.reset_cb = _agent_reset(sim, a)
            agents.append(a)
            members.append(a)
        members_by_group.append(members)
    return agents, members_by_group


def build_campaigns(scenario: Scenario, service_level: Optional[int], queues: list[Queue], sem) -> list[Campaign]:
    campaigns: list[Campaign] = []
    qidx = {q.name: q for q in queues}
    outplans = {o.name: o for o in scenario.outplans}
    outdials = {o.name: o for o in scenario.outdials}
    dial_missing = sem.missing_destination == "dial"
    speech_rate = scenario.population.speech_rate_wps
    for i, cm in enumerate(scenario.campaigns):
        c = Campaign(i, cm.name)
        c.type_flow = cm.type == "flow"
        c.sl = service_level if service_level is not None else cm.service_level
        c.end_stop = cm.end_handle == "stop"
        c.queue = qidx[cm.queue] if cm.queue else None
        # the queue the call joins: the campaign's (its queue_join is appended after the
        # actions), or, for a call campaign without one, a queue_join ending its actions
        n_before = len(cm.actions)
        c.call_queue = c.queue
        if c.queue is None and not c.type_flow and cm.actions and cm.actions[-1].type == "queue_join":
            c.call_queue = qidx[cm.actions[-1].option.queue_id]
            n_before -= 1
        c.wait_end = queue_wait_end(c.call_queue, n_before) if c.call_queue is not None else None
        op = outplans[cm.outplan]
        c.max_try = list(op.max_try_count)
        c.try_interval = op.try_interval
        c.ring_timeout = op.dial_timeout if sem.ring_timeout_source == "outplan" else sem.timers.ring_timeout
        c.usable = sum(1 << k for k in range(N_DESTINATIONS) if c.max_try[k] > 0)
        c.select_all = dial_missing  # as coded, an absent destination counts as present
        od = outdials[cm.outdial]
        if isinstance(od.targets, str):
            c.masks = scenario.target_masks.get(od.name, b"")
            c.n_targets = len(c.masks)
            c.uniform_mask = None
            if dial_missing and not c.usable:
                c.fresh = c.n_targets
        else:
            c.n_targets = od.targets
            c.masks = None
            c.uniform_mask = (1 << od.destinations) - 1
            if not (ALL_DESTINATIONS if dial_missing else c.uniform_mask) & c.usable:
                c.fresh = c.n_targets  # no target has a dialable destination
        c.steps, c.action_time = compile_actions(cm.actions, speech_rate, for_flow=False)
        c.flow_time = compile_actions(cm.actions, speech_rate, for_flow=True)[1]
        c.start_at, c.stop_at = cm.start_at, cm.stop_at
        campaigns.append(c)
    by_name = {c.name: c for c in campaigns}
    for cm, c in zip(scenario.campaigns, campaigns):
        c.next_campaign = by_name.get(cm.next_campaign) if cm.next_campaign else None
    return campaigns


def build_pacing(sim: "Simulation", scenario: Scenario) -> None:
    """Each campaign's pacing: VoIPbin's rule (coded or documented) stays inline in the execute
    loop; another policy is a ``sim.engine.pacing`` object, whose estimates (where it keeps any)
    a small process refreshes every ``interval`` from the finished calls."""
    for cm, c in zip(scenario.campaigns, sim.campaigns):
        cfg = cm.pacing or scenario.engine.pacing
        policy = cfg.policy or ("voipbin" if sim.agent_side else "documented")
        c.agent_side = policy == "voipbin"
        c.unanswered_only = sim.count_unanswered_only
        if policy in ("voipbin", "documented") or c.queue is None or c.type_flow:
            continue
        c.unanswered_only = True  # the industry's dialers count the calls still ringing
        members = [a for a in sim.agents if c.queue in a.queues]
        c.pacer = pacing_mod.PACERS[policy](cfg, members)
        if type(c.pacer).update is pacing_mod.Pacer.update:
            continue  # nothing to estimate
        reg = scenario.regulatory
        deadline = None if cfg.drop == "abandon" else reg.allowed()  # seconds after the clock's start
        stats = pacing_mod.CallStats(c, sim.calls, cfg.window, deadline, HUMAN, (RINGING, BUSY),
                                     from_queue=reg.clock == "queue")
        sim.env.process(_estimate(sim.env, c.pacer, stats, cfg.interval))


def _estimate(env, pacer, stats, interval: float):
    while True:
        yield env.timeout(interval)
        stats.advance(env.now)
        pacer.update(env.now, stats)


def _agent_reset(sim: "Simulation", agent: Agent):
    def reset(_ev):
        if agent.status == RINGING:
            queue_mod.agent_available(sim, agent)
    return reset


class Simulation:
    """State of one replication. The processes live in ``sim.engine.{campaign,queue,call}``."""

    flow_process = call_mod.flow_process

    def __init__(self, scenario: Scenario, service_level: Optional[int], replication: int, horizon: Optional[float] = None):
        self.scenario = scenario
        self.service_level = service_level
        self.replication = replication
        self.env = Environment()  # SimPy's, with leaner queue entries (sim.engine.clock)
        self.horizon = float(horizon if horizon is not None else scenario.horizon)
        self.warmup = scenario.warmup
        sem = scenario.semantics()
        self.semantics = sem
        self.timers = sem.timers
        self.max_call = sem.timers.max_call
        self.agent_ring_timeout = sem.timers.ring_timeout
        self._read_switches(sem)
        # the call module's entry points, bound to this run (partial: no extra Python frame per
        # call; campaign reaches them through sim, which keeps the import graph one-way)
        self.place_call = partial(call_mod.place_call, self)
        self.ring_out = partial(call_mod.ring_out, self)
        streams = Streams(scenario.seed, replication)
        lat = sem.timers.step_latency  # drawn only when the steps take time
        self.step_latency = None if lat.is_constant and lat.mean == 0 else streams.sampler("engine.timers.step_latency", lat)

        # records and counters
        self.calls: list = []  # the Call of every dial attempt, in dial order
        self.spell_start: list[float] = []
        self.spell_end: list[float] = []
        self.spell_by_call: list[bool] = []
        self.spell_agent: list[int] = []  # whose spell it is (occupancy per group)
        self.inbound_calls: list = []  # the InboundCall of every inbound arrival, in order
        self.live_calls = 0
        self.max_live = 0
        self.seq = 0  # queue entries so far (ties in the queue's order by entry time)
        self.active = 0  # campaigns running or stopping, plus place-holders for scheduled starts
        self.end_time = self.horizon
        self.staffed = 0.0  # agent-seconds logged in inside the measurement window (set by run)

        self.people = build_called_parties(scenario.population, streams)
        self.queues = build_queues(self, scenario.queues, streams, scenario.population.speech_rate_wps)
        self.agents, members_by_group = build_agents(self, scenario.agents, self.queues, streams)
        self.campaigns = build_campaigns(scenario, service_level, self.queues, sem)
        for c in self.campaigns:
            c.step = campaign_mod.stepper(self, c)
        build_pacing(self, scenario)
        for q in self.queues:
            queue_wait_end(q, 0)  # an inbound call's flow runs no action before its queue_join
        if build_inbound(self, self.queues, scenario.queues, streams):
            self.active += 1  # inbound calls keep coming: the run lasts to the horizon
        self.all_stopped = self.env.event()
        """Triggered when every campaign has stopped: the run ends then (see ``_end_run``)."""
        self._schedule(members_by_group)

    def _read_switches(self, sem) -> None:
        """Every engine switch (``sim.scenario.schema.SWITCHES``) as the flag the engine tests."""
        self.agent_side = sem.service_level_rule == "agent_side"
        self.count_unanswered_only = sem.dialing_count == "unanswered_calls"
        self.newest_first = sem.queue_order == "newest_first"
        self.requeue = sem.missed_ring == "requeue"
        self.manual_reset = sem.agent_after_call == "manual_reset"
        # ring_timeout_source and missing_destination: per campaign, in build_campaigns
        self.exhausted_done = sem.exhausted_target == "done"
        self.stop_hangs_up = sem.stop_request == "hangup"
        self.chain_next = sem.next_campaign == "start"
        self.flow_done_on_end = sem.flow_campaigncall == "done_on_end"
        self.enforce_wait_timeout = sem.wait_timeout == "enforced"

    def _schedule(self, members_by_group: list[list[Agent]]) -> None:
        """The run's timed events: shifts, campaign starts and stop requests, the warm-up's end
        (in this order: events at the same time run in the order they were scheduled)."""
        horizon = self.horizon
        self.shifts: list[tuple[int, float, float]] = []
        for gm, members in zip(self.scenario.agents, members_by_group):
            start = gm.shift.start
            end = gm.shift.end if gm.shift.end is not None else INF
            self.shifts.append((gm.count, start, end))
            if start < horizon:
                self._at(start, self._shift_start, members)
            if end < horizon:
                self._at(end, self._shift_end, members)
        for c in self.campaigns:
            if c.start_at is not None and c.start_at < horizon:
                self.active += 1
                self._at(c.start_at, campaign_mod.scheduled_start, self, c)
            if c.stop_at is not None and c.stop_at < horizon:
                self._at(c.stop_at, campaign_mod.request_stop, self, c)
        if 0 < self.warmup < horizon:
            self._at(self.warmup, self._start_measuring)
        self.all_stopped.callbacks.append(self._end_run)
        if self.active == 0:
            self.all_stopped.succeed()

    # -- small helpers (not on the per-call path)

    def _at(self, when: float, fn, *args) -> None:
        self.env.timeout(when).callbacks.append(lambda _ev: fn(*args))

    def queue_deadline(self, cc) -> None:
        """A waiting caller's deadline (patience, wait_timeout, call limit): leave the queue."""
        if cc.in_queue:
            queue_mod.leave(cc.queue, cc)
            trigger(self.env, cc.wake, None)

    def hangup(self, cc, reason: int) -> None:
        call_mod.hangup(self, cc, reason)

    def _shift_start(self, members: list[Agent]) -> None:
        for a in members:
            a.on_shift = True
            if a.status == OFFLINE:
                queue_mod.agent_available(self, a)

    def _shift_end(self, members: list[Agent]) -> None:
        for a in members:
            a.on_shift = False
            if a.status == AVAILABLE:
                queue_mod.agent_unavailable(self, a, OFFLINE, False)

    def _start_measuring(self) -> None:
        self.max_live = self.live_calls  # the calls already live when the window opens

    def _end_run(self, _ev) -> None:
        """Every campaign has stopped: end the run before anything else happens at this time.

        SimPy's public ``Event.succeed`` schedules at NORMAL priority, behind events already due
        now; ``env.run(until=...)`` ends a run the same way this does: an event already
        triggered (``_ok``, ``_value`` set by hand, as SimPy's own ``run`` does) scheduled URGENT,
        whose callback raises StopSimulation."""
        stop = simpy.Event(self.env)
        stop._ok, stop._value = True, None
        stop.callbacks.append(simpy.core.StopSimulation.callback)
        self.env.schedule(stop, simpy.core.URGENT)

    # -- running

    def run(self) -> "Simulation":
        # until the horizon (events at the horizon itself are not run), or until every campaign
        # has stopped. The cyclic garbage collector is paused meanwhile: the records only grow,
        # and its full passes over them cost more than the simulation itself on large runs.
        was_enabled = gc.isenabled()
        gc.disable()
        try:
            run_until(self.env, self.horizon)
        finally:
            if was_enabled:
                gc.enable()
        self.end_time = now = self.env.now
        for a in self.agents:  # close the open availability spells
            if a.status == AVAILABLE:
                self.spell_start.append(a.avail_since)
                self.spell_end.append(now)
                self.spell_by_call.append(False)
                self.spell_agent.append(a.idx)
        w0, w1 = self.warmup, now
        self.group_staffed = [n * max(0.0, min(e, w1) - max(s, w0)) for n, s, e in self.shifts]
        self.staffed = sum(self.group_staffed)
        return self

    def release(self) -> None:
        """Drop this run's state. Callbacks bound to the run (queue and campaign steps, agent
        resets) make reference cycles through it; clearing it lets reference counting free the
        calls, agents and events at once instead of leaving them to the cyclic collector.

        The cycles not through the run itself are cut too: the events still pending (SimPy's
        queue, private ``_queue``) and the campaigns, agents and queues (a campaign's step is a
        closure over it, an agent's reset too), whose fields are dropped. Left to the collector,
        the targets a campaign holds (tens of thousands) would stay in its youngest generation, and
        its first pass after the run would walk them all (about 0.2 s on benchmarks/run.py's medium)."""
        self.env.clear()
        for obj in (*self.campaigns, *self.agents, *self.queues):
            for name in type(obj).__slots__:
                if hasattr(obj, name):
                    delattr(obj, name)
        self.__dict__.clear()

    def records(self) -> RunRecords:
        """The records of the finished run: plain columns, no engine objects."""
        calls = self.calls
        n = len(calls)
        nan = math.nan
        cols = columns(calls, CALL_ATTRS)
        # The queue's service_timeout fires once a queuecall has been in service (from the agent's
        # first ring) that long; as coded it changes nothing on the call (engine.md), so it is a
        # record, not an event of the simulation.
        limits = np.array([c.call_queue.service_timeout if c.call_queue is not None else 0.0 for c in self.campaigns] or [0.0])
        limit = limits[cols["campaign"]] if n else np.zeros(0)
        end = np.where(np.isnan(cols["t_hangup"]), self.end_time, cols["t_hangup"])
        cols["service_timeout_fired"] = (limit > 0) & ~np.isnan(cols["t_agent_ring"]) & (end - cols["t_agent_ring"] >= limit)
        camps = self.campaigns
        return RunRecords(
            calls=cols,
            spell_start=np.asarray(self.spell_start, float),
            spell_end=np.asarray(self.spell_end, float),
            spell_by_call=np.asarray(self.spell_by_call, bool),
            warmup=self.warmup,
            end_time=self.end_time,
            staffed=self.staffed,
            max_live_calls=self.max_live,
            n_agents=len(self.agents),
            campaign_targets=np.array([c.n_targets for c in camps], np.int64),
            campaign_done=np.array([c.n_done for c in camps], np.int64),
            campaign_end_time=np.array([c.end_time if c.end_time is not None else nan for c in camps], float),
            campaign_started=np.array([c.ever_started for c in camps], bool),
            campaign_service_level=np.array([c.sl for c in camps], np.int64),
            regulatory_threshold=self.scenario.regulatory.threshold,
            regulatory_greeting=self.scenario.regulatory.greeting,
            regulatory_clock=self.scenario.regulatory.clock,
            timeseries_interval=self.scenario.timeseries_interval,
            inbound=self._inbound_records(),
            spell_agent=np.asarray(self.spell_agent, np.int32),
            agent_group=np.array([a.group for a in self.agents], np.int32),
            group_names=tuple(g.name for g in self.scenario.agents),
            group_staffed=np.asarray(self.group_staffed, float),
            service_thresholds=tuple(self.scenario.service_thresholds),
            queue_step=self.timers.queue_step,
            has_inbound=any(q.inbound is not None for q in self.scenario.queues),
        )

    def _inbound_records(self) -> dict[str, np.ndarray]:
        """The inbound calls as columns (``INBOUND_COLUMNS``), in arrival order."""
        return columns(self.inbound_calls, INBOUND_ATTRS)


def simulate(scenario: Scenario, service_level: Optional[int] = None, replication: int = 0,
             horizon: Optional[float] = None, engine: type = None) -> RunRecords:
    """Run one replication (of ``engine``, ``Simulation`` unless said) and return its records.

    The cyclic garbage collector stays paused until the engine's objects are gone: they are
    released by reference counting (``Simulation.release``), so no collector pass ever walks
    a run's calls, which would cost time in proportion to the run's length."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        sim = (engine or Simulation)(scenario, service_level, replication, horizon).run()
        rec = sim.records()
        sim.release()
        del sim
    finally:
        if was_enabled:
            gc.enable()
    return rec


__all__ = ["Simulation", "simulate", "compile_actions", "RunRecords"]
