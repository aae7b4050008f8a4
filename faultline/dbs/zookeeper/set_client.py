"""The ZooKeeper set client (workload ``set``): a child znode per element.

Mapping (elements are ints; the set is the znode ``/<key_prefix>/set``, created by
``setup``):

- add e -> ``create`` of ``/<key_prefix>/set/<e>`` (data: ``e`` in decimal ASCII).
  NodeExists is ``ok``: the element is in the set, which is all an add promises (elements
  are unique, so only an earlier attempt of this same add can have created it). A create
  that met ConnectionLoss is sent again, while the op's deadline allows, once the session
  has reconnected: NodeExists then says the first attempt took effect. When no attempt is
  known to have succeeded, the op is ``info`` if any attempt may have been applied, else
  classified by :func:`~faultline.dbs.zookeeper.client.classify_zk_error`.
- read -> ``get_children`` of the set's znode, answered by the connected server from its
  own state in mode ``plain`` (may be stale); in mode ``sync`` a ``sync`` is pipelined
  before it, as the register client does for ``get``. The elements are the children's
  names (a name that is not an int is returned as text, for the checker to see).
- member-read -> ``sync`` then ``get_children`` whatever the read mode: what this server
  holds once it has caught up with the leader.

Sessions, the kazoo bridge and the classification table are the register client's
(:class:`~faultline.dbs.zookeeper.client.ZooKeeperClient`; docs/clients.md).
"""

from __future__ import annotations

import asyncio
from typing import Any, Callable, Mapping

from kazoo import exceptions as kx

from faultline.core.op import FAIL, INFO, OK, Op
from faultline.core.vocabulary import MEMBER_READ
from faultline.dbs.client_support import client_timeout, encode_value, key_prefix, read_mode
from faultline.dbs.zookeeper import DB as ZOOKEEPER
from faultline.dbs.zookeeper.client import (ZooKeeperClient, back_off_if_not_sent,
                                            classify_zk_error)
from faultline.dbs.zookeeper.kazoo_bridge import NotSentError, in_daemon_thread

SET_DIR = "set"
RECONNECT_POLL_S = 0.1
"""How often a retrying add looks whether the session has reconnected."""


def element_of(name: str) -> int | str:
    try:
        return int(name)
    except ValueError:
        return name


class ZooKeeperSetClient(ZooKeeperClient):
    """One logical process' ZooKeeper session on one node, adding to and reading the set."""

    def __init__(self, *, read_mode: str, prefix: str, timeout_s: float):
        super().__init__(read_mode=read_mode, prefix=prefix, timeout_s=timeout_s)
        self._set = f"{self._parent}/{SET_DIR}"

    async def setup(self, test: Mapping[str, Any]) -> None:
        """Create the set's znode (and its parents)."""
        await in_daemon_thread(self._zk.ensure_path, self._set)

    async def invoke(self, test: Mapping[str, Any], op: Op) -> Op:
        f = op.f
        self._deadline = self._loop.time() + self._timeout
        if f == "add":
            return await self._add(op, f"{self._set}/{op.value}", encode_value(op.value))
        if f != "read" and f != MEMBER_READ:
            raise ValueError(f"the ZooKeeper set client does not do f={f!r}")
        try:
            names = await self._read(self._set, self._zk.get_children_async,
                                     sync=True if f == MEMBER_READ else None)
        except Exception as e:  # noqa: BLE001 - every error of the last request is classified
            await back_off_if_not_sent(e)
            kind, error = classify_zk_error(f, e)
            return op.with_(type=kind, node=self.node, error=error)
        return op.with_(type=OK, value=[element_of(n) for n in names or ()], node=self.node)

    async def _add(self, op: Op, path: str, data: bytes) -> Op:
        maybe_applied: str | None = None  # why an earlier attempt's outcome is unknown
        while True:
            try:
                await self._wait(self._send(self._zk.create_async, path, data))
                return op.with_(type=OK, node=self.node)
            except kx.NodeExistsError:
                return op.with_(type=OK, node=self.node)
            except Exception as e:  # noqa: BLE001 - classified below
                kind, error = classify_zk_error(op.f, e)
                if kind != FAIL:
                    maybe_applied = error
                retry = isinstance(e, (kx.ConnectionLoss, NotSentError))
                if not retry or not await self._reconnected():
                    if maybe_applied is not None:
                        return op.with_(type=INFO, node=self.node, error=maybe_applied)
                    await back_off_if_not_sent(e)
                    return op.with_(type=kind, node=self.node, error=error)

    async def _reconnected(self) -> bool:
        """Wait, within the op's deadline (less one poll), for the session to be connected."""
        while self._deadline - self._loop.time() > 2 * RECONNECT_POLL_S:
            if self._zk is not None and self._zk.connected:
                return True
            await asyncio.sleep(RECONNECT_POLL_S)
        return False


def zookeeper_set_client_factory(test: Mapping[str, Any]) -> Callable[[], ZooKeeperSetClient]:
    """A factory of fresh, unopened set clients configured from ``test`` (validated now)."""
    mode = read_mode(test, ZOOKEEPER)
    prefix, timeout = key_prefix(test), client_timeout(test)
    return lambda: ZooKeeperSetClient(read_mode=mode, prefix=prefix, timeout_s=timeout)


__all__ = ["SET_DIR", "ZooKeeperSetClient", "element_of", "zookeeper_set_client_factory"]
