"""The event queue with less per-event work than SimPy's public API: most of a run's events are
timers, and most of the rest resume a call's process.

``Environment`` is SimPy's, with one change to its event queue: an entry is ``(time, priority,
sequence number, fn, arg)`` and processing it is the call ``fn(arg)``. The first three are
SimPy's own (same order, same ties: events due at the same time run by priority, then in the
order they were scheduled), so a run's order of events is exactly SimPy's. A SimPy event
(``env.timeout``, ``env.process``, ``env.event().succeed()``, ``run(until=...)``) is scheduled as
``fn = process_event``, which does what ``Environment.step`` does with it; the engine's timers
name their callback directly, so a timer is one tuple on the queue: no event object, no
callbacks list. Entries due more than a few seconds ahead wait in buckets outside SimPy's heap
(``Environment``), so the heap a run pops from stays small however many long timers (a
thousand agents' conversations) are pending.

``after(env, delay, fn, arg)`` calls ``fn(arg)`` after ``delay``.

``Proc`` runs a generator as SimPy's ``Process`` does (``interrupt`` throwing ``simpy.Interrupt``
from an URGENT event) without being an event itself, and without the two events SimPy adds to
each process: nobody waits for a call to end, so no end-of-process event is scheduled; and the
generator's first step runs at once, inside ``Proc(...)``, where SimPy runs it from an
``Initialize`` event due at the same time (URGENT, so before anything else due then). What the
engine does between the two is the rest of the step that placed the call (scheduling the
campaign's next step): the call's first timer takes its sequence number before that step's,
which orders them only if both fall due at the same instant. A ``Proc`` yields a delay (a
number: it sleeps that long) or a ``Wake``, which another part of the engine triggers with
``trigger``.

``run_until`` is ``env.run(until=...)`` as a plain loop: same order, same end (events due at
``until`` itself are not run, ``env.now`` ends at ``until`` unless a ``StopSimulation`` came
first).

All this relies on SimPy's private ``env._queue``, ``env._now`` and ``env._eid`` (SimPy's
``Environment.schedule`` is one line over them) and on what ``Environment.step`` does with an
event (``callbacks``, ``_ok``, ``_value``, ``_defused``). pyproject.toml bounds simpy below 5 for
this; tests/test_clock.py checks it against SimPy's own classes.

The engine's per-event code also reads the time as ``env._now``: ``env.now`` is a property, a
Python call on every read, for the same attribute.
"""

from __future__ import annotations

from heapq import heapify, heappop, heappush

import simpy
from simpy import Interrupt
from simpy.core import NORMAL, URGENT, EmptySchedule, Infinity, StopSimulation

NORMAL_PRIORITY = NORMAL
"""SimPy's priority of ordinary events (for code that pushes a timer itself, where a call to
``after`` per event would cost more than the rest of its work)."""

PENDING = object()
"""A ``Wake``'s value until it is triggered."""


def process_event(event) -> None:
    """What SimPy's ``Environment.step`` does with a SimPy event it pops: run its callbacks
    (a ``StopSimulation`` keeps the rest for a later run), then crash on a failure nobody
    handled."""
    callbacks, event.callbacks = event.callbacks, None
    try:
        for callback in callbacks:
            callback(event)
    except StopSimulation:
        event.callbacks = callbacks[callbacks.index(callback) + 1:]
        event.env.schedule(event, -1)
        raise
    if not event._ok and not hasattr(event, "_defused"):
        exc = type(event._value)(*event._value.args)
        exc.__cause__ = event._value
        raise exc


BUCKET = 16.0
"""Width in seconds of the far queue's buckets: a power of two, so ``t // BUCKET`` and
``k * BUCKET`` are exact and an entry's bucket never disagrees with the bounds compared."""


