"""Faults: the kinds of fault faultline can cause, their nemeses, schedules and healing.

``FAULTS`` is the registry (:class:`faultline.core.registry.Registry`) of fault kinds
(:class:`~faultline.faults.protocol.Fault`): a module here registers its kinds by
defining ``FAULT`` (:mod:`~faultline.faults.partition`: partition;
:mod:`~faultline.faults.process`: kill and pause; :mod:`~faultline.faults.clock`;
:mod:`~faultline.faults.packet`; :mod:`~faultline.faults.client_partition`).
``package(names, opts)`` is what a test uses; preflight
(:func:`faultline.faults.preflight.check`), healing (:func:`heal_cluster`), the report's
fault intervals (:func:`fault_intervals`), label and colour all loop over the registry.
The nemeses are exported for tests and tools that drive one fault directly.
"""

from __future__ import annotations

from faultline.core.registry import Registry

# First: the modules imported below loop over it.
FAULTS: Registry[Fault] = Registry("fault", __name__, "FAULT")

from faultline.faults.base import Nemesis  # noqa: E402
from faultline.faults.client_partition import ClientPartitionNemesis  # noqa: E402
from faultline.faults.clock import ClockNemesis  # noqa: E402
from faultline.faults.combined import ComposedNemesis, Package, package  # noqa: E402
from faultline.faults.heal import heal_cluster, heal_run  # noqa: E402
from faultline.faults.intervals import fault_intervals  # noqa: E402
from faultline.faults.packet import PacketNemesis  # noqa: E402
from faultline.faults.partition import PartitionNemesis  # noqa: E402
from faultline.faults.process import TARGETS, KillNemesis, PauseNemesis  # noqa: E402
from faultline.faults.protocol import Fault, FaultKind, FaultNemesis, Part  # noqa: E402
from faultline.faults.record import FaultRecord  # noqa: E402

__all__ = [
    "FAULTS", "TARGETS", "ClientPartitionNemesis", "ClockNemesis", "ComposedNemesis", "Fault",
    "FaultKind", "FaultNemesis", "FaultRecord", "KillNemesis", "Nemesis", "Package", "PacketNemesis",
    "Part", "PartitionNemesis", "PauseNemesis", "fault_intervals", "heal_cluster", "heal_run",
    "package",
]
