"""The ZooKeeper lock client (workload ``lock``): kazoo's ``Lock`` recipe.

Mapping (lock ``k`` is the znode ``/<key_prefix>/lock/<k>``; its guarded counter the znode
``/<key_prefix>/lock-counter/<k>``, decimal ASCII; ``setup`` creates both parents):

- acquire -> kazoo's ``Lock(...).acquire``: an ephemeral sequential znode under the
  lock's, held once no older one is left. The session's timeout is the test's
  ``lock_ttl_s``: a holder cut off for longer loses its session, and with it the
  znode and the lock. ``ok`` value: the znode's sequence number (a fencing token).
  Waiting longer than the client's timeout is ``info`` (kazoo's clean-up of the waiting
  znode is best effort; the process is replaced and closing its session removes it);
  errors classify as the register client's.
- incr -> read the counter (as the read mode says: ``sync`` first by default), then
  write read + 1 (``set``, ``create`` the first time), with no version check: nothing
  but the lock guards it. Each step is retried through connection loss and session
  expiry until the op's deadline (:data:`RETRIED`), as by a holder whose calls go
  through kazoo's ``client.retry``; the holder never asks whether it still holds the
  lock. A read that never succeeded is ``fail``; the write classifies as a write,
  ``info`` carrying ``[read, wrote]`` (also when a retry was never sent but an earlier
  attempt was).
- release -> ``Lock.release`` (delete the znode). When the session expired while held
  (kazoo reported it LOST since the acquire), the lock had been freed behind the
  holder's back: ``info`` with an error starting ``lock-lost``.

The holder is a common user of the recipe, not a careful one. kazoo's ``Lock`` docs ask
a holder to watch the connection state: SUSPENDED means the lock may be lost, LOST that
it is. This holder only notes LOST (to label the release) and goes on: cut off from its
server longer than the session timeout, its session expires on the servers, which delete
its lock znode and hand the lock to the next in line; once the path is back, kazoo opens
a new session on the same server and the holder's retried read-modify-write runs while
another process holds the lock. That is the recipe's documented unsafety, what the
``zookeeper-lock-client-partition`` scenario shows (docs/scenarios.md).
- read -> the counter (the final read).

Sessions, the kazoo bridge and the classification table are the register client's
(:class:`~faultline.dbs.zookeeper.client.ZooKeeperClient`; docs/clients.md).
"""

from __future__ import annotations

import asyncio
import time
from typing import Any, Awaitable, Callable, Mapping, TypeVar

from kazoo import exceptions as kx
from kazoo.exceptions import LockTimeout
from kazoo.protocol.states import KazooState

from faultline.core.op import FAIL, INFO, OK, Op
from faultline.core.vocabulary import LOCK_LOST
from faultline.dbs.client_support import (DEFAULT_LOCK_TTL_S, NOT_SENT_BACKOFF_S, client_timeout,
                                          encode_value, key_prefix, lock_ttl, read_mode)
from faultline.dbs.zookeeper import DB as ZOOKEEPER
from faultline.dbs.zookeeper.client import (ZooKeeperClient, back_off_if_not_sent,
                                            classify_zk_error)
from faultline.dbs.zookeeper.kazoo_bridge import NotSentError, in_daemon_thread

LOCK_DIR, COUNTER_DIR = "lock", "lock-counter"
RETRIED: tuple[type[Exception], ...] = (
    kx.ConnectionLoss, kx.OperationTimeoutError, kx.SessionExpiredError, NotSentError)
"""What the guarded work waits out: the errors kazoo's ``KazooRetry`` retries (connection
loss, operation timeout and, by default, session expiry), and a request not sent because
the session was not connected (kazoo itself would have queued it until it was)."""
RETRY_DELAY_S = NOT_SENT_BACKOFF_S
"""Between two attempts of a guarded step."""

T = TypeVar("T")


class EarlierAttemptUnknown(Exception):
    """A retried write gave up on an attempt that was never sent, after an earlier one was
    sent and lost with the connection: that one's outcome is unknown (``info``)."""


def sequence_of(node: str | None) -> int | None:
    """The sequence number ending a lock znode's name (kazoo's ``...-lock-0000000007``)."""
    try:
        return int(node[-10:]) if node else None
    except ValueError:
        return None


