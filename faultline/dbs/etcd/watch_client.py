"""The etcd watch client (workload ``watch``): writes over the JSON gateway, watches over gRPC.

Keys: op key ``k`` (an int) is etcd key ``<key_prefix>/w/<k>``; values are unique ints in
decimal ASCII. The watched range is the prefix ``<key_prefix>/w/``.

Ops (invoke value -> ``ok`` completion value; :mod:`faultline.workloads.watch`):

- ``put`` / ``delete`` / ``txn`` ``{"mops": [mop, ...]}``: one ``Put``, one ``DeleteRange``
  of one key, or one ``Txn`` without compares whose success branch runs the mops in order.
  A mop is ``["put", k, v]``, ``["delete", k, None]`` or ``["read", k, None, at]`` (a
  ``Range`` of ``k`` at revision ``at``, None = the txn's own). Completion:
  ``{"mops": [...], "revision": header.revision}`` with each delete's ``None`` replaced by
  how many keys it deleted (0 or 1: 0 makes no event) and each read's by ``[value,
  mod_revision]`` (None when absent).
- ``compact`` ``R``: ``Compaction`` at revision R (a compacted revision is a definite
  ``fail``: etcd answers it with OutOfRange).
- ``watch`` ``{"from": F | None, "until": U | None, "historical": bool}``: one watch
  session over the prefix from revision F (None: the current revision + 1, read first by
  a ``Range`` of the prefix), kept open for ``session_s`` seconds or, with ``until``,
  until an event at a revision >= U arrived (at most the client timeout). Completion:
  ``{"from": F, "until": U, "historical": h, "batches": [[event, ...], ...], "compacted":
  C | None, "canceled": reason | None, "broken": error | None, "reached": bool}``, one
  batch ``{"header": header.revision, "events": [event, ...]}`` per WatchResponse with
  events, an event ``[revision, key, "put" | "delete", value | None]`` (revision: the
  key's ``mod_revision``, the revision of the write that made the event). ``compacted``: the server cancelled the watch because revision C was
  compacted (``compact_revision``). ``broken``: the stream failed after it was created;
  the events received until then are kept (what the server sent is an observation). A
  session whose stream could not be created at all is ``fail``.

Why gRPC for the watch (docs/clients.md): it is etcd's own watch API, one WatchResponse
per message, and aetcd's generated stubs are already a dependency; the gateway's
``/v3/watch`` is the same stream re-encoded as chunked JSON by a proxy inside etcd, a
layer that would be tested along with etcd's watch. Writes and compaction go through the
register client's :meth:`~faultline.dbs.etcd.client.EtcdClient.post` and classification.
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import json
from typing import Any, Mapping, Sequence

import grpc
from aetcd import rpc

from faultline.core.op import FAIL, INFO, OK, Op
from faultline.dbs.client_support import NOT_SENT_BACKOFF_S, decode_value, encode_value
from faultline.dbs.etcd.client import PUT, RANGE, TXN, EtcdClient, etcd_options
from faultline.dbs.etcd.grpc_client import CHANNEL_OPTIONS, classify_rpc_error
from faultline.dbs.etcd.http1 import NotSent
from faultline.dbs.etcd.set_client import prefix_range

WATCH_DIR = "w"
"""The watch workload's keys are ``<key_prefix>/<WATCH_DIR>/<k>``."""
DELETE = b"/v3/kv/deleterange"
COMPACT = b"/v3/kv/compaction"
DEFAULT_SESSION_S = 1.5
WRITE_FS = frozenset({"put", "delete", "txn"})
EVENT_TYPES = {rpc.Event.PUT: "put", rpc.Event.DELETE: "delete"}


def _b64(raw: bytes) -> str:
    return base64.b64encode(raw).decode()


def mop_request(key_of, mop: Sequence[Any]) -> dict[str, Any]:
    """The gateway's RequestOp (as a dict) for one mop; ``key_of(k)`` is the raw etcd key."""
    f, k = mop[0], mop[1]
    if f == "put":
        return {"request_put": {"key": _b64(key_of(k)), "value": _b64(encode_value(mop[2]))}}
    if f == "delete":
        return {"request_delete_range": {"key": _b64(key_of(k))}}
    if f == "read":
        at = mop[3] if len(mop) > 3 else None
        return {"request_range": {"key": _b64(key_of(k)), **({"revision": str(at)} if at else {})}}
    raise ValueError(f"the etcd watch client has no mop {f!r}")


def write_request(key_of, f: str, mops: Sequence[Sequence[Any]]) -> tuple[bytes, bytes]:
    """(path, JSON body) of a put / delete / txn op."""
    if f == "txn":
        return TXN, json.dumps({"success": [mop_request(key_of, m) for m in mops]}).encode()
    (inner,) = mop_request(key_of, mops[0]).values()
    return (PUT if f == "put" else DELETE), json.dumps(inner).encode()


