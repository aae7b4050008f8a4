"""report.html: one self-contained page (inline CSS, no scripts or external files).

It shows the verdict, the test's options, op counts by function and outcome, a timeline
(latency of every op and throughput over time, with the faults shaded), what the nemesis
did, and each checker's result with a linearizability counterexample as text. Rendering
only: every figure comes from ``results``, :mod:`faultline.render.summary` and
:mod:`faultline.render.timeline`.
"""

from __future__ import annotations

import html
import json
from typing import Any, Mapping

from faultline.render.plots import latency_svg, legend_html, throughput_svg
from faultline.render.summary import OUTCOMES, nemesis_ops, op_counts
from faultline.render.timeline import timeline
from faultline.core.history import History

PREFIX_SHOWN = 25
"""The last ops of a counterexample's prefix shown as text: the end is what explains it."""

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


def _e(x: Any) -> str:
    return html.escape(str(x))


def _verdict_class(valid: Any) -> str:
    return "v-true" if valid is True else "v-false" if valid is False else "v-unknown"


def _verdict_text(valid: Any) -> str:
    return "VALID" if valid is True else "INVALID" if valid is False else "UNKNOWN"


def counterexample_text(cx: Mapping[str, Any]) -> str:
    """A linearizability counterexample (faultline.checkers.counterexample) as plain text."""
    def line(e: Mapping[str, Any]) -> str:
        done = f"..#{e['completed']}" if e.get("completed") is not None else " (outcome unknown)"
        return f"#{e['index']}{done}  process {e['process']}: {e['description']}"

    out = [f"key {cx.get('key')!r}:"]
    op = cx.get("op")
    if op:
        out.append(f"  this op cannot be linearized:  {line(op)}")
    prefix = cx.get("prefix") or []
    out.append(f"  after the longest linearizable prefix found ({len(prefix)} ops), "
               f"ending in state {cx.get('state')!r}:")
    if len(prefix) > PREFIX_SHOWN:
        out.append(f"    ... {len(prefix) - PREFIX_SHOWN} earlier ops (see results.json)")
    out += [f"    {line(e)}" for e in prefix[-PREFIX_SHOWN:]]
    concurrent = cx.get("concurrent") or []
    if concurrent:
        out.append("  ops still pending at that point, none of which can go next either:")
        out += [f"    {line(e)}" for e in concurrent]
    return "\n".join(out)


def _checker_section(name: str, res: Mapping[str, Any]) -> str:
    valid = res.get("valid")
    parts = [f"<h3>{_e(name)}: <span class='{_verdict_class(valid)}'>{_e(_verdict_text(valid))}"
             "</span></h3>"]
    for field in ("error", "reason"):
        if res.get(field):
            parts.append(f"<p><b>{field}:</b> {_e(res[field])}</p>")
    keys = res.get("keys")
    if isinstance(keys, Mapping) and keys:
        tally = {"valid": 0, "invalid": 0, "unknown": 0}
        for r in keys.values():
            v = r.get("valid") if isinstance(r, Mapping) else None
            tally["valid" if v is True else "invalid" if v is False else "unknown"] += 1
        parts.append("<p>keys: " + ", ".join(f"{n} {k}" for k, n in tally.items()) + "</p>")
    if isinstance(res.get("counterexample"), Mapping):
        parts.append("<h4>Counterexample</h4><pre>"
                     + _e(counterexample_text(res["counterexample"])) + "</pre>")
    facts = {k: v for k, v in res.items()
             if k not in ("valid", "error", "reason", "keys", "counterexample")}
    if facts:
        parts.append("<pre>" + _e(json.dumps(facts, indent=1, default=str)) + "</pre>")
    return "".join(parts)


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
        f"<tr><td>{_e(f)}</td>" + "".join(f"<td class=n>{c[o]}</td>" for o in OUTCOMES) + "</tr>"
        for f, c in counts["by_f"].items()
    )
    total = counts["total"]
    rows += "<tr><th>all</th>" + "".join(f"<th class=n>{total[o]}</th>" for o in OUTCOMES) + "</tr>"
    spec_rows = "".join(f"<tr><td>{_e(k)}</td><td>{_e(json.dumps(v))}</td></tr>"
                        for k, v in sorted(test.items()))
    nem = nemesis_ops(history)
    nem_text = "\n".join(
        f"{n['time_s']:>9.3f}s  {n['f']}  {json.dumps(n['value'], default=str)}"
        + (f"  error: {n['error']}" if n["error"] else "") for n in nem
    ) or "no faults"
    checkers = "".join(_checker_section(name, res) for name, res in results.items()
                       if isinstance(res, Mapping) and "valid" in res
                       and name != "stats")  # the stats are the operations table
    top_error = f"<p><b>error:</b> {_e(results['error'])}</p>" if results.get("error") else ""
    series = timeline(history)
    return (
        f"<!doctype html><html><head><meta charset=utf-8><title>{_e(test.get('name', 'run'))}"
        f"</title><style>{CSS}</style></head><body>"
        f"<h1>{_e(test.get('name', 'faultline run'))}</h1>"
        f"<div class='verdict {_verdict_class(valid)}'>{_verdict_text(valid)}</div>{top_error}"
        f"<p>{len(history)} history events, {total['ok']} ok ops in {counts['duration_s']} s "
        f"({counts['ok_per_s']} ok/s), seed {_e(test.get('seed'))}</p>"
        "<h2>Operations</h2><table><tr><th>f</th>"
        + "".join(f"<th>{o}</th>" for o in OUTCOMES) + f"</tr>{rows}</table>"
        "<h2>Timeline</h2>" + _timeline_section(series) +
        f"<h2>Checkers</h2>{checkers or '<p>none ran</p>'}"
        f"<h2>Faults</h2><pre>{_e(nem_text)}</pre>"
        f"<h2>Test</h2><table>{spec_rows}</table>"
        "</body></html>\n"
    )
