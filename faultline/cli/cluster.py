"""``faultline cluster up|down|status``: work with a cluster by hand (see docs/cluster.md).

up: start a cluster and leave it running; prints its name, leader and node addresses.
down: remove one cluster (``--name``) or, with ``--all``, every faultline cluster (of
``--db`` if given). status: every faultline cluster (or one): per node the container
state, the server process state, whether it serves, and the leader. ``--backend`` says
where the clusters live (default ``compose``).
"""

from __future__ import annotations

import argparse

from faultline.backends import BACKENDS, DEFAULT_BACKEND, Backend
from faultline.cli import cluster_heal
from faultline.cluster.protocol import NODE_COUNTS
from faultline.core.errors import BadInputError
from faultline.dbs import DBS

def add_backend_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--backend", default=DEFAULT_BACKEND, choices=BACKENDS.names(),
                        help=f"where the cluster lives (default {DEFAULT_BACKEND})")


def add_parser(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("cluster", help="bring a cluster up or down by hand")
    actions = parser.add_subparsers(dest="action", metavar="ACTION")
    actions.required = True
    dbs = sorted(DBS.names())
    up = actions.add_parser("up", help="start a cluster and leave it running")
    up.add_argument("--db", required=True, choices=dbs)
    up.add_argument("--nodes", type=int, default=3, choices=NODE_COUNTS)
    up.add_argument("--name", help="compose project name (default faultline-<db>-<random>)")
    up.add_argument("--image", help="image to run (default the db's faultline image)")
    add_backend_option(up)
    up.set_defaults(func=run_up)
    down = actions.add_parser("down", help="remove a cluster: containers, volumes, network")
    down.add_argument("--db", choices=dbs, help="with --all: only clusters of this db")
    down.add_argument("--name", help="the cluster to remove")
    down.add_argument("--all", action="store_true", help="remove every faultline cluster")
    add_backend_option(down)
    down.set_defaults(func=run_down)
    status = actions.add_parser("status", help="show faultline clusters and their nodes")
    status.add_argument("--db", choices=dbs)
    status.add_argument("--name", help="only this cluster")
    add_backend_option(status)
    status.set_defaults(func=run_status)
    cluster_heal.add_parser(actions)  # `cluster heal`: its own module (cluster_heal.py)


def _backend(args: argparse.Namespace) -> Backend:
    return BACKENDS.get(args.backend)


def run_up(args: argparse.Namespace) -> int:
    cluster = _backend(args).create(DBS.get(args.db), args.nodes, name=args.name, image=args.image)
    cluster.up()
    print(f"{cluster.name}: {args.db}, leader {cluster.leader()}")
    for node in cluster.nodes:
        host, port = cluster.address(node)
        print(f"  {node}  {host}:{port}  container {cluster.container(node)}")
    print(f"remove it with: faultline cluster down --name {cluster.name}")
    return 0


def run_down(args: argparse.Namespace) -> int:
    if args.name and args.all:
        raise BadInputError("give --name or --all, not both")
    backend = _backend(args)
    if args.name:
        try:
            clusters = [backend.attach(args.name)]
        except BadInputError as e:   # down is idempotent: nothing there is not a failure
            print(f"faultline: nothing to remove: {e}")
            return 0
    elif args.all:
        clusters = [backend.attach(name) for name in backend.list(db=args.db)]
    else:
        raise BadInputError("say which cluster: --name NAME, or --all")
    for cluster in clusters:
        cluster.down()
        print(f"removed {cluster.name}")
    return 0


def run_status(args: argparse.Namespace) -> int:
    backend = _backend(args)
    clusters = backend.list(db=args.db)
    if args.name:
        name = backend.attach(args.name).name
        clusters = {name: clusters[name]} if name in clusters else {}  # of another --db
    if not clusters:
        print("no faultline clusters")
        return 0
    for name, info in clusters.items():
        cluster = backend.attach(name)
        leader = cluster.leader()
        print(f"{name}: {info.db}, {len(info.nodes)} nodes, image {info.image}, leader {leader}")
        for node in info.nodes:
            container_state = info.states[node]
            if container_state == "running":  # exec and probes need a running container
                host, port = cluster.address(node)
                server = cluster.server_state(node)
                serves = "serving" if cluster.healthy(node) else "not serving"
                print(f"  {node}  {host}:{port}  container running, server {server}, {serves}")
            else:
                print(f"  {node}  container {container_state}")
    return 0
