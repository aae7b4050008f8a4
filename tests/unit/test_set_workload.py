"""The set workload's generator, final read and checker, with simulated time and a fake set."""

from collections import Counter

import pytest

from faultline.core.errors import BadInputError
from faultline.core.generator import time_limit
from faultline.core.generator.testing import simulate
from faultline.core.op import INVOKE, OK
from faultline.runner.spec import build_test
from faultline.workloads import WORKLOADS
from faultline.workloads.set import WORKLOAD as set_workload


def set_store(forget=None):
    """complete(invoke) on one set applied at each completion; ``forget``: elements it
    drops some time after acknowledging them (a store that loses acknowledged adds)."""
    state, acked = set(), []

    def complete(inv):
        if inv.f == "add":
            state.add(inv.value)
            acked.append(inv.value)
            if forget and len(acked) > 20 and acked[-21] in forget:
                state.discard(acked[-21])
            return OK, inv.value
        return OK, sorted(state)
    return complete


def run(test, seconds=2.0, seed=0, store=None):
    gen = time_limit(seconds, set_workload.generator(test))
    return simulate(gen, concurrency=5, complete=store or set_store(), seed=seed,
                    latency_s=0.005)


def test_registered_with_its_options():
    assert WORKLOADS.get("set") is set_workload
    assert {o.name for o in set_workload.options} == {"set_read_fraction", "set_linearizable"}


def test_adds_are_unique_and_reads_come_at_the_read_fraction():
    ops = [op for op in run({"set_read_fraction": 0.25}) if op.type == INVOKE]
    fs = Counter(op.f for op in ops)
    assert set(fs) == {"add", "read"}
    assert 0.18 < fs["read"] / len(ops) < 0.32
    added = [op.value for op in ops if op.f == "add"]
    assert added == list(range(len(added)))  # unique, in generation order
    assert all(op.value is None and op.key is None for op in ops if op.f == "read")


def test_read_fraction_bounds():
    assert all(op.f == "add" for op in run({"set_read_fraction": 0}, 0.5) if op.type == INVOKE)
    assert all(op.f == "read" for op in run({"set_read_fraction": 1}, 0.5) if op.type == INVOKE)


def test_same_seed_same_ops():
    a = [(o.f, o.value, o.process) for o in run({}, 0.5, seed=3)]
    b = [(o.f, o.value, o.process) for o in run({}, 0.5, seed=3)]
    assert a == b


def test_final_generator_reads_the_whole_set_then_each_member_twice():
    test = {"nodes": 3, "concurrency": 5}
    final = simulate(set_workload.final_generator(test, run({}, 0.3)), concurrency=5)
    invokes = [op for op in final if op.type == INVOKE]
    assert invokes[0].f == "read"
    members = [op for op in invokes if op.f == "member-read"]
    # threads 0, 1, 2 (one per node: thread t talks to node t % 3), in two rounds 1 s apart
    assert sorted(op.process for op in members) == [0, 0, 1, 1, 2, 2] and len(invokes) == 7
    rounds = sorted(op.time for op in members)
    assert rounds[3] - rounds[2] >= 1e9
    # fewer threads than nodes: only the members with a thread are read
    few = simulate(set_workload.final_generator({"nodes": 5, "concurrency": 2}, run({}, 0.1)),
                   concurrency=2)
    assert sorted(op.process for op in few if op.type == INVOKE and op.f == "member-read") \
        == [0, 0, 1, 1]


def test_checker_valid_on_a_correct_set_invalid_when_acknowledged_adds_go():
    test = {"set_read_fraction": 0.2}
    history = run(test)
    result = set_workload.checker(test).check(test, history, {})
    assert result.valid is True and result.data["counts"]["stable"] > 100
    lossy = run(test, store=set_store(forget={30, 31, 60}))
    result = set_workload.checker(test).check(test, lossy, {})
    assert result.valid is False
    assert result.data["elements"]["lost"] == "30-31, 60"


def test_set_linearizable_option_reaches_the_checker():
    assert set_workload.checker({}).set_full.linearizable is False
    assert set_workload.checker({"set_linearizable": True}).set_full.linearizable is True


def test_spec_takes_the_options_and_refuses_bad_ones():
    plan = build_test({"db": "etcd", "workload": "set", "set_read_fraction": 0.5})
    assert plan.spec["set_read_fraction"] == 0.5
    with pytest.raises(BadInputError, match="set-read-fraction"):
        build_test({"db": "etcd", "workload": "set", "set_read_fraction": 2})
    with pytest.raises(BadInputError, match="does not apply"):
        build_test({"db": "etcd", "workload": "register", "set_linearizable": True})
