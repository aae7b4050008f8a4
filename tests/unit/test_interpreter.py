"""The interpreter against the in-memory fake client: no Docker, real asyncio, short times."""

import asyncio
import random

import pytest

from faultline.fakes import FakeClient, FakeRegisters, fake_client_factory
from faultline.core.generator import both, clients, cycle, limit, repeat, sleep, time_limit
from faultline.core.history import HistoryWriter, read_jsonl
from faultline.runner.interpreter import Interpreter
from faultline.core.op import FAIL, INFO, INVOKE, NEMESIS, OK


def run(gen, tmp_path, *, concurrency=3, factory=None, nem=None, op_timeout=1.0, seed=1):
    writer = HistoryWriter(tmp_path / "history.jsonl")
    regs = FakeRegisters()

    async def main():
        it = Interpreter({}, writer, client_factory=factory or fake_client_factory(regs),
                         nodes=["n1", "n2", "n3"], concurrency=concurrency,
                         rng=random.Random(seed), op_timeout_s=op_timeout, nemesis=nem,
                         poll_s=0.002)
        await it.run(gen)
        await it.close()
        return it
    it = asyncio.run(main())
    writer.close()
    return writer.history, it


def assert_well_formed(history):
    open_by_process = {}
    last_time = -1
    for i, op in enumerate(history):
        assert op.index == i
        assert op.time >= last_time  # times follow the order of the history
        last_time = op.time
        if op.type == INVOKE:
            assert op.process not in open_by_process, "a process invoked twice"
            open_by_process[op.process] = op
        else:
            inv = open_by_process.pop(op.process)
            assert (inv.f, inv.key) == (op.f, op.key)
    return open_by_process


def test_every_op_completes_and_the_file_matches_memory(tmp_path):
    gen = limit(50, repeat({"f": "write", "value": 1, "key": 0}))
    history, it = run(gen, tmp_path)
    assert assert_well_formed(history) == {}
    assert len(history) == 100 and it.ok == 50
    stored = read_jsonl(tmp_path / "history.jsonl")
    assert [op.to_dict() for op in stored] == [op.to_dict() for op in history]


def test_threads_spread_over_nodes(tmp_path):
    history, _ = run(limit(60, repeat({"f": "read", "key": 0})), tmp_path, concurrency=3)
    assert {op.node for op in history if op.type == INVOKE} == {"n1", "n2", "n3"}


def test_timeout_is_info_and_the_process_is_replaced(tmp_path):
    regs = FakeRegisters()
    factory = fake_client_factory(regs, misbehave=lambda op: "hang" if op.value == 2 else None)
    gen = clients([{"f": "write", "value": 1, "key": 0}, {"f": "write", "value": 2, "key": 0},
                   {"f": "write", "value": 3, "key": 0}])
    history, _ = run(gen, tmp_path, concurrency=1, factory=factory, op_timeout=0.2)
    assert_well_formed(history)
    comps = [op for op in history if op.type != INVOKE]
    assert [(op.value, op.type, op.process) for op in comps] == [(1, OK, 0), (2, INFO, 0), (3, OK, 1)]
    assert comps[1].error == "timeout"


def test_exception_in_invoke_is_info_with_its_text(tmp_path):
    factory = fake_client_factory(FakeRegisters(), misbehave=lambda op: "raise")
    history, _ = run(limit(2, repeat({"f": "read", "key": 0})), tmp_path, concurrency=1,
                     factory=factory)
    comps = [op for op in history if op.type != INVOKE]
    assert [op.type for op in comps] == [INFO, INFO]
    assert "ConnectionResetError" in comps[0].error and "fake peer" in comps[0].error
    assert [op.process for op in comps] == [0, 1]


