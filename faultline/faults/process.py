"""Process faults: kill -9 and restart (data kept), pause and resume.

Ops (process ``"nemesis"``), ``value`` a target from :data:`TARGETS`:
- ``{"f": "kill", "value": "minority"}``: SIGKILL the server on the target nodes; the
  completion's value is ``{"target": "minority", "nodes": ["n2"], "signal": "SIGKILL"}``.
- ``{"f": "start"}``: start every killed server again, same data directory;
  value ``{"nodes": [...], "action": "start"}``.
- ``{"f": "pause", "value": "leader"}``: freeze the target nodes (``"signal": "SIGSTOP"``);
- ``{"f": "resume"}``: unfreeze every paused node (``"action": "resume"``).

Targets are resolved when the op runs (the leader is whoever leads then), with the
nemesis' seeded RNG. ``leader`` with no leader known does nothing and says so in
``error``. The cluster must be :class:`~faultline.cluster.protocol.Killable` /
:class:`~faultline.cluster.protocol.Pausable`. The fault kinds are :data:`KILL` and
:data:`PAUSE` (:data:`FAULT`).
"""

from __future__ import annotations

import random
from typing import Any, Mapping, Sequence

from faultline.cluster.nodes import on_nodes
from faultline.cluster.protocol import Killable, Pausable, supports
from faultline.core.errors import PreflightError
from faultline.core.op import Op
from faultline.faults.base import cluster_of, completion, known, option_choices, rng_for, unknown_f
from faultline.faults.grudges import majority
from faultline.faults.preflight import detail
from faultline.faults.protocol import FaultKind, Part
from faultline.faults.record import FaultRecord
from faultline.faults.schedule import FaultOps

TARGETS = ("one", "minority", "majority", "all", "leader")


