"""The pytest plugin (faultline/pytest/), run in inner pytest sessions (``pytester``) over
an in-memory db and backend (faultline.fakes): shared clusters healed between tests, the
failure message of an invalid run, JUnit properties, the command line options, skips
without Docker and a clear failure for a fault the cluster cannot do. No Docker."""

import asyncio
import json
import xml.etree.ElementTree as ET

import matplotlib.figure  # noqa: F401 - see below
import pytest

from faultline.core import eventloop
from faultline.core.errors import BadInputError
from faultline.pytest import matrix
from faultline.runner import run  # noqa: F401 - see below

pytest_plugins = ["pytester"]

# The inner sessions run in this process, and pytester drops the modules each one
# imported: the harness and its event loop are loaded here, once, so that uvloop (which
# cannot be loaded twice) and asyncio agree on the CancelledError class in every session.
# The same for matplotlib: the reports the inner runs write draw with it, and numpy under
# it cannot be loaded twice in one process either.
eventloop.run(asyncio.sleep(0))

# The inner sessions' conftest: a db whose register clients are in-memory (read mode
# "stale" serves old values: invalid histories), a backend of fake clusters and a fault
# that is only healed (counted); what the clusters saw is written to clusters.json.
CONFTEST = '''
import contextlib
import json

import pytest

from faultline.backends import BACKENDS
from faultline.core.errors import PreflightError
from faultline.dbs import DBS, Database, Image
from faultline.fakes import FakeBackend, FakeCluster, FakeRegisters, fake_client_factory
from faultline.faults import FAULTS, FaultKind

REGISTERS = {}


def memory_clients(test):
    stale = 0.5 if test["read_mode"] == "stale" else 0.0
    registers = REGISTERS.setdefault(test["key_prefix"], FakeRegisters(stale_reads=stale))
    return fake_client_factory(registers, latency_s=0.001)


MEMDB = Database(
    name="memdb", version="0", client_port=1, peer_ports=(),
    images={"default": Image("memdb", "faultline/memdb:0", "memdb/Dockerfile", ("memdb",))},
    launcher="/bin/true", read_modes=("fresh", "stale"), transports=("memory",),
    clients={"register": {"memory": memory_clients}},
    probe_healthy=lambda host, port: True, probe_status=lambda host, port: None,
    pick_leader=lambda statuses: None)


HEALED = []


def heal(cluster):
    HEALED.append(cluster.name)
    return "healed"


COUNTED = FaultKind(name="counted", heal_rank=25, label="counted heals", colour="#123456",
                    start_fs=frozenset(), stop_fs=frozenset(), build=None,
                    preflight=lambda cluster, nemesis: None, heal=heal)
BACKEND = FakeBackend("memory")


class ImagelessCluster(FakeCluster):
    """Fails preflight as a compose cluster whose image is not built does."""

    def up(self):
        self.calls.append("up")
        raise PreflightError("image faultline/memdb:0 is missing: "
                             "run `faultline images build --db memdb`")


class Imageless(FakeBackend):
    def create(self, db, nodes, **kw):
        made = super().create(db, nodes, **kw)
        self.clusters[made.name] = ImagelessCluster(made.db, made.nodes, made.name, self.name)
        return self.clusters[made.name]


IMAGELESS = Imageless("imageless")
REGISTERED = contextlib.ExitStack()


def pytest_configure(config):  # before collection: a matrix validates its entries then
    for registry, entry in ((DBS, MEMDB), (BACKENDS, BACKEND), (BACKENDS, IMAGELESS),
                            (FAULTS, COUNTED)):
        REGISTERED.enter_context(registry.registered(entry))


def pytest_unconfigure(config):
    REGISTERED.close()


@pytest.hookimpl(trylast=True)
def pytest_sessionfinish(session):
    with open("clusters.json", "w") as fh:
        json.dump({"calls": {n: c.calls for n, c in BACKEND.clusters.items()},
                   "imageless": [c.calls for c in IMAGELESS.clusters.values()],
                   "healed": HEALED}, fh)
'''

ON_MEMDB = 'import pytest\npytestmark = pytest.mark.faultline(db="memdb", backend="memory", time_limit=0.3)\n'


@pytest.fixture
def inner(pytester):
    pytester.makeconftest(CONFTEST)
    return pytester


def seen(pytester):
    return json.loads((pytester.path / "clusters.json").read_text())


