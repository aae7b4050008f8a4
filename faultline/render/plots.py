"""Inline SVG plots of a :func:`faultline.render.timeline.timeline`: rendering only.

Two plots share one time axis and the fault shading: each op's latency (log scale; ok,
fail and info in distinct colours and shapes) and throughput per outcome. Above each plot
a lane per fault kind (named and coloured as :mod:`faultline.render.faults` says) shows
when that fault was in effect, labelled with what it did (a ``<title>`` on each bar gives
the full label on hover). Plain SVG, no scripts, so the
report stays one self-contained file.
"""

from __future__ import annotations

import math
from typing import Any, Callable, Mapping, Sequence

from faultline.render.faults import fault_look, fault_looks, lane_order
from faultline.render.markup import esc

WIDTH = 1100
LEFT, RIGHT, BOTTOM = 64, 16, 34
LANE_H = 15
PLOT_H = 300
OUTCOME_STYLE = {
    # outcome: (colour, what a reader calls it)
    "ok": ("#3a6fb0", "ok"),
    "fail": ("#d62728", "fail (did not happen)"),
    "info": ("#f08c00", "info (outcome unknown)"),
}
CHAR_W = 5.6
"""Approximate width of a 10 px label character: a label is drawn only where it fits."""


def _f(x: float) -> str:
    return f"{x:.1f}".rstrip("0").rstrip(".")


def nice_step(span: float, target: int = 10) -> float:
    """A 1, 2 or 5 times a power of ten giving about ``target`` ticks over ``span``."""
    if span <= 0:
        return 1.0
    raw = span / target
    power = 10 ** math.floor(math.log10(raw))
    return next(m * power for m in (1, 2, 5, 10) if m * power >= raw)


def _duration_label(ms: float) -> str:
    if ms >= 1000:
        return f"{ms / 1000:g} s"
    return f"{ms:g} ms"


