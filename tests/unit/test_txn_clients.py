"""The transactional clients' request flows and classification, against in-memory stand-ins
of etcd's JSON gateway and of kazoo: what each transaction sends, what it records."""

from __future__ import annotations

import asyncio
import base64
import functools
import json

import grpc
import pytest
from kazoo import exceptions as kx

from faultline.core.op import FAIL, INFO, OK, Op
from faultline.dbs.etcd.http1 import Lost, NotSent, ResponseTimeout
from faultline.dbs.etcd.txn_client import (GUARD_FAILED, EtcdTxnClient, commit_request,
                                           parse_ranges, read_request)
from faultline.dbs.txn_values import apply_mops, decode_list, encode_list, touched_keys
from faultline.dbs.zookeeper.txn_client import (ABSENT, ZooKeeperTxnClient, multi_ops,
                                                multi_outcome)
from test_zookeeper_client import FakeKazoo, run

TEST = {"key_prefix": "t", "addresses": {"n1": "10.0.0.1:1"}}


def txn(*mops):
    return Op("invoke", "txn", [list(m) for m in mops], process=4)


# -- shared pure parts ----------------------------------------------------------------

def test_list_encoding_round_trips_and_rejects_garbage():
    assert encode_list([3, 1, 7]) == b"3,1,7"
    assert decode_list(b"3,1,7") == [3, 1, 7] and decode_list(b"") is None
    with pytest.raises(ValueError):
        decode_list(b"3,x")


def test_apply_mops_sees_own_writes_and_reports_final_values():
    done, written = apply_mops([["r", 1, None], ["append", 1, 5], ["r", 1, None],
                                ["append", 2, 1], ["append", 1, 6]], {1: [4], 2: None}, "append")
    assert done == [["r", 1, [4]], ["append", 1, 5], ["r", 1, [4, 5]], ["append", 2, 1],
                    ["append", 1, 6]]
    assert written == {1: [4, 5, 6], 2: [1]}
    done, written = apply_mops([["w", 3, 9], ["r", 3, None], ["r", 4, None]], {}, "w")
    assert done == [["w", 3, 9], ["r", 3, 9], ["r", 4, None]] and written == {3: 9}
    with pytest.raises(ValueError):
        apply_mops([["w", 3, 9]], {}, "append")
    assert touched_keys([["r", 2, None], ["w", 1, 1], ["r", 1, None]]) == ([2, 1], [2, 1], [1])


# -- etcd -----------------------------------------------------------------------------

def test_etcd_request_bodies():
    body = json.loads(read_request([b"azE=", b"azI="], serializable=True))
    assert body == {"success": [{"request_range": {"key": "azE=", "serializable": True}},
                                {"request_range": {"key": "azI=", "serializable": True}}]}
    assert "serializable" not in read_request([b"azE="], serializable=False).decode()
    body = json.loads(commit_request([(b"azE=", 7), (b"azI=", 0)], [b"azE="], [(b"azI=", b"1")]))
    assert body["compare"] == [
        {"key": "azE=", "target": "MOD", "result": "EQUAL", "mod_revision": "7"},
        {"key": "azI=", "target": "MOD", "result": "EQUAL", "mod_revision": "0"}]
    assert body["success"] == [{"request_range": {"key": "azE="}},
                               {"request_put": {"key": "azI=", "value": base64.b64encode(b"1").decode()}}]


def test_etcd_parse_ranges_absent_and_present():
    doc = {"responses": [{"response_range": {"header": {}}},
                         {"response_range": {"kvs": [{"value": "MSwy", "mod_revision": "12"}]}}]}
    assert parse_ranges(doc, 2) == [(b"", 0), (b"1,2", 12)]
    with pytest.raises(ValueError):
        parse_ranges(doc, 3)


