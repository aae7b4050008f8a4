"""Jepsen 0.x log lines, as in Porcupine's etcd test data.

One op per line, ``INFO  jepsen.util - <process>\\t:<type>\\t:<f>\\t<value>`` (later Jepsen
versions write ``jepsen.util: ...``); the value is EDN. Other log lines are skipped; a
``jepsen.util`` line that does not parse is an error naming its line.

Semantics are Porcupine's (the ones the corpus' expected verdicts rest on), mapped onto ours:

- ``:ok``: happened with this result (``:ok :read nil``: the key was absent, value None).
- ``:fail :cas [a b]``: the CAS *completed* and its compare did not match. That is an
  observation, so it becomes a ``fail`` completion with ``error="cas-mismatch"``
  (:data:`faultline.checkers.models.CAS_MISMATCH`), which the cas-register model treats as
  "the register was not a".
- ``:fail :read ...`` (``:timed-out``): nothing is known -> ``info``.
- any other ``:fail``: did not happen -> ``fail`` (Jepsen's meaning).
- ``:info``: unknown outcome, open until the end -> ``info``, with the keyword as ``error``.

Invocations of reads carry value None; a completion's value is its result.
"""

from __future__ import annotations

import re
from typing import Any

from faultline.checkers.importers.builder import HistoryBuilder, SourceHistory
from faultline.checkers.importers.edn import EdnError, Keyword, loads, to_plain
from faultline.core.vocabulary import CAS_MISMATCH
from faultline.core.op import FAIL, INFO, INVOKE, NEMESIS, OK

MARKER = re.compile(r"jepsen\.util(?: -|:)\s")
_TYPES = {":invoke": INVOKE, ":ok": OK, ":fail": FAIL, ":info": INFO}


def looks_like(text: str) -> bool:
    """Whether ``text`` (a line, or a whole file) holds a Jepsen op line."""
    return MARKER.search(text) is not None


def parse(path: str, text: str) -> SourceHistory:
    builder = HistoryBuilder(path)
    found = False
    for lineno, line in enumerate(text.splitlines(), start=1):
        marker = MARKER.search(line)
        if marker is None:
            continue  # the rest of Jepsen's log: setup, nemesis chatter, stack traces
        found = True
        _parse_op(builder, lineno, line[marker.end():])
    if not found:
        raise builder.error(None, "no Jepsen op lines (\"jepsen.util - P :type :f value\") found")
    return builder.finish()


def _parse_op(builder: HistoryBuilder, lineno: int, rest: str) -> None:
    fields = rest.rstrip("\r\n").split("\t", 3) if "\t" in rest else rest.split(None, 3)
    if len(fields) < 3:
        raise builder.error(lineno, f"expected 'process :type :f value', got {rest.strip()!r}")
    process_text, type_text, f_text = (x.strip() for x in fields[:3])
    value_text = fields[3].strip() if len(fields) > 3 else "nil"
    op_type = _TYPES.get(type_text)
    if op_type is None:
        raise builder.error(lineno, f"unknown op type {type_text!r} (truncated line?)")
    if not f_text.startswith(":") or len(f_text) < 2:
        raise builder.error(lineno, f"the op's function must be a keyword, got {f_text!r}")
    f = f_text[1:]
    process: Any
    if process_text == ":nemesis":
        process = NEMESIS
    else:
        try:
            process = int(process_text)
        except ValueError:
            raise builder.error(lineno, f"process must be an integer or :nemesis, "
                                        f"got {process_text!r}") from None
    raw = _value(builder, lineno, value_text)
    value = to_plain(raw)
    if op_type == INVOKE:
        builder.invoke(lineno, process, f, None if f == "read" else value)
        return
    if op_type == OK:
        builder.complete(lineno, process, OK, f, value)
    elif op_type == FAIL and f == "cas" and isinstance(value, list):
        builder.complete(lineno, process, FAIL, f, value, error=CAS_MISMATCH)
    elif op_type == FAIL and f == "read":
        builder.complete(lineno, process, INFO, f, None, error=_reason(raw))
    elif op_type == FAIL:
        builder.complete(lineno, process, FAIL, f, value, error=_reason(raw))
    else:
        builder.complete(lineno, process, INFO, f, None, error=_reason(raw))


def _value(builder: HistoryBuilder, lineno: int, text: str) -> Any:
    try:
        forms = loads(text)
    except EdnError as e:
        raise builder.error(lineno, f"bad value {text!r}: {e.message}") from None
    if len(forms) != 1:
        raise builder.error(lineno, f"expected one EDN value, got {text!r}")
    return forms[0]


def _reason(raw: Any) -> str | None:
    """Jepsen writes why an op failed or timed out as a keyword value (``:timed-out``)."""
    return raw.name if isinstance(raw, Keyword) else None
