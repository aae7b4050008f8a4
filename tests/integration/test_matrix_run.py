"""``faultline matrix`` on real clusters: two dbs x two fault sets, one cluster per db
reused by its entries, the exit code the worst verdict, the JUnit file one case per entry
with its run directory; interrupted, it removes its clusters and exits 130."""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import time
import xml.etree.ElementTree as ET

import pytest

from faultline.runner.matrix import worst
from support import leftovers

pytestmark = pytest.mark.integration

MATRIX = """
[defaults]
time_limit = 6
concurrency = 5
nemesis_interval = 2
nemesis_recovery = 2
results = "{results}"

[[test]]
[test.product]
db = ["etcd", "zookeeper"]
nemesis = ["none", "partition"]
"""


def _clusters_of(run_dir):
    return re.findall(r"cluster (faultline-\S+) is up", open(os.path.join(run_dir, "harness.log")).read())


def test_a_matrix_exits_with_its_worst_verdict_and_writes_junit(tmp_path):
    path = tmp_path / "nightly.toml"
    path.write_text(MATRIX.format(results=tmp_path / "results"))
    junit = tmp_path / "nightly.xml"
    done = subprocess.run([sys.executable, "-m", "faultline.cli", "matrix", str(path),
                           "--junit", str(junit)], capture_output=True, text=True, timeout=600)
    summary = json.loads((tmp_path / "results" / "nightly.matrix.json").read_text())
    entries = summary["entries"]
    assert [e["name"] for e in entries] == [
        "etcd-register-none", "etcd-register-partition", "zookeeper-register-none",
        "zookeeper-register-partition"], done.stderr
    assert done.returncode == summary["exit_code"] == worst([e["exit_code"] for e in entries])
    assert sum(line.startswith("[") for line in done.stdout.splitlines()) == 4
    for e in entries:   # each verdict is its run's
        results = json.loads(open(os.path.join(e["run_dir"], "results.json")).read())
        assert results["valid"] == e["valid"] and results["stats"]["total"]["ok"] > 0

    cases = ET.parse(junit).getroot().find("testsuite").findall("testcase")
    assert len(cases) == 4
    for case, e in zip(cases, entries):
        props = {p.get("name").removeprefix("faultline."): p.get("value")
                 for p in case.find("properties")}
        assert props["run_dir"] == e["run_dir"] and os.path.isdir(props["run_dir"])
        assert props["verdict"] == e["verdict"] and props["seed"] == str(e["seed"])

    # one cluster per db, reused by both of its entries, and none left behind
    names = [_clusters_of(e["run_dir"]) for e in entries]
    assert names[0] == names[1] and names[2] == names[3] and names[0] != names[2]
    for (name,) in names[::2]:
        assert leftovers(name) == ([], [])
    index = (tmp_path / "results" / "index.html").read_text()
    assert index.count("<tr data-test=") == 4


def test_an_interrupted_matrix_removes_its_cluster_and_exits_130(tmp_path):
    path = tmp_path / "long.toml"
    path.write_text(f'[defaults]\ndb = "etcd"\nconcurrency = 3\nresults = "{tmp_path}"\n'
                    '[[test]]\ntime_limit = 2\nname = "short"\n'
                    '[[test]]\ntime_limit = 120\nname = "long"\n')
    proc = subprocess.Popen([sys.executable, "-m", "faultline.cli", "matrix", str(path)],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    log_path = None
    deadline = time.monotonic() + 180
    while time.monotonic() < deadline and log_path is None:
        logs = [os.path.join(d, "harness.log") for d, _, files in os.walk(tmp_path / "long")
                if "harness.log" in files]
        if logs and "main phase" in open(logs[0]).read():
            log_path = logs[0]
        time.sleep(0.5)
    assert log_path, "the second entry never reached its main phase"
    proc.send_signal(signal.SIGTERM)
    out, err = proc.communicate(timeout=120)
    assert proc.returncode == 130, err
    (name,) = _clusters_of(os.path.dirname(log_path))
    assert leftovers(name) == ([], [])
    summary = json.loads((tmp_path / "long.matrix.json").read_text())
    assert summary["interrupted"]
    short, long = summary["entries"]
    assert (short["name"], long["name"], long["verdict"], long["error"]) == (
        "short", "long", "unknown", "interrupted")
    assert summary["entries"][1]["run_dir"] == os.path.dirname(log_path)
