"""The page's plots of a :func:`faultline.render.timeline.timeline`, drawn with matplotlib:
rendering only.

Three figures, in the spirit of Jepsen's perf plots, each with a row per client function
on one time axis: the latency of every op (log scale; ok, fail and info in distinct colours
and marker shapes), the latency quantiles per window (p50, p95, p99, max) and the
throughput per outcome. Above each, a lane per fault kind (named and coloured as
:mod:`faultline.render.faults` says) shows when that fault was in effect, each interval
labelled with what was done, and every interval shades the rows below.

Each figure is SVG inlined in the page: text stays text, and the op markers are one
embedded bitmap (``rasterized``), so every op is drawn at any size of run and the page's
size does not grow with it. matplotlib is imported when a page is drawn, not before (the
CLI starts without it).
"""

from __future__ import annotations

import io
import math
import re
from typing import TYPE_CHECKING, Any, Callable, Mapping, NamedTuple, Sequence

from markupsafe import Markup, escape

from faultline.render.faults import fault_look, fault_looks, lane_order

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure


class OutcomeStyle(NamedTuple):
    """How the ops of one outcome are drawn, and what a reader calls the outcome."""

    colour: str
    marker: str
    size: float
    opacity: float
    name: str


OUTCOME_STYLE = {
    # Drawn in this order: the common, benign failed CAS below, the unknowns (which matter
    # most) on top.
    "fail": OutcomeStyle("#d62728", "x", 3.0, 0.6, "fail (did not happen)"),
    "ok": OutcomeStyle("#3a6fb0", "o", 2.0, 0.5, "ok"),
    "info": OutcomeStyle("#f08c00", "^", 3.5, 0.9, "info (outcome unknown)"),
}
QUANTILE_COLOURS = {"p50": "#9ecae1", "p95": "#4292c6", "p99": "#08519c", "max": "#08306b"}
WIDTH_IN, LEFT_IN, RIGHT_IN = 11.0, 1.2, 0.2
ROW_IN, LANE_IN, GAP_IN = 1.6, 0.24, 0.15
TOP_IN, BOTTOM_IN = 0.35, 0.45
DPI = 100
"""Of the op markers' bitmap: 1100 px across, as wide as the page shows it."""
FONT_PT = 8.5
MIN_LATENCY_MS = 1e-3
"""A latency below 1 µs (clocks of a fake or imported history) is drawn at 1 µs: a log axis
has no zero."""
RC = {"svg.fonttype": "none", "svg.hashsalt": "faultline", "font.size": FONT_PT,
      "axes.spines.top": False, "axes.spines.right": False}
"""Text as SVG text (smaller, and a browser's search finds it); ids hashed with a fixed
salt, so the same run draws the same page."""


def figures(timeline: Mapping[str, Any]) -> list[dict[str, Any]]:
    """The page's plots: ``{"name", "title", "svg" (Markup), "note"}`` each; none when no
    client op completed."""
    if not timeline["functions"]:
        return []
    total = timeline["total"]
    drawn = sum(total[o] for o in OUTCOME_STYLE)
    pending = f"; {total['pending']} never completed (no latency, not drawn)" \
        if total["pending"] else ""
    faults = timeline["faults"]
    shaded = (f"{len(faults)} fault interval{'s' if len(faults) != 1 else ''} shaded, each "
              "in its fault's lane above the plot (hover a band for what was done)"
              if faults else "no faults")
    tips = fault_tips(timeline)
    return [
        {"name": "latency", "title": "Latency of every operation, by function",
         "svg": svg("latency", latency_figure(timeline), tips),
         "note": f"all {drawn} completed ops drawn{pending}; {shaded}"},
        {"name": "quantiles",
         "title": f"Latency quantiles ({timeline['quantiles']['window_s']:g} s windows), "
                  "by function",
         "svg": svg("quantiles", quantiles_figure(timeline), tips),
         "note": "p50, p95, p99 and max over the ops invoked in each window, "
                 "whatever their outcome"},
        {"name": "throughput",
         "title": f"Throughput ({timeline['throughput']['bucket_s']:g} s buckets), "
                  "by function and outcome",
         "svg": svg("throughput", throughput_figure(timeline), tips),
         "note": "completions per second"},
    ]


def latency_figure(timeline: Mapping[str, Any]) -> "Figure":
    """Every completed op: latency (log) against invocation time, a row per function."""
    return _figure(timeline, _latency_row, log_latency=True)


def quantiles_figure(timeline: Mapping[str, Any]) -> "Figure":
    """p50, p95, p99 and max latency (log) per window, a row per function."""
    return _figure(timeline, _quantile_row, log_latency=True)


def throughput_figure(timeline: Mapping[str, Any]) -> "Figure":
    """Completions per second per outcome, a row per function."""
    return _figure(timeline, _throughput_row, log_latency=False)


Row = Callable[["Axes", Mapping[str, Any], str], Sequence[Any]]
"""Draws function ``f``'s row of a figure; returns the artists for the legend."""


