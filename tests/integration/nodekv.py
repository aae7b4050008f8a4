"""Linearizable put/get of one key through ONE chosen node, for the nemesis tests.

Deliberately independent of the workload clients: these tests observe what a fault does
to the cluster, so they talk to a single node with short timeouts and no retries, and
any failure to answer counts as "not served".

- etcd: the JSON gateway (``/v3/kv/put``, ``/v3/kv/range``; a range is linearizable
  unless ``serializable`` is set, so an isolated member cannot answer it).
- ZooKeeper: kazoo connected to that node only; a read is ``sync`` then ``get``.
"""

from __future__ import annotations

import base64
import http.client
import json

from kazoo.client import KazooClient
from kazoo.exceptions import NoNodeError

from support import wait_until

TIMEOUT_S = 3.0


def _b64(text: str) -> str:
    return base64.b64encode(text.encode()).decode()


def _etcd(cluster, node: str, path: str, doc: dict, timeout: float) -> dict:
    host, port = cluster.address(node)
    conn = http.client.HTTPConnection(host, port, timeout=timeout)
    try:
        conn.request("POST", path, body=json.dumps(doc))
        response = conn.getresponse()
        body = response.read()
        if response.status != 200:
            raise RuntimeError(f"{node}: {path} -> {response.status} {body[:200]!r}")
        return json.loads(body)
    finally:
        conn.close()


def _zk(cluster, node: str, timeout: float) -> KazooClient:
    host, port = cluster.address(node)
    zk = KazooClient(hosts=f"{host}:{port}", timeout=timeout, connection_retry=None,
                     command_retry=None)
    try:
        zk.start(timeout=timeout)
    except Exception:
        zk.close()
        raise
    return zk


def put(cluster, node: str, key: str, value: str, timeout: float = TIMEOUT_S) -> None:
    """Write ``key=value`` through ``node``; raises when the node does not commit it."""
    if cluster.db == "etcd":
        _etcd(cluster, node, "/v3/kv/put", {"key": _b64(key), "value": _b64(value)}, timeout)
        return
    zk = _zk(cluster, node, timeout)
    try:
        path = f"/{key}"
        if zk.exists(path):
            zk.set(path, value.encode())
        else:
            zk.create(path, value.encode())
    finally:
        zk.stop()
        zk.close()


def get(cluster, node: str, key: str, timeout: float = TIMEOUT_S) -> str | None:
    """Linearizable read of ``key`` through ``node`` (None: absent); raises when not served."""
    if cluster.db == "etcd":
        reply = _etcd(cluster, node, "/v3/kv/range", {"key": _b64(key)}, timeout)
        kvs = reply.get("kvs") or []
        return base64.b64decode(kvs[0]["value"]).decode() if kvs else None
    zk = _zk(cluster, node, timeout)
    try:
        path = f"/{key}"
        zk.sync(path)
        try:
            return zk.get(path)[0].decode()
        except NoNodeError:
            return None
    finally:
        zk.stop()
        zk.close()


def serves(cluster, node: str, key: str, timeout: float = TIMEOUT_S) -> bool:
    try:
        get(cluster, node, key, timeout)
        return True
    except Exception:  # noqa: BLE001 - any failure to answer is "not served"
        return False


def wait_all_serve(cluster, timeout: float = 60.0) -> None:
    """Until every node of ``cluster`` serves a linearizable read."""
    for node in cluster.nodes:
        wait_until(lambda n=node: serves(cluster, n, "probe"), timeout, f"{node} to serve")
