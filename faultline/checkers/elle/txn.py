"""Transactions as the Elle checker sees them: one :class:`Txn` per client transaction.

A history of ``f="txn"`` ops (see docs/elle.md) becomes a list of Txns, one per invocation
with its completion, plus one per completion that has no invocation: Elle's own tests write
histories of completions only, and such a transaction follows nothing in real time (it has no
invocation to follow from). Nemesis ops are skipped.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Sequence

from faultline.core.errors import BadInputError
from faultline.core.history import History
from faultline.core.op import FAIL, INFO, INVOKE, NEMESIS, OK, Op

__all__ = ["Mop", "Txn", "txns_from_history", "workload_of"]

_KINDS = frozenset({"append", "r", "w"})

Mop = tuple[str, Any, Any]
"""A micro-op: ``("append", k, v)``, ``("w", k, v)`` or ``("r", k, read)``; a read of nothing
is ``None`` (list-append ``[]`` is kept as given: the checkers treat both as empty). Keys and
written values that are lists become tuples (they index dicts); reads stay as given."""


@dataclass(frozen=True, slots=True)
class Txn:
    """One transaction.

    ``id`` is dense, 0..n-1, in history order of ``index``; ``index`` is the history index of
    the completion or, for a transaction never completed, of its invocation. ``complete_index``
    is None for ``info`` and never-completed transactions: those precede nothing in real time.
    ``invoke_index`` is None for a completion logged without invocation. ``mops`` are the
    completion's micro-ops (an ``ok`` carries what it read), the invocation's for ``info``.
    """

    id: int
    index: int
    invoke_index: int | None
    complete_index: int | None
    process: Any
    type: str
    mops: tuple[Mop, ...]


def txns_from_history(history: History | Sequence[Op]) -> list[Txn]:
    """The client transactions of ``history``, ordered and numbered as :class:`Txn` says.

    Raises :class:`BadInputError` for a client op that is not a transaction or whose
    value is not a list of ``[f, k, v]`` micro-ops.
    """
    if not isinstance(history, History):
        history = History(history)
    rows: list[tuple[int, int | None, int | None, Any, str, Any]] = []
    paired: set[int] = set()
    for pair in history.pairs():
        invoke, completion = pair.invoke, pair.completion
        if invoke.process == NEMESIS:
            continue
        if completion is not None:
            paired.add(completion.index)
        if completion is None or completion.type == INFO:
            index = completion.index if completion is not None else invoke.index
            rows.append((index, invoke.index, None, invoke.process, INFO, invoke.value))
        else:
            rows.append((completion.index, invoke.index, completion.index, invoke.process,
                         completion.type, completion.value))
    for op in history:
        if op.type != INVOKE and op.process != NEMESIS and op.index not in paired:
            complete = op.index if op.type in (OK, FAIL) else None
            rows.append((op.index, None, complete, op.process, op.type, op.value))
    rows.sort(key=lambda row: row[0])
    return [Txn(i, index, inv, comp, process, kind, _mops(history[index], value))
            for i, (index, inv, comp, process, kind, value) in enumerate(rows)]


def workload_of(history: History | Sequence[Op]) -> str:
    """``"list-append"`` when the transactions append (or read lists), else
    ``"rw-register"``; :class:`BadInputError` when they both append and write."""
    appends = writes = lists = False
    for op in history:
        if op.process == NEMESIS or not isinstance(op.value, list):
            continue
        for mop in op.value:
            if isinstance(mop, (list, tuple)) and len(mop) == 3:
                appends = appends or mop[0] == "append"
                writes = writes or mop[0] == "w"
                lists = lists or (mop[0] == "r" and isinstance(mop[2], list))
    if appends and writes:
        raise BadInputError("the transactions both append (list-append) and write "
                            "(rw-register): one history holds one workload")
    return "list-append" if appends or (lists and not writes) else "rw-register"


def _mops(op: Op, value: Any) -> tuple[Mop, ...]:
    if op.f != "txn":
        raise BadInputError(f"op {op.index}: not a transaction (f={op.f!r})")
    if not isinstance(value, (list, tuple)):
        raise BadInputError(f"op {op.index}: a transaction's value must be a list of "
                            f"micro-ops, got {value!r}")
    try:  # the common, well-formed case at C speed; anything odd is looked at below
        mops = tuple([(f, k, v) for f, k, v in value])
        fits = _KINDS.issuperset([m[0] for m in mops]) and all(
            type(m) is list or type(m) is tuple for m in value)
    except (TypeError, ValueError):
        fits = False
    if not fits:
        bad = next((m for m in value if not (isinstance(m, (list, tuple)) and len(m) == 3
                                             and isinstance(m[0], str) and m[0] in _KINDS)),
                   value)
        raise BadInputError(f"op {op.index}: bad micro-op {bad!r}: expected "
                            "[append k v], [r k v] or [w k v]")
    if any(type(k) is list or (f != "r" and type(v) is list) for f, k, v in mops):
        mops = tuple((f, _hashable(k), v if f == "r" else _hashable(v)) for f, k, v in mops)
    return mops


def _hashable(x: Any) -> Any:
    """Keys and written values index dicts: a list (an EDN vector key such as
    ``[:anti 1]``) becomes a tuple."""
    return tuple(_hashable(e) for e in x) if isinstance(x, list) else x
