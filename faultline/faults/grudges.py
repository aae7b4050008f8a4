"""Grudges: pure descriptions of who cannot hear whom.

A grudge maps a node to the set of nodes it must NOT hear from (packets arriving from
them are dropped), exactly :data:`faultline.cluster.Grudge`. Nodes that hear everyone are
left out. Every function here is pure: given the same nodes (and the same seeded
``random.Random``) it returns the same grudge, so a run is reproducible from its seed.

A node's *view* is the set of nodes it hears from, itself included
(:func:`views`). The shapes:

- :func:`isolate`: one node alone, the rest together.
- :func:`halves`: a smaller and a larger half (fixed order or shuffled).
- :func:`majorities_ring`: every node sees a majority, and no two nodes see the same one.
- :func:`bridge`: two halves, and one node of the larger half hears both.
"""

from __future__ import annotations

import random
from typing import Iterable, Sequence

from faultline.cluster.protocol import Grudge

SHAPES = ("isolate", "isolate-leader", "halves", "random-halves", "majorities-ring", "bridge")
"""Grudge names the partition nemesis accepts (``isolate-leader`` needs the leader)."""


def complete(components: Iterable[Iterable[str]]) -> Grudge:
    """Each node hears exactly the nodes of its own component.

    Components must be disjoint; a node in no component is not constrained.
    """
    parts = [frozenset(c) for c in components]
    everyone = frozenset().union(*parts) if parts else frozenset()
    seen: set[str] = set()
    grudge: dict[str, frozenset[str]] = {}
    for part in parts:
        if seen & part:
            raise ValueError(f"components overlap on {sorted(seen & part)}")
        seen |= part
        for node in part:
            if everyone - part:
                grudge[node] = everyone - part
    return grudge


def isolate(nodes: Sequence[str], node: str) -> Grudge:
    """``node`` hears no one and no one hears it; the others stay connected."""
    if node not in nodes:
        raise ValueError(f"{node!r} is not one of {list(nodes)}")
    return complete([[node], [n for n in nodes if n != node]])


def bisect(nodes: Sequence[str]) -> tuple[list[str], list[str]]:
    """Split into a smaller first half and a larger (or equal) second half, in order."""
    cut = len(nodes) // 2
    return list(nodes[:cut]), list(nodes[cut:])


def halves(nodes: Sequence[str], rng: random.Random | None = None) -> Grudge:
    """Two halves that cannot hear each other; shuffled first when ``rng`` is given."""
    order = list(nodes)
    if rng is not None:
        rng.shuffle(order)
    return complete(bisect(order))


def majority(n: int) -> int:
    """The smallest number of nodes that is more than half of ``n``."""
    return n // 2 + 1


def majorities_ring(nodes: Sequence[str], rng: random.Random | None = None) -> Grudge:
    """Every node sees a majority (itself included) and no two nodes see the same set.

    The nodes sit on a ring (shuffled when ``rng`` is given); each node's view is the
    window of ``majority(n)`` consecutive ring positions around it. With an odd window
    (5, 9, ... nodes) the node sits in its middle and the grudge is symmetric; with an
    even window (3, 4, 7 nodes) some links are cut one way only, which for TCP still
    breaks the connection. Needs at least 3 nodes: with fewer, a majority is everyone.
    """
    n = len(nodes)
    if n < 3:
        raise ValueError(f"majorities-ring needs at least 3 nodes, got {n}")
    ring = list(nodes)
    if rng is not None:
        rng.shuffle(ring)
    m = majority(n)
    before = (m - 1) // 2  # how many ring positions before the node its window starts
    everyone = frozenset(ring)
    grudge: dict[str, frozenset[str]] = {}
    for i, node in enumerate(ring):
        view = frozenset(ring[(i - before + k) % n] for k in range(m))
        grudge[node] = everyone - view
    return grudge


def bridge(nodes: Sequence[str], rng: random.Random | None = None) -> Grudge:
    """Two halves cut apart, except one node of the larger half that hears both sides
    and is heard by both. Needs at least 3 nodes."""
    if len(nodes) < 3:
        raise ValueError(f"bridge needs at least 3 nodes, got {len(nodes)}")
    order = list(nodes)
    if rng is not None:
        rng.shuffle(order)
    small, large = bisect(order)
    link = large[0]
    cut = complete([small, large])
    grudge = {node: others - {link} for node, others in cut.items() if node != link}
    return {node: others for node, others in grudge.items() if others}


def views(nodes: Sequence[str], grudge: Grudge) -> dict[str, frozenset[str]]:
    """node -> the nodes it hears from, itself included."""
    everyone = frozenset(nodes)
    return {node: everyone - grudge.get(node, frozenset()) for node in nodes}


def make(shape: str, nodes: Sequence[str], rng: random.Random, leader: str | None = None) -> Grudge:
    """The grudge called ``shape`` (one of :data:`SHAPES`) over ``nodes``.

    ``isolate`` picks a random node; ``isolate-leader`` needs ``leader`` (ValueError
    when it is None: the caller decides what to do without a leader).
    """
    if shape == "isolate":
        return isolate(nodes, rng.choice(list(nodes)))
    if shape == "isolate-leader":
        if leader is None:
            raise ValueError("no leader to isolate")
        return isolate(nodes, leader)
    if shape == "halves":
        return halves(nodes)
    if shape == "random-halves":
        return halves(nodes, rng)
    if shape == "majorities-ring":
        return majorities_ring(nodes, rng)
    if shape == "bridge":
        return bridge(nodes, rng)
    raise ValueError(f"unknown partition {shape!r}; choose from {', '.join(SHAPES)}")


def to_json(grudge: Grudge) -> dict[str, list[str]]:
    """The grudge as JSON data for a history op: node -> sorted nodes it does not hear."""
    return {node: sorted(others) for node, others in sorted(grudge.items())}


def from_json(data: dict[str, list[str]]) -> Grudge:
    return {node: frozenset(others) for node, others in data.items()}