def test_replaced_process_gets_a_fresh_client(tmp_path):
    made = []
    regs = FakeRegisters()

    def factory():
        c = FakeClient(regs, misbehave=lambda op: "raise" if op.value == 1 else None)
        made.append(c)
        return c
    run(clients([{"f": "write", "value": 1, "key": 0}, {"f": "write", "value": 2, "key": 0}]),
        tmp_path, concurrency=1, factory=factory)
    assert len(made) == 2 and made[0].closed and made[1].closed


def test_open_failure_is_fail_and_keeps_the_process(tmp_path, monkeypatch):
    monkeypatch.setattr("faultline.runner.workers.OPEN_RETRY_BACKOFF_S", 0)

    class Refusing(FakeClient):
        async def open(self, test, node):
            raise ConnectionRefusedError("refused")
    history, _ = run(limit(2, repeat({"f": "read", "key": 0})), tmp_path, concurrency=1,
                     factory=lambda: Refusing(FakeRegisters()))
    comps = [op for op in history if op.type != INVOKE]
    assert [(op.type, op.process) for op in comps] == [(FAIL, 0), (FAIL, 0)]
    assert comps[0].error.startswith("open: ConnectionRefusedError")


class RecordingNemesis:
    def __init__(self):
        self.calls = []

    def fs(self):
        return {"start", "stop"}

    def setup(self, test):
        pass

    def invoke(self, test, op):  # synchronous: the interpreter runs it in a thread
        self.calls.append(op.f)
        return op.with_(value={"did": op.f, "nodes": ["n1"]})

    def teardown(self, test):
        pass


def test_nemesis_ops_are_invoke_then_info_with_what_was_done(tmp_path):
    nem = RecordingNemesis()
    gen = time_limit(0.3, both(repeat({"f": "read", "key": 0}),
                               cycle([sleep(0.05), {"f": "start"}, sleep(0.05), {"f": "stop"}])))
    history, _ = run(gen, tmp_path, nem=nem)
    assert_well_formed(history)
    nem_ops = [op for op in history if op.process == NEMESIS]
    assert nem_ops and nem.calls
    assert [op.type for op in nem_ops[:2]] == [INVOKE, INFO]
    assert nem_ops[1].value == {"did": "start", "nodes": ["n1"]}


def test_failing_nemesis_is_recorded_and_the_test_goes_on(tmp_path):
    class Broken(RecordingNemesis):
        async def invoke(self, test, op):
            raise RuntimeError("iptables missing")
    history, it = run(both(limit(5, repeat({"f": "read", "key": 0})), {"f": "start"}),
                      tmp_path, nem=Broken())
    info = [op for op in history if op.process == NEMESIS and op.type == INFO][0]
    assert "iptables missing" in info.error and it.ok == 5


def test_completions_are_recorded_before_new_invocations(tmp_path):
    # With one thread every invoke must follow the previous op's completion.
    history, _ = run(limit(20, repeat({"f": "read", "key": 0})), tmp_path, concurrency=1)
    assert [op.type for op in history] == [INVOKE, OK] * 20


def test_cancellation_leaves_a_readable_history(tmp_path):
    writer = HistoryWriter(tmp_path / "history.jsonl")
    factory = fake_client_factory(FakeRegisters(), latency_s=0.05)

    async def main():
        it = Interpreter({}, writer, client_factory=factory, nodes=["n1"], concurrency=2,
                         rng=random.Random(0), op_timeout_s=1)
        task = asyncio.create_task(it.run(repeat({"f": "read", "key": 0})))
        await asyncio.sleep(0.2)
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
        await it.close()
    asyncio.run(main())
    writer.close()
    stored = read_jsonl(tmp_path / "history.jsonl")
    assert len(stored) > 4
    assert_well_formed(stored)


def test_generator_bug_naming_a_missing_process_is_an_error(tmp_path):
    class Bad:
        def op(self, test, ctx):
            return {"f": "read", "process": 7, "time": 0}, None

        def update(self, test, ctx, event):
            return self
    with pytest.raises(RuntimeError, match="process 7"):
        run(Bad(), tmp_path)
