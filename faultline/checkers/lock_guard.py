"""The lock workload's history checked two ways: the lock ops against a mutex, and the work
the lock guarded (Jepsen's lock-set idea: a lock that lets two holders in shows in what
they did).

The history (per lock ``key``, an int; nemesis ops and other ``f`` s are ignored):

- ``acquire`` / ``release``: the lock ops. Checked per key for linearizability against
  the mutex model (:class:`faultline.checkers.models.MutexModel`), result ``mutex``. A
  process whose op ended ``info`` while it held the lock, or may have (an ``info``
  acquire), never releases it: its client is closed, which frees the lock (lease revoked
  or expired, session closed) at some time after. The mutex history says so with a
  release invoked at that ``info`` completion and never completed
  (:func:`mutex_history`).
- ``incr``: the guarded op, issued only by a process that believes it holds the lock.
  It read the key's counter and wrote read + 1, with no other protection. The ``ok``
  completion's value is ``[read, wrote]``; an ``info`` one carries ``[read, wrote]`` when
  the read succeeded and the write's outcome is unknown (else nothing: it wrote
  nothing); ``fail``: nothing written.
- ``read``: the counter read once the cluster has healed (value: the counter, None for
  0 = never written).

Found from the history alone, per key:

- **duplicate reads**: two or more acknowledged incrs read the same value. Under mutual
  exclusion each holder reads what the previous one wrote, so values read are distinct;
  a group means its holders' read-modify-writes interleaved, and at most one of the
  group's increments can count (``lost`` >= its acknowledged members - 1). The group
  lists the ``info`` incrs that read the value too (one whose write never landed may
  share a read with its successor: alone, that is no anomaly).
- **lost increments**: an acknowledged incr whose write is above the final value (the
  counter was later set back below it: a holder wrote an older read + 1 after it), and
  the shortfall ``acknowledged - final`` when the final value is below the number of
  acknowledged increments.
- **unexpected values**: a read (by an incr or the final read) of a value nobody wrote
  (not 0, not any incr's write), or a final value above the increments attempted.
- **overlapping guarded ops**: two ``ok`` incrs of different processes whose
  [invocation, completion] intervals overlap in real time (an ``info`` incr's interval has
  no known end, so it is left out here; its read still counts above).

When each was first shown (``first_s``, seconds from the test's start, per anomaly found:
in each key's result and, the earliest over the keys, in the whole result), the
completion of the op that shows it, over every anomaly (not only the examples kept):

- ``duplicate_reads``: the second acknowledged incr to complete that read one value;
- ``overlapping``: the later completion of the first overlapping pair to complete;
- ``unexpected``: the first incr that read a value nobody wrote (its completion, ``ok``
  or ``info``), or the final read when its value is the unexpected one;
- ``lost``: the first incr invoked after a lost increment completed that read below the
  value it wrote (the counter was set back, or read stale), else the final read (it
  alone shows the shortfall); a group of duplicate reads loses an increment too, at
  its own time;
- ``not-a-mutex``: the mutex counterexample's op (its completion, else its invocation).

Valid iff none of these and the mutex check is valid; ``unknown`` when a key with
increments has no final read (its lost increments cannot be judged) and nothing was
found, or the mutex check is unknown.

Cost: O(n log n) in the number of incrs (a sort per key), plus the mutex search.
"""

from __future__ import annotations

from collections import defaultdict
from typing import Any, Iterable, Mapping, Sequence

from faultline.checkers.independent import PerKey
from faultline.checkers.linearizable import check_linearizable
from faultline.checkers.models import get_model
from faultline.core.errors import BadInputError
from faultline.core.history import History, Pair
from faultline.core.op import INFO, NEMESIS, OK, Op
from faultline.core.result import UNKNOWN, Result, merge_validity
from faultline.core.vocabulary import LOCK_LOST

KIND = "lock"
ACQUIRE, RELEASE, INCR, READ = "acquire", "release", "incr", "read"
LOCK_FS = frozenset({ACQUIRE, RELEASE})
EXAMPLES = 10
"""Examples kept per anomaly and key."""
ANOMALIES = ("duplicate_reads", "lost", "unexpected", "overlapping")