class ZooKeeperLockClient(ZooKeeperClient):
    """One logical process' ZooKeeper session on one node, taking one lock at a time."""

    def __init__(self, *, read_mode: str, prefix: str, timeout_s: float,
                 ttl_s: float = DEFAULT_LOCK_TTL_S):
        super().__init__(read_mode=read_mode, prefix=prefix, timeout_s=timeout_s)
        self.session_timeout_s = ttl_s
        self._locks = f"{self._parent}/{LOCK_DIR}"
        self._counters = f"{self._parent}/{COUNTER_DIR}"
        self._lock: Any = None  # the kazoo Lock while acquiring or held
        self._lost: str | None = None  # why the session is known gone since the acquire

    async def open(self, test: Mapping[str, Any], node: str) -> None:
        await super().open(test, node)
        self._zk.add_listener(self._watch_session)

    def _watch_session(self, state: str) -> None:
        """kazoo's thread: a LOST session took every ephemeral znode, the lock's too.
        Noted for the release only: the holder goes on (the module doc)."""
        if state == KazooState.LOST and self._lock is not None and self._lost is None:
            self._lost = f"session expired while held (seen at {time.time():.3f})"

    async def setup(self, test: Mapping[str, Any]) -> None:
        for path in (self._locks, self._counters):
            await in_daemon_thread(self._zk.ensure_path, path)

    async def invoke(self, test: Mapping[str, Any], op: Op) -> Op:
        f = op.f
        self._deadline = self._loop.time() + self._timeout
        if f not in ("acquire", "release", "incr", "read"):
            raise ValueError(f"the ZooKeeper lock client does not do f={f!r}")
        try:
            if f == "acquire":
                return await self._acquire(op)
            if f == "release":
                return await self._release(op)
            if f == "incr":
                return await self._incr(op)
            read = await self._read_counter(op)
            return read if isinstance(read, Op) else op.with_(type=OK, value=read, node=self.node)
        except Exception as e:  # noqa: BLE001 - every error of the last request is classified
            await back_off_if_not_sent(e)
            kind, error = classify_zk_error(f, e)
            return op.with_(type=kind, node=self.node, error=error)

    async def _incr(self, op: Op) -> Op:
        """The guarded read-modify-write, each step retried (:meth:`_retried`)."""
        read = await self._read_counter(op, retried=True)
        if isinstance(read, Op):
            return read
        data = encode_value(read + 1)
        try:
            done = await self._retried(lambda: self._write(op, f"{self._counters}/{op.key}", data))
        except Exception as e:  # noqa: BLE001 - classified as a write
            await back_off_if_not_sent(e)
            kind, error = classify_zk_error(op.f, e)
            done = op.with_(type=kind, node=self.node, error=error)
        return done.with_(value=[read, read + 1] if done.type in (OK, INFO) else None)

    async def _retried(self, step: Callable[[], Awaitable[T]]) -> T:
        """``await step()``, again after each :data:`RETRIED` error while the op's deadline
        leaves time for another attempt; then the last error is raised
        (:class:`EarlierAttemptUnknown` when it was never sent but an earlier one was)."""
        sent = False
        while True:
            try:
                return await step()
            except RETRIED as e:
                sent = sent or not isinstance(e, NotSentError)
                if self._loop.time() + RETRY_DELAY_S >= self._deadline:
                    if sent and isinstance(e, NotSentError):
                        raise EarlierAttemptUnknown(f"gave up on {e}") from e
                    raise
                await asyncio.sleep(RETRY_DELAY_S)

    async def _read_counter(self, op: Op, retried: bool = False) -> int | Op:
        """The counter (0 when never written), or ``op`` failed: a read changed nothing.
        ``retried``: through :meth:`_retried`."""
        path = f"{self._counters}/{op.key}"
        try:
            read = await (self._retried(lambda: self._read_value(path)) if retried
                          else self._read_value(path))
        except Exception as e:  # noqa: BLE001 - nothing written: a definite fail
            await back_off_if_not_sent(e)
            return op.with_(type=FAIL, node=self.node, error=classify_zk_error("read", e)[1])
        if read is not None and not isinstance(read, int):
            return op.with_(type=FAIL, node=self.node, error=f"counter holds {read!r}")
        return read or 0

    async def _acquire(self, op: Op) -> Op:
        self._lost = None
        self._lock = self._zk.Lock(f"{self._locks}/{op.key}", str(op.process))
        wait = max(0.0, self._deadline - self._loop.time())
        try:
            got = await asyncio.wait_for(in_daemon_thread(self._lock.acquire, True, wait),
                                         wait + 1.0)
        except (LockTimeout, asyncio.TimeoutError):
            got = False
        if not got:
            return op.with_(type=INFO, node=self.node,
                            error=f"lock-wait: not held after {wait:.1f} s")
        self._lost = None  # a session lost while waiting is not one lost while held
        return op.with_(type=OK, value=sequence_of(self._lock.node), node=self.node)

    async def _release(self, op: Op) -> Op:
        lock, lost = self._lock, self._lost
        wait = max(0.0, self._deadline - self._loop.time())
        await asyncio.wait_for(in_daemon_thread(lock.release), wait)
        self._lock = None
        if lost is not None:
            return op.with_(type=INFO, node=self.node, error=f"{LOCK_LOST}: {lost}")
        return op.with_(type=OK, node=self.node)


def zookeeper_lock_client_factory(test: Mapping[str, Any]) -> Callable[[], ZooKeeperLockClient]:
    """A factory of fresh, unopened lock clients configured from ``test`` (validated now)."""
    mode = read_mode(test, ZOOKEEPER)
    prefix, timeout, ttl = key_prefix(test), client_timeout(test), lock_ttl(test)
    return lambda: ZooKeeperLockClient(read_mode=mode, prefix=prefix, timeout_s=timeout,
                                       ttl_s=ttl)


__all__ = ["RETRIED", "ZooKeeperLockClient", "sequence_of", "zookeeper_lock_client_factory"]
