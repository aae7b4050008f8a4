"""A counterexample a person can follow, as data (rendering is elsewhere).

For an illegal key: the op that cannot be linearized, the longest linearizable prefix the
search found before it (in linearization order, with the model state it ends in), and the
ops concurrent with it that were still pending there.
"""

from __future__ import annotations

from typing import Any


def jsonable(value: Any) -> Any:
    """Model states and values as JSON data (tuples -> lists, sets -> sorted lists)."""
    if isinstance(value, (list, tuple)):
        return [jsonable(v) for v in value]
    if isinstance(value, (set, frozenset)):
        return sorted((jsonable(v) for v in value), key=repr)
    if isinstance(value, dict):
        return {str(k): jsonable(v) for k, v in value.items()}
    return value


def describe_entry(model: Any, entry: Any) -> dict[str, Any]:
    op = entry.op
    describe = getattr(model, "describe", None)
    return {
        "index": entry.call,
        "completed": entry.ret if entry.required else None,
        "process": op.process,
        "type": op.type,
        "f": op.f,
        "value": jsonable(op.value),
        "description": describe(op) if describe else f"{op.f} {op.value!r}",
    }


def counterexample(model: Any, key: Any, search: Any) -> dict[str, Any]:
    stuck = search.stuck()
    entries = search.entries
    blocked = stuck["blocked"]
    return {
        "key": jsonable(key),
        "op": describe_entry(model, entries[blocked]) if blocked is not None else None,
        "prefix": [describe_entry(model, entries[i]) for i in stuck["path"]],
        "state": jsonable(stuck["state"]),
        "concurrent": [describe_entry(model, entries[i]) for i in stuck["concurrent"]],
    }
