"""The whole run as a timeline (Jepsen's timeline.html is the anchor): every client op a
bar from its invocation to its completion on its process's lane, coloured by outcome,
faults as bands; usable at 100,000 ops and more, where Jepsen's page stops at 10,000.

A process that crashed (its op ended ``info``) never issues again; its worker goes on as a
new process. Lanes are therefore worker slots: a process takes the lowest lane free when it
first invokes, so a run of N workers has N lanes however many processes it went through
(a lane's label names its processes).

:func:`timeline_data` computes compact columns (times in microseconds since the test
started, starts delta-encoded, functions and outcomes as small ints) that a small inline
script draws on a canvas: zoom with the wheel or by dragging a window on the overview,
pan by dragging, double-click for the whole run, hover an op for what it was. Nothing is
loaded from the network. :func:`decode_ops` reads the columns back (for tests and tools).
"""

from __future__ import annotations

import heapq
import json
from typing import Any, Iterator, Mapping

from markupsafe import Markup

from faultline.core.history import History
from faultline.core.op import NEMESIS
from faultline.render.faults import fault_look, fault_looks
from faultline.render.markup import render_template
from faultline.render.plots import OUTCOME_STYLE
from faultline.render.timeline import faults

OUTCOMES = ("ok", "fail", "info", "pending")
"""Outcome codes of the ``o`` column, in order."""
VALUE_CHARS = 24
"""An op's value in the tooltip is cut to this many characters (the history has it all)."""
US = 1_000


