"""The compose backend against real 3-node etcd and ZooKeeper clusters.

One cluster per db for the whole module (up+down costs seconds); the tests that change a
node (kill, pause) restore it and wait until it serves again before they finish.
"""

from __future__ import annotations

import base64
import http.client
import json
import os

import pytest
from kazoo.client import KazooClient

from faultline.backends.compose import ComposeCluster
from faultline.cluster import Cluster, Killable, Pausable, supports
from faultline.dbs.zookeeper.probes import zk_status
from faultline.core.errors import ClusterError, PreflightError
from support import DBS, leftovers, wait_until

pytestmark = pytest.mark.integration

# ---- reading and writing one key on one node, through each db's own protocol ----------

def etcd_call(cluster, node, path, doc):
    host, port = cluster.address(node)
    conn = http.client.HTTPConnection(host, port, timeout=5)
    try:
        conn.request("POST", path, body=json.dumps(doc))
        response = conn.getresponse()
        assert response.status == 200, response.read()
        return json.loads(response.read())
    finally:
        conn.close()


def b64(text: str) -> str:
    return base64.b64encode(text.encode()).decode()


def write(cluster, node, key, value):
    if cluster.db == "etcd":
        etcd_call(cluster, node, "/v3/kv/put", {"key": b64(key), "value": b64(value)})
        return
    with zk(cluster, node) as client:
        client.ensure_path(f"/{key}")
        client.set(f"/{key}", value.encode())


def read_local(cluster, node, key):
    """The value ``node`` itself holds (serializable read, no quorum round trip)."""
    if cluster.db == "etcd":
        kvs = etcd_call(cluster, node, "/v3/kv/range",
                        {"key": b64(key), "serializable": True}).get("kvs", [])
        return base64.b64decode(kvs[0]["value"]).decode() if kvs else None
    with zk(cluster, node) as client:   # a plain ZooKeeper read is served by the node
        return client.get(f"/{key}")[0].decode() if client.exists(f"/{key}") else None


class zk:
    def __init__(self, cluster, node):
        host, port = cluster.address(node)
        self.client = KazooClient(hosts=f"{host}:{port}", timeout=5)

    def __enter__(self):
        self.client.start(timeout=10)
        return self.client

    def __exit__(self, *exc):
        self.client.stop()
        self.client.close()


# ---- tests -------------------------------------------------------------------------------

def test_implements_cluster_killable_pausable(cluster):
    assert supports(cluster, Cluster) and supports(cluster, Killable) and supports(cluster, Pausable)
    assert cluster.nodes == ["n1", "n2", "n3"]


def test_every_node_serves_on_its_own_ip_and_one_leader(cluster):
    port = 2379 if cluster.db == "etcd" else 2181
    addresses = [cluster.address(n) for n in cluster.nodes]
    assert len({ip for ip, _ in addresses}) == 3
    assert all(p == port and ip == cluster.peer_ip(n) for n, (ip, p) in zip(cluster.nodes, addresses))
    assert all(cluster.healthy(n) for n in cluster.nodes)
    leader = cluster.leader()
    assert leader in cluster.nodes
    if cluster.db == "zookeeper":
        modes = sorted(zk_status(*cluster.address(n)).mode for n in cluster.nodes)
        assert modes == ["follower", "follower", "leader"]


def test_exec_runs_as_root_and_reports_failures(cluster):
    node = cluster.nodes[0]
    assert cluster.exec(node, ["id", "-u"]) == (0, "0\n")
    code, _ = cluster.exec(node, ["false"], check=False)
    assert code == 1
    with pytest.raises(ClusterError, match="exited 1"):
        cluster.exec(node, ["false"])
    # The images carry what fault helpers need.
    cluster.exec(node, ["sh", "-c", "command -v iptables && command -v ip && command -v python3"])
    assert cluster.exec(node, ["cat", "/run/faultline/faketime"])[1].strip() == "+0"


