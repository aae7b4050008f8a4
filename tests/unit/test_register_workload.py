"""The register workload's generator and checker, with simulated time and fake registers."""

from collections import Counter, defaultdict

from faultline.fakes import FakeRegisters
from faultline.core.generator import time_limit
from faultline.core.generator.testing import simulate
from faultline.core.op import INVOKE
from faultline.workloads.register import WORKLOAD as register


def run(test, seconds=2.0, registers=None, seed=0):
    regs = registers or FakeRegisters()

    def complete(inv):
        done = regs.apply(inv)
        return done.type, done.value
    return simulate(time_limit(seconds, register.generator(test)),
                    concurrency=test["concurrency"], complete=complete, seed=seed,
                    latency_s=0.005)


def test_keys_get_a_bounded_number_of_ops_and_are_replaced():
    h = run({"concurrency": 10, "ops_per_key": 30})
    per_key = Counter(op.key for op in h if op.type == INVOKE)
    assert len(per_key) > 5
    assert max(per_key.values()) == 30
    # about THREADS_PER_KEY processes contend on each of the active keys
    assert len({op.key for op in h if op.type == INVOKE and op.time == 0}) == 2


def test_written_values_are_unique_per_key_and_ops_are_mixed():
    h = run({"concurrency": 10, "ops_per_key": 100})
    written = defaultdict(list)
    for op in h:
        if op.type == INVOKE and op.f == "write":
            written[op.key].append(op.value)
        if op.type == INVOKE and op.f == "cas":
            written[op.key].append(op.value[1])
    for values in written.values():
        assert len(values) == len(set(values))
    fs = Counter(op.f for op in h if op.type == INVOKE)
    assert set(fs) == {"read", "write", "cas"} and min(fs.values()) > len(h) / 10


def test_cas_often_succeeds():
    h = run({"concurrency": 5, "ops_per_key": 200})
    cas = [op.type for op in h if op.f == "cas" and op.type != INVOKE]
    assert cas.count("ok") > len(cas) / 5


def test_final_generator_reads_every_key_once_then_every_members_copy_twice():
    h = run({"concurrency": 5, "ops_per_key": 20}, seconds=0.5)
    keys = {op.key for op in h}
    final = simulate(register.final_generator({"nodes": 3, "concurrency": 3}, h), concurrency=3)
    invoked = [op for op in final if op.type == INVOKE]
    reads = [op.key for op in invoked if op.f == "read"]
    assert sorted(reads) == sorted(keys)
    members = [op for op in invoked if op.f != "read"]
    assert {op.f for op in members} == {"member-read"}
    # each of the 3 threads (one per member) reads every key, in two rounds
    assert Counter((op.process, op.key) for op in members) == {
        (p, k): 2 for p in range(3) for k in keys}
    assert invoked.index(members[0]) == len(reads)  # after the final reads


def test_checker_valid_on_a_linearizable_store_invalid_on_stale_reads():
    test = {"concurrency": 10, "ops_per_key": 50}
    assert register.checker(test).check(test, run(test), {}).valid is True
    bad = run(test, registers=FakeRegisters(stale_reads=0.3, seed=1))
    result = register.checker(test).check(test, bad, {})
    assert result.valid is False
    assert result.data["counterexample"]["op"] is not None


def test_same_seed_same_ops():
    test = {"concurrency": 4, "ops_per_key": 10}
    a = [(o.f, o.key, o.value) for o in run(test, 0.3, seed=7)]
    b = [(o.f, o.key, o.value) for o in run(test, 0.3, seed=7)]
    assert a == b
