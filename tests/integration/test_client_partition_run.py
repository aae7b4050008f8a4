"""Client partitions on real 3-node etcd and ZooKeeper clusters: a cut node loses the
harness' clients while its peers still reach it and the cluster stays whole; the stop op,
and ``faultline cluster heal RUN_DIR`` after a crash, give the clients their node back."""

from __future__ import annotations

import socket

import pytest

import nodekv
from faultline import cli
from faultline.cluster.client_partition import client_partitioner_for
from faultline.faults import ClientPartitionNemesis
from faultline.faults.client_partition import START, STOP, client_port
from faultline.faults.record import read
from support import eventually, invoke, wait_until

pytestmark = pytest.mark.integration

PEER_PROBE = """
import socket, sys
host, port, db = sys.argv[1], int(sys.argv[2]), sys.argv[3]
request = b"srvr" if db == "zookeeper" else b"GET /health HTTP/1.0\\r\\n\\r\\n"
with socket.create_connection((host, port), timeout=3) as s:
    s.settimeout(3)
    s.sendall(request)
    data = b""
    while chunk := s.recv(4096):
        data += chunk
print("yes" if (b"Mode: " in data if db == "zookeeper" else b'"health":"true"' in data) else data)
"""
"""Run inside a peer's container: ``yes`` when the node at host:port serves its client
port to that peer (ZooKeeper's ``srvr`` names a mode, etcd's ``/health`` is true)."""


def reachable_from_harness(cluster, node) -> bool:
    try:
        socket.create_connection(cluster.address(node), timeout=2).close()
        return True
    except OSError:
        return False


def served_to_peer(cluster, node, peer) -> bool:
    _, out = cluster.exec(peer, ["python3", "-c", PEER_PROBE, cluster.peer_ip(node),
                                 str(client_port(cluster)), cluster.db], check=False)
    return out.strip() == "yes"


def assert_cut(cluster, cut, others):
    assert not reachable_from_harness(cluster, cut)
    assert not nodekv.serves(cluster, cut, "cp")
    # The cluster stays whole: the others take writes, and the cut node still serves
    # its peers (it is a member of the quorum, only the clients lost it).
    value = f"v-{cut}"
    eventually(lambda: nodekv.put(cluster, others[0], "cp", value), 30, "a write through a peer")
    assert nodekv.get(cluster, others[1], "cp") == value
    assert served_to_peer(cluster, cut, others[0])


def test_a_cut_node_loses_its_clients_not_its_peers_until_healed(cluster, tmp_path):
    test = {"cluster": cluster, "seed": 7, "run_dir": str(tmp_path)}
    cutter = client_partitioner_for(cluster)
    cut, others = cluster.nodes[0], cluster.nodes[1:]
    nem = ClientPartitionNemesis()
    nem.setup(test)
    try:
        done = invoke(nem, test, START, {"nodes": [cut]})
        assert done.error is None
        assert done.value == {"target": None, "nodes": [cut], "port": client_port(cluster)}
        assert read(tmp_path)["active"]["client-partition"]["nodes"] == [cut]
        assert cutter.rules(cut) and not cutter.rules(others[0])
        assert_cut(cluster, cut, others)
        assert invoke(nem, test, STOP).value == {"healed": True}
        assert read(tmp_path)["active"] == {}
        assert all(cutter.rules(n) == [] for n in cluster.nodes)
        assert eventually(lambda: nodekv.get(cluster, cut, "cp"), 30, f"{cut} to serve its clients") == f"v-{cut}"
    finally:
        nem.teardown(test)


def test_cluster_heal_removes_a_crashed_runs_client_partition(cluster, tmp_path):
    test = {"cluster": cluster, "seed": 7, "run_dir": str(tmp_path)}
    cutter = client_partitioner_for(cluster)
    cut = cluster.nodes[2]
    nem = ClientPartitionNemesis()
    nem.setup(test)
    invoke(nem, test, START, {"nodes": [cut]})  # and the harness "dies": no stop, no teardown
    wait_until(lambda: not reachable_from_harness(cluster, cut), 10, f"{cut} to be cut")
    assert cli.main(["cluster", "heal", str(tmp_path)]) == 0
    assert read(tmp_path)["active"] == {}
    assert all(cutter.rules(n) == [] for n in cluster.nodes)
    nodekv.wait_all_serve(cluster)
