"""rw-register histories (``[w k v]`` / ``[r k v]``, values unique per key): version orders
from what can be inferred, the ww/wr/rw dependencies they imply, and the anomalies found
without cycles.

A register read shows one value, so the version order is partial (Elle's
``elle.rw_register``). Every transaction's *external* read of a key (its first micro-op on
that key, if a read) and *external* write (its last write of it) are what other
transactions can see. Sources of version order, added in this order, each one dropped
(and reported as *cyclic-versions*) if it makes some key's version graph cyclic:

- initial state: the empty register (None) comes before every value written or read;
- ``transaction_order`` (a map from completion history index to commit position, given by
  the database): versions of a key follow the order of the transactions that wrote them;
- ``wfr_keys`` (writes follow reads): a transaction's external read of a key precedes its
  external write of it;
- ``sequential_keys``: each key is sequentially consistent, so process order orders the
  versions each process saw;
- ``linearizable_keys``: each key is linearizable, so real-time order does.

From the version graphs: ``ww`` between the writers of consecutive versions, ``rw`` from
the readers of a version to the writers of the next; ``wr`` needs no order (the one writer
of the value read). Only ok transactions take part (Elle indexes oks only).
Non-cycle anomalies: *internal*, *G1a*, *G1b*, *lost-update*, and ours, *garbage-read*:
a read of a value no transaction wrote where the inferred version order puts another
value before it, so it cannot be the initial state. (Elle reads any unwritten value as an
initial state and says nothing; its own test of such a read carries a TODO saying it
should be invalid. Its tests also read unwritten values as initial states, so one that
follows nothing is taken for one.)
"""

from __future__ import annotations

from typing import Any, Callable, Iterable, Mapping, Sequence

from faultline.checkers.elle.graph import RW, WR, WW
from faultline.checkers.elle.internal import register_internal
from faultline.checkers.elle.txn import Txn
from faultline.checkers.elle.writes import aborted_reads, intermediate_reads, lost_updates
from faultline.core.errors import BadInputError
from faultline.core.op import FAIL, OK

__all__ = ["analyze", "external_reads", "external_writes"]

Successors = Callable[[int], Iterable[int]]
VersionGraphs = dict[Any, dict[Any, set]]


def external_reads(t: Txn) -> dict[Any, Any]:
    """Key -> value of each read that is the transaction's first micro-op on that key."""
    out: dict[Any, Any] = {}
    touched: set = set()
    for f, k, v in t.mops:
        if k not in touched:
            touched.add(k)
            if f == "r":
                out[k] = v
    return out


def external_writes(t: Txn) -> dict[Any, Any]:
    """Key -> the last value the transaction wrote to it."""
    return {k: v for f, k, v in t.mops if f == "w"}


def analyze(txns: Sequence[Txn], graph: Any, *, wfr_keys: bool = False,
            transaction_order: Mapping[int, float] | None = None,
            process_successors: Successors | None = None,
            realtime_successors: Successors | None = None,
            strongly_connected: Callable[[Sequence[Iterable[int]]], list[list[int]]]
            ) -> dict[str, list[dict]]:
    """Adds the ww, wr and rw edges of ``txns`` to ``graph`` and returns the non-cycle
    anomalies by type.

    ``process_successors`` / ``realtime_successors`` (sequential / linearizable keys)
    give, for an ok transaction's id, the transactions right after it in process order
    (ok ones) or real time (a transitive reduction); None leaves that source out.
    ``strongly_connected`` gives the components of more than one node of a graph over
    nodes ``0..n-1`` (successor lists), for the cycles of version graphs. Raises
    :class:`BadInputError` when two transactions write a value to a key that is read.
    """
    reads = [external_reads(t) if t.type == OK else {} for t in txns]
    writes = [external_writes(t) if t.type != FAIL else {} for t in txns]
    written = _written_values(txns)
    anomalies: dict[str, list[dict]] = {}
    _put(anomalies, "internal", register_internal(txns))
    _put(anomalies, "G1a", aborted_reads(txns, "w", lambda v: (v,)))
    _put(anomalies, "G1b", intermediate_reads(txns, "w", lambda v: (v,)))
    _put(anomalies, "lost-update", lost_updates(txns, "w"))

    sources: list[tuple[str, Callable[[], VersionGraphs]]] = [
        ("initial-state", lambda: _initial_state(txns, reads, writes))]
    if transaction_order:
        sources.append(("transaction-order",
                        lambda: _by_transaction_order(txns, writes, transaction_order)))
    if wfr_keys:
        sources.append(("wfr-keys", lambda: _writes_follow_reads(txns, reads, writes)))
    if process_successors is not None:
        sources.append(("sequential-keys",
                        lambda: _by_order(txns, reads, writes, process_successors)))
    if realtime_successors is not None:
        sources.append(("linearizable-keys",
                        lambda: _by_order(txns, reads, writes, realtime_successors)))
    versions, cyclic = _combine(sources, strongly_connected)
    _put(anomalies, "cyclic-versions", cyclic)
    _put(anomalies, "garbage-read", _garbage(txns, written, versions))
    _add_edges(txns, reads, writes, versions, graph)
    return anomalies


