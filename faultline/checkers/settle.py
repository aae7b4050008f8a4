"""Settling writes of unknown outcome from the server's own record of what it applied.

A register history on etcd can end with one ``server-history`` op
(:data:`faultline.core.vocabulary.SERVER_HISTORY`): after the final heal and reads, a
client read the current revision R (a linearizable Range) and then watched the test's
prefix from revision 1 until R. Its ``ok`` value is ``{"revision": R, "reached": bool,
"compacted": C | None, "events": [[revision, key, "put" | "delete", value | None], ...]}``:
every write that took effect, with its revision.

:func:`settle` uses it, as etcd's robustness tests "patch" their operations, to decide
each ``info`` write or cas (and each one never completed):

- its value was put (the event names the key and the value, and values are unique per
  key): it **took effect** at that revision. If an acknowledged write took effect at a
  later revision, the unknown write committed before that write completed: it becomes
  ``ok``, completing just before it (else it stays ``info``, known to have happened).
- its value was never put: it **did not take effect**: it becomes ``fail``.

Why it is sound: etcd applies writes in revision order and a watch from revision 1
delivers every event of the prefix in that order, so the events up to R are exactly the
writes applied up to R. A write of unknown outcome that is not among them was not
applied by then; it cannot be applied later unless its request was still in flight when
R was read (the final phase runs after healing and waits first: see the register
workload), and then it would still precede nothing an acknowledged op observed.

When it is not (then nothing is settled and the summary says why): the watch did not
reach R (``reached`` false: events may be missing), the prefix was compacted (events
before C are gone), or a (key, value) was written by more than one op (values not
unique: an event could be either's). The settled history is re-indexed: a settled
completion moves to just before the op that bounds it, so op indices in a result checked
on it can differ by one from ``history.jsonl`` for ops between the two positions.
"""

from __future__ import annotations

import bisect
from collections import Counter
from dataclasses import dataclass
from typing import Any, Mapping

from faultline.core.history import History, Pair
from faultline.core.op import FAIL, INFO, NEMESIS, OK, Op
from faultline.core.vocabulary import SERVER_HISTORY

WRITE_FS = frozenset({"write", "cas"})


@dataclass(frozen=True)
class Settled:
    """The history to check (without the ``server-history`` op) and what was settled:
    ``summary`` is None when the history has no server record, else ``{"unknown": n
    writes of unknown outcome, "took_effect", "bounded" (now ok), "did_not" (now fail),
    "left" (still info), "reason" (why nothing was settled, or None)}``."""

    history: History
    summary: Mapping[str, Any] | None


def _written(op: Op) -> Any:
    return op.value[1] if op.f == "cas" else op.value


def without_server_history(history: History) -> History:
    """``history`` without its ``server-history`` ops (what the register checker checks
    when settling is off)."""
    if not any(op.f == SERVER_HISTORY for op in history):
        return history
    return History(op for op in history if op.f != SERVER_HISTORY)


def _server_record(history: History) -> Mapping[str, Any] | None:
    found = None
    for op in history:
        if op.f == SERVER_HISTORY and op.type == OK:
            found = op.value
    return found


def settle(history: History) -> Settled:
    """The history with its unknown writes settled from its server record (module doc)."""
    record = _server_record(history)
    plain = without_server_history(history)
    if record is None:
        return Settled(plain, None)
    pairs = [p for p in plain.pairs() if p.invoke.process != NEMESIS and p.invoke.f in WRITE_FS]
    unknown = [p for p in pairs if p.completion is None or p.completion.type == INFO]
    summary = {"unknown": len(unknown), "took_effect": 0, "bounded": 0, "did_not": 0,
               "left": len(unknown), "reason": None}
    reason = _unsound(record, pairs)
    if reason is not None:
        return Settled(plain, {**summary, "reason": reason})
    revision_of = {(e[1], e[3]): int(e[0]) for e in record.get("events") or () if e[2] == "put"}
    # The earliest completion (position) of an acknowledged write at revision >= r.
    acked = sorted((revision_of[(p.invoke.key, _written(p.invoke))], p.completion.index)
                   for p in pairs if p.completion is not None and p.completion.type == OK
                   and (p.invoke.key, _written(p.invoke)) in revision_of)
    bound_revisions: list[int] = []
    bound_index: list[int] = []   # the earliest completion at bound_revisions[i] or later
    for revision, index in reversed(acked):
        bound_index.append(index if not bound_index else min(bound_index[-1], index))
        bound_revisions.append(revision)
    bound_revisions.reverse()
    bound_index.reverse()
    drop: set[int] = set()
    fails: dict[int, Op] = {}
    inserts: dict[int, list[Op]] = {}
    for p in unknown:
        inv = p.invoke
        revision = revision_of.get((inv.key, _written(inv)))
        if revision is None:
            summary["did_not"] += 1
            done = (p.completion or inv).with_(type=FAIL, f=inv.f, value=inv.value,
                                               error="settled: not applied by the server")
            if p.completion is None:
                inserts.setdefault(len(plain), []).append(done)
            else:
                fails[p.completion.index] = done
            continue
        summary["took_effect"] += 1
        i = bisect.bisect_right(bound_revisions, revision)
        bound = bound_index[i] if i < len(bound_index) else None
        if bound is None or bound < inv.index:
            continue
        summary["bounded"] += 1
        if p.completion is not None:
            drop.add(p.completion.index)
        inserts.setdefault(bound, []).append(inv.with_(
            type=OK, time=plain[bound].time, error=f"settled: applied at revision {revision}"))
    summary["left"] = summary["unknown"] - summary["bounded"] - summary["did_not"]
    ops: list[Op] = []
    for op in plain:
        ops.extend(inserts.get(op.index, ()))
        if op.index not in drop:
            ops.append(fails.get(op.index, op))
    ops.extend(inserts.get(len(plain), ()))
    return Settled(History(op.with_(index=-1) for op in ops), summary)


def _unsound(record: Mapping[str, Any], pairs: list[Pair]) -> str | None:
    """Why the server record cannot settle these writes, or None when it can."""
    if record.get("compacted"):
        return f"the prefix was compacted at revision {record['compacted']}"
    if not record.get("reached"):
        return f"the server history did not reach revision {record.get('revision')}"
    written = Counter((p.invoke.key, _written(p.invoke)) for p in pairs)
    repeated = [kv for kv, n in written.items() if n > 1]
    if repeated:
        return f"values are not unique: key {repeated[0][0]!r} was written {repeated[0][1]!r} twice"
    return None


__all__ = ["Settled", "WRITE_FS", "settle", "without_server_history"]
