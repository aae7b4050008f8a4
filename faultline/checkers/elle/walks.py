"""Walks of one cycle type in one component: how a cycle is named from its steps, the small
automaton over step kinds each type's search runs in product with the component, the
shortest closed walk through an anchor edge, and, when that walk is no simple cycle, its
simple pieces and an exhaustive depth-first search over simple paths.

A component is given as ``adj``: node ``i``'s out-edges ``[(j, explained relation), ...]``.
A walk is ``[(node, relation to the next node), ...]``, closing back to its first node.
Work is reported to ``tick(n)``, which may raise to stop a search.
"""

from __future__ import annotations

from typing import Callable, Sequence

from faultline.checkers.elle.graph import PROCESS, REALTIME, REL_NAMES, RW, WR, WW

__all__ = ["Automaton", "Zone", "classify", "closed_walk", "is_cycle_of", "simple_pieces",
           "simple_search", "spec"]

Adjacency = list[list[tuple[int, int]]]
Walk = list[tuple[int, int]]


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


# Automaton states are small ints of flags.
_SEEN_V, _LAST_RW, _SEEN_RW = 1, 2, 4


def spec(ctype: str) -> tuple[int, int, int, int, int]:
    """(base relations, variant relation, anchor relation, start flags, wanted flags)."""
    base, variant = ctype, 0
    for suffix, rel in (("-process", PROCESS), ("-realtime", REALTIME)):
        if ctype.endswith(suffix):
            base, variant = ctype[: -len(suffix)], rel
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


class Automaton:
    """The step rules of one cycle type over explained relations, as a table, and the
    zones its searches stay in."""

    def __init__(self, ctype: str):
        base_rels, variant, anchor, start, want = spec(ctype)
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


class Zone:
    """Where a walk from an anchor's head back to its tail can go: nodes (or, by_state,
    product states node * 2 + last-was-rw) numbered ``lo <= zone[x] <= hi``."""

    __slots__ = ("zone", "lo", "hi", "by_state")

    def __init__(self, zone: list[int], lo: int, hi: int, by_state: bool = False):
        self.zone, self.lo, self.hi, self.by_state = zone, lo, hi, by_state


def closed_walk(adj: Adjacency, tick: Callable[[int], None], auto: Automaton, i: int, j: int,
                zone: Zone, limit: int | None = None) -> Walk | None:
    """A shortest closed walk through the anchor i -> j (BFS over (node, state) from j back
    to i inside the zone), as (node, relation to next) pairs starting at i; only walks of
    fewer than ``limit`` steps, if given."""
    table = auto.table
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
                tick(work)
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


def is_cycle_of(walk: Walk, ctype: str) -> bool:
    """Whether the walk is a simple cycle of type ``ctype``."""
    return len({n for n, _ in walk}) == len(walk) and classify([r for _, r in walk]) == ctype


def simple_pieces(walk: Walk) -> list[Walk]:
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


def _alive(adj: Adjacency, tick: Callable[[int], None], auto: Automaton, i: int,
           zone: Zone) -> set[int]:
    """Product states (node * 8 + state) inside the zone from which some path reaches i in
    an accepting state: a backward BFS."""
    radj: Adjacency = [[] for _ in adj]
    for u, row in enumerate(adj):
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
        tick(1)
        for u, r in radj[v]:
            for q in range(8):
                s = u * 8 + q
                if table[q, r] == q2 and s not in alive and inside(u, q):
                    alive.add(s)
                    todo.append(s)
    return alive


def simple_search(adj: Adjacency, tick: Callable[[int], None], auto: Automaton, i: int,
                  j: int, zone: Zone) -> Walk | None:
    """Depth-first search over simple paths j ~> i closing a cycle of the type through the
    anchor i -> j, pruned to states that can still close; exhaustive unless the clock runs
    out."""
    alive = _alive(adj, tick, auto, i, zone)
    table = auto.table
    if j * 8 + auto.start not in alive:
        return None
    nodes, rels, states = [i, j], [auto.anchor], [auto.start]
    on_path = {i, j}
    its = [iter(adj[j])]
    while its:
        tick(1)
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
            its.append(iter(adj[w]))
            break
        else:
            its.pop()
            on_path.discard(nodes.pop())
            states.pop()
            rels.pop()
    return None
