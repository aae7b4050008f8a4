"""Cycle search in a dependency graph: strongly connected components, then, inside each,
one short cycle per anomaly type, named as Elle names it (:func:`walks.classify`: by the
relation that explains each step, the first of the edge's relations in the graph's
explanation order). The types are searched worst first (consistency.CYCLE_TYPES, Elle's
order) and, inside one component, a type implied by one already found there is not
searched (Elle does the same, so a G-single-item component does not also report G2-item).

Each search is anchored on an edge the type needs (a wr for G1c, an rw for the rw types, a
process/real-time edge for G0's variants) and looks for a shortest walk back from the
edge's head to its tail in the product of the component with a small automaton over step
kinds (:mod:`walks`). The walk is confined to a zone: a closed walk lies inside one strongly
connected component of the subgraph of the relations it may use (for G-nonadjacent, of the
product with "last step was rw"), and for G-single the walk back runs down the order of the
components of its ww/wr(/variant) subgraph; which rw anchors can close at all is decided
first, by reachability bitsets over that subgraph's condensation (:mod:`components`). So a
type absent from a component costs about linear time and is proven absent (no closed walk,
hence no cycle). A walk found must be a simple cycle of the type, else its simple pieces are
tried, and last a depth-first search over simple paths decides. A type whose search did not
finish before the deadline is reported as unknown, never as absent.
"""

from __future__ import annotations

import time
from typing import Any, Iterable, Iterator, Sequence

from faultline.checkers.elle.components import (
    reachable, strongly_connected_components, tarjan,
)
from faultline.checkers.elle.consistency import CYCLE_TYPES, implied_anomalies
from faultline.checkers.elle.graph import REL_NAMES, RW, WR, WW, DepGraph
from faultline.checkers.elle.walks import (
    Automaton, Zone, classify, closed_walk, is_cycle_of, simple_pieces, simple_search,
)

__all__ = ["classify", "find_anomalies", "strongly_connected_components"]

Cycle = list[tuple[int, str, Any]]
"""A cycle as ``(txn id, relation to the next txn, why)``; the last step closes the cycle."""

_CHECK_EVERY = 4096
# Anchors tried for a shorter cycle once one of a type is found in a component.
_SHORTER_TRIES = 64


class _Timeout(Exception):
    pass


class _Clock:
    """The deadline, looked at every few thousand steps of work."""

    def __init__(self, deadline: float | None):
        self.deadline = deadline
        self.ticks = 0

    def tick(self, n: int = 1) -> None:
        self.ticks += n
        if self.ticks >= _CHECK_EVERY:
            self.ticks = 0
            self.check()

    def check(self) -> None:
        if self.deadline is not None and time.monotonic() > self.deadline:
            raise _Timeout


class _Component:
    """One strongly connected component of the whole graph, renumbered 0..m-1, with each
    edge's explained relation."""

    def __init__(self, graph: DepGraph, nodes: list[int], clock: _Clock):
        self.nodes = nodes
        local = {g: i for i, g in enumerate(nodes)}
        out, explained = graph.adjacency(), graph.explained
        self.adj: list[list[tuple[int, int]]] = []
        for g in nodes:
            self.adj.append([(local[h], explained[bits]) for h, bits in out[g].items()
                             if h in local])
        clock.tick(len(nodes))
        self.clock = clock
        self._sub: dict[int, list[int]] = {}

    def sub_components(self, rels: int) -> list[int]:
        """Component number of each node in the subgraph of steps explained by ``rels``;
        numbers decrease along every edge between two components (Tarjan's order)."""
        if rels not in self._sub:
            self.clock.tick(len(self.adj))
            succ = [[j for j, r in row if r & rels] for row in self.adj]
            self._sub[rels] = tarjan(succ)[0]
        return self._sub[rels]


