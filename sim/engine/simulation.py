"""One replication of one scenario at one service level: build the resources, run, hand back records."""

from __future__ import annotations

import gc
from typing import Optional

import simpy

from sim.engine import call as call_mod
from sim.engine import campaign as campaign_mod
from sim.engine import queue as queue_mod
from sim.engine.resources import (
    A_AMD,
    A_HANGUP,
    A_TIME,
    AVAILABLE,
    OFFLINE,
    RINGING,
    Agent,
    Campaign,
    Queue,
)
from sim.rng import Streams
from sim.scenario.schema import HANGUP_REASONS, Scenario

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
            steps.append((A_HANGUP, 0.0, HANGUP_REASONS.index("amd" if opt.reason == "amd" else "normal")))
            break
        # other VoIPbin actions take no time in the model
    total = sum(v for k, v, _ in steps if k == A_TIME)
    if all(k == A_TIME for k, _, _ in steps):
        return None, total
    return steps, total


class Simulation:
    """State of one replication. The processes live in ``sim.engine.{campaign,queue,call}``."""

    flow_process = call_mod.flow_process

    def __init__(self, scenario: Scenario, service_level: Optional[int], replication: int, horizon: Optional[float] = None):
        self.scenario = scenario
        self.service_level = service_level
        self.replication = replication
        self.env = env = simpy.Environment()
        sem = scenario.semantics()
        self.semantics = sem
        self.timers = t = sem.timers
        self.horizon = float(horizon if horizon is not None else scenario.horizon)
        self.warmup = scenario.warmup
        self.max_call = t.max_call
        self.agent_ring_timeout = t.ring_timeout
        self.requeue = sem.missed_ring == "requeue"
        self.manual_reset = sem.agent_after_call == "manual_reset"
        self.count_unanswered_only = sem.dialing_count == "unanswered_calls"
        self.exhausted_done = sem.exhausted_target == "done"
        self.stop_hangs_up = sem.stop_request == "hangup"
        self.chain_next = sem.next_campaign == "start"
        self.newest_first = sem.queue_order == "newest_first"
        self.flow_done_on_end = sem.flow_campaigncall == "done_on_end"
        dial_missing = sem.missing_destination == "dial"
        streams = Streams(scenario.seed, replication)

        # records and counters
        self.calls: list = []
        self.spell_start: list[float] = []
        self.spell_end: list[float] = []
        self.spell_by_call: list[bool] = []
        self.live_calls = 0
        self.max_live = 0
        self.n_available = 0
        self.seq = 0
        self.active = 0
        self.done = env.event()

        # the called parties
        pop = scenario.population
        self.outcome_u = [streams.uniform(f"population.outcome.{i}") for i in range(5)]
        self.outcome_p = []
        for i in range(5):
            mix = pop.outcome[min(i, len(pop.outcome) - 1)]
            self.outcome_p.append((mix.machine, mix.busy, mix.failed, mix.human))
        self.tod = list(pop.time_of_day.multipliers) if pop.time_of_day else None
        self.clock0 = pop.time_of_day.clock_start if pop.time_of_day else 0.0
        self.ring_time = streams.sampler("population.ring_time", pop.ring_time)
        self.busy_time = streams.sampler("population.busy_time", pop.busy_time)
        self.failed_time = streams.sampler("population.failed_time", pop.failed_time)
        self.patience = streams.sampler("population.patience", pop.patience)
        self.machine_talk = streams.sampler("population.machine_talk_time", pop.machine_talk_time)
        self.amd_detect = streams.sampler("population.amd.detect_time", pop.amd.detect_time)
        self.amd_u = streams.uniform("population.amd.classify")
        self.amd_fp = pop.amd.false_positive
        self.amd_fn = pop.amd.false_negative

        # queues
        self.queues: list[Queue] = []
        qidx = {}
        for i, qm in enumerate(scenario.queues):
            q = Queue(i, qm.name, qm.tags, qm.wait_timeout, qm.service_timeout)
            q.choose = streams.uniform(f"queue.{qm.name}.agent_choice")
            q.step = self._make_queue_step(q)
            self.queues.append(q)
            qidx[qm.name] = q

        # agents
        self.agents: list[Agent] = []
        self.staffed = 0.0  # agent-seconds logged in inside the measurement window (filled at the end)
        self.shifts: list[tuple[int, float, float]] = []
        for g, gm in enumerate(scenario.agents):
            answer_delay = streams.sampler(f"agents.{gm.name}.answer_delay", gm.answer_delay)
            miss = streams.uniform(f"agents.{gm.name}.miss")
            talk = streams.sampler(f"agents.{gm.name}.talk_time", gm.talk_time)
            wrap = streams.sampler(f"agents.{gm.name}.wrap_up", gm.wrap_up)
            reset = streams.sampler(f"agents.{gm.name}.status_reset", gm.status_reset)
            tags = set(gm.tags)
            matching = [q for q in self.queues if not q.tags or q.tags & tags]
            members = []
            for _ in range(gm.count):
                a = Agent(len(self.agents), g)
                a.queues = matching
                a.answer_delay, a.miss, a.miss_p = answer_delay, miss, gm.miss_probability
                a.talk, a.wrap, a.reset = talk, wrap, reset
                a.reset_cb = self._make_reset(a)
                self.agents.append(a)
                members.append(a)
            start = gm.shift.start
            end = gm.shift.end if gm.shift.end is not None else INF
            self.shifts.append((gm.count, start, end))
            if start < self.horizon:
                self._at(start, self._shift_start, members)
            if end < self.horizon:
                self._at(end, self._shift_end, members)

        # campaigns
        self.campaigns: list[Campaign] = []
        by_name = {}
        outplans = {o.name: o for o in scenario.outplans}
        outdials = {o.name: o for o in scenario.outdials}
        for i, cm in enumerate(scenario.campaigns):
            c = Campaign(i, cm.name)
            by_name[cm.name] = c
            c.type_flow = cm.type == "flow"
            c.sl = service_level if service_level is not None else cm.service_level
            c.end_stop = cm.end_handle == "stop"
            c.queue = qidx[cm.queue] if cm.queue else None
            op = outplans[cm.outplan]
            c.max_try = list(op.max_try_count)
            c.try_interval = op.try_interval
            c.ring_timeout = op.dial_timeout if sem.ring_timeout_source == "outplan" else t.ring_timeout
            c.usable = sum(1 << k for k in range(5) if c.max_try[k] > 0)
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
                if not (31 if dial_missing else c.uniform_mask) & c.usable:
                    c.fresh = c.n_targets  # no target has a dialable destination
            c.steps, c.action_time = compile_actions(cm.actions, pop.speech_rate_wps, for_flow=False)
            c.flow_time = compile_actions(cm.actions, pop.speech_rate_wps, for_flow=True)[1]
            c.start_at, c.stop_at = cm.start_at, cm.stop_at
            self.campaigns.append(c)
        for cm, c in zip(scenario.campaigns, self.campaigns):
            c.next_campaign = by_name.get(cm.next_campaign) if cm.next_campaign else None
            if c.start_at is not None and c.start_at < self.horizon:
                self.active += 1
                self._at(c.start_at, campaign_mod.scheduled_start, self, c)
            if c.stop_at is not None and c.stop_at < self.horizon:
                self._at(c.stop_at, campaign_mod.request_stop, self, c)

        if 0 < self.warmup < self.horizon:
            self._at(self.warmup, self._start_measuring)
        self.done.callbacks.append(self._stop_now)
        if self.active == 0:
            self.done.succeed()

    # -- small helpers (not on the per-call path)

    def _at(self, when: float, fn, *args) -> None:
        self.env.timeout(when).callbacks.append(lambda _ev: fn(*args))

    def _make_queue_step(self, q: Queue):
        def step(_ev):
            queue_mod.queue_step(self, q)
        return step

    def _make_reset(self, agent: Agent):
        def reset(_ev):
            if agent.status == RINGING:
                queue_mod.agent_available(self, agent)
        return reset

    def queue_deadline(self, ev) -> None:
        """A waiting caller's deadline (patience, wait_timeout, call limit): leave the queue."""
        cc = ev._value
        if cc.in_queue:
            queue_mod.leave(cc.campaign.queue, cc)
            cc.wake.succeed(None)

    def ring_out(self, ev) -> None:
        call_mod.ring_out(self, ev)

    def place_call(self, cc) -> None:
        call_mod.place_call(self, cc)

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

    def _stop_now(self, _ev) -> None:
        """Every campaign has stopped: end the run before anything else happens at this time."""
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
            self.env.run(until=self.horizon)
        finally:
            if was_enabled:
                gc.enable()
        self.end_time = self.env.now
        now = self.env.now
        for a in self.agents:  # close the open availability spells
            if a.status == AVAILABLE:
                self.spell_start.append(a.avail_since)
                self.spell_end.append(now)
                self.spell_by_call.append(False)
        w0, w1 = self.warmup, now
        self.staffed = sum(n * max(0.0, min(e, w1) - max(s, w0)) for n, s, e in self.shifts)
        return self


def simulate(scenario: Scenario, service_level: Optional[int] = None, replication: int = 0) -> Simulation:
    """Run one replication and return the finished simulation (its records and counters)."""
    return Simulation(scenario, service_level, replication).run()


__all__ = ["Simulation", "simulate", "compile_actions"]
