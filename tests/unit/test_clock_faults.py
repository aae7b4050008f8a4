"""Clock offsets and the clock nemesis, without Docker.

The node-side shell scripts run for real on this machine: a fake cluster executes each
node's ``exec`` locally with the offset file redirected into a temporary directory.
"""

from __future__ import annotations

import os
import random
import subprocess

import pytest

from faultline.cluster.clock import OFFSET_FILE, FileClock, clock_for, format_offset, parse_offset
from faultline.core.errors import BadInputError, PreflightError
from faultline.core.op import INFO, INVOKE, NEMESIS, Op
from faultline.dbs import CLOCK_IMAGE, DBS, image
from faultline.faults import FAULTS, clock as clock_nemesis
from faultline.faults.clock import BUMP, RESET, STROBE, ClockNemesis
from faultline.faults.record import FaultRecord, read


class LocalNodes:
    """A cluster whose nodes are directories here; exec runs argv locally. By default
    each node looks like an etcd-clock node (the overlay's marker in its binary)."""

    db = "etcd"

    def __init__(self, tmp_path, env=None, leader="n2"):
        self.nodes = ["n1", "n2", "n3"]
        self.dirs = {n: tmp_path / n for n in self.nodes}
        for d in self.dirs.values():
            d.mkdir()
            (d / "faketime").write_text("+0\n")
        binary = tmp_path / "etcd"
        binary.write_bytes(b"\0ELF... FAULTLINE_CLOCK_OFFSET_FILE ...")
        self.env = env if env is not None else {"FAULTLINE_CLOCK_OFFSET_FILE": OFFSET_FILE,
                                                "FAULTLINE_ETCD_BIN": str(binary)}
        self._leader = leader
        self.execs = 0

    def leader(self):
        return self._leader

    def file(self, node):
        return self.dirs[node] / "faketime"

    def exec(self, node, argv, *, check=True):
        self.execs += 1
        here = str(self.file(node))
        argv = [a.replace(OFFSET_FILE, here) for a in argv]
        env = {"PATH": os.environ["PATH"], **{k: v.replace(OFFSET_FILE, here) for k, v in self.env.items()}}
        proc = subprocess.run(argv, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        return proc.returncode, proc.stdout


def invoke(f, value=None):
    return Op(type=INVOKE, f=f, value=value, process=NEMESIS)


@pytest.mark.parametrize("seconds, text", [
    (0, "+0.000000"), (-0.0, "+0.000000"), (12.5, "+12.500000"), (-3, "-3.000000"),
    (0.0000004, "+0.000000"), (3600.123456, "+3600.123456"),
])
def test_offsets_are_written_as_signed_decimal_seconds(seconds, text):
    assert format_offset(seconds) == text
    assert parse_offset(text + "\n") == pytest.approx(float(text))


@pytest.mark.parametrize("bad", [float("nan"), 1e12, -1e12, "5"])
def test_impossible_offsets_are_refused(bad):
    with pytest.raises(ValueError):
        format_offset(bad)


@pytest.mark.parametrize("text", ["", "abc", "+1d", "1e3", "--1", "+ 1"])
def test_unreadable_offset_files_are_refused(text):
    with pytest.raises(ValueError):
        parse_offset(text)


def test_parse_accepts_what_libfaketime_and_the_overlay_also_read():
    assert parse_offset("+0") == 0.0
    assert parse_offset("  -90.25 ") == -90.25
    assert parse_offset("7.") == 7.0


def test_file_clock_writes_reads_and_resets_each_node(tmp_path):
    cluster = LocalNodes(tmp_path)
    clock = FileClock(cluster)
    clock.set_clock_offset("n2", 30.25)
    assert cluster.file("n2").read_text() == "+30.250000\n"
    assert not (cluster.dirs["n2"] / "faketime.tmp").exists()  # replaced by rename
    assert clock.clock_offsets() == {"n1": 0.0, "n2": 30.25, "n3": 0.0}
    cluster.file("n3").unlink()  # a missing file reads as 0, as both readers treat it
    assert clock.clock_offset("n3") == 0.0
    assert clock.reset() == {"n1": 0.0, "n2": 0.0, "n3": 0.0}


def test_strobe_flips_the_file_and_leaves_the_base_offset(tmp_path):
    cluster = LocalNodes(tmp_path)
    clock = FileClock(cluster)
    flips = clock.strobe("n1", 5.0, 65.0, period_s=0.01, duration_s=0.3)
    assert flips >= 2 and flips % 2 == 0  # a loaded machine may manage one round only
    assert cluster.file("n1").read_text() == "+5.000000\n"
    with pytest.raises(ValueError, match="period"):
        clock.strobe("n1", 0, 1, period_s=0.001, duration_s=1)


def test_capability_probe_tells_libfaketime_overlay_and_plain_images_apart(tmp_path):
    (tmp_path / "zk").mkdir()
    (tmp_path / "libfaketime.so.1").write_text("")
    zk = LocalNodes(tmp_path / "zk", env={"FAULTLINE_FAKETIME_LIB": str(tmp_path / "libfaketime.so.1")})
    assert FileClock(zk).capability("n1") == (None, 2.0)  # launcher default cache 1 s, server down
    (tmp_path / "libfaketime.so.1").unlink()
    assert "libfaketime missing" in FileClock(zk).capability("n1")[0]

    (tmp_path / "et").mkdir()
    etcd = LocalNodes(tmp_path / "et")
    assert FileClock(etcd).capability("n1") == (None, 0.02)
    assert clock_nemesis.check(etcd, ClockNemesis()).settle_s == 0.02
    (tmp_path / "et" / "etcd").write_bytes(b"\0ELF stock etcd")
    assert "lacks the clock overlay" in FileClock(etcd).capability("n1")[0]

    (tmp_path / "plain").mkdir()
    plain = LocalNodes(tmp_path / "plain", env={})
    assert "neither libfaketime nor" in FileClock(plain).capability("n2")[0]
    with pytest.raises(PreflightError, match="need the faultline/etcd-clock:3.4 image.*"
                                             "n1, n2, n3: this image has neither"):
        clock_nemesis.check(plain, ClockNemesis())


def test_clusters_without_exec_have_no_file_clock():
    assert clock_for(object()) is None
    with pytest.raises(PreflightError, match="cannot run commands"):
        clock_nemesis.check(object(), ClockNemesis())


# ---- the nemesis ------------------------------------------------------------------------

@pytest.fixture
def nodes(tmp_path):
    return LocalNodes(tmp_path)


def test_bump_adds_to_each_target_and_reports_offsets_read_back(nodes):
    test = {"cluster": nodes, "seed": 1}
    nem = ClockNemesis()
    nem.setup(test)
    done = nem.invoke(test, invoke(BUMP, {"nodes": ["n1", "n3"], "delta_s": 10}))
    assert done.type == INFO and done.error is None
    assert done.value["deltas"] == {"n1": 10.0, "n3": 10.0}
    assert done.value["offsets"] == {"n1": 10.0, "n2": 0.0, "n3": 10.0}
    done = nem.invoke(test, invoke(BUMP, {"deltas": {"n1": -25.5}}))
    assert done.value["offsets"] == {"n1": -15.5, "n2": 0.0, "n3": 10.0}
    nodes.file("n3").write_text("+99\n")  # what the node holds, not what we asked, is reported
    done = nem.invoke(test, invoke(BUMP, {"nodes": ["n1"], "delta_s": 0.5}))
    assert done.value["offsets"] == {"n1": -15.0, "n2": 0.0, "n3": 99.0}
    done = nem.invoke(test, invoke(RESET))
    assert done.value == {"offsets": {"n1": 0.0, "n2": 0.0, "n3": 0.0}}


def test_bump_the_leader_resolves_when_the_op_runs(nodes):
    test = {"cluster": nodes, "seed": 1}
    nem = ClockNemesis()
    nem.setup(test)
    done = nem.invoke(test, invoke(BUMP, {"target": "leader", "delta_s": 7}))
    assert done.value["nodes"] == ["n2"] and done.value["offsets"]["n2"] == 7.0
    nodes._leader = None
    done = nem.invoke(test, invoke(BUMP, {"target": "leader", "delta_s": 7}))
    assert done.error and "untouched" in done.error
    assert done.value["offsets"]["n2"] == 7.0


@pytest.mark.parametrize("value, message", [
    ({"nodes": ["n9"], "delta_s": 1}, "unknown nodes"),
    ({"deltas": {"n9": 1}}, "unknown nodes"),
    ({"target": "one"}, "delta_s"),
    ({"nodes": ["n1"], "delta_s": float("nan")}, "number"),
    ({"nodes": ["n1"], "delta_s": "soon"}, "could not convert"),
    ({"nodes": ["n1"], "delta_s": None}, "float"),
    ({"nodes": ["n1"], "delta_s": 4e9}, "beyond"),
])
def test_malformed_clock_ops_touch_nothing_and_say_why(nodes, value, message):
    test = {"cluster": nodes, "seed": 1}
    nem = ClockNemesis()
    nem.setup(test)
    done = nem.invoke(test, invoke(BUMP, value))
    assert message in done.error
    assert set(done.value["offsets"].values()) == {0.0}


@pytest.mark.parametrize("value", [{"period_s": 0.001}, {"duration_s": 0}, {"period_s": "fast"}])
def test_malformed_strobes_touch_nothing(nodes, value):
    test = {"cluster": nodes, "seed": 1}
    nem = ClockNemesis()
    nem.setup(test)
    done = nem.invoke(test, invoke(STROBE, {"nodes": ["n1"], "delta_s": 1, **value}))
    assert "clocks untouched" in done.error


def test_strobe_defaults_to_no_faster_than_the_servers_see(nodes):
    test = {"cluster": nodes, "seed": 1}
    nem = ClockNemesis()
    nem.setup(test)
    nem._clock.settle_s = 0.1  # as if libfaketime cached the file for 0.1 s
    done = nem.invoke(test, invoke(STROBE, {"nodes": ["n1"], "delta_s": 2, "duration_s": 0.3}))
    assert done.value["period_s"] == 0.1 and done.value["flips"]["n1"] >= 2


def test_strobe_reports_both_offsets_and_flip_counts(nodes):
    test = {"cluster": nodes, "seed": 1}
    nem = ClockNemesis()
    nem.setup(test)
    nem.invoke(test, invoke(BUMP, {"nodes": ["n2"], "delta_s": 3}))
    done = nem.invoke(test, invoke(STROBE, {"nodes": ["n2"], "delta_s": 60, "period_s": 0.01,
                                            "duration_s": 0.2}))
    assert done.value["between"] == {"n2": [3.0, 63.0]}
    assert done.value["flips"]["n2"] >= 2
    assert done.value["offsets"]["n2"] == 3.0


def test_record_names_skewed_clocks_until_they_are_reset(nodes, tmp_path):
    record = FaultRecord()
    test = {"cluster": nodes, "seed": 1, "run_dir": str(tmp_path)}
    record.open(nodes, tmp_path)
    nem = ClockNemesis(record=record)
    nem.setup(test)
    nem.invoke(test, invoke(BUMP, {"nodes": ["n1"], "delta_s": 4}))
    assert read(tmp_path)["active"]["clock"] == {"offsets": {"n1": 4.0, "n2": 0.0, "n3": 0.0}}
    nem.teardown(test)
    assert "clock" not in read(tmp_path)["active"]
    assert FileClock(nodes).clock_offsets() == {"n1": 0.0, "n2": 0.0, "n3": 0.0}


def test_teardown_without_setup_still_resets_and_heal_does_too(nodes):
    FileClock(nodes).set_clock_offset("n3", -8)
    ClockNemesis().teardown({"cluster": nodes})
    assert FileClock(nodes).clock_offset("n3") == 0.0
    FileClock(nodes).set_clock_offset("n1", 2)
    assert clock_nemesis.heal(nodes) == {"n1": 0.0, "n2": 0.0, "n3": 0.0}


def test_preflight_refuses_a_cluster_that_cannot_skew(tmp_path):
    plain = LocalNodes(tmp_path, env={})
    with pytest.raises(PreflightError):
        ClockNemesis().setup({"cluster": plain})


def test_setup_alone_probes_once_and_opens_its_own_record(nodes, tmp_path):
    ClockNemesis().setup({"cluster": nodes, "run_dir": str(tmp_path)})
    assert nodes.execs == len(nodes.nodes)  # one probe per node, nothing else
    assert read(tmp_path)["cluster"]["nodes"] == nodes.nodes and read(tmp_path)["active"] == {}


def test_setup_given_what_the_preflight_found_probes_nothing(nodes):
    found = clock_nemesis.check(nodes, ClockNemesis())
    nodes.execs = 0
    nem = ClockNemesis()
    nem.setup({"cluster": nodes}, preflight=found)
    assert nodes.execs == 0 and nem._clock is found


# ---- the package part -------------------------------------------------------------------

def test_build_draws_bumps_and_strobes_within_bounds():
    part = clock_nemesis.build({"clock_max_s": 5, "targets": "one,leader"}, FaultRecord())
    nem, ops = part.nemesis, part.ops
    assert nem.fs() == {BUMP, STROBE, RESET}
    assert ops.stop == {"f": RESET, "value": None}
    rng = random.Random(3)
    starts = [ops.start(rng) for _ in range(200)]
    assert {s["f"] for s in starts} == {BUMP, STROBE}
    assert all(abs(s["value"]["delta_s"]) <= 5 for s in starts)
    assert {s["value"]["target"] for s in starts} == {"one", "leader"}
    assert all("period_s" not in s["value"] for s in starts)  # the nemesis picks it
    fixed = clock_nemesis.build({"clock_modes": "strobe", "strobe_period_s": 0.5}, FaultRecord()).ops
    assert fixed.start(rng)["value"]["period_s"] == 0.5 and "duration_s" not in fixed.start(rng)["value"]
    only_bumps = clock_nemesis.build({"clock_modes": "bump"}, FaultRecord()).ops
    assert {only_bumps.start(rng)["f"] for _ in range(20)} == {BUMP}


@pytest.mark.parametrize("opts, message", [
    ({"clock_modes": "warp"}, "clock_modes"),
    ({"clock_max_s": -1}, "clock_max_s"),
    ({"clock_max_s": 1e12}, "clock_max_s"),
    ({"strobe_period_s": 0.001}, "strobe_period_s"),
    ({"targets": "everyone"}, "targets"),
])
def test_build_rejects_bad_options_with_one_line(opts, message):
    with pytest.raises(BadInputError, match=message):
        clock_nemesis.build(opts, FaultRecord())


def test_a_read_whose_output_docker_lost_is_read_again(nodes):
    FileClock(nodes).set_clock_offset("n1", 6)
    real_exec, lost = nodes.exec, []

    def flaky_exec(node, argv, *, check=True):
        if not lost:
            lost.append(argv)
            return 0, ""  # docker/docker-py#2042: exit 0, output gone
        return real_exec(node, argv, check=check)
    nodes.exec = flaky_exec
    assert FileClock(nodes).clock_offset("n1") == 6.0
    assert lost


def test_clock_faults_need_the_clock_image_which_for_etcd_is_its_own_build():
    assert FAULTS.get("clock").image_role == CLOCK_IMAGE
    assert image(DBS.get("etcd"), CLOCK_IMAGE).tag == "faultline/etcd-clock:3.4"
    assert image(DBS.get("zookeeper"), CLOCK_IMAGE) == image(DBS.get("zookeeper"))
