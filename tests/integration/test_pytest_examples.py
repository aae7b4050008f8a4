"""The example suite (examples/consistency/) as a user runs it: copied into a project and
run by pytest against real clusters, with short runs (~2.5 min in all). Its tests pass,
the known positive (ZooKeeper plain reads under partition) is flagged, the JUnit file
carries each run's directory, seed and verdict, and the failing assertion of an invalid
run (a test added to the copy that expects the known positive to be valid) names the
anomaly and the report; no cluster of the session is left behind."""

import json
import os
import shutil
import subprocess
import sys
import xml.etree.ElementTree as ET

import pytest

pytestmark = pytest.mark.integration

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
EXAMPLE = os.path.join(ROOT, "examples", "consistency")

EXPECTS_VALID = '''
import pytest


@pytest.mark.faultline(db="zookeeper", read_mode="plain", nemesis="partition",
                       time_limit=30, nemesis_interval=5, nemesis_recovery=3)
def test_plain_reads_under_partition_expected_valid(faultline_run):
    faultline_run().assert_valid()
'''


def clusters() -> set[str]:
    out = subprocess.run(["docker", "ps", "-a", "--format", "{{.Names}}"], capture_output=True,
                         text=True, check=True).stdout.split()
    return {name for name in out if name.startswith("faultline-")}


def test_the_example_suite_runs_in_a_users_project(tmp_path):
    project = tmp_path / "project"
    shutil.copytree(EXAMPLE, project / "consistency")
    (project / "consistency" / "test_zz_expects_valid.py").write_text(EXPECTS_VALID)
    before = clusters()
    proc = subprocess.run(
        [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "consistency",
         "--faultline-time-limit", "5", "--faultline-results", str(tmp_path / "results"),
         "--junitxml", str(tmp_path / "junit.xml")],
        cwd=project, capture_output=True, text=True, timeout=420)
    out = proc.stdout
    assert proc.returncode == 1, out[-6000:] + proc.stderr[-2000:]  # only the added test fails
    assert "1 failed, 5 passed" in out, out[-4000:]
    assert clusters() - before == set(), "the session's clusters were not removed"

    cases = {case.get("name"): (case, {p.get("name"): p.get("value") for p in case.iter("property")})
             for case in ET.parse(tmp_path / "junit.xml").getroot().iter("testcase")}
    assert len(cases) == 6
    for name, (case, props) in cases.items():
        assert {"faultline.run_dir", "faultline.seed", "faultline.verdict",
                "faultline.report"} <= set(props), name
        results = json.load(open(os.path.join(props["faultline.run_dir"], "results.json")))
        assert {True: "valid", False: "invalid"}.get(results["valid"], "unknown") == \
            props["faultline.verdict"]
        assert json.load(open(os.path.join(props["faultline.run_dir"], "test.json")))["seed"] \
            == int(props["faultline.seed"])
    assert cases["test_etcd_stays_linearizable[etcd-register-partition,kill-linearizable]"][1][
        "faultline.verdict"] == "valid"
    assert cases["test_zookeeper_plain_reads_are_stale_under_partition"][1][
        "faultline.verdict"] == "invalid"

    # The added test's failure, as CI shows it: the verdict, the anomaly, the report.
    case, props = cases["test_plain_reads_under_partition_expected_valid"]
    message = case.find("failure").get("message") + case.find("failure").text
    assert "expected a valid history: zookeeper-register-partition is invalid" in message
    assert "this op cannot be linearized" in message
    assert f"report: {props['faultline.report']}" in message
    assert os.path.isfile(props["faultline.report"])
    assert f"report: {props['faultline.report']}" in out
