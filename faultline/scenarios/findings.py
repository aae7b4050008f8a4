"""What a run's results say it found: the anomaly kinds, and when the first one happened.

Both functions read ``results.json`` (a run's composed checker results, as
:func:`faultline.runner.check_history` writes it) and know each result kind's shape:

- ``linearizable`` (the register workload): per key, the counterexample's ``shape``
  (``stale-read``, ``future-read``, ``order-cycle``, ``order-cycle-via``), or
  ``not-linearizable`` when the search proved the key illegal without naming a shape;
  the anomalous op is the counterexample's op (the one no linearization can take);
- ``elle`` (list-append, rw-register): ``anomaly_types``; an anomaly happened once all
  its transactions had completed (the latest of its cycle's or its ``txns``' completions);
- ``set`` (set-full): ``lost-element``, ``unexpected-element``, ``duplicated-element`` and,
  when stale reads count (``linearizable``), ``stale-element``; the anomalous op is the
  first read that missed a stale or lost element after it was known (found in the
  history, for the elements the result lists), or the read that showed an unexpected or
  duplicated one (from the result's examples);
- ``member-state`` (on its own or in a result's ``members``): ``member-disagreement``, at
  the completion of the last member read compared;
- ``lock``, ``watch``, ``election``: their ``anomaly_types``; the checker records when
  each type was first shown in the result's ``first_s`` (seconds; the completion of the
  op that shows it, over every anomaly, not only the examples kept: the lock's second
  incr to read one value, the later of the first overlapping pair, the first read below
  a lost write, the mutex counterexample's op; the watch session, the write at a
  conflicting revision, the txn whose historical read is wrong; the election's stale or
  unexpected act, the final log read for a lost one), and the earliest of them counts;
- any other kind: its ``anomaly_types`` when it lists them, else the kind's name (unless
  only its ``members`` made it invalid); a time only from a ``first_s`` it records.

Only results that are invalid count. Results keep a few examples per kind (Elle 8 per
type, linearizability one counterexample per key it checked, and the register checker
stops at the first invalid key), so :func:`first_anomaly_s` is the earliest among the
reported ones: an upper bound on the time of the first anomalous op of the run, exact
when every anomaly is reported (and for a set's stale and lost elements, which the
result lists in full, and for the kinds that record ``first_s``).
"""

from __future__ import annotations

from typing import Any, Iterator, Mapping, Sequence

from faultline.core.history import History
from faultline.core.op import OK, Op

NOT_LINEARIZABLE = "not-linearizable"
MEMBER_DISAGREEMENT = "member-disagreement"
SET_CLASSES = ("lost", "unexpected", "duplicated", "stale")
"""set-full's classes that make a run invalid (stale only with ``linearizable``)."""


def checker_results(results: Mapping[str, Any]) -> Iterator[Mapping[str, Any]]:
    """Every invalid checker result in ``results``, nested ``members`` results included."""
    for name, found in results.items():
        if name == "stats" or not isinstance(found, Mapping):
            continue
        if found.get("valid") is False:
            yield found
        members = found.get("members")
        if isinstance(members, Mapping) and members.get("valid") is False:
            yield members


def _members_invalid(found: Mapping[str, Any]) -> bool:
    members = found.get("members")
    return isinstance(members, Mapping) and members.get("valid") is False


def _set_classes(found: Mapping[str, Any]) -> list[str]:
    counts = found.get("counts") or {}
    return [c for c in SET_CLASSES
            if counts.get(c) and (c != "stale" or found.get("linearizable"))]


