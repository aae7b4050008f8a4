#!/usr/bin/env python3
"""What libfaketime costs ZooKeeper: throughput and server CPU per op, per faketime mode.

For each mode of FAULTLINE_ZK_FAKETIME (no-cache: the default, every clock call re-reads
the offset file; cache-1s; off: no libfaketime) it brings up a 3-node cluster, measures
the JVMs' idle CPU, then runs CONCURRENCY threads doing set/get on their own znodes
against the leader for SECONDS, and prints ops/s and leader CPU microseconds per op.
CPU per op is the robust figure on a busy machine; ops/s depends on everything else running.

    python bench/zk_faketime.py [--seconds 15] [--concurrency 16] [--modes no-cache,off]
"""

from __future__ import annotations

import argparse
import os
import threading
import time

from kazoo.client import KazooClient

from faultline.backends.compose import ComposeCluster

CLK_TCK = os.sysconf("SC_CLK_TCK")


def server_cpu_s(cluster: ComposeCluster, node: str) -> float:
    """utime+stime of the node's server process, in seconds."""
    script = "awk '{print $14+$15}' /proc/$(cat /run/faultline/server.pid)/stat"
    return int(cluster.exec(node, ["sh", "-c", script])[1]) / CLK_TCK


def run_load(cluster: ComposeCluster, node: str, seconds: float, concurrency: int) -> int:
    host, port = cluster.address(node)
    stop = time.monotonic() + seconds
    counts = [0] * concurrency

    def worker(i: int) -> None:
        client = KazooClient(hosts=f"{host}:{port}", timeout=10)
        client.start(timeout=15)
        path = f"/bench/w{i}"
        client.ensure_path(path)
        n = 0
        while time.monotonic() < stop:
            client.set(path, str(n).encode())
            client.get(path)
            n += 2
        counts[i] = n
        client.stop()
        client.close()

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(concurrency)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return sum(counts)


def measure(mode: str, seconds: float, concurrency: int) -> None:
    cluster = ComposeCluster("zookeeper", 3, env={"FAULTLINE_ZK_FAKETIME": mode})
    try:
        cluster.up()
        leader = cluster.leader()
        time.sleep(3)  # let start-up work settle
        idle0 = server_cpu_s(cluster, leader)
        time.sleep(5)
        idle = (server_cpu_s(cluster, leader) - idle0) / 5
        cpu0, t0 = server_cpu_s(cluster, leader), time.monotonic()
        ops = run_load(cluster, leader, seconds, concurrency)
        elapsed = time.monotonic() - t0
        cpu = server_cpu_s(cluster, leader) - cpu0
        print(f"{mode:9} ops/s {ops / elapsed:8.0f}   leader CPU/op {cpu / ops * 1e6:6.0f} us"
              f"   leader idle CPU {idle * 100:5.1f} %   ({ops} ops, c={concurrency})",
              flush=True)
    finally:
        cluster.down()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=15)
    parser.add_argument("--concurrency", type=int, default=16)
    parser.add_argument("--modes", default="no-cache,cache-1s,off")
    args = parser.parse_args()
    print(f"load average before: {os.getloadavg()[0]:.1f}")
    for mode in args.modes.split(","):
        measure(mode, args.seconds, args.concurrency)
    print(f"load average after: {os.getloadavg()[0]:.1f}")


if __name__ == "__main__":
    main()
