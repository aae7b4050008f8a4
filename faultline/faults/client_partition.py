"""The client-partition nemesis: cut chosen nodes off from the database's clients while
they keep talking to their peers, and heal it.

A partition (:mod:`faultline.faults.partition`) cuts members from each other and keeps
the harness' path to every node open. This one is its complement: the cluster stays
whole, but the clients of the cut nodes (every process bound to one, the harness'
probes too) can no longer reach them, as when the network between an application and
some of the servers fails. A session or lease held through a cut node then expires on
the servers while its client, cut off, cannot tell.

Ops (process ``"nemesis"``):
- ``{"f": "start-client-partition", "value": {"target": "one"}}``: ``target`` from
  :data:`faultline.faults.process.TARGETS` (or ``"nodes": [...]``), resolved when the op
  runs with the nemesis' seeded RNG. The cut nodes drop the traffic of the db's client
  port (its descriptor's ``client_port``: etcd 2379, ZooKeeper 2181) with every source
  that is not a peer node, both ways (:mod:`faultline.cluster.client_partition`).
  Replaces an earlier cut. Completion value: ``{"target", "nodes", "port"}``; with no
  node to cut (``leader`` when none leads) nothing is cut and ``error`` says why.
- ``{"f": "stop-client-partition"}``: heal; the completion's value is ``{"healed": true}``.

The fault kind is :data:`FAULT`.
"""

from __future__ import annotations

from typing import Any, Mapping, Sequence

from faultline.cluster.client_partition import ClientPartitioner, client_partitioner_for
from faultline.cluster.nodes import probe_problems
from faultline.cluster.partition import PROBE_SCRIPT
from faultline.core.errors import PreflightError
from faultline.core.op import Op
from faultline.dbs import DBS
from faultline.faults.base import (StartStopNemesis, cluster_of, completion, heal_through, heal_with,
                                   known, option_choices, rng_for)
from faultline.faults.preflight import detail
from faultline.faults.process import TARGETS, resolve_nodes
from faultline.faults.protocol import FaultKind, Part
from faultline.faults.record import FaultRecord
from faultline.faults.schedule import FaultOps

START = "start-client-partition"
STOP = "stop-client-partition"
KIND = "client-partition"


def client_port(cluster: Any) -> int:
    """The port the clients of ``cluster``'s db dial on every node (its descriptor's);
    PreflightError when the cluster names no registered db."""
    db = getattr(cluster, "db", None)
    if db not in DBS:
        raise PreflightError(f"cluster {type(cluster).__name__} names no known db ({db!r}), "
                             "so its client port is unknown")
    return DBS.get(db).client_port


class ClientPartitionNemesis(StartStopNemesis):
    """Starts and stops client partitions; see the module docstring for its ops."""

    start_f, stop_f = START, STOP

    def __init__(self, targets: Sequence[str] = TARGETS, record: FaultRecord | None = None):
        self.targets = known(targets, TARGETS, "client-partition targets")
        self._record = record if record is not None else FaultRecord()
        self._rng = None
        self._cutter: ClientPartitioner | None = None
        self._port: int | None = None

    def setup(self, test: Mapping[str, Any], preflight: str | None = None) -> None:
        """PreflightError unless every node can be cut from its clients (see :func:`check`)."""
        cluster = cluster_of(test)
        if preflight is None:
            check(cluster, self)
        self._cutter = client_partitioner_for(cluster)
        self._port = client_port(cluster)
        self._rng = rng_for(test, KIND)
        self._record.ensure_open(cluster, test.get("run_dir"))

    def _start(self, test: Mapping[str, Any], op: Op) -> Op:
        cluster = cluster_of(test)
        value = dict(op.value or {})
        try:
            target, nodes = resolve_nodes(cluster, value, self.targets, self._rng)
        except (ValueError, TypeError) as e:
            return completion(op, {"target": value.get("target"), "nodes": []},
                              error=f"{e}; nothing cut")
        done = {"target": target, "nodes": nodes, "port": self._port}
        if not nodes:
            return completion(op, done, error="no node to cut (no leader?); nothing cut")
        self._record.set(KIND, {"nodes": nodes, "port": self._port})
        self._cutter.cut(nodes, self._port)
        return completion(op, done)

    def _heal(self) -> None:
        self._cutter.heal()
        self._record.clear(KIND)

    def teardown(self, test: Mapping[str, Any]) -> None:
        self._cutter = heal_through(self._cutter, test, client_partitioner_for)  # also without setup
        if self._cutter is not None:
            self._heal()


def check(cluster: Any, nemesis: ClientPartitionNemesis) -> str:
    """The preflight of client partitions: ``iptables`` when the cluster can run commands
    in its nodes and name their peers, its db's client port is known and every node can
    change its rules; PreflightError saying what is missing otherwise."""
    if client_partitioner_for(cluster) is None:
        raise PreflightError(f"cluster {type(cluster).__name__} cannot run commands in its "
                             "nodes and name their peers, so it cannot cut their clients")
    client_port(cluster)
    problems = probe_problems(cluster, PROBE_SCRIPT)
    if problems:
        raise PreflightError(f"client partitions impossible: {detail(problems)}")
    return "iptables"


def heal(cluster: Any) -> str | None:
    """Remove every client partition from ``cluster`` (None when it cannot have one)."""
    return heal_with(client_partitioner_for, cluster)


def build(opts: Mapping[str, Any], record: FaultRecord) -> Part:
    """The client-partition part of a package; option ``targets``: the node targets to
    draw from (default all of :data:`~faultline.faults.process.TARGETS`)."""
    targets = option_choices(opts, "targets", TARGETS)
    return Part(ClientPartitionNemesis(targets, record),
                FaultOps(KIND, lambda rng: {"f": START, "value": {"target": rng.choice(targets)}},
                         {"f": STOP, "value": None}))


FAULT = FaultKind(name=KIND, heal_rank=35, label="client partition", colour="#bcbd22",
                  start_fs=frozenset({START}), stop_fs=frozenset({STOP}),
                  build=build, preflight=check, heal=heal)
