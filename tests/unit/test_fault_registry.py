"""The fault registry: a fault kind registered anywhere is packaged, probed, healed and
shaded like the built-ins; a package's setup probes each node once per probe."""

from collections import Counter

import pytest

from faultline.cluster import clock, packet, partition
from faultline.core.errors import BadInputError, PreflightError
from faultline.core.history import History
from faultline.core.op import INFO, INVOKE, NEMESIS, Op
from faultline.faults import FAULTS, Fault, FaultKind, Part, fault_intervals, heal_cluster, package, preflight
from faultline.faults.base import StartStopNemesis, completion
from faultline.faults.schedule import FaultOps

NS = 1_000_000_000


class MeteorNemesis(StartStopNemesis):
    start_f, stop_f = "start-meteor", "stop-meteor"

    def __init__(self, log):
        self.log = log

    def setup(self, test, preflight=None):
        self.log.append(("setup", preflight))

    def _start(self, test, op):
        return completion(op, {"crater": op.value})

    def _heal(self):
        self.log.append(("stop", None))

    def teardown(self, test):
        self._heal()


def meteor(log, heal_rank=25):
    """A fault kind that records what is asked of it in ``log``."""
    return FaultKind(
        name="meteor", heal_rank=heal_rank, label="meteor strike", colour="#000000",
        start_fs=frozenset({"start-meteor"}), stop_fs=frozenset({"stop-meteor"}),
        build=lambda opts, record: Part(MeteorNemesis(log), FaultOps(
            "meteor", lambda rng: {"f": "start-meteor", "value": opts.get("crater", "small")},
            {"f": "stop-meteor", "value": None})),
        preflight=lambda cluster, nemesis: log.append(("preflight", type(nemesis).__name__)) or "sky",
        heal=lambda cluster: log.append(("heal", None)) or "cleared")


class Bare:
    """A cluster that can have no built-in fault: kill, partition, clock ... all skip it."""

    db, name, nodes = "etcd", "bare", ["n1", "n2", "n3"]


def test_every_built_in_fault_is_a_fault_with_a_label_and_a_colour():
    assert set(FAULTS.names()) == {"partition", "client-partition", "kill", "pause", "clock", "packet"}
    for fault in FAULTS:
        assert isinstance(fault, Fault)
        assert fault.label and fault.colour.startswith("#")
    assert FAULTS.get("partition").colour == "#9467bd" and FAULTS.get("kill").label == "kill"
    assert [f.name for f in FAULTS if f.image_role] == ["clock"]


def test_a_registered_fault_is_packaged_probed_and_set_up_with_what_was_found():
    log = []
    with FAULTS.registered(meteor(log)):
        pkg = package(["meteor"], {"crater": "huge"})
        assert "start-meteor" in pkg.nemesis.fs()
        nem = pkg.nemesis.parts["meteor"]
        assert preflight.check(Bare(), {"meteor": nem}) == {"meteor": "sky"}
        log.clear()
        pkg.nemesis.setup({"cluster": Bare()})
        assert log == [("preflight", "MeteorNemesis"), ("heal", None), ("setup", "sky")]
    with pytest.raises(BadInputError, match="unknown nemesis meteor; choose from .*partition"):
        package(["meteor"])


def test_heal_cluster_heals_a_registered_fault_in_rank_order():
    log = []
    with FAULTS.registered(meteor(log, heal_rank=25)):
        assert list(heal_cluster(Bare())) == ["meteor"]  # Bare can have nothing else
        done = heal_cluster(ExecCluster())
    assert list(done) == ["pause", "kill", "meteor", "partition", "client-partition", "packet", "clock"]
    assert done["meteor"] == "cleared"
    assert list(heal_cluster(Bare())) == []


def test_a_registered_fault_takes_its_turn_in_teardown_by_rank():
    log = []
    with FAULTS.registered(meteor(log, heal_rank=5)):
        pkg = package(["kill", "meteor"])
        assert list(pkg.nemesis.parts) == ["meteor", "kill"]


def test_fault_intervals_find_a_registered_fault():
    def nem(t, typ, f, value=None):
        return Op(type=typ, f=f, value=value, process=NEMESIS, time=int(t * NS))

    history = History([nem(1, INVOKE, "start-meteor"), nem(1.5, INFO, "start-meteor", {"crater": "big"}),
                       nem(3, INVOKE, "stop-meteor"), nem(3.5, INFO, "stop-meteor", {"healed": True})])
    assert fault_intervals(history) == []
    with FAULTS.registered(meteor([])):
        assert fault_intervals(history) == [
            {"fault": "meteor", "start": 1.5, "stop": 3.5, "value": {"crater": "big"}}]


# ---- one probe per node ------------------------------------------------------------------

class ExecCluster:
    """Answers every probe as a capable node would; counts each command per node."""

    db, name = "etcd", "faultline-counted"
    facts = "iptables=yes\nstatistic=yes\nnfqueue=yes\ndelayer=yes\nnetem=no\n"

    def __init__(self):
        self.nodes = ["n1", "n2", "n3"]
        self.execs = Counter()
        self.states = Counter()

    def exec(self, node, argv, *, check=True):
        script = argv[2]
        self.execs[node, script] += 1
        if script == partition.PROBE_SCRIPT:
            return 0, "yes\n"
        if script == clock.PROBE_SCRIPT:
            return 0, "yes: time overlay settle=0.02\n"
        if script == packet.PROBE_SCRIPT:
            return 0, self.facts
        if script == clock.READ_SCRIPT:
            return 0, "+0\n"
        return 0, ""

    def server_state(self, node):
        self.states[node] += 1
        return "running"

    def peer_ip(self, node):
        return f"10.0.0.{self.nodes.index(node) + 2}"

    def leader(self):
        return "n1"

    def kill(self, node): pass
    def start(self, node): pass
    def pause(self, node): pass
    def resume(self, node): pass


def test_a_package_setup_probes_each_node_once():
    cluster = ExecCluster()
    nem = package(["partition", "clock", "packet", "kill"]).nemesis
    nem.setup({"cluster": cluster, "seed": 1})
    for script in (partition.PROBE_SCRIPT, clock.PROBE_SCRIPT, packet.PROBE_SCRIPT):
        assert [cluster.execs[n, script] for n in cluster.nodes] == [1, 1, 1]
    assert cluster.states == {n: 1 for n in cluster.nodes}
    assert nem.found["clock"].settle_s == 0.02 and nem.found["packet"].method == "iptables"


def test_a_failed_preflight_lists_every_fault_and_sets_up_nothing():
    class Plain(ExecCluster):
        def exec(self, node, argv, *, check=True):
            if argv[2] == clock.PROBE_SCRIPT:
                return 0, "no: this image has neither libfaketime nor the etcd time overlay\n"
            return super().exec(node, argv, check=check)

    cluster = Plain()
    with pytest.raises(PreflightError) as e:
        package(["clock", "pause"]).nemesis.setup({"cluster": cluster})
    assert "clock: clock fault impossible" in str(e.value) and "etcd-clock" in str(e.value)
    assert cluster.execs[("n1", clock.WRITE_SCRIPT)] == 0  # no heal ran
