"""The lock clients' requests and outcomes: etcd against a scripted gateway connection,
ZooKeeper against the scripted kazoo stand-in with a fake Lock recipe."""

from __future__ import annotations

import asyncio
import json

import pytest
from kazoo import exceptions as kx
from kazoo.protocol.states import KazooState
from test_set_clients import ScriptedConnection
from test_zookeeper_client import FakeKazoo, run

from faultline.core.op import FAIL, INFO, OK, Op
from faultline.core.vocabulary import LOCK_LOST
from faultline.dbs import DBS, client_factory
from faultline.dbs.etcd.http1 import NotSent, ResponseTimeout
from faultline.dbs.etcd.lock_client import EtcdLockClient, lease_ttl
from faultline.dbs.zookeeper.lock_client import ZooKeeperLockClient, sequence_of

TEST = {"key_prefix": "t", "addresses": {"n1": "10.0.0.1:2181"}}
GRANT = (200, b'{"ID":"7","TTL":"30"}')
LOCKED = (200, b'{"header":{"revision":"12"},"key":"dC9sb2NrLzAvNw=="}')
OK200 = (200, b"{}")
LEASE_GONE = (404, b'{"code":5,"message":"etcdserver: requested lease not found"}')


def test_both_dbs_name_a_lock_client():
    for db in ("etcd", "zookeeper"):
        make = client_factory(DBS.get(db), "lock", {**TEST, "lock_ttl_s": 5})
        assert type(make()).__name__.endswith("LockClient")


def etcd_steps(*steps):
    """Run (op f, answers...) steps on one etcd lock client; each step's (type, value,
    error) and the (path, body) of every request."""
    async def main():
        client = EtcdLockClient(read_mode="linearizable", prefix="t", timeout_s=1.0, ttl_s=30)
        client.node, outcomes = "n1", []
        for f, *answers in steps:
            client._conn = ScriptedConnection(*answers)
            done = await client.invoke(TEST, Op("invoke", f, key=0, process=1))
            outcomes.append((done.type, done.value, done.error))
            assert not client._conn.answers, f"{f}: unused answers"
            sent.extend(client._conn.sent)
        if client._keepalive is not None:
            client._keepalive.cancel()
        return outcomes
    sent: list = []
    return asyncio.run(main()), sent


def test_etcd_acquire_incr_release():
    counter = (200, json.dumps({"kvs": [{"value": "NA=="}]}).encode())  # "4"
    outcomes, sent = etcd_steps(("acquire", GRANT, LOCKED), ("incr", counter, OK200),
                                ("release", OK200, OK200), ("read", (200, b"{}")))
    assert outcomes == [(OK, 12, None), (OK, [4, 5], None), (OK, None, None), (OK, 0, None)]
    paths = [p for p, _ in sent]
    assert paths == [b"/v3/lease/grant", b"/v3/lock/lock", b"/v3/kv/range", b"/v3/kv/put",
                     b"/v3/lock/unlock", b"/v3/lease/revoke", b"/v3/kv/range"]
    assert sent[0][1] == {"TTL": 30} and sent[1][1]["lease"] == "7"
    assert sent[4][1] == {"key": "dC9sb2NrLzAvNw=="} and sent[5][1] == {"ID": 7}


def test_etcd_a_lease_found_gone_at_release_is_lock_lost():
    outcomes, _ = etcd_steps(("acquire", GRANT, LOCKED), ("release", OK200, LEASE_GONE))
    kind, _, error = outcomes[1]
    assert kind == INFO and error.startswith(LOCK_LOST)


@pytest.mark.parametrize("grant, lock, expected", [
    (NotSent("refused"), None, FAIL),            # no lease, no hold
    (ResponseTimeout("slow"), None, FAIL),      # a lease nobody uses holds nothing
    (GRANT, ResponseTimeout("waited"), INFO),    # the hold may come after we gave up
    (GRANT, (400, b'{"code":3,"message":"bad"}'), FAIL),
])
def test_etcd_acquire_classification(grant, lock, expected):
    answers = [grant] + ([lock, OK200] if lock is not None and expected == FAIL else
                         [lock] if lock is not None else [])
    outcomes, _ = etcd_steps(("acquire", *answers))
    assert outcomes[0][0] == expected


def test_etcd_incr_failures():
    counter = (200, json.dumps({"kvs": [{"value": "Mg=="}]}).encode())  # "2"
    outcomes, _ = etcd_steps(("incr", ResponseTimeout("slow")), ("incr", counter,
                                                                 ResponseTimeout("slow")),
                             ("incr", counter, NotSent("refused")))
    assert outcomes[0][:2] == (FAIL, None)          # the read failed: nothing written
    assert outcomes[1][:2] == (INFO, [2, 3])         # the write may have landed
    assert outcomes[2][:2] == (FAIL, None)


def test_etcd_keepalive_answers():
    assert lease_ttl({"result": {"ID": "7", "TTL": "3"}}) == 3
    assert lease_ttl({"result": {"ID": "7"}}) == 0  # expired: the gateway omits TTL 0
    with pytest.raises(ValueError):
        lease_ttl({"error": {"code": 14}})


