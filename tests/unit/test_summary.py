"""The terminal summary: verdict, op counts, throughput, faults applied, the first anomaly
(or why unknown) in one sentence; from real checker results on histories made here."""

from __future__ import annotations

from faultline.checkers.linearizable import check_linearizable
from faultline.checkers.models import get_model
from faultline.checkers.stats import op_counts
from faultline.core.history import History
from faultline.core.op import FAIL, INFO, INVOKE, NEMESIS, OK, Op
from faultline.core.result import Result, compose
from faultline.render.summary import faults_text, first_anomaly, summary_lines, why_unknown

S = 1_000_000_000


def history(read_value=2):
    """Two writes, a read of ``read_value`` (1: stale, not linearizable), a failed write, an
    unknown one; a partition from 1 s to 3 s and a kill from 2 s never healed."""
    return History([
        Op(INVOKE, "write", 1, 0, 0), Op(OK, "write", 1, 0, S // 2),
        Op(INVOKE, "start-partition", None, NEMESIS, S),
        Op(INFO, "start-partition", {"grudge": {"n1": ["n2", "n3"]}}, NEMESIS, S),
        Op(INVOKE, "write", 2, 1, S + 1), Op(OK, "write", 2, 1, S + 2),
        Op(INVOKE, "kill", None, NEMESIS, 2 * S),
        Op(INFO, "kill", {"nodes": ["n2"]}, NEMESIS, 2 * S),
        Op(INVOKE, "read", None, 2, 2 * S + 1), Op(OK, "read", read_value, 2, 2 * S + 2),
        Op(INVOKE, "write", 3, 3, 2 * S + 3), Op(FAIL, "write", 3, 3, 2 * S + 4),
        Op(INVOKE, "write", 4, 4, 2 * S + 5), Op(INFO, "write", 4, 4, 2 * S + 6, error="timeout"),
        Op(INVOKE, "stop-partition", None, NEMESIS, 3 * S),
        Op(INFO, "stop-partition", None, NEMESIS, 4 * S),
    ])


def results_of(h, **opts):
    checked = check_linearizable(h, get_model("register", initial=0), **opts)
    return compose({"workload": checked, "stats": Result(True, op_counts(h))}).to_dict()


def test_a_valid_run_says_verdict_counts_throughput_and_faults():
    h = history()
    lines = summary_lines(results_of(h), h, name="etcd-register")
    assert lines == [
        "etcd-register: VALID",
        "ops: 5 (3 ok, 1 fail, 1 info, 0 pending) in 4 s, 0.8 ok/s",
        "faults: partition x1, kill x1 (5.0 s in effect)",  # 1-4 s, and 2 s to the end
    ]


def test_an_invalid_run_gives_its_first_anomaly_in_one_sentence():
    h = history(read_value=1)
    lines = summary_lines(results_of(h), h)
    assert lines[0] == "INVALID"
    (anomaly,) = [line for line in lines if line.startswith("first anomaly")]
    assert anomaly.startswith("first anomaly (workload): [read 1] (op 8) returned a value "
                              "that [write 2] (op 4) had already overwritten")
    assert "\n" not in anomaly


def hard():
    """Concurrent writes of 0 and 1 and a read of 7 nobody wrote: a search to exhaust."""
    n = 14
    return History([*(Op(INVOKE, "write", i % 2, i, i) for i in range(n)),
                    Op(INVOKE, "read", None, n, n), Op(OK, "read", 7, n, n + 1),
                    *(Op(OK, "write", i % 2, i, n + 2 + i) for i in range(n))])


def test_an_unknown_run_says_why():
    h = hard()
    results = results_of(h, time_limit=0.0)
    lines = summary_lines(results, h)
    assert lines[0] == "UNKNOWN"
    assert lines[-1].startswith("why unknown: time limit of 0 s reached after ")
    assert lines[-1].endswith(" configurations over 15 ops")
    interrupted = {"valid": "unknown", "error": "interrupted",
                   "stats": Result(True, op_counts(h)).to_dict()}
    assert summary_lines(interrupted, h)[-1] == "why unknown: interrupted"


def test_no_faults_and_an_empty_history():
    assert faults_text(History()) == "none"
    lines = summary_lines({"valid": "unknown", "error": "run aborted: boom"}, History())
    assert lines == ["UNKNOWN", "ops: 0 (0 ok, 0 fail, 0 info, 0 pending) in 0 s, 0.0 ok/s",
                     "faults: none", "why unknown: run aborted: boom"]


def test_an_elle_result_gives_its_first_anomaly_type_and_explanation():
    results = {"valid": False, "workload": {
        "kind": "elle", "valid": False, "anomaly_types": ["G1c", "G2-item"],
        "anomalies": {"G2-item": [{"explanation": "later"}],
                      "G1c": [{"explanation": "T1 wrote x after T2 read it, and ..."}]}}}
    assert first_anomaly(results) == ("workload", "G1c: T1 wrote x after T2 read it, and ...")
    assert why_unknown({"valid": "unknown", "a": {"valid": "unknown", "reason": "budget"},
                        "b": {"valid": True}}) == "budget"


def test_a_torn_history_is_said_to_be_incomplete():
    h = history()
    results = {**results_of(h), "incomplete_history": {
        "torn_line": 17, "reason": "the last line (17) of history.jsonl was cut short"}}
    assert "checked an incomplete history: the last line (17) of history.jsonl was cut " \
        "short" in summary_lines(results, h)
