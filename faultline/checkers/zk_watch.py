"""The watch checker for ZooKeeper: one-time data watches, re-armed on every event, against
the writes the same run recorded.

What ZooKeeper promises (Programmer's Guide, "ZooKeeper Watches"): a watch is a one-time
trigger set by a read (``getData``, ``exists``), fired once when the znode's data changes;
watch events are delivered in order, before the replies that follow them; "a client
will see a watch event for a znode it is watching before seeing the new data that
corresponds to that znode"; and a client's view never goes back (sequential
consistency, a single system image). Between an event and the read that re-arms the
watch, further changes may be missed: that is no anomaly.

Input (the watch workload on ZooKeeper, :mod:`faultline.dbs.zookeeper.watch_client`):
writes ``put`` / ``txn`` of puts (``ok`` completions carry ``{"mops", "zxid"}``, the zxid
of the transaction that made them, the znodes' new ``mzxid``), and ``watch`` sessions
whose ``ok`` completion carries ``{"log": [item, ...], "broken": error | None}``: what the
session's connection received, in the order it arrived (recorded in kazoo's connection
thread):

- ``["read", k, value, mzxid, version, zxid]``: a read of znode k that set its watch:
  its value (None: absent, or the initial empty data), its ``mzxid`` and ``version``
  (None when absent), and ``zxid``, the reply header's: the server's last transaction
  when it answered;
- ``["event", k, type]``: k's watch fired (``CHANGED``, ``CREATED``, ``DELETED``);
- ``["state", s]``: the connection changed state; the session ends there (kazoo does
  not restore watches on a new connection), and so does the check of its log.

Per session, k is *armed* from its read until its next event. Anomalies (the session is
the watch op; ``revision`` names the zxid involved):

- ``missed-event``: a reply with header zxid Z arrived while k was armed, read at mzxid
  m (absent: at the read's header zxid), though an acknowledged write changed k at a
  zxid in (m, Z]: the watch was set before that change (no write touched k between m
  and the read's reply), and the server had applied the change before answering, so
  k's event had to come first (the reply that shows k's new data itself included).
- ``stale-after-event``: the read that re-armed k after k's event shows an mzxid no newer
  than the read before it: the event announced data the client then did not see.
- ``went-back``: a read of k older (mzxid) than an earlier read of k, or a reply whose
  header zxid is below an earlier one's, in one session.
- ``out-of-order``: two events whose changes are known (the first acknowledged write to k
  above its armed read's mzxid, when no write to k had an unknown outcome) delivered
  against their zxid order.
- ``wrong-content``: a read whose value was acknowledged at another zxid, whose mzxid
  is an acknowledged write's that put something else there, or that shows k's initial
  data at an mzxid not below an acknowledged write to k.
- ``unexpected-value``: a value never written, or written by a write that failed.
- ``revision-conflict``: two acknowledged writes at one zxid (members applied different
  histories).

Result kind ``watch`` (the same section and anomaly vocabulary as etcd's:
:mod:`faultline.checkers.watch_stream`), with ``first_s`` per anomaly kind (the
completion of the session, or of the second write of a conflict). Valid when nothing is
found; unknown when no session read anything.

Cost: O(n log w) over the log items and writes (w writes per key, a bisection per armed
key and reply).
"""

from __future__ import annotations

import bisect
from collections import defaultdict
from typing import Any, Mapping

from faultline.core.history import History
from faultline.core.op import FAIL, INFO, INVOKE, NEMESIS, OK, Op
from faultline.core.result import Result
from faultline.checkers.watch_stream import KIND, Report, watch_sessions

WRITE_FS = frozenset({"put", "txn"})
ANOMALY_TYPES = ("missed-event", "stale-after-event", "went-back", "out-of-order",
                 "wrong-content", "unexpected-value", "revision-conflict")


def _s(op: Op) -> float:
    return round(op.time / 1e9, 6)


