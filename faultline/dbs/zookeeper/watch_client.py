"""The ZooKeeper watch client (workload ``watch``): puts and multi-puts, and watch sessions
of one-time data watches, each re-armed by a read as soon as it fires.

Keys: op key ``k`` (an int) is the znode ``/<key_prefix>/w/<k>``; values are unique ints in
decimal ASCII. ``setup`` creates ``/<key_prefix>/w``; a znode is created by its first put.

Ops (invoke value -> ``ok`` completion value; :mod:`faultline.workloads.watch`):

- ``put`` ``{"mops": [["put", k, v]]}``: ``setData``; ``create`` (with its stat) when the
  znode does not exist yet, and ``setData`` again if a concurrent create won (each
  retried step failed definitely, so only the last one counts). Completion ``{"mops",
  "zxid"}``: the new ``mzxid``, the zxid of the transaction that wrote it.
- ``txn`` ``{"mops": [["put", k, v], ...]}``: one ``multi`` of ``setData`` (a znode not
  created yet makes it roll back: NoNode, a definite ``fail``). ``zxid``: the multi's,
  which every ``setData`` in it returns as its ``mzxid``.
- ``watch`` ``{"keys": [k, ...]}``: a session of ``watch_session_s`` seconds: ``getData``
  of every key with a watch (``exists`` with a watch when it is absent), and after each
  event of a key a new ``getData`` of it with a watch. Completion ``{"keys", "log",
  "broken"}``: ``log`` holds, in the order they arrived, each read's
  ``["read", k, value, mzxid, version, zxid]`` (value, mzxid and version None when
  absent; ``zxid``: the reply header's, the server's last transaction), each event's
  ``["event", k, type]``, and ``["state", s]`` when the connection was lost (the session
  ends there: ``broken`` says why; kazoo sets no watch again on a new connection).
  :mod:`faultline.checkers.zk_watch` checks it.

Wire order: kazoo's connection thread reads the replies and events in the order the
server sent them, but hands watch callbacks to one thread and completions to another,
so their order is lost there. :class:`WireOrderHandler` runs both in the connection
thread (as :class:`~faultline.dbs.zookeeper.kazoo_bridge.InlineCallbackHandler` does for
completions), where the session records them; the callbacks only append to the log and
queue the next read, so nothing blocks that thread.

Sessions, the kazoo bridge and the classification table are the register client's
(:class:`~faultline.dbs.zookeeper.client.ZooKeeperClient`; docs/clients.md).
"""

from __future__ import annotations

import asyncio
import threading
from typing import Any, Callable, Mapping

from kazoo import exceptions as kx
from kazoo.protocol.states import KazooState

from faultline.core.op import FAIL, OK, Op
from faultline.dbs.client_support import (client_timeout, decode_value, encode_value, key_prefix,
                                          read_mode)
from faultline.dbs.zookeeper import DB as ZOOKEEPER
from faultline.dbs.zookeeper.client import (WRITE_ATTEMPTS, ZooKeeperClient, back_off_if_not_sent,
                                            classify_zk_error)
from faultline.dbs.zookeeper.kazoo_bridge import (InlineCallbackHandler, NotSentError,
                                                  in_daemon_thread)
from faultline.dbs.zookeeper.txn_client import multi_outcome

WATCH_DIR = "w"
DEFAULT_SESSION_S = 1.5


class WireOrderHandler(InlineCallbackHandler):
    """Runs watch callbacks in kazoo's connection thread, in the order events arrive
    among the replies (the module doc); other callbacks go the usual way."""

    def dispatch_callback(self, callback: Any) -> None:
        if callback.type == "watch":
            callback.func(*callback.args)
        else:
            super().dispatch_callback(callback)


class _Session:
    """One watch session's log, appended from kazoo's connection thread."""

    def __init__(self, keys: list[Any], path_of: Callable[[Any], str]):
        self.key_of = {path_of(k): k for k in keys}
        self._lock = threading.Lock()
        self._log: list[list[Any]] = []
        self.broken: str | None = None
        self.open = True

    def add(self, item: list[Any]) -> None:
        with self._lock:
            if self.open and self.broken is None:
                self._log.append(item)

    def end(self, why: str) -> None:
        """The connection was lost: the log ends here."""
        with self._lock:
            if self.open and self.broken is None:
                self._log.append(["state", why])
                self.broken = why

    def close(self) -> list[list[Any]]:
        with self._lock:
            self.open = False
            return list(self._log)


def _value(data: bytes) -> int | str | None:
    return None if not data else decode_value(data)


