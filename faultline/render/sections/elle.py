"""The section of an Elle result (:func:`faultline.checkers.elle.check_elle`, kind
``"elle"``): what was checked, the consistency models ruled out as a short list, the
anomaly types the search could not rule out with the reason, and each anomaly: its
explanation, its cycle drawn as a small graph of transactions
(:mod:`faultline.render.cycle_figure`) and step by step, and its transactions; then the
members' final state when the result has one (:mod:`.member_state`)."""

from __future__ import annotations

import json
from typing import Any, Mapping

from faultline.checkers.elle import KIND
from faultline.core.history import History
from faultline.render.cycle_figure import REL_COLOURS, REL_WORDS, cycle_layout
from faultline.render.markup import render_template
from faultline.render.sections import Section
from faultline.render.sections.member_state import members_part

CASES_SHOWN = 3
"""Anomalies shown per type (the result keeps a few more; results.json has them)."""
MOP_CHARS = 90

_SHOWN = {"valid", "kind", "error", "reason", "workload", "models", "anomaly_types",
          "anomalies", "not", "also_not", "strongest_not_ruled_out", "unknown", "stats",
          "members"}


def anomaly_groups(result: Mapping[str, Any], cases_shown: int = CASES_SHOWN) -> list[dict]:
    """Per anomaly type (in ``anomaly_types`` order, then any other type present): how
    many were found and the first ``cases_shown``, each with its figure (None for a
    non-cycle anomaly or a cycle too long to draw), its steps and its transactions."""
    anomalies = result.get("anomalies") if isinstance(result.get("anomalies"), Mapping) else {}
    order = [t for t in result.get("anomaly_types") or [] if t in anomalies]
    order += sorted(t for t in anomalies if t not in order)
    counts = (result.get("stats") or {}).get("counts") or {}
    groups = []
    for kind in order:
        cases = [c for c in anomalies[kind] if isinstance(c, Mapping)]
        groups.append({
            "type": kind, "anchor": f"elle-{kind}", "found": counts.get(kind, len(cases)),
            "has_cycle": any(c.get("cycle") for c in cases),
            "cases": [_case(c) for c in cases[:cases_shown]]})
    return groups


def _case(case: Mapping[str, Any]) -> dict[str, Any]:
    txns = case.get("cycle") or case.get("txns") or []
    return {"explanation": case.get("explanation") or case.get("type"),
            "figure": cycle_layout(case) if case.get("cycle") else None,
            "steps": [{"rel": s.get("rel"), "text": s.get("text"),
                       "colour": REL_COLOURS.get(s.get("rel"), "#444444")}
                      for s in case.get("steps") or []],
            "txns": [_txn_row(t) for t in txns if isinstance(t, Mapping)]}


def _txn_row(txn: Mapping[str, Any]) -> dict[str, Any]:
    full = "; ".join(_mop(m) for m in txn.get("value") or [])
    shown = full if len(full) <= MOP_CHARS else full[:MOP_CHARS - 1] + "\u2026"
    return {"txn": txn.get("txn"), "process": txn.get("process"), "type": txn.get("type"),
            "index": txn.get("index"), "mops": shown, "full": full}


def _mop(mop: Any) -> str:
    """``append x 3``, ``r x [1,2]``, ``r y nil``: a micro-op as Elle prints it."""
    if not isinstance(mop, (list, tuple)) or len(mop) != 3:
        return json.dumps(mop, default=str)
    f, key, value = mop
    shown = "nil" if value is None else json.dumps(value, separators=(",", ":"), default=str)
    return f"{f} {key if isinstance(key, str) else json.dumps(key, default=str)} {shown}"


def render(name: str, result: Mapping[str, Any], history: History | None = None) -> str:
    return render_template(
        "elle.html", result_name=name, result=result, models=result.get("models") or [],
        stats=result.get("stats") if isinstance(result.get("stats"), Mapping) else {},
        ruled_out=result.get("not") or [], also_not=result.get("also_not") or [],
        strongest=result.get("strongest_not_ruled_out") or [],
        unknown=result.get("unknown") or [], groups=anomaly_groups(result),
        rel_colours=REL_COLOURS, rel_words=REL_WORDS,
        members=members_part(result.get("members")),
        left={k: v for k, v in result.items() if k not in _SHOWN})


SECTION = Section(KIND, render)
