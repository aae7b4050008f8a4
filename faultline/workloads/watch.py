"""The watch workload (etcd): watchers on every member follow the test's keys while writers
put, delete and run transactions over them, with occasional compaction.

Threads: the first ``min(nodes, concurrency - 1)`` client threads are *watchers* (thread
``t`` talks to node ``t % nodes``, so there is one per member); the others are *writers*.
Ops (:mod:`faultline.dbs.etcd.watch_client` says what each does and records):

- writers: ``put`` / ``delete`` of one key, or a ``txn`` of 1-3 writes on distinct keys
  mixed with 0-2 reads (half of them at a historical revision), keys ``0..WATCH_KEYS-1``,
  every put a fresh value (values are unique in the test, so an event names its write);
  every ``watch_compact_every_s`` seconds one ``compact`` at ``COMPACT_LAG`` revisions
  below the highest revision seen (0: never).
- watchers: back-to-back ``watch`` sessions of ``watch_session_s`` seconds. The first
  starts at the current revision + 1; each next one resumes where the previous one left
  off (:func:`~faultline.checkers.watch_stream.resume_revision`: after the last event
  received, or at the compaction the server reported). With probability
  ``watch_historical_fraction`` a session instead starts at a random earlier revision of
  the test, at most ``COMPACT_LAG`` revisions below the last compaction (``historical``: it
  checks replay and compaction errors and leaves the resumption chain alone); and the
  first session after each compaction starts exactly at its revision (historical too:
  a watch there must still see that revision's deletes, etcd-io/etcd#18089).

Final phase: every watcher resumes once more, until the highest revision an acknowledged
write returned, so each member's stream is checked to the end of the test.

Checking: :class:`~faultline.checkers.watch_stream.WatchStreamChecker` (kind ``watch``).

On ZooKeeper (:data:`DATA_WATCH_DBS`) watches are one-time data watches, not streams
from a revision (:mod:`faultline.dbs.zookeeper.watch_client`): writers ``put`` one key
or run a ``txn`` (a multi) of 1-3 puts, nothing else (no deletes, no reads, no
compaction); each watcher's session watches every key, re-arming a key's watch by a read
after each of its events; no final phase. Checked by
:class:`~faultline.checkers.zk_watch.ZkWatchChecker` (kind ``watch`` too).
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any, Mapping

from faultline.checkers.watch_stream import WatchStreamChecker, resume_revision
from faultline.checkers.zk_watch import ZkWatchChecker
from faultline.core.generator.context import Context
from faultline.core.generator.protocol import PENDING, OpResult, fill_op
from faultline.core.history import History
from faultline.core.op import OK, Op
from faultline.core.options import Option
from faultline.workloads.txn_support import option

WATCH_KEYS = 8
COMPACT_LAG = 200
"""A compaction keeps the last COMPACT_LAG revisions, so resumed watches usually survive
it; historical sessions start at most COMPACT_LAG revisions below the last compaction
asked for, so some of them meet it and some do not."""
DEFAULT_NODES = 3
WRITE_FS = frozenset({"put", "delete", "txn"})
DATA_WATCH_DBS = frozenset({"zookeeper"})
"""The dbs whose watches are one-time data watches on keys (the module doc)."""

WATCH_SESSION_S = Option("watch_session_s", 1.5, "seconds a watch session stays open "
                         "before the watcher resumes with a new one", float, minimum=0.1,
                         metavar="S")
WATCH_COMPACT_EVERY_S = Option("watch_compact_every_s", 10.0, "seconds between compactions "
                               "(0: never compact)", float, minimum=0, metavar="S")
WATCH_HISTORICAL = Option("watch_historical_fraction", 0.2, "probability that a watch "
                          "session starts at a random earlier revision", float, minimum=0,
                          maximum=1, metavar="P")


def watcher_threads(test: Mapping[str, Any]) -> tuple[int, ...]:
    """The watcher threads: one per member, leaving at least one writer."""
    nodes = int(test.get("nodes") or DEFAULT_NODES)
    return tuple(range(max(1, min(nodes, int(test.get("concurrency") or 1) - 1))))


@dataclass(frozen=True, slots=True)
class WatchGenerator:
    """Infinite; bound it with ``time_limit``. An immutable generator value."""

    watchers: tuple[int, ...]
    resume: tuple[int | None, ...]
    """Per watcher: where its next session starts (None: at the current revision)."""
    historical: float
    compact_every_ns: int
    next_value: int = 1
    first_revision: int | None = None
    max_revision: int = 0
    next_compact_ns: int = 0
    compacted: int = 0
    probe: int | None = None
    """A compaction revision the next watch session starts at (then None)."""
    data_watches: bool = False
    """ZooKeeper's one-time data watches: puts and multi-puts only, sessions over the keys."""

    def op(self, test: Mapping[str, Any], ctx: Context) -> OpResult:
        if not ctx.has_free_process():
            return PENDING, self
        free = ctx.free_threads
        for i, t in enumerate(self.watchers):
            if t in free and t in ctx.workers:
                return self._watch(i, ctx)
        writers = [t for t in free if t not in self.watchers and isinstance(t, int)]
        if not writers:
            return PENDING, self
        process = ctx.workers[writers[0] if len(writers) == 1 else ctx.rng.choice(writers)]
        if (self.compact_every_ns and ctx.time >= self.next_compact_ns
                and self.max_revision - COMPACT_LAG > max(self.compacted, self.first_revision or 0)):
            at = self.max_revision - COMPACT_LAG
            filled = fill_op({"f": "compact", "value": at, "process": process}, ctx)
            return (PENDING, self) if filled is None else (filled, replace(
                self, compacted=at, probe=at, next_compact_ns=ctx.time + self.compact_every_ns))
        f, mops, used = self._write(ctx.rng)
        filled = fill_op({"f": f, "value": {"mops": mops}, "process": process}, ctx)
        if filled is None:
            return PENDING, self
        return filled, replace(self, next_value=self.next_value + used)

    def _watch(self, i: int, ctx: Context) -> OpResult:
        if self.data_watches:
            filled = fill_op({"f": "watch", "value": {"keys": list(range(WATCH_KEYS))},
                              "process": ctx.workers[self.watchers[i]]}, ctx)
            return (PENDING, self) if filled is None else (filled, self)
        start = self.resume[i]
        value: dict[str, Any] = {"from": start}
        first = self.first_revision
        probe = self.probe
        if probe is not None:
            value = {"from": probe, "historical": True}
        elif (start is not None and first is not None and self.max_revision > first
                and ctx.rng.random() < self.historical):
            low = max(first, self.compacted - COMPACT_LAG)
            value = {"from": ctx.rng.randint(low, self.max_revision), "historical": True}
        filled = fill_op({"f": "watch", "value": value,
                          "process": ctx.workers[self.watchers[i]]}, ctx)
        return (PENDING, self) if filled is None else (filled, replace(self, probe=None))

    def _write(self, rng) -> tuple[str, list[list[Any]], int]:
        """(f, mops, values used) of the next write."""
        value = self.next_value
        roll = rng.random()
        if self.data_watches:
            keys = [rng.randrange(WATCH_KEYS)] if roll < 0.5 else \
                rng.sample(range(WATCH_KEYS), rng.randint(1, 3))
            return ("put" if roll < 0.5 else "txn",
                    [["put", k, value + j] for j, k in enumerate(keys)], len(keys))
        if roll < 0.45:
            return "put", [["put", rng.randrange(WATCH_KEYS), value]], 1
        if roll < 0.6:
            return "delete", [["delete", rng.randrange(WATCH_KEYS), None]], 0
        keys = rng.sample(range(WATCH_KEYS), rng.randint(1, 3))
        mops: list[list[Any]] = []
        for k in keys:
            if rng.random() < 0.75:
                mops.append(["put", k, value])
                value += 1
            else:
                mops.append(["delete", k, None])
        for _ in range(rng.randint(0, 2)):
            at = None
            if self.first_revision is not None and rng.random() < 0.5:
                at = rng.randint(max(self.first_revision, self.compacted), max(
                    self.first_revision, self.max_revision))
            mops.insert(rng.randrange(len(mops) + 1), ["read", rng.randrange(WATCH_KEYS), None, at])
        return "txn", mops, value - self.next_value

    def update(self, test: Mapping[str, Any], ctx: Context, event: Op) -> "WatchGenerator":
        if event.type != OK or self.data_watches:
            return self
        if event.f in WRITE_FS:
            revision = int(event.value["revision"])
            return self if revision <= self.max_revision else replace(self, max_revision=revision)
        if event.f != "watch":
            return self
        value = event.value
        first = value["from"] if self.first_revision is None else min(self.first_revision,
                                                                      value["from"])
        seen = max([self.max_revision] + [b["events"][-1][0] for b in value["batches"]])
        changed = replace(self, first_revision=first, max_revision=seen)
        thread = ctx.thread_of(event.process)
        if value.get("historical") or thread not in self.watchers:
            return changed
        i = self.watchers.index(thread)
        resume = self.resume[:i] + (resume_revision(value),) + self.resume[i + 1:]
        return replace(changed, resume=resume)


