"""Elle transaction histories: EDN op maps whose values are lists of micro-ops.

``{:type :ok, :f :txn, :process 3, :value [[:append 9 2] [:r 9 [1 2]]], :index 7}``.
Each op becomes ``f="txn"`` (the default when ``:f`` is absent) with a list value
``[["append", 9, 2], ["r", 9, [1, 2]]]``; micro-op kinds are ``append``, ``r`` and ``w``.
A client op of another ``:f`` is an error: Elle's histories hold transactions only.
Types keep Jepsen's meaning (``fail`` did not happen, ``info`` unknown). Elle's ``:index``
is not kept: ours is the position in the history.

Elle's own tests write histories of completions only (no ``:invoke`` at all): each
completion then stands for a whole transaction that follows nothing in real time, as
Elle reads them. A history with any client invocation must pair every completion.

Some of Elle's example histories name no ``:process`` (or ``:process nil``), and two of
its tests give one process several open invocations. Each such invocation gets a process
of its own, and a completion closes the oldest open invocation (of its process, if named)
with the same micro-ops (reads compared by key only: the invocation does not know the
result). A process that overlaps itself must complete every invocation; otherwise the
second invocation is refused as in any other format.
"""

from __future__ import annotations

from typing import Any

from faultline.checkers.importers import records as rec
from faultline.checkers.importers.builder import HistoryBuilder, SourceHistory
from faultline.checkers.importers.edn import keyword, to_plain
from faultline.core.op import INVOKE, NEMESIS

MICRO_OP_KINDS = ("append", "r", "w")
_INVOKE = keyword(INVOKE)
_NEMESIS = keyword(NEMESIS)


def from_records(path: str, records: list[tuple[int, Any]]) -> SourceHistory:
    builder = HistoryBuilder(path)
    named = [r.get(rec.K_PROCESS) for _, r in records if isinstance(r, dict)]
    next_process = 1 + max((p for p in named if isinstance(p, int)), default=-1)
    # Source process (None: unnamed) -> its open invocations: (process we gave it,
    # micro-op shape, line). More than one is open only for unnamed processes and for
    # a process that overlaps itself (Elle's tests do; each then gets a process of its own).
    open_by_source: dict[Any, list[tuple[Any, tuple, int]]] = {}
    overlapped: dict[Any, int] = {}  # source process -> line of its first overlapping invoke
    completions_only = not any(
        isinstance(r, dict) and r.get(rec.K_TYPE) == _INVOKE
        and r.get(rec.K_PROCESS) != _NEMESIS for _, r in records)
    for line, record in records:
        op = rec.op_map(builder, line, record)
        op_type = rec.op_type(builder, line, op)
        f = rec.op_f(builder, line, op, default="txn")
        time = rec.op_time(builder, line, op)
        value = to_plain(op.get(rec.K_VALUE))
        process = rec.op_process(builder, line, op) if op.get(rec.K_PROCESS) is not None else None
        if process != NEMESIS and f != "txn":
            raise builder.error(line, f"an Elle op is a transaction (:f :txn), got :{f}")
        if process == NEMESIS:
            if op_type == INVOKE:
                builder.invoke(line, process, f, value, time=time)
            else:
                builder.complete(line, process, op_type, f, value, time=time,
                                 error=rec.op_error(op))
            continue
        shape = _shape(builder, line, value)
        if completions_only:
            if process is None:
                process, next_process = next_process, next_process + 1
            builder.complete_alone(line, process, op_type, f, value, time=time,
                                   error=rec.op_error(op))
            continue
        opened = open_by_source.setdefault(process, [])
        if op_type == INVOKE:
            given = process
            if process is None or opened:
                if process is not None:
                    overlapped.setdefault(process, line)
                given, next_process = next_process, next_process + 1
            opened.append((given, shape, line))
            builder.invoke(line, given, f, value, time=time)
        else:
            given = _close(builder, line, process, opened, shape)
            builder.complete(line, given, op_type, f, value, time=time,
                             error=rec.op_error(op))
    for process, line in overlapped.items():
        if open_by_source[process]:
            first = open_by_source[process][0]
            raise builder.error(line, f"process {process} invokes 'txn' while its 'txn' "
                                      f"(line {first[2]}) is still open, and not every "
                                      "invocation of it completes")
    return builder.finish()


def _close(builder: HistoryBuilder, line: int, process: Any,
           opened: list[tuple[Any, tuple, int]], shape: tuple) -> Any:
    """The process to complete: the only open invocation of a named process, else the
    oldest open one with the same micro-ops (reads compared by key only)."""
    if process is not None and len(opened) <= 1:
        return opened.pop()[0] if opened else process  # none open: the builder says so
    for i, (given, open_shape, _) in enumerate(opened):
        if open_shape == shape:
            del opened[i]
            return given
    raise builder.error(line, "completion matches no open invocation of its process "
                              "(by micro-ops)")


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
