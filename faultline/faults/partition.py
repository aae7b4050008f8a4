"""The partition nemesis: cut the network as a grudge says, and heal it.

Ops (process ``"nemesis"``):
- ``{"f": "start-partition", "value": "majorities-ring"}``: value is a grudge shape
  from :data:`faultline.faults.grudges.SHAPES`. The completion's value is
  ``{"shape": ..., "grudge": {node: [nodes it does not hear]}}``; when the shape cannot
  be built now (``isolate-leader`` with no leader) nothing is cut and ``error`` says why.
  A new partition replaces the previous one.
- ``{"f": "stop-partition"}``: heal; the completion's value is ``{"healed": true}``.

The cluster must be :class:`~faultline.cluster.protocol.Partitionable` (or able to run
iptables in its nodes, see :mod:`faultline.cluster.partition`). The fault kind is
:data:`FAULT`.
"""

from __future__ import annotations

from typing import Any, Mapping, Sequence

from faultline.cluster.nodes import probe_problems
from faultline.cluster.partition import PROBE_SCRIPT, partitioner_for
from faultline.cluster.protocol import Execable, Partitionable, supports
from faultline.core.errors import PreflightError
from faultline.core.op import Op
from faultline.faults import grudges
from faultline.faults.base import (StartStopNemesis, cluster_of, completion, heal_through, heal_with,
                                   known, option_choices, rng_for)
from faultline.faults.preflight import detail
from faultline.faults.protocol import FaultKind, Part
from faultline.faults.record import FaultRecord
from faultline.faults.schedule import FaultOps

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

    def setup(self, test: Mapping[str, Any], preflight: str | None = None) -> None:
        """PreflightError unless every node can be partitioned (see :func:`check`)."""
        cluster = cluster_of(test)
        if preflight is None:
            check(cluster, self)
        self._net = partitioner(cluster)
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


def check(cluster: Any, nemesis: PartitionNemesis) -> str:
    """The preflight of partitions: ``iptables`` when every node can change its rules,
    ``Partitionable`` for a cluster that partitions itself without running commands in
    its nodes; PreflightError naming the nodes that cannot."""
    if partitioner(cluster) is None:
        raise PreflightError(f"cluster {type(cluster).__name__} cannot partition its nodes")
    if not supports(cluster, Execable):
        return "Partitionable"
    problems = probe_problems(cluster, PROBE_SCRIPT)
    if problems:
        raise PreflightError(f"partitions impossible: {detail(problems)}")
    return "iptables"


def heal(cluster: Any) -> str | None:
    """Remove every partition from ``cluster`` (None when it cannot partition)."""
    return heal_with(partitioner, cluster)


def build(opts: Mapping[str, Any], record: FaultRecord) -> Part:
    """The partition part of a package; option ``partitions``: the grudge shapes to draw
    from (default all of :data:`~faultline.faults.grudges.SHAPES`)."""
    shapes = option_choices(opts, "partitions", grudges.SHAPES)
    return Part(PartitionNemesis(shapes, record),
                FaultOps(KIND, lambda rng: {"f": START, "value": rng.choice(shapes)},
                         {"f": STOP, "value": None}))


FAULT = FaultKind(name=KIND, heal_rank=30, label="partition", colour="#9467bd",
                  start_fs=frozenset({START}), stop_fs=frozenset({STOP}),
                  build=build, preflight=check, heal=heal)
