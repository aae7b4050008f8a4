"""Nemesis schedules, packages and the composed nemesis, against a fake cluster (no Docker)."""

import json
import random

import pytest

from faultline.core.errors import BadInputError, PreflightError
from faultline.core.generator import phases, time_limit
from faultline.core.generator.testing import simulate
from faultline.core.history import History
from faultline.core.op import INFO, INVOKE, NEMESIS, Op
from faultline.faults import FAULTS, fault_intervals, package, process
from faultline.faults.partition import PartitionNemesis
from faultline.faults.record import FILENAME, FaultRecord, read

NS = 1_000_000_000


class FakeCluster:
    """Records every fault call; checks faults.json names a fault before it is applied."""

    db, name = "etcd", "faultline-fake"

    def __init__(self, run_dir=None, leader="n2"):
        self.nodes = ["n1", "n2", "n3"]
        self.calls = []
        self.run_dir = run_dir
        self._leader = leader
        self.fail_on = None

    def leader(self):
        return self._leader

    def _act(self, what, node, kind=None):
        if self.fail_on == what:
            raise RuntimeError(f"{what} broke")
        if kind and self.run_dir:
            assert node in read(self.run_dir)["active"][kind], f"{what} {node} not recorded first"
        self.calls.append((what, node))

    def kill(self, node): self._act("kill", node, "kill")
    def start(self, node): self._act("start", node)
    def pause(self, node): self._act("pause", node, "pause")
    def resume(self, node): self._act("resume", node)

    def partition(self, grudge):
        if self.run_dir:
            assert read(self.run_dir)["active"]["partition"]["grudge"], "partition not recorded first"
        self._act("partition", json.dumps({k: sorted(v) for k, v in sorted(grudge.items())}))

    def heal(self): self._act("heal", None)


def nemesis_ops(history):
    return [op for op in history if op.process == NEMESIS]


def test_schedule_alternates_start_and_stop_of_one_fault_at_a_time():
    pkg = package(["partition", "kill", "pause"], {"interval": 5})
    history = simulate(time_limit(200, pkg.generator), test={"seed": 3}, concurrency=0)
    invokes = [op for op in nemesis_ops(history) if op.type == INVOKE]
    assert len(invokes) >= 30
    starts = {"start-partition", "kill", "pause"}
    stop_of = {"start-partition": "stop-partition", "kill": "start", "pause": "resume"}
    for a, b in zip(invokes[0::2], invokes[1::2]):
        assert a.f in starts and b.f == stop_of[a.f]
    assert {op.f for op in invokes[0::2]} == starts  # every fault gets its turn
    times = [op.time for op in invokes]
    assert times[0] == pytest.approx(5 * NS, abs=0.05 * NS)
    gaps = [b - a for a, b in zip(times, times[1:])]
    assert all(abs(gap - 5 * NS) < 0.05 * NS for gap in gaps)


def test_schedule_draws_values_from_the_options_and_is_reproducible():
    opts = {"interval": 1, "partitions": ["bridge", "majorities-ring"], "targets": "leader,minority"}
    # Same test seed, different client load (so different ctx.rng draws): same faults.
    runs = [simulate(time_limit(60, package(["partition", "kill"], opts).generator),
                     test={"seed": 11}, concurrency=0, seed=seed) for seed in (1, 2)]
    assert [(o.f, o.value) for o in runs[0]] == [(o.f, o.value) for o in runs[1]]
    other = simulate(time_limit(60, package(["partition", "kill"], opts).generator),
                     test={"seed": 12}, concurrency=0)
    assert [(o.f, o.value) for o in other] != [(o.f, o.value) for o in runs[0]]
    values = {op.value for op in runs[0] if op.type == INVOKE and op.f in ("start-partition", "kill")}
    assert values <= {"bridge", "majorities-ring", "leader", "minority"} and len(values) >= 3


def test_final_generator_stops_every_fault_then_waits_for_recovery():
    pkg = package(["kill", "partition", "pause"], {"recovery": 7})
    history = simulate(phases(pkg.final_generator, {"f": "read", "value": None}), concurrency=1)
    stops = [op.f for op in nemesis_ops(history) if op.type == INVOKE]
    assert stops == ["resume", "start", "stop-partition"]  # by heal rank, not the order asked
    read_op = next(op for op in history if op.f == "read")
    assert read_op.time >= 7 * NS


