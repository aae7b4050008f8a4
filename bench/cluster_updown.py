#!/usr/bin/env python3
"""How long a cluster takes to come up healthy (with a leader) and to go away.

    python bench/cluster_updown.py [--dbs etcd,zookeeper] [--nodes 3] [--repeat 2]
"""

from __future__ import annotations

import argparse
import os
import time

from faultline.backends.compose import ComposeCluster


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dbs", default="etcd,zookeeper")
    parser.add_argument("--nodes", type=int, default=3)
    parser.add_argument("--repeat", type=int, default=2)
    args = parser.parse_args()
    print(f"load average before: {os.getloadavg()[0]:.1f}")
    for db in args.dbs.split(","):
        for _ in range(args.repeat):
            cluster = ComposeCluster(db, args.nodes)
            start = time.monotonic()
            try:
                cluster.up()
                up_s = time.monotonic() - start
            finally:
                start_down = time.monotonic()
                cluster.down()
                down_s = time.monotonic() - start_down
            print(f"{db:10} nodes={args.nodes}  up {up_s:5.1f} s  down {down_s:4.1f} s", flush=True)
    print(f"load average after: {os.getloadavg()[0]:.1f}")


if __name__ == "__main__":
    main()