class Environment(simpy.Environment):
    """SimPy's environment whose queue entries name the function to call (see the module).

    The queue is in two parts: ``_queue``, SimPy's heap, holds every entry due before
    ``_near_end``; ``_far`` holds the later ones in buckets of ``BUCKET`` seconds (bucket ``k``:
    due in ``[k * BUCKET, (k + 1) * BUCKET)``), moved into the heap one bucket at a time as the run
    reaches them. Entries keep their keys, so the order of events is the heap's, as with one heap;
    the heap only holds what is due within seconds (a run's long timers, conversations and ring
    time-outs, wait in their buckets), and popping from it costs the logarithm of that."""

    def __init__(self, initial_time=0):
        super().__init__(initial_time)
        self._far: dict[float, list] = {}
        self._k = self._now // BUCKET + 1.0  # the next bucket to move into the heap (a float: see put)
        self._near_end = self._k * BUCKET  # every entry due before this is in the heap

    def schedule(self, event, priority=NORMAL, delay=0) -> None:
        put(self, (self._now + delay, priority, next(self._eid), process_event, event))

    def _advance(self) -> bool:
        """Move the next bucket into the heap (jumping over empty ones when the heap is empty);
        False when nothing is left anywhere."""
        far, queue = self._far, self._queue
        if not far:
            if not queue:
                return False
            self._k = queue[0][0] // BUCKET + 1.0
        else:
            k = self._k
            if not queue:
                while k not in far:  # nothing due before the next non-empty bucket
                    k += 1.0
            bucket = far.pop(k, None)
            if bucket is not None:
                if len(bucket) > len(queue):
                    queue.extend(bucket)
                    heapify(queue)
                else:
                    for entry in bucket:
                        heappush(queue, entry)
            self._k = k + 1.0
        self._near_end = self._k * BUCKET
        return True

    def step(self) -> None:
        queue = self._queue
        while not queue or queue[0][0] >= self._near_end:
            if not self._advance():
                raise EmptySchedule
        self._now, _, _, fn, arg = heappop(queue)
        fn(arg)

    def peek(self) -> float:
        queue = self._queue
        while not queue or queue[0][0] >= self._near_end:
            if not self._advance():
                return Infinity
        return queue[0][0]

    def pending(self) -> list:
        """Every entry not run yet (heap and buckets), in no particular order."""
        return [*self._queue, *(e for bucket in self._far.values() for e in bucket)]

    def clear(self) -> None:
        """Drop every pending entry."""
        self._queue.clear()
        self._far.clear()


def put(env: Environment, entry: tuple) -> None:
    """Put a queue entry ``(time, priority, sequence, fn, arg)`` in the heap or its bucket."""
    if entry[0] < env._near_end:
        heappush(env._queue, entry)
    else:
        put_far(env, entry)


def put_far(env: Environment, entry: tuple) -> None:
    """Put an entry due at or after ``env._near_end`` in its bucket (for code that has made the
    comparison itself, inlining ``put``'s heap branch on its hot path)."""
    k = entry[0] // BUCKET  # a whole number as a float (exact: BUCKET is a power of two)
    bucket = env._far.get(k)
    if bucket is None:
        env._far[k] = [entry]
    else:
        bucket.append(entry)


def after(env: Environment, delay: float, fn, arg=None) -> None:
    """Call ``fn(arg)`` after ``delay``."""
    if delay < 0:
        raise ValueError(f"Negative delay {delay}")
    put(env, (env._now + delay, NORMAL, next(env._eid), fn, arg))


class Wake:
    """What a ``Proc`` waits on until another part of the engine triggers it (``trigger``); it is
    processed at the time it is triggered: SimPy's ``env.event()`` for one waiting process."""

    __slots__ = ("proc", "_value")

    def __init__(self):
        self.proc = None
        self._value = PENDING

    @property
    def triggered(self) -> bool:
        return self._value is not PENDING


def trigger(env: Environment, wake: Wake, value) -> None:
    """SimPy's ``succeed(value)``: the Proc waiting on ``wake`` resumes with ``value`` now, after
    what is already due now."""
    if wake.proc is None:
        raise RuntimeError("trigger: no process waits on this Wake")
    wake._value = value
    put(env, (env._now, NORMAL, next(env._eid), wake.proc._resume, wake))


