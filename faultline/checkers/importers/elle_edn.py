"""Elle transaction histories: EDN op maps whose values are lists of micro-ops.

``{:type :ok, :f :txn, :process 3, :value [[:append 9 2] [:r 9 [1 2]]], :index 7}``.
Each op becomes ``f="txn"`` (the default when ``:f`` is absent) with a list value
``[["append", 9, 2], ["r", 9, [1, 2]]]``; micro-op kinds are ``append``, ``r`` and ``w``.
A client op of another ``:f`` is an error: Elle's histories hold transactions only.
Types keep Jepsen's meaning (``fail`` did not happen, ``info`` unknown). Elle's ``:index``
is not kept: ours is the position in the history.

Some of Elle's example histories name no ``:process``. Each of their invocations then
gets a process of its own, and a completion closes the oldest open invocation with the
same micro-ops (reads compared by key only, since the invocation does not know the result).
"""

from __future__ import annotations

from typing import Any

from faultline.checkers.importers import records as rec
from faultline.checkers.importers.builder import HistoryBuilder, SourceHistory
from faultline.checkers.importers.edn import to_plain
from faultline.core.op import INVOKE, NEMESIS

MICRO_OP_KINDS = ("append", "r", "w")


def from_records(path: str, records: list[tuple[int, Any]]) -> SourceHistory:
    builder = HistoryBuilder(path)
    named = [r.get(rec.K_PROCESS) for _, r in records if isinstance(r, dict)]
    next_process = 1 + max((p for p in named if isinstance(p, int)), default=-1)
    unnamed_open: list[tuple[int, tuple]] = []  # (process we gave it, micro-op shape)
    for line, record in records:
        op = rec.op_map(builder, line, record)
        op_type = rec.op_type(builder, line, op)
        f = rec.op_f(builder, line, op, default="txn")
        time = rec.op_time(builder, line, op)
        value = to_plain(op.get(rec.K_VALUE))
        process = rec.op_process(builder, line, op) if rec.K_PROCESS in op else None
        if process != NEMESIS and f != "txn":
            raise builder.error(line, f"an Elle op is a transaction (:f :txn), got :{f}")
        shape = _shape(builder, line, value) if process != NEMESIS and f == "txn" else None
        if process is None and op_type == INVOKE:
            process, next_process = next_process, next_process + 1
            unnamed_open.append((process, shape))
        elif process is None:
            process = _close_unnamed(builder, line, unnamed_open, shape)
        if op_type == INVOKE:
            builder.invoke(line, process, f, value, time=time)
        else:
            builder.complete(line, process, op_type, f, value, time=time,
                             error=rec.op_error(op))
    return builder.finish()


def _shape(builder: HistoryBuilder, line: int, value: Any) -> tuple:
    """The micro-ops without read results; raises on anything that is not a transaction."""
    if not isinstance(value, list):
        raise builder.error(line, f"a transaction must be a vector of micro-ops, got {value!r}")
    shape = []
    for micro in value:
        if not (isinstance(micro, list) and len(micro) == 3 and micro[0] in MICRO_OP_KINDS):
            raise builder.error(
                line, f"bad micro-op {micro!r}: expected [:append k v], [:r k v] or [:w k v]"
            )
        kind, key, v = micro
        shape.append((kind, repr(key), None if kind == "r" else repr(v)))
    return tuple(shape)


def _close_unnamed(builder: HistoryBuilder, line: int, unnamed_open: list[tuple[int, tuple]],
                   shape: tuple) -> int:
    for i, (process, open_shape) in enumerate(unnamed_open):
        if open_shape == shape:
            del unnamed_open[i]
            return process
    raise builder.error(line, "completion without :process matches no open invocation")
