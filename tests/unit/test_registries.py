"""The registries are open: a db, a workload, a fault and a backend registered from this
module alone show up in the CLI's choices, the spec's validation, preflight, healing and
the report's legend, and ``faultline test`` runs end to end on them (no Docker)."""

import json
import os
from dataclasses import dataclass, field, replace

import pytest

from faultline import cli
from faultline.backends import BACKENDS
from faultline.checkers.independent import PerKey
from faultline.checkers.linearizable import check_linearizable
from faultline.checkers.models import get_model
from faultline.core.errors import BadInputError
from faultline.core.generator.protocol import PENDING, fill_op
from faultline.core.options import Option
from faultline.core.registry import Registry
from faultline.dbs import DBS, Database, Image
from faultline.fakes import FakeBackend, FakeRegisters, fake_client_factory
from faultline.faults import FAULTS
from faultline.faults.base import completion
from faultline.faults.protocol import Part
from faultline.faults.schedule import FaultOps
from faultline.runner.spec import build_test
from faultline.workloads import WORKLOADS

# ---- a workload: unique writes to a few keys, and reads ---------------------------------

WRITES = Option("fake_writes", 40, "writes per key", int, minimum=1, metavar="N")


@dataclass(frozen=True)
class Scribbles:
    """Writes 1, 2, 3, ... to keys 0..2 in turn, a read after every write."""

    written: tuple[int, ...] = (0, 0, 0)
    limit: int = 40
    turn: int = 0

    def op(self, test, ctx):
        key = self.turn % 3
        if self.written[key] >= self.limit:
            return None
        if not ctx.has_free_process():
            return PENDING, self
        if self.turn % 2:
            op, written = {"f": "read", "value": None, "key": key}, self.written
        else:
            n = self.written[key] + 1
            op, written = {"f": "write", "value": n, "key": key}, \
                self.written[:key] + (n,) + self.written[key + 1:]
        filled = fill_op(op, ctx)
        if filled is None:
            return PENDING, self
        return filled, replace(self, written=written, turn=self.turn + 1)

    def update(self, test, ctx, event):
        return self


class ScribbleChecker:
    def check(self, test, history, opts):
        return check_linearizable(history, PerKey(get_model("register", initial=None)))


class ScribbleWorkload:
    name = "scribble"
    options = (WRITES,)

    def generator(self, test):
        return Scribbles(limit=test[WRITES.name])

    def final_generator(self, test, history):
        return [{"f": "read", "value": None, "key": k} for k in range(3)]

    def checker(self, test):
        return ScribbleChecker()


# ---- a db whose clients are in-memory registers -------------------------------------

REGISTERS = {}


def memory_clients(test):
    return fake_client_factory(REGISTERS.setdefault(test["key_prefix"], FakeRegisters()),
                               latency_s=0.001)


MEMDB = Database(
    name="memdb", version="0", client_port=1, peer_ports=(),
    images={"default": Image("memdb", "faultline/memdb:0", "memdb/Dockerfile", ("memdb",))},
    launcher="/bin/true", read_modes=("any",), transports=("memory",),
    clients={"scribble": {"memory": memory_clients}},
    probe_healthy=lambda host, port: True, probe_status=lambda host, port: None,
    pick_leader=lambda statuses: None)


# ---- a fault that only records what it is asked to do -------------------------------

class JoltNemesis:
    def __init__(self, record):
        self.record = record
        self.preflight = "not given"

    def fs(self):
        return {"start-jolt", "stop-jolt"}

    def setup(self, test, preflight=None):
        self.preflight = preflight
        self.record.ensure_open(test["cluster"], test.get("run_dir"))

    def invoke(self, test, op):
        if op.f == "start-jolt":
            self.record.set("jolt", {"nodes": ["n2"]})
            return completion(op, {"nodes": ["n2"]})
        self.record.clear("jolt")
        return completion(op, {"healed": True})

    def teardown(self, test):
        self.record.clear("jolt")


@dataclass
class Jolt:
    name: str = "jolt"
    heal_rank: int = 25
    label: str = "jolt (a fake fault)"
    colour: str = "#a1b2c3"
    image_role: str | None = None
    start_fs: frozenset = frozenset({"start-jolt"})
    stop_fs: frozenset = frozenset({"stop-jolt"})
    preflighted: list = field(default_factory=list)
    healed: list = field(default_factory=list)
    nemeses: list = field(default_factory=list)

    def build(self, opts, record):
        nemesis = JoltNemesis(record)
        self.nemeses.append(nemesis)
        return Part(nemesis, FaultOps("jolt", lambda rng: {"f": "start-jolt", "value": None},
                                      {"f": "stop-jolt", "value": None}))

    def preflight(self, cluster, nemesis):
        self.preflighted.append(cluster.name)
        return "jolts by hand"

    def heal(self, cluster):
        self.healed.append(cluster.name)
        return "unjolted"


