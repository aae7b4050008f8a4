"""The series a report plots over time, computed from a history: pure data, no rendering.

:func:`timeline` gives, in seconds since the test started:

- ``points``: client ops as ``[t_s, latency_ms, outcome, f]`` (``t_s`` the invocation),
  sampled to at most ``max_points`` so a long run still makes a page a browser opens
  quickly: every ``fail``/``info`` op while they fit in their share, the slowest ``ok`` ops
  (the outliers faults cause are what a reader looks for), then every k-th of the rest;
  ``total`` and ``shown`` count ops per outcome before and after sampling;
- ``throughput``: completions per second in fixed buckets, per outcome;
- ``faults``: when each fault was in effect (:func:`faultline.faults.intervals.fault_intervals`),
  each with a ``label`` saying what was done and a ``short`` one for narrow bands.

An op never completed (``pending``) has no latency and is only counted.
"""

from __future__ import annotations

import math
from typing import Any, Mapping

from faultline.core.history import History
from faultline.core.op import NEMESIS

PLOTTED_OUTCOMES = ("ok", "fail", "info")
MAX_POINTS = 6000
"""Points in the latency plot: ~60 bytes of SVG each, so a few hundred kB at most."""
SLOWEST_KEPT = 0.1
"""Share of the ``ok`` budget given to the slowest ``ok`` ops, always shown."""
MAX_BUCKETS = 300
"""Throughput buckets: 1 s each, wider for runs longer than this many seconds."""
NS = 1_000_000_000


def timeline(history: History, *, max_points: int = MAX_POINTS) -> dict[str, Any]:
    """``{"duration_s", "points", "total", "shown", "throughput", "faults"}`` (see the module
    docstring)."""
    by_outcome: dict[str, list[list[Any]]] = {o: [] for o in PLOTTED_OUTCOMES}
    pending = 0
    end_ns = history[-1].time if len(history) else 0
    for pair in history.pairs():
        inv, done = pair.invoke, pair.completion
        if inv.process == NEMESIS:
            continue
        if done is None or done.type not in by_outcome:
            pending += 1
            continue
        by_outcome[done.type].append(
            [round(inv.time / NS, 4), round((done.time - inv.time) / 1e6, 3), done.type, inv.f])
    total = {o: len(by_outcome[o]) for o in PLOTTED_OUTCOMES}
    points = _sample(by_outcome, max_points)
    shown = {o: sum(1 for p in points if p[2] == o) for o in PLOTTED_OUTCOMES}
    duration_s = end_ns / NS
    return {
        "duration_s": round(duration_s, 3),
        "points": points,
        "total": {**total, "pending": pending},
        "shown": shown,
        "throughput": throughput(history, duration_s),
        "faults": faults(history),
    }


def _sample(by_outcome: Mapping[str, list[list[Any]]], max_points: int) -> list[list[Any]]:
    """At most ``max_points`` points: failures and unknowns first (each up to a quarter of
    the budget), then the slowest ok ops, then an even stride through the other ok ops."""
    kept: list[list[Any]] = []
    for outcome in ("info", "fail"):
        kept += _stride(by_outcome[outcome], max_points // 4)
    ok = by_outcome["ok"]
    budget = max(max_points - len(kept), 0)
    if len(ok) <= budget:
        kept += ok
    else:
        slow_n = int(budget * SLOWEST_KEPT)
        by_latency = sorted(range(len(ok)), key=lambda i: ok[i][1], reverse=True)
        slow = set(by_latency[:slow_n])
        rest = [p for i, p in enumerate(ok) if i not in slow]
        kept += [ok[i] for i in sorted(slow)] + _stride(rest, budget - slow_n)
    kept.sort(key=lambda p: p[0])
    return kept


def _stride(items: list[Any], n: int) -> list[Any]:
    """``n`` items evenly spread over ``items`` (all of them when they fit)."""
    if len(items) <= n:
        return list(items)
    if n <= 0:
        return []
    step = len(items) / n
    return [items[int(i * step)] for i in range(n)]


def throughput(history: History, duration_s: float) -> dict[str, Any]:
    """Client completions per second per outcome, in buckets of ``bucket_s`` seconds:
    ``{"bucket_s", "start_s": [...], "ok": [...], "fail": [...], "info": [...]}``."""
    bucket_s = max(1.0, math.ceil(duration_s / MAX_BUCKETS))
    n = max(1, math.ceil(duration_s / bucket_s))
    counts = {o: [0] * n for o in PLOTTED_OUTCOMES}
    for op in history:
        if op.process == NEMESIS or op.type not in counts:
            continue
        counts[op.type][min(int(op.time / NS / bucket_s), n - 1)] += 1
    return {
        "bucket_s": bucket_s,
        "start_s": [i * bucket_s for i in range(n)],
        **{o: [c / bucket_s for c in counts[o]] for o in PLOTTED_OUTCOMES},
    }


def faults(history: History) -> list[dict[str, Any]]:
    """The intervals each fault was in effect, ``stop`` None while still on at the end,
    with a ``label`` for the plot (fault kind and the nodes it hit)."""
    from faultline.faults.intervals import fault_intervals  # the faults own what starts one

    return [{"fault": i["fault"], "start": i["start"], "stop": i["stop"],
             "label": fault_label(i["fault"], i["value"]),
             "short": short_label(i["fault"], i["value"])}
            for i in fault_intervals(history)]


def short_label(fault: str, value: Any) -> str:
    """The fault and how its targets were chosen (``partition random-halves``, ``kill
    leader``): for a band too narrow for :func:`fault_label`."""
    if isinstance(value, Mapping):
        how = value.get("shape") or value.get("target")
        if isinstance(how, str) and how:
            return f"{fault} {how}"
    return fault


def fault_label(fault: str, value: Any) -> str:
    """``kill n1,n3``, ``partition n2 x n1,n3``, ``clock n1 +3.5s``: what a reader needs
    beside a shaded band; the history has the rest."""
    if not isinstance(value, Mapping):
        return fault
    grudge = value.get("grudge")
    if isinstance(grudge, Mapping) and grudge:
        return f"{fault} {_grudge_text(grudge)}"
    deltas = value.get("deltas") or value.get("offsets")
    if isinstance(deltas, Mapping) and any(deltas.values()):
        shown = ", ".join(f"{n} {d:+g}s" for n, d in sorted(deltas.items())
                          if isinstance(d, (int, float)) and d)
        return f"{fault} {shown}"
    nodes = value.get("nodes")
    if isinstance(nodes, (list, tuple)) and nodes:
        return f"{fault} {','.join(map(str, nodes))}"
    return fault


def _grudge_text(grudge: Mapping[str, Any]) -> str:
    """Nodes grouped by whom they cannot hear: ``n1 x n2,n3`` for an isolated n1."""
    cut = sorted((str(n), sorted(map(str, others))) for n, others in grudge.items() if others)
    return "; ".join(f"{n} x {','.join(others)}" for n, others in cut[:3]) + \
        ("; ..." if len(cut) > 3 else "")
