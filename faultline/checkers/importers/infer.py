"""Which model a history is checked against, and whether its ops fit that model.

The functions each built-in model knows (:data:`MODEL_FUNCTIONS`) decide both:

- :func:`infer_model`: the source's hint (a run's ``test.json``, the format's own
  model) when it knows every function the history's client ops use; otherwise the
  first model of :data:`INFERENCE_ORDER` that does (``acquire``/``release`` -> mutex,
  ``add`` -> set, ``put``/``append`` -> kv, ``txn`` -> multi-register, ``cas`` ->
  cas-register, ``read``/``write`` -> register). Transactions of Elle's micro-ops
  (``append``/``r``/``w``, :func:`is_transactional`) get no model: the Elle checker's.
  A ``test.json`` names the model the run was checked with, so it is never replaced: an
  op it does not know is an error.
- :func:`check_functions`: an op the model does not know is a
  :class:`~faultline.core.errors.HistoryFormatError` naming the file and its line,
  before any search starts.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Mapping

from faultline.core.errors import HistoryFormatError
from faultline.core.history import History
from faultline.core.op import INVOKE, NEMESIS
from faultline.core.vocabulary import READ_FS as _READS  # every model reads by either name

#: What each model of :mod:`faultline.checkers.models` can step (its ``step`` raises
#: on anything else).
MODEL_FUNCTIONS: Mapping[str, frozenset[str]] = {
    "register": _READS | {"write"},
    "cas-register": _READS | {"write", "cas"},
    "kv": _READS | {"put", "write", "append"},
    "multi-register": frozenset({"txn"}),
    "set": _READS | {"add"},
    "mutex": frozenset({"acquire", "release"}),
}
#: Smallest first, so a history of reads and writes is a register's, not a kv store's.
INFERENCE_ORDER = ("register", "cas-register", "mutex", "set", "kv", "multi-register")
_MICRO_OPS = frozenset({"read", "r", "write", "w"})  # what multi-register's txns hold
_ELLE_MICRO_OPS = frozenset({"append", "r", "w"})  # list-append's and rw-register's

#: Where the model came from: ``--model``, the run's ``test.json``, the format's own
#: model (it fits every op), or the functions the ops use (it did not).
FROM_ARGUMENT, FROM_TEST_JSON, FROM_FORMAT, FROM_FUNCTIONS = (
    "--model", "test.json", "format", "functions")


@dataclass(frozen=True)
class ModelChoice:
    """A model name (None: no model fits the source, as for Elle's transactions), its
    options, and where it came from (one of the ``FROM_*`` constants)."""

    name: str | None
    options: Mapping[str, Any] = field(default_factory=dict)
    source: str = FROM_FORMAT


def is_inferred(source: str) -> bool:
    """Whether a model from ``source`` was chosen by faultline, not named by the user
    (``--model``) or the run (``test.json``)."""
    return source in (FROM_FORMAT, FROM_FUNCTIONS)


def infer_model(path: str, history: History, lines: tuple[int | None, ...],
                hint: ModelChoice) -> ModelChoice:
    """The model for ``history`` (read from ``path``; ``lines[i]`` is op i's line).

    Raises HistoryFormatError at the first op no candidate knows when no model knows
    every function used, or when a ``test.json`` model does not know one.
    """
    if hint.source != FROM_TEST_JSON and is_transactional(history):
        return ModelChoice(None, {}, FROM_FUNCTIONS)  # the Elle checker's, no model's
    if hint.source == FROM_TEST_JSON or hint.name is None:
        if hint.name is not None:
            check_functions(path, history, lines, hint.name)
        return hint
    used = _functions(history)
    if not used or used.keys() <= MODEL_FUNCTIONS.get(hint.name, frozenset()):
        return hint
    for name in INFERENCE_ORDER:
        if used.keys() <= MODEL_FUNCTIONS[name] and _fits(name, history):
            return ModelChoice(name, {}, FROM_FUNCTIONS)
    best = max(INFERENCE_ORDER, key=lambda n: len(used.keys() & MODEL_FUNCTIONS[n]))
    first_unknown = next((i for f, i in used.items() if f not in MODEL_FUNCTIONS[best]), None)
    if first_unknown is None:  # best knows every function; some op's value does not fit it
        check_functions(path, history, lines, best)
        raise HistoryFormatError(path, None, f"the ops' values fit no model ({best}'s "
                                 "functions, other values); pass --model")
    op = history[first_unknown]
    if not any(op.f in fs for fs in MODEL_FUNCTIONS.values()):
        message = f"no model has an operation {op.f!r}"
    else:
        message = (f"no model has every operation this history uses ({', '.join(used)}): "
                   f"{op.f!r} is not {best}'s; pass --model")
    raise HistoryFormatError(path, _line(lines, op.index), message)


def is_transactional(history: History) -> bool:
    """Whether every client op is a transaction of Elle's micro-ops (``append``, ``r``,
    ``w``): a list-append or rw-register history, checked by the Elle checker rather than
    a linearizability model (multi-register txns name theirs ``read``/``write``)."""
    seen = False
    for op in history:
        if op.process == NEMESIS:
            continue
        if op.f != "txn" or not isinstance(op.value, list):
            return False
        for micro in op.value:
            if not (isinstance(micro, list) and micro and micro[0] in _ELLE_MICRO_OPS):
                return False
            seen = True
    return seen


def check_functions(path: str, history: History, lines: tuple[int | None, ...],
                    name: str) -> None:
    """Raise HistoryFormatError at the first client op model ``name`` cannot step."""
    known = MODEL_FUNCTIONS.get(name)
    if known is None:  # not a built-in: its step is the judge
        return
    for op in history:
        if name == "kv" and not _string_value(op):  # completions too: a get's result
            raise HistoryFormatError(path, _line(lines, op.index),
                                     f"model 'kv' holds strings, got {op.f} value {op.value!r}")
        if op.type != INVOKE or op.process == NEMESIS:
            continue  # a completion's f is its invocation's (Pairing saw to that)
        if op.f not in known:
            raise HistoryFormatError(path, _line(lines, op.index),
                                     f"model {name!r} has no operation {op.f!r}")
        if name == "multi-register" and not _micro_ops_fit(op.value):
            raise HistoryFormatError(
                path, _line(lines, op.index),
                f"model 'multi-register' takes txns of [read k v] / [write k v], "
                f"got {op.value!r}")


def _functions(history: History) -> dict[str, int]:
    """The functions client ops invoke, each with the index of its first invocation."""
    used: dict[str, int] = {}
    for op in history:
        if op.type == INVOKE and op.process != NEMESIS:
            used.setdefault(op.f, op.index)
    return used


def _fits(name: str, history: History) -> bool:
    """Beyond the functions: a multi-register's txns hold reads and writes only
    (Elle's appends are no register's); a kv store holds strings."""
    if name == "kv":
        return all(_string_value(op) for op in history)
    if name != "multi-register":
        return True
    return all(_micro_ops_fit(op.value) for op in history
               if op.process != NEMESIS and op.f == "txn")


def _string_value(op: Any) -> bool:
    """Whether a client op's value suits the kv model (a string, or none)."""
    return op.process == NEMESIS or op.value is None or isinstance(op.value, str)


def _micro_ops_fit(value: Any) -> bool:
    return isinstance(value, (list, tuple)) and all(
        isinstance(m, (list, tuple)) and len(m) == 3 and m[0] in _MICRO_OPS for m in value)


def _line(lines: tuple[int | None, ...], index: int) -> int | None:
    return lines[index] if 0 <= index < len(lines) else None