def _range_result(doc: Mapping[str, Any]) -> list[int | str] | None:
    kvs = doc.get("kvs")
    if not kvs:
        return None
    kv = kvs[0]
    return [decode_value(base64.b64decode(kv.get("value", ""))), int(kv.get("mod_revision", 0))]


def write_completion(f: str, mops: Sequence[Sequence[Any]], doc: Mapping[str, Any]) -> dict[str, Any]:
    """The ``ok`` completion value of a write from its 200 response (module doc)."""
    revision = int(doc["header"]["revision"])
    if f == "txn":
        responses = doc.get("responses") or []
        if len(responses) != len(mops):
            raise ValueError(f"txn response has {len(responses)} responses for {len(mops)} mops")
        answers = [next(iter(r.values())) for r in responses]
    else:
        answers = [doc]
    done = []
    for mop, answer in zip(mops, answers):
        if mop[0] == "put":
            done.append(list(mop))
        elif mop[0] == "delete":
            done.append([mop[0], mop[1], int(answer.get("deleted", 0))])
        else:
            done.append([mop[0], mop[1], _range_result(answer), mop[3] if len(mop) > 3 else None])
    return {"mops": done, "revision": revision}


def event_of(event: Any, prefix: bytes) -> list[Any]:
    """``[revision, key, type, value | None]`` of a protobuf Event."""
    kv = event.kv
    name = kv.key[len(prefix):]
    try:
        key: int | str = int(name)
    except ValueError:
        key = name.decode("utf-8", "replace")
    kind = EVENT_TYPES.get(event.type, str(event.type))
    value = decode_value(kv.value) if kind == "put" else None
    return [kv.mod_revision, key, kind, value]


class EtcdWatchClient(EtcdClient):
    """One logical process' connection to one etcd node: writes over the gateway, watch
    sessions over a gRPC channel to the same node, opened at its first watch."""

    def __init__(self, *, read_mode: str, prefix: str, timeout_s: float,
                 session_s: float = DEFAULT_SESSION_S):
        super().__init__(read_mode=read_mode, prefix=prefix, timeout_s=timeout_s)
        self._watch_prefix = f"{prefix}/{WATCH_DIR}/".encode()
        self._session_s = session_s
        self._channel: Any = None

    def _key(self, k: Any) -> bytes:
        return self._watch_prefix + str(k).encode()

    async def invoke(self, test: Mapping[str, Any], op: Op) -> Op:
        f = op.f
        if f == "watch":
            return await self._watch(op)
        if f == "compact":
            body = json.dumps({"revision": str(op.value)}).encode()
            payload = await self.post(op, COMPACT, body)
            return payload if isinstance(payload, Op) else op.with_(type=OK, node=self.node)
        if f not in WRITE_FS:
            raise ValueError(f"the etcd watch client does not do f={f!r}")
        mops = op.value["mops"]
        path, body = write_request(self._key, f, mops)
        payload = await self.post(op, path, body)
        if isinstance(payload, Op):
            return payload
        try:
            value = write_completion(f, mops, json.loads(payload))
        except (ValueError, KeyError, TypeError, StopIteration, binascii.Error) as e:
            return op.with_(type=INFO, node=self.node, error=f"unreadable response: {e}")
        return op.with_(type=OK, value=value, node=self.node)

    async def _current_revision(self, op: Op) -> int | Op:
        key, end = prefix_range(self._watch_prefix)
        body = b'{"key":"%s","range_end":"%s","count_only":true}' % (key, end)
        payload = await self.post(op.with_(f="read"), RANGE, body)
        if isinstance(payload, Op):
            return payload.with_(f=op.f)
        return int(json.loads(payload)["header"]["revision"])

    async def _watch(self, op: Op) -> Op:
        asked = dict(op.value or {})
        start = asked.get("from")
        if start is None:
            current = await self._current_revision(op)
            if isinstance(current, Op):
                return current
            start = current + 1
        session = await watch_session(self._stub(), self._watch_prefix, start,
                                      until=asked.get("until"),
                                      duration_s=self._timeout * 0.8 if asked.get("until")
                                      else min(self._session_s, self._timeout * 0.8))
        if isinstance(session, tuple):
            kind, error = session
            if error.startswith("not-sent"):
                await asyncio.sleep(NOT_SENT_BACKOFF_S)
            return op.with_(type=FAIL, node=self.node, error=error)
        session.update({"from": start, "until": asked.get("until"),
                        "historical": bool(asked.get("historical"))})
        return op.with_(type=OK, value=session, node=self.node)

    def _stub(self) -> Any:
        if self._channel is None:
            host, port = self.address
            self._channel = rpc.insecure_channel(f"{host}:{port}", options=CHANNEL_OPTIONS)
        return rpc.WatchStub(self._channel)

    async def close(self, test: Mapping[str, Any]) -> None:
        await super().close(test)
        channel, self._channel = self._channel, None
        if channel is not None:
            await channel.close()


