"""sim.engine.clock: SimPy's event queue with entries that name their callback. Same order as
SimPy for every kind of event, and the SimPy internals it relies on (checked here, so a SimPy
release that moves them fails a test)."""

from __future__ import annotations

import pytest
import simpy

from sim.engine.clock import Environment, Proc, Wake, after, run_until, trigger


def test_timers_and_simpy_events_interleave_in_scheduling_order():
    """Timers and SimPy Timeouts due at the same time run in the order they were scheduled, as two
    Timeouts would; a timer's callback gets its argument."""
    env = Environment()
    seen = []
    after(env, 1.0, seen.append, ("timer", "a"))
    env.timeout(1.0).callbacks.append(lambda ev: seen.append(("timeout", ev.value)))
    after(env, 1.0, seen.append, ("timer", "b"))
    after(env, 0.5, lambda _arg: seen.append(("early", env.now)))
    env.run()
    assert seen == [("early", 0.5), ("timer", "a"), ("timeout", None), ("timer", "b")]


def test_simpy_processes_events_and_interrupts_run_as_in_simpy():
    """The same SimPy program on SimPy's Environment and on this one gives the same trace:
    processes, Timeouts with values, an event succeeded by another process, an interrupt, a
    process waiting for another's end, and ``run(until=...)`` stopping at a time."""
    def program(env, log):
        ev = env.event()

        def waiter():
            value = yield ev
            log.append(("waiter got", env.now, value))
            try:
                yield env.timeout(10)
            except simpy.Interrupt as i:
                log.append(("waiter interrupted", env.now, i.cause))
            return "waiter done"

        def other(w):
            yield env.timeout(2, value="x")
            ev.succeed("hello")
            yield env.timeout(1)
            w.interrupt("stop")
            result = yield w
            log.append(("other saw", env.now, result))

        w = env.process(waiter())
        env.process(other(w))
        env.run(until=50)
        log.append(("end", env.now))

    a, b = [], []
    program(simpy.Environment(), a)
    program(Environment(), b)
    assert a == b == [("waiter got", 2, "hello"), ("waiter interrupted", 3, "stop"),
                      ("other saw", 3, "waiter done"), ("end", 50)]


def test_an_unhandled_failure_crashes_the_run_as_in_simpy():
    env = Environment()

    def failing():
        yield env.timeout(1.0)
        raise KeyError("boom")

    env.process(failing())
    with pytest.raises(KeyError):
        env.run()


def test_a_negative_delay_is_refused():
    env = Environment()
    with pytest.raises(ValueError):
        after(env, -1.0, print)


# --------------------------------------------------------------------------- Proc, Wake


def test_a_proc_sleeps_on_delays_and_waits_on_wakes():
    """A Proc yields delays (it sleeps) or a Wake (it gets the value it is triggered with). Its
    first step runs at once, inside ``Proc(...)``: before the line that follows it."""
    env = Environment()
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
    after(env, 5.0, lambda _arg: trigger(env, wake, "agent-7"))
    assert p.is_alive and not wake.triggered
    env.run()
    assert log == [("start", 0), "after Proc()", ("slept", 2.0), ("woken", 5.0, "agent-7"), ("end", 5.0)]
    assert wake.triggered and not p.is_alive


def test_a_triggered_wake_runs_after_what_is_already_due_now():
    """``trigger`` is SimPy's ``succeed``: the Wake is processed at the current time, after the
    events already due then (here a Timeout and a timer scheduled earlier for the same time)."""
    env = Environment()
    log = []
    wake = Wake()

    def waiter():
        log.append(("woken", (yield wake)))

    Proc(env, waiter())
    env.timeout(1.0).callbacks.append(lambda _e: log.append("timeout at 1"))
    after(env, 1.0, lambda _arg: trigger(env, wake, "x"))
    after(env, 1.0, lambda _arg: log.append("timer at 1, scheduled before the trigger ran"))
    env.run()
    assert log == ["timeout at 1", "timer at 1, scheduled before the trigger ran", ("woken", "x")]


def test_a_wake_nobody_waits_on_cannot_be_triggered():
    with pytest.raises(RuntimeError):
        trigger(Environment(), Wake(), 1)


def test_an_interrupted_proc_is_not_resumed_by_what_it_waited_on():
    """``interrupt`` throws ``simpy.Interrupt(cause)`` at the current time, from an URGENT event
    (so before a Wake triggered at the same instant); the sleep or Wake the Proc waited on then
    no longer resumes it. Interrupting an ended Proc is an error, as in SimPy."""
    env = Environment()
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

    def at_3(_arg):
        trigger(env, wake, "agent")
        w.interrupt("stop")
        s.interrupt("stop")

    after(env, 3.0, at_3)
    env.run()
    # the sleeper's 10 s sleep (due at 10) resumed nothing: it ended at 4
    assert log == [("waiter interrupted", 3.0), ("sleeper interrupted", 3.0, "stop"), ("sleeper ends", 4.0)]
    with pytest.raises(RuntimeError):
        s.interrupt()