def test_each_fault_names_its_start_and_stop_fs_and_they_are_its_nemesis_fs():
    assert FAULTS.get("pause").start_fs == {"pause"} and FAULTS.get("pause").stop_fs == {"resume"}
    assert FAULTS.get("partition").start_fs == {"start-partition"}
    for fault in FAULTS:
        part = fault.build({}, FaultRecord())
        assert part.nemesis.fs() == fault.start_fs | fault.stop_fs
        assert part.ops.stop["f"] in fault.stop_fs


@pytest.mark.parametrize("names, opts, message", [
    (["partition", "meteor"], {}, "unknown nemesis meteor"),
    ([], {}, "no nemesis named"),
    (["kill"], {"interval": 0}, "interval"),
    (["kill"], {"recovery": -1}, "recovery"),
    (["kill"], {"targets": ["president"]}, "targets: president"),
    (["partition"], {"partitions": "ring"}, "partitions: ring"),
])
def test_package_rejects_bad_requests_with_a_clear_message(names, opts, message):
    with pytest.raises(BadInputError, match=message):
        package(names, opts)


@pytest.mark.parametrize("n", [1, 3, 4, 5, 7])
def test_targets_have_the_sizes_their_names_promise(n):
    nodes = [f"n{i}" for i in range(1, n + 1)]
    rng = random.Random(n)
    assert len(process.select("one", nodes, rng)) == 1
    assert len(process.select("all", nodes, rng)) == n
    minority = process.select("minority", nodes, rng)
    majority = process.select("majority", nodes, rng)
    assert 2 * len(majority) > n and (n == 1 or 2 * len(minority) < n) and minority
    assert process.select("leader", nodes, rng, leader=nodes[-1]) == [nodes[-1]]
    assert process.select("leader", nodes, rng, leader=None) == []
    with pytest.raises(ValueError):
        process.select("half", nodes, rng)


def invoke(nem, test, f, value=None):
    return nem.invoke(test, Op(type=INVOKE, f=f, value=value, process=NEMESIS))


def test_composed_nemesis_records_faults_before_applying_and_heals_all(tmp_path):
    cluster = FakeCluster(run_dir=tmp_path)
    test = {"cluster": cluster, "seed": 1, "run_dir": str(tmp_path)}
    nem = package(["partition", "kill", "pause"]).nemesis
    nem.setup(test)
    # Setup repairs whatever an earlier run may have left: every node resumed and started.
    assert sorted(cluster.calls) == sorted([(w, n) for w in ("resume", "start") for n in cluster.nodes]
                                           + [("heal", None)])
    assert nem.found == {"pause": "Pausable", "kill": "Killable", "partition": "Partitionable"}
    cluster.calls.clear()
    assert read(tmp_path)["cluster"] == {"db": "etcd", "name": "faultline-fake",
                                         "nodes": ["n1", "n2", "n3"]}
    done = invoke(nem, test, "kill", "leader")
    assert done.type == INFO and done.value == {"target": "leader", "nodes": ["n2"], "signal": "SIGKILL"}
    done = invoke(nem, test, "pause", "majority")
    assert done.value["signal"] == "SIGSTOP" and len(done.value["nodes"]) == 2
    done = invoke(nem, test, "start-partition", "isolate-leader")
    assert done.value == {"shape": "isolate-leader",
                          "grudge": {"n1": ["n2"], "n2": ["n1", "n3"], "n3": ["n2"]}}
    assert set(read(tmp_path)["active"]) == {"kill", "pause", "partition"}
    nem.teardown(test)
    assert read(tmp_path)["active"] == {}
    heals = [what for what, _ in cluster.calls if what in ("resume", "start", "heal")]
    assert heals == ["resume", "resume", "start", "heal"]  # by heal rank: pause, kill, partition
    assert list(nem.parts) == ["pause", "kill", "partition"]


