"""The watch checker: every watch session's events against the writes the same run recorded.

Input (the watch workload's history, :mod:`faultline.workloads.watch`): writes
(``put`` / ``delete`` / ``txn``, ok completions carrying ``{"mops", "revision"}``), ``compact``
ops, and ``watch`` sessions (ok completions carrying ``{"from", "batches": [{"header",
"events": [[revision, key, type, value], ...]}, ...], "compacted", ...}``).

What a revision should hold: an acknowledged write at revision R made exactly its puts
and its deletes of keys that existed (``deleted`` 1); a write of unknown outcome may have
made its events at a revision no acknowledged write returned, and then every session that
saw that revision must agree on them. *Known revisions* are those with events: returned by
an acknowledged write, or delivered by any session.

Anomalies (each session is checked on its own; a kind is named only when found):

- ``out-of-order``: an event at a lower revision delivered after a higher one.
- ``duplicate``: one (revision, key) event delivered twice in a session.
- ``split-revision``: one revision's events delivered in two responses (not atomic).
- ``missing``: a known revision between the first and the last revision a session
  delivered that it did not deliver (unless below a compaction it reported).
- ``wrong-resume``: the first event of a session starting at F is not the first known
  revision >= F: an earlier one (replayed) or a later one (skipped).
- ``silent-compaction``: such a skip over revisions a compaction (invoked before the
  session ended) removed, without the compaction error the server owes.
- ``lost-delete-at-compaction``: a watch from a compaction revision that delivers it
  without its deletes (only its puts, or, when it held only deletes, skipping it): the
  compaction dropped the tombstones at its own revision, so a watch from there (allowed:
  it is not below the compaction) never sees them. etcd-io/etcd#18089, fixed
  upstream in 2024 (#18274); etcd 3.4.23 has it.
- ``unjustified-compaction``: a compaction error for revision C though no compaction at C
  was invoked before, or for a session that started at C or later.
- ``wrong-content``: a revision's events differ from what its write did, or from what
  another session delivered for it, or an acknowledged write's put shows at another
  revision.
- ``unexpected-event``: an event no write could have made (a value never written, or
  written by a write that failed).
- ``revision-conflict``: two acknowledged writes returned the same revision but made
  different events: the members that served them applied different histories (every
  session or read on one of them then disagrees with the other's writes). etcd-io/etcd#18667
  does this in etcd 3.4.23: a txn whose range reads a revision compacted meanwhile fails on
  the member the client talks to and applies on the others.
- ``wrong-historical-read``: a txn's read at an earlier revision that contradicts what
  the known revisions made (:mod:`faultline.checkers.watch_reads`).

Each example names its ``session`` (for a revision conflict: the second write; for a
historical read: its txn) with the op's completion index and time (``completed_s``);
``first_s`` holds, per anomaly kind found, the earliest such completion over every
anomaly of the kind (not only the examples kept): when the history first showed it.

Not anomalies: a session that ends before it delivers everything up to the end of the
test (watches are checked for what they delivered; ``stats.unreached`` counts final
sessions that did not reach their ``until``).
"""

from __future__ import annotations

import bisect
from collections import defaultdict
from typing import Any, Iterable, Mapping

from faultline.core.history import History
from faultline.core.op import FAIL, INVOKE, NEMESIS, OK, Op
from faultline.core.result import Result
from faultline.checkers.watch_reads import KIND as READ_KIND, historical_read_anomalies

KIND = "watch"
WRITE_FS = frozenset({"put", "delete", "txn"})
EXAMPLES = 8
ANOMALY_TYPES = ("out-of-order", "duplicate", "split-revision", "missing", "wrong-resume",
                 "silent-compaction", "lost-delete-at-compaction", "unjustified-compaction",
                 "wrong-content", "unexpected-event", "revision-conflict", READ_KIND)


def resume_revision(session: Mapping[str, Any]) -> int | None:
    """Where a watcher resumes after ``session`` (a watch completion's value): after the
    last event it received; at the compaction it was told of; else where it started."""
    last = None
    for batch in session.get("batches") or ():
        if batch["events"]:
            last = batch["events"][-1][0]
    start = session.get("from")
    if session.get("compacted"):
        return max(int(session["compacted"]), (last or 0) + 1)
    return start if last is None else last + 1


def write_events(mops: Iterable[Any]) -> tuple[tuple[Any, str, Any], ...]:
    """The events ``(key, type, value)`` an acknowledged write's mops made, sorted by key."""
    out = []
    for mop in mops:
        if mop[0] == "put":
            out.append((mop[1], "put", mop[2]))
        elif mop[0] == "delete" and mop[2]:
            out.append((mop[1], "delete", None))
    return tuple(sorted(out, key=repr))


