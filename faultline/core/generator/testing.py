"""Run a generator against simulated time and simulated completions (for tests).

``simulate`` plays the interpreter's part without asyncio, a database or real time: ops
take ``latency`` simulated seconds, completions come back through ``update`` before new
invocations, a process whose op ended ``info`` is replaced (process + concurrency), and
PENDING, or an op due later, advances the clock to the next completion or by ``poll_s``,
whichever is first (which is how ``sleep`` and ``time_limit`` see time pass), like the
interpreter's polling. Deterministic.
"""

from __future__ import annotations

import heapq
import random
from typing import Any, Callable, Mapping

from faultline.core.generator.context import Context, Thread
from faultline.core.generator.protocol import PENDING, as_generator
from faultline.core.history import History
from faultline.core.op import INFO, INVOKE, NEMESIS, OK, Op

NS = 1_000_000_000


def _thread_order(t: Thread) -> tuple[int, int]:
    return (1, 0) if t == NEMESIS else (0, int(t))


def simulate(gen: Any, *, test: Mapping[str, Any] | None = None, concurrency: int = 2,
             nemesis: bool = True, seed: int = 0, latency_s: float = 0.01,
             complete: Callable[[Op], tuple[str, Any]] | None = None,
             poll_s: float = 0.01, max_time_s: float = 24 * 3600) -> History:
    """The history ``gen`` produces. ``complete(invoke) -> (type, value)`` decides outcomes
    (default: ok with the invoked value). Raises RuntimeError past ``max_time_s``."""
    test = test or {}
    g = as_generator(gen)
    rng = random.Random(seed)
    threads: list[Thread] = list(range(concurrency)) + ([NEMESIS] if nemesis else [])
    workers: dict[Thread, Any] = {t: t for t in threads}
    free: set[Thread] = set(threads)
    in_flight: list[tuple[int, int, Thread, Op]] = []  # (done time, seq, thread, invoke)
    history = History()
    latency, poll, horizon = int(latency_s * NS), max(1, int(poll_s * NS)), int(max_time_s * NS)
    now, seq = 0, 0

    def context() -> Context:
        return Context(now, rng, dict(workers), tuple(sorted(free, key=_thread_order)))

    while True:
        while in_flight and in_flight[0][0] <= now:
            done, _, thread, inv = heapq.heappop(in_flight)
            typ, value = complete(inv) if complete else (OK, inv.value)
            if inv.process == NEMESIS:
                typ = INFO
            comp = history.append(inv.with_(type=typ, value=value, time=done))
            free.add(thread)
            if typ == INFO and thread != NEMESIS:
                workers[thread] += concurrency
            if g is not None:
                g = g.update(test, context(), comp)
        if now > horizon:
            raise RuntimeError(f"simulation passed {max_time_s} s without the generator ending")
        res = None if g is None else g.op(test, context())
        if res is None:
            if not in_flight:
                return history
            now = in_flight[0][0]
            continue
        op, g2 = res
        if op is PENDING:
            g = g2
            now = min(in_flight[0][0], now + poll) if in_flight else now + poll
            continue
        if op["time"] > now:
            # Wait for the op's time, but ask again at the next completion or after one
            # poll, whichever is first: a sleeping sibling may have woken up meanwhile.
            wake = now + poll
            if in_flight:
                wake = min(wake, in_flight[0][0])
            if wake < op["time"]:
                now = wake
                continue
            now = op["time"]
        g = g2
        thread = next(t for t, p in workers.items() if p == op["process"])
        free.discard(thread)
        inv = history.append(Op(type=INVOKE, f=op["f"], value=op.get("value"),
                                process=op["process"], time=now, key=op.get("key")))
        if g is not None:
            g = g.update(test, context(), inv)
        seq += 1
        heapq.heappush(in_flight, (now + latency, seq, thread, inv))
