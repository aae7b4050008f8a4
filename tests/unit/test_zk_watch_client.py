"""The ZooKeeper watch client against an in-memory server stand-in with one-time watches:
puts and multis record the zxid they wrote at, a watch session logs its reads (with the
reply's zxid) and events in the order they arrive, re-arms a key after its event, watches
an absent znode for its creation, and ends its log when the connection is lost; the
wire-order handler runs watch callbacks where they arrive."""

from __future__ import annotations

import asyncio
from types import SimpleNamespace

from kazoo import exceptions as kx

from faultline.checkers.zk_watch import check_zk_watch
from faultline.core.history import History
from faultline.core.op import FAIL, OK, Op
from faultline.dbs.client_support import NOT_SENT_BACKOFF_S
from faultline.dbs.zookeeper.watch_client import WireOrderHandler, ZooKeeperWatchClient

from test_zookeeper_client import TEST, FakeResult, run as run_client

DIR = "/t/w"


class FakeServer:
    """A kazoo client stand-in over one server: znodes ``path -> (data, mzxid, version)``,
    one data watch per path, fired (inline, as the wire-order handler does) when a write
    is applied; answers come on the loop's next turn, in request order."""

    def __init__(self, **kwargs):
        self.kwargs, self.connected, self.znodes = kwargs, True, {}
        self.zxid, self.last_zxid = 1, 0
        self.watches: dict[str, object] = {}
        self.listeners: list = []

    def start(self, timeout):
        pass

    def stop(self):
        pass

    def close(self):
        pass

    def add_listener(self, listener):
        self.listeners.append(listener)

    def ensure_path(self, path):
        self.znodes.setdefault(path, (b"", 0, 0))

    def _answer(self, action):
        result = FakeResult()

        def settle():
            self.last_zxid = self.zxid   # the reply header's zxid
            try:
                result.settle(action())
            except kx.ZookeeperError as e:
                result.settle(exception=e)
        asyncio.get_running_loop().call_soon(settle)
        return result

    def apply(self, writes: dict) -> int:
        """Write ``{path: data}`` in one transaction; fire the watches set on them."""
        self.zxid += 1
        for path, data in writes.items():
            version = self.znodes[path][2] + 1 if path in self.znodes else 0
            self.znodes[path] = (data, self.zxid, version)
        for path in writes:
            watch = self.watches.pop(path, None)
            if watch is not None:
                watch(SimpleNamespace(path=path, type="CHANGED", state="CONNECTED"))
        return self.zxid

    def _stat(self, path):
        _, mzxid, version = self.znodes[path]
        return SimpleNamespace(mzxid=mzxid, version=version)

    def get_async(self, path, watch=None):
        def get():
            if path not in self.znodes:
                raise kx.NoNodeError()
            if watch is not None:
                self.watches[path] = watch
            return self.znodes[path][0], self._stat(path)
        return self._answer(get)

    def exists_async(self, path, watch=None):
        def exists():
            if watch is not None:
                self.watches[path] = watch
            return self._stat(path) if path in self.znodes else None
        return self._answer(exists)

    def set_async(self, path, data):
        def set_():
            if path not in self.znodes:
                raise kx.NoNodeError()
            self.apply({path: data})
            return self._stat(path)
        return self._answer(set_)

    def create_async(self, path, data, acl, ephemeral, sequence, makepath, include_data):
        assert include_data is True

        def create():
            if path in self.znodes:
                raise kx.NodeExistsError()
            self.apply({path: data})
            return path, self._stat(path)
        return self._answer(create)

    def transaction(self):
        server, sets = self, {}

        class Txn:
            def set_data(self, path, data):
                sets[path] = data

            def commit_async(self):
                def commit():
                    if any(p not in server.znodes for p in sets):
                        return [kx.NoNodeError() if p not in server.znodes
                                else kx.RolledBackError() for p in sets]
                    server.apply(sets)
                    return [server._stat(p) for p in sets]
                return server._answer(commit)
        return Txn()


class Client(ZooKeeperWatchClient):
    kazoo_class = FakeServer

    def __init__(self, **options):
        super().__init__(**options, session_s=0.05)


def run(scenario):
    return run_client("sync", scenario, 0.5, Client)


async def do(client, f, value):
    return await client.invoke(TEST, Op("invoke", f, value, process=3))


