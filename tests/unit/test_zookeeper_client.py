"""The ZooKeeper client's request flows against a scripted in-memory kazoo stand-in:
which requests each op sends, in which order, and how each outcome is recorded."""

from __future__ import annotations

import asyncio
from types import SimpleNamespace

import pytest
from kazoo import exceptions as kx

from faultline.core.vocabulary import CAS_MISMATCH
from faultline.core.op import FAIL, INFO, OK, Op
from faultline.dbs.zookeeper.client import ZooKeeperClient

HANG = "hang"          # the request is sent and never answered
REFUSE = "refuse"      # kazoo fails the request before queuing it
FAST_LOSS = "fast-loss"  # sent, and failed with ConnectionLoss before *_async returned


class FakeResult:
    """The part of kazoo's IAsyncResult the client uses."""

    def __init__(self):
        self._callbacks, self._done, self.value, self.exception = [], False, None, None

    def ready(self):
        return self._done

    def successful(self):
        return self._done and self.exception is None

    def rawlink(self, callback):
        if self._done:
            callback(self)
        else:
            self._callbacks.append(callback)

    def settle(self, value=None, exception=None):
        self._done, self.value, self.exception = True, value, exception
        for callback in self._callbacks:
            callback(self)


class FakeKazoo:
    """Znodes in a dict; ``inject[name]`` lists what the next calls of ``name`` do instead
    (an exception to answer with, HANG, REFUSE, FAST_LOSS, ("delay", s), or a callable run
    before answering)."""

    def __init__(self, **kwargs):
        self.kwargs, self.connected, self.znodes, self.calls = kwargs, True, {}, []
        self.inject: dict[str, list] = {}
        self.stopped = 0

    def start(self, timeout):
        pass

    def stop(self):
        self.stopped += 1

    def close(self):
        pass

    def ensure_path(self, path):
        self.znodes.setdefault(path, (b"", 0))

    def _answer(self, name, action):
        self.calls.append(name)
        result = FakeResult()
        plan = self.inject.get(name)
        step = plan.pop(0) if plan else None
        if step == HANG:
            return result
        if step == REFUSE:
            result.refused = True
            result.settle(exception=kx.SessionExpiredError())
            return result
        if step == FAST_LOSS:
            result.settle(exception=kx.ConnectionLoss())
            return result
        # A sent request is answered later, never before the call returns (like kazoo's
        # connection thread); only REFUSE and FAST_LOSS above settle synchronously.
        later = asyncio.get_running_loop().call_soon
        if isinstance(step, tuple):  # ("delay", seconds): answer normally, that much later
            delay = step[1]
            later = lambda *args: asyncio.get_running_loop().call_later(delay, *args)  # noqa: E731
        elif isinstance(step, BaseException):
            later(result.settle, None, step)
            return result
        if callable(step) and not isinstance(step, tuple):
            step()
        try:
            value = action()
        except kx.ZookeeperError as e:
            later(result.settle, None, e)
        else:
            later(result.settle, value)
        return result

    def sync_async(self, path):
        return self._answer("sync", lambda: path)

    def get_async(self, path):
        def get():
            if path not in self.znodes:
                raise kx.NoNodeError()
            data, version = self.znodes[path]
            return data, SimpleNamespace(version=version)
        return self._answer("get", get)

    def set_async(self, path, data, version=-1):
        def set_():
            if path not in self.znodes:
                raise kx.NoNodeError()
            current = self.znodes[path][1]
            if version not in (-1, current):
                raise kx.BadVersionError()
            self.znodes[path] = (data, current + 1)
        return self._answer("set", set_)

    def create_async(self, path, data):
        def create():
            if path in self.znodes:
                raise kx.NodeExistsError()
            self.znodes[path] = (data, 0)
        return self._answer("create", create)


class ScriptedClient(ZooKeeperClient):
    kazoo_class = FakeKazoo


TEST = {"db": "zookeeper", "key_prefix": "t", "addresses": {"n1": "10.0.0.1:2181"}}


def run(read_mode, scenario, timeout_s=0.2, client_class=None):
    """``scenario(client, fake kazoo)`` on an open, set-up client (``client_class``, a
    subclass of ZooKeeperClient on a scripted kazoo: ScriptedClient by default)."""
    async def main():
        client = (client_class or ScriptedClient)(read_mode=read_mode, prefix="t",
                                                  timeout_s=timeout_s)
        await client.open(TEST, "n1")
        await client.setup(TEST)
        try:
            return await scenario(client, client._zk)
        finally:
            await client.close(TEST)
            await client.close(TEST)
    return asyncio.run(main())


async def do(client, f, value=None, key="k"):
    done = await client.invoke(TEST, Op("invoke", f, value, process=3, key=key))
    assert (done.f, done.key, done.process, done.node) == (f, key, 3, "n1")
    return done.type, done.value, done.error


def test_open_dials_only_its_node():
    async def scenario(client, zk):
        return zk.kwargs
    kwargs = run("sync", scenario)
    assert kwargs["hosts"] == "10.0.0.1:2181"
    assert kwargs["randomize_hosts"] is False


@pytest.mark.parametrize("read_mode, requests", [("sync", ["sync", "get"]), ("plain", ["get"])])
def test_read_modes(read_mode, requests):
    async def scenario(client, zk):
        assert await do(client, "read") == (OK, None, None)
        assert zk.calls == requests
        zk.znodes["/t/k"] = (b"17", 3)
        assert await do(client, "read") == (OK, 17, None)
    run(read_mode, scenario)


