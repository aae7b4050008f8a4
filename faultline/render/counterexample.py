"""A linearizability counterexample (:mod:`faultline.checkers.counterexample`) as text:
the one rendering ``faultline check`` prints and report.html shows.

What it says: the op that cannot be linearized (and, when the write-order constraints
proved it, why in words), the end of the longest linearizable prefix found with the state
it leaves, and the ops still pending there. Each op is ``op #invoke..#completion``, with
the source file's lines when the importer knew them.
"""

from __future__ import annotations

import json
from typing import Any, Mapping

OPS_SHOWN = 25
"""Ops of the prefix (its end: that is what explains it) and of the pending ops shown."""


def counterexample_text(cx: Mapping[str, Any], *, ops_shown: int = OPS_SHOWN) -> str:
    """``cx`` as lines of text; at most ``ops_shown`` ops of the prefix and of the pending
    ops each (``faultline check`` shows fewer on a terminal; ``--json`` has them all)."""
    where = "" if cx.get("key") is None else f"key {_json(cx['key'])}: "
    lines = [f"{where}this op cannot be linearized: {_describe(cx.get('op'))}"]
    if cx.get("explanation"):
        lines.append(f"  why ({cx.get('shape')}): {cx['explanation']}")
    prefix = cx.get("prefix") or []
    shown = prefix[-ops_shown:] if ops_shown > 0 else []
    lines.append(f"after the longest linearizable prefix found ({_ops(len(prefix))}"
                 + (f", last {len(shown)} shown" if len(shown) < len(prefix) else "")
                 + f"), ending in state {_json(cx.get('state'))}:")
    lines += ["  " + _describe(e) for e in shown]
    concurrent = cx.get("concurrent") or []
    if concurrent:
        lines.append(f"ops still pending there, none of which can go next either "
                     f"({len(concurrent)}):")
        lines += ["  " + _describe(e) for e in concurrent[:ops_shown]]
        if len(concurrent) > ops_shown:
            lines.append(f"  ... {len(concurrent) - ops_shown} more")
    return "\n".join(lines)


def counterexample_sentence(cx: Mapping[str, Any]) -> str:
    """What ``cx`` shows, in one sentence: the checker's explanation when the write-order
    constraints proved it, else what the search found (the prefix, its final state, the
    ops pending there)."""
    where = "" if cx.get("key") is None else f"Key {_json(cx['key'])}: "
    if cx.get("explanation"):
        return f"{where}{cx['explanation']}."
    op = cx.get("op") or {}
    pending = len(cx.get("concurrent") or [])
    stuck = (f"neither it nor any of the {_ops(pending)} pending then can go next" if pending
             else "it cannot go next, and no other op was pending then")
    return (f"{where}{op.get('description')} (op #{op.get('index')}, process "
            f"{op.get('process')}) cannot be linearized: after the longest linearizable "
            f"prefix found ({_ops(len(cx.get('prefix') or []))}), which ends in state "
            f"{_json(cx.get('state'))}, {stuck}.")


def _ops(n: int) -> str:
    return f"{n} op" if n == 1 else f"{n} ops"


def _json(value: Any) -> str:
    return json.dumps(value, default=repr)


def _describe(entry: Mapping[str, Any] | None) -> str:
    if not entry:
        return "(none)"
    span = f"op #{entry.get('index')}"
    span += (f"..#{entry['completed']}" if entry.get("completed") is not None
             else " (outcome unknown)")
    source = [line for line in entry.get("lines") or () if line is not None]
    if source:
        span += f" (line{'s' if len(source) > 1 else ''} {'-'.join(map(str, source))})"
    return f"{span} process {entry.get('process')}: {entry.get('description')}"
