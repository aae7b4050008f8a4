"""Healing a cluster completely, with or without the harness that broke it.

:func:`heal_cluster` undoes every fault faultline can cause, on every node, whatever is
recorded: paused servers resumed, killed servers started, our partition and packet rules
removed, clock offsets set back to zero. Each step is idempotent, so healing a healthy
cluster changes nothing. Used by the composed nemesis before a test starts (a cluster
left broken by an earlier run is repaired first) and by ``faultline cluster heal``.

:func:`heal_run` finds the cluster named in a run directory's ``faults.json`` (written
before each fault by :mod:`faultline.faults.record`), heals it and marks the record healed.
"""

from __future__ import annotations

import os
from typing import Any, Callable

from faultline.cluster.clock import on_nodes
from faultline.cluster.protocol import Killable, Pausable, supports
from faultline.faults import clock, packet, record as records
from faultline.faults.partition import partitioner


def heal_cluster(cluster: Any) -> dict[str, Any]:
    """Undo every kind of fault on every node; returns what each step did.

    Steps run in an order that lets the later ones reach every node (servers resumed and
    started before network and clock are repaired). Every step runs even when an earlier
    one failed; the first error is raised at the end.
    """
    nodes = list(cluster.nodes)
    steps: list[tuple[str, Callable[[], Any]]] = []

    def every_node(action: Callable[[str], None]) -> Callable[[], list[str]]:
        def run() -> list[str]:
            on_nodes(nodes, action)
            return nodes
        return run

    pausable, killable = supports(cluster, Pausable), supports(cluster, Killable)
    if pausable or killable:
        def revive(node: str) -> None:  # one round of execs for both
            if pausable:
                cluster.resume(node)
            if killable:
                cluster.start(node)
        name = "+".join(w for w, on in (("resumed", pausable), ("started", killable)) if on)
        steps.append((name, every_node(revive)))
    net = partitioner(cluster)
    if net is not None:
        steps.append(("partition", lambda: net.heal() or "healed"))
    steps.append(("packet", lambda: packet.heal(cluster) or "healed"))
    steps.append(("clock", lambda: clock.heal(cluster)))
    done: dict[str, Any] = {}
    errors = []
    for name, step in steps:
        try:
            done[name] = step()
        except Exception as e:  # noqa: BLE001 - heal the rest, then report
            done[name] = f"failed: {e}"
            errors.append(e)
    if errors:
        raise errors[0]
    return done


def heal_run(run_dir: str | os.PathLike, attach: Callable[[str], Any]) -> dict[str, Any]:
    """Heal the cluster recorded in ``run_dir/faults.json``.

    ``attach(project_name)`` returns a handle on the running cluster (raising
    BadInputError when it is gone). Returns ``{"cluster": name, "active": what the
    record listed, "healed": heal_cluster's summary}``; the record is then rewritten
    with nothing active. ValueError when the run directory has no usable record.
    """
    data = records.read(run_dir)
    name = data.get("cluster", {}).get("name")
    if not name:
        raise ValueError(f"{run_dir}: the fault record names no cluster")
    summary = {"cluster": name, "active": data["active"], "healed": heal_cluster(attach(name))}
    records.mark_healed(run_dir, data)
    return summary
