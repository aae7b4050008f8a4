"""Strongly connected components (iterative Tarjan: no recursion limit, so 10^5 nodes and
long chains are fine) and reachability between many pairs of nodes over a condensation.

Graphs are given as ``succ``: node ``i``'s successors are ``succ[i]`` (any iterable of node
numbers).
"""

from __future__ import annotations

from typing import Any, Callable, Iterable, Iterator, Sequence

__all__ = ["reachable", "strongly_connected_components", "tarjan"]


def tarjan(succ: Sequence[Iterable[int]]) -> tuple[list[int], int]:
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
    comp, count = tarjan(succ)
    members: list[list[int]] = [[] for _ in range(count)]
    for v, c in enumerate(comp):
        members[c].append(v)
    return sorted((m for m in members if len(m) > 1), key=len, reverse=True)


def reachable(succ: list[list[int]], comp_of: list[int], count: int,
              queries: list[tuple[int, int, Any]], tick: Callable[[int], None],
              ) -> Iterator[Any]:
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
    tick(len(succ))
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
            tick(len(csucc[c]) + 1)
        for source, target, payload in queries:
            n = bit.get(comp_of[target])
            if n is not None and reach[comp_of[source]] >> n & 1:
                yield payload
