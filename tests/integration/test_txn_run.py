"""`faultline test` end to end with the transactional workloads on real 3-node clusters.

Issue 12's acceptance: a 60 s list-append run on etcd under partition,kill,pause exits 0
(strict serializable) with several thousand committed transactions; the same under
partition with serializable reads is flagged with a named real-time anomaly; a ZooKeeper
list-append run completes with a verdict and a report; a short rw-register run on each db
(etcd over both transports).
Every run removes its cluster.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys

import pytest

from support import leftovers

pytestmark = pytest.mark.integration

EXIT = {True: 0, False: 1, "unknown": 2}


def faultline_test(tmp_path, *args: str) -> tuple[int, str, dict, list[dict]]:
    """(exit code, run directory, results.json, history) of one `faultline test` run."""
    proc = subprocess.run([sys.executable, "-m", "faultline.cli", "test", "--results", str(tmp_path),
                           "--check-time-limit", "60", *args],
                          capture_output=True, text=True, timeout=400)
    runs = [d for d, _, files in os.walk(tmp_path) if "results.json" in files]
    assert len(runs) == 1, (proc.returncode, proc.stderr[-2000:])
    run_dir = runs[0]
    with open(os.path.join(run_dir, "results.json")) as f:
        results = json.load(f)
    with open(os.path.join(run_dir, "history.jsonl")) as f:
        history = [json.loads(line) for line in f]
    with open(os.path.join(run_dir, "harness.log")) as f:
        cluster = re.search(r"cluster (faultline-\S+) is up", f.read()).group(1)
    assert leftovers(cluster) == ([], []), "the run left its cluster behind"
    return proc.returncode, run_dir, results, history


def committed(history: list[dict]) -> list[dict]:
    return [op for op in history if op["type"] == "ok" and op["f"] == "txn"]


def elle_result(results: dict) -> dict:
    """The workload checker's result (kind "elle") inside results.json."""
    found = results["workload"]
    assert found["kind"] == "elle", found
    return found


def test_etcd_list_append_under_partition_kill_pause_is_strict_serializable(tmp_path):
    code, run_dir, results, history = faultline_test(
        tmp_path, "--db", "etcd", "--workload", "list-append", "--time-limit", "60",
        "--nemesis", "partition,kill,pause")
    elle = elle_result(results)
    assert (code, results["valid"]) == (0, True), (elle.get("anomaly_types"), elle.get("reason"))
    assert elle["models"] == ["strict-serializable"]
    ok = committed(history)
    assert len(ok) >= 5000
    assert sum(any(m[0] == "append" for m in op["value"]) for op in ok) >= 2000
    assert any(op["type"] == "info" for op in history if op["process"] != "nemesis")
    assert os.path.exists(os.path.join(run_dir, "report.html"))


def test_etcd_serializable_reads_under_partition_are_flagged_with_a_realtime_anomaly(tmp_path):
    # Default options: about a quarter of the transactions are read-only, and each one a
    # node cut off from the leader serves is a chance of a stale read (docs/workloads.md).
    code, _, results, history = faultline_test(
        tmp_path, "--db", "etcd", "--workload", "list-append", "--time-limit", "60",
        "--nemesis", "partition", "--read-mode", "serializable")
    elle = elle_result(results)
    assert (code, results["valid"]) == (1, False), elle.get("reason")
    realtime = [t for t in elle["anomaly_types"] if t.endswith("-realtime")]
    assert realtime, elle["anomaly_types"]
    case = elle["anomalies"][realtime[0]][0]
    assert any(step["rel"] == "rw" for step in case["steps"]), case
    assert any(step["rel"] == "realtime" for step in case["steps"]), case
    assert "strict-serializable" in elle["not"] + elle["also_not"]


def test_zookeeper_list_append_gets_a_verdict_and_a_report(tmp_path):
    code, run_dir, results, history = faultline_test(
        tmp_path, "--db", "zookeeper", "--workload", "list-append", "--time-limit", "30",
        "--nemesis", "partition", "--nemesis-interval", "8")
    elle = elle_result(results)
    assert results["valid"] in (True, False), elle.get("reason")
    assert code == EXIT[results["valid"]]
    assert elle["models"] == ["strict-serializable"]
    assert len(committed(history)) >= 1000
    with open(os.path.join(run_dir, "report.html")) as f:
        assert "list-append" in f.read()


@pytest.mark.parametrize("db, transport", [("etcd", "http"), ("etcd", "grpc"),
                                           ("zookeeper", "kazoo")])
def test_rw_register_short_run_is_valid(tmp_path, db, transport):
    code, _, results, history = faultline_test(
        tmp_path, "--db", db, "--workload", "rw-register", "--time-limit", "15",
        "--transport", transport)
    elle = elle_result(results)
    assert (code, results["valid"]) == (0, True), (elle.get("anomaly_types"), elle.get("reason"))
    ok = committed(history)
    assert len(ok) >= 500
    reads = [m for op in ok for m in op["value"] if m[0] == "r" and m[2] is not None]
    assert reads and all(isinstance(m[2], int) for m in reads)