class _Frame:
    """The geometry shared by both plots: time axis, fault lanes above the plot area."""

    def __init__(self, duration_s: float, faults: Sequence[Mapping[str, Any]]):
        self.duration_s = max(duration_s, 1e-3)
        self.looks = fault_looks()
        self.lanes = lane_order((f["fault"] for f in faults), self.looks)
        self.top = 8 + LANE_H * len(self.lanes) + (12 if self.lanes else 6)
        self.height = self.top + PLOT_H + BOTTOM
        self.x0, self.x1 = LEFT, WIDTH - RIGHT
        self.y0, self.y1 = self.top, self.top + PLOT_H

    def x(self, t_s: float) -> float:
        return self.x0 + (self.x1 - self.x0) * min(max(t_s, 0.0), self.duration_s) / self.duration_s

    def time_axis(self) -> list[str]:
        step = nice_step(self.duration_s)
        out = [f"<line x1='{self.x0}' y1='{self.y1}' x2='{self.x1}' y2='{self.y1}' "
               "stroke='#444'/>"]
        t = 0.0
        while t <= self.duration_s + 1e-9:
            x = _f(self.x(t))
            out.append(f"<line x1='{x}' y1='{self.y1}' x2='{x}' y2='{self.y1 + 4}' stroke='#444'/>"
                       f"<text x='{x}' y='{self.y1 + 16}' text-anchor='middle'>{t:g}</text>")
            t += step
        out.append(f"<text x='{(self.x0 + self.x1) / 2}' y='{self.y1 + 30}' "
                   "text-anchor='middle'>seconds since the test started</text>")
        return out

    def fault_layers(self, faults: Sequence[Mapping[str, Any]]) -> tuple[list[str], list[str]]:
        """(bands shading the plot area, lane bars with labels above it)."""
        bands, lanes = [], []
        for i, kind in enumerate(self.lanes):
            y = 8 + i * LANE_H
            lanes.append(f"<text x='{self.x0 - 6}' y='{y + 11}' text-anchor='end' "
                         f"class='lane'>{esc(fault_look(kind, self.looks).label)}</text>"
                         f"<line x1='{self.x0}' y1='{y + LANE_H / 2}' x2='{self.x1}' "
                         f"y2='{y + LANE_H / 2}' stroke='#eee'/>")
        room = self._label_room(faults)
        for fault, right in zip(faults, room):
            colour = fault_look(fault["fault"], self.looks).colour
            stop = fault["stop"] if fault["stop"] is not None else self.duration_s
            xa, xb = self.x(fault["start"]), self.x(stop)
            w = max(xb - xa, 1.5)
            still_on = " (still on at the end)" if fault["stop"] is None else ""
            tip = esc(f"{fault['label']}: {fault['start']:.1f}-{stop:.1f} s{still_on}")
            bands.append(f"<rect x='{_f(xa)}' y='{self.y0}' width='{_f(w)}' height='{PLOT_H}' "
                         f"fill='{colour}' fill-opacity='0.13'><title>{tip}</title></rect>")
            y = 8 + self.lanes.index(fault["fault"]) * LANE_H
            text = ""
            # Inside the bar when it fits, else beside it up to the lane's next bar.
            for label in dict.fromkeys((fault["label"], fault.get("short", ""), fault["fault"])):
                if not label:
                    continue
                need = len(label) * CHAR_W + 6
                if need <= w:
                    text = f"<text x='{_f(xa + 3)}' y='{y + 11}' class='bar'>{esc(label)}</text>"
                elif need <= right - xb:
                    text = f"<text x='{_f(xb + 3)}' y='{y + 11}' class='lane'>{esc(label)}</text>"
                else:
                    continue
                break
            lanes.append(f"<g><title>{tip}</title><rect x='{_f(xa)}' y='{y + 1}' "
                         f"width='{_f(w)}' height='{LANE_H - 2}' rx='2' fill='{colour}'/>"
                         f"{text}</g>")
        return bands, lanes

    def _label_room(self, faults: Sequence[Mapping[str, Any]]) -> list[float]:
        """Per fault, the x where the next bar in its lane starts (the plot's edge if none)."""
        room = []
        for i, fault in enumerate(faults):
            later = [self.x(f["start"]) for f in faults[i + 1:] if f["fault"] == fault["fault"]]
            room.append(min(later, default=self.x1))
        return room

    def svg(self, body: list[str], title: str) -> str:
        return (f"<svg viewBox='0 0 {WIDTH} {self.height}' "
                f"width='100%' role='img' aria-label='{esc(title)}' class='plot'>"
                "<style>text{font:10px system-ui,sans-serif;fill:#333}"
                ".bar{fill:#fff;font-weight:600}.lane{fill:#555}</style>"
                + "".join(body) + "</svg>")


def latency_svg(timeline: Mapping[str, Any]) -> str:
    """Each sampled op's latency against its invocation time, log scale, faults shaded."""
    faults = timeline["faults"]
    frame = _Frame(timeline["duration_s"], faults)
    points = timeline["points"]
    latencies = [p[1] for p in points if p[1] > 0]
    lo_exp = math.floor(math.log10(min(latencies))) if latencies else -1
    hi_exp = math.ceil(math.log10(max(latencies))) if latencies else 3
    lo_exp, hi_exp = max(lo_exp, -2), max(hi_exp, lo_exp + 1)

    def y(ms: float) -> float:
        exp = math.log10(max(ms, 10 ** lo_exp))
        return frame.y1 - (frame.y1 - frame.y0) * (exp - lo_exp) / (hi_exp - lo_exp)

    bands, lanes = frame.fault_layers(faults)
    body = bands + lanes
    for exp in range(lo_exp, hi_exp + 1):
        yy = _f(y(10 ** exp))
        body.append(f"<line x1='{frame.x0}' y1='{yy}' x2='{frame.x1}' y2='{yy}' stroke='#e4e4e4'/>"
                    f"<text x='{frame.x0 - 6}' y='{yy}' dy='3' text-anchor='end'>"
                    f"{_duration_label(10 ** exp)}</text>")
    body.append(f"<text transform='translate(12 {(frame.y0 + frame.y1) / 2}) rotate(-90)' "
                "text-anchor='middle'>latency (log)</text>")
    body += frame.time_axis()
    # fail first: failed CAS ops are common and benign; unknowns on top, they matter most.
    for outcome, draw in (("fail", _cross(2.0)), ("ok", _dot(1.6, 0.5)), ("info", _dot(2.6, 0.9))):
        colour = OUTCOME_STYLE[outcome][0]
        marks = "".join(draw(frame.x(p[0]), y(p[1])) for p in points if p[2] == outcome)
        if marks:
            body.append(f"<g fill='{colour}' stroke='{colour}'>{marks}</g>")
    return frame.svg(body, "latency of each operation over time")


