#!/usr/bin/env python3
"""What packet faults do to a real 3-node etcd cluster, and what they cost to apply.

For each delay (every link shaped, iptables + NFQUEUE delayer where the kernel has no
netem) it prints: the time to apply and to heal the fault, the median TCP connect time
n1 -> n2 measured inside n1 (one round trip: ~2x the delay), and the median and p90
latency of sequential puts through the leader (a raft commit needs a round trip to a
follower, so it also grows by ~2x the delay; the harness' own HTTP traffic is unshaped).
Then the same for loss rates: connects from n2 to n1 that miss a 0.4 s timeout.

    python bench/packet_faults.py [--delays 0,25,100] [--losses 0.1,0.3] [--puts 40]
"""

from __future__ import annotations

import argparse
import base64
import http.client
import json
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from faultline.backends.compose import ComposeCluster  # noqa: E402
from faultline.cluster.packet import PacketFault, PacketShaper  # noqa: E402

CONNECT = """
import json, socket, sys, time
host, count, timeout = sys.argv[1], int(sys.argv[2]), float(sys.argv[3])
ms, failed = [], 0
for _ in range(count):
    t = time.monotonic()
    try:
        socket.create_connection((host, 2380), timeout=timeout).close()
        ms.append((time.monotonic() - t) * 1000)
    except OSError:
        failed += 1
print(json.dumps([ms, failed]))
"""


def connects(cluster, src, dst, count, timeout):
    _, out = cluster.exec(src, ["python3", "-c", CONNECT, cluster.peer_ip(dst), str(count), str(timeout)])
    ms, failed = json.loads(out.strip().splitlines()[-1])
    return (statistics.median(ms) if ms else float("nan")), failed


def put_latencies(cluster, node, count):
    host, port = cluster.address(node)
    out = []
    for i in range(count):
        body = json.dumps({"key": base64.b64encode(b"bench").decode(),
                           "value": base64.b64encode(str(i).encode()).decode()})
        conn = http.client.HTTPConnection(host, port, timeout=10)
        start = time.perf_counter()
        conn.request("POST", "/v3/kv/put", body=body)
        conn.getresponse().read()
        out.append((time.perf_counter() - start) * 1000)
        conn.close()
    out.sort()
    return statistics.median(out), out[int(len(out) * 0.9)]


def timed(action):
    start = time.perf_counter()
    result = action()
    return (time.perf_counter() - start) * 1000, result


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--delays", default="0,25,100", help="ms, comma-separated (0 = no fault)")
    parser.add_argument("--losses", default="0.1,0.3")
    parser.add_argument("--puts", type=int, default=40)
    args = parser.parse_args()
    cluster = ComposeCluster("etcd", 3)
    cluster.up()
    shaper = PacketShaper(cluster)
    try:
        method = shaper.preflight(PacketFault(loss=0.1, delay_ms=10))
        print(f"method: {method}")
        print(f"{'delay ms':>8} {'apply ms':>9} {'heal ms':>8} {'connect ms':>11} {'put p50':>8} {'put p90':>8}")
        for delay in [float(d) for d in args.delays.split(",")]:
            apply_ms = heal_ms = 0.0
            if delay > 0:
                apply_ms, _ = timed(lambda: shaper.apply(cluster.nodes, PacketFault(delay_ms=delay), method))
            connect, _ = connects(cluster, "n1", "n2", 20, 5.0)
            leader = cluster.leader() or "n1"
            p50, p90 = put_latencies(cluster, leader, args.puts)
            if delay > 0:
                heal_ms, _ = timed(shaper.heal)
            print(f"{delay:8.0f} {apply_ms:9.0f} {heal_ms:8.0f} {connect:11.1f} {p50:8.1f} {p90:8.1f}")
        print(f"{'loss':>8} {'failed connects (0.4 s timeout)':>32}")
        for loss in [float(x) for x in args.losses.split(",")]:
            shaper.apply(["n1"], PacketFault(loss=loss), method)
            _, failed = connects(cluster, "n2", "n1", 100, 0.4)
            _, clean = connects(cluster, "n2", "n3", 100, 0.4)
            shaper.heal()
            expected = 1 - (1 - loss) ** 2
            print(f"{loss:8.2f} {failed:>11}/100 shaped (SYN and SYN-ACK: ~{expected * 100:.0f} expected),"
                  f" {clean}/100 unshaped")
    finally:
        shaper.heal()
        cluster.down()
    return 0


if __name__ == "__main__":
    sys.exit(main())
