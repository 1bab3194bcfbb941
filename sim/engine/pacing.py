"""Pacing policies: how many calls the execute loop may have in flight.

VoIPbin's own rule (``voipbin``: ``floor(A*SL/100) > D``; ``documented``: ``A > D*SL/100``) stays
inline in the execute loop (``sim.engine.campaign``), where it costs nothing. The policies the
industry runs are objects with one method, :meth:`Pacer.allows`, asked at the same point of the
same step, reading the same state: ``A`` the queue's available agents, ``U`` the campaign's
unanswered calls (dialled, not yet answered or ended). Every policy dials through the same loop,
timers and outplan; only the decision differs.

- ``progressive``: one unanswered call per available agent (``U < A``).
- ``ratio`` (Vicidial's RATIO, "power dialing"): up to ``level`` unanswered calls per available
  agent (``U < level * A``), ``level`` fractional.
- ``adaptive`` (Vicidial's ADAPT_TAPERED, Genesys' overdial-rate target): a ratio dialer whose
  level is moved every ``interval`` by ``step`` toward a target drop rate, measured over the last
  ``window`` of live answers, within ``[min_level, max_level]``.
- ``predictive`` (Samuelson 1999; Genesys' "classical" algorithm): dial one more call only while
  the chance that the calls in flight bring more live answers than agents free within a ring
  time stays at or under ``target``: ``P(Bin(U + 1, p) > F) <= target`` with ``p`` the estimated
  live-answer probability per dial and ``F = A + B * (1 - exp(-r / h))`` (``B`` agents busy,
  ``r`` the mean time from dial to answer, ``h`` the mean handling time, all estimated from the
  campaign's own finished calls).

A *drop* (``drop: regulatory``, the default) is a live answer not connected to an agent within
the regulators' deadline (answer + greeting + threshold, the scenario's ``regulatory`` clock), or
never connected; with ``drop: abandon`` only a live answer never connected to an agent.

The estimates are refreshed by a small process every ``interval`` that reads the campaign's
finished calls from the records (never per event), so the policies add nothing to the per-call
hot path beyond the unanswered-call counter.
"""

from __future__ import annotations

import math
from collections import deque
from typing import Optional

POLICIES = ("voipbin", "documented", "progressive", "ratio", "adaptive", "predictive")
"""Every pacing policy, VoIPbin's two rules first."""

INF = float("inf")

KNOB = {
    "voipbin": "service_level",
    "documented": "service_level",
    "progressive": None,
    "ratio": "level",
    "adaptive": "target",
    "predictive": "target",
}
"""The one setting a sweep varies for each policy (``None``: the policy has none)."""


def ratio_allows(level: float, available: int, unanswered: int) -> bool:
    """Ratio dialing: fewer than ``level * A`` unanswered calls (``level = 1``: progressive)."""
    return unanswered < level * available


def binomial_tail(n: int, p: float, k: int) -> float:
    """``P(X > k)`` for ``X ~ Bin(n, p)``, by summing the pmf from 0 to ``k`` (n is small)."""
    if k < 0:
        return 1.0
    if k >= n:
        return 0.0
    if p <= 0.0:
        return 0.0
    if p >= 1.0:
        return 1.0
    q = 1.0 - p
    term = q ** n  # P(X = 0)
    cdf = term
    ratio = p / q
    for i in range(k):
        term *= (n - i) / (i + 1) * ratio
        cdf += term
    return max(0.0, 1.0 - cdf)


def free_within(available: int, busy: int, ring: float, handle: float) -> float:
    """Agents expected free within a ring time: the available ones, and each busy one with the
    chance ``1 - exp(-ring/handle)`` of finishing in time (exponential residual handling)."""
    if busy <= 0 or handle <= 0.0:
        return float(available) + (busy if handle <= 0.0 else 0.0)
    return available + busy * (1.0 - math.exp(-ring / handle))


def predictive_allows(target: float, p: float, available: int, busy: int, unanswered: int,
                      ring: float, handle: float) -> bool:
    """Dial one more while ``P(Bin(U + 1, p) > F) <= target`` (and never with no agent at all)."""
    if available <= 0 and busy <= 0:
        return False
    free = free_within(available, busy, ring, handle)
    return binomial_tail(unanswered + 1, p, int(math.floor(free + 1e-9))) <= target


class Pacer:
    """A campaign's pacing policy and the estimates it keeps."""

    policy = "pacer"

    def __init__(self, cfg, queue_agents: list):
        self.cfg = cfg
        self.queue_agents = queue_agents  # the agents that serve the campaign's queue

    def allows(self, available: int, unanswered: int) -> bool:  # pragma: no cover - abstract
        raise NotImplementedError

    # the estimator process calls this every ``interval`` with the campaign's newly finished facts
    def update(self, now: float, stats: "CallStats") -> None:
        pass


class Progressive(Pacer):
    policy = "progressive"

    def allows(self, available: int, unanswered: int) -> bool:
        return unanswered < available


class Ratio(Pacer):
    policy = "ratio"

    def __init__(self, cfg, queue_agents):
        super().__init__(cfg, queue_agents)
        self.level = float(cfg.level)

    def allows(self, available: int, unanswered: int) -> bool:
        return unanswered < self.level * available


