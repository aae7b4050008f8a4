"""Partitions on real 3-node etcd and ZooKeeper clusters: the effect, not just the rules.

One cluster per db for the module. Each test drives the partition nemesis through its
ops, observes the cluster through single-node linearizable reads and writes, then heals
and waits until every node serves again, so the next test starts from a whole cluster.
"""

from __future__ import annotations

import json
import random
import socket

import pytest

import nodekv
from faultline import cli
from faultline.cluster.partition import partitioner_for
from faultline.faults import PartitionNemesis, package
from faultline.faults import grudges
from faultline.faults.record import read
from support import eventually, invoke, wait_until

pytestmark = pytest.mark.integration


@pytest.fixture
def test_map(cluster, tmp_path):
    return {"cluster": cluster, "seed": 7, "run_dir": str(tmp_path)}


def assert_whole(cluster):
    """No rule of ours on any node, and every node serves linearizable reads."""
    net = partitioner_for(cluster)
    for node in cluster.nodes:
        assert net.rules(node) == [], f"{node} keeps partition rules"
    nodekv.wait_all_serve(cluster)


def isolated_node(grudge_json, nodes):
    alone = [n for n in nodes if sorted(grudge_json.get(n, [])) == sorted(set(nodes) - {n})]
    assert len(alone) == 1, grudge_json
    return alone[0]


def test_isolated_node_stops_serving_while_the_majority_accepts_writes(cluster, test_map):
    nem = PartitionNemesis(["isolate"])
    nem.setup(test_map)
    try:
        done = invoke(nem, test_map, "start-partition", "isolate")
        assert done.error is None and done.value["shape"] == "isolate"
        alone = isolated_node(done.value["grudge"], cluster.nodes)
        majority = [n for n in cluster.nodes if n != alone]
        # The harness' own path stays open: the isolated node still accepts our TCP.
        socket.create_connection(cluster.address(alone), timeout=2).close()
        value = f"v{random.randrange(10**9)}"
        eventually(lambda: nodekv.put(cluster, majority[0], "part", value), 40,
                   "a write through the majority")
        assert nodekv.get(cluster, majority[1], "part") == value
        # ZooKeeper's follower notices the lost leader after syncLimit*tickTime (10 s).
        wait_until(lambda: not nodekv.serves(cluster, alone, "part"), 30,
                   f"isolated {alone} to stop serving linearizable reads")
        for _ in range(3):  # and it stays that way while the majority goes on
            assert not nodekv.serves(cluster, alone, "part")
            nodekv.put(cluster, majority[1], "part", value + "-again")
        assert read(test_map["run_dir"])["active"]["partition"]["grudge"] == done.value["grudge"]
        healed = invoke(nem, test_map, "stop-partition")
        assert healed.value == {"healed": True}
        assert read(test_map["run_dir"])["active"] == {}
        # Back in the cluster, the isolated node sees the majority's last write.
        assert eventually(lambda: nodekv.get(cluster, alone, "part"), 60,
                          f"{alone} to serve again") == value + "-again"
    finally:
        nem.teardown(test_map)
    assert_whole(cluster)


def test_isolating_the_leader_produces_a_new_leader(cluster, test_map):
    nem = PartitionNemesis(["isolate-leader"])
    nem.setup(test_map)
    old = None
    wait_until(lambda: cluster.leader() is not None, 30, "a leader")
    try:
        old = cluster.leader()
        done = invoke(nem, test_map, "start-partition", "isolate-leader")
        assert isolated_node(done.value["grudge"], cluster.nodes) == old
        others = [n for n in cluster.nodes if n != old]
        # The deposed leader may claim leadership for a while; a leader of the majority
        # side that is not the old one is what we wait for.
        wait_until(lambda: cluster.leader() in others, 40, "a new leader among the majority")
        eventually(lambda: nodekv.put(cluster, others[0], "lead", "new"), 20,
                   "a write under the new leader")
    finally:
        nem.teardown(test_map)
    assert_whole(cluster)


def test_every_shape_installs_exactly_its_grudge_and_heal_removes_it(cluster, test_map):
    """Rules as iptables lists them, per node, match the grudge the op reports."""
    net = partitioner_for(cluster)
    ips = {n: cluster.peer_ip(n) for n in cluster.nodes}
    nem = PartitionNemesis()
    nem.setup(test_map)
    try:
        for shape in ["majorities-ring", "bridge", "random-halves", "halves"]:
            done = invoke(nem, test_map, "start-partition", shape)
            assert done.error is None, done.error
            for node in cluster.nodes:
                dropped = sorted(line.split()[3].removesuffix("/32") for line in net.rules(node)
                                 if "-j DROP" in line)
                assert dropped == sorted(ips[p] for p in done.value["grudge"].get(node, [])), \
                    (shape, node, json.dumps(done.value))
            if shape == "majorities-ring":
                seen = grudges.views(cluster.nodes, grudges.from_json(done.value["grudge"]))
                assert len(set(seen.values())) == len(cluster.nodes)
    finally:
        nem.teardown(test_map)
    assert_whole(cluster)


def test_a_partition_left_by_a_killed_harness_is_healed_from_its_record(cluster, test_map):
    """``faultline cluster heal RUN_DIR`` undoes what faults.json lists; so does the
    next run's setup against the same cluster."""
    net = partitioner_for(cluster)
    for heal in ("cli", "next run"):
        crashed = package(["partition"], {"partitions": ["halves"]}).nemesis
        crashed.setup(test_map)
        invoke(crashed, test_map, "start-partition", "halves")  # ... and the harness dies here
        assert "partition" in read(test_map["run_dir"])["active"]
        assert any(net.rules(n) for n in cluster.nodes)
        if heal == "cli":
            assert cli.main(["cluster", "heal", test_map["run_dir"]]) == 0
            assert read(test_map["run_dir"])["active"] == {}
        else:
            following = package(["partition", "kill"]).nemesis
            following.setup(test_map)
            following.teardown(test_map)
        assert all(net.rules(n) == [] for n in cluster.nodes), heal
    assert_whole(cluster)
