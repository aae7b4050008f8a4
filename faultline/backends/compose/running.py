"""Finding the faultline clusters that exist on this Docker host, by container labels.

A cluster made by one process (``faultline cluster up``) is found again by another
(``faultline cluster status|down``, a test's cleanup) through the labels its compose file
puts on every container: the compose project, ``faultline.db`` and ``faultline.node``.
"""

from __future__ import annotations

from dataclasses import dataclass

import docker

from faultline.backends.compose.cluster import PROJECT_LABEL, ComposeCluster, docker_client
from faultline.core.errors import BadInputError


@dataclass(frozen=True)
class RunningCluster:
    name: str
    db: str
    nodes: tuple[str, ...]
    image: str
    states: dict[str, str]     # node -> container state (running, exited, ..., missing)

    def handle(self) -> ComposeCluster:
        """A ComposeCluster handle on this cluster."""
        return ComposeCluster(self.db, len(self.nodes), name=self.name, image=self.image)


def running_clusters(client: docker.DockerClient | None = None,
                     db: str | None = None) -> dict[str, RunningCluster]:
    """Every faultline cluster on this host (optionally of one db), by project name."""
    client = client or docker_client()
    found: dict[str, RunningCluster] = {}
    for container in client.containers.list(all=True, filters={"label": "faultline.db"}):
        labels = container.labels
        name = labels.get(PROJECT_LABEL)
        if name is None or (db is not None and labels["faultline.db"] != db):
            continue
        config = container.attrs["Config"]
        cluster = found.setdefault(name, RunningCluster(
            name, labels["faultline.db"], _nodes_from_env(config.get("Env") or []),
            config["Image"], {}))
        cluster.states[labels.get("faultline.node", container.name)] = container.status
    return {
        name: RunningCluster(c.name, c.db, c.nodes, c.image,
                             {n: c.states.get(n, "missing") for n in c.nodes})
        for name, c in sorted(found.items())
    }


def _nodes_from_env(env: list[str]) -> tuple[str, ...]:
    """All node names of the cluster, from a container's FAULTLINE_NODES (a cluster whose
    removal was interrupted may have lost some containers: their names stay known)."""
    for item in env:
        if item.startswith("FAULTLINE_NODES="):
            return tuple(item.split("=", 1)[1].split(","))
    return ()


def attach(name: str, client: docker.DockerClient | None = None) -> ComposeCluster:
    """A ComposeCluster handle on the existing cluster ``name`` (BadInputError if none)."""
    clusters = running_clusters(client)
    candidates = [name, f"faultline-{name}"]
    for candidate in candidates:
        if candidate in clusters:
            return clusters[candidate].handle()
    known = ", ".join(clusters) or "none"
    raise BadInputError(f"no faultline cluster named {name!r} (existing: {known})")