@dataclass(frozen=True, slots=True)
class FinalWatches:
    """One watch per watcher thread in ``starts`` ((thread, from) pairs), until revision
    ``until``, each as soon as its thread is free; exhausted when all are issued."""

    starts: tuple[tuple[int, int | None], ...]
    until: int

    def op(self, test: Mapping[str, Any], ctx: Context) -> OpResult:
        left = tuple((t, s) for t, s in self.starts if t in ctx.workers)
        if not left:
            return None
        for t, start in left:
            if t in ctx.free_threads:
                filled = fill_op({"f": "watch", "value": {"from": start, "until": self.until},
                                  "process": ctx.workers[t]}, ctx)
                if filled is not None:
                    return filled, FinalWatches(tuple(x for x in left if x[0] != t), self.until)
        return PENDING, FinalWatches(left, self.until)

    def update(self, test: Mapping[str, Any], ctx: Context, event: Op) -> "FinalWatches":
        return self


class WatchWorkload:
    """The watch workload (the module docstring says what it does)."""

    name = "watch"
    options = (WATCH_SESSION_S, WATCH_COMPACT_EVERY_S, WATCH_HISTORICAL)

    def generator(self, test: Mapping[str, Any]) -> WatchGenerator:
        watchers = watcher_threads(test)
        if test.get("db") in DATA_WATCH_DBS:
            return WatchGenerator(watchers, (None,) * len(watchers), 0.0, 0, data_watches=True)
        return WatchGenerator(watchers, (None,) * len(watchers),
                              float(option(test, WATCH_HISTORICAL)),
                              int(float(option(test, WATCH_COMPACT_EVERY_S)) * 1e9),
                              next_compact_ns=int(float(option(test, WATCH_COMPACT_EVERY_S)) * 1e9))

    def final_generator(self, test: Mapping[str, Any], history: History) -> FinalWatches | None:
        """Every watcher resumes once more, until the highest acknowledged revision (none
        with data watches: the module doc)."""
        if test.get("db") in DATA_WATCH_DBS:
            return None
        concurrency = int(test.get("concurrency") or 1)
        until = 0
        resume: dict[int, int | None] = {}
        for op in history:
            if op.type != OK:
                continue
            if op.f in WRITE_FS:
                until = max(until, int(op.value["revision"]))
            elif op.f == "watch" and not op.value.get("historical") and isinstance(op.process, int):
                resume[op.process % concurrency] = resume_revision(op.value)
        if not until:
            return None
        return FinalWatches(tuple((t, resume.get(t)) for t in watcher_threads(test)), until)

    def checker(self, test: Mapping[str, Any]) -> WatchStreamChecker | ZkWatchChecker:
        return ZkWatchChecker() if test.get("db") in DATA_WATCH_DBS else WatchStreamChecker()


WORKLOAD = WatchWorkload()

__all__ = ["COMPACT_LAG", "DATA_WATCH_DBS", "FinalWatches", "WATCH_COMPACT_EVERY_S", "WATCH_HISTORICAL",
           "WATCH_KEYS", "WATCH_SESSION_S", "WatchGenerator", "WatchWorkload", "WORKLOAD",
           "watcher_threads"]
