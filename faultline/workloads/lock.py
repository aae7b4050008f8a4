"""The lock workload: clients take a lock, do guarded work, and let go.

Ops (what the clients implement; ``key`` is the lock's key, an int):

- ``{"f": "acquire"}``: take the lock, waiting while another holds it (etcd: its lock
  service with a lease of ``lock_ttl_s`` the holder keeps alive; ZooKeeper: kazoo's
  ``Lock`` recipe on a session of that timeout). ``ok``: held (value: a token naming the
  hold, the etcd lock key's revision or the ZooKeeper lock znode's sequence number);
  ``fail``: certainly not held; ``info``: unknown (e.g. the wait outlasted the client's
  timeout).
- ``{"f": "incr"}``: the guarded work, only by a process whose last ``acquire`` was
  ``ok``: read the key's counter (kept in the same cluster, with no protection but the
  lock) and write read + 1. ``ok`` value ``[read, wrote]``; ``info`` value
  ``[read, wrote]`` when the write's outcome is unknown (None when nothing was written
  for sure); ``fail``: nothing written.
- ``{"f": "release"}``: let go. ``info`` with an error starting ``lock-lost`` when the
  holder's lease or session was found gone: the lock had been freed behind its back.
- ``{"f": "read"}``: the counter, read once the cluster has healed (the final read).

Generation: thread ``t`` works on lock ``t % lock_keys``; each process cycles acquire
(again after a ``fail``) -> incr, ``lock_incrs`` times while they succeed (a holder's
job of several guarded steps) -> release (again after a ``fail``) -> acquire. A
process whose op ended ``info`` is replaced and its successor starts with acquire; the
db client closes the old one's session or lease, which frees a lock it may have held.

Checking: :class:`faultline.checkers.lock_guard.LockChecker` (the mutex model per key,
and the guarded work: duplicate reads, lost increments, unexpected values, overlapping
holders).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Mapping

from faultline.checkers.lock_guard import ACQUIRE, INCR, READ, RELEASE, LockChecker
from faultline.core.generator.basic import concat, once
from faultline.core.generator.context import Context, is_client_thread
from faultline.core.generator.protocol import PENDING, OpResult, fill_op
from faultline.core.history import History
from faultline.core.op import FAIL, INFO, INVOKE, OK, Op
from faultline.core.options import Option
from faultline.dbs.client_support import DEFAULT_LOCK_TTL_S
from faultline.workloads.txn_support import option

LOCK_KEYS = Option("lock_keys", 1, "locks the clients contend for (thread t uses lock t "
                   "mod N)", int, minimum=1, maximum=100, metavar="N")
LOCK_INCRS = Option("lock_incrs", 1, "guarded increments per hold: a holder's job, cut short "
                    "by an incr that fails", int, minimum=1, maximum=1000, metavar="N")
LOCK_TTL_S = Option("lock_ttl_s", DEFAULT_LOCK_TTL_S, "etcd: the lock lease's TTL; ZooKeeper: the lock "
                    "session's timeout (seconds; ZooKeeper allows 4 to 40 with tickTime 2 s)",
                    float, minimum=1, maximum=60, metavar="S")

_NEXT = {(ACQUIRE, OK): INCR, (ACQUIRE, FAIL): ACQUIRE, (INCR, OK): RELEASE,
         (INCR, FAIL): RELEASE, (RELEASE, OK): ACQUIRE, (RELEASE, FAIL): RELEASE}
"""A process' next op after (its op, how it ended), an ok incr's when it was the hold's
last; ``info`` retires the process."""


@dataclass(frozen=True, slots=True)
class LockGenerator:
    """Infinite; bound it with ``time_limit``. ``next_f`` holds (process, next f, incrs
    done in this hold) for the processes not at the start of their cycle (acquire)."""

    lock_keys: int
    incrs_per_hold: int = 1
    next_f: tuple[tuple[Any, str, int], ...] = ()

    def op(self, test: Mapping[str, Any], ctx: Context) -> OpResult:
        free = [t for t in ctx.free_threads if is_client_thread(t)]
        if not free:
            return PENDING, self
        t = free[0] if len(free) == 1 else ctx.rng.choice(free)
        process = ctx.workers[t]
        f = next((nf for p, nf, _ in self.next_f if p == process), ACQUIRE)
        filled = fill_op({"f": f, "value": None, "key": t % self.lock_keys,
                          "process": process}, ctx)
        return (PENDING, self) if filled is None else (filled, self)

    def update(self, test: Mapping[str, Any], ctx: Context, event: Op) -> "LockGenerator":
        if event.type == INVOKE or event.f not in (ACQUIRE, INCR, RELEASE):
            return self
        done = next((n for p, _, n in self.next_f if p == event.process), 0)
        rest = tuple(entry for entry in self.next_f if entry[0] != event.process)
        nxt = None if event.type == INFO else _NEXT.get((event.f, event.type))
        if event.f == INCR and event.type == OK:
            done += 1
            if done < self.incrs_per_hold:
                nxt = INCR
        if nxt is None or nxt == ACQUIRE:
            return LockGenerator(self.lock_keys, self.incrs_per_hold, rest)
        return LockGenerator(self.lock_keys, self.incrs_per_hold,
                             rest + ((event.process, nxt, done if nxt == INCR else 0),))


class LockWorkload:
    """The lock workload (the module docstring says what it does)."""

    name = "lock"
    options = (LOCK_KEYS, LOCK_INCRS, LOCK_TTL_S)

    def generator(self, test: Mapping[str, Any]) -> LockGenerator:
        return LockGenerator(int(option(test, LOCK_KEYS)), int(option(test, LOCK_INCRS)))

    def final_generator(self, test: Mapping[str, Any], history: History) -> Any:
        """One read of each lock's counter."""
        return concat(*(once({"f": READ, "value": None, "key": k})
                        for k in range(int(option(test, LOCK_KEYS)))))

    def checker(self, test: Mapping[str, Any]) -> LockChecker:
        return LockChecker()


WORKLOAD = LockWorkload()

__all__ = ["LOCK_INCRS", "LOCK_KEYS", "LOCK_TTL_S", "LockGenerator", "LockWorkload", "WORKLOAD"]
