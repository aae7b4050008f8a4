"""The generated compose file and project names (pure, no Docker)."""

import json

import pytest

from faultline.backends.compose import file as compose_file
from faultline.backends.compose.cluster import ComposeCluster, project_name
from faultline.core.errors import BadInputError
from faultline.dbs import DBS

ETCD, ZOOKEEPER = DBS.get("etcd"), DBS.get("zookeeper")


@pytest.mark.parametrize("db,image,launcher", [
    ("etcd", "faultline/etcd:3.4", "/usr/local/lib/faultline/etcd-server.sh"),
    ("zookeeper", "faultline/zookeeper:3.8", "/usr/local/lib/faultline/zk-server.sh")])
@pytest.mark.parametrize("nodes", [3, 5])
def test_one_service_per_node_with_identity_and_net_admin(db, image, launcher, nodes):
    doc = compose_file.render(DBS.get(db), nodes, "faultline-x-1")
    names = [f"n{i}" for i in range(1, nodes + 1)]
    assert list(doc["services"]) == names
    for node, service in doc["services"].items():
        assert service["hostname"] == node
        assert service["container_name"] == f"faultline-x-1-{node}"
        assert service["cap_add"] == ["NET_ADMIN"]
        assert service["environment"]["FAULTLINE_NODE"] == node
        assert service["environment"]["FAULTLINE_NODES"] == ",".join(names)
        assert service["environment"]["FAULTLINE_CLUSTER"] == "faultline-x-1"
        assert service["environment"]["FAULTLINE_SERVER"] == launcher
        assert service["labels"] == {"faultline.db": db, "faultline.node": node}
        assert service["image"] == image
        # The harness dials container IPs: nothing may be published on the host.
        assert "ports" not in service


def test_image_override_and_env_cannot_override_identity():
    doc = compose_file.render(ETCD, 3, "faultline-y", image="faultline/etcd-clock:3.4",
                              env={"FAULTLINE_ETCD_ARGS": "--debug", "FAULTLINE_NODE": "evil"})
    n2 = doc["services"]["n2"]
    assert n2["image"] == "faultline/etcd-clock:3.4"
    assert n2["environment"]["FAULTLINE_ETCD_ARGS"] == "--debug"
    assert n2["environment"]["FAULTLINE_NODE"] == "n2"


def test_dumps_is_json_a_yaml_parser_reads():
    text = compose_file.dumps(compose_file.render(ZOOKEEPER, 3, "faultline-z"))
    assert json.loads(text)["services"]["n3"]["tmpfs"] == [compose_file.DATA_DIR]


@pytest.mark.parametrize("nodes", [4, 1, True])
def test_bad_node_count_is_bad_input(nodes):
    with pytest.raises(BadInputError, match="--nodes"):
        compose_file.render(ETCD, nodes, "faultline-q")


def test_a_cluster_of_an_unknown_db_is_bad_input_naming_the_dbs():
    with pytest.raises(BadInputError, match="etcd, zookeeper"):
        ComposeCluster("mysql", 3)


def test_a_cluster_takes_port_and_image_from_its_db():
    cluster = ComposeCluster("zookeeper", 3)
    assert (cluster.db, cluster.database, cluster.image) == ("zookeeper", ZOOKEEPER,
                                                             "faultline/zookeeper:3.8")
    assert cluster.backend == "compose"
    assert ComposeCluster(ETCD, 5, image="faultline/etcd-clock:3.4").image == \
        "faultline/etcd-clock:3.4"


def test_project_names_are_unique_prefixed_and_validated():
    a, b = project_name("etcd"), project_name("etcd")
    assert a != b and a.startswith("faultline-etcd-")
    assert project_name("etcd", "mine") == "faultline-mine"
    assert project_name("etcd", "faultline-mine") == "faultline-mine"
    with pytest.raises(BadInputError):
        project_name("etcd", "Has Spaces")