def test_runs_share_a_cluster_healed_between_tests_and_removed_at_the_end(inner):
    inner.makepyfile(ON_MEMDB + '''
def test_one(faultline_run):
    faultline_run().assert_valid()

def test_two(faultline_run):
    result = faultline_run()
    assert result.verdict == "valid" and result.counts["total"]["ok"] > 10
    assert result.anomalies == []

def test_own(faultline_run):
    faultline_run(own_cluster=True).assert_valid()
''')
    inner.runpytest().assert_outcomes(passed=3)
    calls = seen(inner)["calls"]
    assert len(calls) == 2  # the session's and test_own's
    for cluster_calls in calls.values():
        assert cluster_calls[0] == "up" and cluster_calls[-1] == "down"
        assert cluster_calls.count("up") == 1
    shared = [name for name, c in calls.items() if c.count("collect_logs") == 2]
    assert seen(inner)["healed"] == shared  # before test_two, not before the first use


def test_an_invalid_run_fails_with_one_paragraph_naming_the_anomaly_and_the_report(inner):
    inner.makepyfile(ON_MEMDB + '''
def test_stale(faultline_run):
    faultline_run(read_mode="stale", time_limit=1).assert_valid()

def test_flagged(faultline_run):
    result = faultline_run(read_mode="stale", time_limit=1).assert_flagged()
    assert result.anomalies[0].checker == "workload"

def test_not_flagged(faultline_run):
    faultline_run().assert_flagged()
''')
    result = inner.runpytest()
    result.assert_outcomes(passed=1, failed=2)
    result.stdout.fnmatch_lines([
        "E *AssertionError: expected a valid history: memdb-register-none is invalid (seed *,"
        " faults none; * ok, * fail, * info ops)",
        "E *first anomaly, workload*:",
        "E *this op cannot be linearized: op #*",
        "E *report: */memdb-register-none/*/report.html",
        "E *AssertionError: expected the checker to flag an anomaly: memdb-register-none is valid*",
    ])
    report = next(line.split("report: ", 1)[1] for line in result.outlines if "report: " in line)
    assert open(report.strip()).read().lower().startswith("<!doctype html>")


def test_junit_properties_carry_run_dir_seed_and_verdict(inner):
    inner.makepyfile(ON_MEMDB.replace(", time_limit=0.3", "") + '''
def test_fresh(faultline_run):
    faultline_run().assert_valid()

def test_stale(faultline_run):
    faultline_run(read_mode="stale", time_limit=1.5, seed=7)
''')
    inner.runpytest("--junitxml=out.xml", "--faultline-seed=42", "--faultline-time-limit=0.2",
                    "--faultline-results=runs").assert_outcomes(passed=2)
    cases = {case.get("name"): {p.get("name"): p.get("value") for p in case.iter("property")}
             for case in ET.parse(inner.path / "out.xml").getroot().iter("testcase")}
    assert cases["test_fresh"]["faultline.seed"] == "42"  # the command line's default
    assert cases["test_stale"]["faultline.seed"] == "7"  # the test's own wins
    assert (cases["test_fresh"]["faultline.verdict"], cases["test_stale"]["faultline.verdict"]) \
        == ("valid", "invalid")
    for props in cases.values():
        run_dir = inner.path / props["faultline.run_dir"]
        assert run_dir.parent.parent == inner.path / "runs"
        assert json.loads((run_dir / "results.json").read_text())["valid"] is \
            (props["faultline.verdict"] == "valid")
        assert props["faultline.report"] == str(run_dir / "report.html")
    spec = json.loads((inner.path / cases["test_fresh"]["faultline.run_dir"] / "test.json").read_text())
    assert spec["time_limit"] == 0.2


def test_keep_cluster_leaves_the_clusters_and_names_them(inner):
    inner.makepyfile(ON_MEMDB + '''
@pytest.mark.parametrize("faultline_cluster", ["memdb"], indirect=True)
def test_one(faultline_run, faultline_cluster):
    assert faultline_cluster.is_up and faultline_cluster.db == "memdb"
    faultline_run().assert_valid()
''')
    result = inner.runpytest("--faultline-keep-cluster")
    result.assert_outcomes(passed=1)
    ((name, calls),) = seen(inner)["calls"].items()
    assert "down" not in calls
    result.stdout.fnmatch_lines([f"faultline: left cluster {name} running (remove it: "
                                 f"faultline cluster down --name {name})"])


