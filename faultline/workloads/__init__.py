"""Workloads: what clients do during a test and how its history is checked.

``WORKLOADS`` is the registry (:class:`faultline.core.registry.Registry`); a workload
module registers by defining ``WORKLOAD`` (see :mod:`faultline.workloads.protocol`).
Their clients live with each database (:mod:`faultline.dbs`).
"""

from faultline.core.registry import Registry
from faultline.workloads.protocol import Workload

WORKLOADS: Registry[Workload] = Registry("workload", __name__, "WORKLOAD")

__all__ = ["WORKLOADS", "Workload"]
