"""The set clients' requests and outcomes: etcd against a scripted gateway connection,
ZooKeeper against the scripted kazoo stand-in of test_zookeeper_client."""

from __future__ import annotations

import asyncio
import base64
import json

import pytest
from kazoo import exceptions as kx
from test_zookeeper_client import HANG, FakeKazoo, run

from faultline.core.op import FAIL, INFO, OK, Op
from faultline.dbs import DBS, client_factory
from faultline.dbs.etcd.http1 import Lost, NotSent, ResponseTimeout
from faultline.dbs.etcd.set_client import (EtcdSetClient, add_request, elements_of,
                                           prefix_range, read_request)
from faultline.dbs.zookeeper.set_client import ZooKeeperSetClient

TEST = {"key_prefix": "t", "addresses": {"n1": "10.0.0.1:2181"}}


def b64(raw: bytes) -> str:
    return base64.b64encode(raw).decode()


def test_both_dbs_name_a_set_client():
    for db in ("etcd", "zookeeper"):
        make = client_factory(DBS.get(db), "set", TEST)
        assert type(make()).__name__.endswith("SetClient")


def test_etcd_requests():
    key, end = prefix_range(b"t/set/")
    assert (base64.b64decode(key), base64.b64decode(end)) == (b"t/set/", b"t/set0")
    put = json.loads(add_request(b"t/set/", 42))
    assert put == {"key": b64(b"t/set/42"), "value": b64(b"42")}
    assert json.loads(read_request(b"t/set/", False)) == {"key": key.decode(),
                                                          "range_end": end.decode(),
                                                          "keys_only": True}
    assert json.loads(read_request(b"t/set/", True))["serializable"] is True


def test_etcd_elements_from_keys():
    payload = json.dumps({"kvs": [{"key": b64(b"t/set/10")}, {"key": b64(b"t/set/9")},
                                  {"key": b64(b"t/set/odd")}]}).encode()
    assert elements_of(payload, b"t/set/") == [10, 9, "odd"]
    assert elements_of(b'{"header":{}}', b"t/set/") == []


class ScriptedConnection:
    """Answers each post with the next scripted (status, payload) or raises it."""

    def __init__(self, *answers):
        self.answers, self.sent = list(answers), []

    async def post(self, path, body, timeout):
        self.sent.append((path, json.loads(body)))
        answer = self.answers.pop(0)
        if isinstance(answer, Exception):
            raise answer
        return answer


def etcd_invoke(op, *answers, read_mode="linearizable"):
    client = EtcdSetClient(read_mode=read_mode, prefix="t", timeout_s=1.0)
    client._conn, client.node = ScriptedConnection(*answers), "n1"
    done = asyncio.run(client.invoke(TEST, op))
    return (done.type, done.value, done.error), client._conn.sent


def test_etcd_add_and_read():
    (outcome, sent) = etcd_invoke(Op("invoke", "add", 3), (200, b"{}"))
    assert outcome == (OK, 3, None) and sent[0][0] == b"/v3/kv/put"
    listing = json.dumps({"kvs": [{"key": b64(b"t/set/3")}]}).encode()
    outcome, sent = etcd_invoke(Op("invoke", "read"), (200, listing), read_mode="serializable")
    assert outcome == (OK, [3], None)
    assert sent[0][0] == b"/v3/kv/range" and sent[0][1]["serializable"] is True


@pytest.mark.parametrize("answer, add_type, read_type", [
    (NotSent("refused"), FAIL, FAIL),
    (Lost("reset"), INFO, FAIL),
    (ResponseTimeout("slow"), INFO, FAIL),
    ((503, b'{"code":14,"message":"etcdserver: leader changed"}'), INFO, FAIL),
    ((400, b'{"code":3,"message":"etcdserver: request is too large"}'), FAIL, FAIL),
])
def test_etcd_classification_is_the_register_clients(answer, add_type, read_type):
    assert etcd_invoke(Op("invoke", "add", 1), answer)[0][0] == add_type
    assert etcd_invoke(Op("invoke", "read"), answer)[0][0] == read_type


