"""A harness killed with SIGKILL mid-fault: `faultline cluster heal RUN_DIR` restores the cluster.

Runs a real ``faultline test`` in a subprocess with frequent partitions and pauses, kills
it (no teardown can run) the moment a fault is visibly in place, then heals from the run
directory alone and checks the cluster is whole again.
"""

from __future__ import annotations

import glob
import json
import os
import re
import signal
import subprocess
import sys
import time

import pytest

import nodekv
from faultline import cli
from faultline.cluster.partition import partitioner_for
from faultline.backends.compose.running import attach, running_clusters
from support import wait_until

pytestmark = pytest.mark.integration


def wait_for_record(results: str, proc: subprocess.Popen, timeout: float = 120.0) -> str:
    """The run directory once the nemesis has opened its faults.json."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        assert proc.poll() is None, "the test ended before its nemesis was set up"
        found = glob.glob(os.path.join(results, "*", "*", "faults.json"))
        if found:
            return os.path.dirname(found[0])
        time.sleep(0.1)
    raise AssertionError("no faults.json appeared")


def damage(cluster) -> list[str]:
    """What is broken now: nodes with partition rules, paused servers."""
    net = partitioner_for(cluster)
    return ([f"{n} rules" for n in cluster.nodes if net.rules(n)]
            + [f"{n} paused" for n in cluster.nodes if cluster.server_state(n) == "paused"])


def test_cluster_heal_restores_what_a_sigkilled_harness_left(tmp_path):
    results = str(tmp_path / "results")
    proc = subprocess.Popen(
        [sys.executable, "-m", "faultline.cli", "test", "--db", "etcd", "--workload", "register",
         "--nemesis", "pause,partition", "--nemesis-interval", "3", "--time-limit", "120",
         "--concurrency", "2", "--results", results],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    name = None
    try:
        run_dir = wait_for_record(results, proc)
        with open(os.path.join(run_dir, "faults.json"), encoding="utf-8") as fh:
            name = json.load(fh)["cluster"]["name"]
        cluster = attach(name)
        # Kill the harness the moment a fault is visibly in place (faults last 3 s).
        wait_until(lambda: damage(cluster), 90, "a fault in place")
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=10)
        with open(os.path.join(run_dir, "faults.json"), encoding="utf-8") as fh:
            record = json.load(fh)
        assert record["active"], "the record lists what was active when the harness died"
        assert damage(cluster), "nobody healed: the harness died without teardown"
        assert name in running_clusters(), "SIGKILL leaves the cluster running"

        assert cli.main(["cluster", "heal", run_dir]) == 0
        with open(os.path.join(run_dir, "faults.json"), encoding="utf-8") as fh:
            assert json.load(fh)["active"] == {}
        net = partitioner_for(cluster)
        for node in cluster.nodes:
            assert net.rules(node) == [], node
            assert cluster.server_state(node) == "running", node
        nodekv.wait_all_serve(cluster)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        if name is None:  # find the cluster the killed run made, to remove it anyway
            for log in glob.glob(os.path.join(results, "*", "*", "harness.log")):
                with open(log, encoding="utf-8") as fh:
                    found = re.search(r"cluster (faultline-\S+) is up", fh.read())
                name = found.group(1) if found else None
        if name is not None and name in running_clusters():
            attach(name).down()
