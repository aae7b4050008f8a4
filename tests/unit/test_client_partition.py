"""The client-partition fault without Docker: the scripts it runs on each node, the nodes it
chooses, its ops in a package's schedule, its record in faults.json and its heal."""

import pytest

from faultline.cluster.client_partition import (HEAL_SCRIPT, IN_CHAIN, OUT_CHAIN, ClientPartitioner,
                                                client_partitioner_for, cut_script)
from faultline.cluster.partition import HEAL_SCRIPT as PARTITION_HEAL, LIST_SCRIPT as PARTITION_LIST
from faultline.cluster.partition import PROBE_SCRIPT, partition_script
from faultline.core.errors import PreflightError
from faultline.core.generator import time_limit
from faultline.core.generator.testing import simulate
from faultline.core.op import INVOKE, NEMESIS, Op
from faultline.faults import FAULTS, package
from faultline.faults.client_partition import (FAULT, START, STOP, ClientPartitionNemesis, check,
                                               client_port)
from faultline.faults.record import FaultRecord, read

NS = 1_000_000_000


class ScriptCluster:
    """Records every script run on a node; answers the iptables probe per node."""

    name = "faultline-fake"

    def __init__(self, db="zookeeper", iptables_ok=("n1", "n2", "n3"), leader="n2"):
        self.db = db
        self.nodes = ["n1", "n2", "n3"]
        self.iptables_ok = set(iptables_ok)
        self.scripts: list[tuple[str, str]] = []
        self._leader = leader

    def leader(self):
        return self._leader

    def peer_ip(self, node):
        return f"10.9.0.{self.nodes.index(node) + 2}"

    def exec(self, node, argv, *, check=True):
        script = argv[2]
        if script == PROBE_SCRIPT:
            return 0, "yes\n" if node in self.iptables_ok else "no: iptables cannot change rules\n"
        self.scripts.append((node, script))
        return 0, ""


def invoke(f, value=None):
    return Op(type=INVOKE, f=f, value=value, process=NEMESIS)


# ---- the scripts ----------------------------------------------------------------------

def rules(script, chain):
    return [line.split(f"-A {chain} ", 1)[1] for line in script.splitlines() if f"-A {chain} " in line]


def test_the_cut_lets_loopback_and_peers_through_and_drops_the_client_port_both_ways():
    script = cut_script(["10.9.0.3", "10.9.0.2"], 2181)
    assert rules(script, IN_CHAIN) == [
        "-s 127.0.0.0/8 -j RETURN", "-s 10.9.0.2 -j RETURN", "-s 10.9.0.3 -j RETURN",
        "-p tcp --dport 2181 -j DROP"]
    assert rules(script, OUT_CHAIN) == [
        "-d 127.0.0.0/8 -j RETURN", "-d 10.9.0.2 -j RETURN", "-d 10.9.0.3 -j RETURN",
        "-p tcp --sport 2181 -j DROP"]
    # Jumped to from the top of INPUT and OUTPUT, each chain flushed first (a cut replaces one).
    assert f"iptables -w -I INPUT 1 -j {IN_CHAIN}" in script
    assert f"iptables -w -I OUTPUT 1 -j {OUT_CHAIN}" in script
    assert f"iptables -w -F {IN_CHAIN}" in script and f"iptables -w -F {OUT_CHAIN}" in script
    assert script.count("set -e") == 2
    # Every rule is in a chain of ours; nothing touches the built-in chains' own rules.
    changes = [line for line in script.splitlines() if line.startswith("iptables")]
    assert all(IN_CHAIN in line or OUT_CHAIN in line for line in changes)
    assert not any(f" -{op} INPUT " in script or f" -{op} OUTPUT " in script for op in "FXP")


def test_the_heal_removes_exactly_our_two_chains_and_their_jumps():
    assert f"iptables -w -D INPUT -j {IN_CHAIN}" in HEAL_SCRIPT
    assert f"iptables -w -D OUTPUT -j {OUT_CHAIN}" in HEAL_SCRIPT
    assert f"iptables -w -X {IN_CHAIN}" in HEAL_SCRIPT and f"iptables -w -X {OUT_CHAIN}" in HEAL_SCRIPT
    assert "-F INPUT" not in HEAL_SCRIPT and "-F OUTPUT" not in HEAL_SCRIPT
    # Each half in a subshell joined by &&: a half that fails fails the heal.
    assert HEAL_SCRIPT.startswith("(") and ") && (" in HEAL_SCRIPT and HEAL_SCRIPT.endswith(")")


def test_the_partition_scripts_are_the_shared_chain_helpers_on_their_own_chain():
    assert partition_script(["10.0.0.2"]).splitlines()[-1] == "iptables -w -A FAULTLINE -s 10.0.0.2 -j DROP"
    assert "FAULTLINE-CLIENT" not in PARTITION_HEAL
    # The partition's listing matches its own jump only, not ours (FAULTLINE-CLIENT-IN).
    assert "grep -- '-j FAULTLINE$'" in PARTITION_LIST


# ---- the mechanism ------------------------------------------------------------------------

def test_the_partitioner_cuts_the_chosen_nodes_and_heals_the_others():
    cluster = ScriptCluster()
    ClientPartitioner(cluster).cut(["n2"], 2379)
    by_node = dict(cluster.scripts)
    assert by_node["n2"] == cut_script(["10.9.0.2", "10.9.0.3", "10.9.0.4"], 2379)
    assert by_node["n1"] == by_node["n3"] == HEAL_SCRIPT
    with pytest.raises(ValueError, match="unknown nodes"):
        ClientPartitioner(cluster).cut(["n9"], 2379)
    assert client_partitioner_for(object()) is None