class Adaptive(Ratio):
    """A ratio dialer whose level follows the measured drop rate toward ``target``."""

    policy = "adaptive"

    def __init__(self, cfg, queue_agents):
        Pacer.__init__(self, cfg, queue_agents)
        self.level = float(cfg.level if cfg.level is not None else cfg.min_level)
        self.levels: list[tuple[float, float]] = []  # (time, level) after each adjustment

    def update(self, now: float, stats: "CallStats") -> None:
        drops, answers = stats.drops_in_window(now)
        cfg = self.cfg
        if answers >= cfg.min_answers:
            rate = drops / answers
            if rate > cfg.target:
                self.level = max(cfg.min_level, self.level - cfg.step)
            elif rate < cfg.target:
                self.level = min(cfg.max_level, self.level + cfg.step)
        elif answers == 0 or drops == 0:
            self.level = min(cfg.max_level, self.level + cfg.step)  # too little seen: explore upward
        self.levels.append((now, self.level))


class Predictive(Pacer):
    policy = "predictive"

    def __init__(self, cfg, queue_agents):
        super().__init__(cfg, queue_agents)
        self.p = float(cfg.prior_answer_rate)
        self.ring = float(cfg.prior_ring_time)
        self.handle = float(cfg.prior_handle_time)
        self.busy = 0
        self._cache: dict[tuple[int, int], bool] = {}

    def update(self, now: float, stats: "CallStats") -> None:
        w = self.cfg.prior_weight
        self.p = (stats.live + w * self.cfg.prior_answer_rate) / (stats.resolved + w)
        if stats.n_ring:
            self.ring = (stats.ring_sum + w * self.cfg.prior_ring_time) / (stats.n_ring + w)
        if stats.n_handle:
            self.handle = (stats.handle_sum + w * self.cfg.prior_handle_time) / (stats.n_handle + w)
        self._cache = {}
        self.busy = stats.busy_agents(self.queue_agents)

    def allows(self, available: int, unanswered: int) -> bool:
        key = (available, unanswered)
        ok = self._cache.get(key)
        if ok is None:
            ok = predictive_allows(self.cfg.target, self.p, available, self.busy, unanswered, self.ring, self.handle)
            self._cache[key] = ok
        return ok


PACERS = {"progressive": Progressive, "ratio": Ratio, "adaptive": Adaptive, "predictive": Predictive}


class CallStats:
    """What a dialer can know of its campaign's past calls, read from the records at each
    estimator step: dials resolved (answered or ended), live answers, ring and handling times,
    drops over a moving window. Each call is looked at a bounded number of times."""

    def __init__(self, campaign, calls: list, window: float, deadline: Optional[float], human: int,
                 busy_status: tuple, from_queue: bool = False):
        self.campaign = campaign
        self.calls = calls
        self.cursor = 0
        self.unresolved: list = []  # dials of this campaign not yet answered or ended
        self.awaiting_fate: list = []  # live answers not yet connected, deadline not yet passed
        self.awaiting_end: list = []  # live answers whose fate is known, for the handling time
        self.window = window
        self.deadline = deadline  # seconds after the clock's start within which an agent must answer (None: ever)
        self.from_queue = from_queue  # the clock starts at the queue entry (else at the answer)
        self.human = human
        self.busy_status = busy_status
        self.resolved = 0
        self.live = 0
        self.n_ring = 0
        self.ring_sum = 0.0
        self.n_handle = 0
        self.handle_sum = 0.0
        self.fates: deque = deque()  # (time the fate was known, dropped) of each live answer

    def advance(self, now: float) -> None:
        """Take in what has happened up to ``now`` (record times set ahead are not yet known)."""
        calls, c = self.calls, self.campaign
        self.unresolved.extend(cc for cc in calls[self.cursor:] if cc.campaign is c)
        self.cursor = len(calls)
        keep = []
        for cc in self.unresolved:
            if cc.t_answer <= now:  # nan compares false
                self.resolved += 1
                self.n_ring += 1
                self.ring_sum += cc.t_answer - cc.t_dial
                if cc.outcome == self.human:
                    self.live += 1
                    self.awaiting_fate.append(cc)
            elif cc.t_hangup <= now:
                self.resolved += 1
            else:
                keep.append(cc)
        self.unresolved = keep
        keep = []
        fates, deadline = self.fates, self.deadline
        for cc in self.awaiting_fate:
            if deadline is None:
                due = INF
            elif self.from_queue:
                due = cc.t_queue + deadline if cc.t_queue <= now else INF  # not in the queue yet
            else:
                due = cc.t_answer + deadline
            if cc.t_agent_answer <= now:
                fates.append((cc.t_agent_answer, cc.t_agent_answer > due))
                self.awaiting_end.append(cc)
            elif due < now or cc.t_hangup <= now:
                fates.append((min(due, now), True))  # no agent in time (or ever): a drop
                self.awaiting_end.append(cc)
            else:
                keep.append(cc)
        self.awaiting_fate = keep
        keep = []
        for cc in self.awaiting_end:
            if cc.t_hangup <= now:
                if cc.t_agent_answer <= cc.t_hangup:
                    self.n_handle += 1
                    self.handle_sum += cc.t_hangup - cc.t_agent_answer
            else:
                keep.append(cc)
        self.awaiting_end = keep

    def drops_in_window(self, now: float) -> tuple[int, int]:
        """(drops, live answers) whose fate became known in the last ``window``."""
        fates, lo = self.fates, now - self.window
        while fates and fates[0][0] < lo:
            fates.popleft()
        return sum(1 for _, d in fates if d), len(fates)

    def busy_agents(self, agents: list) -> int:
        busy = self.busy_status  # the statuses of an agent on a call (ringing, talking, wrapping up)
        return sum(1 for a in agents if a.status in busy)
