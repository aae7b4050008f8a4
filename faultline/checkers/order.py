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
   real time, by rule 2, or because p is a cas that observed a): once p has written, the
   register never holds a again. The
   initial value precedes every writer, so its ok observers precede every writer.

Each constraint is "if j is linearized, i was linearized before it", which is what the
search checks (``Entry.preds``). Constraints out of an unknown (info) entry only come from
rule 1, whose target cannot succeed without it. The model opts in with
``order_views(entries) -> (views, initial) | None``: per entry ``(kind, observed, written)`` or
None, kind being ``read``, ``write``, ``cas`` (observes one version, writes another) or
``mismatch`` (mismatches and unconstrained reads add nothing); ``initial`` names the
initial version. Values here are *versions*: for a register the value written; for the
kv model the entry that wrote last (see :mod:`faultline.checkers.kv_versions`).
"""

from __future__ import annotations

from bisect import bisect_left, bisect_right
from typing import Any

from faultline.checkers.wgl import Entry

INITIAL_VERSION = ("initial version",)


def _bits(mask: int):
    while mask:
        low = mask & -mask
        yield low.bit_length() - 1
        mask ^= low


def _producers(views: list) -> dict[Any, int]:
    """Written version -> the entry that wrote it (versions are unique once hinted)."""
    return {v[2]: i for i, v in enumerate(views) if v is not None and v[0] in ("write", "cas")}


def attach_views(model: Any, entries: list[Entry]) -> tuple[list, Any, dict] | None:
    """Set ``entries[i].view`` (what :func:`explain` and :func:`producer_of` read; the
    initial value named :data:`INITIAL_VERSION`) when the hints apply: returns the views,
    the initial version and each written version's producer; None when values repeat."""
    found = model.order_views(entries)
    if found is None:
        return None
    views, initial = found
    producer: dict[Any, int] = {}
    for i, view in enumerate(views):
        if view is not None and view[0] in ("write", "cas"):
            written = view[2]
            if written in producer or written == initial:
                return None  # a repeated value: reads no longer name their write
            producer[written] = i
    if not producer:
        return None
    for e, view in zip(entries, views):
        if view is not None and view[0] in ("read", "cas") and view[1] == initial:
            view = (view[0], INITIAL_VERSION, view[2])
        e.view = view
    return views, initial, producer


def register_order(model: Any, entries: list[Entry]) -> bool:
    """Add the constraints above to ``entries[i].preds``; False when values repeat."""
    found = attach_views(model, entries)
    if found is None:
        return False
    views, initial, producer = found

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

    # Rule 3 for a cas: it follows the write it observed, so that value's other ok
    # observers precede it.
    for i, view in enumerate(views):
        if view is not None and view[0] == "cas":
            entries[i].preds |= observers.get(view[1], 0) & ~(1 << i)

    # Writers that completed, by completion; running unions of them and of their
    # observers, taken in the order of each producer's horizon (one union at a time).
    done = sorted((entries[p].ret, p, v) for v, p in producer.items() if entries[p].required)
    rets = [r for r, _, _ in done]
    by_horizon = []
    for v, p in producer.items():
        own = observers.get(v, 0)
        horizon = entries[p].call
        for o in _bits(own):
            horizon = max(horizon, entries[o].call)
        by_horizon.append((bisect_left(rets, horizon), p, own))  # writers done before it
    by_horizon.sort()
    writers, observed, taken = 0, observers.get(initial, 0), 0
    for k, p, own in by_horizon:
        for _, q, v in done[taken:k]:
            writers |= 1 << q
            observed |= observers.get(v, 0)
        taken = max(taken, k)
        entries[p].preds |= (writers | observed & ~own) & ~(1 << p)
    _drop_real_time(entries)
    return True


