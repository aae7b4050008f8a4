"""Knossos histories: EDN op maps, usually one vector of them.

``{:process 3, :type :ok, :f :cas, :value [1 2], :time 12345}``; ``f`` is ``read``,
``write``, ``cas`` (a compare-and-set register, initial 0) or ``txn`` with micro-ops
``[:read k v]``/``[:write k v]`` (Knossos' multi-register, initial 0 per register).
Nemesis ops (``:process :nemesis``) are kept as nemesis ops.

Semantics (Knossos'), mapped onto ours:
- ``:fail``: did not happen and observed nothing -> ``fail``.
- ``:info`` or no completion: unknown, open until the end -> ``info``.
- ``:ok :read nil``: the read returned nothing, which constrains nothing -> ``info``.
- A read invocation's value is dropped (Knossos files sometimes carry the later result
  there), and so is an ``info`` completion's (a repeat of the invocation's); a completion
  carries the result. Micro-op keys (``:x``) become strings (``"x"``).
"""

from __future__ import annotations

from typing import Any

from faultline.checkers.importers import records as rec
from faultline.checkers.importers.builder import HistoryBuilder, SourceHistory
from faultline.checkers.importers.edn import to_plain
from faultline.checkers.importers.infer import ModelChoice
from faultline.core.history import History
from faultline.core.op import INFO, INVOKE, NEMESIS, OK


def from_records(path: str, records: list[tuple[int, Any]]) -> SourceHistory:
    builder = HistoryBuilder(path)
    for line, record in records:
        op = rec.op_map(builder, line, record)
        process = rec.op_process(builder, line, op)
        op_type = rec.op_type(builder, line, op)
        f = rec.op_f(builder, line, op)
        time = rec.op_time(builder, line, op)
        value = to_plain(op.get(rec.K_VALUE))
        if process != NEMESIS and f == "txn":
            _check_txn(builder, line, value)
        if op_type == INVOKE:
            builder.invoke(line, process, f, None if f == "read" else value, time=time)
        elif op_type == OK and f == "read" and value is None:
            builder.complete(line, process, INFO, f, None, time=time, error="read returned nil")
        elif op_type == INFO and process != NEMESIS:
            # An unknown outcome has no result; Knossos repeats the invocation's value here.
            builder.complete(line, process, INFO, f, None, time=time, error=rec.op_error(op))
        else:
            builder.complete(line, process, op_type, f, value, time=time,
                             error=rec.op_error(op))
    return builder.finish()


def _check_txn(builder: HistoryBuilder, line: int, value: Any) -> None:
    ok = isinstance(value, list) and all(
        isinstance(m, list) and len(m) == 3 and m[0] in ("read", "write") for m in value
    )
    if not ok:
        raise builder.error(line, f"a :txn value must be a vector of [:read k v] / [:write k v], "
                                  f"got {value!r}")


def implied_model(history: History) -> ModelChoice:
    """cas-register with initial 0, or for transactions a multi-register whose every
    register starts at 0 (Knossos' multi-register test uses ``{:x 0 :y 0}``). Other
    functions (a mutex's ``acquire``/``release``) are left to inference."""
    registers: dict[Any, int] = {}
    txn = False
    for op in history:
        if op.process == NEMESIS or op.f != "txn":
            continue
        txn = True
        for _, key, _ in op.value or ():
            registers.setdefault(key, 0)
    if txn:
        return ModelChoice("multi-register", {"initial": registers})
    return ModelChoice("cas-register", {"initial": 0})
