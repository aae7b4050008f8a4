"""report.html: one self-contained page (inline CSS, no scripts or external files).

It shows the verdict, the test's options, op counts by function and outcome, a timeline
(latency of every op and throughput over time, with the faults shaded), what the nemesis
did, and each checker's result, shown by the section of its kind
(:mod:`faultline.render.sections`). Rendering only: every figure comes from ``results``,
:func:`faultline.checkers.stats.op_counts` and :mod:`faultline.render.timeline`.
"""

from __future__ import annotations

import json
from typing import Any, Iterable, Mapping

from faultline.checkers.stats import OUTCOMES, op_counts
from faultline.core.history import History
from faultline.core.op import INVOKE, NEMESIS, Op
from faultline.render.markup import esc, verdict_class, verdict_text
from faultline.render.plots import latency_svg, legend_html, throughput_svg
from faultline.render.sections import checker_section
from faultline.render.timeline import timeline

CSS = """
body{font-family:system-ui,sans-serif;margin:2em;max-width:70em;color:#222}
h1{margin-bottom:.2em} h2{margin-top:1.6em;border-bottom:1px solid #ddd}
.verdict{font-size:1.6em;font-weight:bold;padding:.3em .6em;display:inline-block;border-radius:.3em}
.v-true{background:#dfd;color:#060}.v-false{background:#fdd;color:#a00}.v-unknown{background:#ffe7c0;color:#840}
table{border-collapse:collapse}td,th{padding:.2em .8em;border-bottom:1px solid #eee;text-align:left}
td.n{text-align:right;font-variant-numeric:tabular-nums}
pre{background:#f6f6f6;padding:1em;overflow-x:auto;font-size:.9em}
svg.plot{display:block;max-width:70em;margin:.4em 0 1em}
.legend .key{margin-right:1.4em;white-space:nowrap}
.legend .sw{display:inline-block;width:.8em;height:.8em;border-radius:50%;margin-right:.35em;
vertical-align:-.05em}
.legend .x{font-weight:bold;margin-right:.35em}
"""


def nemesis_ops(history: Iterable[Op]) -> list[dict[str, Any]]:
    """The nemesis' completions (what each fault actually did), with times in seconds."""
    return [
        {"time_s": round(op.time / 1e9, 3), "f": op.f, "value": op.value, "error": op.error}
        for op in history if op.process == NEMESIS and op.type != INVOKE
    ]


def _timeline_section(series: Mapping[str, Any]) -> str:
    if not series["points"] and not series["faults"]:
        return "<p>no operations completed</p>"
    faults = (f"{len(series['faults'])} fault intervals shaded; hover a band for what was done"
              if series["faults"] else "no faults")
    return (f"<h3>Latency of each operation</h3>{legend_html(series)}{latency_svg(series)}"
            f"<h3>Throughput ({series['throughput']['bucket_s']:g} s buckets)</h3>"
            f"{throughput_svg(series)}<p>{faults}</p>")


def render_report(test: Mapping[str, Any], history: History, results: Mapping[str, Any]) -> str:
    """The report page for a run: ``test`` (test.json), its history and results.json."""
    valid = results.get("valid")
    counts = op_counts(history)
    rows = "".join(
        f"<tr><td>{esc(f)}</td>" + "".join(f"<td class=n>{c[o]}</td>" for o in OUTCOMES) + "</tr>"
        for f, c in counts["by_f"].items()
    )
    total = counts["total"]
    rows += "<tr><th>all</th>" + "".join(f"<th class=n>{total[o]}</th>" for o in OUTCOMES) + "</tr>"
    spec_rows = "".join(f"<tr><td>{esc(k)}</td><td>{esc(json.dumps(v))}</td></tr>"
                        for k, v in sorted(test.items()))
    nem = nemesis_ops(history)
    nem_text = "\n".join(
        f"{n['time_s']:>9.3f}s  {n['f']}  {json.dumps(n['value'], default=str)}"
        + (f"  error: {n['error']}" if n["error"] else "") for n in nem
    ) or "no faults"
    checkers = "".join(checker_section(name, res) for name, res in results.items()
                       if isinstance(res, Mapping) and "valid" in res
                       and name != "stats")  # the stats are the operations table
    top_error = f"<p><b>error:</b> {esc(results['error'])}</p>" if results.get("error") else ""
    incomplete = results.get("incomplete_history")
    if isinstance(incomplete, Mapping):
        top_error += ("<p><b>checked on an incomplete history:</b> "
                      f"{esc(incomplete.get('reason'))}</p>")
    series = timeline(history)
    return (
        f"<!doctype html><html><head><meta charset=utf-8><title>{esc(test.get('name', 'run'))}"
        f"</title><style>{CSS}</style></head><body>"
        f"<h1>{esc(test.get('name', 'faultline run'))}</h1>"
        f"<div class='verdict {verdict_class(valid)}'>{verdict_text(valid)}</div>{top_error}"
        f"<p>{len(history)} history events, {total['ok']} ok ops in {counts['duration_s']} s "
        f"({counts['ok_per_s']} ok/s), seed {esc(test.get('seed'))}</p>"
        "<h2>Operations</h2><table><tr><th>f</th>"
        + "".join(f"<th>{o}</th>" for o in OUTCOMES) + f"</tr>{rows}</table>"
        "<h2>Timeline</h2>" + _timeline_section(series) +
        f"<h2>Checkers</h2>{checkers or '<p>none ran</p>'}"
        f"<h2>Faults</h2><pre>{esc(nem_text)}</pre>"
        f"<h2>Test</h2><table>{spec_rows}</table>"
        "</body></html>\n"
    )
