"""sim.engine.clock schedules timers on SimPy's own queue: same order as env.timeout, and the
SimPy internals it relies on (checked here, so a SimPy release that moves them fails a test)."""

from __future__ import annotations

import pytest
import simpy

from sim.engine.clock import after, sleep


def test_timers_and_timeouts_interleave_in_scheduling_order():
    """Timers and Timeouts due at the same time run in the order they were scheduled, as two
    Timeouts would; a value reaches the callback as the timer's ``_value``."""
    env = simpy.Environment()
    seen = []
    after(env, 1.0, lambda t: seen.append(("timer", t._value)), "a")
    env.timeout(1.0).callbacks.append(lambda ev: seen.append(("timeout", None)))
    after(env, 1.0, lambda t: seen.append(("timer", t._value)), "b")
    after(env, 0.5, lambda t: seen.append(("early", env.now)))
    env.run()
    assert seen == [("early", 0.5), ("timer", "a"), ("timeout", None), ("timer", "b")]


def test_a_process_sleeps_on_timers_and_can_be_interrupted():
    env = simpy.Environment()
    log = []

    def proc():
        yield sleep(env, 2.0)
        log.append(env.now)
        try:
            yield sleep(env, 10.0)
        except simpy.Interrupt as i:
            log.append(("interrupted", env.now, i.cause))

    p = env.process(proc())
    after(env, 5.0, lambda _t: p.interrupt("stop"))
    env.run()
    assert log == [2.0, ("interrupted", 5.0, "stop")]


def test_a_negative_delay_is_refused():
    env = simpy.Environment()
    with pytest.raises(ValueError):
        after(env, -1.0, print)
    with pytest.raises(ValueError):
        sleep(env, -0.1)
