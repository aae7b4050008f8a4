"""``<results>/index.html``: every run under a results directory, newest first, each
linking to its report (or its directory while it has none) with its verdict."""

from __future__ import annotations

import os

from faultline.core.files import write_atomically
from faultline.core.store import INDEX, REPORT, list_runs
from faultline.render.markup import esc


def write_index(results_root: str) -> None:
    """Rewrite the index of the runs under ``results_root`` (atomically)."""
    rows = []
    for run in list_runs(results_root):
        results = run.read_results() or {}
        valid = results.get("valid", "running or crashed")
        rel = os.path.relpath(run.path, results_root)
        css = {True: "ok", False: "bad"}.get(valid, "unknown") if isinstance(valid, bool) else "unknown"
        target = f"{rel}/{REPORT}" if os.path.isfile(run.report_path) else f"{rel}/"
        rows.append(
            f'<tr><td><a href="{esc(target)}">{esc(os.path.basename(run.path))}</a></td>'
            f"<td>{esc(os.path.basename(os.path.dirname(run.path)))}</td>"
            f'<td class="{css}">{esc(valid)}</td></tr>'
        )
    page = (
        "<!doctype html><meta charset=utf-8><title>faultline runs</title>"
        "<style>body{font-family:sans-serif;margin:2em}td,th{padding:.2em 1em;text-align:left}"
        ".ok{color:#070}.bad{color:#b00;font-weight:bold}.unknown{color:#a60}</style>"
        "<h1>faultline runs</h1><table><tr><th>run (UTC)</th><th>test</th><th>valid</th></tr>"
        + "".join(rows) + "</table>\n"
    )
    write_atomically(os.path.join(results_root, INDEX), page)
