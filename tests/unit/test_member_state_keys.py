"""Members' final state per key (register and transactional workloads): members that
disagree on a key are named with the value each holds, the register checker folds it in
(its linearizability check ignores the member reads), and the register clients read a
member's own copy (etcd serializable over both transports' requests, ZooKeeper after a
sync)."""

from __future__ import annotations

import base64
import json

from faultline.checkers.member_state import SHOWN, check_member_state, without_member_reads
from faultline.core.history import History
from faultline.core.op import OK, Op
from faultline.core.vocabulary import MEMBER_READ
from faultline.dbs.etcd.client import completion_of, request_for
from faultline.scenarios import anomaly_kinds, first_anomaly_s
from faultline.workloads.register import RegisterChecker

from test_zookeeper_client import do, run

S = 1_000_000_000


def ops(*made: tuple) -> History:
    """``(type, f, value, process, time_s, key, node)`` in order, indexed."""
    return History(Op(t, f, v, p, int(s * S), i, k, n)
                   for i, (t, f, v, p, s, k, n) in enumerate(made))


def member_reads(held: dict[str, dict[int, object]], start_s: float = 10.0) -> list[tuple]:
    out, t = [], start_s
    for p, (node, values) in enumerate(held.items()):
        for key, value in values.items():
            out += [("invoke", MEMBER_READ, None, p, t, key, node),
                    ("ok", MEMBER_READ, value, p, t + 0.1, key, node)]
            t += 0.2
    return out


WRITES = [("invoke", "write", 1, 0, 1.0, 0, "n1"), ("ok", "write", 1, 0, 2.0, 0, "n1"),
          ("invoke", "write", 5, 0, 3.0, 1, "n1"), ("ok", "write", 5, 0, 4.0, 1, "n1")]


def test_members_holding_the_same_values_agree():
    h = ops(*WRITES, *member_reads({"n1": {0: 1, 1: 5}, "n2": {0: 1, 1: 5}, "n3": {0: 1, 1: 5}}))
    result = check_member_state(h)
    assert result.valid is True
    assert result.data["keys"] == 2 and result.data["disagreeing"] == 0
    assert {n: m["keys"] for n, m in result.data["members"].items()} == {"n1": 2, "n2": 2, "n3": 2}


def test_a_key_the_members_disagree_on_is_named_with_each_members_value():
    h = ops(*WRITES, *member_reads({"n1": {0: 1, 1: 5}, "n2": {0: 1, 1: None}, "n3": {0: 1, 1: 5}}))
    result = check_member_state(h)
    assert result.valid is False and result.data["agree"] is False
    assert result.data["disagreements"] == [{"key": 1, "values": {"n1": 5, "n2": None, "n3": 5}}]


def test_the_last_read_of_a_key_counts_and_the_list_is_capped():
    first = member_reads({"n1": {0: 1}, "n2": {0: None}})
    again = member_reads({"n2": {0: 1}}, start_s=20.0)
    assert check_member_state(ops(*WRITES, *first, *again)).valid is True
    many = member_reads({"n1": {k: k for k in range(SHOWN + 5)},
                         "n2": {k: -k - 1 for k in range(SHOWN + 5)}})
    result = check_member_state(ops(*many))
    assert result.data["disagreeing"] == SHOWN + 5 and len(result.data["disagreements"]) == SHOWN


def test_one_member_read_is_unknown_and_a_failed_one_is_unread():
    h = ops(*member_reads({"n1": {0: 1}}), ("invoke", MEMBER_READ, None, 5, 30.0, 0, "n2"),
            ("fail", MEMBER_READ, None, 5, 30.1, 0, "n2"))
    result = check_member_state(h)
    assert result.valid == "unknown" and result.data["unread"] == ["n2"]


def test_the_register_checker_ignores_member_reads_for_linearizability_and_reports_them():
    agree = ops(*WRITES, *member_reads({"n1": {0: 1, 1: 5}, "n2": {0: 1, 1: 5}}))
    assert len(without_member_reads(agree)) == len(WRITES)
    checked = RegisterChecker().check({}, agree, {})
    assert checked.valid is True and checked.data["members"]["valid"] is True
    differ = ops(*WRITES, *member_reads({"n1": {0: 1, 1: 5}, "n2": {0: 1, 1: 4}}))
    checked = RegisterChecker().check({}, differ, {})
    assert checked.valid is False and checked.data["kind"] == "linearizable"
    assert all(k["valid"] is True for k in checked.data["keys"].values())  # the keys are fine
    results = {"valid": False, "workload": checked.to_dict()}
    assert anomaly_kinds(results) == ["member-disagreement"]
    assert first_anomaly_s(results, differ) == 10.7  # the last member read compared