class _Writes:
    """What the history's writes say: per key the acknowledged zxids (sorted) and values,
    who wrote each value (with the outcome), and the keys some write of unknown outcome
    touched."""

    def __init__(self, history: History):
        self.zxids: dict[Any, list[int]] = defaultdict(list)
        self.value_at: dict[tuple[Any, int], Any] = {}       # (key, zxid) -> value put
        self.by_value: dict[Any, tuple[str, Op, int | None]] = {}  # value -> (outcome, inv, zxid)
        self.unknown_keys: set[Any] = set()
        self.conflicts: list[tuple[int, Op, Op]] = []
        acked: dict[int, Op] = {}   # zxid -> the write acknowledged there
        open_: dict[Any, Op] = {}
        for op in history:
            if op.process == NEMESIS or op.f not in WRITE_FS:
                continue
            if op.type == INVOKE:
                open_[op.process] = op
                for mop in op.value["mops"]:
                    self.by_value.setdefault(mop[2], ("info", op, None))
                continue
            inv = open_.pop(op.process, None)
            if inv is None:
                continue
            mops = inv.value["mops"]
            if op.type == INFO:
                self.unknown_keys.update(m[1] for m in mops)
                continue
            zxid = int(op.value["zxid"]) if op.type == OK else None
            for mop in mops:
                self.by_value[mop[2]] = (op.type, inv, zxid)
            if op.type != OK:
                continue
            if zxid in acked:
                self.conflicts.append((zxid, acked[zxid], op))
                continue
            acked[zxid] = op
            for _, k, v in mops:
                bisect.insort(self.zxids[k], zxid)
                self.value_at[(k, zxid)] = v
        self.acknowledged = len(acked)

    def change_in(self, key: Any, low: int, high: int | None = None) -> int | None:
        """The first acknowledged write to ``key`` at a zxid in (low, high] (high None:
        above low), or None."""
        zs = self.zxids.get(key, ())
        i = bisect.bisect_right(zs, low)
        return zs[i] if i < len(zs) and (high is None or zs[i] <= high) else None


def check_zk_watch(history: History) -> Result:
    """The ZooKeeper watch checker (the module doc)."""
    writes = _Writes(history)
    report = Report()
    reads = events = 0
    sessions = watch_sessions(history)
    for zxid, first, other in writes.conflicts:
        ref = {"index": other.index, "completed_s": _s(other), "invoke": None,
               "process": other.process, "node": other.node, "from": None,
               "historical": False}
        report.add("revision-conflict", ref, f"zxid {zxid}: op {first.index} on {first.node} "
                   f"and op {other.index} on {other.node} both acknowledged there",
                   revision=zxid, writes=[first.index, other.index])
    for inv, ok in sessions:
        ref = {"index": ok.index, "completed_s": _s(ok), "invoke": inv.index,
               "process": ok.process, "node": ok.node, "from": None, "historical": False}
        log = (ok.value or {}).get("log") or []
        reads += sum(1 for item in log if item[0] == "read")
        events += sum(1 for item in log if item[0] == "event")
        _check_session(log, ref, writes, report)
    stats = {"sessions": len(sessions), "events": events, "reads": reads,
             "broken_sessions": sum(1 for _, ok in sessions if (ok.value or {}).get("broken")),
             "acknowledged_writes": writes.acknowledged,
             "counts": dict(report.counts)}
    data = {"kind": KIND, "db": "zookeeper", "anomaly_types": sorted(report.found),
            "anomalies": dict(report.found), "first_s": dict(sorted(report.first_s.items())),
            "stats": stats}
    if report.found:
        return Result(False, data)
    if not reads:
        return Result("unknown", {**data, "reason": "no watch session read a znode"})
    return Result(True, data)


