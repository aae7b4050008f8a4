"""`faultline test --workload lock|election` end to end on real 3-node clusters.

Issue 9's lock and election acceptance: short runs without faults are valid (the lock
service keeps holders apart, the guarded counter ends at the acknowledged increments, the
leader's log entries stay within their terms). And the etcd lock under pauses longer than
its lease (Jepsen 2020: etcd locks are unsafe under process pauses): a paused holder's
lease expires, another process takes the lock, and the paused one's guarded write lands
when it resumes. That run must finish with a verdict and a report; whether this run
catches an overlap is measured (bench/detection), not asserted.
Each run removes its cluster (checked by ``faultline_test``).
"""

from __future__ import annotations

import pytest

from test_txn_run import EXIT, faultline_test

pytestmark = pytest.mark.integration


PAUSE_RUN = ("--db", "etcd", "--workload", "lock", "--time-limit", "30", "--concurrency", "6",
             "--lock-ttl-s", "2", "--nemesis", "pause", "--nemesis-interval", "6",
             "--op-timeout", "20")
"""Pauses of 6 s, a lease of 2 s, and requests that wait out a pause (the client timeout
is half the op timeout: 10 s): a holder whose node is paused keeps its read and its put
in flight while its lease expires and another takes the lock; the put lands on resume."""


def found_of(results: dict, kind: str) -> dict:
    found = results["workload"]
    assert found["kind"] == kind, found
    return found


@pytest.mark.parametrize("db", ["etcd", "zookeeper"])
def test_lock_short_run_is_valid(tmp_path, db):
    code, run_dir, results, history = faultline_test(
        tmp_path, "--db", db, "--workload", "lock", "--time-limit", "20", "--concurrency", "5")
    found = found_of(results, "lock")
    assert (code, results["valid"]) == (EXIT[True], True), found
    key = found["keys"]["0"]
    acked = [op for op in history if op["f"] == "incr" and op["type"] == "ok"]
    assert key["acknowledged"] == len(acked) >= 100
    finals = [op for op in history if op["f"] == "read" and op["type"] == "ok"]
    unknown = sum(1 for op in history if op["f"] == "incr" and op["type"] == "info")
    assert len(acked) <= finals[-1]["value"] <= len(acked) + unknown  # seen directly
    assert sorted(op["value"][0] for op in acked) == list(range(len(acked))) or unknown
    assert found["mutex"]["valid"] is True and found["lock_lost_count"] == 0
    with open(f"{run_dir}/report.html") as f:
        assert "acquire/release against a mutex" in f.read()


def test_lock_on_etcd_under_pauses_longer_than_the_lease_reaches_a_verdict(tmp_path):
    code, run_dir, results, history = faultline_test(
        tmp_path, *PAUSE_RUN)
    found = found_of(results, "lock")
    assert code in (EXIT[True], EXIT[False], EXIT["unknown"]), found
    pauses = [op for op in history if op["process"] == "nemesis" and op["f"] == "pause"]
    assert pauses, "the nemesis never paused a node"
    assert set(found["counts"]) == {"duplicate_reads", "lost", "unexpected", "overlapping"}
    print("etcd lock under pause:", results["valid"], found["counts"],
          "lock lost:", found["lock_lost_count"], "mutex:", found["mutex"]["valid"])
    with open(f"{run_dir}/report.html") as f:
        assert "acquire/release against a mutex" in f.read()


def test_election_on_etcd_short_run_is_valid(tmp_path):
    code, _, results, history = faultline_test(
        tmp_path, "--db", "etcd", "--workload", "election", "--time-limit", "20",
        "--concurrency", "4")
    found = found_of(results, "election")
    assert (code, results["valid"]) == (EXIT[True], True), found
    counts = found["counts"]
    assert counts["terms"] >= 1 and counts["entries"] >= 100 and counts["stale"] == 0
    acts = [op for op in history if op["f"] == "act" and op["type"] == "ok"]
    assert len({op["value"]["term"] for op in acts}) == counts["terms"] or counts["terms"] > 1
