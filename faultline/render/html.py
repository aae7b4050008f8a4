"""report.html: one self-contained page (inline CSS and SVG, nothing from elsewhere), built
from the template ``templates/report.html``.

It shows the verdict, op counts by function and outcome, the plots over time
(:mod:`faultline.render.plots`, faults shaded), each checker's result by the section of its
kind (:mod:`faultline.render.sections`), what the nemesis did, and the test's options.
Rendering only: every figure comes from ``results``, :func:`faultline.checkers.stats.op_counts`
and :mod:`faultline.render.timeline`; this module gathers them for the template.
"""

from __future__ import annotations

import json
from typing import Any, Iterable, Mapping

from markupsafe import Markup

from faultline.checkers.stats import OUTCOMES, op_counts
from faultline.core.history import History
from faultline.core.op import INVOKE, NEMESIS, Op
from faultline.render.markup import render_template
from faultline.render.plots import figures
from faultline.render.run_timeline import run_timeline_html
from faultline.render.sections import checker_section
from faultline.render.summary import first_anomaly, why_unknown
from faultline.render.timeline import timeline


def nemesis_ops(history: Iterable[Op]) -> list[dict[str, Any]]:
    """The nemesis' completions (what each fault actually did), with times in seconds."""
    return [
        {"time_s": round(op.time / 1e9, 3), "f": op.f, "value": op.value, "error": op.error}
        for op in history if op.process == NEMESIS and op.type != INVOKE
    ]


def _nemesis_lines(history: History) -> list[str]:
    return [f"{n['time_s']:>9.3f}s  {n['f']}  {json.dumps(n['value'], default=str)}"
            + (f"  error: {n['error']}" if n["error"] else "") for n in nemesis_ops(history)]


def _problems(results: Mapping[str, Any]) -> list[dict[str, str]]:
    """What stopped the analysis or weakens it, shown under the verdict."""
    problems = []
    if results.get("error"):
        problems.append({"title": "error", "text": str(results["error"])})
    incomplete = results.get("incomplete_history")
    if isinstance(incomplete, Mapping):
        problems.append({"title": "checked on an incomplete history",
                         "text": str(incomplete.get("reason"))})
    return problems


def _headline(results: Mapping[str, Any]) -> str | None:
    """Under the verdict, in one sentence (the terminal summary's): the first anomaly of
    an invalid run, or why an unknown one is unknown (a run's own error is a problem)."""
    valid = results.get("valid")
    if valid is False:
        found = first_anomaly(results)
        return f"{found[0]}: {found[1]}" if found else None
    if valid is True or results.get("error"):
        return None
    return f"why unknown: {why_unknown(results)}"


def page_context(test: Mapping[str, Any], history: History,
                 results: Mapping[str, Any]) -> dict[str, Any]:
    """What ``report.html`` shows, by the names the template uses."""
    sections = [Markup(checker_section(name, res, history)) for name, res in results.items()
                if isinstance(res, Mapping) and "valid" in res
                and name != "stats"]  # the stats are the operations table
    return {
        "test": test,
        "valid": results.get("valid"),
        "headline": _headline(results),
        "problems": _problems(results),
        "events": len(history),
        "counts": op_counts(history),
        "outcomes": OUTCOMES,
        "figures": figures(timeline(history)),
        "run_timeline": run_timeline_html(history),
        "sections": sections,
        "nemesis_lines": _nemesis_lines(history),
    }


def render_report(test: Mapping[str, Any], history: History, results: Mapping[str, Any]) -> str:
    """The report page for a run: ``test`` (test.json), its history and results.json."""
    return render_template("report.html", **page_context(test, history, results))
