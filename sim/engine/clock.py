"""Scheduling with less per-event work than ``env.timeout``: most of a run's events are timers.

``env.timeout(d)`` builds a ``Timeout`` (an object with a ``__dict__``) through two Python calls
before it reaches the event queue. ``after`` and ``sleep`` put a slotted ``Timer`` on the same
queue, with the same time, priority and sequence number a Timeout would get, so the order of
events (and every result) is unchanged. They rely on SimPy's private ``env._queue``, ``env._now``
and ``env._eid`` (SimPy's own ``Environment.schedule`` is one line over them), and on what
``Environment.step`` and ``Process._resume`` read of an event: ``callbacks``, ``_ok``,
``_value``. pyproject.toml bounds simpy below 5 for this; tests/test_clock.py checks it.

The engine's per-event code also reads the time as ``env._now``: ``env.now`` is a property, a
Python call on every read, for the same attribute.
"""

from __future__ import annotations

from heapq import heappush

from simpy.core import NORMAL


class Timer:
    """A timer already triggered (``_ok``), processed at its time: SimPy's ``Timeout`` less
    what the engine never uses (its ``env``, ``_delay``, ``_defused``)."""

    __slots__ = ("callbacks", "_value")
    _ok = True


def after(env, delay: float, callback, value=None) -> None:
    """Call ``callback(timer)`` after ``delay`` (``timer._value`` is ``value``)."""
    if delay < 0:
        raise ValueError(f"Negative delay {delay}")
    t = Timer()
    t.callbacks = [callback]
    t._value = value
    heappush(env._queue, (env._now + delay, NORMAL, next(env._eid), t))


def sleep(env, delay: float) -> Timer:
    """A timer for a process to yield: it resumes after ``delay``."""
    if delay < 0:
        raise ValueError(f"Negative delay {delay}")
    t = Timer()
    t.callbacks = []
    t._value = None
    heappush(env._queue, (env._now + delay, NORMAL, next(env._eid), t))
    return t
