"""The Cluster protocol and its optional capabilities.

A cluster backend brings a database cluster up and down and exposes per-node control.
What faults need is capabilities: separate, checkable protocols (killing and pausing
servers, partitioning, skewing clocks, and under the mechanisms of :mod:`faultline.cluster`
running commands in the nodes, :class:`Execable`, and naming their peer addresses,
:class:`PeerAddressable`). A fault asks ``supports(cluster, Capability)`` at preflight; a
test that asks for a fault the cluster cannot do fails loudly before it starts, never
silently.

Node names are ``n1 .. nN``. Addresses are what the *harness* dials (an IP on the
project network and the client port); the harness' own path to every node stays open
during partitions, so clients observe the cluster's real behaviour.
"""

from __future__ import annotations

from typing import Mapping, Protocol, Sequence, runtime_checkable

from faultline.core.errors import BadInputError

Grudge = Mapping[str, frozenset[str]]
"""node -> the nodes it must NOT hear from (drop packets arriving from them)."""

NODE_COUNTS = (3, 5)
"""Cluster sizes faultline runs: a majority and a minority exist, and faults can split them."""


def node_names(count: int) -> list[str]:
    """``["n1", ..., "nN"]``; BadInputError unless ``count`` is one of :data:`NODE_COUNTS`."""
    if count not in NODE_COUNTS or isinstance(count, bool):
        raise BadInputError(f"--nodes must be one of {', '.join(map(str, NODE_COUNTS))}, got {count!r}")
    return [f"n{i}" for i in range(1, count + 1)]


@runtime_checkable
class Cluster(Protocol):
    db: str                # "etcd" | "zookeeper"
    nodes: Sequence[str]   # ["n1", "n2", "n3"]

    def up(self) -> None:
        """Start every node and wait until each serves and a leader exists.

        Raises ClusterError (with node logs in the message or the log dir) if it never does;
        on failure nothing is left running.
        """

    def down(self) -> None:
        """Remove every container and network of this cluster. Idempotent; never raises
        for already-gone resources."""

    def address(self, node: str) -> tuple[str, int]:
        """(host, client port) the harness dials for ``node``."""

    def leader(self) -> str | None:
        """The node that currently leads, or None when there is none / it is unknown."""

    def healthy(self, node: str) -> bool:
        """True when ``node`` serves client requests now."""

    def collect_logs(self, dest_dir: str) -> None:
        """Copy server logs and config of each node into ``dest_dir/<node>/``."""


@runtime_checkable
class Killable(Protocol):
    def kill(self, node: str) -> None:
        """SIGKILL the server process (data kept)."""

    def start(self, node: str) -> None:
        """Start a killed server again (same data dir)."""


@runtime_checkable
class Pausable(Protocol):
    def pause(self, node: str) -> None: ...

    def resume(self, node: str) -> None: ...


@runtime_checkable
class Partitionable(Protocol):
    def partition(self, grudge: Grudge) -> None:
        """Drop traffic between nodes as the grudge says; harness traffic unaffected."""

    def heal(self) -> None:
        """Remove exactly the rules partition() added."""


@runtime_checkable
class ClockSkewable(Protocol):
    def set_clock_offset(self, node: str, offset_s: float) -> None:
        """Make ``node``'s wall clock read host time + offset. Never touches the host clock."""

    def clock_offsets(self) -> dict[str, float]: ...


@runtime_checkable
class Execable(Protocol):
    """Runs commands inside its nodes: what the clock, iptables and packet mechanisms
    (and their preflight probes) work through."""

    nodes: Sequence[str]

    def exec(self, node: str, argv: Sequence[str], *, check: bool = True) -> tuple[int, str]:
        """Run ``argv`` inside the node's container as root; returns (exit code, output).
        ``check``: raise ClusterError on a non-zero exit instead of returning it."""


@runtime_checkable
class PeerAddressable(Protocol):
    def peer_ip(self, node: str) -> str:
        """The IP ``node`` has on the network its peers reach it by (what a peer's
        packets come from), as opposed to the harness' :meth:`Cluster.address`."""


@runtime_checkable
class PeerExecable(Execable, PeerAddressable, Protocol):
    """Both: a cluster whose nodes' network can be shaped from inside them, by peer."""


def supports(cluster: object, capability: type) -> bool:
    """Whether ``cluster`` implements ``capability`` (one of the protocols above)."""
    return isinstance(cluster, capability)