class FakeGateway:
    """etcd's /v3/kv/txn over an in-memory store. ``script[step]`` ("read": txns without
    compares, "commit": with) lists what the next such posts do instead (an exception to
    raise, or (status, payload)); ``before_commit`` runs before a commit is evaluated (a
    concurrent writer)."""

    def __init__(self):
        self.kv, self.revision, self.bodies = {}, 1, []
        self.script = {"read": [], "commit": []}
        self.before_commit = None

    async def connect(self):
        pass

    def close(self):
        pass

    def put(self, key, raw):
        self.revision += 1
        self.kv[key] = (raw, self.revision)

    async def post(self, path, body, timeout):
        doc = json.loads(body)
        self.bodies.append(doc)
        script = self.script["commit" if doc.get("compare") else "read"]
        if script:
            step = script.pop(0)
            if isinstance(step, BaseException):
                raise step
            return step
        if doc.get("compare") and self.before_commit:
            self.before_commit(self)
        held = all(self.kv.get(base64.b64decode(c["key"]), (b"", 0))[1] == int(c["mod_revision"])
                   for c in doc.get("compare", []))
        out = {"header": {"revision": str(self.revision)}, "responses": []}
        if not held:
            return 200, json.dumps(out).encode()
        out["succeeded"] = True
        for request in doc["success"]:
            if "request_range" in request:
                found = self.kv.get(base64.b64decode(request["request_range"]["key"]))
                kvs = [] if found is None else [{"value": base64.b64encode(found[0]).decode(),
                                                 "mod_revision": str(found[1])}]
                out["responses"].append({"response_range": {"kvs": kvs} if kvs else {}})
            else:
                put = request["request_put"]
                self.put(base64.b64decode(put["key"]), base64.b64decode(put["value"]))
                out["responses"].append({"response_put": {}})
        return 200, json.dumps(out).encode()


def etcd_run(workload, scenario, read_mode="linearizable"):
    async def main():
        client = EtcdTxnClient(workload=workload, read_mode=read_mode, prefix="t", timeout_s=0.5)
        gateway = FakeGateway()
        client._conn, client._loop, client.node = gateway, asyncio.get_running_loop(), "n1"
        return await scenario(client, gateway)
    return asyncio.run(main())


def test_etcd_read_only_txn_is_one_read():
    async def scenario(client, gw):
        gw.put(b"t/1", b"4,5")
        done = await client.invoke(TEST, txn(("r", 1, None), ("r", 2, None)))
        assert (done.type, done.value) == (OK, [["r", 1, [4, 5]], ["r", 2, None]])
        assert len(gw.bodies) == 1 and "compare" not in gw.bodies[0]
        assert gw.bodies[0]["success"][0]["request_range"]["serializable"] is True
    etcd_run("list-append", scenario, read_mode="serializable")


def test_etcd_append_txn_commits_guarded_by_every_key():
    async def scenario(client, gw):
        gw.put(b"t/1", b"4")
        done = await client.invoke(TEST, txn(("r", 1, None), ("append", 2, 1), ("append", 1, 5),
                                             ("r", 1, None)))
        assert done.type == OK, done
        assert done.value == [["r", 1, [4]], ["append", 2, 1], ["append", 1, 5], ["r", 1, [4, 5]]]
        assert gw.kv[b"t/1"][0] == b"4,5" and gw.kv[b"t/2"][0] == b"1"
        compares = gw.bodies[1]["compare"]
        assert [c["mod_revision"] for c in compares] == ["2", "0"]
    etcd_run("list-append", scenario)


def test_etcd_guard_that_fails_is_a_definite_fail_and_applies_nothing():
    async def scenario(client, gw):
        gw.before_commit = lambda g: g.put(b"t/1", b"9")
        done = await client.invoke(TEST, txn(("r", 1, None), ("w", 2, 3)))
        assert (done.type, done.error) == (FAIL, GUARD_FAILED)
        assert b"t/2" not in gw.kv
    etcd_run("rw-register", scenario)


@pytest.mark.parametrize("step, at, expected", [
    (NotSent("refused"), "read", FAIL),
    (ResponseTimeout("slow"), "read", FAIL),
    (Lost("reset"), "read", FAIL),
    (NotSent("refused"), "commit", FAIL),
    (ResponseTimeout("slow"), "commit", INFO),
    (Lost("reset"), "commit", INFO),
    ((503, b'{"error":"etcdserver: leader changed","code":14}'), "commit", INFO),
    ((400, b'{"error":"etcdserver: too many operations","code":3}'), "commit", FAIL),
    ((200, b"garbage"), "commit", INFO),
])
def test_etcd_classification_of_each_step(step, at, expected):
    async def scenario(client, gw):
        gw.script[at] = [step]
        done = await client.invoke(TEST, txn(("append", 1, 1)))
        assert done.type == expected and done.error, done
        assert (b"t/1" in gw.kv) is (at == "commit" and step is None)
    etcd_run("list-append", scenario)


