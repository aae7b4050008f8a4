"""The compose file, the images table and the cluster/images CLI take their dbs and
backends from the registries: a db or backend registered in a test shows up (no Docker)."""

from __future__ import annotations

import argparse
import json

import pytest

from faultline.backends import BACKENDS
from faultline.backends.compose import BACKEND as COMPOSE, ComposeCluster, file as compose_file, images
from faultline.cli import cluster as cluster_cli, images as images_cli
from faultline.dbs import CLOCK_IMAGE, DBS, DEFAULT_IMAGE, Database, Image

TOY = Database(
    name="toydb", version="1", client_port=7000, peer_ports=(7001,),
    images={DEFAULT_IMAGE: Image("toydb", "faultline/toydb:1", "toydb/Dockerfile", ("common",)),
            CLOCK_IMAGE: Image("toydb-clock", "faultline/toydb-clock:1", "toydb-clock/Dockerfile",
                               ("common",))},
    launcher="/usr/local/lib/faultline/toy-server.sh", read_modes=("strong",),
    transports=("tcp",), clients={},
    probe_healthy=lambda host, port: True, probe_status=lambda host, port: host,
    pick_leader=lambda statuses: min(statuses))


class ToyBackend:
    name = "toyback"

    def __init__(self):
        self.healed = []

    def list(self, db=None):
        return {}

    def heal(self, run_dir):
        self.healed.append(str(run_dir))
        return {"cluster": "toy-1", "gone": True}


@pytest.fixture
def toy():
    with DBS.registered(TOY):
        yield TOY


def parse(argv):
    parser = argparse.ArgumentParser()
    sub = parser.add_subparsers(dest="command")
    cluster_cli.add_parser(sub)
    images_cli.add_parser(sub)
    return parser.parse_args(argv)


def test_the_compose_file_of_a_registered_db_comes_from_its_descriptor(toy):
    cluster = ComposeCluster("toydb", 3)
    assert cluster.image == "faultline/toydb:1"
    n1 = compose_file.render(cluster.database, 3, "faultline-toy")["services"]["n1"]
    assert n1["image"] == "faultline/toydb:1"
    assert n1["environment"]["FAULTLINE_SERVER"] == toy.launcher
    assert n1["labels"]["faultline.db"] == "toydb"
    cluster._ips["n2"] = "10.1.2.3"     # no Docker: the IP read from the container, given
    assert cluster.address("n2") == ("10.1.2.3", 7000)


def test_the_images_table_holds_every_registered_dbs_images(toy):
    assert list(images.table()) == ["etcd", "zookeeper", "toydb", "etcd-clock", "toydb-clock"]
    assert images.by_tag("faultline/toydb-clock:1").name == "toydb-clock"


def test_an_unregistered_db_is_gone_from_every_table():
    assert "toydb" not in DBS and "toydb" not in images.table()
    with pytest.raises(SystemExit):
        parse(["cluster", "up", "--db", "toydb"])


def test_cli_choices_come_from_the_registries(toy):
    assert parse(["cluster", "up", "--db", "toydb"]).db == "toydb"
    assert parse(["cluster", "status", "--db", "toydb"]).backend == "compose"
    assert parse(["images", "build", "--db", "toydb-clock"]).db == ["toydb-clock"]
    with BACKENDS.registered(ToyBackend()):
        assert parse(["cluster", "down", "--all", "--backend", "toyback"]).backend == "toyback"
    assert BACKENDS.get("compose") is COMPOSE


def test_status_lists_the_clusters_of_the_chosen_backend(capsys):
    with BACKENDS.registered(ToyBackend()):
        assert cluster_cli.run_status(parse(["cluster", "status", "--backend", "toyback"])) == 0
    assert capsys.readouterr().out == "no faultline clusters\n"


def test_heal_of_a_run_uses_the_backend_its_record_names(tmp_path, capsys):
    (tmp_path / "faults.json").write_text(json.dumps(
        {"cluster": {"name": "toy-1", "backend": "toyback"}, "active": {"kill": ["n1"]}}))
    backend = ToyBackend()
    with BACKENDS.registered(backend):
        args = parse(["cluster", "heal", str(tmp_path)])
        assert args.func(args) == 0
    assert backend.healed == [str(tmp_path)]
    assert capsys.readouterr().out == "toy-1: no longer exists; nothing to heal\n"


def test_the_compose_backend_marks_a_vanished_cluster_healed(tmp_path, monkeypatch):
    (tmp_path / "faults.json").write_text(json.dumps(
        {"cluster": {"name": "faultline-gone"}, "active": {"pause": ["n2"]}}))
    monkeypatch.setattr(type(COMPOSE), "list", lambda self, db=None: {})
    assert COMPOSE.heal(tmp_path) == {"cluster": "faultline-gone", "gone": True}
    healed = json.loads((tmp_path / "faults.json").read_text())
    assert healed["active"] == {} and "healed" in healed
