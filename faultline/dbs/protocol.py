"""The DB protocol: every fact about one database that the rest of faultline needs.

A database is one module (or package) under ``faultline/dbs/`` whose ``DB`` attribute
implements :class:`DB`, plus its image folder ``compose/<name>/``. The CLI's choices,
the spec's validation, the compose file, the image build list, the clock-capable image a
clock fault needs and the health and leader probes all read it from the registry
(:data:`faultline.dbs.DBS`); nothing else lists databases.

Clients are looked up by workload: ``clients[workload][transport]`` names a factory as
``"module:attribute"`` (imported only when a test uses it, so the CLI never pays for
kazoo or gRPC it does not use). The factory takes the test mapping, validates the client
options in it (a clear BadInputError before any cluster work) and returns a zero-argument
callable making fresh, unopened :class:`~faultline.core.client.Client` s.
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass, field
from typing import Any, Callable, Mapping, Protocol, runtime_checkable

from faultline.core.client import Client
from faultline.core.errors import BadInputError

DEFAULT_IMAGE = "default"
CLOCK_IMAGE = "clock"
"""Image roles: ``default`` (every db) and ``clock`` (a build whose wall clock can be
skewed, for dbs whose default image cannot; see docs/faults-clock-packet.md)."""

PROBE_TIMEOUT_S = 1.0
"""How long a probe waits for one node before it counts as not answering."""


@dataclass(frozen=True)
class Image:
    """One buildable node image: ``name`` is what ``faultline images build --db`` takes,
    ``dockerfile`` is relative to ``compose/``, ``sources`` are the ``compose/``
    subdirectories it COPYs from (they make up its source hash)."""

    name: str
    tag: str
    dockerfile: str
    sources: tuple[str, ...]


@runtime_checkable
class DB(Protocol):
    name: str
    """``etcd``, ``zookeeper``: the ``--db`` value and the ``faultline.db`` label."""
    version: str
    client_port: int
    """The port clients and probes dial on every node."""
    peer_ports: tuple[int, ...]
    """The ports nodes talk to each other on (documentation, ``cluster up``'s summary)."""
    images: Mapping[str, Image]
    """Image role (:data:`DEFAULT_IMAGE`, optionally :data:`CLOCK_IMAGE`) -> image."""
    launcher: str
    """Path, inside the node image, of the script the supervisor runs to start the server
    (``FAULTLINE_SERVER``)."""
    read_modes: tuple[str, ...]
    """Read modes the clients implement; the first is the default."""
    transports: tuple[str, ...]
    """How clients talk to the server; the first is the default."""
    clients: Mapping[str, Mapping[str, Any]]
    """workload -> transport -> ``"module:factory"`` (or the factory itself)."""
    txn_models: Mapping[str, tuple[str, ...]]
    """read mode -> the consistency models (Elle's names) the db's documentation promises
    for its transactions in that mode: what the transactional workloads check by default.
    Empty when the db promises nothing documented (they then check strict serializability)."""
    server_history: bool
    """Whether its register client answers a ``server-history`` op
    (:data:`faultline.core.vocabulary.SERVER_HISTORY`: every write the server applied to the
    test's keys, with its revision), which settles writes of unknown outcome
    (:mod:`faultline.checkers.settle`)."""

    def healthy(self, host: str, port: int) -> bool:
        """True when the node at ``host:port`` serves client requests now. Never raises;
        waits at most about :data:`PROBE_TIMEOUT_S`."""

    def status(self, host: str, port: int) -> Any | None:
        """What ``leader`` needs to know of one node; None when it does not answer (within
        about :data:`PROBE_TIMEOUT_S`). Never raises."""

    def leader(self, statuses: Mapping[str, Any | None]) -> str | None:
        """The node that leads, from every node's ``status``; None when there is none or
        the answers disagree."""


@dataclass(frozen=True)
class Database:
    """A :class:`DB` built from data plus its three probe functions."""

    name: str
    version: str
    client_port: int
    peer_ports: tuple[int, ...]
    images: Mapping[str, Image]
    launcher: str
    read_modes: tuple[str, ...]
    transports: tuple[str, ...]
    clients: Mapping[str, Mapping[str, str]]
    probe_healthy: Callable[[str, int], bool] = field(repr=False)
    probe_status: Callable[[str, int], Any] = field(repr=False)
    pick_leader: Callable[[Mapping[str, Any]], str | None] = field(repr=False)
    txn_models: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    server_history: bool = False

    def healthy(self, host: str, port: int) -> bool:
        return self.probe_healthy(host, port)

    def status(self, host: str, port: int) -> Any | None:
        return self.probe_status(host, port)

    def leader(self, statuses: Mapping[str, Any | None]) -> str | None:
        return self.pick_leader(statuses)


def image(db: DB, role: str = DEFAULT_IMAGE) -> Image:
    """``db``'s image for ``role``; a db without a separate clock image skews its default one."""
    return db.images.get(role) or db.images[DEFAULT_IMAGE]


def client_factory(db: DB, workload: str, test: Mapping[str, Any]) -> Callable[[], Client]:
    """The factory of ``workload`` clients for ``db`` over the test's ``transport``
    (default the db's first); BadInputError when the db has no such client."""
    by_transport = db.clients.get(workload)
    if not by_transport:
        have = ", ".join(db.clients) or "none"
        raise BadInputError(f"{db.name} has no client for workload {workload!r} "
                            f"(it has clients for: {have})")
    transport = test.get("transport") or db.transports[0]
    path = by_transport.get(transport)
    if path is None:
        raise BadInputError(f"--transport for {db.name} must be one of "
                            f"{', '.join(by_transport)}, got {transport!r}")
    if callable(path):  # a factory given directly (a db registered by a test)
        return path(test)
    module, _, attribute = path.partition(":")
    return getattr(importlib.import_module(module), attribute)(test)
