"""The Backend protocol: where clusters come from (docker compose today).

A backend is one module (or package) under ``faultline/backends/`` whose ``BACKEND``
attribute implements :class:`Backend`; ``--backend NAME`` picks it and ``test.json`` and
``faults.json`` record its name, so ``faultline cluster heal RUN_DIR`` finds the cluster
through the backend that made it.

The clusters a backend makes implement :class:`faultline.cluster.protocol.Cluster`,
plus whichever capabilities (kill, pause, partition, exec on nodes, ...) it can offer;
each fault asks ``supports(cluster, Capability)`` at preflight.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from typing import Any, Callable, Mapping, Protocol, Sequence, runtime_checkable

from faultline.cluster.protocol import Cluster
from faultline.dbs.protocol import DB, Image


@dataclass(frozen=True)
class ClusterInfo:
    """A cluster that exists now, as :meth:`Backend.list` finds it."""

    name: str
    db: str
    nodes: tuple[str, ...]
    image: str
    states: Mapping[str, str] = field(default_factory=dict)
    """node -> the state of what runs it (``running``, ``exited``, ``missing``, ...)."""


@dataclass(frozen=True)
class ImageStatus:
    image: Image
    state: str              # "current" | "stale" | "missing"
    size_mb: float | None
    created: str | None


@runtime_checkable
class Backend(Protocol):
    name: str
    """The ``--backend`` value."""

    def create(self, db: DB, nodes: int, *, name: str | None = None, image: str | None = None,
               env: Mapping[str, str] | None = None) -> Cluster:
        """A handle on a new cluster of ``nodes`` nodes of ``db`` running ``image`` (default
        the db's default image). Nothing runs until ``cluster.up()``."""

    def attach(self, name: str) -> Cluster:
        """A handle on the existing cluster ``name``; BadInputError when there is none."""

    def list(self, db: str | None = None) -> dict[str, ClusterInfo]:
        """Every cluster of this backend that exists now (of ``db`` if given), by name."""

    def heal(self, run_dir: str | os.PathLike) -> dict[str, Any]:
        """Heal the cluster a run's ``faults.json`` names (see
        :func:`faultline.faults.heal.heal_run`); ``{"cluster", "active", "healed"}``, or
        ``{"cluster", "gone": True}`` when that cluster no longer exists (the record is
        then marked healed). ValueError when the run has no usable record."""

    def build_images(self, names: Sequence[str] | None, *, force: bool,
                     say: Callable[[str], None]) -> None:
        """Build the named images (default: every db's), those missing or stale unless
        ``force``; ``say`` reports progress."""

    def image_status(self) -> list[ImageStatus]:
        """Every db image: built and current, stale, or missing."""
