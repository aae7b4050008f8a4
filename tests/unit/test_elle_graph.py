"""The Elle checker's dependency graph: edges with relation bits and their why, process
edges, and real-time edges, whose transitive reduction must keep the whole real-time order."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from faultline.checkers.elle.graph import (
    PROCESS, REALTIME, RW, WR, WW, DepGraph, explained_rel, process_edges, realtime_edges,
    rel_names,
)
from faultline.checkers.elle.txn import Txn


def txn(i, process=0, type="ok", invoke=None, complete=None):
    index = complete if complete is not None else invoke if invoke is not None else i
    return Txn(i, index, invoke, complete, process, type, ())


def test_edges_or_their_relations_and_keep_the_first_why():
    g = DepGraph(3)
    g.add(0, 1, WW, {"key": "x", "value": 1})
    g.add(0, 1, WW, {"key": "x", "value": 2})
    g.add(0, 1, RW)
    g.add(2, 2, WW)  # a transaction never depends on itself
    assert g.rels(0, 1) == WW | RW
    assert g.why(0, 1, WW) == {"key": "x", "value": 1}
    assert g.why(0, 1, RW) is None and g.why(0, 1, WR) is None
    assert g.rels(2, 2) == 0 and g.rels(1, 0) == 0
    assert dict(g.edges(0)) == {1: WW | RW}
    assert g.edge_count == 1


def test_a_step_is_explained_by_its_first_relation():
    assert explained_rel(WR | RW | REALTIME) == WR
    assert explained_rel(RW | REALTIME) == RW
    assert explained_rel(PROCESS | REALTIME) == PROCESS
    assert rel_names(WW | REALTIME) == ["ww", "realtime"]


def test_process_edges_chain_each_process_skipping_failures():
    txns = [txn(0, "a"), txn(1, "b"), txn(2, "a", "fail"), txn(3, "a"), txn(4, "a", "info"),
            txn(5, "b", "info")]
    g = DepGraph(len(txns))
    assert process_edges(txns, g) == 3
    assert g.rels(0, 3) == PROCESS and g.rels(3, 4) == PROCESS and g.rels(1, 5) == PROCESS
    assert g.rels(0, 2) == 0 and g.rels(2, 3) == 0
    assert g.why(0, 3, PROCESS) == {"process": "a"}


def test_realtime_edges_link_the_frontier_only():
    # a  b      c          (a and b overlap; c after both; d after c)
    # [0-2]
    #   [1---4]
    #           [5-6]  [7-8]
    txns = [txn(0, 0, invoke=0, complete=2), txn(1, 1, invoke=1, complete=4),
            txn(2, 0, invoke=5, complete=6), txn(3, 1, invoke=7, complete=8)]
    g = DepGraph(4)
    realtime_edges(txns, g)
    assert {(a, b) for a in range(4) for b, _ in g.edges(a)} == {(0, 2), (1, 2), (2, 3)}
    assert g.why(2, 3, REALTIME) == {"completed": 6, "invoked": 7}


@st.composite
def histories(draw):
    """Transactions with random intervals over one timeline; some info (no completion),
    some failed, some completions without invocation."""
    n = draw(st.integers(0, 9))
    points = draw(st.permutations(list(range(2 * n))))
    spans = []
    for i in range(n):
        a, b = sorted(points[2 * i: 2 * i + 2])
        kind = draw(st.sampled_from(["ok", "ok", "ok", "info", "fail", "bare"]))
        spans.append((b if kind != "info" else a, a, b, kind))
    spans.sort()
    txns = []
    for i, (_, a, b, kind) in enumerate(spans):
        if kind == "bare":
            txns.append(txn(i, i, "ok", None, b))
        elif kind == "info":
            txns.append(txn(i, i, "info", a, None))
        else:
            txns.append(txn(i, i, kind, a, b))
    return txns


def closure(g: DepGraph, rel: int) -> set[tuple[int, int]]:
    reach = set()
    for s in range(len(g)):
        todo, seen = [s], set()
        while todo:
            for b, bits in g.edges(todo.pop()):
                if bits & rel and b not in seen:
                    seen.add(b)
                    todo.append(b)
        reach |= {(s, b) for b in seen}
    return reach


@settings(max_examples=300, deadline=None)
@given(histories())
def test_realtime_reduction_keeps_exactly_the_real_time_order(txns):
    g = DepGraph(len(txns))
    realtime_edges(txns, g)
    expected = {(a.id, b.id) for a in txns for b in txns
                if a.type == "ok" and a.complete_index is not None and b.type != "fail"
                and b.invoke_index is not None and a.complete_index < b.invoke_index}
    assert closure(g, REALTIME) == expected
    # Reduced: no edge is implied by a path through another transaction.
    for a in range(len(txns)):
        for b, _ in g.edges(a):
            assert not any((a, c) in expected and (c, b) in expected for c in range(len(txns)))
