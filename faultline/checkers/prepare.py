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
from faultline.checkers.order import register_order
from faultline.checkers.wgl import INFINITY, Entry


def _outcome_op(pair: Pair) -> Op | None:
    """The op handed to ``model.step``, or None when the pair is dropped."""
    inv, comp = pair.invoke, pair.completion
    if comp is None or comp.type == INFO:
        return inv.with_(type=INFO)
    if comp.type == OK or (comp.type == FAIL and is_cas_mismatch(comp)):
        if comp.value is not None and comp.key == inv.key and comp.f == inv.f:
            return comp  # already the outcome: spare a copy (this runs once per op)
        value = comp.value if comp.value is not None else inv.value
        return comp.with_(value=value, key=inv.key, f=inv.f)
    return None


def entries_for(model: Any, pairs: Iterable[Pair], *, prune: bool = True) -> list[Entry]:
    """The search entries of one sub-history, sorted by invocation, with order hints
    (``prune``: add the write-order constraints of :mod:`faultline.checkers.order`)."""
    read_only = getattr(model, "read_only", None)
    entries: list[Entry] = []
    for pair in pairs:
        if pair.invoke.process == NEMESIS:
            continue
        op = _outcome_op(pair)
        if op is None:
            continue
        known = op.type != INFO
        ro = bool(read_only and read_only(op))
        if not known and ro:
            continue
        ret = pair.completion.index if known else INFINITY
        entries.append(Entry(op=op, call=pair.invoke.index, ret=ret, required=known,
                             read_only=ro))
    entries.sort(key=lambda e: e.call)
    if prune and hasattr(model, "order_views"):
        register_order(model, entries)
    return entries


def partition(model: Any, history: History | list[Op]) -> dict[Any, list[Pair]]:
    """Independent sub-histories: the model's ``partition``, else the whole history."""
    if not isinstance(history, History):
        history = History(history)
    if hasattr(model, "partition"):
        return model.partition(history)
    return {None: history.pairs()}
