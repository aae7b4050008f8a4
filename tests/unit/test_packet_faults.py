"""Packet faults without Docker: which links, which rules, which mechanism, the nemesis."""

from __future__ import annotations

import random

import pytest

from faultline.cluster.packet import (
    CHAIN, DELAYER_PATH, HEAL_SCRIPT, LIST_END, NETEM_HANDLE, PROBE_SCRIPT, QUEUE, PacketFault,
    PacketShaper, iptables_script, method_for, netem_script, parse_probe, shaped_peers, shaper_for)
from faultline.core.errors import BadInputError, ClusterError, PreflightError
from faultline.core.op import INVOKE, NEMESIS, Op
from faultline.faults import packet as packet_nemesis
from faultline.faults.packet import START, STOP, PacketNemesis
from faultline.faults.record import FaultRecord, read

ALL_YES = {"iptables": True, "statistic": True, "nfqueue": True, "delayer": True, "netem": False}


def test_links_with_a_chosen_node_at_one_end_are_shaped_both_ways():
    nodes = ["n1", "n2", "n3"]
    assert shaped_peers(nodes, ["n1"]) == {"n1": ["n2", "n3"], "n2": ["n1"], "n3": ["n1"]}
    assert shaped_peers(nodes, []) == {"n1": [], "n2": [], "n3": []}
    assert shaped_peers(nodes, nodes) == {"n1": ["n2", "n3"], "n2": ["n1", "n3"], "n3": ["n1", "n2"]}
    with pytest.raises(ValueError, match="n7"):
        shaped_peers(nodes, ["n7"])


@pytest.mark.parametrize("kwargs, message", [
    ({"loss": 1.5}, "probability"), ({"loss": -0.1}, "probability"),
    ({"delay_ms": -1}, "delay"), ({"delay_ms": 10, "jitter_ms": 20}, "jitter"),
    ({}, "loss > 0 or delay > 0"),
])
def test_impossible_packet_faults_are_refused(kwargs, message):
    with pytest.raises(ValueError, match=message):
        PacketFault(**kwargs)


def test_iptables_script_drops_and_queues_only_packets_from_shaped_peers():
    script = iptables_script(["10.0.0.3", "10.0.0.4"], PacketFault(loss=0.25, delay_ms=80, jitter_ms=5), seed=9)
    assert script.startswith(HEAL_SCRIPT)  # a new fault replaces the old one
    for ip in ("10.0.0.3", "10.0.0.4"):
        assert (f"iptables -w -A {CHAIN} -s {ip} -m statistic --mode random "
                "--probability 0.250000 -j DROP") in script
        assert f"iptables -w -A {CHAIN} -s {ip} -j NFQUEUE --queue-num {QUEUE} --queue-bypass" in script
    # appended, not inserted: the partition chain at the top of INPUT still drops first
    assert f"iptables -w -A INPUT -j {CHAIN}" in script and "-I INPUT" not in script
    assert f"python3 {DELAYER_PATH} --queue {QUEUE} --delay-ms 80 --jitter-ms 5 --seed 9" in script
    # the delayer is bound before any rule can queue a packet to it
    assert script.index("--pid-file") < script.index("-j NFQUEUE")


def test_loss_only_needs_no_delayer_and_an_unshaped_node_is_only_healed():
    script = iptables_script(["10.0.0.3"], PacketFault(loss=0.1))
    assert "NFQUEUE" not in script and DELAYER_PATH not in script.replace(HEAL_SCRIPT, "")
    assert iptables_script([], PacketFault(loss=0.1)).replace(HEAL_SCRIPT, "").strip() == "set -e"


def test_netem_script_filters_the_peers_into_a_netem_band():
    script = netem_script(["10.0.0.3"], PacketFault(loss=0.2, delay_ms=50, jitter_ms=10))
    assert f"root handle {NETEM_HANDLE}: prio bands 4" in script
    assert "netem delay 50ms 10ms loss 20.0000%" in script
    assert f"match ip dst 10.0.0.3/32 flowid {NETEM_HANDLE}:4" in script


