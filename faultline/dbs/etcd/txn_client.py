"""The etcd transactional client (list-append, rw-register) over etcd's JSON gateway.

A transaction (``{"f": "txn", "value": [mop, ...]}``, :mod:`faultline.workloads.txn_support`)
touching keys K (etcd keys ``<key_prefix>/<k>``, values stored as in
:mod:`faultline.dbs.txn_values`) runs as:

1. **Read**: one ``Txn`` without compares whose success branch is a ``Range`` of every key
   in K, all ``serializable`` in that read mode. etcd serves such a read-only txn at one
   revision: linearizable by default (a ReadIndex round with the leader), from the node's
   own state when serializable (no quorum: it can be stale, e.g. on the minority side of a
   partition). It yields each key's value and ``mod_revision`` (0 for an absent key).
2. A read-only transaction completes from that read alone (``ok``, reads filled in).
3. Otherwise **commit**: one ``Txn`` comparing ``mod_revision == seen`` for every key in K
   (etcd compares an absent key as a zero KeyValue, so ``== 0`` holds exactly while it is
   absent), whose success branch holds ``Range`` s of the keys read (taken before the
   puts: what the reads return) and one ``Put`` per key written (its final value after
   the transaction's appends/writes). The guard makes the transaction atomic at the
   commit's revision: none of its keys changed since the read. A guard that does not hold
   is ``fail`` (``guard-failed``: nothing applied).

A ``member-read`` of key ``k`` is the read step alone for ``k``, always ``serializable``
(what the member holds), its value decoded as the workload stores it.

Classification: a failed read step is ``fail`` (nothing was written); the commit is
classified exactly as the register client classifies a cas
(:func:`~faultline.dbs.etcd.client.classify_transport_error`,
:func:`~faultline.dbs.etcd.client.classify_status`): ``info`` unless etcd certainly did
not apply it. Both steps share one deadline, ``client_timeout_s``; a commit with no time
left is not sent (``fail``). Table: docs/clients.md.
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import json
from typing import Any, Mapping, Sequence

from faultline.core.op import FAIL, INFO, OK, Op
from faultline.core.vocabulary import MEMBER_READ
from faultline.dbs.client_support import NOT_SENT_BACKOFF_S, resolve_address
from faultline.dbs.etcd import DB as ETCD
from faultline.dbs.etcd.client import (TXN, EtcdKeys, classify_status, classify_transport_error,
                                       etcd_options, serializable_reads)
from faultline.dbs.etcd.http1 import HttpConnection, Lost, NotSent, ResponseTimeout
from faultline.dbs.txn_values import ValueCodec, apply_mops, codec, touched_keys

UNREADABLE = (ValueError, KeyError, TypeError, IndexError, binascii.Error)
"""What decoding an answer raises when it is not what etcd sends."""
GUARD_FAILED = "guard-failed"
"""``error`` of a ``fail`` transaction whose guard did not hold: a key it touched changed
between its read and its commit, so nothing was applied."""


def read_request(keys64: Sequence[bytes], serializable: bool) -> bytes:
    """The read step's Txn body: a Range of each key (base64), no compares."""
    flag = b',"serializable":true' if serializable else b""
    ranges = b",".join(b'{"request_range":{"key":"%s"%s}}' % (k, flag) for k in keys64)
    return b'{"success":[%s]}' % ranges


def commit_request(guards: Sequence[tuple[bytes, int]], reads: Sequence[bytes],
                   puts: Sequence[tuple[bytes, bytes]]) -> bytes:
    """The commit's Txn body: ``mod_revision == rev`` for each (key64, rev) of ``guards``;
    on success the Ranges of ``reads`` then the Puts (key64, raw value)."""
    compares = b",".join(b'{"key":"%s","target":"MOD","result":"EQUAL","mod_revision":"%d"}'
                         % (k, rev) for k, rev in guards)
    ops = [b'{"request_range":{"key":"%s"}}' % k for k in reads]
    ops += [b'{"request_put":{"key":"%s","value":"%s"}}' % (k, base64.b64encode(v))
            for k, v in puts]
    return b'{"compare":[%s],"success":[%s]}' % (compares, b",".join(ops))


