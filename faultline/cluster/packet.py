"""Packet loss and delay between nodes, applied inside the node containers.

Two mechanisms, chosen per cluster (:meth:`PacketShaper.preflight`):

- ``netem`` where the kernel has the qdisc: on each node, a ``prio`` root qdisc (handle
  :data:`NETEM_HANDLE`) whose extra band holds ``netem delay .. loss ..``, and ``u32``
  filters steering packets *to* the shaped peers into it (egress shaping).
- ``iptables`` otherwise (this project's CI kernel has no netem): in chain :data:`CHAIN`,
  appended to ``INPUT``, packets *from* the shaped peers are dropped with probability
  ``loss`` (``-m statistic --mode random``) and queued (``-j NFQUEUE --queue-bypass``) to
  :mod:`faultline.cluster.nfqueue_delayer`, a stdlib-only Python program the harness copies
  into the node, which accepts each packet ``delay`` (+- jitter) later.

Either way every shaped link is shaped in both directions, each direction once: a link
with ``delay_ms=100`` adds ~200 ms to a round trip, and ``loss=0.2`` drops 20% of the
packets each way. Traffic from the harness (the Docker host) is never touched.

Our chain is appended to ``INPUT`` (the partitioner's chain is inserted at its top) so a
partition still drops a peer's packets before they could be queued: an NFQUEUE verdict
of ACCEPT ends the packet's walk through ``INPUT``.

Healing removes exactly what was added: the jump, the chain, the delayer process (which
first accepts every packet it holds, so healing drops nothing) and our qdisc. It is
idempotent and safe after a crash, whatever state the node is in.
"""

from __future__ import annotations

import shlex
from dataclasses import dataclass
from pathlib import Path
from typing import Mapping, Sequence

from faultline.cluster.nodes import exec_checked, exec_read, on_nodes
from faultline.cluster.partition import heal_script
from faultline.cluster.protocol import PeerExecable, supports
from faultline.core.errors import ClusterError, PreflightError

CHAIN = "FAULTLINE-PACKET"
QUEUE = 4217
"""NFQUEUE number of the delayer (the probe binds QUEUE + 1, never the live one)."""
NETEM_HANDLE = "fa17"
DELAYER_PATH = "/run/faultline/nfqueue_delayer.py"
PID_FILE = "/run/faultline/packet-delayer.pid"
DELAYER_LOG = "/var/log/faultline/packet-delayer.log"
METHODS = ("auto", "netem", "iptables")
LIST_END = "-- end of faultline packet state --"
_DELAYER_SOURCE = Path(__file__).with_name("nfqueue_delayer.py")


@dataclass(frozen=True)
class PacketFault:
    """What happens on a shaped link, per direction."""

    loss: float = 0.0        # probability that a packet is dropped
    delay_ms: float = 0.0    # added latency
    jitter_ms: float = 0.0   # uniform +- around delay_ms

    def __post_init__(self) -> None:
        if not 0.0 <= self.loss <= 1.0:
            raise ValueError(f"packet loss must be a probability in [0, 1], got {self.loss}")
        if not 0.0 <= self.delay_ms <= 60_000:
            raise ValueError(f"packet delay must be 0..60000 ms, got {self.delay_ms}")
        if not 0.0 <= self.jitter_ms <= self.delay_ms:
            raise ValueError(f"packet jitter must be 0..delay ({self.delay_ms} ms), got {self.jitter_ms}")
        if self.loss == 0 and self.delay_ms == 0:
            raise ValueError("a packet fault needs loss > 0 or delay > 0")

    def to_json(self) -> dict[str, float]:
        return {"loss": self.loss, "delay_ms": self.delay_ms, "jitter_ms": self.jitter_ms}


def shaped_peers(nodes: Sequence[str], chosen: Sequence[str]) -> dict[str, list[str]]:
    """For each node, the peers whose links to it are shaped: every link that has a
    chosen node at one end. ``chosen=[n1]`` of n1..n3 shapes n1-n2 and n1-n3, not n2-n3."""
    picked = set(chosen)
    unknown = picked - set(nodes)
    if unknown:
        raise ValueError(f"unknown nodes {sorted(unknown)}")
    return {node: [p for p in nodes if p != node and (node in picked or p in picked)]
            for node in nodes}


HEAL_SCRIPT = f"""
{heal_script(CHAIN)}
# SIGTERM lets the delayer accept what it holds; SIGKILL only if it ignores us for 5 s.
if pgrep -f '^python3 {DELAYER_PATH}' >/dev/null; then
  pkill -TERM -f '^python3 {DELAYER_PATH}'
  i=0
  while pgrep -f '^python3 {DELAYER_PATH}' >/dev/null && [ $i -lt 50 ]; do sleep 0.1; i=$((i + 1)); done
  pkill -KILL -f '^python3 {DELAYER_PATH}' || true
fi
rm -f {PID_FILE}
if command -v tc >/dev/null; then
  for dev in $(ls /sys/class/net); do
    if tc qdisc show dev "$dev" | grep -q "qdisc prio {NETEM_HANDLE}: root"; then tc qdisc del dev "$dev" root; fi
  done
fi
true
"""
"""Remove everything either mechanism added; succeeds when nothing is there."""

