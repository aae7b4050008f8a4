"""The runner end to end with an in-memory cluster and clients (no Docker)."""

import json
import re
import os
import signal
import threading
from types import SimpleNamespace

import pytest

from faultline import cli
from faultline.core.errors import ClusterError
from faultline.fakes import FakeCluster, FakeRegisters, fake_client_factory
from faultline.core.generator import cycle, nemesis, sleep
from faultline.core.op import NEMESIS
from faultline.runner.run import run_test
from faultline.runner.spec import build_test


class Clusters:
    def __init__(self, fail_up=False):
        self.made = []
        self.fail_up = fail_up

    def __call__(self, db, nodes, name, image=None):
        c = FakeCluster(db, [f"n{i + 1}" for i in range(nodes)])
        c.image = image
        if self.fail_up:
            def up():
                c.calls.append("up")
                raise ClusterError("never became healthy")
            c.up = up
        self.made.append(c)
        return c


def plan_for(tmp_path, **opts):
    return build_test({"db": "etcd", "time_limit": 0.5, "concurrency": 4, "seed": 1,
                       "results": str(tmp_path), "ops_per_key": 20, **opts})


def clients_over(registers, **kw):
    return lambda db, test: fake_client_factory(registers, **kw)


def test_valid_run_leaves_a_complete_run_directory(tmp_path):
    regs = FakeRegisters()
    clusters = Clusters()
    out = run_test(plan_for(tmp_path), cluster_factory=clusters,
                   client_factory=clients_over(regs, latency_s=0.001))
    assert out.valid is True and out.exit_code == 0
    assert clusters.made[0].calls == ["up", "collect_logs", "down"]
    files = set(os.listdir(out.run.path))
    assert {"test.json", "history.jsonl", "results.json", "report.html", "harness.log",
            "nodes"} <= files
    assert sorted(os.listdir(os.path.join(out.run.path, "nodes"))) == ["n1", "n2", "n3"]
    spec = json.loads(open(out.run.file("test.json")).read())
    assert spec["seed"] == 1 and spec["db"] == "etcd"
    results = json.loads(open(out.run.file("results.json")).read())
    assert results["stats"]["total"]["ok"] > 50
    assert os.path.realpath(tmp_path / "latest") == out.run.path
    assert "VALID" in open(out.run.report_path).read()
    assert regs.setup_calls == 1 and regs.teardown_calls == 1


def test_final_reads_cover_every_key(tmp_path):
    regs = FakeRegisters()
    out = run_test(plan_for(tmp_path), cluster_factory=Clusters(),
                   client_factory=clients_over(regs, latency_s=0.001))
    history = out.run.read_history()
    keys = {op.key for op in history}
    first_member_read = next(op.index for op in history if op.f == "member-read")
    tail = [op for op in history][:first_member_read][-2 * len(keys):]
    assert {op.key for op in tail if op.f == "read"} == keys
    members = {(op.node, op.key) for op in history if op.f == "member-read" and op.type == "ok"}
    assert members == {(node, k) for node in {op.node for op in history if op.node} for k in keys}
    assert out.results["workload"]["members"]["valid"] is True  # one store: they agree


def test_invalid_run_exits_1_with_a_counterexample(tmp_path):
    out = run_test(plan_for(tmp_path), cluster_factory=Clusters(),
                   client_factory=clients_over(FakeRegisters(stale_reads=0.3, seed=2),
                                               latency_s=0.001))
    assert out.valid is False and out.exit_code == 1
    assert "cannot be linearized" in open(out.run.report_path).read()


def test_leave_running_skips_cluster_down(tmp_path):
    clusters = Clusters()
    run_test(plan_for(tmp_path, leave_running=True), cluster_factory=clusters,
             client_factory=clients_over(FakeRegisters()))
    assert "down" not in clusters.made[0].calls


