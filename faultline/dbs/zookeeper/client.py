"""The ZooKeeper register client: read/write/cas through kazoo, bridged into asyncio.

Mapping (key ``k`` of an op is the znode ``/<key_prefix>/k``; values are decimal ASCII):

- read, mode ``plain``: ``get`` answered by the connected server from its own state (may be
  stale: ZooKeeper does not promise linearizable reads). Mode ``sync``: ``sync`` then
  ``get``, pipelined on the session (ZooKeeper runs a session's requests in order, so the
  get waits for the sync). An absent znode reads ``None``.
- write -> ``set``; ``create`` when the znode does not exist yet (and ``set`` again if a
  concurrent create won). Each retried step failed definitely, so only the last one counts.
- cas [None, b] -> ``create``: NodeExists is decided by the leader on current state, so it
  is a linearizable "the register was not absent" and recorded ``cas-mismatch``.
- cas [a, b] -> read (data, version) in the read mode, compare with ``a``; on a mismatch
  ``fail`` with error ``value-differs`` (NOT ``cas-mismatch``: a plain read may be stale,
  so it says nothing linearizable); otherwise ``set(b, version)``, where BadVersion is
  ``fail`` (``bad-version``).

kazoo runs its own threads; each ``*_async`` call returns an IAsyncResult whose callback
resolves an asyncio future through ``loop.call_soon_threadsafe``. One KazooClient (one
session) per logical process, connected to its node only (bridging and "never sent"
detection: :mod:`faultline.dbs.zookeeper.kazoo_bridge`). Errors are classified by
:func:`classify_zk_error` (pure, unit-tested); the table is in docs/clients.md.
"""

from __future__ import annotations

import asyncio
from typing import Any, Callable, Mapping

from kazoo import exceptions as kx
from kazoo.client import KazooClient
from kazoo.retry import KazooRetry

from faultline.core.vocabulary import CAS_MISMATCH, MEMBER_READ
from faultline.core.op import FAIL, OK, Op
from faultline.dbs.client_support import (NOT_SENT_BACKOFF_S, client_timeout, decode_value,
                                          encode_value, key_prefix, read_mode, resolve_address,
                                          unknown_outcome_type)
from faultline.dbs.zookeeper import DB as ZOOKEEPER
from faultline.dbs.zookeeper.kazoo_bridge import (InlineCallbackHandler, NotSentError,
                                                  RefusalAwareKazooClient, in_daemon_thread, send)
SESSION_TIMEOUT_S = 10.0
CLOSE_TIMEOUT_S = 5.0
WRITE_ATTEMPTS = 3

DEFINITE_ERRORS: tuple[type[Exception], ...] = (
    kx.NoNodeError, kx.NodeExistsError, kx.BadVersionError, kx.NoAuthError,
    kx.BadArgumentsError, kx.InvalidACLError, kx.NotEmptyError,
    kx.NoChildrenForEphemeralsError, kx.QuotaExceededError, kx.ThrottledOpError,
    kx.NotReadOnlyCallError, kx.UnimplementedError, kx.AuthFailedError,
    kx.RolledBackError, kx.ReconfigDisabledError, kx.ReconfigInProcessError,
    kx.NewConfigNoQuorumError,
)
"""Errors the server returns for a request it rejected instead of applying (its error
code replaces the transaction), or that kazoo raises before queuing anything."""


def classify_zk_error(f: str, error: BaseException) -> tuple[str, str]:
    """(completion type, error text) for an error met by the LAST request of an op.

    ``NotSentError`` and the definite server rejections are ``fail``. Everything else
    (ConnectionLoss, OperationTimeout, SessionExpired after sending, timeouts, unknown
    errors) is an unknown outcome: ``info``, or ``fail`` for reads (they change nothing).
    """
    if isinstance(error, NotSentError):
        return FAIL, f"not-sent: {error}"
    name = type(error).__name__
    if isinstance(error, DEFINITE_ERRORS):
        return FAIL, name
    if isinstance(error, (TimeoutError, asyncio.TimeoutError)):
        return unknown_outcome_type(f), "timeout"
    return unknown_outcome_type(f), f"{name}: {error}" if str(error) else name


