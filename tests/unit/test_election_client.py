"""The etcd election client against a scripted gateway connection and a hand-moved clock:
client-go's tryAcquireOrRenew (take an absent record, keep another's while it changes,
take it over once unchanged for the lease by this client's clock) and acting only before
the renew deadline."""

from __future__ import annotations

import asyncio
import base64
import json

from test_set_clients import ScriptedConnection

from faultline.core.op import FAIL, INFO, OK, Op
from faultline.dbs.etcd.election_client import EtcdElectionClient
from faultline.dbs.etcd.http1 import ResponseTimeout

TEST = {"key_prefix": "t"}


class Clock:
    def __init__(self):
        self.now = 100.0

    def __call__(self):
        return self.now


def record(holder, mod):
    raw = json.dumps({"holderIdentity": holder, "leaderTransitions": 0,
                      "acquireTime": "a", "renewTime": "r"}).encode()
    return (200, json.dumps({"kvs": [{"value": base64.b64encode(raw).decode(),
                                      "mod_revision": str(mod)}]}).encode())


def txn(succeeded, revision):
    doc = {"header": {"revision": str(revision)}}
    if succeeded:
        doc["succeeded"] = True
    return (200, json.dumps(doc).encode())


def steps(clock, *script):
    async def main():
        client = EtcdElectionClient(read_mode="linearizable", prefix="t", timeout_s=1.0,
                                    lease_s=3.0, renew_deadline_s=2.0, clock=clock)
        client.node, out = "n1", []
        for advance, f, *answers in script:
            clock.now += advance
            client._conn = ScriptedConnection(*answers)
            done = await client.invoke(TEST, Op("invoke", f, process=1))
            out.append((done.type, done.value, done.error))
            sent.append(client._conn.sent)
        return out
    sent: list = []
    return asyncio.run(main()), sent


def test_an_absent_record_is_taken_and_renewed_and_the_leader_acts():
    out, sent = steps(Clock(), (0, "renew", (200, b"{}"), txn(True, 5)),
                      (0, "act", (200, b'{"header":{"revision":"6"}}')),
                      (0.5, "renew", record("p1", 5), txn(True, 7)))
    assert out[0] == (OK, {"leader": True, "term": 5, "took_over": True, "revision": 5,
                           "transitions": 0}, None)
    assert out[1] == (OK, {"term": 5, "revision": 6}, None)
    assert out[2][1]["term"] == 5 and out[2][1]["took_over"] is False
    compare = sent[0][1][1]["compare"][0]
    assert compare["target"] == "MOD" and compare["mod_revision"] == "0"
    assert sent[2][1][1]["compare"][0]["mod_revision"] == "5"
    put = json.loads(base64.b64decode(sent[0][1][1]["success"][0]["request_put"]["value"]))
    assert put["holderIdentity"] == "p1" and put["leaseDurationSeconds"] == 3.0


def test_another_holder_keeps_the_record_until_unchanged_for_the_lease():
    clock = Clock()
    out, sent = steps(clock, (0, "renew", record("p7", 9)),
                      (2.9, "renew", record("p7", 9)),        # unchanged for 2.9 s: wait
                      (0.2, "renew", record("p7", 9), txn(True, 12)))  # 3.1 s: take over
    assert out[0] == (OK, {"leader": False, "holder": "p7"}, None)
    assert out[1][1]["leader"] is False and len(sent[1]) == 1
    assert out[2][1] == {"leader": True, "term": 12, "took_over": True, "revision": 12,
                         "transitions": 1}


def test_a_record_that_keeps_changing_is_never_taken():
    out, _ = steps(Clock(), (0, "renew", record("p7", 9)), (2.0, "renew", record("p7", 10)),
                   (2.0, "renew", record("p7", 11)))
    assert all(o[1]["leader"] is False for o in out)


def test_a_lost_compare_is_a_definite_not_leader_and_an_unknown_txn_is_info():
    out, _ = steps(Clock(), (0, "renew", (200, b"{}"), txn(False, 5)))
    assert out[0] == (OK, {"leader": False, "holder": None}, None)
    out, _ = steps(Clock(), (0, "renew", (200, b"{}"), ResponseTimeout("slow")))
    assert out[0][0] == INFO


def test_a_leader_past_its_renew_deadline_does_not_act():
    out, sent = steps(Clock(), (0, "renew", (200, b"{}"), txn(True, 5)),
                      (2.1, "act"))
    assert out[1] == (FAIL, None, "not-leading") and sent[1] == []


def test_every_second_candidate_gets_the_fast_clock():
    import time

    from faultline.dbs.etcd.election_client import etcd_election_client_factory, rated_clock
    make = etcd_election_client_factory({"key_prefix": "t", "election_clock_rate": 3.0})
    clocks = [make()._clock for _ in range(4)]
    assert [c is time.monotonic for c in clocks] == [True, False, True, False]
    fast = rated_clock(3.0)
    a, t0 = fast(), time.monotonic()
    time.sleep(0.05)
    assert fast() - a > 2.5 * (time.monotonic() - t0)
    plain = etcd_election_client_factory({"key_prefix": "t"})
    assert all(plain()._clock is time.monotonic for _ in range(3))