def _invalid_keys(found: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    """A linearizable result's invalid per-key results (itself when it is not per key and
    has a counterexample)."""
    keys = found.get("keys")
    if isinstance(keys, Mapping):
        return [r for r in keys.values() if isinstance(r, Mapping) and r.get("valid") is False]
    return [found] if found.get("counterexample") else []


def anomaly_kinds(results: Mapping[str, Any]) -> list[str]:
    """The anomaly kinds the invalid results of ``results`` report, sorted, each once."""
    kinds: set[str] = set()
    for found in checker_results(results):
        kind = found.get("kind")
        if kind == "linearizable":
            for key in _invalid_keys(found):
                cx = key.get("counterexample")
                kinds.add((cx.get("shape") if isinstance(cx, Mapping) else None)
                          or NOT_LINEARIZABLE)
        elif kind == "set":
            kinds.update(f"{c}-element" for c in _set_classes(found))
        elif kind == "member-state":
            kinds.add(MEMBER_DISAGREEMENT)
        elif found.get("anomaly_types") or kind == "elle":
            kinds.update(found.get("anomaly_types") or ())
        elif kind and not _members_invalid(found):
            kinds.add(str(kind))
    return sorted(kinds)


def _times(history: Sequence[Op]) -> dict[int, int]:
    return {op.index: op.time for op in history}


def _linearizable_times(found: Mapping[str, Any], at: Mapping[int, int]) -> Iterator[float]:
    for key in _invalid_keys(found):
        op = (key.get("counterexample") or {}).get("op")
        if isinstance(op, Mapping):
            index = op.get("completed") if op.get("completed") is not None else op.get("index")
            if index in at:
                yield at[index] / 1e9


def _elle_times(found: Mapping[str, Any], at: Mapping[int, int]) -> Iterator[float]:
    for cases in (found.get("anomalies") or {}).values():
        for case in cases:
            refs = case.get("cycle") or case.get("txns") or []
            if case.get("txn") is not None:
                refs = [*refs, case["txn"]]
            times = [at[r["index"]] for r in refs
                     if isinstance(r, Mapping) and r.get("index") in at]
            if times:
                yield max(times) / 1e9


def range_elements(text: str) -> set[Any]:
    """The elements of set-full's ``ranges_text`` (``"0-4, 7"``)."""
    out: set[Any] = set()
    for part in (p.strip() for p in text.split(",")):
        low, dash, high = part.partition("-")
        if dash and low.isdigit() and high.isdigit():
            out.update(range(int(low), int(high) + 1))
        elif part.isdigit():
            out.add(int(part))
        elif part:
            out.add(part)
    return out


def _first_miss(elements: set[Any], history: Sequence[Op]) -> float | None:
    """Seconds to the completion of the first read that missed one of ``elements`` after
    it was known (its add acknowledged, or a read showed it, before the read began)."""
    known: dict[Any, int] = {}
    reads = []
    for pair in History(history).pairs():
        done = pair.completion
        if done is None or done.type != OK:
            continue
        if pair.invoke.f == "add" and pair.invoke.value in elements:
            known[pair.invoke.value] = min(known.get(pair.invoke.value, done.index), done.index)
        elif pair.invoke.f == "read":
            held = set(done.value or ())
            reads.append((pair.invoke.index, done, held))
            for e in elements & held:
                known[e] = min(known.get(e, done.index), done.index)
    for began, done, held in sorted(reads, key=lambda r: r[1].index):
        if any(known.get(e, began) < began for e in elements - held):
            return done.time / 1e9
    return None


def _set_times(found: Mapping[str, Any], history: Sequence[Op]) -> Iterator[float]:
    classes = _set_classes(found)
    missed = set().union(*(range_elements((found.get("elements") or {}).get(c, ""))
                           for c in classes if c in ("stale", "lost")))
    if missed:
        first = _first_miss(missed, history)
        if first is not None:
            yield first
    examples = found.get("examples") or {}
    for cls in classes:
        if cls in ("unexpected", "duplicated"):
            for example in examples.get(cls, ()):
                read = example.get("first_seen") or example.get("read")
                if isinstance(read, Mapping) and read.get("completed_s") is not None:
                    yield float(read["completed_s"])


def _member_times(found: Mapping[str, Any]) -> Iterator[float]:
    reads = [m.get("read_s") for m in (found.get("members") or {}).values()
             if isinstance(m, Mapping) and m.get("read_s") is not None]
    if reads:
        yield float(max(reads))


def first_anomaly_s(results: Mapping[str, Any], history: Sequence[Op]) -> float | None:
    """Seconds from the test's start to the first anomalous op the results report (see
    the module doc: the earliest reported, an upper bound); None when there is none."""
    at = _times(history)
    found_times: list[float] = []
    for found in checker_results(results):
        kind = found.get("kind")
        if kind == "linearizable":
            found_times.extend(_linearizable_times(found, at))
        elif kind == "elle":
            found_times.extend(_elle_times(found, at))
        elif kind == "set":
            found_times.extend(_set_times(found, history))
        elif kind == "member-state":
            found_times.extend(_member_times(found))
        elif isinstance(found.get("first_s"), Mapping):
            found_times.extend(float(t) for t in found["first_s"].values() if t is not None)
    return min(found_times, default=None)


__all__ = ["MEMBER_DISAGREEMENT", "NOT_LINEARIZABLE", "anomaly_kinds", "checker_results",
           "first_anomaly_s", "range_elements"]