@pytest.fixture
def fakes():
    jolt, backend = Jolt(), FakeBackend("memory")
    with DBS.registered(MEMDB), WORKLOADS.registered(ScribbleWorkload()), \
            FAULTS.registered(jolt), BACKENDS.registered(backend):
        yield jolt, backend
    REGISTERS.clear()


def test_they_are_choices_of_the_cli(fakes, capsys):
    with pytest.raises(SystemExit):
        cli.main(["test", "--help"])
    help_text = " ".join(capsys.readouterr().out.split())  # argparse wraps lines
    for shown in ("memdb", "scribble", "--fake-writes", "jolt", "memory", "memdb: any (default)"):
        assert shown in help_text


def test_the_spec_validates_their_options(fakes):
    spec = build_test({"db": "memdb", "workload": "scribble", "backend": "memory"}).spec
    assert (spec["fake_writes"], spec["read_mode"], spec["transport"]) == (40, "any", "memory")
    with pytest.raises(BadInputError, match="--fake-writes must be an integer >= 1, got 0"):
        build_test({"db": "memdb", "workload": "scribble", "fake_writes": 0})
    with pytest.raises(BadInputError, match="--read-mode for memdb must be one of any"):
        build_test({"db": "memdb", "workload": "scribble", "read_mode": "sync"})
    with pytest.raises(BadInputError, match="workload scribble has no client for etcd"):
        build_test({"db": "etcd", "workload": "scribble"})
    with pytest.raises(BadInputError, match="--ops-per-key does not apply to workload scribble"):
        build_test({"db": "memdb", "workload": "scribble", "ops_per_key": 5})


def test_faultline_test_runs_end_to_end_on_them(fakes, tmp_path, capsys):
    jolt, backend = fakes
    code = cli.main(["test", "--db", "memdb", "--workload", "scribble", "--backend", "memory",
                     "--nemesis", "jolt", "--nemesis-interval", "0.2", "--nemesis-recovery", "0.1",
                     "--time-limit", "1", "--fake-writes", "60", "--results", str(tmp_path)])
    printed = capsys.readouterr().out.strip().splitlines()
    report = printed[-1]  # the summary first, the report's path last
    assert code == 0
    assert printed[0] == "memdb-scribble-jolt: VALID" and printed[2].startswith("faults: jolt x")
    run_dir = os.path.dirname(report)
    (cluster,) = backend.clusters.values()
    assert cluster.calls[0] == "up" and cluster.calls[-1] == "down"
    # preflight probed the cluster once and handed what it found to setup
    assert jolt.preflighted == [cluster.name]
    assert jolt.nemeses[-1].preflight == "jolts by hand"
    history = [json.loads(line) for line in open(os.path.join(run_dir, "history.jsonl"))]
    assert any(op["f"] == "start-jolt" and op["type"] == "info" for op in history)
    assert sum(op["f"] == "write" and op["type"] == "ok" for op in history) > 20
    spec = json.load(open(os.path.join(run_dir, "test.json")))
    assert (spec["db"], spec["workload"], spec["backend"], spec["fake_writes"]) == \
        ("memdb", "scribble", "memory", 60)
    assert json.load(open(os.path.join(run_dir, "results.json")))["valid"] is True
    page = open(report).read()
    assert "jolt (a fake fault)" in page and "#a1b2c3" in page  # the report's legend
    # healing from the run's record goes through the backend that made the cluster
    record = json.load(open(os.path.join(run_dir, "faults.json")))
    assert record["cluster"]["backend"] == "memory"
    assert jolt.healed == [cluster.name]  # setup heals what an earlier run may have left
    assert cli.main(["cluster", "heal", run_dir]) == 0
    assert jolt.healed == [cluster.name] * 2


def test_a_registry_refuses_a_second_entry_of_the_same_name(fakes):
    with pytest.raises(ValueError, match="a db called 'memdb' is registered already"):
        DBS.register(replace(MEMDB))
    assert "memdb" in DBS


def test_an_unknown_name_lists_the_choices():
    registry = Registry("widget", "faultline.workloads", "WORKLOAD")
    with pytest.raises(BadInputError, match="unknown widget 'gadget': choose from .*register"):
        registry.get("gadget")
