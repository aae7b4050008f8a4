"""``<results>/index.html``: every run under a results directory, newest first, and per
test name a trend strip of its last runs (verdict and throughput), regressions first.

One self-contained page (inline CSS and a small inline script for the filters by test
name and verdict; nothing from the network). It reads each run's small ``summary.json``
only (:meth:`faultline.core.store.RunDir.read_summary`), so it stays fast with thousands
of runs; the rows and trends are :mod:`faultline.render.runs`' (this module only draws).
"""

from __future__ import annotations

import os
from typing import Sequence

from faultline.core.files import write_atomically
from faultline.core.store import INDEX, list_runs
from faultline.render.markup import esc
from faultline.render.runs import VERDICTS, Row, Trend, run_rows, trends

CSS = """
body{font-family:system-ui,sans-serif;margin:2em;color:#222}
table{border-collapse:collapse}td,th{padding:.15em .7em;border-bottom:1px solid #eee;text-align:left;
white-space:nowrap}td.n{text-align:right;font-variant-numeric:tabular-nums}
.v-valid{color:#070}.v-invalid{color:#b00;font-weight:bold}.v-unknown,.v-incomplete{color:#a60}
.strip a{display:inline-block;width:.7em;height:1.1em;margin-right:1px;vertical-align:middle}
.strip a.v-valid{background:#5b5}.strip a.v-invalid{background:#d33}
.strip a.v-unknown{background:#e90}.strip a.v-incomplete{background:#ccc}
.flag{color:#b00;font-weight:bold}svg.spark{vertical-align:middle}
.filters{margin:1em 0}.filters label{margin-right:1.5em}
"""

SCRIPT = """
(function () {
  var test = document.getElementById("f-test"), verdict = document.getElementById("f-verdict");
  var shown = document.getElementById("shown");
  var rows = document.querySelectorAll("#runs tbody tr");
  function apply() {
    var t = test.value, v = verdict.value, n = 0;
    for (var i = 0; i < rows.length; i++) {
      var r = rows[i], show = (!t || r.dataset.test === t) && (!v || r.dataset.verdict === v);
      r.hidden = !show;
      if (show) n++;
    }
    shown.textContent = n;
    history.replaceState(null, "", "#" + new URLSearchParams({test: t, verdict: v}));
  }
  var given = new URLSearchParams(location.hash.slice(1));
  test.value = given.get("test") || "";
  verdict.value = given.get("verdict") || "";
  if (test.selectedIndex < 0) test.value = "";
  if (verdict.selectedIndex < 0) verdict.value = "";
  test.addEventListener("change", apply);
  verdict.addEventListener("change", apply);
  document.querySelectorAll("[data-pick]").forEach(function (a) {
    a.addEventListener("click", function (e) {
      e.preventDefault();
      test.value = a.dataset.pick;
      apply();
    });
  });
  apply();
})();
"""

COLUMNS = ("date (UTC)", "test", "db", "workload", "faults", "read mode", "verdict", "ok",
           "fail", "info", "ok/s", "duration s", "seed", "links")


def write_index(results_root: str) -> str:
    """Rewrite the index of the runs under ``results_root`` (atomically); returns its path."""
    rows = run_rows((os.path.relpath(run.path, results_root), run.read_summary())
                    for run in list_runs(results_root))
    path = os.path.join(results_root, INDEX)
    write_atomically(path, render_index(rows, trends(rows)))
    return path


def _num(x: float | None) -> str:
    return "" if x is None else f"{x:g}"


def _row_html(row: Row) -> str:
    title = f' title="{esc(row.error)}"' if row.error else ""
    return (
        f'<tr data-test="{esc(row.test)}" data-verdict="{row.verdict}"><td>{esc(row.date)}</td>'
        f"<td>{esc(row.test)}</td><td>{esc(row.db)}</td><td>{esc(row.workload)}</td>"
        f"<td>{esc(row.faults)}</td><td>{esc(row.read_mode)}</td>"
        f'<td class="v-{row.verdict}"{title}>{row.verdict}</td>'
        f"<td class=n>{row.ok}</td><td class=n>{row.fail}</td><td class=n>{row.info}</td>"
        f"<td class=n>{_num(row.ok_per_s)}</td><td class=n>{_num(row.duration_s)}</td>"
        f"<td class=n>{esc(row.seed)}</td>"
        f'<td><a href="{esc(row.report)}">report</a> <a href="{esc(row.history)}">history</a>'
        "</td></tr>"
    )


