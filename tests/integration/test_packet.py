"""Packet faults on real 3-node clusters: the chosen links get slow or lossy, others not.

Latency and loss are measured between the nodes themselves, from inside the containers:
TCP connects from one node to a peer's cluster port (a connect is one round trip, so a
link delayed by D ms each way connects in ~2D; a lost SYN or SYN-ACK makes it wait for a
retransmission, which a short timeout counts as a failure). Faults target n1, so links
n1-n2 and n1-n3 are shaped and n2-n3 must not be. After teardown no rule, qdisc or
delayer is left on any node.
"""

from __future__ import annotations

import json
import statistics

import pytest

from faultline.cluster.packet import PacketFault, PacketShaper
from faultline.core.errors import PreflightError
from faultline.faults.packet import START, STOP, PacketNemesis
from support import nemesis_op, wait_healthy

pytestmark = pytest.mark.integration

PEER_PORT = {"etcd": 2380, "zookeeper": 3888}  # listening on every node

CONNECT_SCRIPT = """
import json, socket, sys, time
host, port, count, timeout = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), float(sys.argv[4])
times, failures = [], 0
for _ in range(count):
    start = time.monotonic()
    try:
        socket.create_connection((host, port), timeout=timeout).close()
        times.append((time.monotonic() - start) * 1000)
    except OSError:
        failures += 1
    time.sleep(0.01)
print(json.dumps({"ms": times, "failures": failures}))
"""


def connects(cluster, src, dst, count=20, timeout=0.4):
    """(median connect ms or None, failure count) of ``count`` TCP connects src -> dst."""
    argv = ["python3", "-c", CONNECT_SCRIPT, cluster.peer_ip(dst), str(PEER_PORT[cluster.db]),
            str(count), str(timeout)]
    _, out = cluster.exec(src, argv)
    result = json.loads(out.strip().splitlines()[-1])
    median = statistics.median(result["ms"]) if result["ms"] else None
    return median, result["failures"]


def assert_clean(cluster):
    shaper = PacketShaper(cluster)
    for node in cluster.nodes:
        assert shaper.leftovers(node) == [], f"{node} keeps packet-fault state"
        code, out = cluster.exec(node, ["pgrep", "-af", "nfqueue_delayer"], check=False)
        assert code == 1, f"{node} still runs a delayer: {out}"


@pytest.fixture
def nemesis(cluster):
    test = {"cluster": cluster, "seed": 3}
    nem = PacketNemesis(PacketFault(delay_ms=100.0))
    nem.setup(test)
    yield test, nem
    nem.teardown(test)
    assert_clean(cluster)
    wait_healthy(cluster)


def test_delay_slows_the_chosen_nodes_links_only(cluster, nemesis):
    test, nem = nemesis
    base, _ = connects(cluster, "n1", "n2")
    assert base is not None and base < 50

    done = nem.invoke(test, nemesis_op(START, {"nodes": ["n1"], "delay_ms": 100, "jitter_ms": 0, "loss": 0}))
    assert done.error is None, done.error
    assert done.value["method"] in ("iptables", "netem")
    assert done.value["links"] == [["n1", "n2"], ["n1", "n3"]]
    slow, failures = connects(cluster, "n1", "n2", timeout=2.0)
    assert failures == 0 and 180 < slow < 400, f"n1->n2 connect {slow} ms"
    slow_back, _ = connects(cluster, "n3", "n1", timeout=2.0)
    assert 180 < slow_back < 400, f"n3->n1 connect {slow_back} ms"
    fast, _ = connects(cluster, "n2", "n3")
    assert fast < 50, f"n2->n3 connect {fast} ms: an unchosen link was delayed"

    nem.invoke(test, nemesis_op(STOP))
    assert_clean(cluster)
    healed, _ = connects(cluster, "n1", "n2")
    assert healed < 50


def test_loss_drops_packets_on_the_chosen_nodes_links_only(cluster, nemesis):
    test, nem = nemesis
    done = nem.invoke(test, nemesis_op(START, {"nodes": ["n1"], "loss": 0.5, "delay_ms": 0, "jitter_ms": 0}))
    assert done.error is None, done.error
    assert done.value["loss"] == 0.5
    # Each connect needs the SYN and the SYN-ACK through: ~75% miss the 0.4 s timeout.
    _, lossy = connects(cluster, "n2", "n1", count=40)
    _, clean = connects(cluster, "n2", "n3", count=40)
    assert lossy >= 15, f"only {lossy}/40 connects to n1 failed under 50% loss"
    assert clean == 0, f"{clean}/40 connects n2->n3 failed: an unchosen link lost packets"

    nem.invoke(test, nemesis_op(STOP))
    _, after = connects(cluster, "n2", "n1", count=20)
    assert after == 0


def test_teardown_heals_an_active_fault(cluster):
    test = {"cluster": cluster, "seed": 4}
    nem = PacketNemesis(PacketFault(loss=0.2, delay_ms=80.0, jitter_ms=10.0))
    nem.setup(test)
    try:
        done = nem.invoke(test, nemesis_op(START, {"target": "all"}))
        assert done.value["nodes"] == list(cluster.nodes)
        assert any(PacketShaper(cluster).leftovers(n) for n in cluster.nodes)
    finally:
        nem.teardown(test)
    assert_clean(cluster)


def test_preflight_refuses_netem_where_the_kernel_lacks_it(cluster):
    facts = PacketShaper(cluster).probe()
    if all(f.get("netem") for f in facts.values()):
        pytest.skip("this kernel has netem")
    with pytest.raises(PreflightError, match="netem"):
        PacketNemesis(method="netem").setup({"cluster": cluster})
