"""The section of a linearizability result (:func:`faultline.checkers.check_linearizable`):
how many keys were valid, invalid or unknown, and the counterexample as text."""

from __future__ import annotations

from typing import Any, Mapping

from faultline.checkers.linearizable import KIND
from faultline.core.result import verdict_word
from faultline.render.counterexample import counterexample_text
from faultline.render.markup import esc
from faultline.render.sections import Section, facts, heading, notes


def render(name: str, result: Mapping[str, Any], history: Any = None) -> str:
    parts = [heading(name, result), notes(result)]
    keys = result.get("keys")
    if isinstance(keys, Mapping) and keys:
        tally = {"valid": 0, "invalid": 0, "unknown": 0}
        for r in keys.values():
            v = r.get("valid") if isinstance(r, Mapping) else None
            tally[verdict_word(v)] += 1
        parts.append("<p>keys: " + ", ".join(f"{n} {k}" for k, n in tally.items()) + "</p>")
    if isinstance(result.get("counterexample"), Mapping):
        parts.append("<h4>Counterexample</h4><pre>"
                     + esc(counterexample_text(result["counterexample"])) + "</pre>")
    parts.append(facts(result, shown=("keys", "counterexample")))
    return "".join(parts)


SECTION = Section(KIND, render)
