"""How the report shows each kind of fault: the name of its lane and its colour, both
from the fault registry (:data:`faultline.faults.FAULTS`, entries' ``label`` and
``colour``). A kind the registry does not know (a history recorded by an older
faultline) gets its own name and :data:`UNKNOWN_FAULT_COLOUR`."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Iterable, Mapping

UNKNOWN_FAULT_COLOUR = "#888888"


@dataclass(frozen=True)
class FaultLook:
    label: str
    colour: str


def fault_looks() -> dict[str, FaultLook]:
    """Every registered fault kind's look, in the registry's order."""
    from faultline.faults import FAULTS  # the faults package is imported only when drawn

    return {entry.name: FaultLook(entry.label, entry.colour) for entry in FAULTS}


def fault_look(kind: str, looks: Mapping[str, FaultLook] | None = None) -> FaultLook:
    """The look of fault ``kind`` (``looks``: :func:`fault_looks`, when already at hand)."""
    looks = fault_looks() if looks is None else looks
    return looks.get(kind) or FaultLook(kind, UNKNOWN_FAULT_COLOUR)


def lane_order(kinds: Iterable[str], looks: Mapping[str, FaultLook] | None = None) -> list[str]:
    """The kinds that occur, registered ones in the registry's order, then the others."""
    looks = fault_looks() if looks is None else looks
    present = set(kinds)
    return [k for k in looks if k in present] + sorted(present - set(looks))