def _sparkline(points: Sequence[Row], width: int = 150, height: int = 22) -> str:
    """The throughput of a trend's runs as a line (runs without a figure are skipped)."""
    rates = [(i, p.ok_per_s) for i, p in enumerate(points) if p.ok_per_s is not None]
    if not rates:
        return ""
    top = max(r for _, r in rates) or 1.0
    step = width / max(len(points) - 1, 1)
    xy = [(round(i * step, 1), round(height - 2 - (height - 4) * r / top, 1)) for i, r in rates]
    line = " ".join(f"{x},{y}" for x, y in xy)
    x, y = xy[-1]
    return (f'<svg class=spark width="{width + 4}" height="{height}" viewBox="-2 0 {width + 4} '
            f'{height}"><polyline points="{line}" fill="none" stroke="#36c" stroke-width="1.5"/>'
            f'<circle cx="{x}" cy="{y}" r="2.5" fill="#36c"/></svg>')


def _trend_html(trend: Trend) -> str:
    cells = "".join(
        f'<a class="v-{p.verdict}" href="{esc(p.report)}" '
        f'title="{esc(p.date)}: {p.verdict}, {_num(p.ok_per_s) or "?"} ok/s"></a>'
        for p in trend.points)
    flags = " ".join(text for on, text in ((trend.regressed, "verdict regressed"),
                                          (trend.slower, "throughput dropped")) if on)
    latest = trend.latest
    return (
        f'<tr><td><a href="#" data-pick="{esc(trend.test)}">{esc(trend.test)}</a></td>'
        f'<td class="v-{latest.verdict}">{latest.verdict}</td><td class=strip>{cells}</td>'
        f"<td>{_sparkline(trend.points)}</td><td class=n>{_num(latest.ok_per_s)}</td>"
        f"<td class=flag>{flags}</td></tr>"
    )


def render_index(rows: Sequence[Row], trend_list: Sequence[Trend]) -> str:
    """The index page of ``rows`` (newest first) and their ``trend_list``."""
    tests = sorted({r.test for r in rows})
    test_options = "".join(f'<option value="{esc(t)}">{esc(t)}</option>' for t in tests)
    verdict_options = "".join(f'<option value="{v}">{v}</option>' for v in VERDICTS)
    return (
        "<!doctype html><html><head><meta charset=utf-8><title>faultline runs</title>"
        f"<style>{CSS}</style></head><body><h1>faultline runs</h1>"
        f"<p>{len(rows)} runs of {len(tests)} tests</p>"
        "<h2>Trends</h2><p>each test's last runs, oldest to newest (a cell per run links to "
        "its report); the line is the throughput (ok ops/s)</p>"
        "<table id=trends><thead><tr><th>test</th><th>latest</th><th>verdicts</th>"
        "<th>throughput</th><th>ok/s</th><th></th></tr></thead><tbody>"
        + "".join(_trend_html(t) for t in trend_list) + "</tbody></table>"
        "<h2>Runs</h2><div class=filters>"
        f'<label>test <select id=f-test><option value="">all</option>{test_options}</select></label>'
        f'<label>verdict <select id=f-verdict><option value="">all</option>{verdict_options}'
        f"</select></label><span id=shown>{len(rows)}</span> shown</div>"
        "<table id=runs><thead><tr>" + "".join(f"<th>{c}</th>" for c in COLUMNS)
        + "</tr></thead><tbody>" + "".join(_row_html(r) for r in rows) + "</tbody></table>"
        f"<script>{SCRIPT}</script></body></html>\n"
    )
