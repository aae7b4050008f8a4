"""The Fault protocol: one kind of fault (partition, kill, ...) as everything else sees it.

A fault kind is an entry of :data:`faultline.faults.FAULTS`: a module under
``faultline/faults/`` lists its kinds in its ``FAULT`` attribute (one or a tuple). Everything that
depends on the set of fault kinds loops over the registry: the ``--nemesis`` choices and
help, the nemesis package (:func:`faultline.faults.package`), preflight, teardown's and
``faultline cluster heal``'s order, the runner's choice of a clock-capable image, and
the report's legend (label, colour) and fault intervals.

Contract:

- ``build(opts, record)`` makes the nemesis that does this fault and the ops that start
  and stop it (:class:`Part`); ``opts`` are the package options (see
  :func:`faultline.faults.package`), ``record`` the run's shared fault record.
- ``preflight(cluster, nemesis)`` probes, on every node, that the fault can be done as
  ``nemesis`` will do it; returns what it found (the mechanism, settle times, ...; never
  None) and raises PreflightError (or ClusterError from a probe) saying why not. What it
  returns is handed to ``nemesis.setup(test, preflight=found)``, so setup does not probe
  again; a nemesis set up without it runs its fault's preflight itself.
- ``heal(cluster)`` undoes this kind of fault on every node whatever faultline may have
  left (idempotent: healing a healthy cluster changes nothing); returns what it did, or
  None when ``cluster`` cannot have this fault at all (it lacks the capability).
- ``start_fs`` / ``stop_fs``: the history's ``f`` values that start it and that undo it:
  a fault is in effect from a start's completion to the next stop's.

:class:`FaultKind` is a Fault made of data and three functions; every built-in is one.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Callable, Mapping, Protocol, runtime_checkable

from faultline.faults.base import Nemesis
from faultline.faults.record import FaultRecord
from faultline.faults.schedule import FaultOps


@runtime_checkable
class FaultNemesis(Nemesis, Protocol):
    """The nemesis of one fault kind: its setup takes what the preflight found."""

    def setup(self, test: Mapping[str, Any], preflight: Any = None) -> None:
        """As :meth:`Nemesis.setup`; ``preflight``: what the fault's preflight returned
        for this nemesis on the test's cluster, None to run that preflight now."""


@dataclass(frozen=True)
class Part:
    """One fault kind inside a package: the nemesis doing it and its start/stop ops."""

    nemesis: FaultNemesis
    ops: FaultOps


@runtime_checkable
class Fault(Protocol):
    name: str
    """The ``--nemesis`` name."""
    heal_rank: int
    """Teardown and healing go by increasing rank: frozen and dead servers first, so the
    network and clock heals that follow reach running nodes."""
    label: str
    """How the report's legend names it."""
    colour: str
    """The colour the report shades it with (CSS)."""
    image_role: str | None
    """The db image role this fault needs (``"clock"``), None for the default image."""
    start_fs: frozenset[str]
    stop_fs: frozenset[str]

    def build(self, opts: Mapping[str, Any], record: FaultRecord) -> Part: ...

    def preflight(self, cluster: Any, nemesis: FaultNemesis) -> Any: ...

    def heal(self, cluster: Any) -> Any: ...


@dataclass(frozen=True)
class FaultKind:
    """A :class:`Fault` built from data plus its ``build``, ``preflight`` and ``heal``
    functions (see the contract above)."""

    name: str
    heal_rank: int
    label: str
    colour: str
    start_fs: frozenset[str]
    stop_fs: frozenset[str]
    build: Callable[[Mapping[str, Any], FaultRecord], Part] = field(repr=False)
    preflight: Callable[[Any, FaultNemesis], Any] = field(repr=False)
    heal: Callable[[Any], Any] = field(repr=False)
    image_role: str | None = None
