"""The generated compose file and project names (pure, no Docker)."""

import json

import pytest

from faultline.backends.compose import file as compose_file
from faultline.backends.compose.cluster import project_name
from faultline.core.errors import BadInputError


@pytest.mark.parametrize("db,port", [("etcd", 2379), ("zookeeper", 2181)])
@pytest.mark.parametrize("nodes", [3, 5])
def test_one_service_per_node_with_identity_and_net_admin(db, port, nodes):
    doc = compose_file.render(db, nodes, "faultline-x-1")
    names = [f"n{i}" for i in range(1, nodes + 1)]
    assert list(doc["services"]) == names
    for node, service in doc["services"].items():
        assert service["hostname"] == node
        assert service["container_name"] == f"faultline-x-1-{node}"
        assert service["cap_add"] == ["NET_ADMIN"]
        assert service["environment"]["FAULTLINE_NODE"] == node
        assert service["environment"]["FAULTLINE_NODES"] == ",".join(names)
        assert service["environment"]["FAULTLINE_CLUSTER"] == "faultline-x-1"
        assert service["labels"] == {"faultline.db": db, "faultline.node": node}
        assert service["image"] == compose_file.DBS[db].image
        # The harness dials container IPs: nothing may be published on the host.
        assert "ports" not in service
    assert compose_file.db_spec(db).client_port == port


def test_image_override_and_env_cannot_override_identity():
    doc = compose_file.render("etcd", 3, "faultline-y", image="faultline/etcd-clock:3.4",
                              env={"FAULTLINE_ETCD_ARGS": "--debug", "FAULTLINE_NODE": "evil"})
    n2 = doc["services"]["n2"]
    assert n2["image"] == "faultline/etcd-clock:3.4"
    assert n2["environment"]["FAULTLINE_ETCD_ARGS"] == "--debug"
    assert n2["environment"]["FAULTLINE_NODE"] == "n2"


def test_dumps_is_json_a_yaml_parser_reads():
    text = compose_file.dumps(compose_file.render("zookeeper", 3, "faultline-z"))
    assert json.loads(text)["services"]["n3"]["tmpfs"] == [compose_file.DATA_DIR]


@pytest.mark.parametrize("bad", [("mysql", 3), ("etcd", 4), ("etcd", 1)])
def test_bad_db_or_node_count_is_bad_input(bad):
    with pytest.raises(BadInputError):
        compose_file.render(bad[0], bad[1], "faultline-q")


def test_project_names_are_unique_prefixed_and_validated():
    a, b = project_name("etcd"), project_name("etcd")
    assert a != b and a.startswith("faultline-etcd-")
    assert project_name("etcd", "mine") == "faultline-mine"
    assert project_name("etcd", "faultline-mine") == "faultline-mine"
    with pytest.raises(BadInputError):
        project_name("etcd", "Has Spaces")