LIST_SCRIPT = f"""
iptables -w -S {CHAIN} 2>/dev/null
iptables -w -S INPUT 2>/dev/null | grep -- '-j {CHAIN}'
pgrep -af '^python3 {DELAYER_PATH}'
if command -v tc >/dev/null; then
  for dev in $(ls /sys/class/net); do tc qdisc show dev "$dev" | grep "qdisc [a-z]* {NETEM_HANDLE}:"; done
fi
echo {LIST_END}
"""
"""Print what of ours is on the node (rules, delayer processes, qdiscs), then LIST_END."""

PROBE_SCRIPT = f"""
# key=value lines: what this node can do for packet faults. $1 is the delayer's source.
iptables -w -S INPUT >/dev/null 2>&1 && echo iptables=yes || echo iptables=no
iptables -w -N FAULTLINE-PROBE 2>/dev/null || iptables -w -F FAULTLINE-PROBE 2>/dev/null
iptables -w -A FAULTLINE-PROBE -m statistic --mode random --probability 0.5 -j DROP 2>/dev/null \\
  && echo statistic=yes || echo statistic=no
iptables -w -A FAULTLINE-PROBE -j NFQUEUE --queue-num {QUEUE + 1} --queue-bypass 2>/dev/null \\
  && echo nfqueue=yes || echo nfqueue=no
iptables -w -F FAULTLINE-PROBE 2>/dev/null; iptables -w -X FAULTLINE-PROBE 2>/dev/null
command -v python3 >/dev/null && python3 -c "$1" --queue {QUEUE + 1} --probe >/dev/null 2>&1 \\
  && echo delayer=yes || echo delayer=no
if command -v tc >/dev/null && tc qdisc add dev lo root handle {NETEM_HANDLE}: netem delay 1ms 2>/dev/null; then
  tc qdisc del dev lo root; echo netem=yes
else
  echo netem=no
fi
"""


def iptables_script(peer_ips: Sequence[str], fault: PacketFault, seed: int = 0) -> str:
    """Shell script (delayer source as ``$1``) shaping packets from ``peer_ips``; heals first."""
    lines = [HEAL_SCRIPT, "set -e"]
    if not peer_ips:
        return "\n".join(lines)
    if fault.delay_ms > 0:
        start = (f"setsid python3 {DELAYER_PATH} --queue {QUEUE} --delay-ms {fault.delay_ms:g} "
                 f"--jitter-ms {fault.jitter_ms:g} --seed {int(seed)} --pid-file {PID_FILE} "
                 f"</dev/null >>{DELAYER_LOG} 2>&1 &")
        lines += [
            f'printf "%s" "$1" > {DELAYER_PATH}',
            f"mkdir -p {shlex.quote(str(Path(DELAYER_LOG).parent))}",
            # No job control here, so setsid execs python in place: $! is the delayer.
            start,
            "delayer=$!",
            # The pid file appears once the queue is bound; only then may packets be queued.
            f"i=0; while [ ! -s {PID_FILE} ]; do",
            '  if [ $i -ge 100 ] || ! kill -0 "$delayer" 2>/dev/null; then',
            f"    echo 'nfqueue delayer did not start:'; tail -n 3 {DELAYER_LOG}; exit 1",
            "  fi; sleep 0.05; i=$((i + 1))",
            "done",
        ]
    lines.append(f"iptables -w -N {CHAIN}")
    for ip in peer_ips:
        source = f"-s {shlex.quote(ip)}"
        if fault.loss > 0:
            lines.append(f"iptables -w -A {CHAIN} {source} -m statistic --mode random "
                         f"--probability {fault.loss:.6f} -j DROP")
        if fault.delay_ms > 0:
            lines.append(f"iptables -w -A {CHAIN} {source} -j NFQUEUE --queue-num {QUEUE} --queue-bypass")
    lines.append(f"iptables -w -A INPUT -j {CHAIN}")
    return "\n".join(lines)


def netem_script(peer_ips: Sequence[str], fault: PacketFault) -> str:
    """Shell script shaping packets to ``peer_ips`` with netem on the routes' devices."""
    lines = [HEAL_SCRIPT, "set -e"]
    if not peer_ips:
        return "\n".join(lines)
    netem = []
    if fault.delay_ms > 0:
        netem.append(f"delay {fault.delay_ms:g}ms" + (f" {fault.jitter_ms:g}ms" if fault.jitter_ms else ""))
    if fault.loss > 0:
        netem.append(f"loss {fault.loss * 100:.4f}%")
    first = shlex.quote(peer_ips[0])
    h = NETEM_HANDLE
    lines += [
        f"dev=$(ip -o route get {first} | sed -n 's/.* dev \\([^ ]*\\).*/\\1/p')",
        # Bands 1-3 keep the default priomap; band 4 (netem) gets only what the filters send.
        f'tc qdisc add dev "$dev" root handle {h}: prio bands 4 priomap 1 2 2 2 1 2 0 0 1 1 1 1 1 1 1 1',
        f'tc qdisc add dev "$dev" parent {h}:4 handle {int(h, 16) + 1:x}: netem {" ".join(netem)}',
    ]
    lines += [f'tc filter add dev "$dev" parent {h}: protocol ip prio 1 u32 '
              f"match ip dst {shlex.quote(ip)}/32 flowid {h}:4" for ip in peer_ips]
    return "\n".join(lines)


