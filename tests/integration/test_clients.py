"""The register clients against real 3-node etcd and ZooKeeper clusters (docker compose).

Known results per db, read mode and transport, then the classification of errors met
for real: a request to a paused server times out (unknown outcome: ``info`` for a write,
``fail`` for a read); a request to a stopped server is refused before it is sent (``fail``).
"""

from __future__ import annotations

import asyncio
import time
import uuid

import pytest

from faultline.core.vocabulary import CAS_MISMATCH
from faultline.core.op import FAIL, INFO, OK, Op
from faultline.dbs import DBS, client_factory
from support import wait_until

pytestmark = pytest.mark.integration


@pytest.fixture(params=[0, 1])
def transport(request, cluster):
    """Each of the db's transports (etcd: http, grpc); a db with one has no second variant."""
    transports = DBS.get(cluster.db).transports
    if request.param >= len(transports):
        pytest.skip(f"{cluster.db} has one transport")
    return transports[request.param]


def make_test(cluster, read_mode=None, transport=None, **extra):
    return {"db": cluster.db, "read_mode": read_mode, "transport": transport,
            "nodes": list(cluster.nodes),
            "addresses": {n: list(cluster.address(n)) for n in cluster.nodes},
            "key_prefix": f"itest-{uuid.uuid4().hex[:10]}", **extra}


async def opened(test, node, setup=False):
    client = client_factory(DBS.get(test["db"]), "register", test)()
    await client.open(test, node)
    if setup:
        await client.setup(test)
    return client


def invoke(f, value=None, key="k"):
    return Op("invoke", f, value, process=0, key=key)


@pytest.mark.parametrize("mode_index", [0, 1])
def test_known_results(cluster, transport, mode_index):
    read_mode = DBS.get(cluster.db).read_modes[mode_index]
    test = make_test(cluster, read_mode, transport)
    # A cas whose compare against a value fails: etcd decides it in the txn (linearizable);
    # ZooKeeper compares against a read that may be stale, so it must not claim more.
    value_mismatch = CAS_MISMATCH if cluster.db == "etcd" else "value-differs"
    script = [
        (invoke("read"), OK, None, None),
        (invoke("cas", [1, 2]), FAIL, [1, 2], value_mismatch),
        (invoke("cas", [None, 1]), OK, [None, 1], None),
        (invoke("cas", [None, 5]), FAIL, [None, 5], CAS_MISMATCH),
        (invoke("read"), OK, 1, None),
        (invoke("write", 3), OK, 3, None),
        (invoke("read"), OK, 3, None),
        (invoke("cas", [3, 4]), OK, [3, 4], None),
        (invoke("cas", [3, 6]), FAIL, [3, 6], value_mismatch),
        (invoke("read"), OK, 4, None),
        (invoke("write", 9, key="fresh"), OK, 9, None),
        (invoke("read", key="fresh"), OK, 9, None),
    ]

    async def main():
        client = await opened(test, "n1", setup=True)
        try:
            for op, kind, value, error in script:
                done = await client.invoke(test, op)
                assert (done.type, done.value, done.error, done.node) == (kind, value, error, "n1"), op
                assert (done.f, done.key, done.process) == (op.f, op.key, op.process)
        finally:
            await client.close(test)
            await client.close(test)  # idempotent

    asyncio.run(main())


def test_writes_are_visible_from_every_node(cluster):
    """Through the linearizable read mode (etcd) / sync-then-read (ZooKeeper)."""
    test = make_test(cluster)

    async def main():
        clients = [await opened(test, n, setup=(n == "n1")) for n in cluster.nodes]
        try:
            for i, writer in enumerate(clients):
                assert (await writer.invoke(test, invoke("write", 100 + i))).type == OK
                for reader in clients:
                    done = await reader.invoke(test, invoke("read"))
                    assert (done.type, done.value) == (OK, 100 + i)
        finally:
            for client in clients:
                await client.close(test)

    asyncio.run(main())


def test_paused_server_write_is_info_and_read_is_fail(cluster, transport):
    test = make_test(cluster, transport=transport, client_timeout_s=1.0)

    async def main():
        client = await opened(test, "n3", setup=True)
        try:
            assert (await client.invoke(test, invoke("write", 1))).type == OK
            await asyncio.to_thread(cluster.pause, "n3")
            try:
                write = await client.invoke(test, invoke("write", 2))
                assert (write.type, write.error, write.node) == (INFO, "timeout", "n3")
                read = await client.invoke(test, invoke("read"))
                assert (read.type, read.error) == (FAIL, "timeout")
            finally:
                await asyncio.to_thread(cluster.resume, "n3")
        finally:
            await client.close(test)

    asyncio.run(main())
    wait_until(lambda: cluster.healthy("n3"), what="n3 to serve again")


def test_stopped_server_is_fail_before_sending_and_recovers(cluster, transport):
    test = make_test(cluster, transport=transport)

    async def main():
        client = await opened(test, "n3", setup=True)
        try:
            assert (await client.invoke(test, invoke("write", 1))).type == OK
            await asyncio.to_thread(cluster.kill, "n3")
            try:
                await asyncio.sleep(1.0)  # let the client see its connection close
                write = await client.invoke(test, invoke("write", 2))
                assert (write.type, write.node) == (FAIL, "n3")
                assert write.error.startswith("not-sent"), write.error
                cas = await client.invoke(test, invoke("cas", [1, 3]))
                assert cas.type == FAIL and cas.error.startswith(("not-sent", "cas-read: not-sent"))
            finally:
                await asyncio.to_thread(cluster.start, "n3")
            await asyncio.to_thread(wait_until, lambda: cluster.healthy("n3"), 60.0, "n3 to serve")
            # The same client carries on once its node serves again (reconnects by itself).
            deadline = time.monotonic() + 30
            while True:
                done = await client.invoke(test, invoke("write", 4))
                if done.type == OK or time.monotonic() > deadline:
                    break
                assert done.type == FAIL, done  # still refused, never unknown
                await asyncio.sleep(0.5)
            assert done.type == OK, done
            read = await client.invoke(test, invoke("read"))
            assert (read.type, read.value) == (OK, 4)
        finally:
            await client.close(test)

    asyncio.run(main())


def test_open_on_a_stopped_server_raises_without_side_effects(cluster):
    test = make_test(cluster)
    cluster.kill("n2")
    try:
        async def main():
            client = client_factory(DBS.get(cluster.db), "register", test)()
            with pytest.raises(Exception):
                await client.open(test, "n2")
            await client.close(test)

        asyncio.run(main())
    finally:
        cluster.start("n2")
    wait_until(lambda: cluster.healthy("n2"), 60.0, "n2 to serve again")
