"""The words the Elle checker explains anomalies with: one sentence per cycle step, one
explanation per anomaly, transactions named T<id> with their history index."""

from __future__ import annotations

from faultline.checkers.elle import check_elle
from faultline.core.history import History
from faultline.core.op import Op


def history(*txns):
    """Transactions (process, outcome, micro-ops) all invoked, then all completed."""
    ops = [Op("invoke", "txn", [[f, k, None if f == "r" else v] for f, k, v in m], p)
           for p, _, m in txns]
    ops += [Op(kind, "txn", m, p) for p, kind, m in txns]
    return History(ops)


def test_read_skew_is_explained_step_by_step():
    h = history((0, "ok", [["append", "x", 1], ["append", "y", 1]]),
                (1, "ok", [["r", "x", None], ["r", "y", [1]]]))
    result = check_elle(h, workload="list-append", models=["serializable"])
    [anomaly] = result.data["anomalies"]["G-single-item"]
    assert [(s["from"], s["to"], s["rel"], s["key"]) for s in anomaly["steps"]] == [
        (1, 0, "rw", "x"), (0, 1, "wr", "y")]
    assert [s["text"] for s in anomaly["steps"]] == [
        "T1 read x empty, without 1, which T0 appended first",
        "T1 read y after T0 appended 1 (it saw that append)"]
    assert anomaly["explanation"].startswith(
        "T1, T0 form a cycle with exactly one anti-dependency (read skew): each must come "
        "before the next (T1 read x empty")
    assert [(t["txn"], t["index"], t["process"]) for t in anomaly["cycle"]] == [(1, 3, 1),
                                                                               (0, 2, 0)]


def test_register_steps_speak_of_versions():
    h = history((0, "ok", [["r", "x", None], ["r", "y", 1]]),
                (1, "ok", [["w", "y", 1], ["w", "x", 2]]))
    [anomaly] = check_elle(h, workload="rw-register").data["anomalies"]["G-single-item"]
    assert [s["text"] for s in anomaly["steps"]] == [
        "T0 read x empty, and T1 wrote x = 2, the next version",
        "T0 read y = 1, which T1 wrote"]


def test_real_time_steps_name_the_history_indices():
    ops = [Op("invoke", "txn", [["append", "x", 1]], 0), Op("ok", "txn", [["append", "x", 1]], 0),
           Op("invoke", "txn", [["r", "x", None]], 1), Op("ok", "txn", [["r", "x", None]], 1)]
    result = check_elle(History(ops), workload="list-append")
    [anomaly] = result.data["anomalies"]["G-single-item-realtime"]
    assert "T0 completed (history index 1) before T1 was invoked (index 2)" in [
        s["text"] for s in anomaly["steps"]]
    assert "with real-time order" in anomaly["explanation"]


def test_non_cycle_anomalies_say_what_was_read():
    h = history((0, "fail", [["append", "x", 1]]), (1, "ok", [["append", "x", 2]]),
                (2, "ok", [["r", "x", [1, 2]], ["r", "y", [7]]]),
                (3, "ok", [["r", "z", None], ["append", "z", 5], ["r", "z", None]]))
    found = check_elle(h, workload="list-append").data["anomalies"]
    assert found["G1a"][0]["explanation"] == (
        "T2 read x = [1, 2], which shows 1, written by T0, a transaction that failed "
        "(aborted read)")
    assert found["dirty-update"][0]["explanation"] == (
        "on x, T1 (committed) appended after T0 (failed): the versions [1, 2] build on "
        "aborted state")
    assert found["garbage-read"][0]["explanation"] == (
        "T2 read y = [7], but no transaction appended 7 to y")
    assert found["internal"][0]["explanation"] == (
        "T3 read z = [], but its own earlier micro-ops say it should be [5]")
    assert [t["txn"] for t in found["G1a"][0]["txns"]] == [2, 0]


def test_lost_update_names_both_transactions():
    h = history((0, "ok", [["r", "x", 0], ["w", "x", 1]]),
                (1, "ok", [["r", "x", 0], ["w", "x", 2]]))
    [case] = check_elle(h, workload="rw-register").data["anomalies"]["lost-update"]
    assert case["explanation"] == ("T0 and T1 both read x = 0 and then wrote x: each update "
                                   "was made without seeing the other")