def test_etcd_read_only_txn_never_info():
    async def scenario(client, gw):
        gw.script["read"] = [ResponseTimeout("slow")]
        done = await client.invoke(TEST, txn(("r", 1, None), ("r", 2, None)))
        assert (done.type, done.error) == (FAIL, "timeout")
    etcd_run("list-append", scenario)


# -- ZooKeeper ------------------------------------------------------------------------

class FakeTxnKazoo(FakeKazoo):
    """FakeKazoo with kazoo's transactions: applied atomically, or rolled back with one
    result per op (the failing op's error, RolledBackError for the others)."""

    def transaction(self):
        zk, ops = self, []

        class Transaction:
            def check(self, path, version):
                ops.append(("check", path, version))

            def create(self, path, data):
                ops.append(("create", path, data))

            def set_data(self, path, data, version):
                ops.append(("set", path, data, version))

            def commit_async(self):
                return zk._answer("multi", lambda: zk._commit(ops))
        return Transaction()

    def _commit(self, ops):
        state = dict(self.znodes)
        results = []
        for kind, path, *args in ops:
            version = state.get(path, (None, None))[1]
            if kind == "create" and path in state:
                results.append(kx.NodeExistsError())
            elif kind in ("check", "set") and path not in state:
                results.append(kx.NoNodeError())
            elif kind in ("check", "set") and version != args[-1]:
                results.append(kx.BadVersionError())
            else:
                if kind == "create":
                    state[path] = (args[0], 0)
                elif kind == "set":
                    state[path] = (args[0], version + 1)
                results.append(True)
                continue
            return [r if isinstance(r, Exception) else kx.RolledBackError() for r in results] \
                + [kx.RuntimeInconsistency()] * (len(ops) - len(results))
        self.znodes = state
        return results


class ScriptedTxnClient(ZooKeeperTxnClient):
    kazoo_class = FakeTxnKazoo


def zk_run(workload, scenario, read_mode="sync"):
    """``scenario(client, fake kazoo)`` on an open, set-up transactional client."""
    return run(read_mode, scenario, timeout_s=0.3,
               client_class=functools.partial(ScriptedTxnClient, workload=workload))


def test_zk_multi_ops_per_key():
    seen = {1: (b"4", 2), 2: (b"", ABSENT), 3: (b"7", 0), 4: (b"", ABSENT)}
    assert multi_ops([1, 2, 3, 4], seen, {1: b"4,5", 2: b"1"}) == [
        ("set", 1, b"4,5", 2), ("create", 2, b"1"), ("check", 3, 0), ("create", 4, b"")]


def test_zk_multi_outcome_names_the_op_that_rolled_back():
    assert multi_outcome([True, True]) == (OK, None)
    kind, error = multi_outcome([kx.RolledBackError(), kx.BadVersionError(), kx.RuntimeInconsistency()])
    assert (kind, error) == (FAIL, "guard-failed: BadVersionError")
    assert multi_outcome([kx.ConnectionLoss()])[0] == INFO


@pytest.mark.parametrize("read_mode, calls", [("sync", ["sync", "get"]), ("plain", ["get"])])
def test_zk_single_key_read_is_one_round(read_mode, calls):
    async def scenario(client, zk):
        zk.znodes["/t/1"] = (b"3,4", 1)
        done = await client.invoke(TEST, txn(("r", 1, None)))
        assert (done.type, done.value) == (OK, [["r", 1, [3, 4]]])
        assert zk.calls == calls
    zk_run("list-append", scenario, read_mode)


def test_zk_read_only_txn_of_two_keys_reads_two_rounds():
    async def scenario(client, zk):
        zk.znodes["/t/1"] = (b"5", 1)
        done = await client.invoke(TEST, txn(("r", 1, None), ("r", 2, None)))
        assert (done.type, done.value) == (OK, [["r", 1, 5], ["r", 2, None]])
        assert zk.calls == ["sync"] + ["get"] * 4
    zk_run("rw-register", scenario)


