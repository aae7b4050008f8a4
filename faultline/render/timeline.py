"""The series a report plots over time, computed from a history: pure data, no rendering.

:func:`timeline` gives, in seconds since the test started, by client function (``f``):

- ``latency``: every completed op, ``{f: {outcome: {"t_s": [...], "ms": [...]}}}``, ``t_s``
  its invocation and ``ms`` how long it took: nothing is sampled away, the plot draws all;
- ``quantiles``: per window of ``window_s`` seconds (by invocation), the p50, p95, p99 and
  max latency of the completed ops (ok, fail and info: an unknown's latency is how long
  its client waited) of each function, windows without ops left out;
- ``throughput``: completions per second per function and outcome, in buckets of
  ``bucket_s`` seconds (by completion);
- ``total``: completed ops per outcome, and ``pending`` (never completed: no latency,
  only counted);
- ``faults``: when each fault was in effect (:func:`faultline.faults.intervals.fault_intervals`),
  each with a ``label`` saying what was done and a ``short`` one for narrow bands.

Functions are in name order (as the op table has them); past :data:`MAX_FUNCTIONS` the
least frequent are counted together as :data:`OTHER`, so a history with many functions
still makes a page of readable size.
"""

from __future__ import annotations

import math
from collections import Counter
from typing import Any, Iterable, Mapping, Sequence

from faultline.core.history import History
from faultline.core.op import NEMESIS

PLOTTED_OUTCOMES = ("ok", "fail", "info")
QUANTILES = {"p50": 0.5, "p95": 0.95, "p99": 0.99, "max": 1.0}
MAX_WINDOWS = 100
"""Quantile windows: 1 s each, wider for runs longer than this many seconds (so a window
of a long run still holds enough ops for its p99 to mean something)."""
MAX_BUCKETS = 300
"""Throughput buckets: 1 s each, wider for runs longer than this many seconds."""
MAX_FUNCTIONS = 6
OTHER = "other"
NS = 1_000_000_000


def timeline(history: History) -> dict[str, Any]:
    """``{"duration_s", "functions", "latency", "quantiles", "throughput", "total",
    "faults"}`` (see the module docstring)."""
    pairs = [p for p in history.pairs() if p.invoke.process != NEMESIS]
    done = [p for p in pairs if p.completion is not None and p.completion.type in PLOTTED_OUTCOMES]
    name = function_names(p.invoke.f for p in done)
    functions = sorted(set(name.values()), key=lambda f: (f == OTHER, f))
    latency = {f: {o: {"t_s": [], "ms": []} for o in PLOTTED_OUTCOMES} for f in functions}
    completions = {f: {o: [] for o in PLOTTED_OUTCOMES} for f in functions}
    for pair in done:
        inv, comp = pair.invoke, pair.completion
        f = name[inv.f]
        series = latency[f][comp.type]
        series["t_s"].append(inv.time / NS)
        series["ms"].append((comp.time - inv.time) / 1e6)
        completions[f][comp.type].append(comp.time / NS)
    duration_s = (history[-1].time if len(history) else 0) / NS
    return {
        "duration_s": round(duration_s, 3),
        "functions": functions,
        "latency": latency,
        "quantiles": quantiles(latency, duration_s),
        "throughput": throughput(completions, duration_s),
        "total": {**{o: sum(len(latency[f][o]["ms"]) for f in functions)
                     for o in PLOTTED_OUTCOMES},
                  "pending": len(pairs) - len(done)},
        "faults": faults(history),
    }


def function_names(fs: Iterable[str], most: int = MAX_FUNCTIONS) -> dict[str, str]:
    """Each function's name in the plots: itself, or :data:`OTHER` for the least frequent
    when there are more than ``most``."""
    counts = Counter(fs)
    if len(counts) <= most:
        return {f: f for f in counts}
    kept = {f for f, _ in sorted(counts.items(), key=lambda fc: (-fc[1], fc[0]))[:most - 1]}
    return {f: f if f in kept else OTHER for f in counts}


def bucket_width(duration_s: float, most: int) -> float:
    """1 s, or the fewest whole seconds that cut ``duration_s`` into at most ``most``."""
    return max(1.0, float(math.ceil(duration_s / most)))


def quantile(sorted_values: Sequence[float], q: float) -> float:
    """The nearest-rank ``q`` quantile of non-empty ``sorted_values`` (``q`` = 1: the max)."""
    return sorted_values[max(0, math.ceil(q * len(sorted_values)) - 1)]


def quantiles(latency: Mapping[str, Mapping[str, Mapping[str, list[float]]]],
              duration_s: float, most: int = MAX_WINDOWS) -> dict[str, Any]:
    """``{"window_s", "by_f": {f: {"t_s": [window starts], "p50": [...], "p95", "p99",
    "max"}}}`` over every completed op of each function, windows by invocation time."""
    window_s = bucket_width(duration_s, most)
    by_f = {}
    for f, by_outcome in latency.items():
        windows: dict[int, list[float]] = {}
        for series in by_outcome.values():
            for t, ms in zip(series["t_s"], series["ms"]):
                windows.setdefault(int(t // window_s), []).append(ms)
        out: dict[str, list[float]] = {"t_s": [], **{q: [] for q in QUANTILES}}
        for w in sorted(windows):
            values = sorted(windows[w])
            out["t_s"].append(w * window_s)
            for q, at in QUANTILES.items():
                out[q].append(quantile(values, at))
        by_f[f] = out
    return {"window_s": window_s, "by_f": by_f}


def throughput(completions: Mapping[str, Mapping[str, list[float]]], duration_s: float,
               most: int = MAX_BUCKETS) -> dict[str, Any]:
    """Completions per second, ``{"bucket_s", "start_s": [...], "by_f": {f: {outcome:
    [rate per bucket]}}}``; ``completions`` gives each op's completion time per function
    and outcome. The last bucket may be shorter (the run ends in it)."""
    bucket_s = bucket_width(duration_s, most)
    n = max(1, math.ceil(duration_s / bucket_s))
    # The last bucket ends with the run: its rate is over the time it covers.
    widths = [bucket_s] * (n - 1) + [duration_s - (n - 1) * bucket_s or bucket_s]
    by_f = {}
    for f, by_outcome in completions.items():
        by_f[f] = {}
        for outcome, times in by_outcome.items():
            counts = [0] * n
            for t in times:
                counts[min(int(t / bucket_s), n - 1)] += 1
            by_f[f][outcome] = [c / w for c, w in zip(counts, widths)]
    return {"bucket_s": bucket_s, "start_s": [i * bucket_s for i in range(n)], "by_f": by_f}


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
