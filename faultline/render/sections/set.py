"""The section of a set-full result (:func:`faultline.checkers.set_full.check_set_full`):
how many elements fell in each class and which, the lost and unexpected elements with
when they were added and first or last seen, the worst stale reads, flapping and
duplicated elements, the visibility latencies, and the members' final state (what each
member holds, and lacks of what others hold: :mod:`.member_state`) when the result has
one."""

from __future__ import annotations

from typing import Any, Mapping

from faultline.checkers.set_full import KIND
from faultline.core.history import History
from faultline.render.markup import render_template
from faultline.render.sections import Section
from faultline.render.sections.member_state import members_part

ROWS = (
    ("attempted", "adds invoked"),
    ("acknowledged", "adds that returned ok"),
    ("stable", "from some point on, every read showed it"),
    ("stale", "stable, but a read begun after it was known missed it"),
    ("never_read", "no read began after it was known (or its add never completed)"),
    ("lost", "known, then missing from every read from some point on"),
    ("unexpected", "read, but never added (or its add failed, or read before its add began)"),
    ("duplicated", "held twice by one read"),
    ("recovered", "add of unknown outcome, later read"),
    ("flapping", "read, then missed by a later read, then read again"),
)
"""(count, what it means), in the order the table shows them."""
BAD = frozenset({"lost", "unexpected", "duplicated"})
LATENCIES = (
    ("visible_after_ack", "add ok -> first read showing it began (0: began before the ack)"),
    ("visible_after_invoke", "add invoked -> first read showing it completed"),
    ("stable", "known -> the last read missing it began (0: none did)"),
    ("lost", "known -> the last read showing it began"),
)
ELEMENTS_SHOWN = 300
"""Characters of an element list shown in the table (the rest is in the JSON)."""


def _rows(result: Mapping[str, Any]) -> list[dict[str, Any]]:
    counts = result.get("counts") or {}
    elements = result.get("elements") or {}
    bad = BAD | ({"stale"} if result.get("linearizable") else set())
    rows = []
    for name, meaning in ROWS:
        listed = str(elements.get(name, ""))
        rows.append({"name": name.replace("_", "-"), "count": counts.get(name, 0),
                     "meaning": meaning, "bad": name in bad and counts.get(name, 0) > 0,
                     "elements": listed[:ELEMENTS_SHOWN],
                     "cut": len(listed) > ELEMENTS_SHOWN})
    return rows


def render(name: str, result: Mapping[str, Any], history: History | None = None) -> str:
    examples = result.get("examples") or {}
    latencies = result.get("latencies_ms") or {}
    return render_template(
        "set.html", result_name=name, result=result, rows=_rows(result),
        reads=(result.get("counts") or {}).get("reads") or {},
        examples={k: examples.get(k) or [] for k in ("lost", "unexpected", "stale", "flapping",
                                                     "duplicated")},
        latencies=[{"name": n, "meaning": m, **latencies[n]} for n, m in LATENCIES
                   if n in latencies],
        members=members_part(result.get("members")),
        left={k: v for k, v in result.items()
              if k not in {"valid", "kind", "error", "reason", "counts", "elements",
                           "examples", "latencies_ms", "members"}})


SECTION = Section(KIND, render)
