"""`faultline scenario run NAME` on real clusters: a known positive (etcd's serializable
reads under partition) is flagged with a stale read, a known negative (the set on etcd
under kill) passes, each in one short run, and neither leaves its cluster behind.
About 1.5 minutes in all."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys

import pytest

from support import leftovers

pytestmark = pytest.mark.integration


def scenario_run(tmp_path, name: str, time_limit: int) -> tuple[int, str, dict, str]:
    """(exit code, stdout, results.json, the cluster's name) of one run of ``name``."""
    proc = subprocess.run([sys.executable, "-m", "faultline.cli", "scenario", "run", name,
                           "--runs", "1", "--seed", "3", "--time-limit", str(time_limit),
                           "--results", str(tmp_path)],
                          capture_output=True, text=True, timeout=300)
    runs = [d for d, _, files in os.walk(tmp_path) if "results.json" in files]
    assert len(runs) == 1, (proc.returncode, proc.stdout[-2000:], proc.stderr[-2000:])
    with open(os.path.join(runs[0], "results.json")) as f:
        results = json.load(f)
    with open(os.path.join(runs[0], "test.json")) as f:
        spec = json.load(f)
    assert spec["name"] == name and spec["time_limit"] == time_limit and spec["seed"] == 3
    with open(os.path.join(runs[0], "harness.log")) as f:
        cluster = re.search(r"cluster (faultline-\S+) is up", f.read()).group(1)
    return proc.returncode, proc.stdout, results, cluster


def test_a_known_positive_is_flagged_with_a_stale_read(tmp_path):
    code, out, results, cluster = scenario_run(tmp_path, "etcd-serializable-reads-partition", 15)
    assert leftovers(cluster) == ([], []), "the scenario left its cluster behind"
    assert results["valid"] is False, out
    assert code == 0, out
    assert "[1/1] etcd-serializable-reads-partition run 1 seed 3: INVALID - met: flagged with" in out
    assert "first anomaly at" in out
    assert "1/1 runs met the expectation (flagged)" in out


def test_a_known_negative_passes(tmp_path):
    code, out, results, cluster = scenario_run(tmp_path, "etcd-set-kill", 10)
    assert leftovers(cluster) == ([], []), "the scenario left its cluster behind"
    assert (code, results["valid"]) == (0, True), out
    assert "VALID - met: passed, as expected" in out
    assert results["workload"]["members"]["valid"] is True  # every member holds the same set
