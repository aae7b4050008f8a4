"""What the list-append and rw-register workloads generate: simulated time, a serial store."""

import random
from collections import Counter, defaultdict, deque

import pytest

from faultline.core.errors import BadInputError
from faultline.core.generator import time_limit
from faultline.core.generator.testing import simulate
from faultline.core.op import INVOKE, OK
from faultline.dbs import DBS, Database, Image
from faultline.runner.spec import build_test
from faultline.workloads import WORKLOADS
from faultline.workloads.list_append import WORKLOAD as list_append
from faultline.workloads.rw_register import WORKLOAD as rw_register
from faultline.workloads.txn_support import keys_touched, models_for

WORKLOAD_PARAMS = pytest.mark.parametrize("workload, write_f",
                                          [(list_append, "append"), (rw_register, "w")])


def serial_store(stale_fraction=0.0, lag=30, seed=0):
    """complete(invoke) applying each transaction atomically at its completion. With
    ``stale_fraction``, that share of the read-only transactions reads the state as it
    was ``lag`` writing transactions ago instead (a stale snapshot)."""
    state, past, rng = {}, deque(maxlen=lag), random.Random(seed)

    def complete(inv):
        read_only = all(f == "r" for f, _, _ in inv.value)
        seen = state
        if read_only and past and rng.random() < stale_fraction:
            seen = past[0]
        elif not read_only and stale_fraction:
            past.append(dict(state))  # values are immutable: a shallow copy is a snapshot
        out = []
        for f, k, v in inv.value:
            if f == "r":
                found = seen.get(k)
                out.append([f, k, list(found) if isinstance(found, tuple) else found])
            elif f == "append":
                state[k] = (*state.get(k, ()), v)
                out.append([f, k, v])
            else:
                state[k] = v
                out.append([f, k, v])
        return OK, out
    return complete


def run(workload, test, seconds=2.0, seed=0, concurrency=10, store=None):
    return simulate(time_limit(seconds, workload.generator(test)), concurrency=concurrency,
                    complete=store or serial_store(), seed=seed, latency_s=0.005)


def invokes(history):
    return [op for op in history if op.type == INVOKE]


def test_both_workloads_are_registered_with_shared_options():
    assert WORKLOADS.get("list-append") is list_append
    assert WORKLOADS.get("rw-register") is rw_register
    assert list_append.options == rw_register.options


@WORKLOAD_PARAMS
def test_txns_have_one_to_max_mops_of_reads_and_the_workloads_write(workload, write_f):
    h = invokes(run(workload, {"max_txn_length": 3}))
    assert all(op.f == "txn" and op.key is None for op in h)
    lengths = Counter(len(op.value) for op in h)
    assert set(lengths) == {1, 2, 3}
    fs = Counter(mop[0] for op in h for mop in op.value)
    assert set(fs) == {"r", write_f}
    assert 0.4 < fs["r"] / sum(fs.values()) < 0.6
    assert all(mop[2] is None for op in h for mop in op.value if mop[0] == "r")


@WORKLOAD_PARAMS
def test_values_are_unique_per_key_and_keys_rotate(workload, write_f):
    h = invokes(run(workload, {"key_count": 3, "max_writes_per_key": 10}))
    written = defaultdict(list)
    for op in h:
        for f, k, v in op.value:
            if f == write_f:
                written[k].append(v)
    assert len(written) > 10  # far more keys than the 3 active ones
    for values in written.values():
        assert len(values) == len(set(values))
        assert sorted(values) == list(range(1, len(values) + 1))
        assert len(values) <= 10
    # every retired key got exactly its writes (only the last few keys are still active)
    assert sum(len(v) == 10 for v in written.values()) >= len(written) - 3


def test_at_most_key_count_keys_are_active_at_once():
    h = invokes(run(list_append, {"key_count": 2, "max_writes_per_key": 5}, seconds=0.5))
    first, last = {}, {}
    for i, op in enumerate(h):
        for _, k, _ in op.value:
            first.setdefault(k, i)
            last[k] = i
    for i in range(len(h)):  # between txn i and i + 1, keys used before and after: active
        assert sum(first[k] <= i < last[k] for k in first) <= 2


def test_read_fraction_extremes():
    h = invokes(run(list_append, {"read_fraction": 1.0}, seconds=0.3))
    assert all(mop[0] == "r" for op in h for mop in op.value)
    h = invokes(run(list_append, {"read_fraction": 0.0}, seconds=0.3))
    assert all(mop[0] == "append" for op in h for mop in op.value)


def test_serial_store_reads_see_the_lists_appended_so_far():
    h = run(list_append, {"key_count": 2})
    reads = [mop for op in h if op.type == OK for mop in op.value if mop[0] == "r"]
    assert any(r[2] and len(r[2]) > 3 for r in reads)
    for _, k, found in reads:
        assert found is None or found == list(range(1, len(found) + 1))


