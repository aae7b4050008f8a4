"""The Cluster protocol and its capabilities, and the node-level fault mechanisms
(clock, partition, packet) that work on any cluster that runs commands in its nodes.

Clusters themselves come from a backend (:mod:`faultline.backends`, e.g.
``faultline.backends.compose.ComposeCluster``). :mod:`faultline.cluster.nodes` is what
the mechanisms share (acting on every node at once, re-reading lost output, probes).
"""

from faultline.cluster.nodes import exec_checked, exec_read, on_nodes, probe, probe_problems
from faultline.cluster.protocol import (
    ClockSkewable,
    Cluster,
    Execable,
    Grudge,
    Killable,
    Partitionable,
    Pausable,
    PeerAddressable,
    PeerExecable,
    supports,
)

__all__ = [
    "ClockSkewable", "Cluster", "Execable", "Grudge", "Killable", "Partitionable", "Pausable",
    "PeerAddressable", "PeerExecable", "exec_checked", "exec_read", "on_nodes", "probe",
    "probe_problems", "supports",
]