def _ref(pair: Pair) -> dict[str, Any]:
    """An incr as the report names it: who, when, on which node, what it read and wrote."""
    done = pair.completion
    ref: dict[str, Any] = {"process": pair.invoke.process, "index": pair.invoke.index,
                           "invoked_s": round(pair.invoke.time / 1e9, 6),
                           "type": pair.outcome}
    if done is not None:
        ref["completed_s"] = round(done.time / 1e9, 6)
        ref["node"] = done.node
        if isinstance(done.value, (list, tuple)) and len(done.value) == 2:
            ref["read"], ref["wrote"] = done.value
    return ref


def _read_write(pair: Pair) -> tuple[int, int] | None:
    """(read, wrote) of an incr that read (``ok`` or ``info`` with a value), else None;
    BadInputError for a value that is not two ints with wrote = read + 1."""
    done = pair.completion
    if done is None or done.type not in (OK, INFO) or done.value is None:
        if done is not None and done.type == OK:
            raise BadInputError(f"op {done.index}: an ok incr must carry [read, wrote]")
        return None
    v = done.value
    if (not isinstance(v, (list, tuple)) or len(v) != 2
            or not all(isinstance(x, int) and not isinstance(x, bool) for x in v)
            or v[1] != v[0] + 1):
        raise BadInputError(f"op {done.index}: incr value must be [read, read + 1], "
                                 f"got {v!r}")
    return v[0], v[1]


def _final_op(reads: list[Pair]) -> Op | None:
    """The last ``ok`` read's completion, None when no read succeeded."""
    done = [p.completion for p in reads if p.outcome == OK]
    return max(done, key=lambda op: op.index) if done else None


def _final_read(final_op: Op | None) -> int | None:
    """The counter ``final_op`` saw (None read as 0), None when no read succeeded."""
    if final_op is None:
        return None
    value = final_op.value
    if value is None:
        return 0
    if not isinstance(value, int) or isinstance(value, bool):
        raise BadInputError(f"a counter read must hold an int or null, got {value!r}")
    return value


def _overlapping(oks: list[Pair]) -> list[dict[str, Any]]:
    """Pairs of ok incrs of different processes overlapping in real time (capped)."""
    found: list[dict[str, Any]] = []
    latest: Pair | None = None  # the op ending last among those invoked so far
    for p in sorted(oks, key=lambda p: p.invoke.time):
        if latest is not None and p.invoke.time < latest.completion.time \
                and p.invoke.process != latest.invoke.process:
            found.append({"first": _ref(latest), "second": _ref(p)})
            if len(found) >= EXAMPLES:
                break
        if latest is None or p.completion.time > latest.completion.time:
            latest = p
    return found


def _s(op: Op) -> float:
    return round(op.time / 1e9, 6)


def _first_overlap_s(oks: list[Pair]) -> float | None:
    """When the first pair of ``oks`` overlapping in real time had both completed: in
    completion order, the first op invoked before the previous one completed (an op
    overlaps an earlier-completed one iff it does the latest of them)."""
    done = sorted(oks, key=lambda p: p.completion.time)
    return next((_s(b.completion) for a, b in zip(done, done[1:])
                 if b.invoke.time < a.completion.time), None)


def _first_lost_s(lost: list[Pair], incrs: list[Pair]) -> float | None:
    """The completion of the first incr invoked after one of ``lost`` completed that
    read below what it wrote (the module doc)."""
    read = sorted(((p.invoke.time, p.completion, _read_write(p)[0]) for p in incrs
                   if _read_write(p) is not None), key=lambda r: r[0])
    times = [next((done.time for began, done, r in read
                   if began > p.completion.time and r < _read_write(p)[1]), None)
             for p in lost]
    found = [t for t in times if t is not None]
    return round(min(found) / 1e9, 6) if found else None


def _first_times(read_by: Mapping[int, list[Pair]], written: set[int], oks: list[Pair],
                 lost: list[Pair], incrs: list[Pair], final_op: Op | None,
                 counts: Mapping[str, int], final_unexpected: bool) -> dict[str, float]:
    """``first_s`` of one key: per anomaly counted, when it was first shown (module doc)."""
    first: dict[str, float | None] = {}
    if counts["duplicate_reads"]:
        first["duplicate_reads"] = min(
            sorted(p.completion.time for p in ps if p.outcome == OK)[1]
            for ps in read_by.values() if sum(p.outcome == OK for p in ps) > 1) / 1e9
    if counts["overlapping"]:
        first["overlapping"] = _first_overlap_s(oks)
    if counts["unexpected"]:
        shown = [p.completion.time / 1e9 for v, ps in read_by.items()
                 if v != 0 and v not in written for p in ps]
        if final_unexpected and final_op is not None:
            shown.append(final_op.time / 1e9)
        first["unexpected"] = min(shown, default=None)
    if counts["lost"]:
        shown = [t for t in (_first_lost_s(lost, incrs), first.get("duplicate_reads"),
                             _s(final_op) if final_op is not None else None)
                 if t is not None]
        first["lost"] = min(shown, default=None)
    return {k: round(v, 6) for k, v in first.items() if v is not None}


