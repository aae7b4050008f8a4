#!/usr/bin/env python3
"""How long each fault takes to apply and to heal on a real 3-node cluster.

Brings up one cluster, then times (wall clock, --rounds rounds each) the operations a
nemesis performs: preflight, the full heal a package runs at setup, a partition and its
heal (iptables on every node side by side), kill + start of one server, pause + resume
of one server. Prints median and max per operation, in milliseconds. The cluster is
removed at the end.

    bench/nemesis_latency.py [--db etcd|zookeeper] [--rounds 5]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from faultline.backends.compose import ComposeCluster  # noqa: E402
from faultline.faults import grudges, package, preflight  # noqa: E402
from faultline.faults.heal import heal_cluster  # noqa: E402


def timed(action) -> float:
    start = time.perf_counter()
    action()
    return (time.perf_counter() - start) * 1000


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", default="etcd", choices=["etcd", "zookeeper"])
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    cluster = ComposeCluster(args.db, 3)
    cluster.up()
    times: dict[str, list[float]] = {}
    try:
        nodes = list(cluster.nodes)
        for i in range(args.rounds):
            node = nodes[i % len(nodes)]
            steps = [
                ("preflight partition,kill,pause",
                 lambda: preflight.check(cluster, package(["partition", "kill", "pause"]).nemesis.parts)),
                ("heal_cluster (all kinds, all nodes)", lambda: heal_cluster(cluster)),
                ("partition isolate", lambda: cluster.partition(grudges.isolate(nodes, node))),
                ("partition heal", cluster.heal),
                ("partition majorities-ring", lambda: cluster.partition(grudges.majorities_ring(nodes))),
                ("partition heal (ring)", cluster.heal),
                ("kill one", lambda: cluster.kill(node)),
                ("start one", lambda: cluster.start(node)),
                ("pause one", lambda: cluster.pause(node)),
                ("resume one", lambda: cluster.resume(node)),
            ]
            for name, action in steps:
                times.setdefault(name, []).append(timed(action))
            while not all(cluster.healthy(n) for n in nodes):  # next round from a whole cluster
                time.sleep(0.2)
    finally:
        heal_cluster(cluster)
        cluster.down()
    print(f"{args.db}, 3 nodes, {args.rounds} rounds: wall-clock ms")
    print(f"{'operation':40} {'median':>8} {'max':>8}")
    for name, values in times.items():
        print(f"{name:40} {statistics.median(values):8.0f} {max(values):8.0f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
