"""The dependency graph of an Elle-style check: transactions (dense ids 0..n-1) joined by
edges that carry a set of relations as bit flags, and the process and real-time edges.

An edge ``a -> b`` says ``a`` must precede ``b``: ``WW`` (b overwrote a's write), ``WR``
(b read a's write), ``RW`` (a read a state b overwrote), ``PROCESS`` (the same process ran
a, then b), ``REALTIME`` (a completed before b was invoked). One pair may hold several
relations; a cycle step is *explained* by the first of them in the graph's explanation
order, as Elle's combined explainer asks its explainers in turn: by default ww, wr, rw,
process, real time (Elle's list-append); rw-register's is wr, ww, rw, ... .

Self-edges are dropped: a transaction never depends on itself in this graph (what it does
to itself is the non-cycle anomalies' business, e.g. future reads).
"""

from __future__ import annotations

from typing import Any, Iterator, Mapping, Sequence

__all__ = ["DEFAULT_EXPLAIN_ORDER", "PROCESS", "REALTIME", "REL_NAMES", "RW", "WR", "WW",
           "DepGraph", "explained_rel", "process_edges", "realtime_edges", "rel_names"]

WW = 1
WR = 2
RW = 4
PROCESS = 8
REALTIME = 16

REL_NAMES = {WW: "ww", WR: "wr", RW: "rw", PROCESS: "process", REALTIME: "realtime"}
DEFAULT_EXPLAIN_ORDER = (WW, WR, RW, PROCESS, REALTIME)


def explained_rel(rels: int, order: tuple[int, ...] = DEFAULT_EXPLAIN_ORDER) -> int:
    """The one relation a step over an edge holding ``rels`` is explained by: the first of
    ``order`` it holds (0 for no relation)."""
    for rel in order:
        if rels & rel:
            return rel
    return 0


def rel_names(rels: int) -> list[str]:
    """The names of the relations in ``rels``, in explanation order."""
    return [name for bit, name in REL_NAMES.items() if rels & bit]


class DepGraph:
    """A directed graph over the transaction ids ``0..n-1``.

    ``add(a, b, rel, why)`` ors ``rel`` into the edge ``a -> b``; ``why`` (a small JSON-able
    mapping, e.g. ``{"key": k, "value": v}``) is kept for the first ``(a, b, rel)`` that gives
    one. Process and real-time edges keep no mapping: :meth:`why` derives theirs from the
    transactions the edge builders saw. Adjacency is one dict per node (successor -> bits).
    ``explain_order`` (a permutation of the five relations) says which relation explains a
    step over an edge holding several.
    """

    __slots__ = ("_n", "_out", "_why", "_txns", "explain_order", "explained")

    def __init__(self, n: int, explain_order: tuple[int, ...] = DEFAULT_EXPLAIN_ORDER):
        if n < 0:
            raise ValueError(f"a graph needs n >= 0 nodes, got {n}")
        if sorted(explain_order) != sorted(DEFAULT_EXPLAIN_ORDER):
            raise ValueError(f"explain_order must order all five relations, got {explain_order}")
        self.explain_order = tuple(explain_order)
        #: explained[bits]: the relation explaining a step over an edge holding ``bits``.
        self.explained = [explained_rel(bits, self.explain_order) for bits in range(32)]
        self._n = n
        self._out: list[dict[int, int]] = [{} for _ in range(n)]
        # Keyed by one int per (a, b, rel), not a tuple: half the memory per edge.
        self._why: dict[int, Mapping[str, Any]] = {}
        self._txns: Sequence[Any] | None = None

    def __len__(self) -> int:
        return self._n

    @property
    def edge_count(self) -> int:
        """Distinct ordered pairs joined by at least one relation."""
        return sum(map(len, self._out))

    def add(self, a: int, b: int, rel: int, why: Mapping[str, Any] | None = None) -> None:
        if a != b:
            out = self._out[a]
            out[b] = out.get(b, 0) | rel
            if why is not None:
                self._why.setdefault((a * self._n + b) << 5 | rel, why)

    def edges(self, a: int) -> Iterator[tuple[int, int]]:
        """``(b, rels)`` for each edge out of ``a``."""
        return iter(self._out[a].items())

    def successors(self, a: int) -> Mapping[int, int]:
        """The out-edges of ``a`` as a read-only view: successor -> relation bits."""
        return self._out[a]

    def rels(self, a: int, b: int) -> int:
        """The relation bits of ``a -> b`` (0 when there is no edge)."""
        return self._out[a].get(b, 0)

    def why(self, a: int, b: int, rel: int) -> Mapping[str, Any] | None:
        """Why ``a -> b`` holds ``rel``: the mapping given to :meth:`add`, or for process and
        real-time edges ``{"process": p}`` / ``{"completed": i, "invoked": j}`` (history
        indices); None when the edge lacks ``rel`` or nobody said why."""
        if not self._out[a].get(b, 0) & rel:
            return None
        found = self._why.get((a * self._n + b) << 5 | rel)
        if found is not None or self._txns is None:
            return found
        ta, tb = self._txns[a], self._txns[b]
        if rel == PROCESS:
            return {"process": ta.process}
        if rel == REALTIME:
            return {"completed": ta.complete_index, "invoked": tb.invoke_index}
        return None

    def adjacency(self) -> list[dict[int, int]]:
        """The out-edge dicts themselves, indexed by node, for searches (do not mutate)."""
        return self._out