# ---- the nemesis ---------------------------------------------------------------------------

def test_start_records_before_cutting_the_target_and_stop_heals_every_node(tmp_path):
    cluster = ScriptCluster()
    record = FaultRecord()
    record.open(cluster, tmp_path)
    seen = []

    class Watching(ScriptCluster):
        def exec(self, node, argv, *, check=True):
            if argv[2].startswith("set -e"):
                seen.append(read(tmp_path)["active"].get("client-partition"))
            return super().exec(node, argv, check=check)

    cluster = Watching()
    test = {"cluster": cluster, "seed": 5}
    nem = ClientPartitionNemesis(record=record)
    nem.setup(test)
    done = nem.invoke(test, invoke(START, {"target": "leader"}))
    assert done.error is None and done.value == {"target": "leader", "nodes": ["n2"], "port": 2181}
    assert seen == [{"nodes": ["n2"], "port": 2181}]  # on record before the rules went in
    assert "--dport 2181" in dict(cluster.scripts)["n2"]
    cluster.scripts.clear()
    assert nem.invoke(test, invoke(STOP)).value == {"healed": True}
    assert sorted(cluster.scripts) == [(n, HEAL_SCRIPT) for n in cluster.nodes]
    assert "client-partition" not in read(tmp_path)["active"]


def test_the_port_is_the_db_descriptors_client_port():
    assert client_port(ScriptCluster("etcd")) == 2379 and client_port(ScriptCluster()) == 2181
    with pytest.raises(PreflightError, match="client port is unknown"):
        client_port(ScriptCluster("mysql"))


def test_nodes_are_chosen_by_target_or_named_and_nothing_is_cut_without_one():
    cluster = ScriptCluster(leader=None)
    test = {"cluster": cluster, "seed": 5}
    nem = ClientPartitionNemesis()
    nem.setup(test)
    assert nem.invoke(test, invoke(START, {"nodes": ["n3", "n1"]})).value["nodes"] == ["n1", "n3"]
    assert len(nem.invoke(test, invoke(START, {"target": "majority"})).value["nodes"]) == 2
    cluster.scripts.clear()
    for value in ({"target": "leader"}, {"nodes": ["n1", "n9"]}):
        done = nem.invoke(test, invoke(START, value))
        assert "nothing cut" in done.error and done.value["nodes"] == []
    assert cluster.scripts == []


def test_the_same_seed_chooses_the_same_nodes():
    def chosen(seed):
        cluster = ScriptCluster()
        test = {"cluster": cluster, "seed": seed}
        nem = ClientPartitionNemesis(["one"])
        nem.setup(test)
        return [nem.invoke(test, invoke(START, {})).value["nodes"] for _ in range(6)]
    assert chosen(3) == chosen(3)
    assert {n for ns in chosen(3) + chosen(4) for n in ns} == {"n1", "n2", "n3"}


def test_preflight_names_the_nodes_that_cannot_and_teardown_heals_without_setup():
    nem = ClientPartitionNemesis()
    assert check(ScriptCluster(), nem) == "iptables"
    with pytest.raises(PreflightError, match="n1, n3: iptables cannot change rules"):
        check(ScriptCluster(iptables_ok=["n2"]), nem)
    with pytest.raises(PreflightError, match="cannot cut their clients"):
        nem.setup({"cluster": object()})
    cluster = ScriptCluster()
    ClientPartitionNemesis().teardown({"cluster": cluster})
    assert sorted(cluster.scripts) == [(n, HEAL_SCRIPT) for n in cluster.nodes]


# ---- the registry: package, schedule, heal, legend -------------------------------------------

def test_registered_with_its_label_colour_and_rank():
    assert FAULTS.get("client-partition") is FAULT
    assert FAULT.label == "client partition" and FAULT.colour.startswith("#")
    assert FAULTS.get("partition").heal_rank < FAULT.heal_rank < FAULTS.get("packet").heal_rank
    assert FAULT.start_fs == {START} and FAULT.stop_fs == {STOP}


def test_a_package_schedules_start_and_stop_ops_drawn_from_its_targets():
    pkg = package(["client-partition"], {"interval": 1, "targets": "one,majority"})
    assert pkg.nemesis.fs() == {START, STOP}
    history = simulate(time_limit(6.5, pkg.generator), test={"seed": 3}, concurrency=0)
    ops = [op for op in history if op.type == INVOKE]
    assert [op.f for op in ops] == [START, STOP] * 3
    assert all(op.value["target"] in ("one", "majority") for op in ops if op.f == START)
    assert [round(op.time / NS) for op in ops] == [1, 2, 3, 4, 5, 6]
    final = [op.f for op in simulate(pkg.final_generator, concurrency=0) if op.type == INVOKE]
    assert final == [STOP]


def test_its_heal_removes_client_partitions_from_every_node_and_skips_other_clusters():
    cluster = ScriptCluster()
    assert FAULT.heal(cluster) == "healed"
    assert sorted(cluster.scripts) == [(n, HEAL_SCRIPT) for n in cluster.nodes]
    assert FAULT.heal(object()) is None
