"""Client partitions: chosen nodes stop hearing the database's clients, not their peers.

:class:`ClientPartitioner` works on any cluster that can run commands in its nodes and
name their peer IPs (:class:`~faultline.cluster.protocol.PeerExecable`), with the chain
machinery of :mod:`faultline.cluster.partition`. On a cut node, two chains of ours hold
the cut, one per direction, each jumped to from the top of its built-in chain:

- :data:`IN_CHAIN` (from ``INPUT``): packets to the client port from loopback or a peer
  node's IP return untouched; every other packet to that port (the harness' clients and
  probes, which reach the nodes from the Docker host) is dropped;
- :data:`OUT_CHAIN` (from ``OUTPUT``): likewise for packets the server sends from the
  client port to anything but loopback and its peers, so no reply, watch event or
  keepalive answer slips out to a client that can no longer send: the link is cut both
  ways, as a network partition between the client and the node would.

Peers keep talking (their own ports are never matched, and a peer dialling the client
port is let through), so the cluster stays whole while its clients lose the cut nodes.
Connections already open are cut too (no conntrack exception comes before ours). Healing
deletes the jumps and the two chains on every node: exactly what was added, whatever
else the image's firewall holds; idempotent, safe after a crash.
"""

from __future__ import annotations

import shlex
from typing import Sequence

from faultline.cluster.nodes import exec_checked, on_nodes
from faultline.cluster.partition import chain_script, heal_script, list_script
from faultline.cluster.protocol import PeerExecable, supports

IN_CHAIN = "FAULTLINE-CLIENT-IN"
OUT_CHAIN = "FAULTLINE-CLIENT-OUT"
LOOPBACK = "127.0.0.0/8"


def cut_script(peer_ips: Sequence[str], port: int) -> str:
    """Shell script that makes a node drop its client ``port``'s traffic with everything
    but loopback and ``peer_ips`` (every node's IP, its own included), both ways,
    replacing an earlier cut."""
    port = int(port)
    keep = [LOOPBACK, *sorted(peer_ips)]
    inbound = [f"-s {shlex.quote(ip)} -j RETURN" for ip in keep]
    inbound.append(f"-p tcp --dport {port} -j DROP")
    outbound = [f"-d {shlex.quote(ip)} -j RETURN" for ip in keep]
    outbound.append(f"-p tcp --sport {port} -j DROP")
    return "\n".join([chain_script(IN_CHAIN, inbound, "INPUT"),
                      chain_script(OUT_CHAIN, outbound, "OUTPUT")])


HEAL_SCRIPT = f"({heal_script(IN_CHAIN, 'INPUT')}\n) && ({heal_script(OUT_CHAIN, 'OUTPUT')}\n)"
"""Remove both chains and the jumps to them; succeeds when they are absent, fails when
either cannot be removed (each part in a subshell, whose status is its last command's)."""

LIST_SCRIPT = "; ".join([list_script(IN_CHAIN, "INPUT"), list_script(OUT_CHAIN, "OUTPUT")])
"""Print our client-partition rules and jumps (``iptables -S`` lines); nothing when healed."""


class ClientPartitioner:
    """Cuts chosen nodes from the clients via iptables in each node. Holds no state: the
    chains are the state."""

    def __init__(self, cluster: PeerExecable):
        self._cluster = cluster

    def cut(self, nodes: Sequence[str], port: int) -> None:
        """Make ``nodes`` drop their client ``port``'s traffic with non-peers (see the
        module doc); every other node is healed, so an earlier cut never leaks into this
        one. ValueError for a node the cluster lacks."""
        unknown = set(nodes) - set(self._cluster.nodes)
        if unknown:
            raise ValueError(f"client partition names unknown nodes {sorted(unknown)}")
        ips = [self._cluster.peer_ip(node) for node in self._cluster.nodes]
        script = cut_script(ips, port)
        chosen = set(nodes)
        on_nodes(list(self._cluster.nodes), lambda node: exec_checked(
            self._cluster, node, ["sh", "-c", script if node in chosen else HEAL_SCRIPT],
            "cut clients from" if node in chosen else "heal client partition on"))

    def heal(self) -> None:
        """Remove our chains and their jumps from every node."""
        on_nodes(list(self._cluster.nodes), lambda node: exec_checked(
            self._cluster, node, ["sh", "-c", HEAL_SCRIPT], "heal client partition on"))

    def rules(self, node: str) -> list[str]:
        """Our client-partition rules on ``node`` (``iptables -S`` lines); empty when healed."""
        _, out = self._cluster.exec(node, ["sh", "-c", LIST_SCRIPT], check=False)
        return [line for line in out.splitlines() if line.strip()]


def client_partitioner_for(cluster: object) -> ClientPartitioner | None:
    """A :class:`ClientPartitioner` for ``cluster`` when it can exec and name peer IPs."""
    return ClientPartitioner(cluster) if supports(cluster, PeerExecable) else None  # type: ignore[arg-type]