def test_killed_node_rejoins_with_its_data(cluster):
    victim = next(n for n in cluster.nodes if n != cluster.leader())
    other = next(n for n in cluster.nodes if n != victim)
    write(cluster, other, "before", "1")
    wait_until(lambda: read_local(cluster, victim, "before") == "1", what="replication")
    pid_before = cluster.exec(victim, ["cat", "/run/faultline/server.pid"])[1]

    cluster.kill(victim)
    cluster.kill(victim)        # killing a dead node is not an error
    assert cluster.server_state(victim) == "stopped"
    assert not cluster.healthy(victim)
    write(cluster, other, "during", "2")        # the majority still accepts writes

    cluster.start(victim)
    cluster.start(victim)       # starting a running node is not an error
    wait_until(lambda: cluster.healthy(victim), what=f"{victim} serving again")
    assert cluster.exec(victim, ["cat", "/run/faultline/server.pid"])[1] != pid_before
    wait_until(lambda: read_local(cluster, victim, "during") == "2", what="catch-up")
    assert read_local(cluster, victim, "before") == "1"
    wait_until(lambda: cluster.leader() is not None, what="a leader")


def test_pause_stops_serving_and_resume_restores(cluster):
    node = cluster.nodes[-1]
    cluster.pause(node)
    try:
        assert cluster.server_state(node) == "paused"
        assert not cluster.healthy(node)
        assert cluster.exec(node, ["true"])[0] == 0   # the container itself stays usable
    finally:
        cluster.resume(node)
    assert cluster.server_state(node) == "running"
    wait_until(lambda: cluster.healthy(node), what=f"{node} serving after resume")


def test_collect_logs(cluster, tmp_path):
    cluster.collect_logs(str(tmp_path))
    for node in cluster.nodes:
        files = {p.name for p in (tmp_path / node).iterdir()}
        assert {"server.log", "supervisor.log"} <= files
        assert ("etcd.args" if cluster.db == "etcd" else "zoo.cfg") in files
        assert (tmp_path / node / "server.log").stat().st_size > 0


def test_down_leaves_no_containers_or_network(cluster):
    assert leftovers(cluster.name)[0]
    cluster.down()
    cluster.down()              # idempotent
    assert leftovers(cluster.name) == ([], [])


# ---- failures: clear errors, nothing left behind ------------------------------------------

def test_missing_image_is_a_preflight_error():
    c = ComposeCluster("etcd", image="faultline/no-such-image:0")
    with pytest.raises(PreflightError, match="faultline images build"):
        c.up()
    assert leftovers(c.name) == ([], [])


def test_never_healthy_cluster_is_a_cluster_error_with_logs_and_no_leftovers(tmp_path):
    # etcd exits at once: its data dir cannot be created.
    c = ComposeCluster("etcd", env={"FAULTLINE_ETCD_ARGS": "--data-dir /proc/forbidden"},
                       up_timeout=5, workdir=str(tmp_path))
    with pytest.raises(ClusterError, match="not healthy.*cannot access data directory") as raised:
        c.up()
    assert set(raised.value.log_tails) == {"n1", "n2", "n3"}
    saved = tmp_path / f"{c.name}-failed-up"
    assert "cannot access data directory" in (saved / "n1" / "server.log").read_text()
    assert leftovers(c.name) == ([], [])


@pytest.mark.parametrize("db", DBS)
def test_five_nodes(db):
    with ComposeCluster(db, 5) as c:
        assert c.nodes == ["n1", "n2", "n3", "n4", "n5"]
        assert all(c.healthy(n) for n in c.nodes)
        assert c.leader() in c.nodes
    assert leftovers(c.name) == ([], [])


def test_cli_up_status_down(capsys):
    from faultline.cli import main

    name = f"faultline-clitest-{os.getpid()}"
    try:
        assert main(["cluster", "up", "--db", "etcd", "--name", name]) == 0
        assert f"{name}: etcd, leader n" in capsys.readouterr().out
        assert main(["cluster", "status", "--name", name]) == 0
        status = capsys.readouterr().out
        assert status.count("server running, serving") == 3
    finally:
        assert main(["cluster", "down", "--name", name]) == 0
    assert f"removed {name}" in capsys.readouterr().out
    assert leftovers(name) == ([], [])
    assert main(["cluster", "down", "--name", name]) == 0      # idempotent
