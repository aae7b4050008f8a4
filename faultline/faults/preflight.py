"""Preflight: can this cluster do every fault the test asks for?

Run before the first fault (the composed nemesis' ``setup`` calls :func:`check`). Every
requested fault's own preflight (:meth:`faultline.faults.protocol.Fault.preflight`)
probes every node for real (an iptables chain created and deleted, the server control
tool answering, the clock mechanism found, the packet mechanism chosen), and all the
problems are reported at once in one :class:`PreflightError` (exit 254). A fault that
cannot work stops the test; it is never a silent no-op.
"""

from __future__ import annotations

from typing import Any, Mapping

from faultline.core.errors import FaultlineError, PreflightError
from faultline.faults import FAULTS
from faultline.faults.protocol import FaultNemesis


def check(cluster: Any, nemeses: Mapping[str, FaultNemesis]) -> dict[str, Any]:
    """What each fault's preflight found on ``cluster`` (fault name -> its answer, e.g.
    the mechanism), for ``nemeses``: fault name -> the nemesis that will do it.

    Raises PreflightError listing every fault that cannot be done, and why, per node.
    """
    found: dict[str, Any] = {}
    problems: list[str] = []
    for name, nemesis in nemeses.items():
        try:
            found[name] = FAULTS.get(name).preflight(cluster, nemesis)
        except FaultlineError as e:  # PreflightError, or ClusterError from a probe
            problems.append(f"{name}: {e}")
    if problems:
        raise PreflightError("requested faults impossible: " + " | ".join(problems))
    return found


def detail(problems: Mapping[str, str]) -> str:
    """``n1, n3: why; n2: why else``: nodes sharing a reason are named together."""
    by_reason: dict[str, list[str]] = {}
    for node, why in problems.items():
        by_reason.setdefault(why, []).append(node)
    return "; ".join(f"{', '.join(nodes)}: {why}" for why, nodes in by_reason.items())