def _put(anomalies: dict[str, list[dict]], kind: str, cases: list[dict]) -> None:
    if cases:
        anomalies[kind] = cases


def _written_values(txns: Sequence[Txn]) -> dict[Any, dict[Any, int]]:
    """key -> value -> the transaction that wrote it (any outcome). Refuses a list or map
    value (a register holds one value; a list-append read in a register history), and a value two
    transactions wrote once some transaction reads it: which one it saw is then unknown
    (Elle throws there too; an unread repeat does not matter)."""
    writer: dict[Any, dict[Any, int]] = {}
    repeated: dict[tuple[Any, Any], tuple[int, int]] = {}
    for t in txns:
        for f, k, v in t.mops:
            if isinstance(v, (list, dict)):
                raise BadInputError(f"history index {t.index}: an rw-register micro-op holds "
                                    f"one value, got [{f} {k!r} {v!r}]")
            if f == "w":
                other = writer.setdefault(k, {}).setdefault(v, t.id)
                if other != t.id:
                    repeated.setdefault((k, v), (other, t.id))
    if repeated:
        for t in txns:
            for f, k, v in t.mops:
                if f == "r" and (k, v) in repeated:
                    a, b = repeated[(k, v)]
                    raise BadInputError(
                        f"value {v!r} written to key {k!r} by two transactions (history "
                        f"indices {txns[a].index} and {txns[b].index}) and read at history "
                        f"index {t.index}: rw-register needs values unique per key")
    return writer


def _garbage(txns: Sequence[Txn], written: dict[Any, dict[Any, int]],
             versions: VersionGraphs) -> list[dict]:
    """Reads of a value no transaction wrote that cannot be the initial state: the
    inferred version order puts another value before it. (Elle's tests read unwritten
    values as the initial state, so one that follows nothing is taken for it.)"""
    follows: dict[Any, set] = {}
    for k, g in versions.items():
        after = follows.setdefault(k, set())
        for a, bs in g.items():
            if a is not None:
                after.update(bs)
    return [{"txn": t.id, "mop": [f, k, v], "elements": [v]}
            for t in txns if t.type == OK
            for f, k, v in t.mops
            if f == "r" and v is not None and v not in written.get(k, {})
            and v in follows.get(k, ())]


def _link(graphs: VersionGraphs, k: Any, a: Any, b: Any) -> None:
    if a != b:
        graphs.setdefault(k, {}).setdefault(a, set()).add(b)


def _initial_state(txns, reads, writes) -> VersionGraphs:
    graphs: VersionGraphs = {}
    for t in txns:
        for source in (writes[t.id], reads[t.id]):
            for k, v in source.items():
                if v is not None:
                    _link(graphs, k, None, v)
    return graphs


def _by_transaction_order(txns, writes, order: Mapping[int, float]) -> VersionGraphs:
    by_key: dict[Any, list[tuple[float, Any]]] = {}
    for t in txns:
        position = order.get(t.index)
        if position is not None:
            for k, v in writes[t.id].items():
                by_key.setdefault(k, []).append((position, v))
    graphs: VersionGraphs = {}
    for k, versions in by_key.items():
        versions.sort(key=lambda pv: pv[0])
        for (_, a), (_, b) in zip(versions, versions[1:]):
            _link(graphs, k, a, b)
    return graphs


def _writes_follow_reads(txns, reads, writes) -> VersionGraphs:
    graphs: VersionGraphs = {}
    for t in txns:
        if t.type == OK:
            w = writes[t.id]
            for k, v in reads[t.id].items():
                if v is not None and k in w:
                    _link(graphs, k, v, w[k])
    return graphs