def test_heal_removes_only_what_we_add():
    assert f"iptables -w -D INPUT -j {CHAIN}" in HEAL_SCRIPT
    assert f"iptables -w -X {CHAIN}" in HEAL_SCRIPT
    assert "iptables -w -F INPUT" not in HEAL_SCRIPT
    assert f"qdisc prio {NETEM_HANDLE}: root" in HEAL_SCRIPT  # only our qdisc is deleted
    assert "SIGTERM" in HEAL_SCRIPT and f"pkill -TERM -f '^python3 {DELAYER_PATH}'" in HEAL_SCRIPT


def test_probe_output_parses_to_facts():
    assert parse_probe("iptables=yes\nnetem=no\nnoise\n") == {"iptables": True, "netem": False}
    assert f"--queue {QUEUE + 1} --probe" in PROBE_SCRIPT  # never the live queue


def test_mechanism_is_netem_when_every_node_has_it_else_iptables():
    fault = PacketFault(loss=0.1, delay_ms=50)
    netem_all = {n: {**ALL_YES, "netem": True} for n in ("n1", "n2")}
    assert method_for(netem_all, fault) == "netem"
    assert method_for(netem_all, fault, "iptables") == "iptables"
    mixed = {"n1": {**ALL_YES, "netem": True}, "n2": ALL_YES}
    assert method_for(mixed, fault) == "iptables"
    with pytest.raises(PreflightError, match="no netem qdisc on n2"):
        method_for(mixed, fault, "netem")


def test_missing_fallback_tools_are_named_per_node():
    facts = {"n1": ALL_YES, "n2": {**ALL_YES, "delayer": False}, "n3": {**ALL_YES, "iptables": False}}
    with pytest.raises(PreflightError) as e:
        method_for(facts, PacketFault(delay_ms=10))
    assert "n2: no python3 bound to an NFQUEUE" in str(e.value)
    assert "n3: no iptables with NET_ADMIN" in str(e.value)
    # loss alone does not need the delayer
    assert method_for({"n2": facts["n2"]}, PacketFault(loss=0.5)) == "iptables"


# ---- the nemesis, on a cluster that records the scripts it is asked to run -------------

class ScriptCluster:
    db, name = "etcd", "faultline-fake"

    def __init__(self, facts=ALL_YES, leader="n3"):
        self.nodes = ["n1", "n2", "n3"]
        self.facts = facts
        self.scripts: list[tuple[str, str]] = []
        self.probes = 0
        self._leader = leader

    def leader(self):
        return self._leader

    def peer_ip(self, node):
        return f"10.9.0.{self.nodes.index(node) + 2}"

    def exec(self, node, argv, *, check=True):
        script = argv[2]
        if script == PROBE_SCRIPT:
            self.probes += 1
            return 0, "".join(f"{k}={'yes' if v else 'no'}\n" for k, v in self.facts.items())
        self.scripts.append((node, script))
        return 0, ""


def invoke(f, value=None):
    return Op(type=INVOKE, f=f, value=value, process=NEMESIS)


def test_start_shapes_the_targets_links_and_reports_them(tmp_path):
    cluster = ScriptCluster()
    record = FaultRecord()
    record.open(cluster, tmp_path)
    test = {"cluster": cluster, "seed": 5}
    nem = PacketNemesis(PacketFault(delay_ms=40), record=record)
    nem.setup(test)
    done = nem.invoke(test, invoke(START, {"target": "leader"}))
    assert done.error is None
    assert done.value == {"target": "leader", "nodes": ["n3"], "loss": 0.0, "delay_ms": 40.0,
                          "jitter_ms": 0.0, "method": "iptables", "links": [["n1", "n3"], ["n2", "n3"]]}
    by_node = dict(cluster.scripts)
    assert "-s 10.9.0.4 -j NFQUEUE" in by_node["n1"] and "10.9.0.3" not in by_node["n1"].replace(HEAL_SCRIPT, "")
    assert "-s 10.9.0.2 -j NFQUEUE" in by_node["n3"] and "-s 10.9.0.3 -j NFQUEUE" in by_node["n3"]
    assert read(tmp_path)["active"]["packet"]["nodes"] == ["n3"]

    cluster.scripts.clear()
    assert nem.invoke(test, invoke(STOP)).value == {"healed": True}
    assert sorted(n for n, s in cluster.scripts if s == HEAL_SCRIPT) == ["n1", "n2", "n3"]
    assert "packet" not in read(tmp_path)["active"]


