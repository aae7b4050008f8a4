"""Clock faults on real 3-node clusters: the skew shows where a stepped clock would.

ZooKeeper: the leader stamps every transaction's time, so a znode's mtime follows the
*leader's* clock: bumping the leader shifts mtimes, bumping a follower does not.
etcd (faultline/etcd-clock image): each node's HTTP ``Date`` header comes from its own
wall clock, so a bumped node's header moves and the others' do not.
After teardown every offset reads 0 and the cluster still serves.
"""

from __future__ import annotations

import email.utils
import threading
import http.client
import time
import uuid

import pytest
from kazoo.client import KazooClient

from faultline.backends.compose import ComposeCluster
from faultline.cluster.clock import FileClock
from faultline.core.errors import PreflightError
from faultline.faults.clock import BUMP, RESET, STROBE, ClockNemesis, check as clock_preflight
from support import nemesis_op, wait_healthy, wait_until

pytestmark = pytest.mark.integration

ETCD_CLOCK_IMAGE = "faultline/etcd-clock:3.4"
BUMP_S = 3600.0
TOLERANCE_S = 60.0


@pytest.fixture(scope="module")
def zk_cluster():
    c = ComposeCluster("zookeeper", 3)
    c.up()
    yield c
    c.down()


@pytest.fixture(scope="module")
def etcd_cluster():
    c = ComposeCluster("etcd", 3, image=ETCD_CLOCK_IMAGE)
    c.up()
    yield c
    c.down()


def run_nemesis(cluster, ops):
    """Set up a ClockNemesis, run ``ops`` (invocations) and always tear down."""
    test = {"cluster": cluster, "seed": 7}
    nemesis = ClockNemesis()
    nemesis.setup(test)
    try:
        return [nemesis.invoke(test, op) for op in ops]
    finally:
        nemesis.teardown(test)


# ---- ZooKeeper: znode mtime -------------------------------------------------------------

def zk_mtime_skew(cluster, node) -> float:
    """mtime of a fresh znode created through ``node`` minus the host's clock, seconds.

    Retries for a while: a clock step also steps the JVM's monotonic clock (libfaketime
    fakes both), so the skewed server may expire sessions or lose leadership first.
    """
    host, port = cluster.address(node)
    deadline = time.monotonic() + 30
    while True:
        client = KazooClient(hosts=f"{host}:{port}", timeout=10)
        try:
            client.start(timeout=20)
            path = f"/clock-{uuid.uuid4().hex[:8]}"
            before = time.time()
            client.create(path, b"x")
            _, stat = client.get(path)
            return stat.mtime / 1000 - before
        except Exception:  # noqa: BLE001 - session expired or connection lost: retry
            if time.monotonic() > deadline:
                raise
            time.sleep(0.5)
        finally:
            client.stop()
            client.close()


def stamped_by(cluster, through):
    """(leader before, mtime skew, leader after) of one znode created through ``through``."""
    before = cluster.leader()
    skew = zk_mtime_skew(cluster, through)
    return before, skew, cluster.leader()


def wait_for_leader(cluster):
    wait_until(lambda: cluster.leader() is not None and all(cluster.healthy(n) for n in cluster.nodes),
               timeout=60, what="a ZooKeeper leader and every node serving")


def test_zookeeper_skewed_follower_does_not_stamp_mtimes(zk_cluster):
    wait_for_leader(zk_cluster)
    leader = zk_cluster.leader()
    follower = next(n for n in zk_cluster.nodes if n != leader)
    test = {"cluster": zk_cluster, "seed": 1}
    nemesis = ClockNemesis()
    nemesis.setup(test)
    try:
        done = nemesis.invoke(test, nemesis_op(BUMP, {"nodes": [follower], "delta_s": BUMP_S}))
        assert done.value["offsets"] == {n: BUMP_S if n == follower else 0.0 for n in zk_cluster.nodes}
        before, skew, after = stamped_by(zk_cluster, follower)
        assert before == after == leader, "leadership moved during the test"
        assert abs(skew) < TOLERANCE_S, f"mtime skew {skew} s through a skewed follower"
    finally:
        nemesis.teardown(test)
    assert FileClock(zk_cluster).clock_offsets() == {n: 0.0 for n in zk_cluster.nodes}
    wait_for_leader(zk_cluster)


