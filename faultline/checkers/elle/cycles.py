"""Cycle search in a dependency graph: strongly connected components, then, inside each,
one short cycle per anomaly type, named as Elle names it.

A cycle is typed by the relation that *explains* each step (the first of the edge's
relations in the graph's explanation order, see :mod:`faultline.checkers.elle.graph`): exactly one rw step is G-single-item; two or more, none
adjacent (cyclically), G-nonadjacent-item; two or more with two adjacent, G2-item; no rw but
a wr, G1c; only ww, G0; with a real-time step the name gains ``-realtime``, else with a
process step ``-process``. The types are searched worst first (consistency.CYCLE_TYPES,
Elle's order) and, inside one component, a type implied by one already found there is not
searched (Elle does the same, so a G-single-item component does not also report G2-item).

Each search is anchored on an edge the type needs (a wr for G1c, an rw for the rw types, a
process/real-time edge for G0's variants) and looks for a shortest walk back from the edge's
head to its tail in the product of the component with a small automaton over step kinds
(seen a real-time step, last step was rw, ...). The walk is confined to a zone: a closed
walk lies inside one strongly connected component of the subgraph of the relations it may
use (for G-nonadjacent, of the product with "last step was rw"), and for G-single the walk
back runs down the order of the components of its ww/wr(/variant) subgraph; which rw
anchors can close at all is decided first, by reachability bitsets over that subgraph's
condensation. So a type absent from a component costs about linear time (G-single: plus
the bitsets) and is proven absent (no closed walk, hence no cycle). A walk found must be a simple cycle of the type, else its simple sub-cycles are
tried, and as a last resort a depth-first search over simple paths runs until the deadline.
A type whose search did not finish is reported as unknown, never as absent.
"""

from __future__ import annotations

import time
from collections import deque
from typing import Any, Iterable, Iterator, Mapping, Sequence

from faultline.checkers.elle.consistency import CYCLE_TYPES, implied_anomalies
from faultline.checkers.elle.graph import PROCESS, REALTIME, REL_NAMES, RW, WR, WW, DepGraph

__all__ = ["classify", "find_anomalies", "strongly_connected_components"]

Cycle = list[tuple[int, str, Any]]
"""A cycle as ``(txn id, relation to the next txn, why)``; the last step closes the cycle."""

_CHECK_EVERY = 4096
# Anchors tried for a shorter cycle once one of a type is found in a component.
_SHORTER_TRIES = 64


class _Timeout(Exception):
    pass


def classify(steps: Sequence[int]) -> str:
    """The anomaly type of a cycle whose steps are explained by the relations ``steps``."""
    rw = sum(1 for s in steps if s == RW)
    if rw == 1:
        base = "G-single-item"
    elif rw > 1:
        adjacent = any(s == RW and steps[i - 1] == RW for i, s in enumerate(steps))
        base = "G2-item" if adjacent else "G-nonadjacent-item"
    elif WR in steps:
        base = "G1c"
    else:
        base = "G0"
    if REALTIME in steps:
        return base + "-realtime"
    if PROCESS in steps:
        return base + "-process"
    return base


def _tarjan(succ: Sequence[Iterable[int]]) -> tuple[list[int], int]:
    """Component number of each node (iterative Tarjan) and the number of components.
    Components are numbered in the order Tarjan closes them: an edge between two
    components always goes to the lower number."""
    n = len(succ)
    order = [0] * n           # 0: unvisited, else discovery number
    low = [0] * n
    comp = [-1] * n
    stack: list[int] = []
    count = 0
    counter = 1
    for root in range(n):
        if order[root]:
            continue
        order[root] = low[root] = counter
        counter += 1
        stack.append(root)
        work = [(root, iter(succ[root]))]
        while work:
            v, it = work[-1]
            for w in it:
                if not order[w]:
                    order[w] = low[w] = counter
                    counter += 1
                    stack.append(w)
                    work.append((w, iter(succ[w])))
                    break
                if comp[w] < 0 and order[w] < low[v]:
                    low[v] = order[w]
            else:
                work.pop()
                if work:
                    u = work[-1][0]
                    if low[v] < low[u]:
                        low[u] = low[v]
                if low[v] == order[v]:
                    while True:
                        w = stack.pop()
                        comp[w] = count
                        if w == v:
                            break
                    count += 1
    return comp, count


