"""Cluster backends: the protocol, capabilities, and the docker compose backend."""

from harness.cluster.protocol import (
    ClockSkewable,
    Cluster,
    Grudge,
    Killable,
    Partitionable,
    Pausable,
    supports,
)

__all__ = ["ClockSkewable", "Cluster", "Grudge", "Killable", "Partitionable", "Pausable", "supports"]
