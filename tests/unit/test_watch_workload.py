"""The watch workload's generator and the etcd watch client's pure parts (requests, the
completion of a write, a watch session over a stand-in stream)."""

from __future__ import annotations

import asyncio
import base64
import json

import grpc
from aetcd import rpc

from faultline.core.generator.context import initial_context
from faultline.core.history import History
from faultline.core.op import INVOKE, OK, Op
from faultline.dbs.etcd.watch_client import watch_session, write_completion, write_request
from faultline.workloads.watch import WORKLOAD, FinalWatches, watcher_threads

TEST = {"nodes": 3, "concurrency": 6, "watch_compact_every_s": 1.0}


def key_of(k):
    return b"p/w/%d" % k


def test_a_txn_request_runs_its_mops_in_order_and_its_completion_fills_them():
    path, body = write_request(key_of, "txn", [["put", 1, 7], ["delete", 2, None],
                                               ["read", 3, None, 5]])
    assert path == b"/v3/kv/txn"
    ops = json.loads(body)["success"]
    assert base64.b64decode(ops[0]["request_put"]["value"]) == b"7"
    assert ops[2]["request_range"]["revision"] == "5"
    doc = {"header": {"revision": "12"}, "responses": [
        {"response_put": {}}, {"response_delete_range": {"deleted": "1"}},
        {"response_range": {"kvs": [{"value": base64.b64encode(b"4").decode(),
                                     "mod_revision": "3"}]}}]}
    done = write_completion("txn", [["put", 1, 7], ["delete", 2, None], ["read", 3, None, 5]], doc)
    assert done == {"revision": 12, "mops": [["put", 1, 7], ["delete", 2, 1], ["read", 3, [4, 3], 5]]}
    assert write_completion("delete", [["delete", 2, None]],
                            {"header": {"revision": "9"}})["mops"] == [["delete", 2, 0]]


class FakeCall:
    """A Watch stream answering with ``responses`` (then nothing)."""

    def __init__(self, responses):
        self.responses = list(responses)
        self.written = []
        self.cancelled = False

    async def write(self, request):
        self.written.append(request)

    async def read(self):
        if self.responses:
            item = self.responses.pop(0)
            if isinstance(item, Exception):
                raise item
            return item
        await asyncio.sleep(10)

    def cancel(self):
        self.cancelled = True


class FakeStub:
    def __init__(self, responses):
        self.call = FakeCall(responses)

    def Watch(self):
        return self.call


def put_event(rev, key, value):
    return rpc.Event(type=rpc.Event.PUT, kv=rpc.KeyValue(key=b"p/w/%d" % key, value=b"%d" % value,
                                                         mod_revision=rev))


def test_a_session_records_each_response_as_a_batch_and_stops_at_until():
    stub = FakeStub([rpc.WatchResponse(created=True),
                     rpc.WatchResponse(header=rpc.ResponseHeader(revision=5),
                                       events=[put_event(4, 1, 10), put_event(5, 2, 11)]),
                     rpc.WatchResponse(events=[rpc.Event(type=rpc.Event.DELETE,
                                                         kv=rpc.KeyValue(key=b"p/w/1",
                                                                         mod_revision=6))])])
    record = asyncio.run(watch_session(stub, b"p/w/", 4, until=6, duration_s=2))
    assert record["batches"] == [{"header": 5, "events": [[4, 1, "put", 10], [5, 2, "put", 11]]},
                                 {"header": 0, "events": [[6, 1, "delete", None]]}]
    assert record["reached"] and stub.call.cancelled
    create = stub.call.written[0].create_request
    assert (create.key, create.range_end, create.start_revision) == (b"p/w/", b"p/w0", 4)


def test_a_compacted_session_says_so_and_a_stream_never_made_is_fail():
    stub = FakeStub([rpc.WatchResponse(created=True),
                     rpc.WatchResponse(canceled=True, compact_revision=9,
                                       cancel_reason="compacted")])
    record = asyncio.run(watch_session(stub, b"p/w/", 2, until=None, duration_s=0.5))
    assert record["compacted"] == 9 and record["canceled"] == "compacted"

    class Unavailable(grpc.aio.AioRpcError):
        def __init__(self):
            super().__init__(grpc.StatusCode.UNAVAILABLE, None, None,
                             "failed to connect to all addresses")
    kind, error = asyncio.run(watch_session(FakeStub([Unavailable()]), b"p/w/", 2, until=None,
                                            duration_s=0.5))
    assert kind == "fail" and error.startswith("not-sent")


