"""The section of a linearizability result (:func:`faultline.checkers.check_linearizable`):
the keys by verdict (keys left unsearched after the first invalid one say so, they are
not "unknown"), the undecided keys with why, the counterexample: in one sentence,
drawn (:mod:`faultline.render.counterexample_figure`), and as text, and the members'
final state when the result has one (:mod:`.member_state`)."""

from __future__ import annotations

from typing import Any, Mapping

from faultline.checkers.linearizable import KIND, NOT_CHECKED
from faultline.core.history import History
from faultline.core.result import verdict_word
from faultline.render.counterexample import counterexample_sentence, counterexample_text
from faultline.render.counterexample_figure import counterexample_figure
from faultline.render.markup import render_template
from faultline.render.sections import Section
from faultline.render.sections.member_state import members_part

KEYS_LISTED = 20
"""Invalid keys named, and undecided keys given a row, at most."""


def key_tally(keys: Mapping[str, Any]) -> list[tuple[str, int]]:
    """``[(word, count)]`` of the per-key results: valid, invalid, not checked (the search
    stopped at the first invalid key), unknown (a budget ran out); zero counts left out."""
    counts = {"valid": 0, "invalid": 0, NOT_CHECKED: 0, "unknown": 0}
    for r in keys.values():
        r = r if isinstance(r, Mapping) else {}
        word = verdict_word(r.get("valid"))
        counts[NOT_CHECKED if word == "unknown" and r.get("checked") is False else word] += 1
    return [(word, n) for word, n in counts.items() if n]


def render(name: str, result: Mapping[str, Any], history: History | None = None) -> str:
    keys = result.get("keys") if isinstance(result.get("keys"), Mapping) else {}
    invalid = [k for k, r in keys.items() if isinstance(r, Mapping) and r.get("valid") is False]
    undecided = [{"key": k, "ops": r.get("ops"), "configurations": r.get("configurations"),
                  "reason": r.get("reason")} for k, r in keys.items()
                 if isinstance(r, Mapping) and verdict_word(r.get("valid")) == "unknown"
                 and r.get("checked") is not False]
    cx = result.get("counterexample") if isinstance(result.get("counterexample"), Mapping) \
        else None
    tally = key_tally(keys)
    return render_template(
        "linearizable.html", result_name=name, result=result, tally=tally,
        not_checked=dict(tally).get(NOT_CHECKED, 0),
        invalid_keys=invalid[:KEYS_LISTED], invalid_more=max(0, len(invalid) - KEYS_LISTED),
        undecided=undecided[:KEYS_LISTED], undecided_more=max(0, len(undecided) - KEYS_LISTED),
        cx=cx, sentence=counterexample_sentence(cx) if cx else "",
        figure=counterexample_figure(cx, history) if cx else "",
        text=counterexample_text(cx) if cx else "",
        members=members_part(result.get("members")),
        left={k: v for k, v in result.items()
              if k not in {"valid", "kind", "error", "reason", "keys", "counterexample",
                           "settled", "members"}})


SECTION = Section(KIND, render)
