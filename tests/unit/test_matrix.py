"""``faultline matrix``: the file's entries (lists, products, bad entries named before any
runs), the run over fake clusters (reused per db, healed between entries, removed at the
end, also when interrupted), the worst-verdict exit code and the JUnit file parsed back."""

import json
import os
import xml.etree.ElementTree as ET

import pytest

from faultline import cli
from faultline.backends import BACKENDS
from faultline.core.errors import BadInputError
from faultline.dbs import DBS, Database, Image
from faultline.fakes import FakeBackend, FakeRegisters, fake_client_factory
from faultline.faults import FAULTS
from faultline.runner import matrix
from faultline.runner import run as run_module
from faultline.runner.matrix import load_matrix, parse_matrix, run_matrix, worst

# the fake fault of the registries' test (tests/unit is on sys.path: no __init__.py)
from test_registries import Jolt

REGISTERS = {}


def _db(name, stale_reads=0.0):
    def clients(test):
        regs = REGISTERS.setdefault((name, test["key_prefix"]),
                                    FakeRegisters(stale_reads=stale_reads, seed=1))
        return fake_client_factory(regs, latency_s=0.0005)
    return Database(
        name=name, version="0", client_port=1, peer_ports=(),
        images={"default": Image(name, f"faultline/{name}:0", f"{name}/Dockerfile", (name,))},
        launcher="/bin/true", read_modes=("any", "other"), transports=("memory",),
        clients={"register": {"memory": clients}},
        probe_healthy=lambda host, port: True, probe_status=lambda host, port: None,
        pick_leader=lambda statuses: None)


@pytest.fixture
def fakes(tmp_path):
    backend, fault = FakeBackend("memory"), Jolt()
    with DBS.registered(_db("gooddb")), DBS.registered(_db("staledb", stale_reads=0.6)), \
            FAULTS.registered(fault), BACKENDS.registered(backend):
        yield backend, fault
    REGISTERS.clear()


def _file(tmp_path, text):
    path = tmp_path / "nightly.toml"
    path.write_text(f'[defaults]\nbackend = "memory"\ntime_limit = 0.3\nconcurrency = 3\n'
                    f'nemesis_interval = 0.1\nnemesis_recovery = 0\nops_per_key = 20\n'
                    f'results = "{tmp_path / "results"}"\n' + text)
    return str(path)


# ---- the file -----------------------------------------------------------------------

def test_a_list_and_a_product_expand_in_order(fakes, tmp_path):
    entries = load_matrix(_file(tmp_path, """
[[test]]
db = "gooddb"
name = "first"
[[test]]
read_mode = "other"
[test.product]
db = ["gooddb", "staledb"]
nemesis = ["none", ["jolt"]]
"""))
    assert [e.plan.name for e in entries] == [
        "first", "gooddb-register-none", "gooddb-register-jolt", "staledb-register-none",
        "staledb-register-jolt"]
    assert all(e.plan.spec["read_mode"] == "other" for e in entries[1:])
    assert entries[0].plan.spec["time_limit"] == 0.3          # from [defaults]
    assert entries[2].where == "test 2, product db=gooddb nemesis=jolt"
    assert [e.index for e in entries] == [1, 2, 3, 4, 5]


@pytest.mark.parametrize("text, message", [
    ('[[test]]\ndb = "gooddb"\n[[test]]\ndb = "gooddb"\nread_mode = "sync"\n',
     r"entry 2 \(test 2\): --read-mode for gooddb must be one of any, other"),
    ('[[test]]\n[test.product]\ndb = ["gooddb", "nodb"]\n',
     r"entry 2 \(test 1, product db=nodb\): .*nodb"),
    ('[[test]]\ndb = "gooddb"\n[test.product]\nnemesis = "jolt"\n',
     r"test 1: product.nemesis must be a non-empty list"),
    ('[[test]]\ndb = "gooddb"\n[test.product]\ndb = ["staledb"]\n',
     r"test 1: db is both fixed and in the product"),
    ('[[test]]\ndb = "gooddb"\ntime_limt = 3\n', r"entry 1 \(test 1\): unknown test option"),
    ('[[tests]]\ndb = "gooddb"\n', r"unknown top-level key\(s\) tests"),
    ('db = [', r"not valid TOML"),
])
def test_a_bad_entry_is_named_before_anything_runs(fakes, tmp_path, text, message):
    with pytest.raises(BadInputError, match=message):
        load_matrix(_file(tmp_path, text))


def test_an_empty_matrix_is_refused():
    with pytest.raises(BadInputError, match="no \\[\\[test\\]\\] entries"):
        parse_matrix({"defaults": {}}, "m.toml")


def test_the_command_exits_254_naming_the_entry_and_runs_nothing(fakes, tmp_path, capsys):
    backend, _ = fakes
    path = _file(tmp_path, '[[test]]\ndb = "gooddb"\n[[test]]\ndb = "gooddb"\nnodes = 4\n')
    assert cli.main(["matrix", path]) == 254
    assert "entry 2 (test 2): --nodes must be one of 3, 5" in capsys.readouterr().err
    assert backend.clusters == {}


# ---- running --------------------------------------------------------------------------

def test_worst_verdict_ranks_invalid_then_cannot_run_then_unknown():
    assert worst([]) == 0
    assert worst([0, 2, 0]) == 2
    assert worst([2, 254, 0]) == 254
    assert worst([254, 1, 2]) == 1


