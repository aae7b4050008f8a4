"""Anomalies of writes that both workloads find the same way (Elle's ``elle.txn`` helpers):
aborted reads (G1a), intermediate reads (G1b) and lost updates.

``write_kind`` is the micro-op that writes: ``"append"`` for list-append, ``"w"`` for
rw-register; ``shown(read)`` lists the written values a read shows that matter to the
anomaly. Records name transactions by id; the
driver turns them into words (:mod:`faultline.checkers.elle.explain`).
"""

from __future__ import annotations

from typing import Any, Callable, Iterable, Sequence

from faultline.checkers.elle.txn import Txn
from faultline.core.op import FAIL, OK

__all__ = ["aborted_reads", "intermediate_reads", "lost_updates", "read_key"]


def read_key(value: Any) -> Any:
    """A read's value as a dict key: lists become tuples, and an empty list is ``None``
    (a read of nothing, however the client spelled it)."""
    if isinstance(value, list):
        return tuple(value) if value else None
    return value


def aborted_reads(txns: Sequence[Txn], write_kind: str,
                  shown: Callable[[Any], Iterable[Any]]) -> list[dict]:
    """G1a: an ok transaction read a value that a failed transaction wrote.

    ``shown(read)`` lists the written values a read shows (every element of a list-append
    read, the value of a register read)."""
    failed: dict[Any, dict[Any, int]] = {}
    for t in txns:
        if t.type == FAIL:
            for f, k, v in t.mops:
                if f == write_kind:
                    failed.setdefault(k, {})[v] = t.id
    return _reads_of(txns, failed, shown)


def intermediate_reads(txns: Sequence[Txn], write_kind: str,
                       shown: Callable[[Any], Iterable[Any]]) -> list[dict]:
    """G1b: an ok transaction read a state another transaction wrote but then overwrote
    within itself (not its final write of that key). ``shown(read)``: the value that
    made the state read (a list-append read's last element, a register read's value). A
    transaction reading its own intermediate state is internal, not G1b."""
    intermediate: dict[Any, dict[Any, int]] = {}
    for t in txns:
        final: dict[Any, Any] = {}
        for f, k, v in t.mops:
            if f == write_kind:
                if k in final:
                    intermediate.setdefault(k, {})[final[k]] = t.id
                final[k] = v
    return _reads_of(txns, intermediate, shown)


def _reads_of(txns: Sequence[Txn], writers: dict[Any, dict[Any, int]],
              shown: Callable[[Any], Iterable[Any]]) -> list[dict]:
    """Each read of an ok transaction that shows a value of ``writers`` (key -> value ->
    the transaction that wrote it), by another transaction."""
    cases: list[dict] = []
    if not writers:
        return cases
    for t in txns:
        if t.type != OK:
            continue
        for f, k, v in t.mops:
            by_value = writers.get(k) if f == "r" and v is not None else None
            if not by_value:
                continue
            values = shown(v)
            if by_value.keys().isdisjoint(values):
                continue
            for e in values:
                writer = by_value.get(e)
                if writer is not None and writer != t.id:
                    cases.append({"txn": t.id, "mop": [f, k, v], "writer": writer,
                                  "element": e})
    return cases


def lost_updates(txns: Sequence[Txn], write_kind: str) -> list[dict]:
    """Lost update: two or more ok transactions read the same state of a key and then
    both wrote that key. Whatever the version order, one of the writes was made without
    seeing the other (Elle's definition; it needs no version order at all)."""
    groups: dict[tuple[Any, Any], list[int]] = {}
    for t in txns:
        if t.type != OK:
            continue
        reads: dict[Any, Any] = {}
        written: set = set()
        for f, k, v in t.mops:
            if f == "r":
                if k not in reads:
                    reads[k] = read_key(v)
            elif f == write_kind and k in reads and k not in written:
                written.add(k)
                groups.setdefault((k, reads[k]), []).append(t.id)
    return [{"key": k, "value": list(v) if isinstance(v, tuple) else v, "txns": ids}
            for (k, v), ids in groups.items() if len(ids) > 1]