async def watch_session(stub: Any, prefix: bytes, start: int, *, until: int | None,
                        duration_s: float) -> dict[str, Any] | tuple[str, str]:
    """One watch over ``prefix`` from revision ``start`` for ``duration_s`` (or until an
    event at a revision >= ``until``): the session's record (module doc, without
    from/until/historical), or (type, error) when the stream was never created."""
    end = prefix[:-1] + bytes([prefix[-1] + 1])
    call = stub.Watch()
    loop = asyncio.get_running_loop()
    deadline = loop.time() + duration_s
    batches: list[dict[str, Any]] = []
    record: dict[str, Any] = {"batches": batches, "compacted": None, "canceled": None,
                              "broken": None,
                              "reached": until is None or start > until}
    created = False
    try:
        await call.write(rpc.WatchRequest(create_request=rpc.WatchCreateRequest(
            key=prefix, range_end=end, start_revision=start)))
        while not (until is not None and record["reached"]):
            left = deadline - loop.time()
            if left <= 0:
                break
            try:
                response = await asyncio.wait_for(call.read(), left)
            except asyncio.TimeoutError:
                break
            if response is grpc.aio.EOF:
                record["broken"] = "stream ended by the server"
                break
            created = created or response.created
            if response.compact_revision:
                record["compacted"] = int(response.compact_revision)
            if response.events:
                events = [event_of(e, prefix) for e in response.events]
                batches.append({"header": int(response.header.revision), "events": events})
                if until is not None and events[-1][0] >= until:
                    record["reached"] = True
            if response.canceled:
                record["canceled"] = response.cancel_reason or "canceled"
                break
    except (grpc.aio.AioRpcError, asyncio.InvalidStateError) as e:
        # What the server or the channel ended it with (a write to a call that already
        # ended raises InvalidStateError: its status says why).
        code, details = (e.code(), e.details()) if isinstance(e, grpc.aio.AioRpcError) \
            else (await call.code(), await call.details())
        kind, error = classify_rpc_error("read", code.value[0], details or "")
        if not created and not batches:
            return kind, error
        record["broken"] = error
    finally:
        call.cancel()
    return record


async def read_server_history(test: Mapping[str, Any], node: str, op: Op, *, prefix: str,
                              timeout_s: float) -> Op:
    """The ``server-history`` op (:data:`~faultline.core.vocabulary.SERVER_HISTORY`) of a
    register client on ``node`` (either transport), over connections of its own: the
    current revision R (a linearizable Range of the prefix ``<prefix>/``), then every event
    of the prefix from revision 1 to R (one watch session). ``ok`` value: ``{"revision":
    R, "reached", "compacted", "canceled", "broken", "events": [event, ...]}``; ``fail``
    when it could not be read (it changes nothing). It takes at most 1.8 ``timeout_s``
    (the interpreter's op timeout is two client timeouts)."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout_s * 1.8
    reader = EtcdClient(read_mode="linearizable", prefix=prefix, timeout_s=timeout_s)
    watched = f"{prefix}/".encode()
    key, end = prefix_range(watched)
    try:
        try:
            await reader.open(test, node)
        except NotSent as e:
            return op.with_(type=FAIL, node=node, error=f"not-sent: {e}")
        payload = await reader.post(op.with_(f="read"), RANGE,
                                    b'{"key":"%s","range_end":"%s","count_only":true}' % (key, end))
    finally:
        await reader.close(test)
    if isinstance(payload, Op):
        return payload.with_(f=op.f, type=FAIL)
    revision = int(json.loads(payload)["header"]["revision"])
    host, port = reader.address
    channel = rpc.insecure_channel(f"{host}:{port}", options=CHANNEL_OPTIONS)
    try:
        session = await watch_session(rpc.WatchStub(channel), watched, 1, until=revision,
                                      duration_s=max(0.1, deadline - loop.time()))
    finally:
        await channel.close()
    if isinstance(session, tuple):
        return op.with_(type=FAIL, node=node, error=session[1])
    events = [e for batch in session.pop("batches") for e in batch["events"]]
    if not events and revision <= 1:
        session["reached"] = True  # nothing was ever written
    return op.with_(type=OK, node=node, value={"revision": revision, **session, "events": events})


def etcd_watch_client_factory(test: Mapping[str, Any]):
    """A factory of fresh, unopened watch clients configured from ``test`` (validated now);
    ``watch_session_s`` sets how long a watch session stays open."""
    options = etcd_options(test)
    session_s = float(test.get("watch_session_s") or DEFAULT_SESSION_S)
    return lambda: EtcdWatchClient(**options, session_s=session_s)


__all__ = ["EtcdWatchClient", "WATCH_DIR", "etcd_watch_client_factory", "event_of", "mop_request",
           "read_server_history", "watch_session", "write_completion", "write_request"]