def _by_order(txns, reads, writes, successors: Successors) -> VersionGraphs:
    """Versions ordered by an order of transactions (Elle's
    ``transaction-graph->version-graphs``): for each ok transaction A and key k it touched,
    the transactions B that follow A with no transaction touching k between them on the
    way; A's last value of k precedes B's first.

    Searched per key backwards from each B over the order's predecessors, stopping at the
    transactions that touch k, and never before the key's first toucher (edges point
    forward in the history): the cost is the part of the history each key lives in, not
    the history times the keys."""
    touching: dict[Any, list[int]] = {}
    for t in txns:
        if t.type != FAIL:
            for k in reads[t.id].keys() | writes[t.id].keys():
                touching.setdefault(k, []).append(t.id)
    preds: list[list[int]] = [[] for _ in txns]
    for t in txns:
        if t.type == OK:
            for b in successors(t.id):
                preds[b].append(t.id)
    graphs: VersionGraphs = {}
    for k, ids in touching.items():
        toucher = set(ids)
        first = min(txns[i].index for i in ids)
        for b in ids:
            tb = txns[b]
            if tb.type == OK:
                v2 = reads[b].get(k)
                if v2 is None:
                    v2 = writes[b].get(k)
            elif k in writes[b]:  # info: only its writes are known
                v2 = writes[b][k]
            else:
                continue
            seen = {b}
            stack = [b]
            while stack:
                for a in preds[stack.pop()]:
                    if a in seen or txns[a].index < first:
                        continue
                    seen.add(a)
                    if a in toucher:
                        _link(graphs, k, writes[a].get(k, reads[a].get(k)), v2)
                    else:
                        stack.append(a)
    return graphs


def _combine(sources, strongly_connected) -> tuple[VersionGraphs, list[dict]]:
    combined: VersionGraphs = {}
    used: list[str] = []
    cyclic: list[dict] = []
    for name, build in sources:
        added = build()
        trial = {k: {a: set(bs) for a, bs in g.items()} for k, g in combined.items()}
        for k, g in added.items():
            into = trial.setdefault(k, {})
            for a, bs in g.items():
                into.setdefault(a, set()).update(bs)
        cases = [{"key": k, "scc": _sorted(scc), "sources": used + [name]}
                 for k in added for scc in _cycles(trial[k], strongly_connected)]
        if cases:
            cyclic.extend(cases)
        else:
            combined, used = trial, used + [name]
    return combined, cyclic


def _cycles(g: dict[Any, set], strongly_connected) -> list[list[Any]]:
    """The strongly connected sets of versions (more than one) of one key's graph."""
    number: dict[Any, int] = {}
    for a, bs in g.items():
        number.setdefault(a, len(number))
        for b in bs:
            number.setdefault(b, len(number))
    succ: list[list[int]] = [[] for _ in number]
    for a, bs in g.items():
        succ[number[a]] = [number[b] for b in bs]
    values = list(number)
    return [[values[i] for i in scc] for scc in strongly_connected(succ)]


def _sorted(values: list) -> list:
    try:
        return sorted(values, key=lambda v: (v is not None, v))
    except TypeError:
        return sorted(values, key=repr)


def _add_edges(txns, reads, writes, versions: VersionGraphs, graph: Any) -> None:
    add = graph.add
    read_by: dict[Any, dict[Any, list[int]]] = {}
    write_by: dict[Any, dict[Any, list[int]]] = {}
    for t in txns:
        if t.type != OK:
            continue
        for k, v in reads[t.id].items():
            read_by.setdefault(k, {}).setdefault(v, []).append(t.id)
        for k, v in writes[t.id].items():
            write_by.setdefault(k, {}).setdefault(v, []).append(t.id)
    for k, by_value in read_by.items():
        writers = write_by.get(k, {})
        for v, readers in by_value.items():
            for w in writers.get(v, ()) if v is not None else ():
                for r in readers:
                    if r != w:
                        add(w, r, WR, {"key": k, "value": v})
    for k, g in versions.items():
        writers = write_by.get(k, {})
        readers = read_by.get(k, {})
        for v1, successors in g.items():
            for v2 in successors:
                for b in writers.get(v2, ()):
                    for a in writers.get(v1, ()):
                        if a != b:
                            add(a, b, WW, {"key": k, "value": v2, "prev": v1})
                    for a in readers.get(v1, ()):
                        if a != b:
                            add(a, b, RW, {"key": k, "value": v2, "prev": v1})
