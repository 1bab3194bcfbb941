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


# --------------------------------------------------------------------------- Proc, Wake, run_until

from sim.engine.clock import Proc, Wake, run_until, trigger  # noqa: E402


def test_a_proc_sleeps_on_delays_and_waits_on_wakes():
    """A Proc yields delays (it sleeps) or a Wake (it gets the value it is triggered with). Its
    first step runs at once, inside ``Proc(...)``: before the line that follows it."""
    env = simpy.Environment()
    log = []
    wake = Wake()

    def proc():
        log.append(("start", env.now))
        yield 2.0
        log.append(("slept", env.now))
        value = yield wake
        log.append(("woken", env.now, value))
        yield 0
        log.append(("end", env.now))

    p = Proc(env, proc())
    log.append("after Proc()")
    after(env, 5.0, lambda _t: trigger(env, wake, "agent-7"))
    assert p.is_alive and not wake.triggered
    env.run()
    assert log == [("start", 0), "after Proc()", ("slept", 2.0), ("woken", 5.0, "agent-7"), ("end", 5.0)]
    assert wake.triggered and not p.is_alive


def test_a_triggered_wake_runs_after_what_is_already_due_now():
    """``trigger`` is SimPy's ``succeed``: the Wake is processed at the current time, after the
    events already due then (here a Timeout scheduled earlier for the same time)."""
    env = simpy.Environment()
    log = []
    wake = Wake()

    def waiter():
        log.append(("woken", (yield wake)))

    Proc(env, waiter())
    env.timeout(1.0).callbacks.append(lambda _e: log.append("timeout at 1"))
    after(env, 1.0, lambda _t: trigger(env, wake, "x"))
    after(env, 1.0, lambda _t: log.append("timer at 1, scheduled before the trigger ran"))
    env.run()
    assert log == ["timeout at 1", "timer at 1, scheduled before the trigger ran", ("woken", "x")]


def test_an_interrupted_proc_is_not_resumed_by_what_it_waited_on():
    """``interrupt`` throws ``simpy.Interrupt(cause)`` at the current time, from an URGENT event
    (so before a Wake triggered at the same instant); the timer or Wake the Proc waited on then
    no longer resumes it. Interrupting an ended Proc is an error, as in SimPy."""
    env = simpy.Environment()
    log = []
    wake = Wake()

    def sleeper():
        try:
            yield 10.0
        except simpy.Interrupt as i:
            log.append(("sleeper interrupted", env.now, i.cause))
            yield 1.0
            log.append(("sleeper ends", env.now))

    def waiter():
        try:
            yield wake
            log.append("waiter woken")  # never: the interrupt comes first
        except simpy.Interrupt:
            log.append(("waiter interrupted", env.now))

    s, w = Proc(env, sleeper()), Proc(env, waiter())

    def at_3(_t):
        trigger(env, wake, "agent")
        w.interrupt("stop")
        s.interrupt("stop")

    after(env, 3.0, at_3)
    env.run()
    assert log == [("waiter interrupted", 3.0), ("sleeper interrupted", 3.0, "stop"), ("sleeper ends", 4.0)]
    with pytest.raises(RuntimeError):
        s.interrupt()


def test_an_interrupt_after_the_proc_ended_is_ignored():
    env = simpy.Environment()
    log = []

    def proc():
        try:
            yield 1.0
        except simpy.Interrupt:
            log.append("interrupted")
            return
        log.append("ended")

    p = Proc(env, proc())

    def both(_t):
        p.interrupt("first")
        p.interrupt("second")  # the first ends the Proc: this one is ignored

    after(env, 0.5, both)
    env.run()
    assert log == ["interrupted"] and not p.is_alive


def test_a_negative_yielded_delay_is_refused():
    env = simpy.Environment()

    def proc():
        yield 1.0
        yield -1.0

    Proc(env, proc())
    with pytest.raises(ValueError, match="Negative delay"):
        env.run()


def _schedule_mix(env, log):
    """Timers, Timeouts, a SimPy process and a Proc, several due at the same times and at 10."""
    for i, d in enumerate([3.0, 1.0, 10.0, 2.0, 1.0, 10.0, 12.0, 0.5]):
        after(env, d, lambda t, i=i: log.append((env.now, "timer", i)))
        env.timeout(d).callbacks.append(lambda _e, i=i: log.append((env.now, "timeout", i)))

    def simpy_proc():
        while True:
            yield env.timeout(1.5)
            log.append((env.now, "process"))

    def proc():
        while True:
            yield 2.5
            log.append((env.now, "proc"))

    env.process(simpy_proc())
    Proc(env, proc())


def test_run_until_is_env_run_until():
    """Same events in the same order, those due at ``until`` not run, and ``now`` ends at ``until``."""
    a, b = simpy.Environment(), simpy.Environment()
    log_a, log_b = [], []
    _schedule_mix(a, log_a)
    _schedule_mix(b, log_b)
    a.run(until=10.0)
    run_until(b, 10.0)
    assert log_a == log_b and len(log_a) > 15
    assert a.now == b.now == 10.0
    assert not any(t == 10.0 for t, *_ in log_b)
    with pytest.raises(ValueError):
        run_until(b, 10.0)


def test_run_until_stops_at_a_stop_simulation_and_raises_an_unhandled_failure():
    env = simpy.Environment()
    after(env, 4.0, lambda _t: simpy.core.StopSimulation.callback(_Stopped()))
    run_until(env, 100.0)
    assert env.now == 4.0

    env = simpy.Environment()

    def failing():
        yield env.timeout(1.0)
        raise KeyError("boom")

    env.process(failing())
    with pytest.raises(KeyError):
        run_until(env, 100.0)


class _Stopped:
    """What ``StopSimulation.callback`` reads of an event: ``ok`` and ``value``."""

    ok = True
    value = None