def select(target: str, nodes: Sequence[str], rng: random.Random, leader: str | None = None) -> list[str]:
    """The nodes ``target`` names, in cluster order.

    ``one``: a random node. ``minority``: the largest set smaller than half (at least
    one node). ``majority``: the smallest majority. ``all``: every node. ``leader``:
    ``[leader]``, or ``[]`` when there is none.
    """
    n = len(nodes)
    if target == "leader":
        return [leader] if leader in nodes else []
    sizes = {"one": 1, "minority": max(1, (n - 1) // 2), "majority": majority(n), "all": n}
    if target not in sizes:
        raise ValueError(f"unknown target {target!r}; choose from {', '.join(TARGETS)}")
    chosen = set(rng.sample(list(nodes), min(sizes[target], n)))
    return [node for node in nodes if node in chosen]


def target_nodes(cluster: Any, target: str, rng: random.Random) -> list[str]:
    """:func:`select` on ``cluster`` now: ``leader`` is whoever leads at this moment."""
    leader = cluster.leader() if target == "leader" else None
    return select(target, list(cluster.nodes), rng, leader=leader)


def resolve_nodes(cluster: Any, value: Mapping[str, Any], targets: Sequence[str],
                  rng: random.Random) -> tuple[str | None, list[str]]:
    """(target, nodes) an op's ``value`` names: its ``nodes`` list (in cluster order;
    ValueError for a node the cluster lacks), else its ``target`` or, without one, a
    random one of ``targets``."""
    if "nodes" in value:
        named = set(value["nodes"])
        nodes = [n for n in cluster.nodes if n in named]
        if len(nodes) != len(named):
            raise ValueError(f"unknown nodes in {value['nodes']}")
        return value.get("target"), nodes
    target = value.get("target") or rng.choice(targets)
    return target, target_nodes(cluster, target, rng)


class _ProcessNemesis:
    """Breaks target nodes with ``cluster.<start_f>(node)`` and restores every broken
    node with ``cluster.<stop_f>(node)``: the op names are the capability's methods."""

    kind: str            # the record's key and the RNG stream's name
    start_f: str         # "kill" | "pause"
    stop_f: str          # "start" | "resume"
    signal: str
    capability: type

    def __init__(self, targets: Sequence[str] = TARGETS, record: FaultRecord | None = None):
        self.targets = known(targets, TARGETS, "targets")
        self._record = record if record is not None else FaultRecord()
        self._rng = random.Random(0)
        self._broken: list[str] = []

    def fs(self) -> set[str]:
        return {self.start_f, self.stop_f}

    def setup(self, test: Mapping[str, Any], preflight: str | None = None) -> None:
        """PreflightError unless the cluster can do this to its nodes (see :func:`check`)."""
        cluster = cluster_of(test)
        if preflight is None:
            check(cluster, self)
        self._rng = rng_for(test, self.kind)
        self._record.ensure_open(cluster, test.get("run_dir"))

    def invoke(self, test: Mapping[str, Any], op: Op) -> Op:
        cluster = cluster_of(test)
        if op.f == self.start_f:
            target = op.value if op.value is not None else self._rng.choice(self.targets)
            nodes = [n for n in target_nodes(cluster, target, self._rng) if n not in self._broken]
            value = {"target": target, "nodes": nodes, "signal": self.signal}
            if not nodes:
                why = "no leader known" if target == "leader" else "targets already down"
                return completion(op, value, error=f"{why}; nothing done")
            self._broken += nodes
            self._record.set(self.kind, list(self._broken))
            for node in nodes:
                getattr(cluster, self.start_f)(node)
            return completion(op, value)
        if op.f == self.stop_f:
            nodes = self._restore(cluster)
            return completion(op, {"nodes": nodes, "action": self.stop_f})
        raise unknown_f(op, self.fs())

    def _restore(self, cluster: Any) -> list[str]:
        restored = []
        for node in list(self._broken):
            getattr(cluster, self.stop_f)(node)
            self._broken.remove(node)
            restored.append(node)
        # Reached only when every undo succeeded; a failure leaves the record listing
        # all nodes, which a later heal restores idempotently.
        self._record.clear(self.kind)
        return restored

    def teardown(self, test: Mapping[str, Any]) -> None:
        cluster = test.get("cluster")
        if cluster is not None and self._broken:
            self._restore(cluster)


class KillNemesis(_ProcessNemesis):
    """``kill`` SIGKILLs the server process on target nodes; ``start`` restarts them."""

    kind, start_f, stop_f, signal, capability = "kill", "kill", "start", "SIGKILL", Killable


class PauseNemesis(_ProcessNemesis):
    """``pause`` freezes target nodes; ``resume`` unfreezes them."""

    kind, start_f, stop_f, signal, capability = "pause", "pause", "resume", "SIGSTOP", Pausable


def check(cluster: Any, nemesis: _ProcessNemesis) -> str:
    """The preflight of kill and pause: the capability's name when ``cluster`` has the
    one ``nemesis`` needs and (where it can tell) every node's server control answers;
    PreflightError otherwise."""
    what, capability = nemesis.start_f, nemesis.capability
    if not supports(cluster, capability):
        raise PreflightError(f"cluster {type(cluster).__name__} cannot {what} nodes "
                             f"(not {capability.__name__})")
    if callable(getattr(cluster, "server_state", None)):
        nodes = list(cluster.nodes)
        states = dict(zip(nodes, on_nodes(nodes, cluster.server_state)))
        problems = {n: f"server control answered {s!r}" for n, s in states.items()
                    if s not in ("running", "paused", "stopped")}
        if problems:
            raise PreflightError(f"{what} impossible: {detail(problems)}")
    return capability.__name__


def _fault(nemesis: type[_ProcessNemesis], heal_rank: int, colour: str) -> FaultKind:
    """The fault kind ``nemesis`` does; healing undoes it on every node (``stop_f`` on
    each: a node that is not broken is left as it is)."""

    def build(opts: Mapping[str, Any], record: FaultRecord) -> Part:
        targets = option_choices(opts, "targets", TARGETS)
        return Part(nemesis(targets, record),
                    FaultOps(nemesis.kind, lambda rng: {"f": nemesis.start_f, "value": rng.choice(targets)},
                             {"f": nemesis.stop_f, "value": None}))

    def heal(cluster: Any) -> list[str] | None:
        if not supports(cluster, nemesis.capability):
            return None
        nodes = list(cluster.nodes)
        on_nodes(nodes, getattr(cluster, nemesis.stop_f))
        return nodes

    return FaultKind(name=nemesis.kind, heal_rank=heal_rank, label=nemesis.kind, colour=colour,
                     start_fs=frozenset({nemesis.start_f}), stop_fs=frozenset({nemesis.stop_f}),
                     build=build, preflight=check, heal=heal)


PAUSE = _fault(PauseNemesis, heal_rank=10, colour="#7f9c1a")
KILL = _fault(KillNemesis, heal_rank=20, colour="#8c564b")
FAULT = (KILL, PAUSE)