class FakeLock:
    def __init__(self, zk, path):
        self.zk, self.path, self.node = zk, path, None

    def acquire(self, blocking=True, timeout=None):
        holder = self.zk.holders.get(self.path)
        if holder is not None and holder is not self:
            return False
        self.zk.holders[self.path] = self
        self.node = "abc__lock__0000000003"
        return True

    def release(self):
        self.zk.holders.pop(self.path, None)
        return True


class LockKazoo(FakeKazoo):
    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.holders, self.listeners = {}, []

    def Lock(self, path, identifier):  # noqa: N802 - kazoo's name
        return FakeLock(self, path)

    def add_listener(self, listener):
        self.listeners.append(listener)


class ScriptedLockClient(ZooKeeperLockClient):
    kazoo_class = LockKazoo


async def zk_do(client, f, process=1):
    done = await client.invoke(TEST, Op("invoke", f, key=0, process=process))
    return done.type, done.value, done.error


def test_zk_acquire_incr_release_on_a_session_of_the_lock_ttl():
    async def scenario(client, zk):
        assert zk.kwargs["timeout"] == client.session_timeout_s
        assert {"/t/lock", "/t/lock-counter"} <= set(zk.znodes)
        assert await zk_do(client, "acquire") == (OK, 3, None)
        assert await zk_do(client, "incr") == (OK, [0, 1], None)
        assert await zk_do(client, "incr") == (OK, [1, 2], None)
        assert zk.znodes["/t/lock-counter/0"][0] == b"2"
        assert await zk_do(client, "release") == (OK, None, None)
        assert zk.holders == {}
        assert await zk_do(client, "read") == (OK, 2, None)
    run("sync", scenario, client_class=ScriptedLockClient)


def test_zk_a_session_lost_while_held_is_lock_lost():
    async def scenario(client, zk):
        await zk_do(client, "acquire")
        for listener in zk.listeners:
            listener(KazooState.LOST)
        kind, _, error = await zk_do(client, "release")
        assert kind == INFO and error.startswith(LOCK_LOST)
    run("sync", scenario, client_class=ScriptedLockClient)


def test_zk_a_lock_not_taken_in_time_is_unknown():
    async def scenario(client, zk):
        zk.holders["/t/lock/0"] = object()
        kind, _, error = await zk_do(client, "acquire")
        assert kind == INFO and error.startswith("lock-wait")
    run("sync", scenario, client_class=ScriptedLockClient)


def test_zk_sequence_numbers():
    assert sequence_of("_c_1f-lock-0000000042") == 42
    assert sequence_of(None) is None and sequence_of("odd") is None


# ---- the guarded work of a holder that never checks (kazoo's client.retry) -------------

FAST_LOSS = "fast-loss"  # test_zookeeper_client's: sent, failed with ConnectionLoss at once


def zk_run(scenario, timeout_s=2.0):
    run("sync", scenario, timeout_s=timeout_s, client_class=ScriptedLockClient)


def test_zk_incr_waits_out_a_lost_connection_and_an_expired_session():
    async def scenario(client, zk):
        await zk_do(client, "acquire")
        zk.znodes["/t/lock-counter/0"] = (b"4", 0)
        zk.inject["sync"] = [FAST_LOSS, kx.SessionExpiredError()]
        zk.inject["set"] = [FAST_LOSS]
        for listener in zk.listeners:  # kazoo opened a new session: the holder goes on
            listener(KazooState.LOST)
        assert await zk_do(client, "incr") == (OK, [4, 5], None)
        assert zk.calls.count("sync") == 3 and zk.calls.count("set") == 2
        assert zk.znodes["/t/lock-counter/0"][0] == b"5"
        kind, _, error = await zk_do(client, "release")
        assert kind == INFO and error.startswith(LOCK_LOST)
    zk_run(scenario)


def test_zk_incr_retries_while_not_connected_until_the_session_is_back():
    async def scenario(client, zk):
        await zk_do(client, "acquire")
        zk.connected = False
        asyncio.get_running_loop().call_later(0.5, setattr, zk, "connected", True)
        assert await zk_do(client, "incr") == (OK, [0, 1], None)
    zk_run(scenario)


def test_zk_incr_that_never_reads_is_fail_and_one_whose_write_was_lost_is_info():
    async def scenario(client, zk):
        await zk_do(client, "acquire")
        zk.connected = False
        kind, value, error = await zk_do(client, "incr")
        assert (kind, value) == (FAIL, None) and error.startswith("not-sent")
        zk.connected = True
        zk.znodes["/t/lock-counter/0"] = (b"0", 0)
        zk.inject["set"] = [kx.ConnectionLoss()]  # sent, then the session is not back in time
        asyncio.get_running_loop().call_later(0.05, setattr, zk, "connected", False)
        kind, value, error = await zk_do(client, "incr")
        assert (kind, value) == (INFO, [0, 1]) and error.startswith("EarlierAttemptUnknown")
        assert zk.calls.count("set") == 1
    zk_run(scenario, timeout_s=1.0)


def test_zk_incr_does_not_retry_a_definite_error():
    async def scenario(client, zk):
        await zk_do(client, "acquire")
        zk.inject["get"] = [kx.NoAuthError()]
        assert await zk_do(client, "incr") == (FAIL, None, "NoAuthError")
        assert zk.calls.count("get") == 1
    zk_run(scenario)
