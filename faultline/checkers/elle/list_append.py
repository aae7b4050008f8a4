"""List-append histories (``[append k v]`` / ``[r k [v ...]]``): version orders from the
reads, the ww/wr/rw dependencies they imply, and the anomalies found without cycles.

Elle's inference (``elle.list_append``): values appended to a key are unique, so a read
of ``[1 2 3]`` shows the whole order of the appends it saw. All reads of a key must be
prefixes of one another (else *incompatible-order*); the longest read is the key's version
order. Between consecutive versions we know who wrote what and who read what, hence:

- ``wr``: T1 appended the last element T2 read;
- ``ww``: T1 appended the element just before T2's append;
- ``rw``: T1 read the state just before T2's append (T1 did not see it).

An append never read comes after every element ever read (it is not in the longest
read); only ok and info transactions take part in the graph (a failed one did nothing).
Non-cycle anomalies, as Elle defines them: *internal* and *future-read* (a transaction
against itself, :mod:`faultline.checkers.elle.internal`), *duplicate-elements*,
*incompatible-order*, *G1a*, *G1b*, *dirty-update*, *lost-update*, and ours,
*garbage-read*: a read of an element no transaction appended (Elle has no such check).
"""

from __future__ import annotations

from typing import Any, Iterable, Sequence

from faultline.checkers.elle.graph import RW, WR, WW
from faultline.checkers.elle.internal import list_append_internal
from faultline.checkers.elle.txn import Txn
from faultline.checkers.elle.writes import aborted_reads, intermediate_reads, lost_updates
from faultline.core.errors import BadInputError
from faultline.core.op import FAIL, INFO, OK

__all__ = ["analyze", "version_orders"]

_INIT = object()  # the state before any append


def analyze(txns: Sequence[Txn], graph: Any) -> dict[str, list[dict]]:
    """Adds the ww, wr and rw edges of ``txns`` to ``graph`` (``graph.add(a, b, rel,
    why)``) and returns the non-cycle anomalies found, by type (types with none left out).

    Raises :class:`BadInputError` when a value is appended twice to one key: the
    inference needs unique values, and a history without them cannot be checked.
    """
    writer = _writers(txns)
    anomalies: dict[str, list[dict]] = {}
    possible = [t for t in txns if t.type != FAIL]
    orders, incompatible = version_orders(possible)
    _put(anomalies, "incompatible-order", incompatible)
    _put(anomalies, "duplicate-elements", _duplicates(possible))
    _put(anomalies, "garbage-read", _garbage(possible, writer))
    _put(anomalies, "G1a", aborted_reads(txns, "append", _elements))
    _put(anomalies, "G1b", intermediate_reads(txns, "append", _last))
    _put(anomalies, "dirty-update", _dirty_updates(orders, writer, txns))
    _put(anomalies, "lost-update", lost_updates(possible, "append"))
    for kind, cases in list_append_internal(txns).items():
        _put(anomalies, kind, cases)
    _add_edges(possible, orders, writer, txns, graph)
    return anomalies


def version_orders(txns: Iterable[Txn]) -> tuple[dict[Any, list], list[dict]]:
    """Each key's version order (its longest read, duplicates dropped) and the
    *incompatible-order* cases: for a key, the first two reads, by length, of which the
    shorter is not a prefix of the longer. A read that is not a list is a
    :class:`BadInputError`."""
    reads: dict[Any, set[tuple]] = {}
    for t in txns:
        for f, k, v in t.mops:
            if f == "r" and v:
                if not isinstance(v, (list, tuple)):
                    raise BadInputError(f"history index {t.index}: a list-append read shows a "
                                        f"list, got [r {k!r} {v!r}]")
                reads.setdefault(k, set()).add(tuple(v))
    orders: dict[Any, list] = {}
    incompatible = []
    for k, values in reads.items():
        ordered = sorted(values, key=len)
        for a, b in zip(ordered, ordered[1:]):
            if b[:len(a)] != a:
                incompatible.append({"key": k, "values": [list(a), list(b)]})
                break
        orders[k] = list(dict.fromkeys(ordered[-1]))
    return orders, incompatible


def _put(anomalies: dict[str, list[dict]], kind: str, cases: list[dict]) -> None:
    if cases:
        anomalies[kind] = cases


def _elements(read: Any) -> Iterable[Any]:
    return read or ()


def _last(read: Any) -> Iterable[Any]:
    return read[-1:] if read else ()


