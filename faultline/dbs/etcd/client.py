"""The etcd register client: read/write/cas over etcd's JSON gateway (HTTP/1.1, /v3/kv/*).

Mapping (key ``k`` of an op lives at etcd key ``<key_prefix>/k``; values are decimal ASCII):

- read  -> ``Range`` of the key; ``serializable`` when the read mode says so (the server
  answers from its local state without a quorum round), linearizable otherwise. An absent
  key reads ``None``.
- write -> ``Put``.
- cas [a, b] -> ``Txn`` comparing the key's value with ``a`` (``version == 0`` when ``a``
  is None, i.e. the key must be absent), putting ``b`` on success. A compare that did not
  hold is ``fail`` with error ``cas-mismatch``: a definite, linearizable observation.

Why the JSON gateway and our own HTTP client rather than aetcd (gRPC): see
docs/clients.md (CPU per op). Each client dials only its own node; the gateway serves the
request in that node's etcd process, exactly like a gRPC client pinned to that node.

Every failure is classified by :func:`classify_transport_error` and
:func:`classify_status` (pure, unit-tested); the table is in docs/clients.md.
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import json
from typing import Any, Callable, Mapping

from faultline.core.vocabulary import CAS_MISMATCH, MEMBER_READ, SERVER_HISTORY
from faultline.core.op import FAIL, OK, Op
from faultline.dbs.client_support import (NOT_SENT_BACKOFF_S, client_timeout, decode_value,
                                          encode_value, key_prefix, read_mode, resolve_address,
                                          unknown_outcome_type)
from faultline.dbs.etcd import DB as ETCD
from faultline.dbs.etcd.http1 import HttpConnection, Lost, NotSent, ResponseTimeout

RANGE = b"/v3/kv/range"
PUT = b"/v3/kv/put"
TXN = b"/v3/kv/txn"

GRPC_CODE_NAMES = {
    1: "cancelled", 2: "unknown", 3: "invalid-argument", 4: "deadline-exceeded",
    5: "not-found", 6: "already-exists", 7: "permission-denied", 8: "resource-exhausted",
    9: "failed-precondition", 10: "aborted", 11: "out-of-range", 12: "unimplemented",
    13: "internal", 14: "unavailable", 15: "data-loss", 16: "unauthenticated",
}

DEFINITE_REJECTION_CODES = frozenset({3, 5, 6, 7, 8, 9, 11, 12, 16})
"""gRPC codes etcd uses only for requests it refused before (or instead of) applying them:
bad arguments, too large, too many requests, no space (quota), auth, compacted revision.
Every other code (unavailable, deadline-exceeded, cancelled, internal, unknown, aborted,
data-loss) can follow a proposal that still commits, so it is an unknown outcome."""


def classify_transport_error(f: str, error: Exception) -> tuple[str, str]:
    """(completion type, error text) for a request that got no HTTP response."""
    if isinstance(error, NotSent):
        return FAIL, f"not-sent: {error}"
    if isinstance(error, ResponseTimeout):
        return unknown_outcome_type(f), "timeout"
    if isinstance(error, Lost):
        return unknown_outcome_type(f), f"connection-lost: {error}"
    return unknown_outcome_type(f), f"{type(error).__name__}: {error}"


def classify_status(f: str, status: int, payload: bytes) -> tuple[str, str]:
    """(completion type, error text) for a non-200 gateway response.

    The gateway answers errors with ``{"error": ..., "code": <gRPC code>, "message": ...}``.
    """
    try:
        doc = json.loads(payload)
        code = int(doc["code"])
        message = str(doc.get("message") or doc.get("error") or "")
    except (ValueError, TypeError, KeyError):
        # Not the gateway's error document: a 4xx never reached a handler; a 5xx may have.
        text = payload[:200].decode("utf-8", "replace").strip()
        definite = 400 <= status < 500
        return (FAIL if definite else unknown_outcome_type(f)), f"http-{status}: {text}"
    return classify_grpc_code(f, code, message)


def classify_grpc_code(f: str, code: int, message: str) -> tuple[str, str]:
    """(completion type, error text) for an error etcd answered with gRPC ``code``."""
    name = GRPC_CODE_NAMES.get(code, f"grpc-{code}")
    kind = FAIL if code in DEFINITE_REJECTION_CODES else unknown_outcome_type(f)
    return kind, f"{name}: {message}"


def request_for(f: str, key64: bytes, value: Any, serializable: bool) -> tuple[bytes, bytes]:
    """(path, JSON body) for an op. ``key64`` is the base64 of the etcd key. A member-read
    is a read that is always serializable: what the member itself holds."""
    if f == "read" or f == MEMBER_READ:
        if serializable or f == MEMBER_READ:
            return RANGE, b'{"key":"%s","serializable":true}' % key64
        return RANGE, b'{"key":"%s"}' % key64
    if f == "write":
        return PUT, b'{"key":"%s","value":"%s"}' % (key64, _b64(encode_value(value)))
    if f == "cas":
        expected, new = value
        if expected is None:
            compare = b'{"key":"%s","target":"VERSION","result":"EQUAL","version":"0"}' % key64
        else:
            compare = (b'{"key":"%s","target":"VALUE","result":"EQUAL","value":"%s"}'
                       % (key64, _b64(encode_value(expected))))
        put = b'{"request_put":{"key":"%s","value":"%s"}}' % (key64, _b64(encode_value(new)))
        return TXN, b'{"compare":[%s],"success":[%s]}' % (compare, put)
    raise ValueError(f"the etcd register client does not do f={f!r}")


def completion_of(f: str, payload: bytes) -> tuple[str, Any, str | None]:
    """(type, value, error) from a 200 response; ``value`` is only meaningful for reads.

    The gateway omits fields holding their default (no ``kvs`` for an absent key, no
    ``succeeded`` for a false compare, no ``value`` for an empty one).
    """
    doc = json.loads(payload)
    if f == "read" or f == MEMBER_READ:
        kvs = doc.get("kvs")
        if not kvs:
            return OK, None, None
        return OK, decode_value(base64.b64decode(kvs[0].get("value", ""))), None
    if f == "cas" and not doc.get("succeeded"):
        return FAIL, None, CAS_MISMATCH
    return OK, None, None


def _b64(raw: bytes) -> bytes:
    return base64.b64encode(raw)


def serializable_reads(read_mode: str) -> bool:
    """Whether an etcd client in ``read_mode`` reads serializably; ValueError for a mode
    not in etcd's ``read_modes``."""
    if read_mode not in ETCD.read_modes:
        raise ValueError(f"etcd read mode must be one of {ETCD.read_modes}, got {read_mode!r}")
    return read_mode == "serializable"