def test_write_creates_then_sets():
    async def scenario(client, zk):
        assert await do(client, "write", 1) == (OK, 1, None)
        assert zk.calls == ["set", "create"]
        assert await do(client, "write", 2) == (OK, 2, None)
        assert zk.calls[2:] == ["set"] and zk.znodes["/t/k"][0] == b"2"
    run("sync", scenario)


def test_write_that_loses_the_create_race_sets():
    async def scenario(client, zk):
        zk.inject["create"] = [lambda: zk.znodes.setdefault("/t/k", (b"9", 0))]
        assert await do(client, "write", 1) == (OK, 1, None)
        assert zk.calls == ["set", "create", "set"]
        assert zk.znodes["/t/k"][0] == b"1"
    run("sync", scenario)


def test_not_connected_is_fail_and_sends_nothing():
    async def scenario(client, zk):
        zk.connected = False
        kind, _, error = await do(client, "write", 1)
        assert (kind, error) == (FAIL, "not-sent: session not connected")
        assert zk.calls == []
    run("sync", scenario)


def test_refused_by_kazoo_before_queuing_is_fail():
    async def scenario(client, zk):
        zk.inject["set"] = [REFUSE]
        kind, _, error = await do(client, "write", 1)
        assert kind == FAIL and error.startswith("not-sent")
    run("sync", scenario)


def test_a_sent_request_failing_before_the_call_returns_is_not_taken_for_refused():
    async def scenario(client, zk):
        zk.inject["set"] = [FAST_LOSS]
        assert await do(client, "write", 1) == (INFO, 1, "ConnectionLoss")
    run("sync", scenario)


@pytest.mark.parametrize("f, value, expected", [("write", 1, INFO), ("read", None, FAIL)])
def test_connection_loss_after_sending(f, value, expected):
    async def scenario(client, zk):
        zk.inject["set"] = [kx.ConnectionLoss()]
        zk.inject["get"] = [kx.ConnectionLoss()]
        kind, _, error = await do(client, f, value)
        assert (kind, error) == (expected, "ConnectionLoss")
    run("plain", scenario)


def test_unanswered_write_is_info_timeout():
    async def scenario(client, zk):
        zk.inject["set"] = [HANG]
        assert await do(client, "write", 1) == (INFO, 1, "timeout")
    run("sync", scenario, timeout_s=0.05)


def test_cas_paths():
    async def scenario(client, zk):
        assert await do(client, "cas", [None, 1]) == (OK, [None, 1], None)
        assert zk.calls == ["create"]
        assert await do(client, "cas", [None, 2]) == (FAIL, [None, 2], CAS_MISMATCH)
        assert await do(client, "cas", [5, 6]) == (FAIL, [5, 6], "value-differs")
        calls = len(zk.calls)
        assert await do(client, "cas", [1, 2]) == (OK, [1, 2], None)
        assert zk.calls[calls:] == ["sync", "get", "set"]
        assert zk.znodes["/t/k"] == (b"2", 1)
        # Someone else writes between our read and our versioned set.
        zk.inject["get"] = [None]
        zk.inject["set"] = [lambda: zk.znodes.update({"/t/k": (b"7", 5)})]
        assert await do(client, "cas", [2, 3]) == (FAIL, [2, 3], "bad-version")
    run("sync", scenario)


def test_cas_whose_read_fails_is_fail_and_whose_set_is_lost_is_info():
    async def scenario(client, zk):
        zk.znodes["/t/k"] = (b"1", 0)
        zk.inject["sync"] = [HANG]
        kind, _, error = await do(client, "cas", [1, 2])
        assert (kind, error) == (FAIL, "cas-read: timeout")
        zk.inject["set"] = [kx.ConnectionLoss()]
        assert (await do(client, "cas", [1, 2]))[0] == INFO
    run("sync", scenario, timeout_s=0.05)


def test_close_stops_the_session_once():
    async def main():
        client = ScriptedClient(read_mode="sync", prefix="t", timeout_s=1)
        await client.open(TEST, "n1")
        zk = client._zk
        await client.close(TEST)
        await client.close(TEST)
        assert zk.stopped == 1
    asyncio.run(main())


def test_real_kazoo_marks_requests_it_refuses_before_queuing():
    """The refusal marker on the real KazooClient: a session never started is CLOSED, and
    kazoo fails a request on it before queuing it."""
    from faultline.dbs.zookeeper.kazoo_bridge import InlineCallbackHandler, RefusalAwareKazooClient

    zk = RefusalAwareKazooClient(hosts="127.0.0.1:1", handler=InlineCallbackHandler())
    result = zk.get_async("/x")
    assert result.refused and isinstance(result.exception, kx.ConnectionClosedError)


def test_one_deadline_covers_all_the_requests_of_an_op():
    """sync answered late + get never answered: the read ends at the op's deadline, not
    at one deadline per request."""
    async def scenario(client, zk):
        zk.inject["sync"] = [("delay", 0.25)]
        zk.inject["get"] = [HANG]
        loop = asyncio.get_running_loop()
        start = loop.time()
        assert await do(client, "read") == (FAIL, None, "timeout")
        return loop.time() - start
    assert run("sync", scenario, timeout_s=0.3) < 0.45
