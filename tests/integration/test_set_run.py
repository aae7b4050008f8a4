"""`faultline test --workload set` end to end on real 3-node clusters.

Issue 9's set acceptance: a short run per db is valid, and so is the set on etcd under
kill (a known negative): every acknowledged add is in the final read, nothing unexpected,
and every member, read on its own after the final heal, holds the same set. And a known
positive: etcd's serializable reads under partition are stale, which ``--set-linearizable``
makes invalid.
Each run removes its cluster (checked by ``faultline_test``).
"""

from __future__ import annotations

import pytest

from test_txn_run import EXIT, faultline_test

pytestmark = pytest.mark.integration


def set_result(results: dict) -> dict:
    found = results["workload"]
    assert found["kind"] == "set", found
    return found


def final_read(history: list[dict]) -> list:
    reads = [op for op in history if op["f"] == "read" and op["type"] == "ok"]
    assert reads, "no read succeeded"
    return reads[-1]["value"]


@pytest.mark.parametrize("db", ["etcd", "zookeeper"])
def test_set_short_run_is_valid(tmp_path, db):
    code, run_dir, results, history = faultline_test(
        tmp_path, "--db", db, "--workload", "set", "--time-limit", "20", "--concurrency", "5")
    found = set_result(results)
    assert (code, results["valid"]) == (EXIT[True], True), found.get("examples")
    counts = found["counts"]
    acked = {op["value"] for op in history if op["f"] == "add" and op["type"] == "ok"}
    assert counts["acknowledged"] == len(acked) >= 500
    assert acked <= set(final_read(history))  # what the checker said, seen directly
    assert counts["lost"] == counts["unexpected"] == 0 and counts["stable"] >= len(acked)
    assert found["latencies_ms"]["visible_after_ack"]["count"] >= len(acked)
    members = found["members"]  # every member read on its own after the final read agrees
    assert members["valid"] is True and sorted(members["members"]) == ["n1", "n2", "n3"]
    assert all(m["count"] == len(final_read(history)) for m in members["members"].values())
    with open(f"{run_dir}/report.html") as f:
        assert "Latencies (ms)" in f.read()


def test_set_on_etcd_under_kill_is_valid(tmp_path):
    code, _, results, history = faultline_test(
        tmp_path, "--db", "etcd", "--workload", "set", "--time-limit", "30", "--concurrency", "5",
        "--nemesis", "kill", "--nemesis-interval", "6")
    found = set_result(results)
    assert (code, results["valid"]) == (EXIT[True], True), found.get("examples")
    kills = [op for op in history if op["process"] == "nemesis" and op["f"] == "kill"]
    assert kills, "the nemesis never killed a node"
    acked = {op["value"] for op in history if op["f"] == "add" and op["type"] == "ok"}
    assert len(acked) >= 300 and acked <= set(final_read(history))
    assert found["counts"]["lost"] == 0
    assert found["members"]["valid"] is True, found["members"]  # the killed ones caught up


def test_set_on_etcd_with_serializable_reads_under_partition_shows_stale_reads(tmp_path):
    # A node cut off from the leader serves serializable reads from its own state: reads
    # there miss adds the majority acknowledged meanwhile. Half the ops read, so that the
    # processes on the cut-off node (whose adds hang until they time out) read often.
    code, _, results, history = faultline_test(
        tmp_path, "--db", "etcd", "--workload", "set", "--time-limit", "30", "--concurrency", "6",
        "--read-mode", "serializable", "--nemesis", "partition", "--nemesis-interval", "5",
        "--set-read-fraction", "0.5", "--set-linearizable")
    found = set_result(results)
    assert (code, results["valid"]) == (EXIT[False], False), found["counts"]
    counts = found["counts"]
    assert counts["stale"] > 0 and counts["lost"] == counts["unexpected"] == 0, counts
    worst = found["examples"]["stale"][0]
    assert worst["last_missed"]["time_s"] > worst["known_s"]  # began after the add was known
    assert found["members"]["valid"] is True  # healed: the members caught up
