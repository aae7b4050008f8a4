"""etcd 3.4: its descriptor (:data:`DB`), its register clients and its transactional ones
(:mod:`faultline.dbs.etcd.txn_client`, :mod:`faultline.dbs.etcd.grpc_txn_client`:
list-append, rw-register).

Clients talk to a node over ``http`` (the JSON gateway through our own HTTP/1.1 client,
:mod:`faultline.dbs.etcd.client`; the default: least harness CPU per op) or ``grpc``
(aetcd's stubs, :mod:`faultline.dbs.etcd.grpc_client`: less etcd server CPU); see
docs/clients.md. Reads are ``linearizable`` (default) or ``serializable``. Probes:
:mod:`faultline.dbs.etcd.probes`. The default image runs Debian's etcd, which cannot skew
its clock; the ``clock`` image is etcd built with a wall-clock offset
(docs/faults-clock-packet.md).

This module is imported whenever the db registry is read: it imports no client library.
"""

from faultline.dbs.etcd import probes
from faultline.dbs.protocol import CLOCK_IMAGE, DEFAULT_IMAGE, Database, Image

DB = Database(
    name="etcd",
    version="3.4",
    client_port=2379,
    peer_ports=(2380,),
    images={
        DEFAULT_IMAGE: Image("etcd", "faultline/etcd:3.4", "etcd/Dockerfile", ("common", "etcd")),
        # Compiled from Debian's Go sources: building it takes minutes.
        CLOCK_IMAGE: Image("etcd-clock", "faultline/etcd-clock:3.4", "etcd-clock/Dockerfile",
                           ("common", "etcd", "etcd-clock")),
    },
    launcher="/usr/local/lib/faultline/etcd-server.sh",
    read_modes=("linearizable", "serializable"),
    transports=("http", "grpc"),
    clients={"register": {"http": "faultline.dbs.etcd.client:etcd_client_factory",
                          "grpc": "faultline.dbs.etcd.grpc_client:etcd_grpc_client_factory"},
             "list-append": {"http": "faultline.dbs.etcd.txn_client:list_append_client_factory",
                             "grpc": "faultline.dbs.etcd.grpc_txn_client:list_append_client_factory"},
             "rw-register": {"http": "faultline.dbs.etcd.txn_client:rw_register_client_factory",
                             "grpc": "faultline.dbs.etcd.grpc_txn_client:rw_register_client_factory"},
             "set": {"http": "faultline.dbs.etcd.set_client:etcd_set_client_factory"},
             "lock": {"http": "faultline.dbs.etcd.lock_client:etcd_lock_client_factory"},
             "election": {"http": "faultline.dbs.etcd.election_client:etcd_election_client_factory"},
             "watch": {"http": "faultline.dbs.etcd.watch_client:etcd_watch_client_factory"}},
    # etcd promises strict serializability for every KV call; serializable reads are
    # its documented exception, checked against the promise to show what they cost.
    txn_models={"linearizable": ("strict-serializable",),
                "serializable": ("strict-serializable",)},
    server_history=True,  # the register client watches the prefix (checkers/settle.py)
    probe_healthy=probes.etcd_healthy,
    probe_status=probes.etcd_status,
    pick_leader=probes.etcd_leader,
)

__all__ = ["DB"]
