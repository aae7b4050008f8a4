"""Preflight and healing against fake clusters (no Docker)."""

import json

import pytest

from faultline import cli
from faultline.cluster import client_partition, clock, packet, partition
from faultline.core.errors import BadInputError, PreflightError
from faultline.faults import package, preflight
from faultline.faults.heal import heal_cluster, heal_run
from faultline.faults.record import FaultRecord, read


class ExecCluster:
    """Answers the iptables probe per node; records every script it is asked to run."""

    db, name = "zookeeper", "faultline-zk-test"

    def __init__(self, iptables_ok=("n1", "n2", "n3")):
        self.nodes = ["n1", "n2", "n3"]
        self.iptables_ok = set(iptables_ok)
        self.scripts = []
        self.calls = []

    def exec(self, node, argv, *, check=True):
        script = argv[2] if argv[:2] == ["sh", "-c"] else " ".join(argv)
        self.scripts.append((node, script))
        if "FAULTLINE-PROBE" in script:
            return 0, "yes\n" if node in self.iptables_ok else "no: iptables cannot change rules\n"
        if script == clock.READ_SCRIPT:
            return 0, "+0.000000\n"
        return 0, ""

    def peer_ip(self, node):
        return f"10.0.0.{self.nodes.index(node) + 2}"

    def leader(self):
        return "n1"

    def kill(self, node): self.calls.append(("kill", node))
    def start(self, node): self.calls.append(("start", node))
    def pause(self, node): self.calls.append(("pause", node))
    def resume(self, node): self.calls.append(("resume", node))


def nemeses(*names):
    """The nemeses of a package of ``names``, by fault name (what preflight.check takes)."""
    return package(list(names)).nemesis.parts


def test_preflight_names_each_mechanism_when_all_is_possible():
    assert preflight.check(ExecCluster(), nemeses("partition", "kill", "pause")) == {
        "pause": "Pausable", "kill": "Killable", "partition": "iptables"}


def test_preflight_reports_every_impossible_fault_with_the_nodes_at_fault():
    class NoKill(ExecCluster):
        kill = start = None

    with pytest.raises(PreflightError) as e:
        preflight.check(NoKill(iptables_ok=["n1"]), nemeses("partition", "kill"))
    message = str(e.value)
    assert "partition" in message and "n2, n3: iptables cannot change rules" in message
    assert "n1" not in message
    assert "kill: cluster NoKill cannot kill nodes" in message
    assert e.value.exit_code == 254


def test_composed_setup_stops_before_any_fault_when_preflight_fails():
    cluster = ExecCluster(iptables_ok=[])
    nem = package(["partition", "kill"]).nemesis
    with pytest.raises(PreflightError):
        nem.setup({"cluster": cluster})
    assert cluster.calls == []  # not even the leftover heal ran


def test_heal_cluster_undoes_every_kind_of_fault_in_order():
    cluster = ExecCluster()
    done = heal_cluster(cluster)
    assert list(done) == ["pause", "kill", "partition", "client-partition", "packet", "clock"]
    for node in cluster.nodes:  # each node resumed before it is started
        assert [w for w, n in cluster.calls if n == node] == ["resume", "start"]
    ran = {script: sorted(n for n, s in cluster.scripts if s == script)
           for script in (partition.HEAL_SCRIPT, client_partition.HEAL_SCRIPT, packet.HEAL_SCRIPT,
                          clock.WRITE_SCRIPT)}
    assert all(nodes == cluster.nodes for nodes in ran.values())  # each heal on every node
    assert done["clock"] == {n: 0.0 for n in cluster.nodes}


def test_heal_run_heals_the_recorded_cluster_and_clears_the_record(tmp_path):
    cluster = ExecCluster()
    record = FaultRecord()
    record.open(cluster, tmp_path)
    record.set("pause", ["n2"])
    record.set("partition", {"grudge": {"n1": ["n2", "n3"]}})
    attached = []
    summary = heal_run(tmp_path, lambda name: attached.append(name) or cluster)
    assert attached == ["faultline-zk-test"]
    assert summary["active"] == {"pause": ["n2"], "partition": {"grudge": {"n1": ["n2", "n3"]}}}
    assert read(tmp_path)["active"] == {} and "healed" in read(tmp_path)
    assert ("resume", "n2") in cluster.calls


def test_cluster_heal_cli_rejects_bad_requests_with_exit_254(tmp_path, capsys):
    assert cli.main(["cluster", "heal"]) == 254
    assert cli.main(["cluster", "heal", str(tmp_path)]) == 254
    assert "no fault record" in capsys.readouterr().err
    (tmp_path / "faults.json").write_text(json.dumps({"cluster": {}}))
    assert cli.main(["cluster", "heal", str(tmp_path)]) == 254


def test_packages_with_clock_and_packet_route_their_ops():
    pkg = package(["clock", "packet", "kill"], {"clock_max_s": 5, "packet_delay_ms": 20})
    assert {"bump-clock", "start-packet", "kill", "resume"} - pkg.nemesis.fs() == {"resume"}
    with pytest.raises(BadInputError):
        package(["packet"], {"packet_loss": 2})
