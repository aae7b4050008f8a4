"""Cycle search: each anomaly type found and named on hand-made graphs, none where the cycle
lacks what the type needs, agreement with brute-force enumeration of simple cycles on random
graphs, and unknown (never absent) when the deadline runs out."""

from __future__ import annotations

import time

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from faultline.checkers.elle.consistency import CYCLE_TYPES, implied_anomalies
from faultline.checkers.elle import cycles
from faultline.checkers.elle.cycles import (
    classify, find_anomalies, strongly_connected_components,
)
from faultline.checkers.elle.graph import PROCESS, REALTIME, RW, WR, WW, DepGraph
from faultline.checkers.elle.walks import (
    Automaton, Zone, closed_walk, is_cycle_of, simple_pieces, simple_search,
)

RT = REALTIME


def graph(edges, n=None):
    n = n if n is not None else 1 + max(max(a, b) for a, b, _ in edges)
    g = DepGraph(n)
    for a, b, rel in edges:
        g.add(a, b, rel, {"key": "x", "value": a})
    return g


def found_types(edges, wanted=None):
    g = graph(edges)
    found, unknown = find_anomalies(g, [None] * len(g), wanted)
    assert not unknown
    return found


@pytest.mark.parametrize("name, edges", [
    ("G0", [(0, 1, WW), (1, 2, WW), (2, 0, WW)]),
    ("G1c", [(0, 1, WW), (1, 0, WR)]),
    ("G-single-item", [(0, 1, RW), (1, 2, WW), (2, 0, WR)]),
    ("G-nonadjacent-item", [(0, 1, RW), (1, 2, WW), (2, 3, RW), (3, 0, WR)]),
    ("G2-item", [(0, 1, RW), (1, 2, RW), (2, 0, WR)]),
    ("G0-process", [(0, 1, WW), (1, 0, PROCESS)]),
    ("G1c-process", [(0, 1, WR), (1, 0, PROCESS)]),
    ("G-single-item-process", [(0, 1, RW), (1, 0, PROCESS)]),
    ("G-nonadjacent-item-process", [(0, 1, RW), (1, 2, PROCESS), (2, 3, RW), (3, 0, WW)]),
    ("G2-item-process", [(0, 1, RW), (1, 2, RW), (2, 0, PROCESS)]),
    ("G0-realtime", [(0, 1, WW), (1, 0, RT)]),
    ("G1c-realtime", [(0, 1, WR), (1, 2, WW), (2, 0, RT)]),
    ("G-single-item-realtime", [(0, 1, RW), (1, 0, RT)]),
    ("G-nonadjacent-item-realtime", [(0, 1, RW), (1, 2, RT), (2, 3, RW), (3, 0, RT)]),
    ("G2-item-realtime", [(0, 1, RW), (1, 2, RW), (2, 0, RT)]),
])
def test_each_type_is_found_and_named(name, edges):
    found = found_types(edges)
    assert list(found) == [name]
    (cycle,) = found[name]
    assert classify([{"ww": WW, "wr": WR, "rw": RW, "process": PROCESS,
                      "realtime": RT}[rel] for _, rel, _ in cycle]) == name
    # Each step names its relation and says why; the cycle closes.
    g = graph(edges)
    for (a, rel, why), (b, _, _) in zip(cycle, cycle[1:] + cycle[:1]):
        assert g.rels(a, b) & {"ww": WW, "wr": WR, "rw": RW, "process": PROCESS,
                               "realtime": RT}[rel]
        assert why is not None


@pytest.mark.parametrize("edges, wanted", [
    # G1c needs a wr: an all-ww cycle is G0, so a search for G1c alone finds nothing.
    ([(0, 1, WW), (1, 0, WW)], {"G1c"}),
    # Exactly one rw for G-single: two adjacent rw are G2-item, not G-single.
    ([(0, 1, RW), (1, 0, RW)], {"G-single-item", "G-nonadjacent-item"}),
    # Non-adjacent rw: adjacent ones are not G-nonadjacent.
    ([(0, 1, RW), (1, 2, RW), (2, 0, WW)], {"G-nonadjacent-item"}),
    # A realtime variant needs a realtime step; a process step does not do.
    ([(0, 1, RW), (1, 0, PROCESS)], {"G-single-item-realtime", "G2-item-realtime"}),
    # The cycle is there only through a real-time step, which the base type may not take.
    ([(0, 1, RW), (1, 2, WW), (2, 0, RT)], {"G-single-item", "G2-item", "G0", "G1c"}),
    # A step over ww|rt is explained by ww: no real-time step in this cycle.
    ([(0, 1, WW | RT), (1, 0, WR)], {"G1c-realtime", "G0-realtime"}),
    # Real time alone is acyclic; no cycle at all.
    ([(0, 1, RT), (1, 2, RT), (0, 2, RW)], None),
])
def test_no_type_without_the_edges_it_needs(edges, wanted):
    assert found_types(edges, wanted) == {}


