"""The docker compose file of one cluster: pure data, generated per run.

One service per node ``n1..nN``, each its own container (named ``<project>-<node>``,
hostname = node name) on the project's default network, whose subnet Docker chooses.
Nothing is published on the host: the harness dials container IPs directly, so two
clusters never fight over host ports. Every container gets NET_ADMIN (iptables faults),
and its data directory on a tmpfs: faults kill processes, never the machine, so the
page cache would survive a kill anyway, and disk fsyncs would only add noise.

The file is written as JSON, which every YAML parser (compose v1 and v2) reads.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any, Mapping

from faultline.core.errors import BadInputError

DATA_DIR = "/var/lib/faultline/data"
LOG_DIR = "/var/log/faultline"
CONF_DIR = "/etc/faultline"
RUN_DIR = "/run/faultline"
NODE_COUNTS = (3, 5)


@dataclass(frozen=True)
class DbSpec:
    """What the backend needs to know about one database's image."""

    db: str
    image: str        # default image tag, built by `faultline images build`
    client_port: int


DBS: dict[str, DbSpec] = {
    "etcd": DbSpec("etcd", "faultline/etcd:3.4", 2379),
    "zookeeper": DbSpec("zookeeper", "faultline/zookeeper:3.8", 2181),
}


def db_spec(db: str) -> DbSpec:
    try:
        return DBS[db]
    except KeyError:
        raise BadInputError(f"unknown db {db!r}: choose one of {', '.join(sorted(DBS))}") from None


def node_names(count: int) -> list[str]:
    if count not in NODE_COUNTS:
        raise BadInputError(f"--nodes must be one of {NODE_COUNTS}, got {count}")
    return [f"n{i}" for i in range(1, count + 1)]


def container_name(project: str, node: str) -> str:
    return f"{project}-{node}"


def render(db: str, nodes: int, project: str, image: str | None = None,
           env: Mapping[str, str] | None = None) -> dict[str, Any]:
    """The compose document (a dict) for ``nodes`` nodes of ``db`` in project ``project``.

    ``env``: extra environment for every node (the images' knobs, e.g. FAULTLINE_ZK_HEAP,
    FAULTLINE_ETCD_ARGS, FAULTLINE_ZK_FAKETIME); it cannot override the node identity.
    """
    spec = db_spec(db)
    names = node_names(nodes)
    services = {}
    for node in names:
        services[node] = {
            "image": image or spec.image,
            "container_name": container_name(project, node),
            "hostname": node,
            "cap_add": ["NET_ADMIN"],
            "environment": {
                **(env or {}),
                "FAULTLINE_NODE": node,
                "FAULTLINE_NODES": ",".join(names),
                "FAULTLINE_CLUSTER": project,
            },
            "tmpfs": [DATA_DIR],
            "labels": {"faultline.db": db, "faultline.node": node},
            "stop_grace_period": "1s",
        }
    return {"version": "2.4", "services": services}


def dumps(document: dict[str, Any]) -> str:
    return json.dumps(document, indent=2, sort_keys=True) + "\n"
