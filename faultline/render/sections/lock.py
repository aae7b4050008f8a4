"""The section of a lock result (:func:`faultline.checkers.lock_guard.check_lock`): per
lock, the guarded counter's figures and each anomaly found in the guarded work (who read
the same value, which acknowledged increments were lost, overlapping holders), the
holders that found their lease or session gone, then the mutex check drawn by the
linearizability section."""

from __future__ import annotations

from typing import Any, Mapping

from markupsafe import Markup

from faultline.checkers.lock_guard import KIND
from faultline.core.history import History
from faultline.render.markup import render_template
from faultline.render.sections import Section, checker_section

ANOMALIES = (
    ("duplicate_reads", "values two or more acknowledged increments read"),
    ("lost", "acknowledged increments that do not count in the final value"),
    ("unexpected", "values read that nobody wrote"),
    ("overlapping", "pairs of guarded ops of two holders overlapping in time"),
)


def render(name: str, result: Mapping[str, Any], history: History | None = None) -> str:
    mutex = result.get("mutex")
    return render_template(
        "lock.html", result_name=name, result=result, anomalies=ANOMALIES,
        keys=sorted((result.get("keys") or {}).items()),
        mutex=Markup(checker_section(f"{name}: acquire/release against a mutex", mutex,
                                     history)) if isinstance(mutex, Mapping) else "")


SECTION = Section(KIND, render)