def timeline_data(history: History) -> dict[str, Any]:
    """``{"end_us", "lanes": [[[process, first_us], ...] per lane], "fs": [f, ...],
    "outcomes", "ops": {"dt": [...], "d": [...], "l": [...], "o": [...], "f": [...],
    "i": [...], "v": [...], "k": [...]}, "faults": [{"start_us", "stop_us", "label",
    "colour", "fault"}]}``.

    Column ``dt``: the invocation time (microseconds) minus the previous op's (ops in
    invocation order); ``d``: the duration (for ``info``, until the client gave up on it),
    -1 for an op never completed (it runs to the end); ``l``: the lane; ``o``: the
    outcome code (:data:`OUTCOMES`); ``f``: the index in ``fs``; ``i``: the invocation's
    history index minus the previous op's; ``v``: the value (a scalar or a short list of
    scalars as it is, else short JSON; with the error, if any); ``k``: the key (None
    without one).
    """
    ops = list(_client_pairs(history))
    end_us = history[-1].time // US if len(history) else 0
    lane_of, lanes = _lanes(ops, end_us)
    fs: dict[str, int] = {}
    code = {o: n for n, o in enumerate(OUTCOMES)}
    dt, d, lane, outcome, f, di, v, k = [], [], [], [], [], [], [], []
    last_t = last_i = 0
    for inv, done in ops:  # ~100,000 times a page: kept to plain appends
        t = inv.time // US
        dt.append(t - last_t)
        di.append(inv.index - last_i)
        last_t, last_i = t, inv.index
        lane.append(lane_of[inv.process])
        f.append(fs.setdefault(inv.f, len(fs)))
        k.append(inv.key if type(inv.key) in _SCALARS else _short(inv.key))
        if done is None:
            d.append(-1)
            outcome.append(code["pending"])
            v.append(_short(inv.value))
        else:
            d.append(done.time // US - t)
            outcome.append(code.get(done.type, code["info"]))
            v.append(_value(inv, done))
    looks = fault_looks()
    bands = [{"fault": i["fault"], "label": i["label"],
              "colour": fault_look(i["fault"], looks).colour,
              "start_us": round(i["start"] * 1e6),
              "stop_us": round(i["stop"] * 1e6) if i["stop"] is not None else None}
             for i in faults(history)]
    return {"end_us": end_us, "lanes": lanes, "fs": list(fs), "outcomes": list(OUTCOMES),
            "ops": {"dt": dt, "d": d, "l": lane, "o": outcome, "f": f, "i": di, "v": v,
                    "k": k}, "faults": bands}


def _client_pairs(history: History) -> Iterator[tuple[Any, Any]]:
    for pair in history.pairs():
        if pair.invoke.process != NEMESIS:
            yield pair.invoke, pair.completion


def _lanes(ops: list[tuple[Any, Any]],
           end_us: int) -> tuple[dict[Any, int], list[list[list[Any]]]]:
    """Each process's lane: the lowest one free when it first invokes (a lane is free
    again once its process's last op completed, ``info`` included: the process never
    issues again; an op never completed keeps it to the end). Each lane is
    ``[[process, first_us], ...]``, its processes in turn and when each began."""
    span: dict[Any, list[int]] = {}
    for inv, done in ops:
        end = done.time // US if done is not None else end_us + 1
        if inv.process in span:
            span[inv.process][1] = max(span[inv.process][1], end)
        else:
            span[inv.process] = [inv.time // US, end]
    lane_of: dict[Any, int] = {}
    lanes: list[list[list[Any]]] = []
    busy: list[tuple[int, int]] = []  # (free from, lane)
    free: list[int] = []
    for process, (first, last) in sorted(span.items(), key=lambda kv: (kv[1][0], str(kv[0]))):
        while busy and busy[0][0] < first:
            heapq.heappush(free, heapq.heappop(busy)[1])
        lane = heapq.heappop(free) if free else len(lanes)
        if lane == len(lanes):
            lanes.append([])
        lanes[lane].append([process, first])
        lane_of[process] = lane
        heapq.heappush(busy, (last, lane))
    return lane_of, lanes


_SCALARS = frozenset({int, float, str, bool, type(None)})
SHORT_LIST = 4


def _short(value: Any) -> Any:
    """A scalar, or a list of at most :data:`SHORT_LIST` numbers (a cas), as it is (the
    page's JSON holds it); anything else as JSON cut to :data:`VALUE_CHARS`."""
    kind = type(value)
    if kind in _SCALARS and (kind is not str or len(value) <= VALUE_CHARS):
        return value
    if kind is list and len(value) <= SHORT_LIST and all(
            type(x) is int or type(x) is float for x in value):
        return value
    return _cut(value if kind is str else json.dumps(value, default=repr))


def _value(inv: Any, done: Any) -> Any:
    """The value the tooltip shows: the completion's (what was read), else the
    invocation's, with the completion's error when it has one."""
    raw = done.value if done.value is not None else inv.value
    if done.error:
        shown = _short(raw)
        return f"{shown if isinstance(shown, str) else json.dumps(shown)} ({done.error})"
    return _short(raw)


def _cut(text: str) -> str:
    return text if len(text) <= VALUE_CHARS else text[:VALUE_CHARS - 1] + "\u2026"


def decode_ops(data: Mapping[str, Any]) -> list[dict[str, Any]]:
    """The ops of :func:`timeline_data`'s columns, decoded: ``{"index", "start_us",
    "end_us" (None: never completed), "lane", "outcome", "f", "value", "key"}``."""
    cols = data["ops"]
    out, t, i = [], 0, 0
    for k in range(len(cols["dt"])):
        t += cols["dt"][k]
        i += cols["i"][k]
        d = cols["d"][k]
        out.append({"index": i, "start_us": t, "end_us": t + d if d >= 0 else None,
                    "lane": cols["l"][k], "outcome": data["outcomes"][cols["o"][k]],
                    "f": data["fs"][cols["f"][k]], "value": cols["v"][k], "key": cols["k"][k]})
    return out


def run_timeline_html(history: History) -> Markup:
    """The whole-run timeline: a canvas, its controls, the data and the script drawing it
    (nothing loaded from elsewhere)."""
    data = timeline_data(history)
    if not data["ops"]["dt"]:
        return Markup("")
    colours = [_colour(o) for o in OUTCOMES]
    payload = json.dumps({**data, "colours": colours}, separators=(",", ":"))
    return Markup(render_template(
        "run_timeline.html", data_json=Markup(_script_safe(payload)), lanes=len(data["lanes"]),
        ops=len(data["ops"]["dt"]), faults=len(data["faults"]),
        legend=list(zip(OUTCOMES, colours))))


PENDING_COLOUR = "#9a9a9a"


def _colour(outcome: str) -> str:
    """The plots' colour of an outcome; grey for an op never completed."""
    return OUTCOME_STYLE[outcome].colour if outcome in OUTCOME_STYLE else PENDING_COLOUR


def _script_safe(text: str) -> str:
    """JSON that cannot end the ``<script>`` element holding it (``</script>``, ``<!--``)."""
    return text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")


__all__ = ["OUTCOMES", "decode_ops", "run_timeline_html", "timeline_data"]
