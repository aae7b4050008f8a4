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
from typing import Any, Mapping

from faultline.cluster.protocol import node_names
from faultline.dbs.protocol import DB, image as default_image

DATA_DIR = "/var/lib/faultline/data"
LOG_DIR = "/var/log/faultline"
CONF_DIR = "/etc/faultline"
RUN_DIR = "/run/faultline"


def container_name(project: str, node: str) -> str:
    return f"{project}-{node}"


def render(db: DB, nodes: int, project: str, image: str | None = None,
           env: Mapping[str, str] | None = None) -> dict[str, Any]:
    """The compose document (a dict) for ``nodes`` nodes of ``db`` in project ``project``,
    running ``image`` (default the db's default image).

    Every node starts ``db.launcher`` (``FAULTLINE_SERVER``, which the supervisor runs).
    ``env``: extra environment for every node (the images' knobs, e.g. FAULTLINE_ZK_HEAP,
    FAULTLINE_ETCD_ARGS, FAULTLINE_ZK_FAKETIME); it cannot override the node identity.
    """
    names = node_names(nodes)
    services = {}
    for node in names:
        services[node] = {
            "image": image or default_image(db).tag,
            "container_name": container_name(project, node),
            "hostname": node,
            "cap_add": ["NET_ADMIN"],
            "environment": {
                "FAULTLINE_SERVER": db.launcher,
                **(env or {}),
                "FAULTLINE_NODE": node,
                "FAULTLINE_NODES": ",".join(names),
                "FAULTLINE_CLUSTER": project,
            },
            "tmpfs": [DATA_DIR],
            "labels": {"faultline.db": db.name, "faultline.node": node},
            "stop_grace_period": "1s",
        }
    return {"version": "2.4", "services": services}


def dumps(document: dict[str, Any]) -> str:
    return json.dumps(document, indent=2, sort_keys=True) + "\n"
