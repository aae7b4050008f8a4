"""Register clients per database: etcd (JSON gateway over our own asyncio HTTP/1.1, or gRPC
through aetcd's stubs) and ZooKeeper (kazoo bridged into asyncio). All implement
faultline.core.client.Client.

``client_factory(db, test)`` validates the test's client options now (a clear
BadInputError before any cluster work) and returns a factory of fresh, unopened clients:
the interpreter makes one per logical process. The test keys the clients read are listed
in :mod:`faultline.dbs.client_support`; error classification is tabled in docs/clients.md.
"""

from __future__ import annotations

from typing import Any, Callable, Mapping

from faultline.core.client import Client
from faultline.core.errors import BadInputError
from faultline.dbs.etcd import client as etcd, grpc_client as etcd_grpc
from faultline.dbs.zookeeper import client as zookeeper

READ_MODES = {"etcd": etcd.READ_MODES, "zookeeper": zookeeper.READ_MODES}
"""Accepted read modes per db; the first is the default."""

ETCD_TRANSPORTS = {"http": etcd.etcd_client_factory, "grpc": etcd_grpc.etcd_grpc_client_factory}
"""Test key ``etcd_transport``: ``http`` (default: etcd's JSON gateway, the least harness
CPU per op) or ``grpc`` (aetcd's stubs: less etcd server CPU). See docs/clients.md."""


def _etcd_factory(test: Mapping[str, Any]) -> Callable[[], Client]:
    transport = test.get("etcd_transport") or "http"
    make = ETCD_TRANSPORTS.get(transport)
    if make is None:
        raise BadInputError(f"etcd_transport must be one of {', '.join(ETCD_TRANSPORTS)}, "
                            f"got {transport!r}")
    return make(test)


_FACTORIES = {
    "etcd": _etcd_factory,
    "zookeeper": zookeeper.zookeeper_client_factory,
}


def client_factory(db: str, test: Mapping[str, Any]) -> Callable[[], Client]:
    """A zero-argument factory of register clients for ``db`` configured from ``test``."""
    make = _FACTORIES.get(db)
    if make is None:
        raise BadInputError(f"no register client for db {db!r}; known: {', '.join(_FACTORIES)}")
    return make(test)


__all__ = ["ETCD_TRANSPORTS", "READ_MODES", "client_factory"]
