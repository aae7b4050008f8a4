"""What the etcd and ZooKeeper clients share: the test keys they read, node addresses,
and the one classification rule that does not depend on the database.

Test keys read by the clients (``test`` is the spec mapping the runner passes):

- ``read_mode``: one of the db's ``read_modes`` (:class:`faultline.dbs.protocol.DB`), its
  first by default: etcd ``linearizable`` | ``serializable``; ZooKeeper ``sync`` | ``plain``.
- ``key_prefix``: every register lives under it (etcd ``<prefix>/<key>``, ZooKeeper
  ``/<prefix>/<key>``), so tests never see each other's keys. Required.
- ``addresses`` (optional): ``{node: [host, port] | "host:port"}``, what to dial for each
  node name. Without it a node name is dialled as a host (``"n1"`` -> ``n1:<the db's
  client_port>``), or as ``host:port`` when it contains a colon.
- ``client_timeout_s`` (optional, default 5): how long one request may take before the
  client records it as an unknown outcome. Keep it below the interpreter's op timeout so
  the client, which knows how far the request got, classifies it.
"""

from __future__ import annotations

from typing import Any, Mapping

from faultline.core.errors import BadInputError
from faultline.core.op import FAIL, INFO
from faultline.core.vocabulary import MEMBER_READ
from faultline.dbs.protocol import DB

DEFAULT_CLIENT_TIMEOUT_S = 5.0
NOT_SENT_BACKOFF_S = 0.2
"""A request that could not even be sent (node refuses connections, session not
connected) is recorded ``fail`` after this pause, so a process whose node is down does
not spin, flooding the history with failures and taking CPU from the live processes."""


def resolve_address(test: Mapping[str, Any], node: str, default_port: int) -> tuple[str, int]:
    """(host, port) to dial for ``node``; raises BadInputError for an unusable entry."""
    entry = (test.get("addresses") or {}).get(node, node)
    try:
        if isinstance(entry, str):
            host, sep, port = entry.rpartition(":")
            return (host, int(port)) if sep else (entry, default_port)
        host, port = entry
        return str(host), int(port)
    except (TypeError, ValueError):
        raise BadInputError(f"address of node {node!r} must be 'host:port' or [host, port], "
                            f"got {entry!r}") from None


def key_prefix(test: Mapping[str, Any]) -> str:
    """The per-test key prefix, without leading or trailing slashes."""
    prefix = str(test.get("key_prefix") or "").strip("/")
    if not prefix:
        raise BadInputError("test has no key_prefix: the clients need one to keep tests apart")
    return prefix


def read_mode(test: Mapping[str, Any], db: DB) -> str:
    """The test's ``read_mode``, one of ``db.read_modes`` (the first when unset)."""
    mode = test.get("read_mode") or db.read_modes[0]
    if mode not in db.read_modes:
        raise BadInputError(f"{db.name} --read-mode must be one of {', '.join(db.read_modes)}, "
                            f"got {mode!r}")
    return mode


def client_timeout(test: Mapping[str, Any]) -> float:
    timeout = float(test.get("client_timeout_s", DEFAULT_CLIENT_TIMEOUT_S))
    if timeout <= 0:
        raise BadInputError(f"client_timeout_s must be > 0, got {timeout}")
    return timeout


DEFAULT_LOCK_TTL_S = 4.0
"""The lock workload's default ``lock_ttl_s``: ZooKeeper's smallest session timeout at
tickTime 2 s, and a few seconds of etcd lease."""


def lock_ttl(test: Mapping[str, Any]) -> float:
    """The test's ``lock_ttl_s`` (the lock lease's TTL / the lock session's timeout)."""
    ttl = float(test.get("lock_ttl_s") or DEFAULT_LOCK_TTL_S)
    if ttl <= 0:
        raise BadInputError(f"lock_ttl_s must be > 0, got {ttl}")
    return ttl


def unknown_outcome_type(f: str) -> str:
    """The completion type of an op whose effect on the server is unknown.

    A read changes nothing whether or not the server ran it, so its unknown outcome is
    recorded ``fail`` (as Jepsen does): the checker loses nothing, and the process is not
    retired. Anything that may write is ``info``.
    """
    return FAIL if f == "read" or f == MEMBER_READ else INFO


def decode_value(raw: bytes) -> int | str:
    """Registers hold decimal ASCII; anything else is returned as text so a checker sees it."""
    try:
        return int(raw)
    except ValueError:
        return raw.decode("utf-8", "replace")


def encode_value(value: Any) -> bytes:
    if isinstance(value, bool) or not isinstance(value, int):
        raise BadInputError(f"register values must be ints, got {value!r}")
    return b"%d" % value
