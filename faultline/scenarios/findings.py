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
  read that missed (stale, lost) or showed (unexpected, duplicated) the element;
- ``member-state`` (on its own or in a result's ``members``): ``member-disagreement``, at
  the completion of the last member read compared;
- any other kind: its ``anomaly_types`` when it lists them, else the kind's name (unless
  only its ``members`` made it invalid).

Only results that are invalid count. Results keep a few examples per kind (Elle 8 per
type, set-full a few per class, linearizability one counterexample per key it checked),
so :func:`first_anomaly_s` is the earliest among the reported ones: an upper bound on
the time of the first anomalous op of the run, and exact when every anomaly is reported.
"""

from __future__ import annotations

from typing import Any, Iterator, Mapping, Sequence

from faultline.core.op import Op

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


def _set_times(found: Mapping[str, Any]) -> Iterator[float]:
    examples = found.get("examples") or {}
    for cls in _set_classes(found):
        for example in examples.get(cls, ()):
            read = example.get("last_missed") or example.get("first_seen") or example.get("read")
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
            found_times.extend(_set_times(found))
        elif kind == "member-state":
            found_times.extend(_member_times(found))
    return min(found_times, default=None)


__all__ = ["MEMBER_DISAGREEMENT", "NOT_LINEARIZABLE", "anomaly_kinds", "checker_results",
           "first_anomaly_s"]