def test_zk_read_only_txn_retries_until_two_rounds_agree_then_gives_up():
    async def scenario(client, zk):
        bump = lambda: zk.znodes.__setitem__("/t/1", (b"9", zk.znodes["/t/1"][1] + 1))  # noqa: E731
        zk.znodes["/t/1"] = (b"5", 1)
        zk.inject["get"] = [None, None, bump]  # round 2 sees a newer version of key 1
        done = await client.invoke(TEST, txn(("r", 1, None), ("r", 2, None)))
        assert (done.type, done.value) == (OK, [["r", 1, 9], ["r", 2, None]])
        assert zk.calls.count("get") == 6
        zk.calls.clear()
        zk.inject["get"] = [bump if i % 2 == 0 else None for i in range(8)]
        done = await client.invoke(TEST, txn(("r", 1, None), ("r", 2, None)))
        assert (done.type, done.error) == (FAIL, "snapshot-unstable")
        assert zk.calls.count("get") == 8
    zk_run("rw-register", scenario, "plain")


def test_zk_write_txn_is_one_guarded_multi():
    async def scenario(client, zk):
        zk.znodes["/t/1"] = (b"4", 0)
        done = await client.invoke(TEST, txn(("r", 3, None), ("append", 1, 5), ("append", 2, 1)))
        assert done.type == OK, done
        assert done.value == [["r", 3, None], ["append", 1, 5], ["append", 2, 1]]
        assert zk.calls == ["sync", "get", "get", "get", "multi"]
        assert zk.znodes["/t/1"] == (b"4,5", 1) and zk.znodes["/t/2"] == (b"1", 0)
        assert zk.znodes["/t/3"] == (b"", 0)  # the absent key read: created empty, still absent
        done = await client.invoke(TEST, txn(("r", 3, None)))
        assert done.value == [["r", 3, None]]
    zk_run("list-append", scenario)


def test_zk_write_txn_guard_failure_is_a_definite_fail():
    async def scenario(client, zk):
        zk.znodes["/t/1"] = (b"4", 0)
        zk.inject["multi"] = [lambda: zk.znodes.__setitem__("/t/1", (b"9", 1))]
        done = await client.invoke(TEST, txn(("w", 1, 5)))
        assert (done.type, done.error) == (FAIL, "guard-failed: BadVersionError")
        assert zk.znodes["/t/1"] == (b"9", 1)
        zk.inject["multi"] = [lambda: zk.znodes.__setitem__("/t/2", (b"7", 0))]
        done = await client.invoke(TEST, txn(("w", 2, 5)))
        assert (done.type, done.error) == (FAIL, "guard-failed: NodeExistsError")
    zk_run("rw-register", scenario)


@pytest.mark.parametrize("step, expected", [
    (kx.ConnectionLoss(), INFO), ("hang", INFO), ("refuse", FAIL), (kx.NoAuthError(), FAIL)])
def test_zk_classification_of_the_multi(step, expected):
    async def scenario(client, zk):
        zk.inject["multi"] = [step]
        done = await client.invoke(TEST, txn(("w", 1, 1)))
        assert done.type == expected, done
    zk_run("rw-register", scenario)


def test_zk_failed_read_step_is_fail_and_sends_no_multi():
    async def scenario(client, zk):
        zk.inject["get"] = [kx.ConnectionLoss()]
        done = await client.invoke(TEST, txn(("w", 1, 1), ("r", 2, None)))
        assert done.type == FAIL and done.error.startswith("read: ConnectionLoss")
        assert "multi" not in zk.calls
    zk_run("rw-register", scenario)



# -- etcd over gRPC -------------------------------------------------------------------

class FakeKV:
    """aetcd's KV stub's Txn over an in-memory store (keys are raw bytes); ``errors``
    lists gRPC status codes the next calls fail with."""

    def __init__(self):
        self.kv, self.revision, self.requests, self.errors = {}, 1, [], []

    async def Txn(self, request, timeout):  # noqa: N802 - the stub's name
        from aetcd import rpc
        self.requests.append(request)
        if self.errors:
            code, details = self.errors.pop(0)
            raise grpc.aio.AioRpcError(code, grpc.aio.Metadata(), grpc.aio.Metadata(), details)
        held = all(self.kv.get(c.key, (b"", 0))[1] == c.mod_revision for c in request.compare)
        if not held:
            return rpc.TxnResponse(succeeded=False)
        responses = []
        for op in request.success:
            if op.WhichOneof("request") == "request_range":
                found = self.kv.get(op.request_range.key)
                kvs = [] if found is None else [rpc.KeyValue(key=op.request_range.key, value=found[0],
                                                             mod_revision=found[1])]
                responses.append(rpc.ResponseOp(response_range=rpc.RangeResponse(kvs=kvs)))
            else:
                self.revision += 1
                self.kv[op.request_put.key] = (op.request_put.value, self.revision)
                responses.append(rpc.ResponseOp(response_put=rpc.PutResponse()))
        return rpc.TxnResponse(succeeded=True, responses=responses)


