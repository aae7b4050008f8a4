"""The interpreter: runs a generator against client and nemesis workers on asyncio.

It is the only writer of the history. One loop asks the generator for ops, stamps each
invocation and completion with its index and time (ns since the test started, from
``time.monotonic_ns``) as it records it, and hands invocations to workers. Completions
are recorded and fed to the generator *before* it is asked for the next op: waiting for
a slow path would make ops look concurrent that were not.

Threads: ``concurrency`` client threads ``0..N-1`` (thread i talks to node
``nodes[i % len(nodes)]``) and, when a nemesis is given, the thread ``"nemesis"``. A
client thread runs process ``thread`` at first; when an op of its process ends ``info``
the thread moves to process ``process + concurrency`` with a freshly opened client, since
the old process may still be acting on the database.

``run(gen)`` may be called several times (main phase, then final reads): threads,
processes and the history carry on. Ops due in the future (``"time"``) and PENDING are
waited for with a poll of ``poll_s`` at most, and any completion wakes the loop early.
"""

from __future__ import annotations

import asyncio
import bisect
import random
import time
from collections import deque
from typing import Any, Callable, Mapping, Sequence

from faultline.core.client import Client
from faultline.core.generator.context import Context, Thread
from faultline.core.generator.protocol import PENDING, as_generator
from faultline.core.history import HistoryWriter
from faultline.core.op import INFO, INVOKE, NEMESIS, OK, Op
from faultline.runner.workers import ClientWorker, NemesisWorker

DEFAULT_POLL_S = 0.01