def _check_ids(txns: Sequence[Any], graph: DepGraph) -> None:
    if len(txns) != len(graph):
        raise ValueError(f"{len(txns)} transactions for a graph of {len(graph)} nodes")
    for i, t in enumerate(txns):
        if t.id != i:
            raise ValueError(f"transaction ids must be dense and in order: position {i} "
                             f"holds id {t.id}")


def process_edges(txns: Sequence[Any], graph: DepGraph) -> int:
    """Adds ``PROCESS`` edges from each ok transaction to the next transaction of the same
    process that did not fail (a process runs one transaction at a time; a failed one did
    nothing). Returns the number of edges added."""
    _check_ids(txns, graph)
    graph._txns = txns
    last: dict[Any, int] = {}
    added = 0
    # Ids follow completion order, and a process' transactions do not overlap, so id order
    # is each process' own order.
    for t in txns:
        if t.type == "fail":
            continue
        prev = last.get(t.process)
        if prev is not None and txns[prev].type == "ok":
            graph.add(prev, t.id, PROCESS)
            added += 1
        last[t.process] = t.id
    return added


def realtime_edges(txns: Sequence[Any], graph: DepGraph) -> int:
    """Adds ``REALTIME`` edges ``a -> b`` for ok ``a`` completed before ``b`` was invoked, as
    the transitive reduction Elle computes (its ``realtime-graph``): the closure over ok
    transactions is the whole real-time order, but each invocation is linked only from the
    frontier of completions no later completion has superseded, so the edge count grows with
    transactions times concurrency, not with its square. Transactions without a completion
    (info) precede nothing; failed ones are no targets (they did nothing). Returns the
    number of edges added."""
    _check_ids(txns, graph)
    graph._txns = txns
    events: list[tuple[int, int]] = []  # (history index, id); invocations as ~id
    for t in txns:
        if t.invoke_index is not None and t.type != "fail":
            events.append((t.invoke_index, ~t.id))
        if t.type == "ok" and t.complete_index is not None:
            events.append((t.complete_index, t.id))
    events.sort()
    frontier: set[int] = set()
    linked_from: dict[int, tuple[int, ...]] = {}
    out = graph._out
    added = 0
    for _, e in events:
        if e < 0:
            b = ~e
            preds = tuple(frontier)
            for a in preds:
                row = out[a]
                row[b] = row.get(b, 0) | REALTIME
            added += len(preds)
            if preds:
                linked_from[b] = preds
        else:
            preds = linked_from.pop(e, None)
            if preds:
                frontier.difference_update(preds)
            frontier.add(e)
    return added