def test_etcd_unreadable_listing_is_a_failed_read():
    outcome, _ = etcd_invoke(Op("invoke", "read"), (200, b"not json"))
    assert outcome[0] == FAIL and outcome[2].startswith("unreadable")


class SetKazoo(FakeKazoo):
    def get_children_async(self, path):
        def children():
            if path not in self.znodes:
                raise kx.NoNodeError()
            return [p.rsplit("/", 1)[1] for p in self.znodes if p.startswith(path + "/")]
        return self._answer("get_children", children)


class ScriptedSetClient(ZooKeeperSetClient):
    kazoo_class = SetKazoo


def zk_run(read_mode, scenario, timeout_s=0.5):
    return run(read_mode, scenario, timeout_s, client_class=ScriptedSetClient)


async def zk_do(client, f, value=None):
    done = await client.invoke(TEST, Op("invoke", f, value, process=1))
    return done.type, done.value, done.error


@pytest.mark.parametrize("read_mode, requests", [("sync", ["sync", "get_children"]),
                                                 ("plain", ["get_children"])])
def test_zk_add_creates_a_child_and_read_lists_them(read_mode, requests):
    async def scenario(client, zk):
        assert "/t/set" in zk.znodes
        assert await zk_do(client, "read") == (OK, [], None)
        assert zk.calls == requests
        assert await zk_do(client, "add", 5) == (OK, 5, None)
        assert await zk_do(client, "add", 6) == (OK, 6, None)
        assert zk.znodes["/t/set/5"][0] == b"5"
        assert sorted((await zk_do(client, "read"))[1]) == [5, 6]
    zk_run(read_mode, scenario)


def test_zk_add_retried_after_connection_loss_is_ok_when_the_first_attempt_took():
    async def scenario(client, zk):
        def applied_then_lost():
            zk.znodes["/t/set/1"] = (b"1", 0)
            raise kx.ConnectionLoss()
        zk.inject["create"] = [applied_then_lost]
        assert await zk_do(client, "add", 1) == (OK, 1, None)
        assert zk.calls[-2:] == ["create", "create"]
    zk_run("sync", scenario)


def test_zk_add_lost_and_not_reconnected_in_time_is_info_not_fail():
    async def scenario(client, zk):
        def lost_and_disconnected():
            zk.connected = False
            raise kx.ConnectionLoss()
        zk.inject["create"] = [lost_and_disconnected]
        kind, _, error = await zk_do(client, "add", 1)
        assert (kind, error) == (INFO, "ConnectionLoss")
    zk_run("sync", scenario)


def test_zk_add_never_sent_is_fail_and_a_hung_one_info():
    async def scenario(client, zk):
        zk.connected = False
        assert (await zk_do(client, "add", 1))[0] == FAIL
        assert "create" not in zk.calls
        zk.connected = True
        zk.inject["create"] = [HANG]
        kind, _, error = await zk_do(client, "add", 2)
        assert (kind, error) == (INFO, "timeout")
    zk_run("sync", scenario, timeout_s=0.3)


def test_zk_failed_read_is_fail():
    async def scenario(client, zk):
        zk.inject["get_children"] = [kx.ConnectionLoss()]
        assert (await zk_do(client, "read"))[0] == FAIL
    zk_run("plain", scenario)


def test_etcd_member_read_is_serializable_in_any_read_mode_and_fails_when_unknown():
    listing = json.dumps({"kvs": [{"key": b64(b"t/set/1")}]}).encode()
    outcome, sent = etcd_invoke(Op("invoke", "member-read"), (200, listing))
    assert outcome == (OK, [1], None) and sent[0][1]["serializable"] is True
    assert etcd_invoke(Op("invoke", "member-read"), Lost("reset"))[0][0] == FAIL


def test_zk_member_read_syncs_in_plain_mode_too():
    async def scenario(client, zk):
        assert await zk_do(client, "add", 4) == (OK, 4, None)
        zk.calls.clear()
        assert await zk_do(client, "member-read") == (OK, [4], None)
        assert zk.calls == ["sync", "get_children"]
        zk.inject["get_children"] = [kx.ConnectionLoss()]
        assert (await zk_do(client, "member-read"))[0] == FAIL
    zk_run("plain", scenario)