def test_cluster_that_never_comes_up_is_taken_down_and_reported(tmp_path):
    clusters = Clusters(fail_up=True)
    with pytest.raises(ClusterError):
        run_test(plan_for(tmp_path), cluster_factory=clusters,
                 client_factory=clients_over(FakeRegisters()))
    assert clusters.made[0].calls[-1] == "down"
    results = json.loads(open(tmp_path / "latest" / "results.json").read())
    assert results["valid"] == "unknown" and "never became healthy" in results["error"]


class FakeNemesis:
    def __init__(self):
        self.log = []

    def fs(self):
        return {"start", "stop"}

    def setup(self, test):
        assert test["cluster"] is not None and os.path.isdir(test["run_dir"])
        self.log.append("setup")

    def invoke(self, test, op):
        self.log.append(op.f)
        return op.with_(value=f"did {op.f}")

    def teardown(self, test):
        self.log.append("teardown")


def with_nemesis(plan, nem):
    plan.package = SimpleNamespace(
        nemesis=nem,
        generator=cycle([sleep(0.1), {"f": "start"}, sleep(0.1), {"f": "stop"}]),
        final_generator=nemesis([{"f": "stop"}, sleep(0.05)]))  # as faults.schedule.final routes it
    return plan


def test_nemesis_runs_between_setup_and_teardown_and_heals_at_the_end(tmp_path):
    nem = FakeNemesis()
    out = run_test(with_nemesis(plan_for(tmp_path), nem), cluster_factory=Clusters(),
                   client_factory=clients_over(FakeRegisters(), latency_s=0.001))
    assert nem.log[0] == "setup" and nem.log[-1] == "teardown" and "start" in nem.log
    assert nem.log[-2] == "stop"  # the final generator healed before teardown
    nem_ops = [op for op in out.run.read_history() if op.process == NEMESIS]
    assert nem_ops[1].type == "info" and nem_ops[1].value == "did start"


def test_sigterm_cleans_up_and_records_an_interrupted_run(tmp_path):
    nem = FakeNemesis()
    clusters = Clusters()
    plan = with_nemesis(plan_for(tmp_path, time_limit=30), nem)
    timer = threading.Timer(0.5, os.kill, (os.getpid(), signal.SIGTERM))
    timer.start()
    with pytest.raises(KeyboardInterrupt):
        run_test(plan, cluster_factory=clusters,
                 client_factory=clients_over(FakeRegisters(), latency_s=0.001))
    timer.cancel()
    assert nem.log[-1] == "teardown"
    assert clusters.made[0].calls[-1] == "down"
    results = json.loads(open(tmp_path / "latest" / "results.json").read())
    assert results["valid"] == "unknown" and results["error"] == "interrupted"
    assert signal.getsignal(signal.SIGTERM) is signal.SIG_DFL


def test_analyze_rechecks_a_stored_run(tmp_path, capsys):
    out = run_test(plan_for(tmp_path), cluster_factory=Clusters(),
                   client_factory=clients_over(FakeRegisters(), latency_s=0.001))
    os.remove(out.run.file("results.json"))
    code = cli.main(["analyze", str(tmp_path / "latest")])
    assert code == 0
    printed = capsys.readouterr().out.strip().splitlines()
    assert printed[-1] == out.run.report_path  # last: scripts read it from there
    assert printed[0].endswith(": VALID") and printed[1].startswith("ops: ")
    assert json.loads(open(out.run.file("results.json")).read())["valid"] is True