def _figure(timeline: Mapping[str, Any], row: Row, *, log_latency: bool) -> "Figure":
    """A lane axes for the faults (when any), then a row per function drawn by ``row``,
    all rows on one y scale: latency (log) or, without ``log_latency``, rates from 0."""
    import matplotlib

    with matplotlib.rc_context(RC):
        return _draw(timeline, row, log_latency)


def _draw(timeline: Mapping[str, Any], row: Row, log_latency: bool) -> "Figure":
    from matplotlib.figure import Figure

    functions, faults = timeline["functions"], timeline["faults"]
    looks = fault_looks()
    lanes = lane_order((f["fault"] for f in faults), looks)
    heights = ([LANE_IN * len(lanes)] if lanes else []) + [ROW_IN] * len(functions)
    height = sum(heights) + GAP_IN * (len(heights) - 1) + TOP_IN + BOTTOM_IN
    fig = Figure(figsize=(WIDTH_IN, height), dpi=DPI)
    # Fixed margins in inches, so that the time axes of all plots line up on the page.
    grid = fig.add_gridspec(len(heights), 1, height_ratios=heights, left=LEFT_IN / WIDTH_IN,
                            right=1 - RIGHT_IN / WIDTH_IN, top=1 - TOP_IN / height,
                            bottom=BOTTOM_IN / height,
                            hspace=GAP_IN / (sum(heights) / len(heights)))
    axes = grid.subplots(sharex=True, squeeze=False)[:, 0]
    duration = max(timeline["duration_s"], 1e-3)
    if lanes:
        _fault_lanes(axes[0], faults, lanes, looks, duration)
        axes = axes[1:]
    for ax in axes[1:]:
        ax.sharey(axes[0])  # one scale: the rows compare
    handles: dict[str, Any] = {}
    for n, (ax, f) in enumerate(zip(axes, functions)):
        for artist in row(ax, timeline, f):
            handles.setdefault(artist.get_label(), artist)
        _shade(ax, n, faults, looks, duration)
        ax.set_ylabel(f, rotation=0, ha="right", va="center", fontweight="bold", labelpad=10)
        ax.grid(True, color="#e4e4e4", linewidth=0.6)
        ax.set_axisbelow(True)
    if log_latency:
        _log_latency_axis(axes[0])
    else:
        axes[0].set_ylim(bottom=0)
    axes[-1].set_xlim(0, duration)
    axes[-1].set_xlabel("seconds since the test started")
    if handles:
        fig.legend(list(handles.values()), list(handles.keys()), loc="upper center",
                   bbox_to_anchor=(0.5, 1.0), ncols=len(handles), frameon=False, markerscale=2)
    return fig


def _latency_row(ax: "Axes", timeline: Mapping[str, Any], f: str) -> list[Any]:
    import numpy as np

    artists = []
    total = timeline["total"]
    for outcome, style in OUTCOME_STYLE.items():
        series = timeline["latency"][f][outcome]
        if not series["ms"]:
            continue
        ms = np.maximum(np.asarray(series["ms"], dtype=float), MIN_LATENCY_MS)
        (line,) = ax.plot(series["t_s"], ms, linestyle="none", marker=style.marker,
                          markersize=style.size,
                          markeredgewidth=0.8 if style.marker == "x" else 0,
                          color=style.colour, alpha=style.opacity, rasterized=True,
                          label=f"{style.name}: {total[outcome]}")
        artists.append(line)
    return artists


def _quantile_row(ax: "Axes", timeline: Mapping[str, Any], f: str) -> list[Any]:
    quantiles = timeline["quantiles"]
    series = quantiles["by_f"][f]
    mid = [t + quantiles["window_s"] / 2 for t in series["t_s"]]
    artists = []
    for q, colour in QUANTILE_COLOURS.items():
        values = [max(v, MIN_LATENCY_MS) for v in series[q]]
        (line,) = ax.plot(mid, values, color=colour, linewidth=1.2, label=q)
        artists.append(line)
    return artists


def _throughput_row(ax: "Axes", timeline: Mapping[str, Any], f: str) -> list[Any]:
    tp = timeline["throughput"]
    mid = [t + tp["bucket_s"] / 2 for t in tp["start_s"]]
    artists = []
    for outcome, style in OUTCOME_STYLE.items():
        rates = tp["by_f"][f][outcome]
        if any(rates):
            (line,) = ax.plot(mid, rates, color=style.colour, linewidth=1.2, label=style.name)
            artists.append(line)
    ax.text(1.0, 1.0, "ops/s", transform=ax.transAxes, ha="right", va="top", color="#555")
    return artists


def _log_latency_axis(ax: "Axes") -> None:
    """Log scale, ticks named as durations: every decade, and 2 and 5 times it when the
    data spans less than two decades (else a row could show a single tick)."""
    from matplotlib.ticker import FuncFormatter, LogLocator, NullFormatter

    ax.set_yscale("log")
    low, high = ax.get_ylim()
    subs = (1.0, 2.0, 5.0) if math.log10(high / low) < 2 else (1.0,)
    ax.yaxis.set_major_locator(LogLocator(base=10, subs=subs))
    ax.yaxis.set_major_formatter(FuncFormatter(lambda ms, _: duration_label(ms)))
    ax.yaxis.set_minor_formatter(NullFormatter())


