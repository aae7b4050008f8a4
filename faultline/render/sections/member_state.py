"""The members' final state (:mod:`faultline.checkers.member_state`, kind
``member-state``): on its own, and as the part of another section whose result carries it
in ``members`` (the set, register and transactional workloads' results):
:func:`members_part`.

Both shapes the checker returns are drawn: for a whole set, a row per member with what it
holds, lacks of what others hold, and holds alone; per key, a row per member with the
keys it read, then each key the members disagree on with the value each one holds (a
value that differs from the one most members hold is marked)."""

from __future__ import annotations

import json
from collections import Counter
from typing import Any, Mapping

from markupsafe import Markup

from faultline.checkers.member_state import KIND
from faultline.core.history import History
from faultline.render.markup import render_template
from faultline.render.sections import Section, facts, heading, notes

SHOWN_CHARS = 300
"""Characters of an element list shown in a cell (the rest is in results.json)."""
VALUE_CHARS = 80
"""Characters of a key's value shown in a cell."""


def _cut(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[:limit - 1] + "\u2026"


def _value(value: Any) -> str:
    return _cut(json.dumps(value, separators=(",", ":"), default=str), VALUE_CHARS)


def members_view(found: Mapping[str, Any]) -> dict[str, Any]:
    """A member-state result as the template's rows (both shapes: the module doc)."""
    members = found.get("members") if isinstance(found.get("members"), Mapping) else {}
    view: dict[str, Any] = {"valid": found.get("valid"), "reason": found.get("reason"),
                            "unread": found.get("unread") or [],
                            "per_key": "disagreements" in found}
    if not view["per_key"]:
        view["rows"] = [
            {"node": node, "count": m.get("count"), "missing_count": m.get("missing_count"),
             "only_here_count": m.get("only_here_count"), "read_s": m.get("read_s"),
             **{k: _cut(str(m.get(k, "")), SHOWN_CHARS)
                for k in ("elements", "missing", "only_here")}}
            for node, m in members.items()]
        return view
    nodes = sorted(set(members) | {n for d in found.get("disagreements") or ()
                                   for n in (d.get("values") or {})})
    view["rows"] = [{"node": node, "keys": members.get(node, {}).get("keys"),
                     "read_s": members.get(node, {}).get("read_s")} for node in nodes]
    view["nodes"] = nodes
    view["keys"], view["disagreeing"] = found.get("keys"), found.get("disagreeing") or 0
    view["disagreements"] = []
    for d in found.get("disagreements") or ():
        values = d.get("values") or {}
        common = Counter(repr(v) for v in values.values()).most_common(1)
        usual = common[0][0] if common and common[0][1] > 1 else None
        view["disagreements"].append({"key": d.get("key"), "cells": [
            {"value": _value(values[n]) if n in values else "",
             "read": n in values, "odd": n in values and repr(values[n]) != usual}
            for n in nodes]})
    return view


def members_part(found: Any) -> Markup:
    """The members' table of a result's ``members`` (a member-state result), as HTML;
    empty when there is none."""
    if not isinstance(found, Mapping):
        return Markup("")
    return Markup(render_template("member_state.html", members=members_view(found)))


def render(name: str, result: Mapping[str, Any], history: History | None = None) -> str:
    return (heading(name, result) + notes(result) + str(members_part({**result, "reason": None}))
            + facts(result, ("members", "agree", "keys", "disagreeing", "disagreements",
                             "unread", "elements_anywhere")))


SECTION = Section(KIND, render)
