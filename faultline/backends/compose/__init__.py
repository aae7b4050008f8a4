"""The docker compose backend: one container per node, brought up with docker compose.

:data:`BACKEND` (:class:`~faultline.backends.compose.backend.ComposeBackend`) is what the
backend registry finds; :class:`~faultline.backends.compose.cluster.ComposeCluster` is one
cluster. The modules: ``cluster`` (the cluster handle), ``file`` (the generated compose
file), ``running`` (finding existing clusters by their container labels), ``images``
(building the node images), ``cli`` (which compose CLI is installed). See docs/cluster.md.

The registry imports this package for every command line, so it does not import the
Docker SDK: ``ComposeCluster`` is loaded on first use.
"""

from faultline.backends.compose.backend import ComposeBackend

BACKEND = ComposeBackend()

__all__ = ["BACKEND", "ComposeBackend", "ComposeCluster"]


def __getattr__(name: str):
    if name == "ComposeCluster":
        from faultline.backends.compose.cluster import ComposeCluster

        return ComposeCluster
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
