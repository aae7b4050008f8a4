"""Healing a cluster completely, with or without the harness that broke it.

:func:`heal_cluster` undoes every kind of fault registered in
:data:`faultline.faults.FAULTS`, on every node, whatever is recorded (paused servers
resumed, killed servers started, our partition and packet rules removed, clock offsets
set back to zero), by heal rank (:func:`in_heal_order`). Each fault's heal is
idempotent, so healing a healthy cluster changes nothing. Used by the composed nemesis
before a test starts (a cluster left broken by an earlier run is repaired first) and by
``faultline cluster heal``.

:func:`heal_run` finds the cluster named in a run directory's ``faults.json`` (written
before each fault by :mod:`faultline.faults.record`), heals it and marks the record healed.
"""

from __future__ import annotations

import os
from typing import Any, Callable, Iterable

from faultline.faults import FAULTS, record as records


def in_heal_order(names: Iterable[str]) -> list[str]:
    """The fault ``names`` by increasing heal rank (frozen and dead servers first, so the
    network and clock heals that follow reach running nodes); ties keep their order."""
    return sorted(names, key=lambda name: FAULTS.get(name).heal_rank)


def heal_cluster(cluster: Any) -> dict[str, Any]:
    """Undo every kind of fault on every node; returns what each fault's heal did, by
    fault name (a fault ``cluster`` cannot have is left out).

    Every heal runs even when an earlier one failed (its entry then says so); the first
    error is raised at the end.
    """
    done: dict[str, Any] = {}
    errors = []
    for name in in_heal_order(FAULTS.names()):
        try:
            what = FAULTS.get(name).heal(cluster)
        except Exception as e:  # noqa: BLE001 - heal the rest, then report
            done[name] = f"failed: {e}"
            errors.append(e)
            continue
        if what is not None:
            done[name] = what
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