def _dot(r: float, opacity: float) -> Callable[[float, float], str]:
    return lambda x, y: (f"<circle cx='{_f(x)}' cy='{_f(y)}' r='{r}' "
                         f"fill-opacity='{opacity}' stroke='none'/>")


def _cross(h: float) -> Callable[[float, float], str]:
    return lambda x, y: (f"<path d='M{_f(x - h)} {_f(y - h)}l{2 * h} {2 * h}"
                         f"m0 {-2 * h}l{-2 * h} {2 * h}' stroke-width='1' stroke-opacity='0.6'/>")


def throughput_svg(timeline: Mapping[str, Any]) -> str:
    """Completions per second per outcome, one line each, faults shaded."""
    faults = timeline["faults"]
    frame = _Frame(timeline["duration_s"], faults)
    tp = timeline["throughput"]
    peak = max((v for o in OUTCOME_STYLE for v in tp[o]), default=0.0)
    step = nice_step(peak or 1.0, 5)
    top = step * math.ceil((peak or 1.0) / step)

    def y(rate: float) -> float:
        return frame.y1 - (frame.y1 - frame.y0) * rate / top

    bands, lanes = frame.fault_layers(faults)
    body = bands + lanes
    tick = 0.0
    while tick <= top + 1e-9:
        yy = _f(y(tick))
        body.append(f"<line x1='{frame.x0}' y1='{yy}' x2='{frame.x1}' y2='{yy}' stroke='#e4e4e4'/>"
                    f"<text x='{frame.x0 - 6}' y='{yy}' dy='3' text-anchor='end'>{tick:g}</text>")
        tick += step
    body.append(f"<text transform='translate(12 {(frame.y0 + frame.y1) / 2}) rotate(-90)' "
                "text-anchor='middle'>ops/s</text>")
    body += frame.time_axis()
    half = tp["bucket_s"] / 2
    for outcome, (colour, _) in OUTCOME_STYLE.items():
        values = tp[outcome]
        if not any(values):
            continue
        coords = " ".join(f"{_f(frame.x(t + half))},{_f(y(v))}"
                          for t, v in zip(tp["start_s"], values))
        body.append(f"<polyline points='{coords}' fill='none' stroke='{colour}' "
                    "stroke-width='1.6'/>")
    return frame.svg(body, "throughput over time")


def legend_html(timeline: Mapping[str, Any]) -> str:
    """The outcome key, with how many ops of each the latency plot shows."""
    items = []
    for outcome, (colour, name) in OUTCOME_STYLE.items():
        total, shown = timeline["total"][outcome], timeline["shown"][outcome]
        count = f"{total}" if shown == total else f"{shown} of {total} shown"
        swatch = (f"<span class='x' style='color:{colour}'>&#x2715;</span>" if outcome == "fail"
                  else f"<span class='sw' style='background:{colour}'></span>")
        items.append(f"<span class='key'>{swatch}{esc(name)}: {count}</span>")
    if timeline["total"].get("pending"):
        items.append(f"<span class='key'>never completed (not plotted): "
                     f"{timeline['total']['pending']}</span>")
    return "<p class='legend'>" + " ".join(items) + "</p>"


def figures(timeline: Mapping[str, Any]) -> list[dict[str, Any]]:
    """The page's plots: ``{"name", "title", "svg" (Markup), "note"}`` each; none when no
    operation completed and no fault happened."""
    from markupsafe import Markup

    if not timeline["points"] and not timeline["faults"]:
        return []
    faults = (f"{len(timeline['faults'])} fault intervals shaded; hover a band for what was done"
              if timeline["faults"] else "no faults")
    return [
        {"name": "latency", "title": "Latency of each operation",
         "svg": Markup(legend_html(timeline) + latency_svg(timeline)), "note": ""},
        {"name": "throughput",
         "title": f"Throughput ({timeline['throughput']['bucket_s']:g} s buckets)",
         "svg": Markup(throughput_svg(timeline)), "note": faults},
    ]