def _anchors(comp: _Component, auto: Automaton) -> Iterator[tuple[int, int, Zone]]:
    """Anchor edges ``(i, j)`` through which a closed walk of the type's automaton may
    exist, each with the zone its walk must stay in. A closed walk lies inside one
    component of the subgraph of the relations it may use; so does the walk back from j
    to i, or (G-single) it runs down that subgraph's order of components."""
    cyc = comp.sub_components(auto.cycle_rels)
    variant, anchor = auto.variant, auto.anchor
    adj = comp.adj
    # Components holding a variant step: a variant cycle needs one (unless it is the anchor).
    with_v: set[int] | None = None
    if variant and anchor != variant:
        with_v = {cyc[i] for i, row in enumerate(adj) for j, r in row
                  if r == variant and cyc[i] == cyc[j]}
        if not with_v:
            return
    inner = [(i, j) for i, row in enumerate(adj) for j, r in row
             if r == anchor and cyc[i] == cyc[j] and (with_v is None or cyc[i] in with_v)]
    comp.clock.tick(len(adj))
    if not inner:
        return
    if auto.nonadjacent:
        yield from _nonadjacent_anchors(comp, auto, inner, cyc)
    elif auto.single:
        yield from _single_anchors(comp, auto, inner)
    else:
        for i, j in inner:
            yield i, j, Zone(cyc, cyc[i], cyc[i])


def _single_anchors(comp: _Component, auto: Automaton, inner: list[tuple[int, int]],
                    ) -> Iterator[tuple[int, int, Zone]]:
    """rw edges i -> j with a walk j ~> i over ww/wr (for a variant: and through at least one
    variant step). Decided in the product of the component with "seen a variant step"
    (state node * k + flag): same product component, else reachability bitsets over its
    condensation, a block of target components at a time."""
    variant = auto.variant
    k = 2 if variant else 1
    rels = auto.path_rels
    succ: list[list[int]] = [[] for _ in range(len(comp.adj) * k)]
    for i, row in enumerate(comp.adj):
        comp.clock.tick(len(row))
        for j, r in row:
            if r & rels:
                if k == 1:
                    succ[i].append(j)
                else:
                    succ[2 * i].append(2 * j + (r == variant))
                    succ[2 * i + 1].append(2 * j + 1)
    pcomp, count = tarjan(succ)
    path = comp.sub_components(rels)
    rest = []
    for i, j in inner:
        if pcomp[j * k] == pcomp[i * k + k - 1]:
            yield i, j, Zone(path, path[i], path[j])
        elif pcomp[j * k] > pcomp[i * k + k - 1]:  # else j cannot reach i: numbers fall
            rest.append((i, j))
    if rest:
        queries = [(j * k, i * k + k - 1, (i, j)) for i, j in rest]
        for i, j in reachable(succ, pcomp, count, queries, comp.clock.tick):
            yield i, j, Zone(path, path[i], path[j])


def _nonadjacent_anchors(comp: _Component, auto: Automaton, inner: list[tuple[int, int]],
                         cyc: list[int]) -> Iterator[tuple[int, int, Zone]]:
    """Closed walks with no two rw steps adjacent are the cycles of the product of the
    component with "the last step was rw" (state node * 2 + flag); only the components
    ``cyc`` of candidate anchors are built."""
    variant = auto.variant
    keep = {cyc[i] for i, _ in inner}
    succ: list[list[int]] = [[] for _ in range(2 * len(comp.adj))]
    for i, row in enumerate(comp.adj):
        if cyc[i] not in keep:
            continue
        comp.clock.tick(len(row))
        free, after_rw = succ[2 * i], succ[2 * i + 1]
        for j, r in row:
            if cyc[j] != cyc[i]:
                continue
            if r == RW:
                free.append(2 * j + 1)
            elif r & (WW | WR) or (variant and r == variant):
                free.append(2 * j)
                after_rw.append(2 * j)
    pcomp = tarjan(succ)[0]
    with_v: set[int] | None = None
    if variant:
        with_v = {pcomp[2 * i + f] for i, row in enumerate(comp.adj) if cyc[i] in keep
                  for j, r in row if r == variant for f in (0, 1)
                  if pcomp[2 * i + f] == pcomp[2 * j]}
    for i, j in inner:
        c = pcomp[2 * i]
        if c == pcomp[2 * j + 1] and (with_v is None or c in with_v):
            yield i, j, Zone(pcomp, c, c, by_state=True)


