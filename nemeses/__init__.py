"""faultline nemeses: faults applied to real clusters, their schedules, and healing.

``package(names, opts)`` is what a test uses; the nemeses and grudges are exported for
tests and tools that drive one fault directly.
"""

from nemeses.base import Nemesis
from nemeses.combined import FAULTS, ComposedNemesis, Package, package
from nemeses.intervals import fault_intervals
from nemeses.partition import PartitionNemesis
from nemeses.process import TARGETS, KillNemesis, PauseNemesis
from nemeses.record import FaultRecord

__all__ = [
    "FAULTS", "TARGETS", "ComposedNemesis", "FaultRecord", "KillNemesis", "Nemesis",
    "Package", "PartitionNemesis", "PauseNemesis", "fault_intervals", "package",
]