@pytest.mark.parametrize("argv, message", [
    (["--db", "etcd", "--concurrency", "0"], "--concurrency"),
    (["--db", "etcd", "--time-limit", "-1"], "--time-limit"),
    (["--db", "zookeeper", "--read-mode", "linearizable"], "--read-mode"),
    (["--db", "etcd", "--nemesis", "none,kill"], "--nemesis"),
    (["--db", "etcd", "--ops-per-key", "0"], "--ops-per-key"),
    (["--db", "etcd", "--etcd-transport", "udp"], "--transport for etcd must be one of http, grpc"),
    (["--db", "zookeeper", "--transport", "grpc"], "--transport for zookeeper must be one of kazoo"),
    (["--db", "etcd", "--nemesis", "flood"], "unknown nemesis flood"),
])
def test_bad_arguments_exit_254_with_one_line(argv, message, capsys, tmp_path):
    code = cli.main(["test", "--results", str(tmp_path), *argv])
    err = capsys.readouterr().err.strip()
    assert code == 254 and message in err and "\n" not in err
    assert not os.listdir(tmp_path)  # nothing was started or written


def test_progress_line_shows_ops_and_rate(tmp_path, capsys):
    run_test(plan_for(tmp_path, time_limit=1.5), cluster_factory=Clusters(),
             client_factory=clients_over(FakeRegisters(), latency_s=0.001), progress=True)
    err = capsys.readouterr().err
    assert re.search(r"\r\s+1\.\ds\s+\d+ ops\s+\d+ ok\s+\d+ ok/s", err)
    assert err.endswith("\r")  # the line is cleared at the end


@pytest.mark.parametrize("db, nemesis, image", [
    ("etcd", "clock", "faultline/etcd-clock:3.4"),
    ("etcd", "partition,clock", "faultline/etcd-clock:3.4"),
    ("etcd", "partition,kill", None),
    ("zookeeper", "clock", None),  # libfaketime is in the default ZooKeeper image
])
def test_clock_faults_choose_the_clock_capable_image(tmp_path, db, nemesis, image):
    clusters = Clusters(fail_up=True)  # stop right after the factory call
    with pytest.raises(ClusterError):
        run_test(plan_for(tmp_path, db=db, nemesis=nemesis), cluster_factory=clusters,
                 client_factory=clients_over(FakeRegisters()))
    assert clusters.made[0].image == image


def test_a_missing_clock_image_names_the_build_command(monkeypatch):
    import docker.errors
    from faultline.backends.compose.cluster import ComposeCluster
    from faultline.core.errors import PreflightError

    def missing(tag):
        raise docker.errors.ImageNotFound(tag)
    cluster = ComposeCluster("etcd", 3, image="faultline/etcd-clock:3.4")
    cluster._docker = SimpleNamespace(images=SimpleNamespace(get=missing))
    with pytest.raises(PreflightError, match=r"etcd-clock:3.4 is missing: "
                                             r"run `faultline images build --db etcd-clock`"):
        cluster.preflight()


@pytest.fixture
def terminal():
    """A root handler like the CLI's stderr one (logging.basicConfig), read back as text."""
    import io
    import logging
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    logging.getLogger().addHandler(handler)
    yield stream
    logging.getLogger().removeHandler(handler)


def test_a_failed_run_keeps_its_traceback_out_of_the_terminal(tmp_path, terminal):
    with pytest.raises(ClusterError):
        run_test(plan_for(tmp_path), cluster_factory=Clusters(fail_up=True),
                 client_factory=clients_over(FakeRegisters()))
    assert terminal.getvalue() == ""  # the CLI prints the error's one line itself
    log = open(tmp_path / "latest" / "harness.log").read()
    assert "Traceback" in log and "never became healthy" in log


def test_errors_during_cleanup_show_one_line_each_on_the_terminal(tmp_path, terminal):
    nem = FakeNemesis()

    def teardown(test):
        raise ClusterError("iptables vanished")
    nem.teardown = teardown
    run_test(with_nemesis(plan_for(tmp_path), nem), cluster_factory=Clusters(),
             client_factory=clients_over(FakeRegisters(), latency_s=0.001))
    lines = terminal.getvalue().splitlines()
    assert lines and all("iptables vanished" in line for line in lines)
    assert "Traceback" not in terminal.getvalue()
    assert "Traceback" in open(tmp_path / "latest" / "harness.log").read()


