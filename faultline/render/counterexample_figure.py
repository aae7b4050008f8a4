"""A linearizability counterexample drawn, in the spirit of Porcupine's visualization.

For the illegal key: the ops around the op that cannot be linearized, each process a
lane, each op a bar from its invocation to its completion (an op whose outcome is unknown
runs to the right edge), coloured by outcome. The last ops of the longest linearizable
prefix carry their place in it and a linearization point (the points, joined, are the
order the search found); the register's value after each of them runs along a lane of
its own; the prefix's end is a line, the failing op is outlined in red, the op it
conflicts with (when the write-order constraints proved it) in orange, the write whose
value it read (when values are unique) in green.

:func:`figure_data` computes all of that as data (lanes, bars, marks, in seconds since the
test started, or in history indices when there is no history); :func:`counterexample_figure`
draws it as inline SVG with the table of the ops concurrent with the failing one.
"""

from __future__ import annotations

import json
from typing import Any, Mapping, Sequence

from markupsafe import Markup

from faultline.core.history import History
from faultline.core.op import NEMESIS
from faultline.render.markup import render_template
from faultline.render.plots import OUTCOME_STYLE

PREFIX_SHOWN = 12
"""Ops of the prefix drawn: its end, which is what explains the failing op."""
CONCURRENT_SHOWN = 20
"""Ops still pending with the failing op drawn (the table lists them all)."""
OTHERS_SHOWN = 20
"""Other ops of the key within the window drawn for context (failed ops and reads of
unknown outcome, which the search drops; ops invoked after the failing op completed)."""
VALUE_CHARS = 18
NS = 1_000_000_000


def figure_data(cx: Mapping[str, Any], history: History | None = None, *,
                prefix_shown: int = PREFIX_SHOWN, concurrent_shown: int = CONCURRENT_SHOWN,
                others_shown: int = OTHERS_SHOWN) -> dict[str, Any]:
    """What the drawing of counterexample ``cx`` shows (see the module docstring).

    ``{"unit": "s" | "index", "window": [t0, t1], "lanes": [process, ...],
    "bars": [{"index", "completed", "process", "lane", "start", "end" (None: outcome
    unknown, open to the end), "outcome", "role", "order" (1-based place in the prefix or
    None), "point" (its linearization point, prefix ops only), "state" (after it),
    "description"}], "values": [{"from", "to", "value"}], "prefix_end": t | None,
    "prefix_len": n, "hidden_prefix": n, "failing": index | None, "final_state": ...,
    "long_pending": [index, ...] (pending ops invoked before the window and never
    completed: not drawn, the table lists them), "searched": bool (False when the
    write-order constraints proved it without a search)}``
    """
    when = _clock(history)
    prefix = list(cx.get("prefix") or [])
    points = linearization_points(prefix, when)
    chosen: dict[int, tuple[str, Mapping[str, Any], int | None]] = {}

    def take(entry: Any, role: str, order: int | None = None) -> None:
        """Draw ``entry`` in ``role``, unless it has one already: roles are taken in order
        of precedence (failing, conflict, witness, source, prefix, concurrent)."""
        if isinstance(entry, Mapping) and isinstance(entry.get("index"), int):
            chosen.setdefault(entry["index"], (role, entry, order))

    take(cx.get("op"), "failing")
    take(cx.get("conflict"), "conflict")
    take(cx.get("witness"), "witness")
    take(cx.get("source"), "source")
    first_shown = max(0, len(prefix) - prefix_shown)
    for k in range(first_shown, len(prefix)):
        take(prefix[k], "prefix", k + 1)
    for entry in (cx.get("concurrent") or [])[:concurrent_shown]:
        take(entry, "concurrent")

    bars = [_bar(entry, role, order, when) for role, entry, order in chosen.values()]
    for bar in bars:
        if bar["order"] is not None:
            bar["point"] = points[bar["order"] - 1]
            bar["state"] = prefix[bar["order"] - 1].get("state")
    window = _window(bars)
    # pending since before the window and to the end: a bar across the whole figure says
    # nothing the table below does not, so these are counted, not drawn
    long_pending = [b["index"] for b in bars if b["role"] == "concurrent"
                    and b["end"] is None and b["start"] < window[0]]
    bars = [b for b in bars if b["index"] not in long_pending]
    if history is not None and bars:
        known = {b["index"] for b in bars} | {e.get("index") for e in prefix} | \
            set(long_pending)
        bars += _others(cx, history, known, window, when, others_shown)
    lanes = sorted({b["process"] for b in bars}, key=_process_order)
    lane_of = {p: i for i, p in enumerate(lanes)}
    for bar in bars:
        bar["lane"] = lane_of[bar["process"]]
    bars.sort(key=lambda b: (b["start"], b["index"]))
    shown_prefix = [b for b in bars if b["order"] is not None]
    shown_prefix.sort(key=lambda b: b["order"])
    values = [{"from": b["point"], "to": nxt["point"] if nxt else window[1],
               "value": b["state"]}
              for b, nxt in zip(shown_prefix, [*shown_prefix[1:], None])]
    if values and first_shown > 0:  # the value the first op shown found
        values.insert(0, {"from": window[0], "to": values[0]["from"],
                          "value": prefix[first_shown - 1].get("state")})
    values = _merged(values)
    failing = cx.get("op")
    return {
        "unit": "s" if has_times(history) else "index",
        "window": window,
        "lanes": lanes,
        "bars": bars,
        "values": values,
        "prefix_end": points[-1] if points else None,
        "prefix_len": len(prefix),
        "hidden_prefix": first_shown,
        "failing": failing.get("index") if isinstance(failing, Mapping) else None,
        "final_state": cx.get("state"),
        "long_pending": long_pending,
        "searched": bool(prefix) or "conflict" not in cx,
    }


