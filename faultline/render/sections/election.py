"""The section of an election result (:func:`faultline.checkers.election_terms.check_election`):
the counts, each stale action with the term it intruded on and who led then, lost and
unexpected log entries, and the terms in order."""

from __future__ import annotations

from typing import Any, Mapping

from faultline.checkers.election_terms import KIND
from faultline.core.history import History
from faultline.render.markup import render_template
from faultline.render.sections import Section


def render(name: str, result: Mapping[str, Any], history: History | None = None) -> str:
    return render_template("election.html", result_name=name, result=result,
                           counts=result.get("counts") or {}, terms=result.get("terms") or [])


SECTION = Section(KIND, render)
