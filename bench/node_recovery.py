#!/usr/bin/env python3
"""How fast nodes come back and leadership moves after process faults, per db.

For each db on a 3-node cluster: start-after-kill of a follower until it serves again;
kill of the leader until another node leads; pause of the leader until another node
leads (then resume). Prints seconds; these are the waits a nemesis schedule must allow.

    python bench/node_recovery.py [--dbs etcd,zookeeper]
"""

from __future__ import annotations

import argparse
import os
import time

from faultline.backends.compose import ComposeCluster


def seconds_until(predicate, timeout: float = 60.0) -> float:
    start = time.monotonic()
    while not predicate():
        if time.monotonic() - start > timeout:
            return float("inf")
        time.sleep(0.05)
    return time.monotonic() - start


def measure(db: str) -> None:
    with ComposeCluster(db, 3) as cluster:
        leader = cluster.leader()
        follower = next(n for n in cluster.nodes if n != leader)
        cluster.kill(follower)
        time.sleep(1)
        cluster.start(follower)
        rejoin = seconds_until(lambda: cluster.healthy(follower))

        start = time.monotonic()
        cluster.kill(leader)
        failover = seconds_until(lambda: cluster.leader() not in (None, leader))
        kill_total = time.monotonic() - start
        cluster.start(leader)
        seconds_until(lambda: cluster.healthy(leader))

        leader = cluster.leader()
        cluster.pause(leader)
        paused_failover = seconds_until(lambda: cluster.leader() not in (None, leader))
        cluster.resume(leader)
        back = seconds_until(lambda: cluster.healthy(leader))
    print(f"{db:10} follower start->serving {rejoin:5.1f} s   leader kill->new leader "
          f"{failover:5.1f} s ({kill_total:.1f} s with the kill)   leader pause->new leader "
          f"{paused_failover:5.1f} s   resume->serving {back:4.1f} s", flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dbs", default="etcd,zookeeper")
    args = parser.parse_args()
    print(f"load average before: {os.getloadavg()[0]:.1f}")
    for db in args.dbs.split(","):
        measure(db)


if __name__ == "__main__":
    main()
