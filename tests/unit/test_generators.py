"""Generators and combinators, run against simulated time (no asyncio, no database)."""

import pytest

from faultline.core.errors import BadInputError
from faultline.core.generator import (
    PENDING, Context, any_of, as_generator, both, concat, cycle, delay, fn, initial_context, limit, mix,
    nemesis, once, phases, repeat, sleep, stagger, time_limit,
)
from faultline.core.generator.testing import simulate
from faultline.core.op import INFO, INVOKE, NEMESIS

MS = 1_000_000


def invokes(history):
    return [op for op in history if op.type == INVOKE]


def test_plain_dict_is_once_and_fills_process_and_time():
    ctx = initial_context(2, seed=1, time=5)
    op, rest = as_generator({"f": "read"}).op({}, ctx)
    assert op["f"] == "read" and op["time"] == 5 and op["process"] in (0, 1)
    assert rest is None


def test_unrouted_ops_never_go_to_the_nemesis():
    h = simulate(limit(20, repeat({"f": "read"})), concurrency=2, latency_s=0.01)
    assert {op.process for op in h} <= {0, 1}


def test_limit_and_repeat_count_ops():
    assert len(invokes(simulate(limit(7, repeat({"f": "w"})), concurrency=3))) == 7
    assert len(invokes(simulate(repeat({"f": "w"}, 4), concurrency=3))) == 4


def test_pending_when_no_process_free():
    ctx = initial_context(1, nemesis=False)
    none_free = Context(0, ctx.rng, ctx.workers, ())
    op, _ = once({"f": "read"}).op({}, none_free)
    assert op is PENDING


def test_generators_are_immutable_values():
    g = limit(3, repeat(fn(lambda t, c: {"f": "w", "value": c.rng.randrange(100)})))
    ctx1, ctx2 = initial_context(2, seed=9), initial_context(2, seed=9)
    a, a2 = g.op({}, ctx1)
    b, b2 = g.op({}, ctx2)  # the same value asked again, same RNG state: same answer
    assert a == b and a2 == b2


def test_same_seed_same_history_different_seed_differs():
    def gen():
        return time_limit(1, mix([repeat({"f": "read"}),
                                  fn(lambda t, c: {"f": "write", "value": c.rng.randrange(10**6)})]))
    h1 = [(o.type, o.f, o.value, o.process, o.time) for o in simulate(gen(), seed=3)]
    h2 = [(o.type, o.f, o.value, o.process, o.time) for o in simulate(gen(), seed=3)]
    h3 = [(o.type, o.f, o.value, o.process, o.time) for o in simulate(gen(), seed=4)]
    assert h1 == h2 and h1 != h3


def test_mix_draws_from_every_child():
    h = simulate(limit(200, mix([repeat({"f": "a"}), repeat({"f": "b"})])), concurrency=4)
    fs = [op.f for op in invokes(h)]
    assert 60 < fs.count("a") < 140 and fs.count("a") + fs.count("b") == 200


def test_time_limit_stops_issuing_at_the_deadline():
    h = simulate(time_limit(0.5, repeat({"f": "r"})), concurrency=2, latency_s=0.01)
    times = [op.time for op in invokes(h)]
    assert max(times) < 500 * MS and len(times) >= 90


def test_stagger_spaces_ops_at_the_mean_interval():
    h = simulate(time_limit(10, stagger(0.1, repeat({"f": "r"}))), concurrency=5,
                 latency_s=0.001)
    n = len(invokes(h))
    assert 70 <= n <= 130  # about one per 100 ms


def test_delay_spaces_ops_exactly():
    h = simulate(limit(4, delay(0.2, repeat({"f": "r"}))), concurrency=5, latency_s=0.001,
                 poll_s=0.001)
    times = [op.time for op in invokes(h)]
    assert [t - times[0] for t in times] == [0, 200 * MS, 400 * MS, 600 * MS]


def test_sleep_then_op():
    h = simulate(concat(sleep(0.3), {"f": "go"}), concurrency=1, poll_s=0.001)
    assert invokes(h)[0].time == 300 * MS


def test_phases_waits_for_in_flight_ops():
    h = simulate(phases(limit(3, repeat({"f": "slow"})), {"f": "next"}),
                 concurrency=3, latency_s=0.5)
    slow_done = max(op.time for op in h if op.f == "slow" and op.type != INVOKE)
    nxt = [op for op in invokes(h) if op.f == "next"][0]
    assert nxt.time >= slow_done


def test_cycle_restarts_a_finished_generator():
    h = simulate(limit(6, cycle([{"f": "a"}, {"f": "b"}])), concurrency=1)
    assert [op.f for op in invokes(h)] == ["a", "b"] * 3


def test_cycle_of_factory_and_of_empty_generator():
    calls = []

    def factory():
        calls.append(1)
        return [{"f": "x"}]
    simulate(limit(3, cycle(factory)), concurrency=1)
    assert len(calls) >= 3
    assert len(simulate(cycle([]), concurrency=1)) == 0


def test_routing_sends_nemesis_ops_to_the_nemesis_and_client_ops_to_clients():
    gen = time_limit(1, both(repeat({"f": "read"}),
                             cycle([sleep(0.2), {"f": "start"}, sleep(0.2), {"f": "stop"}])))
    h = simulate(gen, concurrency=2, latency_s=0.01, poll_s=0.001)
    nem = [op for op in h if op.process == NEMESIS]
    assert {op.f for op in nem} == {"start", "stop"}
    assert all(op.type in (INVOKE, INFO) for op in nem)
    assert all(op.process != NEMESIS for op in h if op.f == "read")
    starts = [op.time for op in nem if op.f == "start" and op.type == INVOKE]
    assert abs(starts[0] - 200 * MS) <= 2 * MS  # the nemesis' sleep is not starved by clients


def test_nemesis_only_generator_waits_for_the_nemesis_process():
    h = simulate(nemesis(limit(3, repeat({"f": "kill"}))), concurrency=2, latency_s=0.1)
    inv = invokes(h)
    assert [op.process for op in inv] == [NEMESIS] * 3
    assert inv[1].time >= 100 * MS  # one at a time


def test_any_of_ends_when_all_children_end():
    h = simulate(any_of(limit(2, repeat({"f": "a"})), limit(3, repeat({"f": "b"}))),
                 concurrency=5)
    fs = sorted(op.f for op in invokes(h))
    assert fs == ["a", "a", "b", "b", "b"]


def test_info_replaces_the_process():
    h = simulate(limit(4, repeat({"f": "w"})), concurrency=1,
                 complete=lambda inv: (INFO, None))
    assert [op.process for op in invokes(h)] == [0, 1, 2, 3]


def test_fn_ends_when_function_returns_none():
    values = iter([1, 2, None])

    def next_op(test, ctx):
        v = next(values)
        return None if v is None else {"f": "x", "value": v}
    h = simulate(fn(next_op), concurrency=1)
    assert [op.value for op in invokes(h)] == [1, 2]


@pytest.mark.parametrize("bad", [
    lambda: once({"value": 1}),
    lambda: limit(-1, {"f": "r"}),
    lambda: stagger(-1, {"f": "r"}),
    lambda: mix({"f": "r"}),
    lambda: fn(3),
    lambda: as_generator(42),
])
def test_bad_arguments_are_clear_errors(bad):
    with pytest.raises(BadInputError):
        bad()