def parse_probe(output: str) -> dict[str, bool]:
    """The probe's ``key=yes|no`` lines as a dict."""
    facts = {}
    for line in output.splitlines():
        key, sep, value = line.strip().partition("=")
        if sep:
            facts[key] = value == "yes"
    return facts


def method_for(facts: Mapping[str, Mapping[str, bool]], fault: PacketFault, method: str = "auto") -> str:
    """The mechanism every node can apply ``fault`` with (``netem`` | ``iptables``), given
    each node's probe facts; PreflightError naming the nodes and what they lack."""
    if method not in METHODS:
        raise ValueError(f"packet method must be one of {', '.join(METHODS)}, got {method!r}")
    if method in ("auto", "netem") and facts and all(f.get("netem") for f in facts.values()):
        return "netem"
    if method == "netem":
        lacking = sorted(n for n, f in facts.items() if not f.get("netem"))
        raise PreflightError(f"packet faults: netem requested but the kernel has no netem qdisc "
                             f"on {', '.join(lacking)}")
    needed = ["iptables", "statistic"] if fault.loss > 0 else ["iptables"]
    if fault.delay_ms > 0:
        needed += ["nfqueue", "delayer"]
    lacking = {n: [k for k in needed if not f.get(k)] for n, f in facts.items()}
    lacking = {n: ks for n, ks in lacking.items() if ks}
    if lacking:
        what = {"iptables": "iptables with NET_ADMIN", "statistic": "iptables statistic match",
                "nfqueue": "iptables NFQUEUE target", "delayer": "python3 bound to an NFQUEUE"}
        detail = "; ".join(f"{n}: no {', '.join(what[k] for k in ks)}" for n, ks in sorted(lacking.items()))
        raise PreflightError(f"packet faults impossible (no netem, and no iptables fallback): {detail}")
    return "iptables"


class PacketShaper:
    """Applies :class:`PacketFault` to links of a cluster that can exec in its nodes and
    name their peer IPs. Stateless between calls: the nodes hold the state."""

    def __init__(self, cluster: PeerExecable):
        self._cluster = cluster

    def probe(self) -> dict[str, dict[str, bool]]:
        """Each node's packet-fault facts (see :data:`PROBE_SCRIPT`)."""
        source = _DELAYER_SOURCE.read_text(encoding="utf-8")
        nodes = list(self._cluster.nodes)

        def facts(node: str) -> dict[str, bool]:
            _, out = exec_read(self._cluster, node, ["sh", "-c", PROBE_SCRIPT, "sh", source])
            return parse_probe(out)
        return dict(zip(nodes, on_nodes(nodes, facts)))

    def preflight(self, fault: PacketFault, method: str = "auto") -> str:
        """The method this cluster will use for ``fault``; PreflightError when none works."""
        return method_for(self.probe(), fault, method)

    def apply(self, chosen: Sequence[str], fault: PacketFault, method: str, seed: int = 0) -> dict[str, list[str]]:
        """Shape every link with a chosen node at one end (replacing any earlier packet
        fault); returns :func:`shaped_peers`, what each node now shapes."""
        nodes = list(self._cluster.nodes)
        peers = shaped_peers(nodes, chosen)
        ips = {node: self._cluster.peer_ip(node) for node in nodes}
        source = _DELAYER_SOURCE.read_text(encoding="utf-8")

        def shape(node: str) -> None:
            peer_ips = [ips[p] for p in peers[node]]
            if method == "netem":
                script = netem_script(peer_ips, fault)
            else:
                script = iptables_script(peer_ips, fault, seed)
            exec_checked(self._cluster, node, ["sh", "-c", script, "sh", source], "shape packets on")
        on_nodes(nodes, shape)
        return peers

    def heal(self) -> None:
        """Remove our rules, delayers and qdiscs from every node."""
        on_nodes(list(self._cluster.nodes),
                 lambda node: exec_checked(self._cluster, node, ["sh", "-c", HEAL_SCRIPT], "heal packets on"))

    def leftovers(self, node: str) -> list[str]:
        """What of ours is on ``node`` (rules, delayer processes, qdiscs); [] when healed."""
        _, out = exec_read(self._cluster, node, ["sh", "-c", LIST_SCRIPT])
        lines = out.splitlines()
        if LIST_END not in lines:
            raise ClusterError(f"could not list packet-fault state on {node}: {out.strip()[-200:]!r}")
        return [line for line in lines if line.strip() and line != LIST_END]


def shaper_for(cluster: object) -> PacketShaper | None:
    """A :class:`PacketShaper` for ``cluster`` when it can exec and name peer IPs."""
    return PacketShaper(cluster) if supports(cluster, PeerExecable) else None  # type: ignore[arg-type]
