"""Register clients per database: etcd (JSON gateway over our own asyncio HTTP/1.1) and
ZooKeeper (kazoo bridged into asyncio). Both implement harness.client.Client.

``client_factory(db, test)`` validates the test's client options now (a clear
BadInputError before any cluster work) and returns a factory of fresh, unopened clients:
the interpreter makes one per logical process. The test keys the clients read are listed
in :mod:`workloads.clients.common`; error classification is tabled in docs/clients.md.
"""

from __future__ import annotations

from typing import Any, Callable, Mapping

from harness.client import Client
from harness.errors import BadInputError
from workloads.clients import etcd, zookeeper

READ_MODES = {"etcd": etcd.READ_MODES, "zookeeper": zookeeper.READ_MODES}
"""Accepted read modes per db; the first is the default."""

_FACTORIES = {
    "etcd": etcd.etcd_client_factory,
    "zookeeper": zookeeper.zookeeper_client_factory,
}


def client_factory(db: str, test: Mapping[str, Any]) -> Callable[[], Client]:
    """A zero-argument factory of register clients for ``db`` configured from ``test``."""
    make = _FACTORIES.get(db)
    if make is None:
        raise BadInputError(f"no register client for db {db!r}; known: {', '.join(_FACTORIES)}")
    return make(test)


__all__ = ["READ_MODES", "client_factory"]
