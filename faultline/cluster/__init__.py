"""Cluster backends: the protocol, capabilities, and the docker compose backend.

``ComposeCluster`` is imported lazily: it pulls in the Docker SDK, which code that only
needs the protocols (checkers, unit tests) should not pay for.
"""

from faultline.cluster.protocol import (
    ClockSkewable,
    Cluster,
    Grudge,
    Killable,
    Partitionable,
    Pausable,
    supports,
)

__all__ = [
    "ClockSkewable", "Cluster", "ComposeCluster", "Grudge", "Killable", "Partitionable",
    "Pausable", "supports",
]


def __getattr__(name: str):
    if name == "ComposeCluster":
        from faultline.backends.compose.cluster import ComposeCluster

        return ComposeCluster
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
