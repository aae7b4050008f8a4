"""The partition nemesis: cut the network as a grudge says, and heal it.

Ops (process ``"nemesis"``):
- ``{"f": "start-partition", "value": "majorities-ring"}``: value is a grudge shape
  from :data:`faultline.faults.grudges.SHAPES`. The completion's value is
  ``{"shape": ..., "grudge": {node: [nodes it does not hear]}}``; when the shape cannot
  be built now (``isolate-leader`` with no leader) nothing is cut and ``error`` says why.
  A new partition replaces the previous one.
- ``{"f": "stop-partition"}``: heal; the completion's value is ``{"healed": true}``.

The cluster must be :class:`~faultline.cluster.protocol.Partitionable` (or able to run
iptables in its nodes, see :mod:`faultline.cluster.partition`).
"""

from __future__ import annotations

from typing import Any, Mapping, Sequence

from faultline.cluster.partition import partitioner_for
from faultline.cluster.protocol import Partitionable, supports
from faultline.core.errors import PreflightError
from faultline.core.op import Op
from faultline.faults import grudges
from faultline.faults.base import StartStopNemesis, cluster_of, completion, heal_through, known, rng_for
from faultline.faults.record import FaultRecord

START = "start-partition"
STOP = "stop-partition"
KIND = "partition"


def partitioner(cluster: object) -> Partitionable | None:
    """The object that partitions ``cluster``: itself when Partitionable, else iptables
    through its ``exec``; None when neither works."""
    if supports(cluster, Partitionable):
        return cluster  # type: ignore[return-value]
    return partitioner_for(cluster)


class PartitionNemesis(StartStopNemesis):
    """Starts and stops partitions; see the module docstring for its ops."""

    start_f, stop_f = START, STOP

    def __init__(self, shapes: Sequence[str] = grudges.SHAPES, record: FaultRecord | None = None):
        self.shapes = known(shapes, grudges.SHAPES, "partition shapes")
        self._record = record if record is not None else FaultRecord()
        self._rng = None
        self._net: Partitionable | None = None

    def setup(self, test: Mapping[str, Any]) -> None:
        cluster = cluster_of(test)
        net = partitioner(cluster)
        if net is None:
            raise PreflightError(f"cluster {type(cluster).__name__} cannot partition its nodes")
        self._net = net
        self._rng = rng_for(test, KIND)
        self._record.ensure_open(cluster, test.get("run_dir"))

    def _start(self, test: Mapping[str, Any], op: Op) -> Op:
        cluster = cluster_of(test)
        shape = op.value if op.value is not None else self._rng.choice(self.shapes)
        leader = cluster.leader() if shape == "isolate-leader" else None
        try:
            grudge = grudges.make(shape, list(cluster.nodes), self._rng, leader=leader)
        except ValueError as e:
            return completion(op, {"shape": shape, "grudge": {}}, error=f"{e}; nothing cut")
        data = grudges.to_json(grudge)
        self._record.set(KIND, {"grudge": data})
        self._net.partition(grudge)
        return completion(op, {"shape": shape, "grudge": data})

    def _heal(self) -> None:
        self._net.heal()
        self._record.clear(KIND)

    def teardown(self, test: Mapping[str, Any]) -> None:
        self._net = heal_through(self._net, test, partitioner)  # also without setup
        if self._net is not None:
            self._heal()
