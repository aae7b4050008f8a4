"""A counterexample a person can follow, as data (rendering is elsewhere).

For an illegal key: the op that cannot be linearized, the longest linearizable prefix the
search found before it (in linearization order, its last ops with the model state after
each, and the state it ends in), and the
ops concurrent with it that were still pending there; ``source``, when values are unique,
the write whose value the op observed. When the write-order constraints
prove the key illegal before any search, ``conflict`` names the other op involved,
``shape`` the anomaly (stale-read, future-read, order-cycle) and ``explanation`` says it in
words.
"""

from __future__ import annotations

from typing import Any

from faultline.checkers.order import producer_of


_SCALARS = frozenset({int, str, type(None), float, bool})


def jsonable(value: Any) -> Any:
    """Model states and values as JSON data (tuples -> lists, sets -> sorted lists)."""
    if type(value) in _SCALARS:  # the common case first: this runs once per op shown
        return value
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


_EXPLAIN = {
    "stale-read": "{op} returned a value that {other} had already overwritten: {other} "
                  "began after that value was written and completed before {op} began",
    "future-read": "{op} returned the value of {other}, which began only after {op} "
                   "completed",
    "order-cycle": "the values read order {op} before {other}, but {other} completed "
                   "before {op} began",
    "order-cycle-via": "{via} read the value of {other} after the value {op} read had been "
                       "written, so {other} overwrote what {op} read; yet {other} completed "
                       "before {op} began",
}


def _words(model: Any, entry: Any) -> str:
    return f"[{describe_entry(model, entry)['description']}] (op {entry.call})"


STATES_KEPT = 64
"""Prefix ops, from its end, that carry the model state after them: the end is what a
reader follows (the report draws the last dozen), and a long prefix of a model with a
large state (many registers) would otherwise make results.json huge."""


def _prefix(model: Any, on_path: list[Any], states: list | None) -> list[dict[str, Any]]:
    """The prefix's ops (``on_path``: its entries in linearization order), the last
    :data:`STATES_KEPT` with the model ``state`` after each (``states``, else replayed from
    ``init``: the search keeps only the last)."""
    if states is None:
        state, states, step = model.init(), [], model.step
        for entry in on_path:
            state = step(state, entry.op)[1]
            states.append(state)
    prefix = [describe_entry(model, entry) for entry in on_path]
    for n in range(max(0, len(prefix) - STATES_KEPT), len(prefix)):
        prefix[n]["state"] = jsonable(states[n])
    return prefix


def _path_entries(stuck: dict[str, Any], entries: Any) -> list[Any]:
    """The entries of the stuck path: as the search read them, else looked up."""
    on_path = stuck.get("path_entries")
    return on_path if on_path is not None else [entries[i] for i in stuck["path"]]


def counterexample(model: Any, key: Any, search: Any) -> dict[str, Any]:
    stuck = search.stuck()
    entries = search.entries
    blocked = stuck["blocked"]
    extra: dict[str, Any] = {}
    if "source" in stuck:  # the search knows it (the compiled core's own entries)
        source = stuck["source"]
    else:
        source = producer_of(entries, blocked) if blocked is not None else None
    if source is not None:
        extra["source"] = describe_entry(model, entries[source])
    if "conflict" in stuck:
        first, then = entries[blocked], entries[stuck["conflict"]]
        extra["conflict"] = describe_entry(model, then)
        extra["shape"] = stuck["shape"]
        shape = stuck["shape"]
        via = stuck.get("witness")
        if via is not None:
            extra["witness"] = describe_entry(model, entries[via])
            shape = "order-cycle-via"
        extra["explanation"] = _EXPLAIN[shape].format(
            op=_words(model, first), other=_words(model, then),
            via=_words(model, entries[via]) if via is not None else "")
    return {**extra,
        "key": jsonable(key),
        "op": describe_entry(model, entries[blocked]) if blocked is not None else None,
        "prefix": _prefix(model, _path_entries(stuck, entries), stuck.get("states")),
        "state": jsonable(stuck["state"]),
        "concurrent": [describe_entry(model, entries[i]) for i in stuck["concurrent"]],
    }
