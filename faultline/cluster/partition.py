"""Partitions applied with iptables inside the node containers.

:class:`IptablesPartitioner` gives any cluster that can run commands in its nodes (as
root, with CAP_NET_ADMIN) and tell each node's IP on the cluster network
(:class:`~faultline.cluster.protocol.PeerExecable`) the
:class:`~faultline.cluster.protocol.Partitionable` capability.

Every rule we add lives in one dedicated chain, :data:`CHAIN`, jumped to from the top of
``INPUT``. A node drops packets arriving *from the peer nodes' IPs* named in its grudge
and nothing else, so the harness (which reaches the nodes from the Docker host, not from
a peer IP) keeps its own path to every node open and clients see the cluster's real
behaviour. Healing deletes the jump and the chain: exactly what we added, no matter
what else the image's firewall holds. Both operations are idempotent, so a heal after a
crash (the chain may or may not exist) is always safe.
"""

from __future__ import annotations

import shlex
from typing import Callable, Sequence

from faultline.cluster.nodes import exec_checked, on_nodes
from faultline.cluster.protocol import Grudge, PeerExecable, supports

CHAIN = "FAULTLINE"


def chain_script(chain: str, rules: Sequence[str], hook: str = "INPUT") -> str:
    """Shell script that makes our ``chain`` hold exactly ``rules`` (iptables rule specs
    without ``-A chain``), jumped to from the top of the built-in chain ``hook``: created
    when absent, flushed of what it held before. What every fault kept in a chain of
    ours shares (the partition's, the client partition's,
    :mod:`faultline.cluster.client_partition`)."""
    lines = [
        f"iptables -w -N {chain} 2>/dev/null || iptables -w -F {chain}",
        f"iptables -w -C {hook} -j {chain} 2>/dev/null || iptables -w -I {hook} 1 -j {chain}",
    ]
    lines += [f"iptables -w -A {chain} {rule}" for rule in rules]
    return "set -e\n" + "\n".join(lines)


def heal_script(chain: str, hook: str = "INPUT") -> str:
    """Shell script that removes our ``chain`` and every jump to it from ``hook``;
    succeeds when they are absent (idempotent, safe after a crash)."""
    return "\n".join([
        f"while iptables -w -D {hook} -j {chain} 2>/dev/null; do :; done",
        f"if iptables -w -n -L {chain} >/dev/null 2>&1; then",
        f"  iptables -w -F {chain} && iptables -w -X {chain}",
        "fi",
    ])


def list_script(chain: str, hook: str = "INPUT") -> str:
    """Shell script printing our ``chain``'s rules and the jumps to it (``iptables -S``)."""
    return f"iptables -w -S {chain} 2>/dev/null; iptables -w -S {hook} | grep -- '-j {chain}$' || true"


def partition_script(drop_from: Sequence[str]) -> str:
    """Shell script that makes a node drop packets from ``drop_from`` (IPs), replacing
    whatever grudge our chain held before."""
    return chain_script(CHAIN, [f"-s {shlex.quote(ip)} -j DROP" for ip in sorted(drop_from)])


HEAL_SCRIPT = heal_script(CHAIN)
"""Shell script that removes our chain and the jump to it; succeeds when they are absent."""

PROBE_SCRIPT = f"""
command -v iptables >/dev/null 2>&1 || {{ echo "no: iptables is not installed"; exit 0; }}
if iptables -w -N {CHAIN}-PROBE 2>/dev/null; then
  iptables -w -X {CHAIN}-PROBE; echo "yes"
else
  echo "no: iptables cannot change rules (the container lacks NET_ADMIN?)"
fi
"""
"""Answers ``yes`` when the node can partition itself (creates and deletes a chain)."""

LIST_SCRIPT = list_script(CHAIN)


class IptablesPartitioner:
    """Partitionable via iptables in each node. Holds no state: the chain is the state."""

    def __init__(self, cluster: PeerExecable):
        self._cluster = cluster

    def partition(self, grudge: Grudge) -> None:
        """Make each node drop traffic from the peers its grudge names.

        Nodes absent from ``grudge`` get an empty chain (they hear everyone), so the
        previous grudge never leaks into the new one.
        """
        unknown = set(grudge) - set(self._cluster.nodes)
        for others in grudge.values():
            unknown |= set(others) - set(self._cluster.nodes)
        if unknown:
            raise ValueError(f"grudge names unknown nodes {sorted(unknown)}")
        ips = {node: self._cluster.peer_ip(node) for node in self._cluster.nodes}
        scripts = {
            node: partition_script([ips[p] for p in grudge.get(node, ())])
            for node in self._cluster.nodes
        }
        self._on_every_node(lambda node: self._run(node, scripts[node], "partition"))

    def heal(self) -> None:
        """Remove our chain and its jump from every node."""
        self._on_every_node(lambda node: self._run(node, HEAL_SCRIPT, "heal partition on"))

    def rules(self, node: str) -> list[str]:
        """Our rules on ``node`` (``iptables -S`` lines); empty when healed."""
        _, out = self._cluster.exec(node, ["sh", "-c", LIST_SCRIPT], check=False)
        return [line for line in out.splitlines() if line.strip()]

    def _run(self, node: str, script: str, what: str) -> None:
        exec_checked(self._cluster, node, ["sh", "-c", script], what)

    def _on_every_node(self, action: Callable[[str], None]) -> None:
        # Side by side, so a partition starts (and heals) at nearly the same moment on
        # every node.
        on_nodes(list(self._cluster.nodes), action)


def partitioner_for(cluster: object) -> IptablesPartitioner | None:
    """An :class:`IptablesPartitioner` for ``cluster`` when it can exec and name peer IPs."""
    return IptablesPartitioner(cluster) if supports(cluster, PeerExecable) else None  # type: ignore[arg-type]

