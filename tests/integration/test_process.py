"""Kill and pause on real 3-node etcd and ZooKeeper clusters: the effect, not the command.

One cluster per db for the module; every test restores the cluster (teardown) and checks
that no server is left paused or dead and every node serves.
"""

from __future__ import annotations

import random

import pytest

import nodekv
from faultline.faults import KillNemesis, PauseNemesis
from support import eventually, invoke, wait_until

pytestmark = pytest.mark.integration


@pytest.fixture
def test_map(cluster, tmp_path):
    return {"cluster": cluster, "seed": 3, "run_dir": str(tmp_path)}


def assert_whole(cluster):
    """Every server running (none paused, none dead) and serving linearizable reads."""
    for node in cluster.nodes:
        assert cluster.server_state(node) == "running", node
    nodekv.wait_all_serve(cluster)


def test_a_killed_node_comes_back_with_its_data(cluster, test_map):
    nem = KillNemesis()
    nem.setup(test_map)
    value = f"v{random.randrange(10**9)}"
    eventually(lambda: nodekv.put(cluster, cluster.nodes[0], "durable", value), 30,
               "the first write")
    try:
        one = invoke(nem, test_map, "kill", "one")
        assert one.value["signal"] == "SIGKILL" and len(one.value["nodes"]) == 1
        victim = one.value["nodes"][0]
        assert cluster.server_state(victim) == "stopped"
        assert not nodekv.serves(cluster, victim, "durable", timeout=1)
        survivors = [n for n in cluster.nodes if n != victim]
        eventually(lambda: nodekv.put(cluster, survivors[0], "later", value), 30,
                   "a write while one node is dead")
        # Then everyone dies: only what was on disk can come back.
        rest = invoke(nem, test_map, "kill", "all")
        assert sorted(rest.value["nodes"]) == survivors  # the dead one is not killed twice
        assert all(cluster.server_state(n) == "stopped" for n in cluster.nodes)
        started = invoke(nem, test_map, "start")
        assert sorted(started.value["nodes"]) == cluster.nodes
        assert eventually(lambda: nodekv.get(cluster, victim, "durable"), 60,
                          f"{victim} to serve after restart") == value
        assert nodekv.get(cluster, victim, "later") == value
    finally:
        nem.teardown(test_map)
    assert_whole(cluster)


def test_a_paused_leader_is_replaced(cluster, test_map):
    nem = PauseNemesis()
    nem.setup(test_map)
    wait_until(lambda: cluster.leader() is not None, 30, "a leader")
    try:
        old = cluster.leader()
        done = invoke(nem, test_map, "pause", "leader")
        assert done.value == {"target": "leader", "nodes": [old], "signal": "SIGSTOP"}
        assert cluster.server_state(old) == "paused"
        others = [n for n in cluster.nodes if n != old]
        wait_until(lambda: cluster.leader() in others, 40, "a new leader")
        eventually(lambda: nodekv.put(cluster, others[0], "paused", "yes"), 20,
                   "a write under the new leader")
        assert not nodekv.serves(cluster, old, "paused", timeout=1)
        resumed = invoke(nem, test_map, "resume")
        assert resumed.value == {"nodes": [old], "action": "resume"}
        assert eventually(lambda: nodekv.get(cluster, old, "paused"), 60,
                          f"{old} to catch up") == "yes"
    finally:
        nem.teardown(test_map)
    assert_whole(cluster)


def test_teardown_restores_nodes_left_paused_and_dead(cluster, test_map):
    kill, pause = KillNemesis(), PauseNemesis()
    kill.setup(test_map)
    pause.setup(test_map)
    killed = invoke(kill, test_map, "kill", "minority").value["nodes"]
    paused = invoke(pause, test_map, "pause", "all").value["nodes"]
    assert killed and len(paused) == 3
    pause.teardown(test_map)
    kill.teardown(test_map)
    assert_whole(cluster)