@WORKLOAD_PARAMS
def test_same_seed_same_txns(workload, write_f):
    a = [op.value for op in invokes(run(workload, {}, 0.3, seed=5))]
    b = [op.value for op in invokes(run(workload, {}, 0.3, seed=5))]
    c = [op.value for op in invokes(run(workload, {}, 0.3, seed=6))]
    assert a == b and a != c


def test_final_generator_reads_every_key_in_txns_of_max_length():
    test = {"key_count": 3, "max_writes_per_key": 4, "max_txn_length": 4}
    h = run(list_append, test, seconds=0.5)
    keys = keys_touched(h)
    every = invokes(simulate(list_append.final_generator({**test, "nodes": 3, "concurrency": 3},
                                                         h), concurrency=3))
    final = [op for op in every if op.f == "txn"]
    read = [mop[1] for op in final for mop in op.value]
    assert sorted(read) == keys and len(keys) > 4
    assert all(1 <= len(op.value) <= 4 for op in final)
    assert all(mop[0] == "r" and mop[2] is None for op in final for mop in op.value)
    # then every member's copy of every key (one thread per member), in two rounds
    members = every[len(final):]
    assert {op.f for op in members} == {"member-read"}
    assert Counter((op.process, op.key) for op in members) == {
        (p, k): 2 for p in range(3) for k in keys}


@pytest.mark.parametrize("db, read_mode, expected", [
    ("etcd", "linearizable", ["strict-serializable"]),
    ("etcd", "serializable", ["strict-serializable"]),
    ("zookeeper", "sync", ["strict-serializable"]),
    ("zookeeper", "plain", ["serializable"]),
    ("mydb", "whatever", ["strict-serializable"]),
])
def test_default_models_per_db_and_read_mode(db, read_mode, expected):
    assert models_for({"db": db, "read_mode": read_mode}) == expected


def test_the_default_models_are_what_the_db_descriptor_promises():
    promising = Database(
        name="promisedb", version="0", client_port=1, peer_ports=(),
        images={"default": Image("promisedb", "faultline/promisedb:0", "p/Dockerfile", ("p",))},
        launcher="/bin/true", read_modes=("fast", "safe"), transports=("memory",), clients={},
        probe_healthy=lambda host, port: True, probe_status=lambda host, port: None,
        pick_leader=lambda statuses: None,
        txn_models={"fast": ("read-committed",), "safe": ("serializable", "snapshot-isolation")})
    with DBS.registered(promising):
        assert models_for({"db": "promisedb", "read_mode": "safe"}) == [
            "serializable", "snapshot-isolation"]
        assert models_for({"db": "promisedb", "read_mode": "fast"}) == ["read-committed"]
        assert models_for({"db": "promisedb", "read_mode": "other"}) == ["strict-serializable"]


def test_consistency_models_option_overrides_the_default():
    test = {"db": "etcd", "read_mode": "linearizable",
            "consistency_models": "serializable, snapshot-isolation"}
    assert models_for(test) == ["serializable", "snapshot-isolation"]


@pytest.mark.parametrize("workload", ["list-append", "rw-register"])
def test_spec_takes_the_options_and_records_defaults(workload):
    plan = build_test({"db": "etcd", "workload": workload, "key_count": 4})
    assert plan.spec["key_count"] == 4
    assert plan.spec["max_writes_per_key"] == 32 and plan.spec["max_txn_length"] == 4
    assert plan.spec["consistency_models"] == ""
    assert models_for(plan.spec) == ["strict-serializable"]


@WORKLOAD_PARAMS
def test_checker_finds_a_serial_store_strict_serializable(workload, write_f):
    test = {"db": "etcd", "read_mode": "linearizable"}
    result = workload.checker(test).check(test, run(workload, test), {})
    assert result.valid is True, result.data.get("anomaly_types")
    assert result.data["models"] == ["strict-serializable"]


def test_checker_flags_stale_read_only_txns_as_realtime_anomalies_not_serializability():
    test = {"db": "etcd", "read_mode": "serializable"}
    history = run(list_append, test, store=serial_store(stale_fraction=0.3))
    result = list_append.checker(test).check(test, history, {})
    assert result.valid is False
    assert result.data["anomaly_types"]
    assert all(t.endswith("-realtime") for t in result.data["anomaly_types"])
    # stale but consistent snapshots: serializable still holds (ZooKeeper plain's default)
    plain = {"db": "zookeeper", "read_mode": "plain"}
    assert list_append.checker(plain).check(plain, history, {}).valid is True


def test_an_unknown_consistency_model_is_refused_when_the_test_is_built():
    with pytest.raises(BadInputError, match="unknown consistency model 'strict-serialisable'"):
        build_test({"db": "etcd", "workload": "list-append",
                    "consistency_models": "serializable,strict-serialisable"})
    plan = build_test({"db": "etcd", "workload": "list-append",
                       "consistency_models": "snapshot-isolation, strong-serializable"})
    assert models_for(plan.spec) == ["snapshot-isolation", "strong-serializable"]