def _merged(values: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Consecutive spans of the same value (reads leave it as it was) as one."""
    out: list[dict[str, Any]] = []
    for v in values:
        if out and out[-1]["value"] == v["value"]:
            out[-1]["to"] = v["to"]
        else:
            out.append(dict(v))
    return out


def linearization_points(prefix: Sequence[Mapping[str, Any]], when: Any) -> list[float]:
    """A time within each prefix op's bar, never decreasing along the prefix: each as late
    as it can be (its completion, or the next op's point when that is earlier), the last
    op of unknown outcome at its invocation or the previous point. A linearization
    respects real time, so every point falls within its op's bar."""
    points: list[float] = [0.0] * len(prefix)
    earliest = float("-inf")
    for entry in prefix:
        earliest = max(earliest, when(entry.get("index")))
    later = float("inf")
    for k in range(len(prefix) - 1, -1, -1):
        completed = prefix[k].get("completed")
        end = when(completed) if completed is not None else float("inf")
        later = min(later, end)
        points[k] = later
    if points and points[-1] == float("inf"):  # the last op never completed
        points[-1] = earliest
        for k in range(len(prefix) - 2, -1, -1):
            points[k] = min(points[k], points[k + 1])
    return points


def has_times(history: History | None) -> bool:
    """Whether ``history`` says when its ops happened (imported and synthetic ones may not)."""
    return history is not None and len(history) > 1 and history[-1].time > history[0].time


def _clock(history: History | None) -> Any:
    """History index -> time on the figure's axis: seconds (with a history that has times)
    or the index."""
    if not has_times(history):
        return lambda i: float(i)
    n = len(history)
    return lambda i: history[i].time / NS if isinstance(i, int) and 0 <= i < n else float(i)


def _bar(entry: Mapping[str, Any], role: str, order: int | None, when: Any) -> dict[str, Any]:
    completed = entry.get("completed")
    return {"index": entry["index"], "completed": completed, "process": entry.get("process"),
            "start": when(entry["index"]),
            "end": when(completed) if completed is not None else None,
            "outcome": entry.get("type") or "info", "role": role, "order": order,
            "point": None, "state": None, "f": entry.get("f"),
            "description": entry.get("description") or f"{entry.get('f')} {entry.get('value')!r}"}


def _others(cx: Mapping[str, Any], history: History, shown: set[int], window: list[float],
            when: Any, limit: int) -> list[dict[str, Any]]:
    """Ops of the key within ``window`` that the counterexample does not name (``shown``:
    its ops and the whole prefix): those the search dropped (failed ops, reads of unknown
    outcome) and those invoked after the failing op completed; at most ``limit``, the
    nearest to the failing op."""
    t0, t1 = window
    key = cx.get("key")
    failing = cx.get("op") or {}
    centre = when(failing.get("index")) if isinstance(failing.get("index"), int) else t0
    same_key = (key.__eq__ if isinstance(key, (int, float, str)) or key is None
                else lambda k: _json_key(k) == key)  # JSON only for keys that need it
    found = []
    for pair in history.pairs():
        inv, done = pair.invoke, pair.completion
        if inv.process == NEMESIS or inv.index in shown or same_key(inv.key) is not True:
            continue
        start = when(inv.index)
        known = done is not None and done.type != "info"
        end = when(done.index) if known else None
        if start > t1 or (end is not None and end < t0):
            continue
        value = done.value if known and done.value is not None else inv.value
        found.append({"index": inv.index, "completed": done.index if known else None,
                      "process": inv.process, "start": start, "end": end,
                      "outcome": done.type if done is not None else "info", "role": "other",
                      "order": None, "point": None, "state": None, "f": inv.f,
                      "description": f"{inv.f} {_short(value)}"
                                     + (f" ({done.error})" if done is not None and done.error
                                        else "")})
    found.sort(key=lambda b: abs(b["start"] - centre))
    return found[:limit]


def _json_key(key: Any) -> Any:
    """A history key as the counterexample names it (JSON data: tuples become lists)."""
    return json.loads(json.dumps(key, default=repr))


def _window(bars: Sequence[Mapping[str, Any]]) -> list[float]:
    """The time span drawn: that of the ops that explain the failing one (it, the ops it
    conflicts with, the prefix's end: an op of unknown outcome there by its linearization
    point) and of the pending ops that completed. An op of unknown outcome invoked long
    before is clipped at the left edge rather than stretching the window over the run."""
    spans = []
    for b in bars:
        if b["end"] is not None:
            spans.append((b["start"], b["end"]))
        elif b["role"] == "prefix" and b["point"] is not None:
            spans.append((b["point"], b["point"]))
        elif b["role"] in ("failing", "conflict", "witness", "source"):
            spans.append((b["start"], b["start"]))
    spans = spans or [(b["start"], b["start"]) for b in bars]
    if not spans:
        return [0.0, 1.0]
    t0 = min(a for a, _ in spans)
    t1 = max(z for _, z in spans)
    return [t0, t1 if t1 > t0 else t0 + 1.0]


def _process_order(process: Any) -> tuple[int, Any]:
    return (0, process) if isinstance(process, int) else (1, str(process))


def _short(value: Any) -> str:
    text = json.dumps(value, default=repr)
    return text if len(text) <= VALUE_CHARS else text[:VALUE_CHARS - 1] + "\u2026"


# -- drawing -----------------------------------------------------------------------------
WIDTH = 900
LABEL_W = 96
LANE_H = 26
TOP = 34  # the value lane and the axis labels above the lanes
OPEN_TAIL = 0.04  # share of the width added right of the window for open bars
ROLE_STROKE = {"failing": ("#c00000", 3), "conflict": ("#e07000", 2.5),
               "witness": ("#e07000", 1.5), "source": ("#1b7a1b", 2.5)}


def layout(data: Mapping[str, Any], width: int = WIDTH) -> dict[str, Any]:
    """``data`` in pixels: what the SVG template draws."""
    t0, t1 = data["window"]
    span = (t1 - t0) * (1 + OPEN_TAIL) or 1.0
    x0, x1 = LABEL_W, width - 8

    def x(t: float) -> float:
        return round(x0 + (t - t0) / span * (x1 - x0), 1)

    height = TOP + LANE_H * max(1, len(data["lanes"])) + 22
    bars = []
    for b in data["bars"]:
        left = x(max(b["start"], t0))  # an op open since long before starts at the edge
        right = x(b["end"]) if b["end"] is not None else x1
        stroke, stroke_w = ROLE_STROKE.get(b["role"], ("none", 0))
        label = b["description"] if b["order"] is None else f"#{b['order']} {b['description']}"
        bars.append({**b, "x": left, "w": max(right - left, 2.0),
                     "y": TOP + b["lane"] * LANE_H + 4, "h": LANE_H - 8,
                     "fill": _colour(b["outcome"]),
                     "open": b["end"] is None, "stroke": stroke, "stroke_w": stroke_w,
                     "px": x(max(b["point"], t0)) if b["point"] is not None else None,
                     "label": _fit(label, max(right - left, 2.0)),
                     "tip": _tip(b, data["unit"])})
    points = sorted((b for b in bars if b["px"] is not None), key=lambda b: b["order"])
    values = [{"x": x(v["from"]), "w": max(x(v["to"]) - x(v["from"]), 1.0),
               "text": _fit(_short(v["value"]), x(v["to"]) - x(v["from"]) + 6),
               "full": json.dumps(v["value"], default=repr)} for v in data["values"]]
    ticks = [{"x": x(t0 + (t1 - t0) * i / 4), "text": _tick(t0 + (t1 - t0) * i / 4, data["unit"])}
             for i in range(5)]
    return {"width": width, "height": height, "x0": x0, "x1": x1, "top": TOP,
            "lane_h": LANE_H, "lanes": [{"y": TOP + i * LANE_H, "name": _lane_name(p)}
                                        for i, p in enumerate(data["lanes"])],
            "bars": bars, "path": " ".join(f"{b['px']},{b['y'] + b['h'] / 2}" for b in points),
            "points": points, "values": values, "ticks": ticks,
            "prefix_end": x(data["prefix_end"]) if data["prefix_end"] is not None else None,
            "prefix_end_text": f"prefix ends: {_short(data['final_state'])}",
            "failing": _failing_label(bars, x0, x1),
            "axis_y": height - 6}


FAILING_LABEL_W = 130


def _failing_label(bars: Sequence[Mapping[str, Any]], x0: float,
                   x1: float) -> dict[str, Any] | None:
    """Where "cannot be linearized" goes: beside the failing bar, on the side of its lane
    with room for it (None when neither has: the legend says what the red outline is)."""
    failing = next((b for b in bars if b["role"] == "failing"), None)
    if failing is None:
        return None
    lane = [b for b in bars if b["lane"] == failing["lane"] and b is not failing]
    left, right = failing["x"], failing["x"] + failing["w"]
    room_right = min([b["x"] for b in lane if b["x"] >= right] + [x1]) - right
    room_left = left - max([b["x"] + b["w"] for b in lane if b["x"] + b["w"] <= left] + [x0])
    y = failing["y"] + failing["h"] - 5
    if room_right >= FAILING_LABEL_W:
        return {"x": right + 4, "y": y, "anchor": "start", "text": "\u2190 cannot be linearized"}
    if room_left >= FAILING_LABEL_W:
        return {"x": left - 4, "y": y, "anchor": "end", "text": "cannot be linearized \u2192"}
    return None


def _colour(outcome: str) -> str:
    """An outcome's colour, the plots' (``pending`` is drawn as ``info``: unknown)."""
    return OUTCOME_STYLE.get(outcome, OUTCOME_STYLE["info"]).colour


def _fit(text: str, width_px: float) -> str:
    """``text`` cut to what fits in a bar ``width_px`` wide (about 6 px a character)."""
    chars = int(width_px // 6.2) - 1
    if chars < 3:
        return ""
    return text if len(text) <= chars else text[:chars - 1] + "\u2026"


def _tip(bar: Mapping[str, Any], unit: str) -> str:
    span = f"op #{bar['index']}" + (f"..#{bar['completed']}" if bar["completed"] is not None
                                     else " (outcome unknown)")
    when = (f", {bar['start']:.6f} s" + (f" to {bar['end']:.6f} s" if bar["end"] is not None
                                          else "")) if unit == "s" else ""
    text = f"{span} process {bar['process']}: {bar['description']} [{bar['outcome']}]{when}"
    if bar["order"] is not None:
        text += f"; #{bar['order']} of the prefix, value after it: {_short(bar['state'])}"
    if bar["role"] in ("failing", "conflict", "witness", "source"):
        text += f" ({bar['role']})"
    return text


def _tick(t: float, unit: str) -> str:
    return f"{t:.3f} s" if unit == "s" else f"#{t:.0f}"


def _lane_name(process: Any) -> str:
    return f"process {process}"


def counterexample_figure(cx: Mapping[str, Any], history: History | None = None) -> Markup:
    """The drawing of ``cx`` (inline SVG), its legend and the table of the ops concurrent
    with the failing one, as HTML."""
    data = figure_data(cx, history)
    outcomes = {o: (style.colour, style.name) for o, style in OUTCOME_STYLE.items()}
    return Markup(render_template(
        "counterexample_figure.html", fig=layout(data), data=data, unit=data["unit"],
        outcomes=outcomes, concurrent=_concurrent_rows(cx, history)))


def _concurrent_rows(cx: Mapping[str, Any], history: History | None) -> list[dict[str, Any]]:
    when = _clock(history) if history is not None else None
    rows = []
    for entry in cx.get("concurrent") or []:
        index, completed = entry.get("index"), entry.get("completed")
        rows.append({"index": index, "completed": completed, "process": entry.get("process"),
                     "outcome": entry.get("type"), "description": entry.get("description"),
                     "start": when(index) if when else None,
                     "end": when(completed) if when and completed is not None else None})
    return rows


__all__ = ["counterexample_figure", "figure_data", "layout", "linearization_points"]
