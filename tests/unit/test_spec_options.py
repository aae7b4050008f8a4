"""The spec's options: defaults recorded, values validated with one line naming the flag,
and the choices of read mode and transport taken from the db descriptors."""

import pytest

from faultline.core.errors import BadInputError
from faultline.dbs import DBS
from faultline.runner.spec import RUN_OPTIONS, build_test


def plan(**opts):
    return build_test({"db": "etcd", "seed": 3, **opts})


def test_every_default_is_recorded_in_the_spec():
    spec = plan().spec
    for option in RUN_OPTIONS:
        assert spec[option.name] == option.default
    assert spec["ops_per_key"] == 200  # the register workload's own option
    assert (spec["read_mode"], spec["transport"], spec["backend"]) == ("linearizable", "http", "compose")
    assert spec["name"] == "etcd-register-none" and spec["seed"] == 3


@pytest.mark.parametrize("db", ["etcd", "zookeeper"])
def test_read_modes_and_transports_are_the_dbs(db):
    descriptor = DBS.get(db)
    for mode in descriptor.read_modes:
        assert plan(db=db, read_mode=mode).spec["read_mode"] == mode
    assert plan(db=db).spec["read_mode"] == descriptor.read_modes[0]
    for transport in descriptor.clients["register"]:
        assert plan(db=db, transport=transport).spec["transport"] == transport


@pytest.mark.parametrize("opts, message", [
    ({"concurrency": 1001}, "--concurrency must be an integer >= 1 and <= 1000, got 1001"),
    ({"nodes": 4}, "--nodes must be one of 3, 5, got 4"),
    ({"nodes": True}, "--nodes must be one of 3, 5"),
    ({"rate": -1}, "--rate must be a number >= 0, got -1"),
    ({"seed": -1}, "--seed must be an integer >= 0"),
    ({"db": "mysql"}, "unknown db 'mysql': choose from etcd, zookeeper"),
    ({"read_mode": "plain"}, "--read-mode for etcd must be one of linearizable, serializable"),
    ({"backend": "k8s"}, "unknown backend 'k8s'"),
    ({"colour": "red"}, "unknown test option(s): colour"),
    ({"results": ""}, "--results must be a directory path"),
])
def test_bad_values_say_which_option_and_what_is_allowed(opts, message):
    with pytest.raises(BadInputError) as e:
        plan(**opts)
    assert message in str(e.value)


def test_clock_faults_pick_the_dbs_clock_image():
    assert plan(nemesis="clock").image == "faultline/etcd-clock:3.4"
    assert plan(nemesis="partition").image is None
    assert plan(db="zookeeper", nemesis="clock").image is None  # its default image skews
