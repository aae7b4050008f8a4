"""Jepsen's set-full analysis of a set history: which added elements reads keep, lose or
never show, which they show that nobody added, and how long elements took to appear.

The history holds ``add`` ops (value: one element, an int or a string, unique per add) and
``read`` ops (an ``ok`` read's value: the list of elements present, None read as empty).
Nemesis ops and ``member-read`` ops (one member's state after the final heal:
:mod:`faultline.checkers.member_state`) are ignored; any other client ``f`` is refused
(BadInputError).

Definitions (Jepsen's ``set-full``, ``jepsen/checker.clj``; indices are history positions,
one clock, so "after" is real time as the harness saw it). For an element e:

- a read *shows* e when e is in its value; it *misses* e when e is not and the read
  completed after e's add was invoked (an earlier read could not have seen it);
- e is *known* from the earlier of its add's ``ok`` completion and the completion of the
  first read that shows it;
- the *last present* / *last absent* read is the read showing / missing e invoked last;
- **stable**: some read shows e, and the last read showing it began after the last read
  missing it (from some point on every read sees it);
- **lost**: e is known, the last read missing it began after e was known, and after the
  last read that showed it (if any): from some point on no read sees it, though it was
  there. An acknowledged add missing from the final read is lost;
- **never-read**: neither (no read began after e was known, or its add never completed
  and no read showed it);
- **stale**: stable, but a read that began after e was known missed it (a stale read:
  invalid only with ``linearizable``, as set-full's ``:linearizable?``). Where Jepsen
  compares millisecond-truncated times, this compares history positions;
- **flapping** (ours, across outcomes): a read showed e, a read begun after that one
  completed missed it, and a read begun after *that* one completed showed it again;
- **unexpected** (ours; Jepsen's plain ``set`` checker has it, set-full does not): shown
  by a read, but never added, or its add ``fail`` ed (it definitely did not happen), or
  the read completed before the add was invoked;
- **duplicated**: a read holding e more than once;
- **recovered**: shown by a read although its add's outcome was unknown.

Valid iff no element is lost, unexpected or duplicated (nor stale, with
``linearizable``); ``unknown`` when no read succeeded or no element is stable (nothing
was observed to stick), as set-full does.

Latencies (milliseconds, nearest-rank quantiles at 0, 0.5, 0.95, 0.99, 1): ``stable``
(set-full's: from known to the invocation of the last read missing e, 0 for elements no
later read missed), ``lost`` (from known to the invocation of the last read showing it),
``visible_after_ack`` (from the add's ``ok`` to the invocation of the first read that
shows e, 0 when that read began before the ack: set-full's first read latency) and
``visible_after_invoke`` (from the add's invocation to the completion of the first read
that shows e: an upper bound on how long the add took to become visible).

Cost: one pass over the history plus set operations over the reads' contents, O(sum of
the read sizes) (about reads x elements), with Python-level work per element and per
absence (elements missing from a read), not per (read, element) pair.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, Iterable, Mapping, Sequence

from faultline.core.errors import BadInputError
from faultline.core.history import History, Pair
from faultline.core.op import FAIL, NEMESIS, OK, Op
from faultline.core.result import UNKNOWN, Result
from faultline.core.vocabulary import MEMBER_READ

KIND = "set"
ADD = "add"
READ = "read"
EXAMPLES = 10
"""Detailed examples kept per class of element."""
QUANTILES = (("min", 0.0), ("p50", 0.5), ("p95", 0.95), ("p99", 0.99), ("max", 1.0))
CLASSES = ("stable", "lost", "never_read", "stale", "flapping", "unexpected", "duplicated",
           "recovered")


@dataclass(frozen=True, slots=True)
class _Read:
    invoke: Op
    done: Op
    elements: frozenset


def _element(op: Op, value: Any) -> Any:
    if isinstance(value, bool) or not isinstance(value, (int, str)):
        raise BadInputError(f"op {op.index}: a set element must be an int or a string, "
                            f"got {value!r:.80}")
    return value


ELEMENT_TYPES = frozenset({int, str})


def _read_list(op: Op) -> list[Any] | tuple[Any, ...]:
    value = op.value
    if value is None:
        return []
    if not isinstance(value, (list, tuple)):
        raise BadInputError(f"op {op.index}: a set read's value must be a list of elements, "
                            f"got {value!r:.80}")
    if not ELEMENT_TYPES.issuperset(map(type, value)):  # one C-level pass for the usual case
        for e in value:
            _element(op, e)
    return value


def _order(e: Any) -> tuple[bool, Any]:
    """Sort key: ints before strings."""
    return isinstance(e, str), e


def _ms(ns: float) -> float:
    return round(max(0.0, ns) / 1e6, 3)


def quantiles(values: Iterable[float]) -> dict[str, Any] | None:
    """``{"count", "min", "p50", "p95", "p99", "max"}`` (nearest rank), None when empty."""
    ordered = sorted(values)
    if not ordered:
        return None
    n = len(ordered)
    out: dict[str, Any] = {"count": n}
    for name, q in QUANTILES:
        out[name] = ordered[max(0, math.ceil(q * n) - 1)]
    return out


def ranges_text(elements: Iterable[Any]) -> str:
    """``"0-4, 7, 9-10"``: sorted elements with runs of consecutive ints collapsed."""
    parts: list[str] = []
    run: list[int] = []
    for e in sorted(set(elements), key=_order):
        if isinstance(e, int) and run and e == run[-1] + 1:
            run.append(e)
            continue
        if run:
            parts.append(str(run[0]) if len(run) == 1 else f"{run[0]}-{run[-1]}")
            run = []
        if isinstance(e, int):
            run = [e]
        else:
            parts.append(e)
    if run:
        parts.append(str(run[0]) if len(run) == 1 else f"{run[0]}-{run[-1]}")
    return ", ".join(parts)


def _read_ref(r: _Read | None) -> dict[str, Any] | None:
    """Where a read is in the history, for examples."""
    if r is None:
        return None
    return {"index": r.invoke.index, "completed_index": r.done.index,
            "time_s": round(r.invoke.time / 1e9, 3), "completed_s": round(r.done.time / 1e9, 3),
            "process": r.invoke.process, "node": r.done.node, "size": len(r.elements)}


def _add_ref(pair: Pair) -> dict[str, Any]:
    done = pair.completion
    return {"index": pair.invoke.index, "time_s": round(pair.invoke.time / 1e9, 3),
            "type": pair.outcome, "process": pair.invoke.process,
            "completed_index": done.index if done is not None else None,
            "completed_s": round(done.time / 1e9, 3) if done is not None else None,
            "node": done.node if done is not None else None}


def _collect(history: Sequence[Op]) -> tuple[dict[Any, Pair], list[_Read], dict[str, int],
                                              dict[Any, dict[str, Any]]]:
    """(adds by element, ok reads, read outcome counts, duplicated elements)."""
    adds: dict[Any, Pair] = {}
    reads: list[_Read] = []
    read_outcomes = {"ok": 0, "fail": 0, "info": 0}
    duplicated: dict[Any, dict[str, Any]] = {}
    pairs = history.pairs() if isinstance(history, History) else History(history).pairs()
    for pair in pairs:
        inv = pair.invoke
        if inv.process == NEMESIS or inv.f == MEMBER_READ:
            continue
        if inv.f == ADD:
            e = _element(inv, inv.value)
            if e in adds:
                raise BadInputError(f"op {inv.index}: element {e!r} is added again (first at "
                                    f"op {adds[e].invoke.index}); set-full needs unique elements")
            adds[e] = pair
        elif inv.f == READ:
            read_outcomes[pair.outcome] += 1
            if pair.outcome != OK:
                continue
            listed = _read_list(pair.completion)
            r = _Read(inv, pair.completion, frozenset(listed))
            if len(r.elements) != len(listed):
                seen: set[Any] = set()
                for e in listed:
                    if e in seen and e not in duplicated:
                        duplicated[e] = {"element": e, "times": listed.count(e),
                                         "read": _read_ref(r)}
                    seen.add(e)
            reads.append(r)
        else:
            raise BadInputError(f"op {inv.index}: set-full checks add and read ops, "
                                f"got f={inv.f!r}")
    return adds, reads, read_outcomes, duplicated


def _first_and_last(reads: list[_Read], wanted: set[Any]) -> tuple[dict, dict, dict]:
    """Per element of ``wanted`` shown by some read: the read showing it that completed
    first, the one invoked first, and the one invoked last."""
    def scan(ordered: Iterable[_Read]) -> dict[Any, _Read]:
        left, found = set(wanted), {}
        for r in ordered:
            hits = r.elements & left
            if hits:
                left -= hits
                found.update(dict.fromkeys(hits, r))
        return found

    by_invoke = sorted(reads, key=lambda r: r.invoke.index)
    return (scan(sorted(reads, key=lambda r: r.done.index)), scan(by_invoke),
            scan(reversed(by_invoke)))


def _misses(adds: Mapping[Any, Pair], reads: list[_Read]) -> dict[Any, list[_Read]]:
    """Per element of ``adds``, the reads missing it (completed after its add was
    invoked), in completion order."""
    pending = sorted(adds.items(), key=lambda kv: kv[1].invoke.index)
    existing: set[Any] = set()
    misses: dict[Any, list[_Read]] = {}
    i = 0
    for r in sorted(reads, key=lambda r: r.done.index):
        while i < len(pending) and pending[i][1].invoke.index < r.done.index:
            existing.add(pending[i][0])
            i += 1
        for e in existing - r.elements:
            misses.setdefault(e, []).append(r)
    return misses


def check_set_full(history: Sequence[Op], *, linearizable: bool = False,
                   examples: int = EXAMPLES) -> Result:
    """The set-full verdict of ``history`` (definitions: the module doc). Raises
    BadInputError for a history that is not a set history."""
    adds, reads, read_outcomes, duplicated = _collect(history)
    shown: set[Any] = set().union(*(r.elements for r in reads)) if reads else set()
    first_done, first_invoked, last_present = _first_and_last(reads, shown)
    # Only an acknowledged or shown element can be lost or stale: a miss says nothing of the rest.
    misses = _misses({e: p for e, p in adds.items() if p.outcome == OK or e in shown}, reads)

    classes: dict[str, list[Any]] = {c: [] for c in CLASSES}
    detail: dict[str, list[dict[str, Any]]] = {c: [] for c in CLASSES}
    latency: dict[str, list[float]] = {"stable": [], "lost": [], "visible_after_ack": [],
                                       "visible_after_invoke": []}
    for e in sorted(shown - adds.keys(), key=_order):
        classes["unexpected"].append(e)
        detail["unexpected"].append({"element": e, "why": "never added", "added": None,
                                     "first_seen": _read_ref(first_done[e])})

    for e in sorted(adds, key=_order):
        pair = adds[e]
        inv, done, outcome = pair.invoke, pair.completion, pair.outcome
        seen_first = first_done.get(e)
        if seen_first is not None and (outcome == FAIL or seen_first.done.index < inv.index):
            why = "its add failed" if outcome == FAIL else "read before its add began"
            classes["unexpected"].append(e)
            detail["unexpected"].append({"element": e, "why": why, "added": _add_ref(pair),
                                         "first_seen": _read_ref(seen_first)})
            continue
        acked = done if outcome == OK else None
        known = min((op for op in (acked, seen_first.done if seen_first else None) if op),
                    key=lambda op: op.index, default=None)
        present = last_present.get(e)
        missed = misses.get(e, [])
        absent = max(missed, key=lambda r: r.invoke.index, default=None)
        if seen_first is not None and outcome != OK:
            classes["recovered"].append(e)
        stable = present is not None and (absent is None
                                          or absent.invoke.index < present.invoke.index)
        lost = (known is not None and absent is not None
                and absent.invoke.index > known.index
                and (present is None or present.invoke.index < absent.invoke.index))
        if stable:
            stale = absent is not None and absent.invoke.index > known.index
            latency["stable"].append(_ms(absent.invoke.time - known.time) if stale else 0.0)
            classes["stable"].append(e)
            if stale:
                classes["stale"].append(e)
                detail["stale"].append({"element": e, "added": _add_ref(pair),
                                        "known_s": round(known.time / 1e9, 3),
                                        "last_missed": _read_ref(absent),
                                        "stable_latency_ms": latency["stable"][-1]})
        elif lost:
            latency["lost"].append(_ms(present.invoke.time - known.time) if present else 0.0)
            classes["lost"].append(e)
            detail["lost"].append({"element": e, "added": _add_ref(pair),
                                   "known_s": round(known.time / 1e9, 3),
                                   "first_seen": _read_ref(seen_first),
                                   "last_seen": _read_ref(present),
                                   "last_missed": _read_ref(absent),
                                   "lost_latency_ms": latency["lost"][-1]})
        else:
            classes["never_read"].append(e)
        if seen_first is not None:
            if acked is not None:
                latency["visible_after_ack"].append(
                    _ms(first_invoked[e].invoke.time - acked.time))
            latency["visible_after_invoke"].append(_ms(seen_first.done.time - inv.time))
            dropped = min((r for r in missed if r.invoke.index > seen_first.done.index),
                          key=lambda r: r.done.index, default=None)
            if dropped is not None and present.invoke.index > dropped.done.index:
                classes["flapping"].append(e)
                detail["flapping"].append({"element": e, "seen": _read_ref(seen_first),
                                           "missed": _read_ref(dropped),
                                           "seen_again": _read_ref(present)})

    classes["duplicated"] = sorted(duplicated, key=_order)
    detail["duplicated"] = [duplicated[e] for e in classes["duplicated"]]
    detail["stale"].sort(key=lambda d: -d["stable_latency_ms"])  # worst first, as set-full
    valid, reason = _verdict(classes, read_outcomes["ok"], len(adds), linearizable)
    data: dict[str, Any] = {
        "kind": KIND, "linearizable": linearizable,
        "counts": {"attempted": len(adds),
                   "acknowledged": sum(1 for p in adds.values() if p.outcome == OK),
                   **{c: len(classes[c]) for c in CLASSES},
                   "reads": read_outcomes},
        "elements": {c: ranges_text(classes[c]) for c in CLASSES if classes[c]},
        "examples": {c: detail[c][:examples] for c in CLASSES if detail[c]},
        "latencies_ms": {name: q for name, values in latency.items()
                         if (q := quantiles(values)) is not None},
    }
    if reason:
        data["reason"] = reason
    return Result(valid, data)


def _verdict(classes: Mapping[str, list], ok_reads: int, attempted: int,
             linearizable: bool) -> tuple[Any, str | None]:
    bad = [c for c in ("lost", "unexpected", "duplicated") if classes[c]]
    if linearizable and classes["stale"]:
        bad.append("stale")
    if bad:
        return False, None
    if ok_reads == 0:
        return UNKNOWN, "no read of the set succeeded"
    if not classes["stable"]:
        return UNKNOWN, ("nothing was added" if attempted == 0 else
                         "no element was observed to stay in the set")
    return True, None


class SetFullChecker:
    """:func:`check_set_full` as a Checker; ``linearizable``: stale reads are invalid."""

    def __init__(self, *, linearizable: bool = False):
        self.linearizable = linearizable

    def check(self, test: Mapping[str, Any], history: Any, opts: Mapping[str, Any]) -> Result:
        return check_set_full(history, linearizable=self.linearizable)


__all__ = ["KIND", "SetFullChecker", "check_set_full", "quantiles", "ranges_text"]
