"""Parsing health/leader answers of ZooKeeper and etcd (no Docker)."""

import json

from faultline.dbs.etcd.probes import EtcdStatus, etcd_leader, parse_etcd_health, parse_etcd_status
from faultline.dbs.zookeeper.probes import ZkStatus, parse_srvr, zk_leader

SRVR_LEADER = """Zookeeper version: 3.8.0-debian, built on 2024-06-16 UTC
Latency min/avg/max: 0/0.0/0
Received: 12
Sent: 11
Connections: 1
Outstanding: 0
Zxid: 0x200000003
Mode: leader
Node count: 5
Proposal sizes last/min/max: -1/-1/-1
"""


def test_parse_srvr_leader_and_not_serving():
    status = parse_srvr(SRVR_LEADER)
    assert status == ZkStatus("leader", 0x200000003)
    assert status.serving and status.epoch == 2
    down = parse_srvr("This ZooKeeper instance is not currently serving requests\n")
    assert down.mode is None and not down.serving


def test_zk_leader_prefers_the_newest_epoch_and_refuses_ties():
    old, new = ZkStatus("leader", 1 << 32), ZkStatus("leader", 2 << 32)
    follower = ZkStatus("follower", 2 << 32)
    assert zk_leader({"n1": old, "n2": new, "n3": follower}) == "n2"
    assert zk_leader({"n1": old, "n2": old, "n3": None}) is None
    assert zk_leader({"n1": follower, "n2": None, "n3": follower}) is None


def etcd_status_body(member, leader):
    return json.dumps({"header": {"member_id": member}, "leader": leader}).encode()


def test_parse_etcd_status_and_health():
    assert parse_etcd_status(etcd_status_body("11", "22")) == EtcdStatus("11", "22")
    assert parse_etcd_status(b"not json") is None
    assert parse_etcd_health(b'{"health":"true"}')
    assert not parse_etcd_health(b'{"health":"false"}')
    assert not parse_etcd_health(b"<html>")


def test_etcd_leader_needs_a_majority_of_all_nodes():
    a, b, c = "1", "2", "3"
    assert etcd_leader({"n1": EtcdStatus(a, b), "n2": EtcdStatus(b, b), "n3": None}) == "n2"
    # A lone node naming a stale leader is not enough.
    assert etcd_leader({"n1": EtcdStatus(a, c), "n2": None, "n3": None}) is None
    assert etcd_leader({"n1": EtcdStatus(a, "0"), "n2": EtcdStatus(b, "0"),
                        "n3": EtcdStatus(c, "0")}) is None
    # The majority names a leader whose own status is unknown: its name is unknown too.
    assert etcd_leader({"n1": EtcdStatus(a, c), "n2": EtcdStatus(b, c), "n3": None}) is None


def test_each_db_descriptor_answers_with_its_own_probes():
    from faultline.dbs import DBS

    zk_statuses = {"n1": ZkStatus("follower", 2 << 32), "n2": ZkStatus("leader", 2 << 32)}
    assert DBS.get("zookeeper").leader(zk_statuses) == "n2"
    etcd_statuses = {"n1": EtcdStatus("1", "2"), "n2": EtcdStatus("2", "2"), "n3": None}
    assert DBS.get("etcd").leader(etcd_statuses) == "n2"
    # Nothing listens on port 1: a probe says "not healthy", it does not raise.
    assert not DBS.get("etcd").healthy("127.0.0.1", 1)
    assert DBS.get("zookeeper").status("127.0.0.1", 1) is None
