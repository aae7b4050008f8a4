"""Write-order pruning for registers whose written values are unique.

When every value is written at most once (and never equals the initial value), a read
names the write it saw, and the order of writes is largely revealed by the reads. We turn
that into precedence constraints ("entry i must be linearized before entry j") that hold
in every valid linearization, so the search may refuse any order that breaks one:

1. producer(v) < o for every observer o of v (an ok read of v, or a cas expecting v):
   only that write can make the register hold v.
2. x < producer(v) for every writer x that completed before some ok observer o of v was
   invoked: x happened before o, and the last write before o is producer(v).
3. o < p for every ok observer o of a and every writer p that follows producer(a) (by
   real time or by rule 2): once p has written, the register never holds a again. The
   initial value precedes every writer, so its ok observers precede every writer.

Each constraint is "if j is linearized, i was linearized before it", which is what the
search checks (``Entry.preds``). Constraints out of an unknown (info) entry only come from
rule 1, whose target cannot succeed without it. The model opts in with
``order_views(entries) -> (views, initial) | None``: per entry ``(kind, observed, written)`` or
None, kind being ``read``, ``write``, ``cas`` (observes one version, writes another) or
``mismatch`` (mismatches and unconstrained reads add nothing); ``initial`` names the
initial version. Values here are *versions*: for a register the value written; for the
kv model the entry that wrote last (see :mod:`checkers.kv_versions`).
"""

from __future__ import annotations

from bisect import bisect_left
from typing import Any

from checkers.wgl import Entry


def _bits(mask: int):
    while mask:
        low = mask & -mask
        yield low.bit_length() - 1
        mask ^= low


def register_order(model: Any, entries: list[Entry]) -> bool:
    """Add the constraints above to ``entries[i].preds``; False when values repeat."""
    found = model.order_views(entries)
    if found is None:
        return False
    views, initial = found
    producer: dict[Any, int] = {}
    for i, view in enumerate(views):
        if view is not None and view[0] in ("write", "cas"):
            written = view[2]
            if written in producer or written == initial:
                return False  # a repeated value: reads no longer name their write
            producer[written] = i
    if not producer:
        return False

    observers: dict[Any, int] = {}  # value -> mask of ok observers
    for i, view in enumerate(views):
        if view is None or view[0] not in ("read", "cas"):
            continue
        observed = view[1]
        p = producer.get(observed)
        if p is not None and p != i:
            entries[i].preds |= 1 << p  # rule 1
        if entries[i].required:
            observers[observed] = observers.get(observed, 0) | 1 << i

    # Writers that completed, by completion; prefix unions of them and of their observers.
    done = sorted((entries[p].ret, p, v) for v, p in producer.items() if entries[p].required)
    rets = [r for r, _, _ in done]
    writer_prefix = [0]
    observer_prefix = [observers.get(initial, 0)]
    for _, p, v in done:
        writer_prefix.append(writer_prefix[-1] | 1 << p)
        observer_prefix.append(observer_prefix[-1] | observers.get(v, 0))

    for v, p in producer.items():
        own = observers.get(v, 0)
        horizon = entries[p].call
        for o in _bits(own):
            horizon = max(horizon, entries[o].call)
        k = bisect_left(rets, horizon)  # writers that completed before the horizon
        entries[p].preds |= (writer_prefix[k] | observer_prefix[k] & ~own) & ~(1 << p)
    return True