def test_an_interrupt_after_the_proc_ended_is_ignored():
    env = Environment()
    log = []

    def proc():
        try:
            yield 1.0
        except simpy.Interrupt:
            log.append("interrupted")
            return
        log.append("ended")

    p = Proc(env, proc())

    def both(_arg):
        p.interrupt("first")
        p.interrupt("second")  # the first ends the Proc: this one is ignored

    after(env, 0.5, both)
    env.run()
    assert log == ["interrupted"] and not p.is_alive


def test_a_negative_yielded_delay_is_refused():
    env = Environment()

    def proc():
        yield 1.0
        yield -1.0

    Proc(env, proc())
    with pytest.raises(ValueError, match="Negative delay"):
        env.run()


# --------------------------------------------------------------------------- run_until


def _schedule_mix(env, log, timers: bool):
    """Timeouts, a SimPy process, and (on this module's Environment) timers and a Proc, several
    due at the same times and at 10."""
    for i, d in enumerate([3.0, 1.0, 10.0, 2.0, 1.0, 10.0, 12.0, 0.5]):
        if timers:
            after(env, d, lambda i: log.append((env.now, "event", i)), i)
        else:
            env.timeout(d).callbacks.append(lambda _e, i=i: log.append((env.now, "event", i)))
        env.timeout(d).callbacks.append(lambda _e, i=i: log.append((env.now, "timeout", i)))

    def simpy_proc():
        while True:
            yield env.timeout(1.5)
            log.append((env.now, "process"))

    def proc_body(sleep):
        while True:
            yield sleep(2.5)
            log.append((env.now, "proc"))

    env.process(simpy_proc())
    if timers:
        Proc(env, proc_body(lambda d: d))
    else:
        # SimPy's equivalent of a Proc: a process started now (its first step before the
        # timeouts below are scheduled would need an URGENT start; starting it here matches
        # because nothing else is due at 0)
        env.process(proc_body(env.timeout))


def test_run_until_is_env_run_until():
    """Same events in the same order as SimPy's own Environment, those due at ``until`` not run,
    and ``now`` ends at ``until``."""
    a, b = simpy.Environment(), Environment()
    log_a, log_b = [], []
    _schedule_mix(a, log_a, timers=False)
    _schedule_mix(b, log_b, timers=True)
    a.run(until=10.0)
    run_until(b, 10.0)
    assert log_a == log_b and len(log_a) > 15
    assert a.now == b.now == 10.0
    assert not any(t == 10.0 for t, *_ in log_b)
    with pytest.raises(ValueError):
        run_until(b, 10.0)


def test_run_until_stops_at_a_stop_simulation_and_raises_an_unhandled_failure():
    env = Environment()
    stop = env.event()
    stop.callbacks.append(simpy.core.StopSimulation.callback)
    after(env, 4.0, lambda _arg: stop.succeed())
    run_until(env, 100.0)
    assert env.now == 4.0

    env = Environment()

    def failing():
        yield env.timeout(1.0)
        raise KeyError("boom")

    env.process(failing())
    with pytest.raises(KeyError):
        run_until(env, 100.0)


# --------------------------------------------------------------------------- the far queue's buckets


def test_the_order_of_events_is_simpys_across_the_buckets():
    """Thousands of timers with delays from 0 to hours (many in the same bucket, some due at the
    same instant, some exactly on a bucket's edge), each scheduling more: the trace is the one
    SimPy's own Environment gives for the same Timeouts."""
    import random

    from sim.engine.clock import BUCKET

    def program(env, log, use_after):
        rnd = random.Random(7)

        def fire(i):
            log.append((env.now, i))
            if i < 3000:
                d = rnd.choice([0.0, 0.5, BUCKET, 2 * BUCKET - env.now % BUCKET, rnd.expovariate(1 / 60), 3600.0])
                schedule(d, i + 1000)

        def schedule(d, i):
            if use_after:
                after(env, d, fire, i)
            else:
                env.timeout(d).callbacks.append(lambda _e: fire(i))

        for i in range(1000):
            schedule(rnd.choice([0.0, 1.0, BUCKET, rnd.uniform(0, 100)]), i)

    a, b = simpy.Environment(), Environment()
    log_a, log_b = [], []
    program(a, log_a, use_after=False)
    program(b, log_b, use_after=True)
    a.run(until=5000.0)
    run_until(b, 5000.0)
    assert log_a == log_b and len(log_a) > 3000
    assert b.now == 5000.0


def test_far_entries_wait_in_buckets_and_peek_sees_them():
    """Far entries are not in SimPy's heap until their bucket comes; ``peek`` and ``pending`` see
    them; a run jumps over empty buckets; ``clear`` drops everything."""
    from sim.engine.clock import BUCKET

    env = Environment()
    seen = []
    after(env, 1.0, seen.append, "near")
    after(env, 10 * BUCKET + 0.5, seen.append, "far")
    after(env, 1000 * BUCKET, seen.append, "very far")
    assert len(env._queue) == 1 and len(env.pending()) == 3
    assert env.peek() == 1.0
    env.step()
    assert env.peek() == 10 * BUCKET + 0.5  # found across empty buckets
    env.run()
    assert seen == ["near", "far", "very far"] and env.now == 1000 * BUCKET
    after(env, 5 * BUCKET, seen.append, "x")
    env.clear()
    assert env.pending() == [] and env.peek() == float("inf")