def _search(comp: _Component, ctype: str) -> list[tuple[int, int]] | None:
    """A short cycle of ctype in the component, or None when it has none. A walk found that
    is no simple cycle of the type is taken apart; failing that, a depth-first search over
    simple paths decides. Once one is found, a few more anchors are tried for a shorter one
    (a short cycle is easier to read)."""
    auto = Automaton(ctype)
    hard: list[tuple[int, int, Zone]] = []
    best: list[tuple[int, int]] | None = None
    tries = 0
    for i, j, zone in _anchors(comp, auto):
        if best is not None:
            tries += 1
            if tries > _SHORTER_TRIES or len(best) <= 2:
                break
            walk = closed_walk(comp.adj, comp.clock.tick, auto, i, j, zone, limit=len(best))
            if walk is not None and is_cycle_of(walk, ctype):
                best = walk
            continue
        walk = closed_walk(comp.adj, comp.clock.tick, auto, i, j, zone)
        if walk is None:
            continue
        if is_cycle_of(walk, ctype):
            best = walk
            continue
        for piece in simple_pieces(walk):
            if classify([r for _, r in piece]) == ctype:
                best = piece
                break
        else:
            hard.append((i, j, zone))
    if best is not None:
        return best
    for i, j, zone in hard:
        found = simple_search(comp.adj, comp.clock.tick, auto, i, j, zone)
        if found is not None:
            return found
    return None


def find_anomalies(graph: DepGraph, txns: Sequence[Any], wanted: Iterable[str] | None = None,
                   *, deadline: float | None = None, stats: dict | None = None,
                   ) -> tuple[dict[str, list[Cycle]], set[str]]:
    """Searches ``graph`` for the cycle anomaly types in ``wanted`` (names from
    :data:`CYCLE_TYPES`; other names are ignored; None: all of them).

    Returns ``(found, unknown)``: ``found`` maps a type to one cycle per strongly connected
    component it was found in; ``unknown`` holds the wanted types whose search did not end
    before ``deadline`` (a :func:`time.monotonic` value; None: no limit) in some component
    and that were found nowhere nor implied by a type found. Process and real-time steps
    count as the graph has them: add real-time edges for the -realtime types, process edges
    for the -process ones. ``stats``, if given, receives ``sccs``, ``largest_scc``, and
    ``stopped_in_scc`` (the size of the component the clock ran out in) when it did.
    ``txns`` are the graph's transactions (one per node), as the edge builders took them.
    """
    if len(txns) != len(graph):
        raise ValueError(f"{len(txns)} transactions for a graph of {len(graph)} nodes")
    wanted = set(CYCLE_TYPES) if wanted is None else set(wanted)
    order = [t for t in CYCLE_TYPES if t in wanted]
    clock = _Clock(deadline)
    out = graph.adjacency()
    comps = strongly_connected_components(out)
    comps.reverse()  # smallest first: cheap components are decided before the budget goes
    if stats is not None:
        stats["sccs"] = len(comps)
        stats["largest_scc"] = len(comps[-1]) if comps else 0
    found: dict[str, list[Cycle]] = {}
    undecided: set[str] = set()
    implied_here: list[set[str]] = [set() for _ in comps]
    built: dict[int, _Component] = {}
    timed_out = False
    for ctype in order:
        for n, nodes in enumerate(comps):
            if ctype in implied_here[n]:
                continue
            if timed_out:
                undecided.add(ctype)
                continue
            try:
                clock.check()
                comp = built.get(n)
                if comp is None:
                    comp = built[n] = _Component(graph, nodes, clock)
                cycle = _search(comp, ctype)
            except _Timeout:
                timed_out = True
                undecided.add(ctype)
                if stats is not None:
                    stats["stopped_in_scc"] = len(nodes)
                continue
            if cycle is not None:
                name = classify([r for _, r in cycle])
                found.setdefault(name, []).append(_explain(graph, comp, cycle))
                implied_here[n] |= implied_anomalies([name])
    present = implied_anomalies(found)
    return found, undecided - present


def _explain(graph: DepGraph, comp: _Component, walk: list[tuple[int, int]]) -> Cycle:
    nodes = comp.nodes
    cycle = []
    for (i, r), (j, _) in zip(walk, walk[1:] + walk[:1]):
        a, b = nodes[i], nodes[j]
        cycle.append((a, REL_NAMES[r], graph.why(a, b, r)))
    return cycle
