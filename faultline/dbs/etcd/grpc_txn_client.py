"""The etcd transactional client over gRPC (``--transport grpc``): the same two steps as
the JSON gateway client (:mod:`faultline.dbs.etcd.txn_client`: a read-only Txn of Ranges,
then a Txn guarded by ``mod_revision`` of every key touched), sent as aetcd's generated
protobuf stubs on the register gRPC client's channel setup
(:class:`~faultline.dbs.etcd.grpc_client.EtcdGrpcClient`: one channel to its node only).
Only the requests differ: the transaction's flow, value encoding and classification
(:func:`~faultline.dbs.etcd.grpc_client.classify_rpc_error`) are shared.
"""

from __future__ import annotations

import asyncio
from typing import Any, Mapping, Sequence

import grpc
from aetcd import rpc

from faultline.dbs.client_support import NOT_SENT_BACKOFF_S
from faultline.dbs.etcd.client import EtcdKeys
from faultline.dbs.etcd.grpc_client import EtcdGrpcClient, classify_rpc_error
from faultline.dbs.etcd.txn_client import EtcdTxnClient, StepFailed, etcd_txn_client_factory


def ranges_of(response: Any, n: int) -> list[tuple[bytes, int]]:
    """(raw value, mod_revision) of the first ``n`` responses of a TxnResponse (Ranges of
    one key each); (b"", 0) for an absent key."""
    if len(response.responses) < n:
        raise ValueError(f"txn response has {len(response.responses)} responses, expected {n}")
    found = []
    for op in response.responses[:n]:
        if op.WhichOneof("response") != "response_range":
            raise ValueError(f"expected a range response, got {op.WhichOneof('response')}")
        kvs = op.response_range.kvs
        found.append((kvs[0].value, kvs[0].mod_revision) if kvs else (b"", 0))
    return found


class EtcdGrpcTxnClient(EtcdTxnClient):
    """:class:`EtcdTxnClient` whose requests go over one gRPC channel."""

    def __init__(self, *, workload: str, read_mode: str, prefix: str, timeout_s: float):
        super().__init__(workload=workload, read_mode=read_mode, prefix=prefix, timeout_s=timeout_s)
        self._key = EtcdKeys(prefix)
        self._channel_client = EtcdGrpcClient(read_mode=read_mode, prefix=prefix, timeout_s=timeout_s)

    async def open(self, test: Mapping[str, Any], node: str) -> None:
        """Connect to ``node``; raises ConnectionError when it is not ready in time."""
        self._loop = asyncio.get_running_loop()
        self.node = node
        await self._channel_client.open(test, node)

    async def _read(self, keys: Sequence[Any], deadline: float,
                    serializable: bool | None = None) -> list[tuple[bytes, int]]:
        serializable = self._serializable if serializable is None else serializable
        ranges = [rpc.RequestOp(request_range=rpc.RangeRequest(
            key=self._key(k), serializable=serializable)) for k in keys]
        response = await self._call(rpc.TxnRequest(success=ranges), "read", deadline)
        return ranges_of(response, len(keys))

    async def _commit(self, guards: Sequence[tuple[Any, int]], reads: Sequence[Any],
                      puts: Sequence[tuple[Any, bytes]], deadline: float) -> list[tuple[bytes, int]] | None:
        key = self._key
        compares = [rpc.Compare(key=key(k), target=rpc.Compare.MOD, result=rpc.Compare.EQUAL,
                                mod_revision=rev) for k, rev in guards]
        ops = [rpc.RequestOp(request_range=rpc.RangeRequest(key=key(k))) for k in reads]
        ops += [rpc.RequestOp(request_put=rpc.PutRequest(key=key(k), value=raw)) for k, raw in puts]
        response = await self._call(rpc.TxnRequest(compare=compares, success=ops), "txn", deadline)
        if not response.succeeded:
            return None
        return ranges_of(response, len(reads))

    async def _call(self, request: Any, f: str, deadline: float) -> Any:
        try:
            return await self._channel_client.kv.Txn(request, timeout=self._time_left(deadline))
        except grpc.aio.AioRpcError as e:
            kind, error = classify_rpc_error(f, e.code().value[0], e.details() or "")
            if error.startswith("not-sent"):
                await asyncio.sleep(NOT_SENT_BACKOFF_S)
            raise StepFailed(kind, error) from None

    async def close(self, test: Mapping[str, Any]) -> None:
        await self._channel_client.close(test)


list_append_client_factory = etcd_txn_client_factory("list-append", EtcdGrpcTxnClient)
rw_register_client_factory = etcd_txn_client_factory("rw-register", EtcdGrpcTxnClient)

__all__ = ["EtcdGrpcTxnClient", "list_append_client_factory", "ranges_of",
           "rw_register_client_factory"]
