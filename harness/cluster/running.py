"""Finding the faultline clusters that exist on this Docker host, by container labels.

A cluster made by one process (``faultline cluster up``) is found again by another
(``faultline cluster status|down``, a test's cleanup) through the labels its compose file
puts on every container: the compose project, ``faultline.db`` and ``faultline.node``.
"""

from __future__ import annotations

from dataclasses import dataclass

import docker

from harness.cluster.compose import PROJECT_LABEL, ComposeCluster, docker_client
from harness.errors import BadInputError


@dataclass(frozen=True)
class RunningCluster:
    name: str
    db: str
    nodes: tuple[str, ...]
    image: str
    states: dict[str, str]     # node -> container state (running, exited, ...)


def running_clusters(client: docker.DockerClient | None = None,
                     db: str | None = None) -> dict[str, RunningCluster]:
    """Every faultline cluster on this host (optionally of one db), by project name."""
    client = client or docker_client()
    found: dict[str, dict] = {}
    for container in client.containers.list(all=True, filters={"label": "faultline.db"}):
        labels = container.labels
        name = labels.get(PROJECT_LABEL)
        if name is None or (db is not None and labels["faultline.db"] != db):
            continue
        entry = found.setdefault(name, {"db": labels["faultline.db"], "states": {},
                                        "image": container.attrs["Config"]["Image"]})
        entry["states"][labels.get("faultline.node", container.name)] = container.status
    return {
        name: RunningCluster(name, e["db"], tuple(sorted(e["states"], key=_node_order)),
                             e["image"], dict(sorted(e["states"].items(), key=lambda kv: _node_order(kv[0]))))
        for name, e in sorted(found.items())
    }


def attach(name: str, client: docker.DockerClient | None = None) -> ComposeCluster:
    """A ComposeCluster handle on the existing cluster ``name`` (BadInputError if none)."""
    clusters = running_clusters(client)
    candidates = [name, f"faultline-{name}"]
    for candidate in candidates:
        if candidate in clusters:
            info = clusters[candidate]
            return ComposeCluster(info.db, len(info.nodes), name=info.name, image=info.image)
    known = ", ".join(clusters) or "none"
    raise BadInputError(f"no faultline cluster named {name!r} (existing: {known})")


def _node_order(node: str) -> tuple[int, str]:
    digits = node[1:]
    return (int(digits), node) if digits.isdigit() else (1 << 30, node)
