"""The etcd register client over gRPC (aetcd's generated stubs): the alternative transport.

Selected with the test key ``transport: "grpc"`` (``--transport grpc``; default ``"http"``,
the JSON gateway client in :mod:`faultline.dbs.etcd.client`). Same mapping as that client (Range with
``serializable`` in that read mode, Put, a Txn comparing the value or ``version == 0``),
same classification of etcd's answers (:func:`faultline.dbs.etcd.client.classify_grpc_code`).

Why offer both (figures in docs/clients.md): gRPC costs the harness about twice the CPU
per op in Python (grpcio's asyncio stack), but the etcd servers less than the gateway
does, so where the servers and the harness share few cores it can record more ops/s.

aetcd's own ``Client`` wraps every call in decorators and result objects; its generated
stubs are used directly, on one channel per client with its own TCP connection
(``use_local_subchannel_pool``) to its node only, reconnecting within 0.1-1 s.
"""

from __future__ import annotations

import asyncio
from typing import Any, Mapping

import grpc
from aetcd import rpc

from faultline.core.vocabulary import CAS_MISMATCH, MEMBER_READ, SERVER_HISTORY
from faultline.core.op import FAIL, OK, Op
from faultline.dbs.client_support import (NOT_SENT_BACKOFF_S, decode_value, encode_value,
                                          resolve_address, unknown_outcome_type)
from faultline.dbs.etcd import DB as ETCD
from faultline.dbs.etcd.client import EtcdKeys, classify_grpc_code, etcd_options, serializable_reads

CHANNEL_OPTIONS = (
    ("grpc.use_local_subchannel_pool", 1),
    ("grpc.initial_reconnect_backoff_ms", 100),
    ("grpc.min_reconnect_backoff_ms", 100),
    ("grpc.max_reconnect_backoff_ms", 1000),
)

NEVER_SENT_MARKERS = ("failed to connect to all addresses", "DNS resolution failed")
"""gRPC fails an RPC with UNAVAILABLE and one of these when no connection to the node
could be made: the load-balancing pick failed, so the RPC was never put on a transport."""


def classify_rpc_error(f: str, code: int, details: str) -> tuple[str, str]:
    """(completion type, error text) for an RPC that ended with gRPC status ``code``."""
    if code == grpc.StatusCode.UNAVAILABLE.value[0] and any(m in details for m in NEVER_SENT_MARKERS):
        return FAIL, f"not-sent: {details}"
    if code == grpc.StatusCode.DEADLINE_EXCEEDED.value[0]:
        return unknown_outcome_type(f), "timeout"
    return classify_grpc_code(f, code, details)


class EtcdGrpcClient:
    """One logical process' gRPC channel to one etcd node. See the module doc."""

    def __init__(self, *, read_mode: str, prefix: str, timeout_s: float):
        self._serializable = serializable_reads(read_mode)
        self._key = EtcdKeys(prefix)
        self._prefix = prefix
        self._timeout = timeout_s
        self._channel: Any = None
        self.kv: Any = None
        """The KV stub of the open channel (the transactional client sends on it too)."""
        self.node: str | None = None

    async def open(self, test: Mapping[str, Any], node: str) -> None:
        """Connect to ``node``; raises ConnectionError when it is not ready in time."""
        host, port = resolve_address(test, node, ETCD.client_port)
        self.node = node
        self._channel = rpc.insecure_channel(f"{host}:{port}", options=CHANNEL_OPTIONS)
        self.kv = rpc.KVStub(self._channel)
        wait = min(self._timeout, 2.0)
        try:
            await asyncio.wait_for(self._channel.channel_ready(), wait)
        except asyncio.TimeoutError:
            await self.close(test)
            raise ConnectionError(f"connect to {host}:{port}: not ready within {wait} s") from None

    async def setup(self, test: Mapping[str, Any]) -> None:
        """Nothing to prepare: etcd keys need no parent, and a put creates its key."""

    async def invoke(self, test: Mapping[str, Any], op: Op) -> Op:
        f = op.f
        if f == SERVER_HISTORY:
            from faultline.dbs.etcd.watch_client import read_server_history  # see client.py
            return await read_server_history(test, self.node, op, prefix=self._prefix,
                                             timeout_s=self._timeout)
        key = self._key(op.key)
        if f == "read" or f == MEMBER_READ:  # a member-read: what this member holds
            call, request = self.kv.Range, rpc.RangeRequest(
                key=key, serializable=self._serializable or f == MEMBER_READ)
        elif f == "write":
            call, request = self.kv.Put, rpc.PutRequest(key=key, value=encode_value(op.value))
        elif f == "cas":
            call, request = self.kv.Txn, _cas_request(key, *op.value)
        else:
            raise ValueError(f"the etcd register client does not do f={f!r}")
        try:
            response = await call(request, timeout=self._timeout)
        except grpc.aio.AioRpcError as e:
            kind, error = classify_rpc_error(f, e.code().value[0], e.details() or "")
            if error.startswith("not-sent"):
                await asyncio.sleep(NOT_SENT_BACKOFF_S)
            return op.with_(type=kind, node=self.node, error=error)
        if f == "read" or f == MEMBER_READ:
            value = decode_value(response.kvs[0].value) if response.kvs else None
            return op.with_(type=OK, value=value, node=self.node)
        if f == "cas" and not response.succeeded:
            return op.with_(type=FAIL, node=self.node, error=CAS_MISMATCH)
        return op.with_(type=OK, node=self.node)

    async def teardown(self, test: Mapping[str, Any]) -> None:
        """Keys are left in place, as with the HTTP transport."""

    async def close(self, test: Mapping[str, Any]) -> None:
        channel, self._channel = self._channel, None
        if channel is not None:
            await channel.close()


def _cas_request(key: bytes, expected: Any, new: Any) -> Any:
    if expected is None:
        compare = rpc.Compare(key=key, target=rpc.Compare.VERSION,
                              result=rpc.Compare.EQUAL, version=0)
    else:
        compare = rpc.Compare(key=key, target=rpc.Compare.VALUE,
                              result=rpc.Compare.EQUAL, value=encode_value(expected))
    put = rpc.RequestOp(request_put=rpc.PutRequest(key=key, value=encode_value(new)))
    return rpc.TxnRequest(compare=[compare], success=[put])


def etcd_grpc_client_factory(test: Mapping[str, Any]):
    """A factory of fresh, unopened gRPC clients configured from ``test`` (validated now)."""
    options = etcd_options(test)
    return lambda: EtcdGrpcClient(**options)


__all__ = ["EtcdGrpcClient", "etcd_grpc_client_factory", "classify_rpc_error"]