class _Writes:
    """What the history's writes say: events per acknowledged revision, and who wrote each
    put value (with the outcome)."""

    def __init__(self, history: History):
        self.at: dict[int, tuple] = {}
        self.acked_by: dict[int, Op] = {}                 # revision -> its acknowledged completion
        self.conflicts: list[tuple[int, Op, Op]] = []     # (revision, first ack, another ack)
        self.by_value: dict[Any, tuple[str, Op]] = {}   # value -> (outcome, invoke)
        self.deletes_unknown: set[Any] = set()            # keys deleted by writes of unknown outcome
        self.puts_of: dict[int, frozenset] = {}           # invoke index -> its put values
        self.compactions: list[tuple[int, int, int | None]] = []  # (revision, invoke idx, ok idx)
        open_: dict[Any, Op] = {}
        for op in history:
            if op.process == NEMESIS:
                continue
            if op.type == INVOKE:
                open_[op.process] = op
                if op.f in WRITE_FS:
                    puts = frozenset(m[2] for m in op.value["mops"] if m[0] == "put")
                    self.puts_of[op.index] = puts
                    for v in puts:
                        self.by_value[v] = ("info", op)
                    self.deletes_unknown.update(m[1] for m in op.value["mops"] if m[0] == "delete")
                elif op.f == "compact":
                    self.compactions.append((int(op.value), op.index, None))
                continue
            inv = open_.pop(op.process, None)
            if inv is None:
                continue
            if op.f == "compact" and op.type == OK:
                self.compactions = [(r, i, op.index if i == inv.index else ok)
                                    for r, i, ok in self.compactions]
            if op.f not in WRITE_FS or op.type not in (OK, FAIL):
                continue
            for v in self.puts_of.get(inv.index, ()):
                self.by_value[v] = (op.type, inv)
            if op.type == OK:
                events = write_events(op.value["mops"])
                revision = int(op.value["revision"])
                if events and revision in self.at and self.at[revision] != events:
                    self.conflicts.append((revision, self.acked_by[revision], op))
                elif events:
                    self.at[revision], self.acked_by[revision] = events, op


class Report:
    """Anomalies found: counted, a few examples kept per kind, and when each kind was
    first shown (the ``completed_s`` of the session ref an anomaly names)."""

    def __init__(self) -> None:
        self.found: dict[str, list[dict[str, Any]]] = defaultdict(list)
        self.counts: dict[str, int] = defaultdict(int)
        self.first_s: dict[str, float] = {}

    def add(self, kind: str, session: Mapping[str, Any], text: str, **fields: Any) -> None:
        self.counts[kind] += 1
        shown = session["completed_s"]
        self.first_s[kind] = min(self.first_s.get(kind, shown), shown)
        if len(self.found[kind]) < EXAMPLES:
            self.found[kind].append({"type": kind, "session": session, **fields,
                                     "explanation": text})


def watch_sessions(history: History) -> list[tuple[Op, Op]]:
    """(invoke, ok completion) of every watch session, in completion order."""
    open_: dict[Any, Op] = {}
    out = []
    for op in history:
        if op.f != "watch":
            continue
        if op.type == INVOKE:
            open_[op.process] = op
        elif op.type == OK and op.process in open_:
            out.append((open_.pop(op.process), op))
    return out