class ZooKeeperClient:
    """One logical process' ZooKeeper session on one node. See the module doc."""

    kazoo_class: Callable[..., KazooClient] = RefusalAwareKazooClient
    """What ``open`` instantiates (unit tests substitute a scripted fake)."""
    session_timeout_s: float = SESSION_TIMEOUT_S
    """The session timeout ``open`` asks for (the lock client's is the test's lock TTL)."""
    handler_class: Callable[[], Any] = InlineCallbackHandler
    """The kazoo handler ``open`` gives the session (the watch client's keeps wire order)."""

    def __init__(self, *, read_mode: str, prefix: str, timeout_s: float):
        if read_mode not in ZOOKEEPER.read_modes:
            raise ValueError(f"zookeeper read mode must be one of {ZOOKEEPER.read_modes}, "
                             f"got {read_mode!r}")
        self._sync_reads = read_mode == "sync"
        self._parent = "/" + prefix
        self._timeout = timeout_s
        self._zk: KazooClient | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._deadline = 0.0
        self.node: str | None = None

    async def open(self, test: Mapping[str, Any], node: str) -> None:
        """Start a session on ``node`` only; raises when it does not connect in time."""
        host, port = resolve_address(test, node, ZOOKEEPER.client_port)
        self.node = node
        self._loop = asyncio.get_running_loop()
        # Reconnect quickly and forever to this one server: after a crash or pause the
        # process should resume as soon as the node serves again.
        retry = KazooRetry(max_tries=-1, delay=0.1, backoff=2, max_delay=1.0)
        self._zk = self.kazoo_class(hosts=f"{host}:{port}", timeout=self.session_timeout_s,
                                    connection_retry=retry, randomize_hosts=False,
                                    handler=self.handler_class())
        try:
            # Bounded by the request deadline, which the runner keeps below the worker's
            # op timeout: a failed open is then reported by us, not cut short mid-close.
            await in_daemon_thread(self._zk.start, self._timeout)
        except BaseException:
            await self.close(test)
            raise

    async def setup(self, test: Mapping[str, Any]) -> None:
        """Create the parent znode of this test's registers."""
        await in_daemon_thread(self._zk.ensure_path, self._parent)

    async def invoke(self, test: Mapping[str, Any], op: Op) -> Op:
        f = op.f
        path = f"{self._parent}/{op.key}"
        # One deadline for all the requests of the op (sync + get, set + create, ...).
        self._deadline = self._loop.time() + self._timeout
        try:
            if f == "read":
                value = await self._read_value(path)
                return op.with_(type=OK, value=value, node=self.node)
            if f == MEMBER_READ:  # what this server holds, once it caught up with the leader
                found = await self._read(path, sync=True)
                value = None if found is None else decode_value(found[0])
                return op.with_(type=OK, value=value, node=self.node)
            if f == "write":
                return await self._write(op, path, encode_value(op.value))
            if f == "cas":
                return await self._cas(op, path)
        except Exception as e:  # noqa: BLE001 - every error of the last request is classified
            await back_off_if_not_sent(e)
            kind, error = classify_zk_error(f, e)
            return op.with_(type=kind, node=self.node, error=error)
        raise ValueError(f"the ZooKeeper register client does not do f={f!r}")

    async def teardown(self, test: Mapping[str, Any]) -> None:
        """Znodes are left in place: the data stays inspectable, and the prefix is unique
        per test, so nothing leaks into the next one."""

    async def close(self, test: Mapping[str, Any]) -> None:
        zk, self._zk = self._zk, None
        if zk is None:
            return

        def stop_and_close() -> None:
            try:
                zk.stop()
            finally:
                zk.close()

        try:
            await asyncio.wait_for(in_daemon_thread(stop_and_close), CLOSE_TIMEOUT_S)
        except (asyncio.TimeoutError, kx.KazooException):
            pass  # a stuck close is left to its daemon thread; the session expires anyway

    # -- operations ------------------------------------------------------------------

    async def _read(self, path: str, fetch: Callable[..., Any] | None = None,
                    sync: bool | None = None) -> Any:
        """What ``fetch`` (a bound ``*_async`` read, ``get_async`` by default: (data, stat))
        answers for ``path``, None when it does not exist; after a ``sync`` when ``sync``
        says so (None: as the read mode says)."""
        fetch = fetch or self._zk.get_async
        if self._sync_reads if sync is None else sync:
            synced = self._send(self._zk.sync_async, path)
            try:
                got = self._send(fetch, path)
            except BaseException:
                synced.cancel()
                raise
            try:
                await self._wait(synced)
            except BaseException:
                got.cancel()
                raise
            request = got
        else:
            request = self._send(fetch, path)
        try:
            return await self._wait(request)
        except kx.NoNodeError:
            return None

    async def _read_value(self, path: str) -> int | str | None:
        found = await self._read(path)
        return None if found is None else decode_value(found[0])

    async def _write(self, op: Op, path: str, data: bytes) -> Op:
        for _ in range(WRITE_ATTEMPTS):
            try:
                await self._wait(self._send(self._zk.set_async, path, data))
                return op.with_(type=OK, node=self.node)
            except kx.NoNodeError:
                pass
            try:
                await self._wait(self._send(self._zk.create_async, path, data))
                return op.with_(type=OK, node=self.node)
            except kx.NodeExistsError:
                pass  # a concurrent writer created it first: set it
        return op.with_(type=FAIL, node=self.node, error="write raced create/set repeatedly")

    async def _cas(self, op: Op, path: str) -> Op:
        expected, new = op.value
        new_data = encode_value(new)
        if expected is None:
            try:
                await self._wait(self._send(self._zk.create_async, path, new_data))
            except kx.NodeExistsError:
                return op.with_(type=FAIL, node=self.node, error=CAS_MISMATCH)
            return op.with_(type=OK, node=self.node)
        try:
            found = await self._read(path)
        except Exception as e:  # noqa: BLE001 - nothing was written yet: a definite fail
            await back_off_if_not_sent(e)
            return op.with_(type=FAIL, node=self.node, error=f"cas-read: {classify_zk_error('read', e)[1]}")
        if found is None or decode_value(found[0]) != expected:
            return op.with_(type=FAIL, node=self.node, error="value-differs")
        try:
            await self._wait(self._send(self._zk.set_async, path, new_data, found[1].version))
        except (kx.BadVersionError, kx.NoNodeError):
            return op.with_(type=FAIL, node=self.node, error="bad-version")
        return op.with_(type=OK, node=self.node)

    # -- requests -------------------------------------------------------------------

    def _send(self, call: Callable[..., Any], *args: Any) -> asyncio.Future:
        if self._zk is None:
            raise NotSentError("client not open")
        return send(self._zk, self._loop, call, *args)

    async def _wait(self, fut: asyncio.Future) -> Any:
        """The request's result, within what is left of the op's deadline."""
        return await asyncio.wait_for(fut, max(0.0, self._deadline - self._loop.time()))


async def back_off_if_not_sent(error: BaseException) -> None:
    """Wait a little after a request that never left (the client's own clients share this:
    a retry at once would only find the same closed connection)."""
    if isinstance(error, NotSentError):
        await asyncio.sleep(NOT_SENT_BACKOFF_S)


def zookeeper_client_factory(test: Mapping[str, Any]) -> Callable[[], ZooKeeperClient]:
    """A factory of fresh, unopened clients configured from ``test`` (validated now)."""
    mode = read_mode(test, ZOOKEEPER)
    prefix, timeout = key_prefix(test), client_timeout(test)
    return lambda: ZooKeeperClient(read_mode=mode, prefix=prefix, timeout_s=timeout)


__all__ = ["ZooKeeperClient", "zookeeper_client_factory", "classify_zk_error", "NotSentError"]