def strongly_connected_components(succ: Sequence[Iterable[int]]) -> list[list[int]]:
    """The strongly connected components of more than one node of the graph whose node
    ``i`` has successors ``succ[i]`` (any iterable of node numbers), largest first."""
    comp, count = _tarjan(succ)
    members: list[list[int]] = [[] for _ in range(count)]
    for v, c in enumerate(comp):
        members[c].append(v)
    return sorted((m for m in members if len(m) > 1), key=len, reverse=True)


# The automata: a state is a small int of flags; _step returns the next state or -1.
_SEEN_V, _LAST_RW, _SEEN_RW = 1, 2, 4


def _spec(ctype: str) -> tuple[int, int, int, int, int]:
    """(base relations, variant relation, anchor relation, start flags, wanted flags)."""
    variant = PROCESS if ctype.endswith("-process") else REALTIME if ctype.endswith("-realtime") else 0
    base = ctype[: -len("-process")] if variant == PROCESS else \
        ctype[: -len("-realtime")] if variant == REALTIME else ctype
    want_v = _SEEN_V if variant else 0
    if base == "G0":
        return WW, variant, variant or WW, _SEEN_V if variant else 0, want_v
    if base == "G1c":
        return WW | WR, variant, WR, 0, want_v
    if base == "G-single-item":
        return WW | WR, variant, RW, 0, want_v
    if base == "G-nonadjacent-item":
        return WW | WR | RW, variant, RW, _LAST_RW, want_v | _SEEN_RW
    if base == "G2-item":
        return WW | WR | RW, variant, RW, 0, want_v | _SEEN_RW
    raise ValueError(f"not a cycle anomaly type: {ctype!r}")


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
            self._sub[rels] = _tarjan(succ)[0]
        return self._sub[rels]


class _Automaton:
    """The step rules of one cycle type over explained relations, as a table, and the
    zones its searches stay in."""

    def __init__(self, ctype: str):
        base_rels, variant, anchor, start, want = _spec(ctype)
        self.ctype = ctype
        self.nonadjacent = ctype.startswith("G-nonadjacent-item")
        self.single = ctype.startswith("G-single-item")
        self.variant, self.anchor, self.start, self.want = variant, anchor, start, want
        self.path_rels = base_rels | variant          # steps after the anchor
        self.cycle_rels = self.path_rels | anchor
        self.table = {(q, r): self._step(q, r, base_rels, variant)
                      for q in range(8) for r in REL_NAMES}

    def _step(self, q: int, rel: int, base_rels: int, variant: int) -> int:
        if variant and rel == variant:
            return (q | _SEEN_V) & ~_LAST_RW
        if not rel & base_rels:
            return -1
        if rel == RW:
            if self.nonadjacent and q & _LAST_RW:
                return -1
            return q | _SEEN_RW | _LAST_RW
        return q & ~_LAST_RW

    def accepts(self, q: int) -> bool:
        """Whether a path ending in state q may close through the anchor."""
        return q & self.want == self.want and not (self.nonadjacent and q & _LAST_RW)


class _Zone:
    """Where a walk from an anchor's head back to its tail can go: nodes (or, by_state,
    product states node * 2 + last-was-rw) numbered ``lo <= zone[x] <= hi``."""

    __slots__ = ("zone", "lo", "hi", "by_state")

    def __init__(self, zone: list[int], lo: int, hi: int, by_state: bool = False):
        self.zone, self.lo, self.hi, self.by_state = zone, lo, hi, by_state