def check_watch_stream(history: History) -> Result:
    """The watch checker (the module doc). Valid when no anomaly is found; unknown when
    the history has no watch session that delivered an event."""
    writes = _Writes(history)
    sessions = watch_sessions(history)
    report = Report()
    observed: dict[int, tuple] = {}
    delivered: list[tuple[dict, list, Mapping]] = []
    events_total = 0
    for inv, ok in sessions:
        value = ok.value
        ref = {"index": ok.index, "completed_s": _s(ok), "invoke": inv.index,
               "process": ok.process, "node": ok.node, "from": value.get("from"),
               "historical": bool(value.get("historical"))}
        flat = [(b, tuple(e)) for b, batch in enumerate(value.get("batches") or ())
                for e in batch["events"]]
        events_total += len(flat)
        delivered.append((ref, flat, value))
        _check_order(flat, ref, report)
        for revision, events in _by_revision(flat).items():
            observed.setdefault(revision, events)
    known = sorted(set(writes.at) | set(observed))
    for revision, first, other in writes.conflicts:
        ref = {"index": other.index, "completed_s": _s(other), "invoke": None,
               "process": other.process, "node": other.node, "from": None,
               "historical": False}
        report.add("revision-conflict", ref, f"revision {revision}: op {other.index} on "
                   f"{other.node} made {list(write_events(other.value['mops']))}, op "
                   f"{first.index} on {first.node} {list(writes.at[revision])}: the members "
                   "applied different histories", revision=revision,
                   writes=[first.index, other.index], nodes=[first.node, other.node])
    for ref, flat, value in delivered:
        _check_contents(flat, ref, writes, observed, report)
        _check_coverage(flat, ref, value, known, writes, observed, report)
    for found in historical_read_anomalies(history, {**observed, **writes.at}):
        ref = {"index": found["op"], "completed_s": found["completed_s"], "invoke": None,
               "process": found["process"], "node": found["node"], "from": found["at"],
               "historical": True}
        report.add(READ_KIND, ref, found["explanation"], revision=found["at"], key=found["key"],
                   read=found["read"])
    stats = {"sessions": len(sessions), "events": events_total, "revisions": len(known),
             "acknowledged_revisions": len(writes.at),
             "historical_sessions": sum(1 for r, _, _ in delivered if r["historical"]),
             "compacted_sessions": sum(1 for _, _, v in delivered if v.get("compacted")),
             "broken_sessions": sum(1 for _, _, v in delivered if v.get("broken")),
             "unreached": sum(1 for _, _, v in delivered
                              if v.get("until") and not v.get("reached")),
             "compactions": sum(1 for _, _, ok in writes.compactions if ok is not None),
             "first_revision": known[0] if known else None,
             "last_revision": known[-1] if known else None,
             "counts": dict(report.counts)}
    data = {"kind": KIND, "anomaly_types": sorted(report.found),
            "anomalies": dict(report.found), "first_s": dict(sorted(report.first_s.items())),
            "stats": stats}
    if report.found:
        return Result(False, data)
    if not events_total:
        return Result("unknown", {**data, "reason": "no watch session delivered an event"})
    return Result(True, data)


def _s(op: Op) -> float:
    return round(op.time / 1e9, 6)


def _by_revision(flat: list) -> dict[int, tuple]:
    grouped: dict[int, set] = defaultdict(set)  # a repeat is a duplicate, not new content
    for _, (revision, key, kind, value) in flat:
        grouped[revision].add((key, kind, value))
    return {r: tuple(sorted(es, key=repr)) for r, es in grouped.items()}


def _check_order(flat: list, ref: Mapping, report: Report) -> None:
    seen: set[tuple] = set()
    batch_of: dict[int, int] = {}
    previous = None
    for batch, (revision, key, _, _) in flat:
        if previous is not None and revision < previous:
            report.add("out-of-order", ref, f"revision {revision} delivered after {previous}",
                       revision=revision, after=previous)
        previous = revision if previous is None else max(previous, revision)
        if (revision, key) in seen:
            report.add("duplicate", ref, f"the event of key {key} at revision {revision} "
                       "delivered twice", revision=revision, key=key)
        seen.add((revision, key))
        first_batch = batch_of.setdefault(revision, batch)
        if first_batch != batch:
            report.add("split-revision", ref, f"revision {revision}'s events came in responses "
                       f"{first_batch} and {batch}", revision=revision,
                       responses=[first_batch, batch])
            batch_of[revision] = batch


def _check_contents(flat: list, ref: Mapping, writes: _Writes, observed: Mapping[int, tuple],
                    report: Report) -> None:
    for revision, events in _by_revision(flat).items():
        expected = writes.at.get(revision)
        if expected is not None:
            if events != expected and _lost_deletes(revision, events, expected, ref, writes):
                report.add("lost-delete-at-compaction", ref, f"revision {revision} (a compaction "
                           f"revision) delivered {list(events)} without its deletes "
                           f"{[list(e) for e in expected if e[1] == 'delete']} "
                           "(etcd-io/etcd#18089)", revision=revision,
                           delivered=[list(e) for e in events], expected=[list(e) for e in expected])
            elif events != expected:
                report.add("wrong-content", ref, f"revision {revision} delivered {list(events)}, "
                           f"its write made {list(expected)}", revision=revision,
                           delivered=[list(e) for e in events], expected=[list(e) for e in expected])
            continue
        if events != observed[revision]:
            report.add("wrong-content", ref, f"revision {revision} delivered {list(events)}, "
                       f"another session {list(observed[revision])}", revision=revision,
                       delivered=[list(e) for e in events],
                       expected=[list(e) for e in observed[revision]])
            continue
        why = _unexplained(events, writes)
        if why is not None:
            kind, text = why
            report.add(kind, ref, f"revision {revision}: {text}", revision=revision,
                       delivered=[list(e) for e in events])


