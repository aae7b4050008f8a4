"""The ZooKeeper transactional client (list-append, rw-register): versioned reads, then a
``multi`` guarded by the versions read.

A transaction (``{"f": "txn", "value": [mop, ...]}``, :mod:`faultline.workloads.txn_support`)
touching keys K (znodes ``/<key_prefix>/<k>``, values stored as in
:mod:`faultline.dbs.txn_values`) runs as:

1. **Read**: in ``sync`` mode a ``sync`` first, then a ``get`` of every key in K, all
   pipelined on the session (ZooKeeper runs a session's requests in order, so each get
   sees at least the state the sync brought the server to). Each yields the data and the
   znode's data ``version`` (absent: no znode).
2. **Read-only** transactions complete from reads alone. Gets of several keys are not
   atomic (the server may apply writes between them), so for two or more keys the client
   reads every key twice, pipelined, and accepts the first round only when the second
   found every version unchanged: versions only grow (znodes are never deleted here), so
   each value then held over an interval containing the last get of the first round, and
   the round is the server's state at that point: a consistent snapshot. Otherwise it
   reads once more (up to :data:`SNAPSHOT_ROUNDS` rounds) and else fails
   (``snapshot-unstable``; a read changes nothing). In ``plain`` mode that state may be
   stale; in ``sync`` mode it is at least the leader's state when the sync was served.
3. **Writes**: one ``multi`` with, per key in K: ``set_data(new, version)`` for a key
   written that exists, ``create(new)`` for one that does not, ``check(version)`` for a
   key only read, and ``create(b"")`` for a key only read and absent (an empty znode reads
   as absent, so it changes no value; it asserts the key is still absent, which a check
   cannot). ZooKeeper applies the multi atomically through the leader, or rolls it back:
   a BadVersion / NodeExists / NoNode result is ``fail`` (``guard-failed: ...``).

Classification (:func:`~faultline.dbs.zookeeper.client.classify_zk_error`): a failed read
step is ``fail``; the multi is ``info`` unless ZooKeeper or kazoo certainly did not apply
it. All requests of a transaction share one deadline, ``client_timeout_s``. Session,
bridge and "never sent" handling are the register client's
(:class:`~faultline.dbs.zookeeper.client.ZooKeeperClient`). Table: docs/clients.md.

A ``member-read`` of key ``k`` is a ``sync`` then a get of ``k`` on the session's server
(what it holds once caught up with the leader), decoded as the workload stores it.
"""

from __future__ import annotations

import asyncio
from typing import Any, Callable, Mapping, Sequence

from kazoo import exceptions as kx

from faultline.core.op import FAIL, OK, Op
from faultline.core.vocabulary import MEMBER_READ
from faultline.dbs.client_support import client_timeout, key_prefix, read_mode
from faultline.dbs.txn_values import ValueCodec, apply_mops, codec, touched_keys
from faultline.dbs.zookeeper import DB as ZOOKEEPER
from faultline.dbs.zookeeper.client import ZooKeeperClient, back_off_if_not_sent, classify_zk_error

ABSENT = -1
"""The version recorded for a znode that does not exist."""
SNAPSHOT_ROUNDS = 4
"""Rounds of gets a read-only transaction of several keys reads, at most, to find two alike."""
GUARD_ERRORS = (kx.BadVersionError, kx.NodeExistsError, kx.NoNodeError)
ROLLED_BACK = (kx.RolledBackError, kx.RuntimeInconsistency)
"""What ZooKeeper reports for the ops of a failed multi other than the one that failed."""

Versions = list[tuple[bytes, int]]


def multi_ops(keys: Sequence[Any], seen: Mapping[Any, tuple[bytes, int]],
              new: Mapping[Any, bytes]) -> list[tuple[Any, ...]]:
    """The multi for a transaction: per key (in order), ``("set", k, data, version)``,
    ``("create", k, data)`` or ``("check", k, version)`` (see the module doc)."""
    ops: list[tuple[Any, ...]] = []
    for k in keys:
        version = seen[k][1]
        if k in new:
            ops.append(("create", k, new[k]) if version == ABSENT else ("set", k, new[k], version))
        else:
            ops.append(("create", k, b"") if version == ABSENT else ("check", k, version))
    return ops


def multi_outcome(results: Sequence[Any]) -> tuple[str, str | None]:
    """(type, error) of a multi that kazoo answered with ``results``: ``ok``, or the
    classification of the op that made it roll back."""
    errors = [r for r in results if isinstance(r, Exception)]
    if not errors:
        return OK, None
    cause = next((e for e in errors if not isinstance(e, ROLLED_BACK)), errors[0])
    kind, error = classify_zk_error("txn", cause)
    if isinstance(cause, GUARD_ERRORS):
        return FAIL, f"guard-failed: {error}"
    return kind, error


