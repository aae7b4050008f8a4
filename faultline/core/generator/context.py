"""The context a generator sees: the time, the worker threads and which are free, the RNG.

Threads are the interpreter's fixed workers: ints ``0 .. concurrency-1`` for clients and
``"nemesis"`` for the nemesis. Each thread runs one *process* at a time; a client thread's
process changes when its op ends ``info`` (the old process may still be running as far as
the database knows, so it never issues another op). ``workers`` maps thread -> current
process. Routing combinators (``clients``, ``nemesis``) hand their child a *restricted*
context that only shows some threads, so a child picks processes of the right kind.

A Context is immutable; the interpreter builds a new one whenever it asks a generator.
``rng`` is the one seeded ``random.Random`` of the run: every random choice a generator
makes must come from it, so a run is reproducible from its seed.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from typing import Any, Callable, Mapping

from faultline.core.op import NEMESIS

Thread = int | str


@dataclass(frozen=True, slots=True)
class Context:
    """What a generator may look at. ``time`` is ns since the test started."""

    time: int
    rng: random.Random = field(compare=False)
    workers: Mapping[Thread, Any]
    free_threads: tuple[Thread, ...]
    """Threads (in ``workers``) with no op in flight: clients ascending, then the nemesis."""

    def restrict(self, keep: Callable[[Thread], bool]) -> "Context":
        """The same context showing only the threads for which ``keep(thread)`` holds."""
        free = self.free_threads
        if keep is is_client_thread:  # hot path (every routed op): the nemesis comes last
            free = free[:-1] if free and free[-1] == NEMESIS else free
        elif keep is is_nemesis_thread:
            free = free[-1:] if free and free[-1] == NEMESIS else ()
        else:
            free = tuple(t for t in free if keep(t))
        return Context(self.time, self.rng, _restricted_workers(self.workers, keep), free)

    @property
    def all_free(self) -> bool:
        """True when no thread in view has an op in flight."""
        return len(self.free_threads) == len(self.workers)

    def has_free_process(self) -> bool:
        """Whether :meth:`some_free_process` would find one (without drawing from the RNG)."""
        free = self.free_threads
        if not free:
            return False
        if free[0] != NEMESIS:
            return True
        return not any(t != NEMESIS for t in self.workers)

    def some_free_process(self) -> Any | None:
        """A free process to run the next op, or None when none is free.

        Prefers client processes, chosen with the RNG so load spreads over threads (and
        so over nodes). The nemesis process is only chosen from a context that shows no
        client thread at all (inside ``nemesis(...)``): an unrouted op never lands on the
        nemesis by accident.
        """
        free = self.free_threads
        if not free:
            return None
        clients = free[:-1] if free[-1] == NEMESIS else free  # the nemesis comes last
        if clients:
            return self.workers[clients[0] if len(clients) == 1 else self.rng.choice(clients)]
        if any(t != NEMESIS for t in self.workers):
            return None  # client threads exist but are all busy
        return self.workers[NEMESIS]

    def thread_of(self, process: Any) -> Thread | None:
        """The thread currently running ``process`` (None if that process is retired)."""
        if process == NEMESIS:
            return NEMESIS if NEMESIS in self.workers else None
        for t, p in self.workers.items():
            if p == process:
                return t
        return None


def is_client_thread(thread: Thread) -> bool:
    return thread != NEMESIS


def is_nemesis_thread(thread: Thread) -> bool:
    return thread == NEMESIS


_RESTRICTED: dict[tuple[int, Callable], tuple[Mapping, Mapping]] = {}


def _restricted_workers(workers: Mapping[Thread, Any], keep: Callable[[Thread], bool]
                        ) -> Mapping[Thread, Any]:
    """``workers`` filtered by ``keep``, cached: the interpreter shares one workers mapping
    between contexts until a process is replaced, and routing filters it on every op."""
    hit = _RESTRICTED.get((id(workers), keep))
    if hit is not None and hit[0] is workers:
        return hit[1]
    if len(_RESTRICTED) > 64:
        _RESTRICTED.clear()
    restricted = {t: p for t, p in workers.items() if keep(t)}
    _RESTRICTED[(id(workers), keep)] = (workers, restricted)
    return restricted


def initial_context(concurrency: int, *, seed: int = 0, nemesis: bool = True,
                    time: int = 0) -> Context:
    """A fresh context: every thread free, process id == thread id."""
    threads: list[Thread] = list(range(concurrency))
    if nemesis:
        threads.append(NEMESIS)
    return Context(time, random.Random(seed), {t: t for t in threads}, tuple(threads))
