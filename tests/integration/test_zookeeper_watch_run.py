"""`faultline test --db zookeeper --workload watch` end to end on a real 3-node ZooKeeper:
one-time data watches re-armed on every event (faultline.checkers.zk_watch). ZooKeeper
promises that a client sees a znode's watch event before its new data, events in order,
and a view that never goes back; a short run without faults and one under partitions
keep those promises (valid), with a watcher on every member. Each run removes its
cluster (checked by ``faultline_test``)."""

from __future__ import annotations

import pytest

from test_txn_run import EXIT, faultline_test
from test_watch_run import sessions, watch_result

pytestmark = pytest.mark.integration


def test_zookeeper_watch_short_run_without_faults_is_valid(tmp_path):
    code, run_dir, results, history = faultline_test(
        tmp_path, "--db", "zookeeper", "--workload", "watch", "--time-limit", "15",
        "--concurrency", "6")
    found = watch_result(results)
    assert (code, results["valid"]) == (EXIT[True], True), found.get("anomalies")
    stats = found["stats"]
    assert stats["sessions"] >= 20 and stats["events"] >= 1000, stats
    assert stats["acknowledged_writes"] >= 500, stats
    assert {op["node"] for op in sessions(history)} == {"n1", "n2", "n3"}  # one per member
    with open(f"{run_dir}/report.html") as f:
        assert "reads that set a watch" in f.read()


def test_zookeeper_watch_under_partition_is_valid(tmp_path):
    code, _, results, history = faultline_test(
        tmp_path, "--db", "zookeeper", "--workload", "watch", "--time-limit", "25",
        "--concurrency", "6", "--nemesis", "partition", "--nemesis-interval", "5")
    found = watch_result(results)
    faults = [op for op in history if op["process"] == "nemesis" and op["type"] == "info"]
    assert faults, "the nemesis did nothing"
    assert found["stats"]["events"] >= 500, found["stats"]
    assert (code, results["valid"]) == (EXIT[True], True), found.get("anomalies")