class Interpreter:
    def __init__(self, test: Mapping[str, Any], writer: HistoryWriter, *,
                 client_factory: Callable[[], Client], nodes: Sequence[str],
                 concurrency: int, rng: random.Random, op_timeout_s: float,
                 nemesis: Any = None, start_ns: int | None = None,
                 poll_s: float = DEFAULT_POLL_S):
        if concurrency < 1:
            raise ValueError("concurrency must be >= 1")
        if not nodes:
            raise ValueError("no nodes to talk to")
        self.test = test
        self.writer = writer
        self.rng = rng
        self.concurrency = concurrency
        self.start_ns = time.monotonic_ns() if start_ns is None else start_ns
        self._poll_ns = int(poll_s * 1e9)
        self._workers: dict[Thread, Any] = {
            t: ClientWorker(t, nodes[t % len(nodes)], client_factory, test, op_timeout_s)
            for t in range(concurrency)
        }
        if nemesis is not None:
            self._workers[NEMESIS] = NemesisWorker(nemesis, test)
        self._process: dict[Thread, Any] = {t: t for t in self._workers}
        self._thread_of: dict[Any, Thread] = {p: t for t, p in self._process.items()}
        # Free client threads, kept sorted (the context lists clients in order, then the
        # nemesis), and whether the nemesis thread is free.
        self._free_clients: list[int] = list(range(concurrency))
        self._nemesis_free = nemesis is not None
        self._free_view: tuple[Thread, ...] | None = None
        self._workers_view: Mapping[Thread, Any] = dict(self._process)
        self._in_flight: dict[Thread, tuple[Op, asyncio.Task]] = {}
        self._done: deque[tuple[Thread, Op]] = deque()
        self._wake = asyncio.Event()
        # Progress counters, read by the progress line.
        self.invoked = 0
        self.completed = 0
        self.ok = 0

    def now(self) -> int:
        return time.monotonic_ns() - self.start_ns

    async def run(self, gen: Any) -> None:
        """Run ``gen`` until it is exhausted and every op it issued has completed."""
        g = as_generator(gen)
        try:
            while True:
                g = self._record_completions(g)
                now = self.now()
                ctx = self._context(now)
                res = None if g is None else g.op(self.test, ctx)
                if res is None:
                    if not self._in_flight:
                        return
                    await self._wait(None)
                    continue
                op, g2 = res
                if op is PENDING:
                    g = g2
                    await self._wait(now + self._poll_ns)
                    continue
                due = op.get("time") or 0
                if due > now:
                    wake = min(due, now + self._poll_ns)
                    if await self._wait(wake) or wake < due:
                        continue  # ask again: a completion or a waking sibling may change it
                g = self._invoke(op, g2, ctx)
        finally:
            if self._in_flight:  # cancelled (Ctrl-C, SIGTERM): their outcome stays unknown
                for _, task in self._in_flight.values():
                    task.cancel()
                await asyncio.gather(*(t for _, t in self._in_flight.values()),
                                     return_exceptions=True)
                self._in_flight.clear()

    async def close(self) -> None:
        """Close every client (retired ones included)."""
        await asyncio.gather(*(w.close() for w in self._workers.values()
                               if isinstance(w, ClientWorker)), return_exceptions=True)

    def _context(self, now: int) -> Context:
        if self._free_view is None:
            self._free_view = (tuple(self._free_clients)
                               + ((NEMESIS,) if self._nemesis_free else ()))
        return Context(now, self.rng, self._workers_view, self._free_view)

    def _is_free(self, thread: Thread) -> bool:
        if thread == NEMESIS:
            return self._nemesis_free
        i = bisect.bisect_left(self._free_clients, thread)
        return i < len(self._free_clients) and self._free_clients[i] == thread

    def _set_free(self, thread: Thread, free: bool) -> None:
        self._free_view = None
        if thread == NEMESIS:
            self._nemesis_free = free
        elif free:
            bisect.insort(self._free_clients, thread)
        else:
            self._free_clients.remove(thread)

    def _invoke(self, op: Mapping[str, Any], g: Any, ctx: Context) -> Any:
        process = op.get("process")
        if process is None:
            process = ctx.some_free_process()
        thread = self._thread_of.get(process)
        if thread is None or not self._is_free(thread):
            raise RuntimeError(f"generator emitted an op for process {process!r}, "
                               f"which is {'busy' if thread is not None else 'not running'}: {op!r:.200}")
        worker = self._workers[thread]
        inv = self.writer.append(Op(INVOKE, op["f"], op.get("value"), process, self.now(),
                                    len(self.writer.history), op.get("key"), worker.node))
        self.invoked += 1
        self._set_free(thread, False)
        task = asyncio.get_running_loop().create_task(worker.invoke(inv))
        self._in_flight[thread] = (inv, task)
        task.add_done_callback(lambda t, thread=thread: self._on_done(thread, t))
        return None if g is None else g.update(self.test, ctx, inv)

    def _on_done(self, thread: Thread, task: asyncio.Task) -> None:
        if task.cancelled():
            return
        exc = task.exception()
        inv = self._in_flight[thread][0]
        comp = inv.with_(type=INFO, error=f"worker crashed: {exc!r}") if exc else task.result()
        self._done.append((thread, comp))
        self._wake.set()

    def _record_completions(self, g: Any) -> Any:
        while self._done:
            thread, comp = self._done.popleft()
            del self._in_flight[thread]
            stored = self.writer.append(comp.with_(time=self.now(),
                                                   index=len(self.writer.history)))
            self.completed += 1
            if stored.type == OK:
                self.ok += 1
            self._set_free(thread, True)
            if stored.type == INFO and thread != NEMESIS:
                self._replace_process(thread)
            if g is not None:
                g = g.update(self.test, self._context(stored.time), stored)
        return g

    def _replace_process(self, thread: Thread) -> None:
        old = self._process[thread]
        new = old + self.concurrency
        self._process[thread] = new
        del self._thread_of[old]
        self._thread_of[new] = thread
        self._workers_view = dict(self._process)
        self._workers[thread].retire()

    async def _wait(self, deadline_ns: int | None) -> bool:
        """Wait for a completion until ``deadline_ns`` (None: no limit). True if one came."""
        if self._done:
            return True
        self._wake.clear()
        if deadline_ns is None:
            await self._wake.wait()
            return True
        delay = (deadline_ns - self.now()) / 1e9
        if delay <= 0:
            return False
        try:
            async with asyncio.timeout(delay):
                await self._wake.wait()
        except TimeoutError:
            return bool(self._done)
        return True