class ZooKeeperWatchClient(ZooKeeperClient):
    """One logical process' ZooKeeper session on one node: writes, and watch sessions
    recorded in wire order (the module doc)."""

    handler_class = WireOrderHandler

    def __init__(self, *, read_mode: str, prefix: str, timeout_s: float,
                 session_s: float = DEFAULT_SESSION_S):
        super().__init__(read_mode=read_mode, prefix=prefix, timeout_s=timeout_s)
        self._dir = f"{self._parent}/{WATCH_DIR}"
        self._session_s = session_s
        self._session: _Session | None = None

    async def open(self, test: Mapping[str, Any], node: str) -> None:
        await super().open(test, node)
        self._zk.add_listener(self._on_state)

    async def setup(self, test: Mapping[str, Any]) -> None:
        await in_daemon_thread(self._zk.ensure_path, self._dir)

    def _path(self, key: Any) -> str:
        return f"{self._dir}/{key}"

    async def invoke(self, test: Mapping[str, Any], op: Op) -> Op:
        self._deadline = self._loop.time() + self._timeout
        try:
            if op.f == "watch":
                return await self._watch(op)
            if op.f == "put":
                return await self._put(op)
            if op.f == "txn":
                return await self._txn(op)
        except Exception as e:  # noqa: BLE001 - every error of the last request is classified
            await back_off_if_not_sent(e)
            kind, error = classify_zk_error(op.f, e)
            return op.with_(type=kind, node=self.node, error=error)
        raise ValueError(f"the ZooKeeper watch client does not do f={op.f!r}")

    # -- writes ---------------------------------------------------------------------

    async def _put(self, op: Op) -> Op:
        ((_, key, value),) = op.value["mops"]
        path, data = self._path(key), encode_value(value)
        for _ in range(WRITE_ATTEMPTS):
            try:
                stat = await self._wait(self._send(self._zk.set_async, path, data))
                return self._written(op, stat.mzxid)
            except kx.NoNodeError:
                pass
            try:
                _, stat = await self._wait(self._send(self._zk.create_async, path, data, None,
                                                      False, False, False, True))
                return self._written(op, stat.mzxid)
            except kx.NodeExistsError:
                pass  # a concurrent writer created it first: set it
        return op.with_(type=FAIL, node=self.node, error="write raced create/set repeatedly")

    async def _txn(self, op: Op) -> Op:
        txn = self._zk.transaction()
        for _, key, value in op.value["mops"]:
            txn.set_data(self._path(key), encode_value(value))
        results = await self._wait(self._send(txn.commit_async))
        kind, error = multi_outcome(results)
        if kind != OK:
            return op.with_(type=kind, node=self.node, error=error)
        return self._written(op, results[0].mzxid)

    def _written(self, op: Op, zxid: int) -> Op:
        return op.with_(type=OK, node=self.node,
                        value={"mops": [list(m) for m in op.value["mops"]], "zxid": zxid})

    # -- watch sessions (the callbacks run in kazoo's connection thread) ----------------

    async def _watch(self, op: Op) -> Op:
        keys = list(op.value.get("keys") or ())
        if self._zk is None or not self._zk.connected:
            raise NotSentError("session not connected")  # invoke backs off, then fails it
        session = _Session(keys, self._path)
        self._session = session
        for key in keys:
            self._arm(session, key)
        try:
            await asyncio.sleep(self._session_s)
        finally:
            log = session.close()
            if self._session is session:
                self._session = None
        return op.with_(type=OK, node=self.node,
                        value={"keys": keys, "log": log, "broken": session.broken})

    def _arm(self, session: _Session, key: Any) -> None:
        """``getData`` of ``key`` with a watch; its reply is logged (``_got``)."""
        if not session.open or session.broken is not None or self._zk is None:
            return
        result = self._zk.get_async(self._path(key), watch=self._on_event)
        result.rawlink(lambda r: self._got(session, key, r))

    def _got(self, session: _Session, key: Any, result: Any) -> None:
        if result.successful():
            data, stat = result.value
            session.add(["read", key, _value(data), stat.mzxid, stat.version,
                         self._zk.last_zxid if self._zk is not None else None])
        elif isinstance(result.exception, kx.NoNodeError):  # watch for its creation instead
            found = self._zk.exists_async(self._path(key), watch=self._on_event)
            found.rawlink(lambda r: self._exists(session, key, r))
        else:
            session.end(f"read of {key}: {type(result.exception).__name__}")

    def _exists(self, session: _Session, key: Any, result: Any) -> None:
        if not result.successful():
            session.end(f"exists of {key}: {type(result.exception).__name__}")
        elif result.value is None:
            session.add(["read", key, None, None, None,
                         self._zk.last_zxid if self._zk is not None else None])
        else:
            self._arm(session, key)  # created meanwhile: read it

    def _on_event(self, event: Any) -> None:
        session = self._session
        if session is None:
            return  # a watch set by an earlier session: that session is over
        key = session.key_of.get(event.path)
        if key is None:
            session.end(f"watch reset ({event.state})")  # kazoo's NONE event: a new session
            return
        session.add(["event", key, event.type])
        self._arm(session, key)

    def _on_state(self, state: str) -> None:
        session = self._session
        if session is not None and state != KazooState.CONNECTED:
            session.end(str(state))


def zookeeper_watch_client_factory(test: Mapping[str, Any]) -> Callable[[], ZooKeeperWatchClient]:
    """A factory of fresh, unopened watch clients configured from ``test`` (validated now);
    ``watch_session_s`` sets how long a watch session stays open."""
    mode = read_mode(test, ZOOKEEPER)
    prefix, timeout = key_prefix(test), client_timeout(test)
    session_s = float(test.get("watch_session_s") or DEFAULT_SESSION_S)
    return lambda: ZooKeeperWatchClient(read_mode=mode, prefix=prefix, timeout_s=timeout,
                                        session_s=session_s)


__all__ = ["WATCH_DIR", "WireOrderHandler", "ZooKeeperWatchClient",
           "zookeeper_watch_client_factory"]