def test_watchers_are_one_per_member_and_resume_where_they_left_off():
    assert watcher_threads(TEST) == (0, 1, 2)
    assert watcher_threads({"nodes": 3, "concurrency": 2}) == (0,)
    gen = WORKLOAD.generator(TEST)
    ctx = initial_context(6, seed=1, nemesis=False)
    op, gen = gen.op(TEST, ctx)
    assert op["f"] == "watch" and op["process"] == 0 and op["value"]["from"] is None
    done = Op(OK, "watch", {"from": 5, "batches": [{"header": 9, "events": [[9, 1, "put", 3]]}]},
              0, 10, 1)
    gen = gen.update(TEST, ctx, done)
    assert gen.resume[0] == 10 and gen.first_revision == 5 and gen.max_revision == 9


def test_writers_write_unique_values_and_compact_below_the_newest_revision():
    gen = WORKLOAD.generator(TEST)
    ctx = initial_context(6, seed=3, nemesis=False, time=2_000_000_000).restrict(
        lambda t: t not in (0, 1, 2))
    gen = gen.update(TEST, ctx, Op(OK, "watch", {"from": 2, "batches": []}, 0, 0, 0))
    gen = gen.update(TEST, ctx, Op(OK, "put", {"mops": [], "revision": 1000}, 3, 0, 1))
    values, fs, compactions = [], set(), []
    for _ in range(200):
        op, gen = gen.op(TEST, ctx)
        fs.add(op["f"])
        assert op["process"] in (3, 4, 5)
        if op["f"] == "compact":
            compactions.append(op["value"])
            continue
        values += [m[2] for m in op["value"]["mops"] if m[0] == "put"]
    assert len(values) == len(set(values)) and {"put", "delete", "txn"} <= fs
    assert compactions == [800]  # once per interval (the clock stands still here)


def test_the_final_phase_resumes_each_watcher_until_the_last_acknowledged_revision():
    history = History([Op(INVOKE, "watch", {"from": None}, 0, 0, 0),
                       Op(OK, "watch", {"from": 3, "batches": [{"header": 4, "events": [[4, 1, "put", 1]]}]}, 0, 1, 1),
                       Op(INVOKE, "put", {"mops": [["put", 1, 1]]}, 4, 2, 2),
                       Op(OK, "put", {"mops": [["put", 1, 1]], "revision": 7}, 4, 3, 3)])
    final = WORKLOAD.final_generator(TEST, history)
    assert final == FinalWatches(((0, 5), (1, None), (2, None)), 7)


def test_the_first_session_after_a_compaction_starts_at_its_revision():
    gen = WORKLOAD.generator(TEST)
    ctx = initial_context(6, seed=3, nemesis=False, time=2_000_000_000)
    writers = ctx.restrict(lambda t: t not in (0, 1, 2))
    gen = gen.update(TEST, ctx, Op(OK, "watch", {"from": 2, "batches": []}, 0, 0, 0))
    gen = gen.update(TEST, ctx, Op(OK, "put", {"mops": [], "revision": 1000}, 3, 0, 1))
    op, gen = gen.op(TEST, writers)
    assert op["f"] == "compact" and gen.probe == 800
    op, gen = gen.op(TEST, ctx)
    assert op["f"] == "watch" and op["value"] == {"from": 800, "historical": True}
    assert gen.probe is None


def test_a_call_that_ended_before_the_create_request_is_classified_by_its_status():
    class Ended(FakeCall):
        async def write(self, request):
            raise asyncio.InvalidStateError("RPC already finished")

        async def code(self):
            return grpc.StatusCode.UNAVAILABLE

        async def details(self):
            return "failed to connect to all addresses"

    stub = FakeStub([])
    stub.call = Ended([])
    kind, error = asyncio.run(watch_session(stub, b"p/w/", 2, until=None, duration_s=0.5))
    assert kind == "fail" and error.startswith("not-sent")


def test_on_zookeeper_writers_only_put_and_watchers_watch_every_key():
    from faultline.checkers.zk_watch import ZkWatchChecker
    from faultline.workloads.watch import WATCH_KEYS
    zk = {**TEST, "db": "zookeeper"}
    gen = WORKLOAD.generator(zk)
    op, gen = gen.op(zk, initial_context(6, seed=1, nemesis=False))
    assert op["f"] == "watch" and op["value"] == {"keys": list(range(WATCH_KEYS))}
    ctx = initial_context(6, seed=3, nemesis=False, time=20_000_000_000).restrict(
        lambda t: t not in (0, 1, 2))
    values, fs = [], set()
    for _ in range(200):
        op, gen = gen.op(zk, ctx)
        fs.add(op["f"])
        assert {m[0] for m in op["value"]["mops"]} == {"put"}
        assert 1 <= len(op["value"]["mops"]) <= 3
        values += [m[2] for m in op["value"]["mops"]]
    assert fs == {"put", "txn"} and len(values) == len(set(values))  # no compaction
    assert WORKLOAD.final_generator(zk, History([])) is None
    assert isinstance(WORKLOAD.checker(zk), ZkWatchChecker)