def test_a_component_reports_the_worst_type_not_what_it_implies():
    # One rw from 0 to 1 and a wr back: G-single-item. The real-time edge also makes a
    # G-single-item-realtime cycle, implied, so not reported separately.
    found = found_types([(0, 1, RW), (1, 0, WR), (1, 2, WR), (2, 1, RW | RT), (2, 0, RT)])
    assert set(found) == {"G-single-item"}
    # In two separate components each reports its own.
    found = found_types([(0, 1, WW), (1, 0, WW), (2, 3, RW), (3, 2, RT)])
    assert set(found) == {"G0", "G-single-item-realtime"}


def test_a_walk_that_is_no_simple_cycle_does_not_count():
    # 1 -rw-> 2 and back over two ww hops through 3 would be non-adjacent rw only as a
    # walk through 1 twice; the only cycles are G2-item (0 rw 1 rw 0) and G0 (1 2 1).
    found = found_types([(0, 1, RW), (1, 0, RW), (1, 2, WW), (2, 1, WW)])
    assert set(found) == {"G0", "G2-item"}


def all_simple_cycles(g: DepGraph) -> list[list[int]]:
    """Every simple cycle, as explained relations, each once (smallest node first)."""
    out = []
    n = len(g)
    for s in range(n):
        stack = [(s, [s], [])]
        while stack:
            v, path, rels = stack.pop()
            for w, bits in g.edges(v):
                r = bits & -bits
                if w == s:
                    out.append(rels + [r])
                elif w > s and w not in path:
                    stack.append((w, path + [w], rels + [r]))
    return out


def oracle(g: DepGraph, wanted) -> set[str]:
    """Elle's search with unlimited time: per component, types in order, each skipped when
    one found there implies it."""
    found = set()
    for comp in strongly_connected_components(g.adjacency()):
        inside = set(comp)
        sub = DepGraph(len(g))
        for a in comp:
            for b, bits in g.edges(a):
                if b in inside:
                    sub.add(a, b, bits)
        present = {classify(c) for c in all_simple_cycles(sub)}
        implied: set[str] = set()
        for t in CYCLE_TYPES:
            if t in wanted and t not in implied and t in present:
                found.add(t)
                implied |= implied_anomalies([t])
    return found


def rel_choices(variant: int) -> list[int]:
    # A graph has real-time or process edges, not both (the checker adds one kind: the two
    # orders agree, so a cycle of process and real-time steps alone cannot happen).
    return [WW, WR, RW] + ([WW | variant, WR | variant, RW | variant, variant] if variant else [])


@st.composite
def random_graphs(draw):
    variant = draw(st.sampled_from([0, RT, PROCESS]))
    n = draw(st.integers(2, 7))
    edges = draw(st.lists(st.tuples(st.integers(0, n - 1), st.integers(0, n - 1),
                                    st.sampled_from(rel_choices(variant))), max_size=3 * n))
    return [(a, b, r) for a, b, r in edges if a != b]


@settings(max_examples=400, deadline=None)
@given(random_graphs(), st.sampled_from([None, "base"]))
def test_agrees_with_brute_force_on_random_graphs(edges, only_base):
    g = graph(edges, n=8)
    wanted = None if only_base is None else {
        t for t in CYCLE_TYPES if not t.endswith(("-process", "-realtime"))}
    found, unknown = find_anomalies(g, [None] * 8, wanted)
    assert not unknown
    assert set(found) == oracle(g, set(CYCLE_TYPES) if wanted is None else wanted)
    for cycles in found.values():
        for cycle in cycles:
            nodes = [a for a, _, _ in cycle]
            assert len(set(nodes)) == len(nodes)


def big_cycle_graph(n: int) -> DepGraph:
    # A ring of ww edges with rw chords: one big component.
    g = DepGraph(n)
    for i in range(n):
        g.add(i, (i + 1) % n, WW)
        g.add(i, (i + 7) % n, RW)
    return g


