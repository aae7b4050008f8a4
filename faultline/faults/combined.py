"""Nemesis packages: a nemesis, its schedule and its final heal, from registered faults.

``package(["partition", "kill"], {"interval": 10})`` builds a :class:`Package` from any
subset of :data:`faultline.faults.FAULTS`. Options (all optional, validated eagerly):

- ``interval``: seconds between fault ops (start, stop, start, ...), default 10;
- ``recovery``: seconds the final generator waits after healing, default 10;
- each fault's own, read by its ``build``: ``partitions`` (grudge shapes,
  :func:`faultline.faults.partition.build`), ``targets`` (kill, pause, clock and packet
  targets, :data:`faultline.faults.process.TARGETS`), and those of the clock and packet
  faults (:func:`faultline.faults.clock.build`, :func:`faultline.faults.packet.build`:
  ``clock_max_s``, ``packet_loss``, ``packet_delay_ms``, ...).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Mapping, Sequence

from faultline.core.errors import BadInputError
from faultline.core.generator.protocol import Generator
from faultline.core.op import Op
from faultline.faults import FAULTS, preflight, schedule
from faultline.faults.base import Nemesis, cluster_of, unknown_f
from faultline.faults.heal import heal_cluster, in_heal_order
from faultline.faults.protocol import FaultNemesis
from faultline.faults.record import FaultRecord


@dataclass(frozen=True)
class Package:
    """What a test needs for its faults: the nemesis, the generator of its ops, and the
    generator that ends the test (every fault stopped, then time to recover)."""

    nemesis: Nemesis
    generator: Generator
    final_generator: Generator


class ComposedNemesis:
    """Routes each op to the part that handles its ``f``; sets up and heals them all.

    ``parts``: fault name -> its nemesis. ``setup`` runs the preflight of every part (what
    each found is kept in ``found`` and handed to that part's setup, so nothing is probed
    twice), opens the run's fault record (``faults.json``) and heals whatever an earlier
    run may have left broken; ``teardown`` heals every part by heal rank, carrying on past
    a part that fails and raising the first error once all have been tried.
    """

    def __init__(self, parts: Mapping[str, FaultNemesis], record: FaultRecord):
        self.parts = {name: parts[name] for name in in_heal_order(parts)}
        self._record = record
        self._route: dict[str, Nemesis] = {}
        self.found: dict[str, Any] = {}
        for part in self.parts.values():
            for f in part.fs():
                if f in self._route:
                    raise ValueError(f"two nemeses handle f={f!r}")
                self._route[f] = part

    def fs(self) -> set[str]:
        return set(self._route)

    def setup(self, test: Mapping[str, Any]) -> None:
        cluster = cluster_of(test)
        self.found = preflight.check(cluster, self.parts)
        self._record.open(cluster, test.get("run_dir"))
        heal_cluster(cluster)  # a cluster an earlier run left broken starts whole
        for name, part in self.parts.items():
            part.setup(test, preflight=self.found[name])

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


def package(names: Sequence[str], opts: Mapping[str, Any] | None = None) -> Package:
    """The package for the faults ``names`` (registered fault names) with ``opts``.

    The schedule draws among the faults in the order named; the final generator stops
    them by heal rank. BadInputError for an unknown name, no name or a bad option.
    """
    opts = dict(opts or {})
    names = [n.strip() for n in names if n.strip()]
    unknown = [n for n in names if n not in FAULTS]
    if unknown:
        raise BadInputError(f"unknown nemesis {', '.join(unknown)}; choose from {', '.join(FAULTS.names())}")
    if not names:
        raise BadInputError(f"no nemesis named; choose from {', '.join(FAULTS.names())}")
    record = FaultRecord()
    parts = {name: FAULTS.get(name).build(opts, record) for name in dict.fromkeys(names)}
    nemesis = ComposedNemesis({name: p.nemesis for name, p in parts.items()}, record)
    return Package(
        nemesis=nemesis,
        generator=schedule.alternate([p.ops for p in parts.values()], opts.get("interval", 10)),
        final_generator=schedule.final([parts[n].ops for n in nemesis.parts], opts.get("recovery", 10)),
    )