def test_a_cluster_that_cannot_be_removed_fails_the_run_after_writing_results(tmp_path):
    clusters = Clusters()

    def make(*args):
        cluster = clusters(*args)

        def down():
            raise ClusterError("docker went away")
        cluster.down = down
        return cluster
    with pytest.raises(ClusterError, match="docker went away"):
        run_test(plan_for(tmp_path), cluster_factory=make,
                 client_factory=clients_over(FakeRegisters(), latency_s=0.001))
    results = json.loads(open(tmp_path / "latest" / "results.json").read())
    assert results["valid"] == "unknown" and "docker went away" in results["error"]


@pytest.mark.parametrize("transport", ["http", "grpc"])
def test_the_etcd_transport_reaches_the_clients(tmp_path, transport):
    seen = []

    def clients(db, test):
        seen.append(test["transport"])
        return fake_client_factory(FakeRegisters(), latency_s=0.001)
    out = run_test(plan_for(tmp_path, transport=transport), cluster_factory=Clusters(),
                   client_factory=clients)
    assert seen and set(seen) == {transport}
    assert json.loads(open(out.run.file("test.json")).read())["transport"] == transport


def test_transports_default_to_the_dbs_first(tmp_path):
    assert plan_for(tmp_path).spec["transport"] == "http"  # etcd's JSON gateway
    assert plan_for(tmp_path, db="zookeeper").spec["transport"] == "kazoo"


def test_the_old_etcd_transport_option_still_works(tmp_path):
    assert plan_for(tmp_path, etcd_transport="grpc").spec["transport"] == "grpc"


CRASHING_RUN = """
import ctypes, sys
from faultline.fakes import FakeCluster, FakeRegisters, fake_client_factory
from faultline.runner.run import run_test
from faultline.runner.spec import build_test
plan = build_test({"db": "etcd", "time_limit": 0.2, "concurrency": 2, "seed": 1,
                   "results": sys.argv[1]})
def clusters(db, n, name, image=None):
    cluster = FakeCluster(db, ["n1", "n2", "n3"])
    cluster.down = lambda: ctypes.string_at(0)  # a segfault in native code
    return cluster
run_test(plan, cluster_factory=clusters,
         client_factory=lambda db, test: fake_client_factory(FakeRegisters()))
"""


def test_a_native_crash_leaves_the_python_stacks_in_harness_log(tmp_path):
    import subprocess
    import sys
    proc = subprocess.run([sys.executable, "-c", CRASHING_RUN, str(tmp_path)],
                          capture_output=True, text=True, timeout=60)
    assert proc.returncode == -signal.SIGSEGV
    (log,) = [os.path.join(d, "harness.log") for d, _, fs in os.walk(tmp_path) if "harness.log" in fs]
    text = open(log).read()
    assert "Fatal Python error: Segmentation fault" in text and "_collect_and_stop" in text


def test_runs_can_share_a_cluster_that_is_up(tmp_path):
    cluster = FakeCluster("etcd", ["n1", "n2", "n3"])
    cluster.up()
    regs = FakeRegisters()
    first = run_test(plan_for(tmp_path), cluster=cluster,
                     client_factory=clients_over(regs, latency_s=0.001))
    second = run_test(plan_for(tmp_path), cluster=cluster,
                      client_factory=clients_over(regs, latency_s=0.001))
    assert first.valid is True and second.valid is True and first.run.path != second.run.path
    assert cluster.calls == ["up", "collect_logs", "collect_logs"]  # never brought down
    assert cluster.is_up


def test_a_shared_cluster_must_fit_the_test(tmp_path):
    from faultline.core.errors import BadInputError
    cluster = FakeCluster("zookeeper", ["n1", "n2", "n3"])
    with pytest.raises(BadInputError, match="db 'zookeeper', the test needs 'etcd'"):
        run_test(plan_for(tmp_path), cluster=cluster,
                 client_factory=clients_over(FakeRegisters()))
