"""faultline nemeses: faults applied to real clusters, their schedules, and healing.

``package(names, opts)`` is what a test uses; the nemeses and grudges are exported for
tests and tools that drive one fault directly.
"""

from faultline.faults.base import Nemesis
from faultline.faults.combined import FAULTS, ComposedNemesis, Package, package
from faultline.faults.intervals import fault_intervals
from faultline.faults.partition import PartitionNemesis
from faultline.faults.process import TARGETS, KillNemesis, PauseNemesis
from faultline.faults.record import FaultRecord

__all__ = [
    "FAULTS", "TARGETS", "ComposedNemesis", "FaultRecord", "KillNemesis", "Nemesis",
    "Package", "PartitionNemesis", "PauseNemesis", "fault_intervals", "package",
]
