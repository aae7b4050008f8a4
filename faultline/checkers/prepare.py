"""From a history to the entries the search works on, one list per independent key.

Semantics (exactly those of :mod:`faultline.core.op`, plus the cas-mismatch observation):

- ``ok``: happened with that result; it must be linearized between its invocation and
  its completion.
- ``info`` or no completion: unknown. Open from its invocation to the end of the history;
  it may or may not take effect. Unknown read-only ops constrain nothing and are dropped.
- ``fail``: definitely did not happen; dropped. Except a ``fail`` whose ``error`` is
  :data:`faultline.checkers.models.CAS_MISMATCH`: that cas completed without writing and observed
  that the register differed from its expected value; it is linearized like an ``ok``.
- Nemesis ops are not client operations and are ignored.
"""

from __future__ import annotations

from typing import Any, Iterable

from faultline.core.history import History, Pair
from faultline.core.op import FAIL, INFO, NEMESIS, OK, Op

from faultline.checkers.models import is_cas_mismatch
from faultline.checkers.order import attach_views, register_order
from faultline.checkers.wgl import INFINITY, Entry


def _outcome_op(inv: Op, comp: Op | None) -> Op | None:
    """The op handed to ``model.step``, or None when the pair is dropped."""
    if comp is None or comp.type == INFO:
        return inv.with_(type=INFO)
    if comp.type == OK or (comp.type == FAIL and is_cas_mismatch(comp)):
        value = comp.value if comp.value is not None else inv.value
        if value is comp.value and comp.key == inv.key and comp.f == inv.f:
            return comp  # already the outcome: spare a copy (this runs once per op)
        return comp.with_(value=value, key=inv.key, f=inv.f)
    return None


def entry_of(inv: Op, comp: Op | None, read_only: Any) -> Entry | None:
    """The search entry of an invocation and its completion (None: never completed), or
    None when it is dropped (see the module's doc)."""
    op = _outcome_op(inv, comp)
    if op is None:
        return None
    known = op.type != INFO
    ro = bool(read_only and read_only(op))
    if not known and ro:
        return None
    # Positional: about twice as fast as keywords, and this runs once per op.
    return Entry(op, inv.index, comp.index if known else INFINITY, known, ro)


def entries_for(model: Any, pairs: Iterable[Pair], *, prune: bool = True) -> list[Entry]:
    """The search entries of one sub-history, sorted by invocation, with order hints
    (``prune``: add the write-order constraints of :mod:`faultline.checkers.order`)."""
    read_only = getattr(model, "read_only", None)
    entries = [e for pair in pairs if pair.invoke.process != NEMESIS
               for e in (entry_of(pair.invoke, pair.completion, read_only),)
               if e is not None]
    entries.sort(key=lambda e: e.call)
    if prune and hasattr(model, "order_views"):
        register_order(model, entries)
    return entries


def entries_at(model: Any, history: History, spans: list[tuple[int, int]], *,
               prune: bool = True) -> list[Entry]:
    """The entries of the ``(invocation index, completion index | -1)`` pairs of
    ``history`` that the compiled core prepared itself (they are kept, in this order),
    with the write-order views (not the constraints: the core has those)."""
    read_only = getattr(model, "read_only", None)
    entries = [entry_of(history[i], history[c] if c >= 0 else None, read_only)
               for i, c in spans]
    if prune and hasattr(model, "order_views"):
        attach_views(model, entries)
    return entries


def partition(model: Any, history: History | list[Op]) -> dict[Any, list[Pair]]:
    """Independent sub-histories: the model's ``partition``, else the whole history."""
    if not isinstance(history, History):
        history = History(history)
    if hasattr(model, "partition"):
        return model.partition(history)
    return {None: history.pairs()}