def _drop_real_time(entries: list[Entry]) -> None:
    """Drop the constraints "i before j" where i completed before j was invoked: the search
    enforces real time already, so they add nothing, and without them each entry keeps
    only constraints on ops concurrent with it (not a prefix of the whole history)."""
    by_ret = sorted((e.ret, i) for i, e in enumerate(entries) if e.required)
    finished, k = 0, 0  # mask of the entries that completed before the current call
    for e in entries:  # sorted by call
        while k < len(by_ret) and by_ret[k][0] < e.call:
            finished |= 1 << by_ret[k][1]
            k += 1
        if e.preds:
            e.preds &= ~finished


def producer_of(entries: list[Entry], i: int) -> int | None:
    """The entry that wrote the version entry ``i`` observed (the write a read saw), when
    the hints apply and one did; None otherwise (the initial value, no hints)."""
    view = entries[i].view
    if view is None or view[0] not in ("read", "cas"):
        return None
    p = _producers([e.view for e in entries]).get(view[1])
    return p if p != i else None


def contradiction(entries: list[Entry]) -> tuple[int, int] | None:
    """A pair (i, p) where the constraints say i precedes p, yet p completed before i was
    invoked: no linearization exists. Found in O(constraints); catches the common shapes
    (a stale read, a read from the future) before any search.
    """
    calls = [e.call for e in entries]
    everything = (1 << len(entries)) - 1
    for p, e in enumerate(entries):
        if not e.preds or not e.required:
            continue
        later = everything & ~((1 << bisect_right(calls, e.ret)) - 1)  # invoked after p ended
        clash = e.preds & later
        if clash:
            return (clash & -clash).bit_length() - 1, p
    return None


def explain(entries: list[Entry]) -> tuple[int, int, str] | None:
    """The plainest anomaly behind a contradiction: (reader, writer, shape) where shape is
    ``"stale-read"`` (the writer overwrote the value read, starting after that value's
    write completed or being a cas from that value, and completing before the reader
    began) or ``"future-read"`` (the
    writer of the value read began after the reader completed). None if neither shape
    occurs (the contradiction then comes from a longer chain of constraints)."""
    views = [e.view for e in entries]
    producer = _producers(views)
    # Completed writers by completion, with the latest-invoked one among each prefix.
    done = sorted((entries[i].ret, entries[i].call, i) for i in producer.values()
                  if entries[i].required)
    rets = [r for r, _, _ in done]
    latest: list[tuple[int, int]] = []
    for _, call, i in done:
        latest.append(max(latest[-1], (call, i)) if latest else (call, i))
    overwrote: dict[Any, list[int]] = {}
    for x, view in enumerate(views):
        if view is not None and view[0] == "cas":
            overwrote.setdefault(view[1], []).append(x)
    for o, view in enumerate(views):
        if view is None or view[0] not in ("read", "cas") or not entries[o].required:
            continue
        p = producer.get(view[1])
        if p is None and view[1] != INITIAL_VERSION:
            continue
        if p is not None and entries[p].call > entries[o].ret:
            return o, p, "future-read"
        for x in overwrote.get(view[1], ()):  # a cas that replaced the value, done before o
            if x != o and entries[x].required and entries[x].ret < entries[o].call:
                return o, x, "stale-read"
        k = bisect_left(rets, entries[o].call)  # writers completed before o began
        if k:
            call, x = latest[k - 1]
            written_by = entries[p].ret if p is not None else -1
            if x != p and x != o and call > written_by:
                return o, x, "stale-read"
    return None


def witness(entries: list[Entry], reader: int, writer: int) -> int | None:
    """For an order-cycle (``reader`` must precede ``writer``): an ok read of the
    writer's value that began after the reader's value was written, which is what puts
    ``writer`` after that write. None when the chain is longer."""
    views = [e.view for e in entries]
    if views[reader] is None or views[writer] is None or views[writer][2] is None:
        return None
    producer = _producers(views)
    source = producer.get(views[reader][1])
    written = entries[source].ret if source is not None else -1
    for o, view in enumerate(views):
        if (view is not None and view[0] in ("read", "cas") and entries[o].required
                and view[1] == views[writer][2] and entries[o].call > written):
            return o
    return None