def grpc_run(workload, scenario):
    from faultline.dbs.etcd.grpc_txn_client import EtcdGrpcTxnClient

    async def main():
        client = EtcdGrpcTxnClient(workload=workload, read_mode="serializable", prefix="t",
                                   timeout_s=0.5)
        kv = FakeKV()
        client._channel_client.kv, client._loop, client.node = kv, asyncio.get_running_loop(), "n1"
        return await scenario(client, kv)
    return asyncio.run(main())


def test_etcd_grpc_txns_read_then_commit_guarded():
    async def scenario(client, kv):
        done = await client.invoke(TEST, txn(("r", 1, None), ("append", 1, 1), ("r", 1, None)))
        assert (done.type, done.value) == (OK, [["r", 1, None], ["append", 1, 1], ["r", 1, [1]]])
        read, commit = kv.requests
        assert read.success[0].request_range.serializable and not read.compare
        assert [(c.key, c.mod_revision) for c in commit.compare] == [(b"t/1", 0)]
        done = await client.invoke(TEST, txn(("r", 1, None), ("r", 2, None)))
        assert (done.type, done.value) == (OK, [["r", 1, [1]], ["r", 2, None]])
        assert len(kv.requests) == 3
    grpc_run("list-append", scenario)


@pytest.mark.parametrize("code, details, at, expected", [
    (grpc.StatusCode.UNAVAILABLE, "failed to connect to all addresses", 0, (FAIL, "read: not-sent")),
    (grpc.StatusCode.DEADLINE_EXCEEDED, "", 0, (FAIL, "read: timeout")),
    (grpc.StatusCode.DEADLINE_EXCEEDED, "", 1, (INFO, "timeout")),
    (grpc.StatusCode.UNAVAILABLE, "etcdserver: leader changed", 1, (INFO, "unavailable")),
    (grpc.StatusCode.INVALID_ARGUMENT, "etcdserver: too many operations", 1, (FAIL, "invalid-argument")),
])
def test_etcd_grpc_classification(code, details, at, expected):
    async def scenario(client, kv):
        real = kv.Txn

        async def txn_call(request, timeout):  # fail the read (at 0) or the commit (at 1)
            if bool(request.compare) == bool(at):
                kv.errors = [(code, details)]
            return await real(request, timeout)
        kv.Txn = txn_call
        done = await client.invoke(TEST, txn(("w", 1, 1)))
        assert done.type == expected[0] and done.error.startswith(expected[1]), done
    grpc_run("rw-register", scenario)


def test_etcd_grpc_guard_failure():
    async def scenario(client, kv):
        real = kv.Txn

        async def txn_call(request, timeout):
            if request.compare:
                kv.kv[b"t/1"] = (b"7", 50)
            return await real(request, timeout)
        kv.Txn = txn_call
        done = await client.invoke(TEST, txn(("r", 1, None), ("w", 1, 2)))
        assert (done.type, done.error) == (FAIL, GUARD_FAILED)
        assert kv.kv[b"t/1"] == (b"7", 50)
    grpc_run("rw-register", scenario)


@pytest.mark.parametrize("db, transport, expected", [
    ("etcd", "http", "EtcdTxnClient"), ("etcd", "grpc", "EtcdGrpcTxnClient"),
    ("zookeeper", "kazoo", "ZooKeeperTxnClient")])
@pytest.mark.parametrize("workload", ["list-append", "rw-register"])
def test_descriptors_name_a_txn_client_per_workload_and_transport(db, transport, expected, workload):
    from faultline.core.errors import BadInputError
    from faultline.dbs import DBS, client_factory
    make = client_factory(DBS.get(db), workload, {"key_prefix": "p", "transport": transport})
    assert type(make()).__name__ == expected
    with pytest.raises(BadInputError, match="read-mode"):
        client_factory(DBS.get(db), workload, {"key_prefix": "p", "transport": transport,
                                               "read_mode": "eventual"})