class ZooKeeperTxnClient(ZooKeeperClient):
    """One logical process' ZooKeeper session on one node, running transactions. See the
    module doc; opening, setup (the parent znode) and closing are the register client's."""

    def __init__(self, *, workload: str, read_mode: str, prefix: str, timeout_s: float):
        super().__init__(read_mode=read_mode, prefix=prefix, timeout_s=timeout_s)
        self._codec: ValueCodec = codec(workload)

    async def invoke(self, test: Mapping[str, Any], op: Op) -> Op:
        self._deadline = self._loop.time() + self._timeout
        if op.f == MEMBER_READ:
            return await self._member_read(op)
        mops = op.value
        every, _, written = touched_keys(mops)
        try:
            seen = await self._snapshot(every, consistent=not written and len(every) > 1)
            if seen is None:
                return op.with_(type=FAIL, node=self.node, error="snapshot-unstable")
            snapshot = {k: self._codec.decode(raw) for k, (raw, _) in seen.items()}
        except Exception as e:  # noqa: BLE001 - nothing was written: a definite fail
            await back_off_if_not_sent(e)
            error = f"unreadable value: {e}" if isinstance(e, ValueError) \
                else classify_zk_error("read", e)[1]
            return op.with_(type=FAIL, node=self.node, error=f"read: {error}" if written else error)
        done, values = apply_mops(mops, snapshot, self._codec.write_f)
        if not written:
            return op.with_(type=OK, value=done, node=self.node)
        new = {k: self._codec.encode(v) for k, v in values.items()}
        try:
            results = await self._wait(self._send(self._commit(multi_ops(every, seen, new))))
        except Exception as e:  # noqa: BLE001 - every error of the multi is classified
            await back_off_if_not_sent(e)
            kind, error = classify_zk_error("txn", e)
            if isinstance(e, GUARD_ERRORS):
                error = f"guard-failed: {error}"
            return op.with_(type=kind, node=self.node, error=error)
        kind, error = multi_outcome(results)
        if kind != OK:
            return op.with_(type=kind, node=self.node, error=error)
        return op.with_(type=OK, value=done, node=self.node)

    async def _member_read(self, op: Op) -> Op:
        """``op.key`` as this server holds it once synced with the leader (a read that
        changes nothing: ``fail`` when it did not answer)."""
        try:
            ((found,),) = await self._read_rounds([op.key], 1, sync=True)
            return op.with_(type=OK, value=self._codec.decode(found[0]), node=self.node)
        except Exception as e:  # noqa: BLE001 - classified as a read's
            await back_off_if_not_sent(e)
            error = f"unreadable value: {e}" if isinstance(e, ValueError) \
                else classify_zk_error(MEMBER_READ, e)[1]
            return op.with_(type=FAIL, node=self.node, error=error)

    # -- requests -------------------------------------------------------------------

    async def _snapshot(self, keys: Sequence[Any], *,
                        consistent: bool) -> dict[Any, tuple[bytes, int]] | None:
        """key -> (data, version) read in the read mode. ``consistent``: a consistent
        snapshot (module doc), None when none was found in SNAPSHOT_ROUNDS rounds."""
        if not consistent:
            (found,) = await self._read_rounds(keys, 1, sync=self._sync_reads)
            return dict(zip(keys, found))
        previous, current = await self._read_rounds(keys, 2, sync=self._sync_reads)
        rounds = 2
        while [v for _, v in previous] != [v for _, v in current]:
            if rounds == SNAPSHOT_ROUNDS:
                return None
            previous, (current,) = current, await self._read_rounds(keys, 1, sync=False)
            rounds += 1
        return dict(zip(keys, previous))

    async def _read_rounds(self, keys: Sequence[Any], rounds: int, *, sync: bool) -> list[Versions]:
        """``rounds`` rounds of gets of ``keys``, all pipelined (after a sync if ``sync``)."""
        futures: list[asyncio.Future] = []
        try:
            if sync:
                futures.append(self._send(self._zk.sync_async, self._parent))
            gets = [self._send(self._zk.get_async, f"{self._parent}/{k}")
                    for _ in range(rounds) for k in keys]
            futures += gets
            if sync:
                await self._wait(futures[0])
            got = await asyncio.gather(*(self._versioned(f) for f in gets))
        except BaseException:
            for fut in futures:
                fut.cancel()
            raise
        n = len(keys)
        return [list(got[i * n:(i + 1) * n]) for i in range(rounds)]

    async def _versioned(self, fut: asyncio.Future) -> tuple[bytes, int]:
        try:
            data, stat = await self._wait(fut)
        except kx.NoNodeError:
            return b"", ABSENT
        return data, stat.version

    def _commit(self, ops: Sequence[tuple[Any, ...]]) -> Callable[[], Any]:
        """The bound ``commit_async`` of a kazoo transaction holding ``ops``."""
        txn = self._zk.transaction()
        for kind, k, *args in ops:
            path = f"{self._parent}/{k}"
            if kind == "set":
                txn.set_data(path, args[0], args[1])
            elif kind == "create":
                txn.create(path, args[0])
            else:
                txn.check(path, args[0])
        return txn.commit_async


def zookeeper_txn_client_factory(workload: str):
    """The client factory for ``workload`` (a db descriptor names one per workload)."""

    def factory(test: Mapping[str, Any]) -> Callable[[], ZooKeeperTxnClient]:
        mode = read_mode(test, ZOOKEEPER)
        prefix, timeout = key_prefix(test), client_timeout(test)
        return lambda: ZooKeeperTxnClient(workload=workload, read_mode=mode, prefix=prefix,
                                          timeout_s=timeout)
    return factory


list_append_client_factory = zookeeper_txn_client_factory("list-append")
rw_register_client_factory = zookeeper_txn_client_factory("rw-register")

__all__ = ["ABSENT", "SNAPSHOT_ROUNDS", "ZooKeeperTxnClient", "list_append_client_factory",
           "multi_ops", "multi_outcome", "rw_register_client_factory",
           "zookeeper_txn_client_factory"]