def _lost_deletes(revision: int, events: tuple, expected: tuple, ref: Mapping,
                  writes: _Writes) -> bool:
    """Whether ``events`` are ``expected`` without its deletes at a compaction revision
    (compacted before the session ended): etcd-io/etcd#18089's dropped tombstones."""
    return (any(r == revision and inv_i < ref["index"] for r, inv_i, _ in writes.compactions)
            and events == tuple(e for e in expected if e[1] != "delete"))


def _unexplained(events: tuple, writes: _Writes) -> tuple[str, str] | None:
    """Why no write of unknown outcome explains ``events`` at a revision no acknowledged
    write returned, or None when one does."""
    puts = {value for _, kind, value in events if kind == "put"}
    writers = set()
    for value in puts:
        outcome, inv = writes.by_value.get(value, (None, None))
        if outcome is None:
            return "unexpected-event", f"value {value!r} was never written"
        if outcome == FAIL:
            return "unexpected-event", f"value {value!r} was written by op {inv.index}, which failed"
        if outcome == OK:
            return "wrong-content", f"value {value!r} was acknowledged at another revision"
        writers.add(inv.index)
    if len(writers) > 1:
        return "wrong-content", f"puts of writes {sorted(writers)} at one revision"
    if writers and writes.puts_of[next(iter(writers))] != puts:
        return "wrong-content", (f"only part of write {next(iter(writers))}'s puts "
                                 f"{sorted(writes.puts_of[next(iter(writers))])}")
    for key, kind, _ in events:
        if kind == "delete" and key not in writes.deletes_unknown:
            return "unexpected-event", f"key {key!r} deleted, though no unknown write deletes it"
    return None


def _check_coverage(flat: list, ref: Mapping, value: Mapping, known: list[int],
                    writes: _Writes, observed: Mapping[int, tuple], report: Report) -> None:
    start = int(value.get("from") or 0)
    compacted = int(value.get("compacted") or 0)
    if compacted:
        _check_compaction_error(compacted, start, ref, writes, report)
    if not flat:
        return
    revisions = sorted({e[0] for _, e in flat})
    got = set(revisions)
    first, last = flat[0][1][0], revisions[-1]
    i = bisect.bisect_left(known, max(start, compacted))
    expected_first = known[i] if i < len(known) else None
    if first < start:
        report.add("wrong-resume", ref, f"started at {start}, first event at revision {first} "
                   "(replayed)", revision=first, expected=start)
    elif expected_first is not None and first > expected_first:
        kind, why = _skip_kind(known[i:bisect.bisect_left(known, first)], ref, writes, observed)
        report.add(kind, ref, f"started at {start}, first event at revision {first}, skipping "
                   f"{expected_first}{why}", revision=first, expected=expected_first)
    for r in known[bisect.bisect_right(known, first):bisect.bisect_left(known, last)]:
        if r not in got and r >= compacted:
            report.add("missing", ref, f"revision {r} not delivered between {first} and {last}",
                       revision=r)


def _skip_kind(skipped: list[int], ref: Mapping, writes: _Writes,
               observed: Mapping[int, tuple]) -> tuple[str, str]:
    """The anomaly a session's skip over ``skipped`` (known revisions, ascending) at its
    start is, and a note for its text."""
    asked = {r for r, inv_i, _ in writes.compactions if inv_i < ref["index"]}
    events = writes.at.get(skipped[0]) or observed.get(skipped[0]) or ()
    if skipped == [skipped[0]] and skipped[0] in asked and events and \
            all(kind == "delete" for _, kind, _ in events):
        return "lost-delete-at-compaction", (f" (the compaction revision, only deletes: its "
                                             f"tombstones were dropped, etcd-io/etcd#18089)")
    removed = [r for r in asked if r > skipped[0]]
    if removed:
        return "silent-compaction", f" (compaction at {max(removed)} not reported)"
    return "wrong-resume", ""


def _check_compaction_error(compacted: int, start: int, ref: Mapping, writes: _Writes,
                            report: Report) -> None:
    asked = any(r == compacted and inv_i < ref["index"] for r, inv_i, _ in writes.compactions)
    if not asked or start >= compacted:
        report.add("unjustified-compaction", ref, f"told revision {compacted} was compacted "
                   f"(session from {start})" + ("" if asked else ", no such compaction was "
                                                "invoked"), revision=compacted)


class WatchStreamChecker:
    """The Checker protocol around :func:`check_watch_stream`."""

    def check(self, test: Mapping[str, Any], history: History, opts: Mapping[str, Any]) -> Result:
        return check_watch_stream(history)


__all__ = ["ANOMALY_TYPES", "EXAMPLES", "KIND", "Report", "WatchStreamChecker",
           "check_watch_stream", "resume_revision", "watch_sessions", "write_events"]