def duration_label(ms: float) -> str:
    """A latency axis tick: ``1 ms``, ``100 ms``, ``10 s``, ``1 µs``."""
    if ms >= 1000:
        return f"{ms / 1000:g} s"
    if ms < 1:
        return f"{ms * 1000:g} µs"
    return f"{ms:g} ms"


def _shade(ax: "Axes", row: int, faults: Sequence[Mapping[str, Any]],
           looks: Mapping[str, Any], duration: float) -> None:
    for i, fault in enumerate(faults):
        start, stop = _span(fault, duration)
        band = ax.axvspan(start, stop, color=fault_look(fault["fault"], looks).colour,
                          alpha=0.13, linewidth=0)
        band.set_gid(f"fault{i}-{row}")  # svg() gives it the fault's tip


def _span(fault: Mapping[str, Any], duration: float) -> tuple[float, float]:
    """Where a fault's band is drawn: to the end of the run when never healed, and never
    thinner than a visible sliver."""
    stop = fault["stop"] if fault["stop"] is not None else duration
    return fault["start"], max(stop, fault["start"] + duration * 0.002)


def _fault_lanes(ax: "Axes", faults: Sequence[Mapping[str, Any]], lanes: Sequence[str],
                 looks: Mapping[str, Any], duration: float) -> None:
    """A lane per fault kind, a bar per interval with the longest label that fits in it,
    after it (before the lane's next bar) or before it (after the lane's previous bar); the
    lane's name says the kind in any case."""
    s_per_char = duration / (WIDTH_IN * 0.85 * 72) * FONT_PT * 0.6
    pad = s_per_char / 2
    last_stop: dict[str, float] = {}  # per lane, where its previous bar ends
    for i, fault in enumerate(faults):
        kind = fault["fault"]
        lane = len(lanes) - 1 - lanes.index(kind)
        start, stop = _span(fault, duration)
        bar = ax.broken_barh([(start, stop - start)], (lane + 0.12, 0.76),
                             color=fault_look(kind, looks).colour)
        bar.set_gid(f"fault{i}")
        after = min((f["start"] for f in faults[i + 1:] if f["fault"] == kind),
                    default=duration) - stop
        before = start - last_stop.get(kind, 0.0)
        last_stop[kind] = stop
        still_on = " (still on at the end)" if fault["stop"] is None else ""
        for label in dict.fromkeys((fault["label"], fault.get("short", ""), kind)):
            text = label + still_on
            need = (len(text) + 1) * s_per_char
            if not label:
                continue
            if need <= stop - start:
                ax.text(start + pad, lane + 0.5, text, va="center", color="white",
                        fontweight="bold")
            elif need <= after:
                ax.text(stop + pad, lane + 0.5, text, va="center", color="#333")
            elif need <= before:
                ax.text(start - pad, lane + 0.5, text, va="center", ha="right", color="#333")
            else:
                continue
            break
    ax.set_ylim(0, len(lanes))
    ax.set_yticks([len(lanes) - 0.5 - i for i in range(len(lanes))],
                  [fault_look(kind, looks).label for kind in lanes])
    ax.tick_params(axis="y", length=0)
    ax.tick_params(axis="x", labelbottom=False, length=0)
    for side in ("left", "bottom"):
        ax.spines[side].set_visible(False)


def fault_tips(timeline: Mapping[str, Any]) -> list[str]:
    """Per fault interval, the text a reader sees hovering its band or bar: the full label
    and when (``partition n1 x n2,n3: 12.0-31.5 s``)."""
    tips = []
    for fault in timeline["faults"]:
        stop = fault["stop"] if fault["stop"] is not None else timeline["duration_s"]
        still_on = " (still on at the end)" if fault["stop"] is None else ""
        tips.append(f"{fault['label']}: {fault['start']:.1f}-{stop:.1f} s{still_on}")
    return tips


_ID = re.compile(r'(\bid="|url\(#|href="#)([^")]+)')
_FAULT_GROUP = re.compile(r'<g id="fault(\d+)(?:-\d+)?">')


def svg(name: str, fig: "Figure", tips: Sequence[str] = ()) -> Markup:
    """``fig`` as an ``<svg>`` element for inlining: no XML prolog, ids prefixed with
    ``name`` so that the page's several plots keep their ids apart, and each fault's band
    and bar titled with ``tips[i]`` (a browser shows it on hover)."""
    import matplotlib

    out = io.StringIO()
    with matplotlib.rc_context(RC):
        fig.savefig(out, format="svg", metadata={"Date": None, "Creator": None,
                                                 "Format": None, "Type": None})
    text = out.getvalue()
    text = text[text.index("<svg"):]
    text = _FAULT_GROUP.sub(
        lambda m: m.group(0) + (f"<title>{escape(tips[int(m.group(1))])}</title>"
                                if int(m.group(1)) < len(tips) else ""), text)
    return Markup(_ID.sub(lambda m: f"{m.group(1)}{name}-{m.group(2)}", text))