def test_past_the_deadline_every_wanted_type_not_found_is_unknown():
    g = big_cycle_graph(3000)
    found, unknown = find_anomalies(g, [None] * 3000, None, deadline=time.monotonic() - 1)
    assert found == {}
    assert unknown == set(CYCLE_TYPES)
    stats: dict = {}
    found, unknown = find_anomalies(g, [None] * 3000, None, deadline=time.monotonic() + 60,
                                    stats=stats)
    # The ww ring itself, and an rw chord closed by the ww path the long way round.
    assert {name: [len(c) for c in cycles] for name, cycles in found.items()} == {
        "G0": [3000], "G-single-item": [2994]}
    assert not unknown
    assert stats["sccs"] == 1 and stats["largest_scc"] == 3000


def test_components_of_a_long_chain_need_no_recursion():
    n = 200_000
    succ = [[i + 1] for i in range(n - 1)] + [[0]]
    (comp,) = strongly_connected_components(succ)
    assert len(comp) == n
    assert strongly_connected_components([[1], [2], []]) == []


def test_the_graphs_explanation_order_names_the_steps():
    # Two edges holding both ww and wr: list-append explains them as ww (G0),
    # rw-register's order asks wr first (G1c), as Elle's explainers do.
    for order, name in [(None, "G0"), ((WR, WW, RW, PROCESS, RT), "G1c")]:
        g = DepGraph(2) if order is None else DepGraph(2, explain_order=order)
        g.add(0, 1, WW | WR)
        g.add(1, 0, WW | WR)
        found, _ = find_anomalies(g, [None] * 2, None)
        assert list(found) == [name]
        assert {rel for _, rel, _ in found[name][0]} == {name == "G0" and "ww" or "wr"}
    with pytest.raises(ValueError):
        DepGraph(2, explain_order=(WW, WR))


def test_a_search_cut_anywhere_leaves_nothing_present_silently_absent(monkeypatch):
    # Three components: a G0 pair, a ring of 3000 ww edges (G0, slow to walk) and a
    # G-single-item-realtime pair, which the search reaches last.
    n = 3004
    g = DepGraph(n)
    for i in range(3000):
        g.add(i, (i + 1) % 3000, WW)
    for a, b, rel in [(3000, 3001, WW), (3001, 3000, WW), (3002, 3003, RW), (3003, 3002, RT)]:
        g.add(a, b, rel)
    txns = [None] * n
    complete, _ = find_anomalies(g, txns, None)
    present = implied_anomalies(complete)
    assert set(complete) == {"G0", "G-single-item-realtime"}
    partial = 0
    # The clock reads 0, 1, 2, ...: the deadline falls after that many looks at it.
    for cut in range(1, 60, 3):
        reads = iter(range(10**6))
        monkeypatch.setattr(cycles.time, "monotonic", lambda: next(reads))
        found, unknown = find_anomalies(g, txns, None, deadline=cut)
        monkeypatch.undo()
        partial += bool(found and unknown)
        assert set(found) <= set(complete)
        for t in CYCLE_TYPES:
            if t in present:
                assert t in implied_anomalies(found) or t in unknown, (cut, t)
            else:
                assert t not in found
    assert partial  # some cut fell between a find and the end


def test_when_the_shortest_walk_is_no_cycle_the_simple_path_search_finds_one():
    # a=0 -rw-> v=1; v has a ww loop through q=2 and an rw to c=7; c -ww-> a. The long way:
    # v -ww-> y1..y4 (3..6) -rw-> c: a non-adjacent cycle of seven.
    edges = [(0, 1, RW), (1, 2, WW), (2, 1, WW), (1, 7, RW), (7, 0, WW),
             (1, 3, WW), (3, 4, WW), (4, 5, WW), (5, 6, WW), (6, 7, RW)]
    adj: list[list[tuple[int, int]]] = [[] for _ in range(8)]
    for a, b, rel in edges:
        adj[a].append((b, rel))
    auto, zone = Automaton("G-nonadjacent-item"), Zone([0] * 8, 0, 0)
    walk = closed_walk(adj, lambda n: None, auto, 0, 1, zone)
    assert [n for n, _ in walk] == [0, 1, 2, 1, 7]  # through v twice
    assert not is_cycle_of(walk, "G-nonadjacent-item")
    assert [classify([r for _, r in p]) for p in simple_pieces(walk)] == ["G0", "G2-item"]
    cycle = simple_search(adj, lambda n: None, auto, 0, 1, zone)
    assert [n for n, _ in cycle] == [0, 1, 3, 4, 5, 6, 7]
    assert is_cycle_of(cycle, "G-nonadjacent-item")
    # Without the long way there is none, and the search says so.
    assert simple_search([row if i != 6 else [] for i, row in enumerate(adj)],
                         lambda n: None, auto, 0, 1, zone) is None