def test_zookeeper_skewed_leader_stamps_mtimes_and_reset_undoes_it(zk_cluster):
    wait_for_leader(zk_cluster)
    test = {"cluster": zk_cluster, "seed": 1}
    nemesis = ClockNemesis()
    nemesis.setup(test)
    seen = []
    try:
        # The leader stamps each transaction's time. A step may cost the skewed leader its
        # leadership (its monotonic clock jumps too); then skew the new leader as well.
        deadline = time.monotonic() + 90
        while time.monotonic() < deadline:
            leader = zk_cluster.leader()
            if leader is None:
                time.sleep(0.5)
                continue
            if FileClock(zk_cluster).clock_offset(leader) != BUMP_S:
                done = nemesis.invoke(test, nemesis_op(BUMP, {"nodes": [leader], "delta_s": BUMP_S}))
                assert done.value["offsets"][leader] == BUMP_S
            other = next(n for n in zk_cluster.nodes if n != leader)
            before, skew, after = stamped_by(zk_cluster, other)
            seen.append((before, round(skew, 1), after))
            if before == after == leader:
                break
        else:
            pytest.fail(f"leadership never held still long enough: {seen}")
        assert abs(skew - BUMP_S) < TOLERANCE_S, f"mtime skew {skew} s under a skewed leader ({seen})"

        done = nemesis.invoke(test, nemesis_op(RESET))
        assert done.value["offsets"] == {n: 0.0 for n in zk_cluster.nodes}
        wait_for_leader(zk_cluster)
        _, skew, _ = stamped_by(zk_cluster, zk_cluster.nodes[0])
        assert abs(skew) < TOLERANCE_S, f"mtime skew {skew} s after reset"
    finally:
        nemesis.teardown(test)
    assert FileClock(zk_cluster).clock_offsets() == {n: 0.0 for n in zk_cluster.nodes}
    wait_for_leader(zk_cluster)


# ---- etcd: HTTP Date header -------------------------------------------------------------

def etcd_date_skew(cluster, node) -> float:
    """The node's HTTP Date header minus the host's clock, seconds (1 s resolution)."""
    host, port = cluster.address(node)
    conn = http.client.HTTPConnection(host, port, timeout=5)
    try:
        before = time.time()
        conn.request("GET", "/version")
        response = conn.getresponse()
        response.read()
        date = email.utils.parsedate_to_datetime(response.getheader("Date"))
        return date.timestamp() - before
    finally:
        conn.close()


def test_etcd_bump_shows_in_that_nodes_date_header_only(etcd_cluster):
    target, *others = etcd_cluster.nodes
    test = {"cluster": etcd_cluster, "seed": 2}
    nemesis = ClockNemesis()
    nemesis.setup(test)
    try:
        done = nemesis.invoke(test, nemesis_op(BUMP, {"nodes": [target], "delta_s": BUMP_S}))
        assert done.value["deltas"] == {target: BUMP_S}
        assert done.value["offsets"] == {target: BUMP_S, **{n: 0.0 for n in others}}
        time.sleep(0.1)  # etcd-clock re-reads its offset file every 20 ms
        assert abs(etcd_date_skew(etcd_cluster, target) - BUMP_S) < 2
        for node in others:
            assert abs(etcd_date_skew(etcd_cluster, node)) < 2

        done = nemesis.invoke(test, nemesis_op(BUMP, {"nodes": [target], "delta_s": -2 * BUMP_S}))
        assert done.value["offsets"][target] == -BUMP_S
        time.sleep(0.1)
        assert abs(etcd_date_skew(etcd_cluster, target) + BUMP_S) < 2

        done = nemesis.invoke(test, nemesis_op(RESET))
        assert done.value["offsets"] == {n: 0.0 for n in etcd_cluster.nodes}
        time.sleep(0.1)
        assert abs(etcd_date_skew(etcd_cluster, target)) < 2
    finally:
        nemesis.teardown(test)
    wait_healthy(etcd_cluster)


def test_etcd_strobe_flips_the_clock_and_ends_where_it_began(etcd_cluster):
    target = etcd_cluster.nodes[1]
    [done] = run_nemesis(etcd_cluster, [nemesis_op(
        STROBE, {"nodes": [target], "delta_s": BUMP_S, "period_s": 0.05, "duration_s": 2})])
    assert done.value["between"] == {target: [0.0, BUMP_S]}
    assert done.value["flips"][target] >= 10
    assert done.value["offsets"] == {n: 0.0 for n in etcd_cluster.nodes}
    assert abs(etcd_date_skew(etcd_cluster, target)) < 2


def test_etcd_strobe_is_seen_while_it_runs(etcd_cluster):
    """Sample the Date header during a strobe: both the base and the skewed clock show."""
    target = etcd_cluster.nodes[2]
    samples: list[float] = []
    stop = threading.Event()

    def sample():
        while not stop.is_set():
            samples.append(etcd_date_skew(etcd_cluster, target))
            time.sleep(0.02)

    sampler = threading.Thread(target=sample)
    sampler.start()
    try:
        run_nemesis(etcd_cluster, [nemesis_op(
            STROBE, {"nodes": [target], "delta_s": BUMP_S, "period_s": 0.2, "duration_s": 3})])
    finally:
        stop.set()
        sampler.join()
    assert any(abs(s) < 2 for s in samples), samples
    assert any(abs(s - BUMP_S) < 2 for s in samples), samples


# ---- preflight ----------------------------------------------------------------------------

def test_plain_etcd_image_fails_preflight_with_a_clear_message():
    cluster = ComposeCluster("etcd", 3)
    cluster.up()
    try:
        with pytest.raises(PreflightError, match="etcd-clock"):
            clock_preflight(cluster, ClockNemesis())
        with pytest.raises(PreflightError, match="etcd-clock"):
            ClockNemesis().setup({"cluster": cluster})
    finally:
        cluster.down()


def test_zookeeper_and_etcd_clock_images_pass_preflight(zk_cluster, etcd_cluster):
    clock_preflight(zk_cluster, ClockNemesis())
    clock_preflight(etcd_cluster, ClockNemesis())