def check_key(incrs: list[Pair], reads: list[Pair]) -> dict[str, Any]:
    """The guarded work of one lock key (the module doc): counts and examples."""
    read_by: dict[int, list[Pair]] = defaultdict(list)
    written: set[int] = set()
    oks: list[Pair] = []
    for p in incrs:
        rw = _read_write(p)
        if rw is None:
            continue
        read_by[rw[0]].append(p)
        written.add(rw[1])
        if p.outcome == OK:
            oks.append(p)
    final_op = _final_op(reads)
    final = _final_read(final_op)
    attempted = sum(1 for p in incrs if p.outcome != "fail")
    dupes = [{"read": v, "incrs": [_ref(p) for p in ps]}
             for v, ps in sorted(read_by.items()) if sum(p.outcome == OK for p in ps) > 1]
    unexpected = [{"value": v, "by": _ref(ps[0]), "why": "read, but nobody wrote it"}
                  for v, ps in sorted(read_by.items()) if v != 0 and v not in written]
    out: dict[str, Any] = {"acknowledged": len(oks), "attempted": attempted,
                           "unknown": sum(1 for p in incrs if p.outcome == INFO),
                           "final": final}
    lost_ops: list[Pair] = []
    final_unexpected = False
    if final is not None:
        lost_ops = [p for p in sorted(oks, key=lambda p: p.invoke.index)
                    if _read_write(p)[1] > final]
        out["shortfall"] = max(0, len(oks) - final)
        final_unexpected = final != 0 and final not in written or final > attempted
        if final != 0 and final not in written:
            unexpected.append({"value": final, "why": "the final value, which nobody wrote"})
        elif final > attempted:
            unexpected.append({"value": final, "why": f"above the {attempted} increments "
                                                      f"attempted"})
    lost = [{**_ref(p), "why": f"wrote {_read_write(p)[1]}, above the final value {final}"}
            for p in lost_ops]
    overlapping = _overlapping(oks)
    # Of a group of acknowledged incrs that read the same value, at most one counts.
    shadowed = sum(sum(1 for r in d["incrs"] if r["type"] == OK) - 1 for d in dupes)
    counts = {"duplicate_reads": len(dupes),
              "lost": max(len(lost), out.get("shortfall", 0), shadowed),
              "unexpected": len(unexpected), "overlapping": len(overlapping)}
    out.update(counts=counts, duplicate_reads=dupes[:EXAMPLES], lost=lost[:EXAMPLES],
               unexpected=unexpected[:EXAMPLES], overlapping=overlapping,
               first_s=_first_times(read_by, written, oks, lost_ops, incrs, final_op, counts,
                                    final_unexpected))
    if any(counts.values()):
        out["valid"] = False
    elif final is None and incrs:
        out["valid"] = UNKNOWN
        out["reason"] = "no final read of the counter succeeded: lost increments not judged"
    else:
        out["valid"] = True
    return out


def mutex_history(history: Iterable[Op]) -> History:
    """The client lock ops, plus an open-ended release for each process that ended
    ``info`` holding (or maybe holding) the lock (the module doc)."""
    ops: list[Op] = []
    holding: dict[Any, Any] = {}  # process -> key it holds or may hold
    for op in history:
        if op.process == NEMESIS or op.type == "invoke":
            if op.process != NEMESIS and op.f in LOCK_FS:
                ops.append(op)
            continue
        if op.f in LOCK_FS:
            ops.append(op)
        if op.f == ACQUIRE and op.type in (OK, INFO):
            holding[op.process] = op.key
        elif op.f == RELEASE and op.type in (OK, INFO):
            holding.pop(op.process, None)
        if op.type == INFO and op.process in holding:
            ops.append(Op(type="invoke", f=RELEASE, process=op.process, time=op.time,
                          key=holding.pop(op.process), error="implicit: the process ended "
                                                              "info; its client was closed"))
    return History(ops)