def test_op_overrides_are_checked_against_what_the_nodes_can_do():
    cluster = ScriptCluster(facts={**ALL_YES, "delayer": False})
    test = {"cluster": cluster, "seed": 5}
    nem = PacketNemesis(PacketFault(loss=0.3))
    nem.setup(test)  # loss alone is possible
    done = nem.invoke(test, invoke(START, {"nodes": ["n1"], "delay_ms": 100}))
    assert "NFQUEUE" in done.error and "nothing shaped" in done.error
    assert cluster.scripts == []
    done = nem.invoke(test, invoke(START, {"nodes": ["n1", "n9"]}))
    assert "unknown nodes" in done.error
    done = nem.invoke(test, invoke(START, {"nodes": ["n1"], "loss": None}))
    assert "nothing shaped" in done.error and cluster.scripts == []


def test_setup_refuses_a_cluster_without_the_tools():
    cluster = ScriptCluster(facts={**ALL_YES, "nfqueue": False})
    with pytest.raises(PreflightError, match="NFQUEUE"):
        PacketNemesis(PacketFault(delay_ms=10)).setup({"cluster": cluster})
    assert shaper_for(object()) is None
    with pytest.raises(PreflightError, match="cannot run commands"):
        PacketNemesis().setup({"cluster": object()})


def test_setup_alone_probes_once_and_opens_its_own_record(tmp_path):
    cluster = ScriptCluster()
    nem = PacketNemesis(PacketFault(loss=0.2))
    nem.setup({"cluster": cluster, "seed": 1, "run_dir": str(tmp_path)})
    assert cluster.probes == len(cluster.nodes)
    assert read(tmp_path)["cluster"]["name"] == "faultline-fake"
    nem.invoke({"cluster": cluster}, invoke(START, {"nodes": ["n1"]}))
    assert read(tmp_path)["active"]["packet"]["nodes"] == ["n1"]


def test_setup_given_what_the_preflight_found_probes_nothing():
    cluster = ScriptCluster()
    nem = PacketNemesis(PacketFault(delay_ms=10))
    found = packet_nemesis.check(cluster, nem)
    assert found.method == "iptables" and cluster.probes == 3
    nem.setup({"cluster": cluster, "seed": 1}, preflight=found)
    assert cluster.probes == 3


def test_teardown_without_setup_heals_every_node():
    cluster = ScriptCluster()
    PacketNemesis().teardown({"cluster": cluster})
    assert sorted(cluster.scripts) == [(n, HEAL_SCRIPT) for n in cluster.nodes]
    cluster.scripts.clear()
    packet_nemesis.heal(cluster)
    assert sorted(n for n, _ in cluster.scripts) == cluster.nodes


def test_shaper_leftovers_lists_our_state_and_rereads_lost_output():
    class Leftover(ScriptCluster):
        outputs = ["", f"-N {CHAIN}\n\n123 python3 {DELAYER_PATH} --queue {QUEUE}\n{LIST_END}\n"]

        def exec(self, node, argv, *, check=True):
            return 0, self.outputs.pop(0) if self.outputs else "garbage"
    cluster = Leftover()
    assert len(PacketShaper(cluster).leftovers("n1")) == 2  # the empty answer was re-read
    with pytest.raises(ClusterError, match="could not list"):
        PacketShaper(cluster).leftovers("n1")


def test_build_makes_start_ops_from_the_targets():
    part = packet_nemesis.build({"targets": "one,minority", "packet_delay_ms": 0,
                                 "packet_loss": 0.3}, FaultRecord())
    nem, ops = part.nemesis, part.ops
    assert nem.fault == PacketFault(loss=0.3)  # jitter defaults to at most the delay
    rng = random.Random(1)
    assert {ops.start(rng)["value"]["target"] for _ in range(50)} == {"one", "minority"}
    assert ops.stop == {"f": STOP, "value": None}


@pytest.mark.parametrize("opts, message", [
    ({"packet_loss": 2}, "probability"), ({"packet_delay_ms": "x"}, "packet_delay_ms"),
    ({"packet_method": "tc"}, "packet_method"), ({"targets": "some"}, "targets"),
    ({"packet_loss": 0, "packet_delay_ms": 0}, "loss > 0 or delay > 0"),
])
def test_build_rejects_bad_options_with_one_line(opts, message):
    with pytest.raises(BadInputError, match=message):
        packet_nemesis.build(opts, FaultRecord())
