"""Finding the faultline clusters that exist on this Docker host, by container labels.

A cluster made by one process (``faultline cluster up``) is found again by another
(``faultline cluster status|down``, a test's cleanup) through the labels its compose file
puts on every container: the compose project, ``faultline.db`` and ``faultline.node``.
"""

from __future__ import annotations

import docker

from faultline.backends.compose.cluster import PROJECT_LABEL, PROJECT_PREFIX, ComposeCluster
from faultline.backends.compose.daemon import docker_client
from faultline.backends.protocol import ClusterInfo
from faultline.core.errors import BadInputError


def running_clusters(client: docker.DockerClient | None = None,
                     db: str | None = None) -> dict[str, ClusterInfo]:
    """Every faultline cluster on this host (optionally of one db), by project name."""
    client = client or docker_client()
    found: dict[str, tuple[str, tuple[str, ...], str]] = {}    # name -> db, nodes, image
    states: dict[str, dict[str, str]] = {}
    for container in client.containers.list(all=True, filters={"label": "faultline.db"}):
        labels = container.labels
        name = labels.get(PROJECT_LABEL)
        if name is None or (db is not None and labels["faultline.db"] != db):
            continue
        config = container.attrs["Config"]
        found.setdefault(name, (labels["faultline.db"], _nodes_from_env(config.get("Env") or []),
                                config["Image"]))
        states.setdefault(name, {})[labels.get("faultline.node", container.name)] = container.status
    return {
        name: ClusterInfo(name, db_name, nodes, image,
                          {n: states[name].get(n, "missing") for n in nodes})
        for name, (db_name, nodes, image) in sorted(found.items())
    }


def _nodes_from_env(env: list[str]) -> tuple[str, ...]:
    """All node names of the cluster, from a container's FAULTLINE_NODES (a cluster whose
    removal was interrupted may have lost some containers: their names stay known)."""
    for item in env:
        if item.startswith("FAULTLINE_NODES="):
            return tuple(item.split("=", 1)[1].split(","))
    return ()


def handle(info: ClusterInfo) -> ComposeCluster:
    """A ComposeCluster handle on the cluster ``info`` describes."""
    return ComposeCluster(info.db, len(info.nodes), name=info.name, image=info.image)


def attach(name: str, client: docker.DockerClient | None = None) -> ComposeCluster:
    """A ComposeCluster handle on the existing cluster ``name`` (BadInputError if none)."""
    clusters = running_clusters(client)
    for candidate in (name, PROJECT_PREFIX + name):
        if candidate in clusters:
            return handle(clusters[candidate])
    known = ", ".join(clusters) or "none"
    raise BadInputError(f"no faultline cluster named {name!r} (existing: {known})")