def _closed_walk(comp: _Component, auto: _Automaton, i: int, j: int, zone: _Zone,
                 limit: int | None = None) -> list[tuple[int, int]] | None:
    """A shortest closed walk through the anchor i -> j (BFS over (node, state) from j back
    to i inside the zone), as (node, relation to next) pairs starting at i; only walks of
    fewer than ``limit`` steps, if given."""
    table, adj, clock = auto.table, comp.adj, comp.clock
    z, lo, hi, by_state = zone.zone, zone.lo, zone.hi, zone.by_state
    start = j * 8 + auto.start
    parent: dict[int, tuple[int, int]] = {start: (-1, 0)}
    level = [start]
    steps_so_far = 2  # the anchor and the step about to be taken
    work = 0
    while level and (limit is None or steps_so_far < limit):
        nxt = []
        for s in level:
            v, q = divmod(s, 8)
            row = adj[v]
            work += len(row) + 1
            if work > 1024:
                clock.tick(work)
                work = 0
            for w, r in row:
                q2 = table[q, r]
                if q2 < 0:
                    continue
                zw = z[w * 2 + (q2 >> 1 & 1)] if by_state else z[w]
                if zw < lo or zw > hi:
                    continue
                t = w * 8 + q2
                if t in parent:
                    continue
                parent[t] = (s, r)
                if w == i and auto.accepts(q2):
                    steps = []
                    while t != start:
                        t, r = parent[t]
                        steps.append((t // 8, r))
                    steps.reverse()
                    return [(i, auto.anchor)] + steps
                nxt.append(t)
        level = nxt
        steps_so_far += 1
    return None


def _anchors(comp: _Component, auto: _Automaton) -> Iterator[tuple[int, int, _Zone]]:
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
            yield i, j, _Zone(cyc, cyc[i], cyc[i])


def _single_anchors(comp: _Component, auto: _Automaton, inner: list[tuple[int, int]],
                    ) -> Iterator[tuple[int, int, _Zone]]:
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
    pcomp, count = _tarjan(succ)
    path = comp.sub_components(rels)
    rest = []
    for i, j in inner:
        if pcomp[j * k] == pcomp[i * k + k - 1]:
            yield i, j, _Zone(path, path[i], path[j])
        elif pcomp[j * k] > pcomp[i * k + k - 1]:  # else j cannot reach i: numbers fall
            rest.append((i, j))
    if rest:
        queries = [(j * k, i * k + k - 1, (i, j)) for i, j in rest]
        for i, j in _reachable(succ, pcomp, count, queries, comp.clock):
            yield i, j, _Zone(path, path[i], path[j])


def _reachable(succ: list[list[int]], comp_of: list[int], count: int,
               queries: list[tuple[int, int, Any]], clock: _Clock) -> Iterator[Any]:
    """The payloads of the queries ``(source, target, payload)`` whose source reaches its
    target: per component, the set of target components it reaches as a bitset, built
    bottom-up over the condensation (an edge between components goes to a lower number);
    targets are taken in blocks so the bitsets stay within about 32 MiB."""
    csucc: list[set[int]] = [set() for _ in range(count)]
    for s, row in enumerate(succ):
        cs = comp_of[s]
        for t in row:
            if comp_of[t] != cs:
                csucc[cs].add(comp_of[t])
    clock.tick(len(succ))
    targets = sorted({comp_of[t] for _, t, _ in queries})
    block = max(64, (32 << 23) // max(count, 1))
    for start in range(0, len(targets), block):
        bit = {c: n for n, c in enumerate(targets[start:start + block])}
        reach = [0] * count
        for c in range(count):
            bits = 1 << bit[c] if c in bit else 0
            for d in csucc[c]:
                bits |= reach[d]
            reach[c] = bits
            clock.tick(len(csucc[c]) + 1)
        for source, target, payload in queries:
            n = bit.get(comp_of[target])
            if n is not None and reach[comp_of[source]] >> n & 1:
                yield payload


def _nonadjacent_anchors(comp: _Component, auto: _Automaton, inner: list[tuple[int, int]],
                         cyc: list[int]) -> Iterator[tuple[int, int, _Zone]]:
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
    pcomp = _tarjan(succ)[0]
    with_v: set[int] | None = None
    if variant:
        with_v = {pcomp[2 * i + f] for i, row in enumerate(comp.adj) if cyc[i] in keep
                  for j, r in row if r == variant for f in (0, 1)
                  if pcomp[2 * i + f] == pcomp[2 * j]}
    for i, j in inner:
        c = pcomp[2 * i]
        if c == pcomp[2 * j + 1] and (with_v is None or c in with_v):
            yield i, j, _Zone(pcomp, c, c, by_state=True)


def _simple_pieces(walk: list[tuple[int, int]]) -> list[list[tuple[int, int]]]:
    """The simple cycles a closed walk decomposes into (loop erasure)."""
    pieces = []
    stack: list[tuple[int, int]] = []
    where: dict[int, int] = {}
    for node, rel in walk + [walk[0]]:
        at = where.get(node)
        if at is not None:
            pieces.append(stack[at:])
            for n, _ in stack[at:]:
                del where[n]
            del stack[at:]
        where[node] = len(stack)
        stack.append((node, rel))
    return pieces


def _alive(comp: _Component, auto: _Automaton, i: int, zone: _Zone) -> set[int]:
    """Product states (node * 8 + state) inside the zone from which some path reaches i in
    an accepting state: a backward BFS."""
    radj: list[list[tuple[int, int]]] = [[] for _ in comp.adj]
    for u, row in enumerate(comp.adj):
        for v, r in row:
            radj[v].append((u, r))
    table, z = auto.table, zone.zone

    def inside(u: int, q: int) -> bool:
        zu = z[u * 2 + (q >> 1 & 1)] if zone.by_state else z[u]
        return zone.lo <= zu <= zone.hi

    goals = [i * 8 + q for q in range(8) if auto.accepts(q)]
    alive = set(goals)
    todo = list(goals)
    while todo:
        v, q2 = divmod(todo.pop(), 8)
        comp.clock.tick()
        for u, r in radj[v]:
            for q in range(8):
                s = u * 8 + q
                if table[q, r] == q2 and s not in alive and inside(u, q):
                    alive.add(s)
                    todo.append(s)
    return alive


def _simple_search(comp: _Component, auto: _Automaton, i: int, j: int, zone: _Zone,
                   ) -> list[tuple[int, int]] | None:
    """Depth-first search over simple paths j ~> i closing a cycle of the type through the
    anchor i -> j, pruned to states that can still close; exhaustive unless the clock runs
    out."""
    alive = _alive(comp, auto, i, zone)
    table, tick = auto.table, comp.clock.tick
    if j * 8 + auto.start not in alive:
        return None
    nodes, rels, states = [i, j], [auto.anchor], [auto.start]
    on_path = {i, j}
    its = [iter(comp.adj[j])]
    while its:
        tick()
        q = states[-1]
        for w, r in its[-1]:
            q2 = table[q, r]
            if q2 < 0 or w * 8 + q2 not in alive:
                continue
            if w == i:
                if auto.accepts(q2) and classify(rels + [r]) == auto.ctype:
                    return list(zip(nodes, rels + [r]))
                continue
            if w in on_path:
                continue
            on_path.add(w)
            nodes.append(w)
            rels.append(r)
            states.append(q2)
            its.append(iter(comp.adj[w]))
            break
        else:
            its.pop()
            on_path.discard(nodes.pop())
            states.pop()
            rels.pop()
    return None


def _is_cycle_of(walk: list[tuple[int, int]], ctype: str) -> bool:
    return len({n for n, _ in walk}) == len(walk) and classify([r for _, r in walk]) == ctype


def _search(comp: _Component, ctype: str) -> list[tuple[int, int]] | None:
    """A short cycle of ctype in the component, or None when it has none. A walk found that
    is no simple cycle of the type is taken apart; failing that, a depth-first search over
    simple paths decides. Once one is found, a few more anchors are tried for a shorter one
    (a short cycle is easier to read)."""
    auto = _Automaton(ctype)
    hard: list[tuple[int, int, _Zone]] = []
    best: list[tuple[int, int]] | None = None
    tries = 0
    for i, j, zone in _anchors(comp, auto):
        if best is not None:
            tries += 1
            if tries > _SHORTER_TRIES or len(best) <= 2:
                break
            walk = _closed_walk(comp, auto, i, j, zone, limit=len(best))
            if walk is not None and _is_cycle_of(walk, ctype):
                best = walk
            continue
        walk = _closed_walk(comp, auto, i, j, zone)
        if walk is None:
            continue
        if _is_cycle_of(walk, ctype):
            best = walk
            continue
        for piece in _simple_pieces(walk):
            if classify([r for _, r in piece]) == ctype:
                best = piece
                break
        else:
            hard.append((i, j, zone))
    if best is not None:
        return best
    for i, j, zone in hard:
        found = _simple_search(comp, auto, i, j, zone)
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
