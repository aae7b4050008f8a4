"""Nemesis packages: a nemesis, its schedule, its final heal, and how plots shade it.

``package(["partition", "kill"], {"interval": 10})`` builds a :class:`Package` from any
subset of :data:`FAULTS`. Options (all optional, validated eagerly):

- ``interval``: seconds between fault ops (start, stop, start, ...), default 10;
- ``recovery``: seconds the final generator waits after healing, default 10;
- ``partitions``: grudge shapes to choose from (:data:`faultline.faults.grudges.SHAPES`);
- ``targets``: kill/pause targets to choose from (:data:`faultline.faults.process.TARGETS`);
- options of the clock and packet faults: see :func:`faultline.faults.clock.build` and
  :func:`faultline.faults.packet.build` (``clock_max_s``, ``packet_loss``, ``packet_delay_ms``, ...).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable, Mapping, Sequence

from faultline.core.errors import BadInputError
from faultline.core.generator.protocol import Generator
from faultline.core.op import Op
from faultline.faults import clock, grudges, packet, preflight, process, schedule
from faultline.faults.base import Nemesis, cluster_of, option_choices, unknown_f
from faultline.faults.heal import heal_cluster
from faultline.faults.partition import PartitionNemesis
from faultline.faults.record import FaultRecord
from faultline.faults.schedule import FaultOps

FAULTS = ("partition", "kill", "pause", "clock", "packet")

HEAL_ORDER = ("pause", "kill", "partition", "packet", "clock")
"""Order of the final generator's stops and of teardown: frozen and dead servers first,
so the network and clock heals that follow reach running nodes."""


@dataclass(frozen=True)
class Part:
    """One fault kind inside a package."""

    nemesis: Nemesis
    ops: FaultOps


@dataclass(frozen=True)
class Package:
    """What a test needs for its faults.

    ``perf`` maps each fault name to the ``f`` values that start and stop it:
    ``{"partition": {"start": {"start-partition"}, "stop": {"stop-partition"}}}``; the
    report shades the time between a start and the next stop.
    """

    nemesis: Nemesis
    generator: Generator
    final_generator: Generator
    perf: Mapping[str, Mapping[str, frozenset[str]]]


class ComposedNemesis:
    """Routes each op to the part that handles its ``f``; sets up and heals them all.

    ``setup`` runs the preflight (every requested fault probed on the cluster; the
    mechanisms chosen are kept in ``mechanisms``), opens the run's fault record
    (``faults.json``) and heals whatever an earlier run may have left broken;
    ``teardown`` heals every part in :data:`HEAL_ORDER`, carrying on past a part that
    fails and raising the first error once all have been tried.
    """

    def __init__(self, parts: Mapping[str, Nemesis], record: FaultRecord):
        self.parts = {name: parts[name] for name in HEAL_ORDER if name in parts}
        self._record = record
        self._route: dict[str, Nemesis] = {}
        self.mechanisms: dict[str, str] = {}
        for name, part in self.parts.items():
            for f in part.fs():
                if f in self._route:
                    raise ValueError(f"two nemeses handle f={f!r}")
                self._route[f] = part

    def fs(self) -> set[str]:
        return set(self._route)

    def setup(self, test: Mapping[str, Any]) -> None:
        cluster = cluster_of(test)
        packet_part = self.parts.get("packet")
        self.mechanisms = preflight.check(
            cluster, list(self.parts),
            packet_fault=getattr(packet_part, "fault", preflight.DEMANDING_PACKET_FAULT),
            packet_method=getattr(packet_part, "method", "auto"))
        self._record.open(cluster, test.get("run_dir"))
        heal_cluster(cluster)  # a cluster an earlier run left broken starts whole
        for part in self.parts.values():
            part.setup(test)

    def invoke(self, test: Mapping[str, Any], op: Op) -> Op:
        part = self._route.get(op.f)
        if part is None:
            raise unknown_f(op, self.fs())
        return part.invoke(test, op)

    def teardown(self, test: Mapping[str, Any]) -> None:
        errors = []
        for part in self.parts.values():
            try:
                part.teardown(test)
            except Exception as e:  # noqa: BLE001 - heal the rest, then report
                errors.append(e)
        if errors:
            raise errors[0]


def _partition(opts: Mapping[str, Any], record: FaultRecord) -> Part:
    shapes = option_choices(opts, "partitions", grudges.SHAPES)
    return Part(PartitionNemesis(shapes, record),
                FaultOps("partition", lambda rng: {"f": "start-partition", "value": rng.choice(shapes)},
                         {"f": "stop-partition", "value": None}))


def _process(kind: type[process.KillNemesis] | type[process.PauseNemesis]) -> Callable[..., Part]:
    def build(opts: Mapping[str, Any], record: FaultRecord) -> Part:
        targets = option_choices(opts, "targets", process.TARGETS)
        nem = kind(targets, record)
        return Part(nem, FaultOps(nem.kind, lambda rng: {"f": nem.start_f, "value": rng.choice(targets)},
                                  {"f": nem.stop_f, "value": None}))
    return build


def _part(build: Callable[[Mapping[str, Any], FaultRecord], tuple[Nemesis, FaultOps]]
          ) -> Callable[[Mapping[str, Any], FaultRecord], Part]:
    return lambda opts, record: Part(*build(opts, record))


BUILDERS: dict[str, Callable[[Mapping[str, Any], FaultRecord], Part]] = {
    "partition": _partition,
    "kill": _process(process.KillNemesis),
    "pause": _process(process.PauseNemesis),
    "clock": _part(clock.build),
    "packet": _part(packet.build),
}


def package(names: Sequence[str], opts: Mapping[str, Any] | None = None) -> Package:
    """The package for the faults ``names`` (a subset of :data:`FAULTS`) with ``opts``."""
    opts = dict(opts or {})
    names = [n.strip() for n in names if n.strip()]
    unknown = [n for n in names if n not in FAULTS]
    if unknown:
        raise BadInputError(f"unknown nemesis {', '.join(unknown)}; choose from {', '.join(FAULTS)}")
    if not names:
        raise BadInputError(f"no nemesis named; choose from {', '.join(FAULTS)}")
    record = FaultRecord()
    parts = {name: BUILDERS[name](opts, record) for name in dict.fromkeys(names)}
    ops = [parts[name].ops for name in parts]
    return Package(
        nemesis=ComposedNemesis({name: p.nemesis for name, p in parts.items()}, record),
        generator=schedule.alternate(ops, opts.get("interval", 10)),
        final_generator=schedule.final([parts[n].ops for n in HEAL_ORDER if n in parts],
                                       opts.get("recovery", 10)),
        perf={name: {"start": frozenset(p.nemesis.fs() - {p.ops.stop["f"]}),
                     "stop": frozenset({p.ops.stop["f"]})} for name, p in parts.items()},
    )
