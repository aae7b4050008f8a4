"""The final phase that reads every member on its own: ``member-read`` ops
(:data:`faultline.core.vocabulary.MEMBER_READ`) for
:mod:`faultline.checkers.member_state`.

Once the cluster has healed and the workload's final reads are issued, the first client
thread bound to each member (thread ``t`` talks to node ``t % nodes``; with fewer threads
than nodes, the members without one are not read) reads, locally (etcd: serializable;
ZooKeeper: after a ``sync`` on that server), the whole set (``key`` None) or each key in
turn; twice, :data:`MEMBER_ROUND_GAP_S` apart, so a member still applying the last writes
in the first round is judged on the second.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Mapping, Sequence

from faultline.checkers.member_state import with_members, without_member_reads
from faultline.core.generator.basic import concat
from faultline.core.generator.context import Context
from faultline.core.generator.protocol import PENDING, OpResult, fill_op
from faultline.core.generator.timing import sleep
from faultline.core.op import Op
from faultline.core.result import Result
from faultline.core.vocabulary import MEMBER_READ

MEMBER_ROUND_GAP_S = 1.0
"""Between the two rounds of member reads."""
DEFAULT_NODES = 3


@dataclass(frozen=True, slots=True)
class MemberReads:
    """A ``member-read`` of each of ``keys`` (None: the whole set) by each client thread
    in ``threads`` (its current process), each as soon as that thread is free; exhausted
    when all are issued. ``next_key``: per thread, the position in ``keys`` of its next
    read (empty: every thread at the first)."""

    threads: tuple[int, ...]
    keys: tuple[Any, ...] = (None,)
    next_key: tuple[int, ...] = ()

    def op(self, test: Mapping[str, Any], ctx: Context) -> OpResult:
        at = self.next_key or (0,) * len(self.threads)
        live = [(t, i) for t, i in zip(self.threads, at) if t in ctx.workers and i < len(self.keys)]
        if not live:
            return None
        for t, i in live:
            if t in ctx.free_threads:
                op = {"f": MEMBER_READ, "value": None, "process": ctx.workers[t]}
                if self.keys[i] is not None:
                    op["key"] = self.keys[i]
                filled = fill_op(op, ctx)
                if filled is not None:
                    return filled, MemberReads(tuple(x for x, _ in live), self.keys,
                                               tuple(j + (x == t) for x, j in live))
        return PENDING, MemberReads(tuple(x for x, _ in live), self.keys,
                                    tuple(j for _, j in live))

    def update(self, test: Mapping[str, Any], ctx: Context, event: Op) -> "MemberReads":
        return self


def member_read_rounds(test: Mapping[str, Any], keys: Sequence[Any] = (None,)) -> Any:
    """Two rounds of member reads of ``keys`` (the module doc), one thread per member."""
    threads = tuple(range(min(int(test.get("nodes") or DEFAULT_NODES),
                              int(test.get("concurrency") or 1))))
    members = MemberReads(threads, tuple(keys))
    return concat(members, sleep(MEMBER_ROUND_GAP_S), members)


class WithMembers:
    """``checker`` on the history without its member reads, with the members' final
    state folded into its result (:func:`~faultline.checkers.member_state.with_members`)."""

    def __init__(self, checker: Any):
        self.checker = checker

    def check(self, test: Mapping[str, Any], history: Any, opts: Mapping[str, Any]) -> Result:
        return with_members(self.checker.check(test, without_member_reads(history), opts),
                            history)


__all__ = ["MEMBER_ROUND_GAP_S", "MemberReads", "WithMembers", "member_read_rounds"]
