"""The etcd lock client (workload ``lock``): etcd's lock service over the JSON gateway.

Mapping (lock ``k`` is the lock name ``<key_prefix>/lock/<k>``; its guarded counter the key
``<key_prefix>/lock-counter/<k>``, decimal ASCII):

- acquire -> ``/v3/lease/grant`` of a lease with the test's ``lock_ttl_s`` (whole seconds,
  rounded up), kept alive from then on by a background task (``/v3/lease/keepalive``
  every third of the TTL, on a connection of its own), then ``/v3/lock/lock`` with that
  lease: etcd's lock service puts a key under the name in the lease and waits until every
  older one is gone. ``ok`` value: the response header's revision (a fencing token: later
  holds get higher ones). A grant that did not answer leaves no key and no hold: ``fail``;
  a lock call classifies as the register client's requests do, and waiting longer than
  the client's timeout is ``info`` (the process is replaced; closing the client revokes
  the lease, freeing a lock granted after we gave up).
- incr -> ``Range`` of the counter (as the read mode says), then ``Put`` of read + 1: no
  compare, nothing but the lock guards it. A failed read is ``fail`` (nothing written);
  the put's failure classifies as a write, ``info`` carrying ``[read, wrote]``.
- release -> ``/v3/lock/unlock`` of the key the lock call returned, then
  ``/v3/lease/revoke``. When the keepalive found the lease expired, or the revoke found
  it gone, the lock had been freed behind the holder's back: ``info`` with an error
  starting ``lock-lost`` (the case pauses and partitions produce).
- read -> ``Range`` of the counter (the final read).

Connections and the classification of every failure are the register client's
(:class:`~faultline.dbs.etcd.client.EtcdClient`, ``post``). Routes: etcd 3.4's gateway
(``etcdserver/api/v3lock`` registered beside the KV and lease services).
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import json
import math
from typing import Any, Mapping

from faultline.core.op import FAIL, INFO, OK, Op
from faultline.core.vocabulary import LOCK_LOST
from faultline.dbs.client_support import DEFAULT_LOCK_TTL_S, lock_ttl
from faultline.dbs.etcd.client import EtcdClient, EtcdKeys, completion_of, etcd_options, request_for
from faultline.dbs.etcd.http1 import HttpConnection, HttpError

LEASE_GRANT = b"/v3/lease/grant"
LEASE_KEEPALIVE = b"/v3/lease/keepalive"
LEASE_REVOKE = b"/v3/lease/revoke"
LOCK = b"/v3/lock/lock"
UNLOCK = b"/v3/lock/unlock"
LOCK_DIR, COUNTER_DIR = "lock", "lock-counter"
REVOKE_TIMEOUT_S = 1.0


def lease_ttl(doc: Mapping[str, Any]) -> int:
    """The TTL a keepalive answer gives (the gateway wraps stream messages in ``result``
    and omits a zero TTL: an expired lease); raises ValueError for an error message."""
    if "error" in doc:
        raise ValueError(f"keepalive error: {doc['error']}")
    return int((doc.get("result") or doc).get("TTL") or 0)


class EtcdLockClient(EtcdClient):
    """One logical process' connection to one etcd node, taking one lock at a time."""

    def __init__(self, *, read_mode: str, prefix: str, timeout_s: float,
                 ttl_s: float = DEFAULT_LOCK_TTL_S):
        super().__init__(read_mode=read_mode, prefix=prefix, timeout_s=timeout_s)
        self._ttl = max(1, math.ceil(ttl_s))
        self._names = EtcdKeys(f"{prefix}/{LOCK_DIR}", base64.b64encode)
        self._counters = EtcdKeys(f"{prefix}/{COUNTER_DIR}", base64.b64encode)
        self._lease: str | None = None  # while acquiring or holding
        self._lock_key: str | None = None  # what the lock call returned (base64)
        self._lost: str | None = None  # why the lease is known gone
        self._keepalive: asyncio.Task | None = None

    async def invoke(self, test: Mapping[str, Any], op: Op) -> Op:
        f = op.f
        if f == "acquire":
            return await self._acquire(op)
        if f == "incr":
            return await self._incr(op)
        if f == "release":
            return await self._release(op)
        if f == "read":
            return await self._read(op)
        raise ValueError(f"the etcd lock client does not do f={f!r}")

    async def _acquire(self, op: Op) -> Op:
        granted = await self.post(op, LEASE_GRANT, b'{"TTL":%d}' % self._ttl)
        if isinstance(granted, Op):  # an unanswered grant holds nothing
            return granted.with_(type=FAIL, error=f"lease-grant: {granted.error}")
        try:
            self._lease = str(json.loads(granted)["ID"])
        except (ValueError, KeyError, TypeError) as e:
            return op.with_(type=FAIL, node=self.node, error=f"lease-grant: unreadable: {e}")
        self._lost = None
        self._keepalive = asyncio.get_running_loop().create_task(self._keep_alive(self._lease))
        name = self._names(op.key).decode()
        locked = await self.post(op, LOCK, json.dumps({"name": name,
                                                       "lease": self._lease}).encode())
        if isinstance(locked, Op):
            if locked.type == FAIL:  # refused: nothing waits under the lease
                await self._drop_lease()
            return locked
        try:
            doc = json.loads(locked)
            self._lock_key = doc["key"]
            token = int(doc["header"]["revision"])
        except (ValueError, KeyError, TypeError) as e:
            return op.with_(type=INFO, node=self.node, error=f"unreadable response: {e}")
        return op.with_(type=OK, value=token, node=self.node)

    async def _read_counter(self, op: Op) -> int | Op:
        path, body = request_for("read", self._counters(op.key), None, self._serializable)
        payload = await self.post(op.with_(f="read"), path, body)
        if isinstance(payload, Op):
            return op.with_(type=FAIL, node=self.node, error=payload.error)
        try:
            value = completion_of("read", payload)[1]
        except (ValueError, KeyError, TypeError, binascii.Error) as e:
            return op.with_(type=FAIL, node=self.node, error=f"unreadable response: {e}")
        if value is not None and not isinstance(value, int):
            return op.with_(type=FAIL, node=self.node, error=f"counter holds {value!r}")
        return value or 0

    async def _incr(self, op: Op) -> Op:
        read = await self._read_counter(op)
        if isinstance(read, Op):
            return read
        path, body = request_for("write", self._counters(op.key), read + 1, False)
        written = await self.post(op, path, body)
        if isinstance(written, Op):
            return written.with_(value=[read, read + 1] if written.type == INFO else None)
        return op.with_(type=OK, value=[read, read + 1], node=self.node)

    async def _read(self, op: Op) -> Op:
        read = await self._read_counter(op)
        if isinstance(read, Op):
            return read
        return op.with_(type=OK, value=read, node=self.node)

    async def _release(self, op: Op) -> Op:
        if self._lock_key is not None:
            unlocked = await self.post(op, UNLOCK, b'{"key":"%s"}' % self._lock_key.encode())
            if isinstance(unlocked, Op):
                return unlocked  # fail: still held, the next release tries again
            self._lock_key = None
        gone = await self._drop_lease()
        if self._lost or gone:
            return op.with_(type=INFO, node=self.node,
                            error=f"{LOCK_LOST}: {self._lost or gone}")
        return op.with_(type=OK, node=self.node)

    async def _drop_lease(self) -> str | None:
        """Stop the keepalive and revoke the lease; why it was already gone, if it was."""
        if self._keepalive is not None:
            self._keepalive.cancel()
            self._keepalive = None
        lease, self._lease = self._lease, None
        if lease is None:
            return None
        probe = Op(type="invoke", f="release")
        revoked = await self.post(probe, LEASE_REVOKE, b'{"ID":%s}' % lease.encode())
        if isinstance(revoked, Op) and (revoked.error or "").startswith("not-found"):
            return f"lease {lease} was gone at release (revoke: {revoked.error})"
        return None  # revoked, or unknown: then it expires by its TTL

    async def _keep_alive(self, lease: str) -> None:
        """Renew ``lease`` every third of its TTL until cancelled; note when etcd says it
        is gone. Failed requests are retried on a fresh connection: only etcd's answer
        that the lease expired counts."""
        conn: HttpConnection | None = None
        body = b'{"ID":%s}' % lease.encode()
        try:
            while True:
                await asyncio.sleep(self._ttl / 3)
                try:
                    if conn is None:
                        conn = HttpConnection(*self.address, connect_timeout=self._ttl / 3)
                        await conn.connect()
                    status, payload = await conn.post(LEASE_KEEPALIVE, body, self._ttl / 3)
                    ttl = lease_ttl(json.loads(payload.split(b"\n", 1)[0]))
                except (HttpError, OSError, ValueError, TypeError):
                    if conn is not None:
                        conn.close()
                    conn = None
                    continue
                if status == 200 and ttl <= 0:
                    self._lost = f"lease {lease} expired while held (keepalive answer)"
                    return
        finally:
            if conn is not None:
                conn.close()

    async def close(self, test: Mapping[str, Any]) -> None:
        try:
            await asyncio.wait_for(self._drop_lease(), REVOKE_TIMEOUT_S)
        except (asyncio.TimeoutError, HttpError, OSError):
            pass  # the lease expires by its TTL
        await super().close(test)


def etcd_lock_client_factory(test: Mapping[str, Any]):
    """A factory of fresh, unopened lock clients configured from ``test`` (validated now)."""
    options, ttl = etcd_options(test), lock_ttl(test)
    return lambda: EtcdLockClient(**options, ttl_s=ttl)


__all__ = ["EtcdLockClient", "etcd_lock_client_factory", "lease_ttl"]
