"""Scheduling with less per-event work than SimPy's public API: most of a run's events are
timers, and most of the rest resume a call's process.

``env.timeout(d)`` builds a ``Timeout`` (an object with a ``__dict__``) through two Python calls
before it reaches the event queue. ``after`` and ``sleep`` put a slotted ``Timer`` on the same
queue, with the same time, priority and sequence number a Timeout would get, so the order of
events (and every result) is unchanged.

``Proc`` runs a generator as SimPy's ``Process`` does (resumed by the callbacks of the events it
waits on, ``interrupt`` throwing ``simpy.Interrupt`` from an URGENT event) without being an event
itself, and without the two events SimPy adds to each process: nobody waits for a call to end,
so no end-of-process event is scheduled; and the generator's first step runs at once, inside
``Proc(...)``, where SimPy runs it from an ``Initialize`` event due at the same time (URGENT, so
before anything else due then). What the engine does between the two is the rest of the step
that placed the call (scheduling the campaign's next step): the call's first timer takes its
sequence number before that step's, which orders them only if both fall due at the same
instant. A ``Proc`` may yield a delay (a number: it sleeps that long) or a ``Wake``, the slotted
event another part of the engine triggers with ``trigger``.

``run_until`` is ``env.run(until=...)`` with SimPy's ``Environment.step`` inlined: same order,
same end (events at ``until`` itself are not run, ``env.now`` ends at ``until`` unless a
``StopSimulation`` came first).

All this relies on SimPy's private ``env._queue``, ``env._now`` and ``env._eid`` (SimPy's own
``Environment.schedule`` is one line over them), and on what ``Environment.step`` reads of an
event: ``callbacks``, ``_ok``, ``_value``. pyproject.toml bounds simpy below 5 for this;
tests/test_clock.py checks it against SimPy's own classes.

The engine's per-event code also reads the time as ``env._now``: ``env.now`` is a property, a
Python call on every read, for the same attribute.
"""

from __future__ import annotations

from heapq import heappop, heappush

from simpy import Interrupt
from simpy.core import NORMAL, URGENT, StopSimulation

NORMAL_PRIORITY = NORMAL
"""SimPy's priority of ordinary events (for code that pushes a timer itself, where a call to
``after`` per event would cost more than the rest of its work)."""

PENDING = object()
"""A ``Wake``'s value until it is triggered."""


class Timer:
    """A timer already triggered (``_ok``), processed at its time: SimPy's ``Timeout`` less
    what the engine never uses (its ``env``, ``_delay``, ``_defused``)."""

    __slots__ = ("callbacks", "_value")
    _ok = True


class Wake:
    """An event a process waits on until another part of the engine triggers it (``trigger``),
    to be processed at the time it is triggered: SimPy's ``env.event()`` less its checks."""

    __slots__ = ("callbacks", "_value")
    _ok = True

    def __init__(self):
        self.callbacks = []
        self._value = PENDING

    @property
    def triggered(self) -> bool:
        return self._value is not PENDING


def trigger(env, ev: Wake, value) -> None:
    """SimPy's ``ev.succeed(value)``: ``ev`` is processed now, after what is already due now."""
    ev._value = value
    heappush(env._queue, (env._now, NORMAL, next(env._eid), ev))


def after(env, delay: float, callback, value=None) -> None:
    """Call ``callback(timer)`` after ``delay`` (``timer._value`` is ``value``)."""
    if delay < 0:
        raise ValueError(f"Negative delay {delay}")
    t = Timer()
    t.callbacks = [callback]
    t._value = value
    heappush(env._queue, (env._now + delay, NORMAL, next(env._eid), t))


def sleep(env, delay: float) -> Timer:
    """A timer for a SimPy process to yield: it resumes after ``delay``."""
    if delay < 0:
        raise ValueError(f"Negative delay {delay}")
    t = Timer()
    t.callbacks = []
    t._value = None
    heappush(env._queue, (env._now + delay, NORMAL, next(env._eid), t))
    return t


_START = Timer()
_START._value = None  # what a Proc's first step is sent: None, as SimPy's Initialize sends


class Proc:
    """A generator run as a SimPy process, without SimPy's ``Process`` event (see the module)."""

    __slots__ = ("env", "_send", "_throw", "target")

    def __init__(self, env, generator):
        self.env = env
        self._send = generator.send
        self._throw = generator.throw
        self.target = None
        self._resume(_START)  # the first step, at once (see the module)

    @property
    def is_alive(self) -> bool:
        """True until the generator returns."""
        return self._send is not None

    def _resume(self, ev) -> None:
        """Send ``ev``'s value to the generator and wait on what it yields. The wait is inlined
        here (``_wait`` is the same, for the rare interrupt): this runs once per event of a call."""
        try:
            nxt = self._send(ev._value)
        except StopIteration:
            self._send = self._throw = self.target = None
            return
        if nxt.__class__ is Wake:
            nxt.callbacks.append(self._resume)
            self.target = nxt
            return
        if nxt < 0:
            raise ValueError(f"Negative delay {nxt}")
        env = self.env
        t = Timer()
        t.callbacks = [self._resume]
        t._value = None
        heappush(env._queue, (env._now + nxt, NORMAL, next(env._eid), t))
        self.target = t

    def _wait(self, nxt) -> None:
        if nxt.__class__ is Wake:
            nxt.callbacks.append(self._resume)
            self.target = nxt
        else:
            t = sleep(self.env, nxt)
            t.callbacks.append(self._resume)
            self.target = t

    def interrupt(self, cause=None) -> None:
        """SimPy's ``Process.interrupt``: an URGENT event now throws ``simpy.Interrupt(cause)``
        into the generator, unless it has ended by then."""
        if self._send is None:
            raise RuntimeError(f"{self} has terminated and cannot be interrupted.")
        env = self.env
        t = Timer()
        t.callbacks = [self._interrupt]
        t._value = cause
        heappush(env._queue, (env._now, URGENT, next(env._eid), t))

    def _interrupt(self, ev) -> None:
        if self._send is None:
            return  # ended meanwhile (as SimPy ignores an interrupt of a dead process)
        self.target.callbacks.remove(self._resume)
        try:
            nxt = self._throw(Interrupt(ev._value))
        except StopIteration:
            self._send = self._throw = self.target = None
            return
        self._wait(nxt)


def run_until(env, until: float) -> None:
    """``env.run(until=until)`` with ``Environment.step`` inlined (one Python call less per event).

    SimPy's run schedules an URGENT event at ``until`` that stops it, so events due at ``until``
    are not run and ``env.now`` ends at ``until``; this loop stops before the first event due at
    ``until`` or later and sets the time the same way. A ``StopSimulation`` raised by a callback
    ends the run at the current time, as in SimPy; a failed SimPy event nobody handled raises."""
    if until <= env._now:
        raise ValueError(f"until ({until}) must be greater than the current simulation time")
    queue = env._queue
    pop = heappop
    try:
        while queue and queue[0][0] < until:
            env._now, _, _, event = pop(queue)
            callbacks, event.callbacks = event.callbacks, None
            for callback in callbacks:
                callback(event)
            if not event._ok and not hasattr(event, "_defused"):
                exc = type(event._value)(*event._value.args)
                exc.__cause__ = event._value
                raise exc
    except StopSimulation:
        return
    env._now = until