def _by_key(history: Iterable[Op]) -> tuple[dict[Any, list[Pair]], dict[Any, list[Pair]],
                                            list[Op]]:
    incrs: dict[Any, list[Pair]] = defaultdict(list)
    reads: dict[Any, list[Pair]] = defaultdict(list)
    lock_ops = list(mutex_history(history))
    for p in History(op for op in history if op.process != NEMESIS).pairs():
        if p.invoke.f == INCR:
            incrs[p.invoke.key].append(p)
        elif p.invoke.f == READ:
            reads[p.invoke.key].append(p)
    return incrs, reads, lock_ops


def lease_losses(history: Iterable[Op]) -> list[dict[str, Any]]:
    """Releases that found the lease (etcd) or session (ZooKeeper) lost while held: the
    holder's lock was freed behind its back, the case a lock service under pauses or
    partitions produces."""
    return [{"process": op.process, "key": op.key, "time_s": round(op.time / 1e9, 6),
             "node": op.node, "error": op.error}
            for op in history if op.f == RELEASE and op.type == INFO and op.error
            and op.error.startswith(LOCK_LOST)]


def _counterexample_s(mutex: Mapping[str, Any], lock_ops: Sequence[Op]) -> float | None:
    """When the mutex check's first counterexample op (of any invalid key) completed
    (else was invoked), in ``lock_ops``' times."""
    keys = mutex.get("keys")
    checked = keys.values() if isinstance(keys, Mapping) else [mutex]
    times = []
    for key in checked:
        op = ((key.get("counterexample") or {}).get("op") or {}) \
            if isinstance(key, Mapping) and key.get("valid") is False else {}
        index = op.get("completed") if op.get("completed") is not None else op.get("index")
        if isinstance(index, int) and 0 <= index < len(lock_ops):
            times.append(_s(lock_ops[index]))
    return min(times, default=None)


def check_lock(history: History, *, time_limit: float | None = None) -> Result:
    """The lock workload's history checked both ways (the module doc)."""
    incrs, reads, lock_ops = _by_key(history)
    keys = sorted(set(incrs) | set(reads), key=repr)
    guard = {str(k): check_key(incrs.get(k, []), reads.get(k, [])) for k in keys}
    mutex = check_linearizable(History(lock_ops), PerKey(get_model("mutex")),
                               time_limit=time_limit, full=True) if lock_ops else None
    totals = {name: sum(g["counts"][name] for g in guard.values()) for name in ANOMALIES}
    valid = merge_validity([g["valid"] for g in guard.values()]
                           + ([mutex.valid] if mutex is not None else []))
    data: dict[str, Any] = {"kind": KIND, "counts": totals,
                            "anomaly_types": sorted(n for n, c in totals.items() if c)
                            + (["not-a-mutex"] if mutex is not None and mutex.valid is False
                               else []),
                            "keys": guard}
    lost_locks = lease_losses(history)
    data["lock_lost"], data["lock_lost_count"] = lost_locks[:EXAMPLES], len(lost_locks)
    first: dict[str, float] = {}
    for g in guard.values():
        for name, t in g["first_s"].items():
            first[name] = min(first.get(name, t), t)
    if mutex is not None:
        data["mutex"] = mutex.to_dict()
        shown = _counterexample_s(data["mutex"], lock_ops) \
            if mutex.valid is False else None
        if shown is not None:
            first["not-a-mutex"] = shown
    data["first_s"] = first
    if valid == UNKNOWN:
        data["reason"] = next((g["reason"] for g in guard.values() if g.get("reason")),
                              None) or (mutex.to_dict().get("reason") if mutex else None)
    return Result(valid, data)


class LockChecker:
    """:func:`check_lock`; the mutex search is bounded by ``opts["time_limit"]``, else
    ``test["check_time_limit"]`` (seconds)."""

    def check(self, test: Mapping[str, Any], history: History,
              opts: Mapping[str, Any]) -> Result:
        limit = opts.get("time_limit") or test.get("check_time_limit")
        return check_lock(history, time_limit=float(limit) if limit else None)


__all__ = ["ACQUIRE", "ANOMALIES", "INCR", "KIND", "LOCK_FS", "LockChecker",
           "READ", "RELEASE", "check_key", "check_lock", "lease_losses",
           "mutex_history"]