def test_a_matrix_reuses_one_cluster_per_db_and_exits_with_the_worst_verdict(
        fakes, tmp_path, capsys):
    backend, fault = fakes
    path = _file(tmp_path, """
[[test]]
[test.product]
db = ["gooddb", "staledb"]
nemesis = ["jolt", "none"]
[[test]]
db = "gooddb"
nodes = 5
""")
    junit = tmp_path / "out" / "nightly.xml"
    code = cli.main(["matrix", path, "--junit", str(junit)])
    out = capsys.readouterr().out
    assert code == 1                                   # staledb serves stale reads
    lines = [l for l in out.splitlines() if l.startswith("[")]
    assert len(lines) == 5 and lines[0].startswith("[1/5] gooddb-register-jolt")
    assert "INVALID" in lines[2] and "VALID" in lines[0]
    # gooddb x3 nodes, staledb x3 nodes, then gooddb x5 nodes: three clusters, all removed
    clusters = list(backend.clusters.values())
    assert [(c.db, len(c.nodes)) for c in clusters] == [("gooddb", 3), ("staledb", 3), ("gooddb", 5)]
    assert all(c.calls.count("up") == 1 and c.calls[-1] == "down" for c in clusters)
    assert len(fault.healed) >= 2                      # healed after each entry with faults

    suite = ET.parse(junit).getroot().find("testsuite")
    cases = suite.findall("testcase")
    assert len(cases) == 5 and suite.get("failures") == str(
        sum(c.find("failure") is not None for c in cases))
    props = [{p.get("name").removeprefix("faultline."): p.get("value")
              for p in c.find("properties")} for c in cases]
    summary = json.loads((tmp_path / "results" / "nightly.matrix.json").read_text())
    assert summary["exit_code"] == 1
    for case, prop, entry in zip(cases, props, summary["entries"]):
        assert prop["run_dir"] == entry["run_dir"] and (tmp_path / entry["run_dir"]).is_dir()
        assert prop["seed"] == str(entry["seed"]) and prop["verdict"] == entry["verdict"]
        assert (case.find("failure") is not None) == (entry["verdict"] == "invalid")
        if entry["verdict"] == "invalid":
            assert entry["run_dir"] + "/report.html" in case.find("failure").get("message")
    assert {e["verdict"] for e in summary["entries"]} == {"valid", "invalid"}


class _BrokenUp(FakeBackend):
    """Clusters of ``db`` fail to come up with ``error``."""

    def __init__(self, db, error):
        super().__init__("memory")
        self.db, self.error = db, error

    def create(self, db, nodes, **kw):
        cluster = super().create(db, nodes, **kw)
        if db.name == self.db:
            def up():
                cluster.calls.append("up")
                raise self.error
            cluster.up = up
        return cluster


@pytest.mark.parametrize("error, code, verdict", [
    (BadInputError("image faultline/staledb:0 is missing"), 254, "error"),
    (RuntimeError("docker went away"), 2, "unknown"),
])
def test_an_entry_that_cannot_run_is_recorded_and_the_matrix_goes_on(
        tmp_path, error, code, verdict):
    backend = _BrokenUp("staledb", error)
    with DBS.registered(_db("gooddb")), DBS.registered(_db("staledb")), \
            BACKENDS.registered(backend):
        entries = load_matrix(_file(tmp_path, '[[test]]\n[test.product]\n'
                                              'db = ["staledb", "gooddb"]\n'))
        outcome = run_matrix(entries)
    assert [r.verdict for r in outcome.results] == [verdict, "valid"]
    assert outcome.exit_code == code
    assert str(error) in outcome.results[0].error
    assert all(c.calls[-1] == "down" for c in backend.clusters.values())


def test_an_interrupt_removes_every_cluster_and_keeps_what_finished(fakes, tmp_path, monkeypatch):
    backend, _ = fakes
    entries = load_matrix(_file(tmp_path, '[[test]]\n[test.product]\n'
                                          'db = ["gooddb", "staledb", "gooddb"]\n'))
    real = matrix.run_test
    calls = []

    def interrupted_second(plan, **kw):
        calls.append(plan.name)
        if len(calls) == 2:
            raise KeyboardInterrupt("SIGTERM")
        return real(plan, **kw)

    monkeypatch.setattr(matrix, "run_test", interrupted_second)
    with pytest.raises(KeyboardInterrupt) as caught:
        run_matrix(entries)
    outcome = caught.value.outcome
    assert outcome.interrupted
    assert [(r.verdict, r.error) for r in outcome.results] == [("valid", None),
                                                               ("unknown", "interrupted")]
    assert calls == ["gooddb-register-none", "staledb-register-none"]
    assert all(c.calls[-1] == "down" for c in backend.clusters.values())


def test_a_run_that_fails_midway_is_recorded_with_its_run_directory(fakes, tmp_path,
                                                                     monkeypatch):
    async def broken_drive(self):
        raise RuntimeError("worker crashed")

    monkeypatch.setattr(run_module._Run, "drive", broken_drive)
    entries = load_matrix(_file(tmp_path, '[[test]]\ndb = "gooddb"\n'))
    (result,) = run_matrix(entries).results
    assert (result.verdict, result.error) == ("unknown", "RuntimeError: worker crashed")
    results = json.loads(open(os.path.join(result.run_dir, "results.json")).read())
    assert "worker crashed" in results["error"]
