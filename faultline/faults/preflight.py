"""Preflight: can this cluster do every fault the test asks for?

Run before the first fault (the composed nemesis' ``setup`` calls :func:`check`). Every
requested fault is probed on every node for real (an iptables chain created and deleted,
the server control tool answering, the clock mechanism found, the packet mechanism
chosen), and all the problems are reported at once in one :class:`PreflightError`
(exit 254). A fault that cannot work stops the test; it is never a silent no-op.
"""

from __future__ import annotations

from typing import Any, Callable, Mapping, Sequence

from faultline.cluster.clock import check_clock_capable, exec_read, on_nodes
from faultline.cluster.packet import PacketFault, shaper_for
from faultline.cluster.protocol import Killable, Pausable, supports
from faultline.core.errors import FaultlineError, PreflightError
from faultline.faults.partition import partitioner

IPTABLES_PROBE = """
command -v iptables >/dev/null 2>&1 || { echo "no: iptables is not installed"; exit 0; }
if iptables -w -N FAULTLINE-PROBE 2>/dev/null; then
  iptables -w -X FAULTLINE-PROBE; echo "yes"
else
  echo "no: iptables cannot change rules (the container lacks NET_ADMIN?)"
fi
"""

DEMANDING_PACKET_FAULT = PacketFault(loss=0.1, delay_ms=50.0)
"""Needs every packet mechanism (loss and delay): what a packet schedule may ask for."""


def _node_problems(cluster: Any, script: str) -> dict[str, str]:
    nodes = list(cluster.nodes)

    def probe(node: str) -> str | None:
        code, out = exec_read(cluster, node, ["sh", "-c", script])  # a probe always answers
        answer = out.strip().splitlines()[-1] if out.strip() else f"probe exited {code}"
        return None if answer == "yes" else answer.removeprefix("no: ")
    return {n: p for n, p in zip(nodes, on_nodes(nodes, probe)) if p}


def _detail(problems: Mapping[str, str]) -> str:
    """``n1, n3: why; n2: why else``: nodes sharing a reason are named together."""
    by_reason: dict[str, list[str]] = {}
    for node, why in problems.items():
        by_reason.setdefault(why, []).append(node)
    return "; ".join(f"{', '.join(nodes)}: {why}" for why, nodes in by_reason.items())


def _partition(cluster: Any) -> str:
    if partitioner(cluster) is None:
        raise PreflightError(f"cluster {type(cluster).__name__} cannot partition its nodes")
    if callable(getattr(cluster, "exec", None)):
        problems = _node_problems(cluster, IPTABLES_PROBE)
        if problems:
            raise PreflightError(f"partitions impossible: {_detail(problems)}")
    return "iptables"


def _process(capability: type, f: str) -> Callable[[Any], str]:
    def check(cluster: Any) -> str:
        if not supports(cluster, capability):
            raise PreflightError(f"cluster {type(cluster).__name__} cannot {f} nodes")
        if callable(getattr(cluster, "server_state", None)):
            nodes = list(cluster.nodes)
            states = dict(zip(nodes, on_nodes(nodes, cluster.server_state)))
            problems = {n: f"server control answered {s!r}" for n, s in states.items()
                        if s not in ("running", "paused", "stopped")}
            if problems:
                raise PreflightError(f"{f} impossible: {_detail(problems)}")
        return capability.__name__
    return check


def _clock(cluster: Any) -> str:
    check_clock_capable(cluster)
    return "offset file"


def _packet(fault: PacketFault, method: str) -> Callable[[Any], str]:
    def check(cluster: Any) -> str:
        shaper = shaper_for(cluster)
        if shaper is None:
            raise PreflightError(f"cluster {type(cluster).__name__} cannot shape packets between nodes")
        return shaper.preflight(fault, method)
    return check


def check(cluster: Any, names: Sequence[str], *, packet_fault: PacketFault = DEMANDING_PACKET_FAULT,
          packet_method: str = "auto") -> dict[str, str]:
    """How each fault in ``names`` will be done on ``cluster`` (fault -> mechanism).

    ``packet_fault``/``packet_method``: what the packet nemesis will apply (the
    mechanisms needed depend on it: loss needs less than delay).
    Raises PreflightError listing every fault that cannot be done, and why, per node.
    """
    checks: dict[str, Callable[[Any], str]] = {
        "partition": _partition,
        "kill": _process(Killable, "kill"),
        "pause": _process(Pausable, "pause"),
        "clock": _clock,
        "packet": _packet(packet_fault, packet_method),
    }
    unknown = [n for n in names if n not in checks]
    if unknown:
        raise PreflightError(f"no preflight for faults {', '.join(unknown)}")
    how: dict[str, str] = {}
    problems: list[str] = []
    for name in names:
        try:
            how[name] = checks[name](cluster)
        except FaultlineError as e:  # PreflightError, or ClusterError from a probe
            problems.append(f"{name}: {e}")
    if problems:
        raise PreflightError("requested faults impossible: " + " | ".join(problems))
    return how
