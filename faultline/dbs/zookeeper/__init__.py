"""ZooKeeper 3.8: its descriptor (:data:`DB`), its register client and its transactional one
(:mod:`faultline.dbs.zookeeper.txn_client`: list-append, rw-register), and the set, lock
and watch clients.

One transport, ``kazoo`` (kazoo bridged into asyncio, :mod:`faultline.dbs.zookeeper.client`).
Reads are ``sync`` (default: a ``sync`` before each ``get``) or ``plain`` (may be stale).
Probes: the ``srvr`` four-letter word (:mod:`faultline.dbs.zookeeper.probes`). There is no
separate clock image: the default one runs the JVM under libfaketime.

This module is imported whenever the db registry is read: it imports no client library.
"""

from faultline.dbs.protocol import DEFAULT_IMAGE, Database, Image
from faultline.dbs.zookeeper import probes

DB = Database(
    name="zookeeper",
    version="3.8",
    client_port=2181,
    peer_ports=(2888, 3888),
    images={DEFAULT_IMAGE: Image("zookeeper", "faultline/zookeeper:3.8", "zookeeper/Dockerfile",
                                 ("common", "zookeeper"))},
    launcher="/usr/local/lib/faultline/zk-server.sh",
    read_modes=("sync", "plain"),
    transports=("kazoo",),
    clients={"register": {"kazoo": "faultline.dbs.zookeeper.client:zookeeper_client_factory"},
             "list-append": {"kazoo": "faultline.dbs.zookeeper.txn_client:list_append_client_factory"},
             "rw-register": {"kazoo": "faultline.dbs.zookeeper.txn_client:rw_register_client_factory"},
             "set": {"kazoo": "faultline.dbs.zookeeper.set_client:zookeeper_set_client_factory"},
             "lock": {"kazoo": "faultline.dbs.zookeeper.lock_client:zookeeper_lock_client_factory"},
             "watch": {"kazoo": "faultline.dbs.zookeeper.watch_client:zookeeper_watch_client_factory"}},
    # Writes (multi included) are linearizable; a read is up to date only after a sync,
    # otherwise it may be stale: sequentially consistent, so only serializable.
    txn_models={"sync": ("strict-serializable",), "plain": ("serializable",)},
    probe_healthy=probes.zk_healthy,
    probe_status=probes.zk_status,
    pick_leader=probes.zk_leader,
)

__all__ = ["DB"]
