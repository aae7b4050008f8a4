"""The spec validates read modes and etcd transports without importing the clients (so the
CLI stays quick to start); its copies must name exactly what the clients implement."""

from faultline.runner import spec
from faultline.dbs import clients


def test_read_modes_match_the_clients():
    assert {db: set(modes) for db, modes in spec.READ_MODES.items()} == \
        {db: set(modes) for db, modes in clients.READ_MODES.items()}


def test_etcd_transports_match_the_clients():
    assert set(spec.ETCD_TRANSPORTS) == set(clients.ETCD_TRANSPORTS)