class EtcdKeys:
    """Op key -> the bytes a transport sends for etcd key ``<prefix>/<key>``
    (``encode`` of its UTF-8), computed once per key."""

    def __init__(self, prefix: str, encode: Callable[[bytes], bytes] = bytes):
        self._prefix = prefix
        self._encode = encode
        self._cache: dict[Any, bytes] = {}

    def __call__(self, key: Any) -> bytes:
        raw = self._cache.get(key)
        if raw is None:
            if len(self._cache) >= 4096:
                self._cache.clear()  # keys rotate during a test; keep the cache bounded
            raw = self._cache[key] = self._encode(f"{self._prefix}/{key}".encode())
        return raw


class EtcdClient:
    """One logical process' connection to one etcd node. See the module doc."""

    def __init__(self, *, read_mode: str, prefix: str, timeout_s: float):
        self._serializable = serializable_reads(read_mode)
        self._key64 = EtcdKeys(prefix, _b64)
        self._prefix = prefix
        self._timeout = timeout_s
        self._conn: HttpConnection | None = None
        self.node: str | None = None
        self.address: tuple[str, int] | None = None
        """(host, port) of the node, once opened: for subclasses that open more
        connections to it (a watch's gRPC channel)."""

    async def open(self, test: Mapping[str, Any], node: str) -> None:
        """Connect to ``node`` (raises :class:`NotSent` when it refuses). Sends no request."""
        host, port = resolve_address(test, node, ETCD.client_port)
        self.node, self.address = node, (host, port)
        self._conn = HttpConnection(host, port, connect_timeout=min(self._timeout, 2.0))
        await self._conn.connect()

    async def setup(self, test: Mapping[str, Any]) -> None:
        """Nothing to prepare: etcd keys need no parent, and a put creates its key."""

    async def invoke(self, test: Mapping[str, Any], op: Op) -> Op:
        f = op.f
        if f == SERVER_HISTORY:
            # Imported here: only this one op of a run needs gRPC (the watch client's).
            from faultline.dbs.etcd.watch_client import read_server_history
            return await read_server_history(test, self.node, op, prefix=self._prefix,
                                             timeout_s=self._timeout)
        path, body = request_for(f, self._key64(op.key), op.value, self._serializable)
        payload = await self.post(op, path, body)
        if isinstance(payload, Op):
            return payload
        try:
            kind, value, error = completion_of(f, payload)
        except (ValueError, KeyError, TypeError, binascii.Error) as e:
            return op.with_(type=unknown_outcome_type(f), node=self.node,
                            error=f"unreadable response: {e}")
        if f == "read" or f == MEMBER_READ:
            return op.with_(type=kind, value=value, node=self.node)
        return op.with_(type=kind, node=self.node, error=error)

    async def post(self, op: Op, path: bytes, body: bytes) -> bytes | Op:
        """The payload of a 200 response to ``body`` posted at ``path`` for ``op``; else
        ``op`` completed as its failure classifies (after the not-sent back-off)."""
        try:
            status, payload = await self._conn.post(path, body, self._timeout)
        except (NotSent, Lost, ResponseTimeout) as e:
            if isinstance(e, NotSent):
                await asyncio.sleep(NOT_SENT_BACKOFF_S)
            kind, error = classify_transport_error(op.f, e)
            return op.with_(type=kind, node=self.node, error=error)
        if status != 200:
            kind, error = classify_status(op.f, status, payload)
            return op.with_(type=kind, node=self.node, error=error)
        return payload

    async def teardown(self, test: Mapping[str, Any]) -> None:
        """Keys are left in place: the run's data stays inspectable, and the prefix is
        unique per test, so nothing leaks into the next one."""

    async def close(self, test: Mapping[str, Any]) -> None:
        if self._conn is not None:
            self._conn.close()


def etcd_options(test: Mapping[str, Any]) -> dict[str, Any]:
    """The keyword arguments of an etcd client (either transport), validated."""
    return {"read_mode": read_mode(test, ETCD), "prefix": key_prefix(test),
            "timeout_s": client_timeout(test)}


def etcd_client_factory(test: Mapping[str, Any]):
    """A factory of fresh, unopened clients configured from ``test`` (validated now)."""
    options = etcd_options(test)
    return lambda: EtcdClient(**options)


__all__ = ["EtcdClient", "EtcdKeys", "etcd_client_factory", "etcd_options", "serializable_reads",
           "classify_grpc_code", "classify_status",
           "classify_transport_error", "request_for", "completion_of"]
