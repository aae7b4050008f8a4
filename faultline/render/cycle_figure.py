"""An Elle anomaly's cycle drawn as a small graph: its transactions around a circle, each
dependency an arrow to the next labelled with its relation and key (``rw 7``, ``wr x``,
``realtime``), coloured by relation.

:func:`cycle_layout` places nodes and edges (pure data, in pixels, arrowheads as
polygons so a page with many figures needs no shared SVG ids); the section's template
draws it.
"""

from __future__ import annotations

import math
from typing import Any, Mapping

REL_COLOURS = {"ww": "#1f77b4", "wr": "#2ca02c", "rw": "#d62728", "process": "#7f7f7f",
               "realtime": "#9467bd"}
"""An edge's colour by relation (what the legend says)."""
REL_WORDS = {"ww": "write-write: a later version", "wr": "write-read: it read that write",
             "rw": "read-write: it read the version before (anti-dependency)",
             "process": "the same process, one after the other",
             "realtime": "one completed before the other began"}
MAX_NODES = 16
"""Longer cycles are listed step by step only: a drawing of more says no more."""
NODE_W, NODE_H = 58, 30
MARGIN = 48  # room for an edge bowed outwards and its label
NODE_SPACING = 120
LABEL_CHARS = 14


def cycle_layout(anomaly: Mapping[str, Any]) -> dict[str, Any] | None:
    """``{"width", "height", "nodes": [{"txn", "x", "y", "label", "sub", "tip"}], "edges":
    [{"from", "to", "rel", "colour", "path", "arrow", "label", "lx", "ly", "tip"}]}`` for
    the anomaly's ``cycle`` and ``steps``; None when it has no cycle or one too long."""
    cycle = anomaly.get("cycle") or []
    steps = anomaly.get("steps") or []
    n = len(cycle)
    if n < 1 or n > MAX_NODES or len(steps) != n:
        return None
    # neighbours about NODE_SPACING apart along the circle (a chord of it)
    radius = 0.0 if n == 1 else max(70.0, NODE_SPACING / 2 / math.sin(math.pi / n))
    cx = cy = radius + NODE_W
    nodes = []
    for i, txn in enumerate(cycle):
        angle = -math.pi / 2 + 2 * math.pi * i / n  # the first at the top, clockwise
        nodes.append({"txn": txn.get("txn"), "x": round(cx + radius * math.cos(angle), 1),
                      "y": round(cy + radius * math.sin(angle), 1),
                      "label": f"T{txn.get('txn')}", "sub": f"p{txn.get('process')}",
                      "tip": f"T{txn.get('txn')}: process {txn.get('process')}, "
                             f"{txn.get('type')}, history index {txn.get('index')}"})
    # the drawing's box: the nodes' and room for the bowed edges' labels around them
    left = min(node["x"] for node in nodes) - NODE_W / 2 - MARGIN
    top = min(node["y"] for node in nodes) - NODE_H / 2 - (MARGIN if n > 1 else 70)
    for node in nodes:
        node["x"], node["y"] = round(node["x"] - left, 1), round(node["y"] - top, 1)
    centre = (cx - left, cy - top)
    edges = [_edge(step, nodes[i], nodes[(i + 1) % n], centre, n)
             for i, step in enumerate(steps)]
    width = max(node["x"] for node in nodes) + NODE_W / 2 + MARGIN
    height = max(node["y"] for node in nodes) + NODE_H / 2 + MARGIN
    return {"width": round(width, 1), "height": round(height, 1), "nodes": nodes,
            "edges": edges}


def _edge(step: Mapping[str, Any], a: Mapping[str, Any], b: Mapping[str, Any],
          centre: tuple[float, float], n: int) -> dict[str, Any]:
    """A curve from node ``a`` to node ``b``, bowed away from the centre (for two nodes,
    each edge to its own side; for one, a loop above it)."""
    rel = step.get("rel", "")
    colour = REL_COLOURS.get(rel, "#444444")
    key = step.get("key")
    label = rel if key is None else f"{rel} {_text(key)}"
    if n == 1:  # a transaction depending on itself: a loop above the node
        x, y = a["x"], a["y"] - NODE_H / 2
        path = f"M{x - 10},{y} C{x - 40},{y - 60} {x + 40},{y - 60} {x + 10},{y}"
        arrow = _arrow((x + 10, y), (x + 40, y - 60))
        return {"from": step.get("from"), "to": step.get("to"), "rel": rel, "colour": colour,
                "path": path, "arrow": arrow, "label": label, "lx": x, "ly": y - 50,
                "tip": step.get("text", "")}
    (ax, ay), (bx, by) = (a["x"], a["y"]), (b["x"], b["y"])
    mx, my = (ax + bx) / 2, (ay + by) / 2
    dx, dy = bx - ax, by - ay
    length = math.hypot(dx, dy) or 1.0
    nx, ny = dy / length, -dx / length  # a normal; turned to point away from the centre
    if n > 2 and (mx - centre[0]) * nx + (my - centre[1]) * ny < 0:
        nx, ny = -nx, -ny
    bow = 26.0 if n == 2 else 14.0
    qx, qy = mx + nx * bow, my + ny * bow
    start = _border((ax, ay), (qx, qy))
    end = _border((bx, by), (qx, qy))
    return {"from": step.get("from"), "to": step.get("to"), "rel": rel, "colour": colour,
            "path": f"M{start[0]:.1f},{start[1]:.1f} Q{qx:.1f},{qy:.1f} {end[0]:.1f},{end[1]:.1f}",
            "arrow": _arrow(end, (qx, qy)), "label": label,
            "lx": round(mx + nx * (bow + 8), 1), "ly": round(my + ny * (bow + 8) + 4, 1),
            "tip": step.get("text", "")}


def _border(node: tuple[float, float], towards: tuple[float, float]) -> tuple[float, float]:
    """Where the line from the node's centre towards ``towards`` leaves its box."""
    dx, dy = towards[0] - node[0], towards[1] - node[1]
    if dx == 0 and dy == 0:
        return node
    scale = min((NODE_W / 2 + 3) / abs(dx) if dx else math.inf,
                (NODE_H / 2 + 3) / abs(dy) if dy else math.inf)
    return node[0] + dx * scale, node[1] + dy * scale


def _arrow(tip: tuple[float, float], came_from: tuple[float, float]) -> str:
    """The points of an arrowhead at ``tip``, pointing away from ``came_from``."""
    dx, dy = tip[0] - came_from[0], tip[1] - came_from[1]
    length = math.hypot(dx, dy) or 1.0
    ux, uy = dx / length, dy / length
    back = (tip[0] - ux * 9, tip[1] - uy * 9)
    left = (back[0] - uy * 4.5, back[1] + ux * 4.5)
    right = (back[0] + uy * 4.5, back[1] - ux * 4.5)
    return " ".join(f"{x:.1f},{y:.1f}" for x, y in (tip, left, right))


def _text(value: Any) -> str:
    text = value if isinstance(value, str) else repr(value)
    return text if len(text) <= LABEL_CHARS else text[:LABEL_CHARS - 1] + "\u2026"


__all__ = ["MAX_NODES", "REL_COLOURS", "REL_WORDS", "cycle_layout"]