def parse_ranges(doc: Mapping[str, Any], n: int) -> list[tuple[bytes, int]]:
    """(raw value, mod_revision) of the first ``n`` responses of a Txn response, which must
    be Ranges of one key each; (b"", 0) for an absent key. The gateway omits fields at
    their defaults (no ``kvs`` when absent, no ``value`` when empty)."""
    responses = doc.get("responses") or []
    if len(responses) < n:
        raise ValueError(f"txn response has {len(responses)} responses, expected {n}")
    found = []
    for response in responses[:n]:
        kvs = response["response_range"].get("kvs")
        if not kvs:
            found.append((b"", 0))
        else:
            found.append((base64.b64decode(kvs[0].get("value", "")),
                          int(kvs[0].get("mod_revision", 0))))
    return found


class StepFailed(Exception):
    """A step's request got no usable answer: the completion type and error text it
    leaves the transaction with (read steps: always ``fail``)."""

    def __init__(self, kind: str, error: str):
        super().__init__(error)
        self.kind, self.error = kind, error


class EtcdTxnClient:
    """One logical process' connection to one etcd node, running transactions. See the
    module doc. The two steps' requests are :meth:`_read` and :meth:`_commit`; a
    transport subclass (gRPC) overrides those, ``open`` and ``close``."""

    def __init__(self, *, workload: str, read_mode: str, prefix: str, timeout_s: float):
        self._codec: ValueCodec = codec(workload)
        self._serializable = serializable_reads(read_mode)
        self._key64 = EtcdKeys(prefix, base64.b64encode)
        self._timeout = timeout_s
        self._conn: HttpConnection | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self.node: str | None = None

    async def open(self, test: Mapping[str, Any], node: str) -> None:
        """Connect to ``node`` (raises :class:`NotSent` when it refuses). Sends no request."""
        host, port = resolve_address(test, node, ETCD.client_port)
        self.node = node
        self._loop = asyncio.get_running_loop()
        self._conn = HttpConnection(host, port, connect_timeout=min(self._timeout, 2.0))
        await self._conn.connect()

    async def setup(self, test: Mapping[str, Any]) -> None:
        """Nothing to prepare: a put creates its key."""

    async def invoke(self, test: Mapping[str, Any], op: Op) -> Op:
        deadline = self._loop.time() + self._timeout
        if op.f == MEMBER_READ:
            return await self._member_read(op, deadline)
        mops = op.value
        every, read, written = touched_keys(mops)
        try:
            seen = dict(zip(every, await self._read(every, deadline)))
            snapshot = {k: self._codec.decode(raw) for k, (raw, _) in seen.items()}
        except StepFailed as e:  # nothing was written: a definite fail
            return op.with_(type=FAIL, node=self.node, error=f"read: {e.error}" if written else e.error)
        except UNREADABLE as e:
            return op.with_(type=FAIL, node=self.node, error=f"unreadable response: {e}")
        done, values = apply_mops(mops, snapshot, self._codec.write_f)
        if not written:
            return op.with_(type=OK, value=done, node=self.node)
        try:
            at_commit = await self._commit([(k, seen[k][1]) for k in every], read,
                                           [(k, self._codec.encode(v)) for k, v in values.items()],
                                           deadline)
            if at_commit is None:
                return op.with_(type=FAIL, node=self.node, error=GUARD_FAILED)
            snapshot.update((k, self._codec.decode(raw)) for k, (raw, _) in zip(read, at_commit))
        except StepFailed as e:
            return op.with_(type=e.kind, node=self.node, error=e.error)
        except UNREADABLE as e:
            return op.with_(type=INFO, node=self.node, error=f"unreadable response: {e}")
        done, _ = apply_mops(mops, snapshot, self._codec.write_f)
        return op.with_(type=OK, value=done, node=self.node)

    async def _member_read(self, op: Op, deadline: float) -> Op:
        """``op.key`` as this member holds it (a read that changes nothing: ``fail`` when
        it did not answer)."""
        try:
            ((raw, _),) = await self._read([op.key], deadline, serializable=True)
            return op.with_(type=OK, value=self._codec.decode(raw), node=self.node)
        except StepFailed as e:
            return op.with_(type=FAIL, node=self.node, error=e.error)
        except UNREADABLE as e:
            return op.with_(type=FAIL, node=self.node, error=f"unreadable response: {e}")

    # -- the two steps' requests (JSON gateway) --------------------------------------

    async def _read(self, keys: Sequence[Any], deadline: float,
                    serializable: bool | None = None) -> list[tuple[bytes, int]]:
        """(raw value, mod_revision) of each key at one revision, in the read mode
        (``serializable`` overrides it). Raises StepFailed; ValueError & co. (UNREADABLE)
        for an answer it cannot read."""
        serializable = self._serializable if serializable is None else serializable
        doc = await self._post(read_request([self._key64(k) for k in keys], serializable),
                               "read", deadline)
        return parse_ranges(doc, len(keys))

    async def _commit(self, guards: Sequence[tuple[Any, int]], reads: Sequence[Any],
                      puts: Sequence[tuple[Any, bytes]], deadline: float) -> list[tuple[bytes, int]] | None:
        """The guarded commit (module doc): the Ranges of ``reads`` as of the commit, or
        None when the guard did not hold. Raises StepFailed or UNREADABLE."""
        key64 = self._key64
        doc = await self._post(commit_request([(key64(k), rev) for k, rev in guards],
                                              [key64(k) for k in reads],
                                              [(key64(k), raw) for k, raw in puts]), "txn", deadline)
        if not doc.get("succeeded"):
            return None
        return parse_ranges(doc, len(reads))

    def _time_left(self, deadline: float) -> float:
        left = deadline - self._loop.time()
        if left <= 0:
            raise StepFailed(FAIL, "timeout: no time left to send")
        return left

    async def _post(self, body: bytes, f: str, deadline: float) -> Any:
        """The decoded 200 response to a Txn; StepFailed classified for ``f``."""
        try:
            status, payload = await self._conn.post(TXN, body, self._time_left(deadline))
        except (NotSent, Lost, ResponseTimeout) as e:
            if isinstance(e, NotSent):
                await asyncio.sleep(NOT_SENT_BACKOFF_S)
            raise StepFailed(*classify_transport_error(f, e)) from None
        if status != 200:
            raise StepFailed(*classify_status(f, status, payload))
        return json.loads(payload)

    async def teardown(self, test: Mapping[str, Any]) -> None:
        """Keys are left in place (the prefix is unique per test)."""

    async def close(self, test: Mapping[str, Any]) -> None:
        if self._conn is not None:
            self._conn.close()


def etcd_txn_client_factory(workload: str, client_class: type | None = None):
    """The client factory for ``workload`` (a db descriptor names one per workload and
    transport), making ``client_class`` instances (default :class:`EtcdTxnClient`)."""
    make = client_class or EtcdTxnClient

    def factory(test: Mapping[str, Any]):
        options = etcd_options(test)
        return lambda: make(workload=workload, **options)
    return factory


list_append_client_factory = etcd_txn_client_factory("list-append")
rw_register_client_factory = etcd_txn_client_factory("rw-register")

__all__ = ["EtcdTxnClient", "GUARD_FAILED", "StepFailed", "UNREADABLE", "commit_request",
           "etcd_txn_client_factory", "list_append_client_factory", "parse_ranges",
           "read_request", "rw_register_client_factory"]
