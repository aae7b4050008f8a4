"""The Elle checker's driver: ElleChecker, the budget, models and anomalies asked for,
bad input, and generated concurrent histories."""

from __future__ import annotations

import pytest
from hypothesis import given, settings, strategies as st

from faultline.checkers.elle import ElleChecker, check_elle
from faultline.checkers.elle.synth import list_append_history
from faultline.core.errors import BadInputError
from faultline.core.history import History
from faultline.core.op import Op

STALE_READ = History([
    Op("invoke", "txn", [["append", "x", 1]], 0), Op("ok", "txn", [["append", "x", 1]], 0),
    Op("invoke", "txn", [["r", "x", None]], 1), Op("ok", "txn", [["r", "x", None]], 1)])


def test_the_checker_takes_its_models_from_the_test_and_its_budget_from_opts():
    checker = ElleChecker("list-append", models=["strict-serializable"])
    assert checker.check({}, STALE_READ, {}).valid is False
    assert checker.check({"consistency_models": "serializable"}, STALE_READ, {}).valid is True
    assert checker.check({"consistency_models": ["serializable"]}, STALE_READ, {}).valid is True
    result = checker.check({"check_time_limit": 30}, STALE_READ, {})
    assert result.data["anomaly_types"] == ["G-single-item-realtime"]
    assert result.data["kind"] == "elle" and result.data["models"] == ["strict-serializable"]


def test_no_models_checks_only_the_anomalies_asked_for():
    h = History([Op("ok", "txn", [["append", "x", 1], ["append", "x", 2]], 0),
                 Op("ok", "txn", [["r", "x", [1]]], 1)])  # G1b, and a G-single-item cycle
    assert check_elle(h, workload="list-append", models=[], anomalies=["G0"]).valid is True
    g1 = check_elle(h, workload="list-append", models=[], anomalies=["G1"])
    assert (g1.valid, g1.data["anomaly_types"]) == (False, ["G1b"])
    assert g1.data["not"] == ["read-committed"]  # from everything found


def test_past_the_time_limit_the_undecided_types_are_unknown_never_valid():
    h = History(list_append_history(2000, stale_reads=30, seed=1))
    result = check_elle(h, workload="list-append", time_limit=1e-9)
    assert result.valid == "unknown"
    assert "G-single-item-realtime" in result.data["unknown"]
    assert result.data["reason"].startswith("cycle search stopped after")
    assert check_elle(h, workload="list-append").data["unknown"] == []


@settings(max_examples=8, deadline=None)
@given(seed=st.integers(0, 2**16), info=st.sampled_from([0.0, 0.1]),
       fail=st.sampled_from([0.0, 0.1]))
def test_concurrent_strict_serializable_histories_pass_and_stale_reads_do_not(seed, info, fail):
    ops = list_append_history(400, processes=6, info_rate=info, fail_rate=fail, seed=seed)
    assert check_elle(History(ops), workload="list-append").valid is True
    stale = History(list_append_history(400, processes=6, stale_reads=3, info_rate=info,
                                        fail_rate=fail, seed=seed))
    result = check_elle(stale, workload="list-append")
    assert result.valid is False
    assert all(t.endswith("-realtime") for t in result.data["anomaly_types"])
    assert check_elle(stale, workload="list-append", models=["serializable"]).valid is True


@pytest.mark.parametrize("kwargs, message", [
    ({"workload": "bank"}, "unknown transactional workload 'bank'"),
    ({"workload": "list-append", "models": ["serialisable"]}, "unknown consistency model"),
    ({"workload": "list-append", "anomalies": ["G3"]}, r"unknown anomalies \['G3'\]"),
    ({"workload": "list-append", "options": {"wfr_keys": True}}, "list-append takes no options"),
    ({"workload": "rw-register", "options": {"wfr": True}}, "unknown rw-register options"),
])
def test_bad_arguments_are_refused(kwargs, message):
    with pytest.raises(BadInputError, match=message):
        check_elle(STALE_READ, **kwargs)


def test_a_value_appended_twice_is_refused():
    h = History([Op("ok", "txn", [["append", "x", 1]], 0),
                 Op("ok", "txn", [["append", "x", 1]], 1)])
    with pytest.raises(BadInputError, match="appended to key 'x' by two transactions"):
        check_elle(h, workload="list-append")


@pytest.mark.parametrize("workload, mops, message", [
    ("list-append", [["r", "x", 5]], "a list-append read shows a list"),
    ("rw-register", [["r", "x", [1, 2]]], "an rw-register micro-op holds one value"),
])
def test_a_read_the_workload_cannot_show_is_refused(workload, mops, message):
    h = History([Op("ok", "txn", [["append" if workload == "list-append" else "w", "x", 1]], 0),
                 Op("ok", "txn", mops, 1)])
    with pytest.raises(BadInputError, match=message):
        check_elle(h, workload=workload)