def test_teardown_carries_on_past_a_failing_part_and_reports_it(tmp_path):
    cluster = FakeCluster()
    test = {"cluster": cluster, "seed": 1}
    nem = package(["partition", "pause"]).nemesis
    nem.setup(test)
    cluster.calls.clear()
    invoke(nem, test, "pause", "one")
    cluster.fail_on = "resume"
    with pytest.raises(RuntimeError, match="resume broke"):
        nem.teardown(test)
    assert cluster.calls[-1] == ("heal", None)  # the partition part still healed


def test_stop_restores_every_broken_node_and_says_which():
    cluster = FakeCluster()
    test = {"cluster": cluster, "seed": 5}
    nem = process.KillNemesis()
    nem.setup(test)
    first = invoke(nem, test, "kill", "one").value["nodes"]
    second = invoke(nem, test, "kill", "all").value["nodes"]
    assert not set(first) & set(second) and set(first) | set(second) == set(cluster.nodes)
    again = invoke(nem, test, "kill", "all")
    assert again.value["nodes"] == [] and "already down" in again.error
    done = invoke(nem, test, "start")
    assert sorted(done.value["nodes"]) == cluster.nodes and done.value["action"] == "start"


def test_isolating_a_missing_leader_cuts_nothing_and_says_why():
    cluster = FakeCluster(leader=None)
    test = {"cluster": cluster}
    nem = PartitionNemesis()
    nem.setup(test)
    done = invoke(nem, test, "start-partition", "isolate-leader")
    assert done.value["grudge"] == {} and "no leader" in done.error
    assert cluster.calls == []


def test_setup_refuses_a_cluster_without_the_capability():
    class Bare:
        nodes = ["n1"]
    with pytest.raises(PreflightError, match="cannot kill"):
        process.KillNemesis().setup({"cluster": Bare()})
    with pytest.raises(PreflightError, match="cannot partition"):
        PartitionNemesis().setup({"cluster": Bare()})


def test_record_survives_as_json_and_rejects_other_files(tmp_path):
    record = FaultRecord()
    cluster = FakeCluster()
    cluster.backend = "compose"
    record.open(cluster, tmp_path)
    record.set("kill", ["n1"])
    data = json.loads((tmp_path / FILENAME).read_text())
    assert data["active"] == {"kill": ["n1"]}
    assert data["cluster"] == {"backend": "compose", "db": "etcd", "name": "faultline-fake",
                               "nodes": ["n1", "n2", "n3"]}  # what finds the cluster again
    (tmp_path / "other.json").write_text("[1, 2]")
    with pytest.raises(ValueError, match="not a fault record"):
        read(tmp_path / "other.json")
    with pytest.raises(ValueError, match="no fault record"):
        read(tmp_path / "missing")


def test_fault_intervals_run_from_applied_start_to_healed_stop():
    def nem(t, typ, f, value=None, error=None):
        return Op(type=typ, f=f, value=value, process=NEMESIS, time=int(t * NS), error=error)

    history = [
        nem(1, INVOKE, "kill", "one"), nem(1.5, INFO, "kill", {"nodes": ["n1"]}),
        Op(type=INVOKE, f="read", process=0, time=2 * NS),
        nem(3, INVOKE, "start"), nem(3.2, INFO, "start", {"nodes": ["n1"]}),
        nem(4, INVOKE, "start-partition", "isolate-leader"),
        nem(4.1, INFO, "start-partition", {"grudge": {}}, error="no leader to isolate; nothing cut"),
        nem(5, INVOKE, "stop-partition"), nem(5.3, INFO, "stop-partition", {"healed": True}),
        nem(6, INVOKE, "bump-clock", {}), nem(6.5, INFO, "bump-clock", {"offsets": {"n1": 3.0}}),
    ]
    assert fault_intervals(History(history)) == [
        {"fault": "kill", "start": 1.5, "stop": 3.2, "value": {"nodes": ["n1"]}},
        {"fault": "clock", "start": 6.5, "stop": None, "value": {"offsets": {"n1": 3.0}}},
    ]
    assert [i["fault"] for i in fault_intervals(history, [FAULTS.get("kill")])] == ["kill"]