def test_puts_and_multis_record_the_zxid_they_wrote_at():
    async def scenario(client, zk):
        created = await do(client, "put", {"mops": [["put", 0, 1]]})
        updated = await do(client, "put", {"mops": [["put", 0, 2]]})
        multi = await do(client, "txn", {"mops": [["put", 0, 3], ["put", 1, 4]]})
        await do(client, "put", {"mops": [["put", 1, 5]]})
        multi_ok = await do(client, "txn", {"mops": [["put", 0, 6], ["put", 1, 7]]})
        return created, updated, multi, multi_ok, zk.znodes
    created, updated, multi, multi_ok, znodes = run(scenario)
    assert (created.type, created.value["zxid"]) == (OK, 2)
    assert (updated.type, updated.value["zxid"]) == (OK, 3)
    assert multi.type == FAIL and "NoNodeError" in multi.error   # key 1 not created yet
    assert (multi_ok.type, multi_ok.value["zxid"]) == (OK, 5)
    assert znodes[f"{DIR}/0"][:2] == (b"6", 5) and znodes[f"{DIR}/1"][:2] == (b"7", 5)


def test_a_session_logs_reads_and_events_in_arrival_order_and_re_arms():
    async def scenario(client, zk):
        await do(client, "put", {"mops": [["put", 0, 1]]})
        watch = asyncio.ensure_future(do(client, "watch", {"keys": [0, 1]}))
        for _ in range(5):
            await asyncio.sleep(0)
        zk.apply({f"{DIR}/0": b"2"})            # fires key 0's watch
        for _ in range(5):
            await asyncio.sleep(0)
        zk.apply({f"{DIR}/1": b"3"})            # key 1 was absent: its exists watch fires
        return await watch
    done = run(scenario)
    assert done.type == OK and done.value["broken"] is None
    assert done.value["log"] == [
        ["read", 0, 1, 2, 0, 2], ["read", 1, None, None, None, 2],
        ["event", 0, "CHANGED"], ["read", 0, 2, 3, 1, 3],
        ["event", 1, "CHANGED"], ["read", 1, 3, 4, 0, 4]]


def test_a_lost_connection_ends_the_log():
    async def scenario(client, zk):
        watch = asyncio.ensure_future(do(client, "watch", {"keys": [0]}))
        for _ in range(5):
            await asyncio.sleep(0)
        for listener in zk.listeners:
            listener("SUSPENDED")
        zk.apply({f"{DIR}/0": b"9"})
        return await watch
    done = run(scenario)
    assert done.value["broken"] == "SUSPENDED"
    assert done.value["log"] == [["read", 0, None, None, None, 1], ["state", "SUSPENDED"]]


def test_a_session_that_cannot_start_fails_after_backing_off():
    async def scenario(client, zk):
        zk.connected = False
        loop = asyncio.get_running_loop()
        began = loop.time()
        done = await do(client, "watch", {"keys": [0]})
        return done, loop.time() - began
    done, took = run(scenario)
    assert done.type == FAIL and done.error.startswith("not-sent")
    assert took >= NOT_SENT_BACKOFF_S * 0.9   # no busy loop of failed sessions


def test_what_the_client_records_the_checker_finds_valid():
    writes = [("put", {"mops": [["put", 0, 1]]}), ("txn", {"mops": [["put", 0, 2]]}),
              ("put", {"mops": [["put", 1, 3]]})]

    async def scenario(client, zk):
        history = []

        async def record(process, f, value):
            history.append(Op("invoke", f, value, process))
            history.append((await client.invoke(TEST, history[-1])))

        await record(10, *writes[0])
        watch = asyncio.ensure_future(record(0, "watch", {"keys": [0, 1]}))
        await asyncio.sleep(0.01)
        for process, (f, value) in enumerate(writes[1:], start=11):
            await record(process, f, value)
        await watch
        return history
    result = check_zk_watch(History(run(scenario)))
    assert result.valid is True, result.data
    assert result.data["stats"]["events"] == 2 and result.data["stats"]["reads"] == 4


def test_the_wire_order_handler_runs_watch_callbacks_inline():
    handler, seen = WireOrderHandler(), []
    handler.dispatch_callback(SimpleNamespace(type="watch", func=seen.append, args=("e",)))
    assert seen == ["e"]
