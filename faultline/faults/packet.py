"""The packet nemesis: loss and delay on the links of chosen nodes, and healing them.

Mechanics in :mod:`faultline.cluster.packet` (netem where the kernel has it, else iptables
``statistic`` for loss and an NFQUEUE delayer for delay). A shaped link is every link
with a chosen node at one end, shaped in both directions; the harness' own traffic never is.

Ops (process ``"nemesis"``):
- ``{"f": "start-packet", "value": {"target": "one"}}``: ``target`` from
  :data:`faultline.faults.process.TARGETS` (or ``"nodes": [...]``), resolved when the op runs with
  the nemesis' seeded RNG; ``loss``, ``delay_ms``, ``jitter_ms`` override the nemesis'
  fault. Replaces any earlier packet fault. Completion value: ``{"target", "nodes",
  "links": [[a, b], ...], "loss", "delay_ms", "jitter_ms", "method"}``.
- ``{"f": "stop-packet"}``: heal; the completion's value is ``{"healed": true}``.

The fault kind is :data:`FAULT`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Mapping, Sequence

from faultline.cluster.packet import METHODS, PacketFault, PacketShaper, method_for, shaper_for
from faultline.core.errors import BadInputError, PreflightError
from faultline.core.op import Op
from faultline.faults.base import (StartStopNemesis, cluster_of, completion, heal_through, heal_with,
                                   known, option_choices, rng_for)
from faultline.faults.process import TARGETS, resolve_nodes
from faultline.faults.protocol import FaultKind, Part
from faultline.faults.record import FaultRecord
from faultline.faults.schedule import FaultOps

START = "start-packet"
STOP = "stop-packet"
KIND = "packet"
DEFAULT_FAULT = PacketFault(loss=0.1, delay_ms=50.0, jitter_ms=10.0)


@dataclass(frozen=True)
class Probed:
    """What the packet preflight found: the mechanism the nemesis' own fault will use,
    and each node's facts (an op may ask for more than that fault, see :func:`method_for`)."""

    method: str
    facts: Mapping[str, Mapping[str, bool]]


class PacketNemesis(StartStopNemesis):
    """Starts and stops packet faults; see the module docstring for its ops.

    ``fault``: what a shaped link suffers unless an op says otherwise. ``method``:
    ``auto`` (netem when every node has it, else iptables), ``netem`` or ``iptables``.
    """

    start_f, stop_f = START, STOP

    def __init__(self, fault: PacketFault = DEFAULT_FAULT, targets: Sequence[str] = TARGETS,
                 method: str = "auto", record: FaultRecord | None = None):
        targets = known(targets, TARGETS, "packet targets")
        if method not in METHODS:
            raise ValueError(f"packet method must be one of {', '.join(METHODS)}, got {method!r}")
        self.fault = fault
        self.targets = targets
        self.method = method
        self._record = record if record is not None else FaultRecord()
        self._rng = None
        self._shaper: PacketShaper | None = None
        self._facts: Mapping[str, Mapping[str, bool]] = {}

    def setup(self, test: Mapping[str, Any], preflight: Probed | None = None) -> None:
        """PreflightError unless every node can apply this nemesis' fault (see :func:`check`)."""
        cluster = cluster_of(test)
        self._facts = (preflight if preflight is not None else check(cluster, self)).facts
        self._shaper = shaper_for(cluster)
        self._rng = rng_for(test, KIND)
        self._record.ensure_open(cluster, test.get("run_dir"))

    def _start(self, test: Mapping[str, Any], op: Op) -> Op:
        cluster = cluster_of(test)
        value = dict(op.value or {})
        target = value.get("target")
        try:
            fault = PacketFault(
                loss=float(value.get("loss", self.fault.loss)),
                delay_ms=float(value.get("delay_ms", self.fault.delay_ms)),
                jitter_ms=float(value.get("jitter_ms", self.fault.jitter_ms)))
            method = method_for(self._facts, fault, self.method)
            target, nodes = resolve_nodes(cluster, value, self.targets, self._rng)
        except (ValueError, TypeError, PreflightError) as e:
            return completion(op, {"target": target, "nodes": []}, error=f"{e}; nothing shaped")
        done = {"target": target, "nodes": nodes, **fault.to_json(), "method": method}
        if not nodes:
            return completion(op, {**done, "links": []}, error="no node to shape (no leader?); nothing shaped")
        self._record.set(KIND, {"nodes": nodes, **fault.to_json(), "method": method})
        peers = self._shaper.apply(nodes, fault, method, seed=self._rng.randrange(2**31))
        links = sorted({tuple(sorted((a, b))) for a, ps in peers.items() for b in ps})
        return completion(op, {**done, "links": [list(link) for link in links]})

    def _heal(self) -> None:
        self._shaper.heal()
        self._record.clear(KIND)

    def teardown(self, test: Mapping[str, Any]) -> None:
        """Remove every rule, delayer and qdisc (works without setup)."""
        self._shaper = heal_through(self._shaper, test, shaper_for)
        if self._shaper is not None:
            self._heal()


def check(cluster: Any, nemesis: PacketNemesis) -> Probed:
    """The preflight of packet faults: every node probed once; PreflightError unless all
    can apply ``nemesis``' fault with its method."""
    shaper = shaper_for(cluster)
    if shaper is None:
        raise PreflightError(f"cluster {type(cluster).__name__} cannot run commands in its "
                             "nodes and name their peers, so it cannot shape their packets")
    facts = shaper.probe()
    return Probed(method_for(facts, nemesis.fault, nemesis.method), facts)


def heal(cluster: object) -> str | None:
    """Remove packet faults from every node (for ``faultline cluster heal`` after a
    crashed run); None for clusters without exec."""
    return heal_with(shaper_for, cluster)


def build(opts: Mapping[str, Any], record: FaultRecord) -> Part:
    """The packet part of a nemesis package. Options (all optional):

    - ``targets``: node targets (default all of :data:`~faultline.faults.process.TARGETS`);
    - ``packet_loss`` (0.1), ``packet_delay_ms`` (50), ``packet_jitter_ms`` (10, at most the delay);
    - ``packet_method``: ``auto`` | ``netem`` | ``iptables``.
    """
    targets = option_choices(opts, "targets", TARGETS)
    method = opts.get("packet_method", "auto")
    if method not in METHODS:
        raise BadInputError(f"nemesis packet_method must be one of {', '.join(METHODS)}, got {method!r}")
    delay_ms = _number(opts, "packet_delay_ms", DEFAULT_FAULT.delay_ms)
    try:
        fault = PacketFault(
            loss=_number(opts, "packet_loss", DEFAULT_FAULT.loss),
            delay_ms=delay_ms,
            jitter_ms=_number(opts, "packet_jitter_ms", min(DEFAULT_FAULT.jitter_ms, delay_ms)))
    except ValueError as e:
        raise BadInputError(f"nemesis packet options: {e}") from None
    start = {"f": START}
    return Part(PacketNemesis(fault, targets, method, record),
                FaultOps(KIND, lambda rng: {**start, "value": {"target": rng.choice(targets)}},
                         {"f": STOP, "value": None}))


def _number(opts: Mapping[str, Any], key: str, default: float) -> float:
    value = opts.get(key, default)
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise BadInputError(f"nemesis {key} must be a number, got {value!r}")
    return float(value)


FAULT = FaultKind(name=KIND, heal_rank=40, label="packet", colour="#e377c2",
                  start_fs=frozenset({START}), stop_fs=frozenset({STOP}),
                  build=build, preflight=check, heal=heal)