def test_etcd_member_reads_are_serializable_whatever_the_read_mode():
    key64 = base64.b64encode(b"p/k")
    path, body = request_for(MEMBER_READ, key64, None, False)
    assert path == b"/v3/kv/range" and json.loads(body) == {"key": key64.decode(),
                                                            "serializable": True}
    payload = json.dumps({"kvs": [{"value": base64.b64encode(b"7").decode()}]}).encode()
    assert completion_of(MEMBER_READ, payload) == (OK, 7, None)
    assert completion_of(MEMBER_READ, b"{}") == (OK, None, None)


def test_zookeeper_member_reads_sync_first_even_in_plain_mode():
    async def scenario(client, zk):
        zk.znodes["/t/k"] = (b"9", 1)
        assert await do(client, MEMBER_READ) == (OK, 9, None)
        assert zk.calls == ["sync", "get"]
    run("plain", scenario)


# ---- the transactional workloads ----------------------------------------------------

from test_txn_clients import TEST as TXN_TEST, etcd_run, grpc_run, zk_run  # noqa: E402


def test_txn_member_reads_read_one_key_locally_in_the_workloads_encoding():
    member_read = Op("invoke", MEMBER_READ, None, 3, key=1)

    async def over_http(client, gw):
        gw.put(b"t/1", b"4,5")
        done = await client.invoke(TXN_TEST, member_read)
        assert (done.type, done.value, done.key, done.node) == (OK, [4, 5], 1, "n1")
        assert gw.bodies[-1]["success"][0]["request_range"]["serializable"] is True
    etcd_run("list-append", over_http, read_mode="linearizable")

    async def over_grpc(client, kv):
        kv.kv[b"t/1"] = (b"7", 2)
        done = await client.invoke(TXN_TEST, member_read)
        assert (done.type, done.value) == (OK, 7)
        assert kv.requests[-1].success[0].request_range.serializable is True
    grpc_run("rw-register", over_grpc)

    async def on_zookeeper(client, zk):
        zk.znodes["/t/1"] = (b"3,4", 1)
        zk.calls.clear()
        done = await client.invoke(TXN_TEST, member_read)
        assert (done.type, done.value) == (OK, [3, 4]) and zk.calls == ["sync", "get"]
        done = await client.invoke(TXN_TEST, member_read.with_(key=9))
        assert (done.type, done.value) == (OK, None)  # absent
    zk_run("list-append", on_zookeeper, read_mode="plain")


def test_the_txn_checker_checks_the_transactions_alone_and_reports_members():
    from faultline.workloads.list_append import WORKLOAD as list_append
    txns = [("invoke", "txn", [["append", 1, 1]], 0, 1.0, None, "n1"),
            ("ok", "txn", [["append", 1, 1]], 0, 2.0, None, "n1"),
            ("invoke", "txn", [["r", 1, None]], 0, 3.0, None, "n1"),
            ("ok", "txn", [["r", 1, [1]]], 0, 4.0, None, "n1")]
    test = {"db": "etcd", "read_mode": "linearizable"}
    agree = ops(*txns, *member_reads({"n1": {1: [1]}, "n2": {1: [1]}}))
    result = list_append.checker(test).check(test, agree, {})
    assert result.valid is True and result.data["kind"] == "elle"
    assert result.data["members"]["valid"] is True
    behind = ops(*txns, *member_reads({"n1": {1: [1]}, "n2": {1: None}}))
    result = list_append.checker(test).check(test, behind, {})
    assert result.valid is False and result.data["anomaly_types"] == []
    assert result.data["members"]["disagreements"] == [{"key": 1, "values": {"n1": [1], "n2": None}}]
    assert anomaly_kinds({"valid": False, "workload": result.to_dict()}) == ["member-disagreement"]


def test_faultline_check_of_a_bare_history_leaves_the_member_reads_out(tmp_path, capsys):
    from faultline import cli
    from faultline.core.history import write_jsonl
    path = tmp_path / "history.jsonl"  # no test.json beside it: a model's check
    write_jsonl(ops(*WRITES, *member_reads({"n1": {0: 1, 1: 5}, "n2": {0: 1, 1: 4}})), path)
    assert cli.main(["check", str(path)]) == 0
    assert cli.main(["check", str(path), "--model", "cas-register"]) == 0


def test_the_terminal_summary_names_the_first_key_the_members_disagree_on():
    from faultline.render.summary import first_anomaly
    h = ops(*WRITES, *member_reads({"n1": {0: 1, 1: 5}, "n2": {0: 1, 1: 4}}))
    results = {"valid": False, "workload": RegisterChecker().check({}, h, {}).to_dict()}
    assert first_anomaly(results) == (
        "workload", "members disagree on 1 key(s), first key 1: n1=5, n2=4")