_START = Wake()
_START._value = None  # what a Proc's first step is sent (as SimPy's Initialize sends None)


class Proc:
    """A generator run as a SimPy process, without SimPy's ``Process`` event (see the module).

    ``target`` is what it waits on: the sequence number of its sleep's queue entry, or a Wake;
    a queue entry that is no longer its target (an interrupt came first) resumes nothing."""

    __slots__ = ("env", "_send", "_throw", "target")

    def __init__(self, env: Environment, generator):
        self.env = env
        self._send = generator.send
        self._throw = generator.throw
        self.target = _START
        self._resume(_START)  # the first step, at once (see the module)

    @property
    def is_alive(self) -> bool:
        """True until the generator returns."""
        return self._send is not None

    def _resume(self, token) -> None:
        """A wait ended (``token``: the sleep's sequence number or the Wake): send its value to the
        generator and wait on what it yields. The wait is inlined here (``_wait`` is the same,
        for the rare interrupt): this runs once per event of a call."""
        if token is not self.target:
            return  # an interrupt ended this wait
        try:
            nxt = self._send(None if type(token) is int else token._value)
        except StopIteration:
            self._send = self._throw = self.target = None
            return
        if type(nxt) is Wake:
            nxt.proc = self
            self.target = nxt
            return
        if nxt < 0:
            raise ValueError(f"Negative delay {nxt}")
        env = self.env
        eid = next(env._eid)
        t = env._now + nxt
        if t < env._near_end:  # sim.engine.clock.put, inlined: this runs once per event of a call
            heappush(env._queue, (t, NORMAL, eid, self._resume, eid))
        else:
            put_far(env, (t, NORMAL, eid, self._resume, eid))
        self.target = eid

    def _wait(self, nxt) -> None:
        if type(nxt) is Wake:
            nxt.proc = self
            self.target = nxt
            return
        if nxt < 0:
            raise ValueError(f"Negative delay {nxt}")
        env = self.env
        eid = next(env._eid)
        put(env, (env._now + nxt, NORMAL, eid, self._resume, eid))
        self.target = eid

    def interrupt(self, cause=None) -> None:
        """SimPy's ``Process.interrupt``: an URGENT event now throws ``simpy.Interrupt(cause)``
        into the generator, unless it has ended by then."""
        if self._send is None:
            raise RuntimeError(f"{self} has terminated and cannot be interrupted.")
        env = self.env
        put(env, (env._now, URGENT, next(env._eid), self._interrupt, cause))

    def _interrupt(self, cause) -> None:
        if self._send is None:
            return  # ended meanwhile (as SimPy ignores an interrupt of a dead process)
        self.target = None  # what it waited on resumes nothing now
        try:
            nxt = self._throw(Interrupt(cause))
        except StopIteration:
            self._send = self._throw = self.target = None
            return
        self._wait(nxt)


def run_until(env: Environment, until: float) -> None:
    """``env.run(until=until)`` as a plain loop over the queue (one Python call less per event).

    SimPy's run schedules an URGENT event at ``until`` that stops it, so events due at ``until``
    are not run and ``env.now`` ends at ``until``; this loop stops before the first event due at
    ``until`` or later and sets the time the same way. A ``StopSimulation`` raised by a callback
    ends the run at the current time, as in SimPy; a failed SimPy event nobody handled raises."""
    if until <= env._now:
        raise ValueError(f"until ({until}) must be greater than the current simulation time")
    queue = env._queue
    pop = heappop
    try:
        while True:
            near_end = env._near_end  # (callbacks only add entries: this moves in _advance alone)
            limit = near_end if near_end < until else until
            while queue and queue[0][0] < limit:
                env._now, _, _, fn, arg = pop(queue)
                fn(arg)
            if near_end >= until or not env._advance():
                break
    except StopSimulation:
        return
    env._now = until