def _writers(txns: Sequence[Txn]) -> dict[Any, dict[Any, int]]:
    """key -> appended value -> the transaction that appended it (any outcome)."""
    writer: dict[Any, dict[Any, int]] = {}
    for t in txns:
        for f, k, v in t.mops:
            if f == "append":
                by_value = writer.setdefault(k, {})
                other = by_value.setdefault(v, t.id)
                if other != t.id:
                    raise BadInputError(
                        f"value {v!r} appended to key {k!r} by two transactions (history "
                        f"indices {txns[other].index} and {t.index}): list-append needs "
                        "values unique per key")
    return writer


def _duplicates(txns: Iterable[Txn]) -> list[dict]:
    cases = []
    for t in txns:
        for f, k, v in t.mops:
            if f == "r" and v and len(set(v)) != len(v):
                counts: dict[Any, int] = {}
                for e in v:
                    counts[e] = counts.get(e, 0) + 1
                cases.append({"txn": t.id, "mop": [f, k, v],
                              "duplicates": [[e, c] for e, c in counts.items() if c > 1]})
    return cases


def _garbage(txns: Iterable[Txn], writer: dict[Any, dict[Any, int]]) -> list[dict]:
    cases = []
    for t in txns:
        for f, k, v in t.mops:
            if f == "r" and v:
                appended = writer.get(k, {})
                if appended.keys() >= set(v):
                    continue
                unknown = [e for e in v if e not in appended]
                if unknown:
                    cases.append({"txn": t.id, "mop": [f, k, v], "elements": unknown})
    return cases


def _dirty_updates(orders: dict[Any, list], writer: dict[Any, dict[Any, int]],
                   txns: Sequence[Txn]) -> list[dict]:
    """A failed transaction's append followed, in a key's version order, by an ok
    transaction's append (with only failed or info appends between): the ok transaction
    built on state that was aborted. Elle's walk, including the info cases it cannot
    decide."""
    cases = []
    for k, values in orders.items():
        by_value = writer.get(k, {})
        last_id, last_type, span = None, OK, []  # the initial state is committed
        for v in values:
            w = by_value.get(v)
            if w is None:
                continue  # garbage, reported as such
            kind = txns[w].type
            if kind == INFO:
                span.append(v)  # cannot tell; the info append may not have happened
            elif kind == OK:
                if last_type == FAIL:
                    cases.append({"key": k, "values": span + [v], "txns": [last_id, w]})
                last_id, last_type, span = w, OK, [v]
            elif last_type == FAIL:
                span.append(v)  # failed after failed: cover the whole range
            else:
                last_id, last_type, span = w, FAIL, [v]
    return cases


def _add_edges(possible: Sequence[Txn], orders: dict[Any, list],
               writer: dict[Any, dict[Any, int]], txns: Sequence[Txn], graph: Any) -> None:
    add = graph.add
    failed = [t.type == FAIL for t in txns]  # a failed writer is no one's dependency
    position = {k: {v: i for i, v in enumerate(vs)} for k, vs in orders.items()}
    # Readers of each state: key -> last element seen (or _INIT) -> reader ids. An info
    # transaction's read is unknown (nil), not a read of the initial state.
    readers: dict[Any, dict[Any, list[int]]] = {}
    for t in possible:
        info = t.type == INFO
        for f, k, v in t.mops:
            if f == "r" and not (info and v is None):
                by_state = readers.get(k)
                if by_state is None:
                    by_state = readers[k] = {}
                state = v[-1] if v else _INIT
                ids = by_state.get(state)
                if ids is None:
                    by_state[state] = [t.id]
                else:
                    ids.append(t.id)
    nobody: dict = {}
    for t in possible:
        me = t.id
        for f, k, v in t.mops:
            if f == "r":
                if v:
                    w = writer.get(k, nobody).get(v[-1])
                    if w is not None and w != me and not failed[w]:
                        add(w, me, WR, {"key": k, "value": v[-1]})
                continue
            if f != "append":
                continue
            order = orders.get(k)
            if order:
                i = position[k].get(v)
                if i is None:  # never read: after everything that was
                    prev = order[-1]
                else:
                    prev = order[i - 1] if i > 0 else _INIT
            else:
                prev = _INIT
            if prev is not _INIT:
                w = writer[k].get(prev)
                if w is not None and w != me and not failed[w]:
                    add(w, me, WW, {"key": k, "value": v, "prev": prev})
            seen = readers.get(k, nobody).get(prev)
            if seen:
                why = {"key": k, "value": v, "prev": None if prev is _INIT else prev}
                for r in seen:
                    if r != me:
                        add(r, me, RW, why)