def test_without_docker_the_tests_skip_with_the_reason(pytester, monkeypatch):
    monkeypatch.setenv("DOCKER_HOST", "unix:///nonexistent/docker.sock")
    pytester.makepyfile('''
import pytest

def test_etcd(faultline_run):
    faultline_run(db="etcd", time_limit=1).assert_valid()

@pytest.mark.faultline(db="zookeeper")
def test_zookeeper(faultline_cluster):
    raise AssertionError("never reached")
''')
    result = pytester.runpytest("-ra")
    result.assert_outcomes(skipped=2)
    result.stdout.fnmatch_lines([
        "SKIPPED * faultline: etcd cluster unavailable: Docker is not running or not reachable*",
        "SKIPPED * faultline: zookeeper cluster unavailable: Docker is not running*"])


def test_a_missing_image_skips_every_test_of_that_cluster_after_one_try(inner):
    inner.makepyfile(ON_MEMDB + '''
pytestmark = pytest.mark.faultline(db="memdb", backend="imageless")

def test_one(faultline_run):
    faultline_run().assert_valid()

def test_two(faultline_cluster):
    raise AssertionError("never reached")
''')
    result = inner.runpytest("-ra")
    result.assert_outcomes(skipped=2)
    result.stdout.fnmatch_lines(["SKIPPED * faultline: memdb cluster unavailable: image "
                                 "faultline/memdb:0 is missing: run `faultline images build "
                                 "--db memdb`"] * 2)
    assert seen(inner)["imageless"] == [["up"]]


def test_an_interrupted_session_still_removes_its_clusters(inner):
    inner.makepyfile(ON_MEMDB + '''
def test_interrupted(faultline_run):
    faultline_run().assert_valid()
    raise KeyboardInterrupt

def test_never_run():
    pass
''')
    result = inner.runpytest_inprocess(no_reraise_ctrlc=True)
    assert result.ret == pytest.ExitCode.INTERRUPTED
    ((name, calls),) = seen(inner)["calls"].items()
    assert calls[-1] == "down"


def test_a_fault_the_cluster_cannot_do_fails_with_one_line(inner):
    inner.makepyfile(ON_MEMDB + '''
def test_partition(faultline_run):
    faultline_run(nemesis="partition").assert_valid()

def test_bad_option(faultline_run):
    faultline_run(nemesis="flood")
''')
    result = inner.runpytest()
    result.assert_outcomes(failed=2)
    result.stdout.fnmatch_lines([
        "*faultline: memdb-register-partition cannot run: *partition*",
        "faultline: unknown nemesis flood; choose from *"])
    assert "Traceback" not in result.stdout.str()


def test_a_matrix_has_readable_ids_and_checks_its_entries_when_collected():
    mark = matrix(db=["etcd", "zookeeper"], nemesis=["none", "partition,kill"],
                  read_mode={"zookeeper": ["sync", "plain"]}, time_limit=5)
    argname, params = mark.args
    assert argname == "faultline_spec"
    assert [p.id for p in params] == [
        "etcd-register-none", "etcd-register-partition,kill",
        "zookeeper-register-none-sync", "zookeeper-register-none-plain",
        "zookeeper-register-partition,kill-sync", "zookeeper-register-partition,kill-plain"]
    assert params[1].values[0] == {"db": "etcd", "workload": "register",
                                   "nemesis": ["partition", "kill"], "time_limit": 5}
    with pytest.raises(BadInputError, match="--read-mode for etcd must be one of"):
        matrix(db=["etcd"], read_mode=["plain"])


def test_a_matrix_parametrizes_faultline_run(inner):
    inner.makepyfile(ON_MEMDB + '''
from faultline.pytest import matrix

@matrix(db=["memdb"], read_mode=["fresh", "stale"], backend="memory", time_limit=1)
def test_entry(faultline_run, faultline_spec):
    result = faultline_run(**faultline_spec)
    assert result.verdict == ("valid" if faultline_spec["read_mode"] == "fresh" else "invalid")
''')
    result = inner.runpytest("-v")
    result.assert_outcomes(passed=2)
    result.stdout.fnmatch_lines(["*test_entry?memdb-register-none-fresh? PASSED*",
                                 "*test_entry?memdb-register-none-stale? PASSED*"])