def _check_session(log: list, ref: Mapping[str, Any], writes: _Writes, report: Report) -> None:
    armed: dict[Any, int] = {}       # key -> the zxid its watch counts from (module doc)
    last_read: dict[Any, int] = {}   # key -> newest mzxid read
    fired: dict[Any, int] = {}       # key -> the zxid its fired watch counted from
    header = 0                       # the highest reply header zxid so far
    last_change: tuple[int, Any] | None = None   # the last known change an event announced
    for item in log:
        if item[0] == "state":
            return
        if item[0] == "event":
            key = item[1]
            if key not in armed:
                continue   # a watch set before this session
            at = armed.pop(key)
            fired[key] = at
            if key not in writes.unknown_keys:
                change = writes.change_in(key, at)
                if change is not None:
                    if last_change is not None and change < last_change[0]:
                        report.add("out-of-order", ref, f"the event of znode {key} (its change "
                                   f"at zxid {change}) came after znode {last_change[1]}'s "
                                   f"(zxid {last_change[0]})", revision=change, key=key)
                    if last_change is None or change > last_change[0]:
                        last_change = (change, key)
            continue
        _, key, value, mzxid, _version, zxid = item
        mz = int(mzxid) if mzxid is not None else 0
        if zxid is not None:
            if int(zxid) < header:
                report.add("went-back", ref, f"a reply at zxid {zxid} after one at {header}",
                           revision=int(zxid), key=key)
            header = max(header, int(zxid))
        _check_value(key, value, mzxid, ref, writes, report)
        if key in fired and mz <= fired[key] and mzxid is not None:
            report.add("stale-after-event", ref, f"znode {key}'s event, then a read of it at "
                       f"mzxid {mz}, no newer than the read that set the watch "
                       f"({fired[key]})", revision=mz, key=key)
        elif key in last_read and mz < last_read[key]:
            report.add("went-back", ref, f"znode {key} read at mzxid {mz} after {last_read[key]}",
                       revision=mz, key=key)
        fired.pop(key, None)
        still: dict[Any, int] = {}
        for watched, at in armed.items():
            change = writes.change_in(watched, at, header)
            if change is None:
                still[watched] = at
            else:   # reported once: the watch counts as fired from here on
                report.add("missed-event", ref, f"znode {watched} (watched since zxid {at}) "
                           f"changed at zxid {change}, but a reply at zxid {header} came "
                           f"before its event", revision=change, key=watched)
        # No write touched an existing znode between its mzxid and the reply; an absent
        # one's watch counts from the reply's zxid.
        still[key] = mz if mzxid is not None else int(zxid if zxid is not None else header)
        armed = still
        if mzxid is not None:
            last_read[key] = max(last_read.get(key, 0), mz)


def _check_value(key: Any, value: Any, mzxid: Any, ref: Mapping[str, Any], writes: _Writes,
                 report: Report) -> None:
    if mzxid is None:
        return
    mz = int(mzxid)
    if value is None:
        first = writes.change_in(key, -1, mz)
        if first is not None:
            report.add("wrong-content", ref, f"znode {key} read with its initial data at mzxid "
                       f"{mz}, though a write put a value there at zxid {first}",
                       revision=mz, key=key)
        return
    written = writes.value_at.get((key, mz))
    if written is not None and written != value:
        report.add("wrong-content", ref, f"znode {key} read as {value!r} at mzxid {mz}, where "
                   f"the write acknowledged put {written!r}", revision=mz, key=key)
        return
    outcome, inv, zxid = writes.by_value.get(value, (None, None, None))
    if outcome is None:
        report.add("unexpected-value", ref, f"znode {key} read as {value!r}, never written",
                   revision=mz, key=key)
    elif outcome == FAIL:
        report.add("unexpected-value", ref, f"znode {key} read as {value!r}, written by op "
                   f"{inv.index}, which failed", revision=mz, key=key)
    elif outcome == OK and zxid != mz:
        report.add("wrong-content", ref, f"znode {key} read as {value!r} at mzxid {mz}, a "
                   f"value acknowledged at zxid {zxid}", revision=mz, key=key)


class ZkWatchChecker:
    """The Checker protocol around :func:`check_zk_watch`."""

    def check(self, test: Mapping[str, Any], history: History, opts: Mapping[str, Any]) -> Result:
        return check_zk_watch(history)


__all__ = ["ANOMALY_TYPES", "ZkWatchChecker", "check_zk_watch"]
