"""Jepsen 0.x log lines, as in Porcupine's etcd test data.

One op per line, ``INFO  jepsen.util - <process>\\t:<type>\\t:<f>\\t<value>`` (later Jepsen
versions write ``jepsen.util: ...``); the value is EDN. Other log lines are skipped; a
``jepsen.util`` line that does not parse is an error naming its line, and so is a last
line cut short (``INFO  j``, ``INFO  jepsen.util``, an op line missing its value): a torn
tail, dropped only when the caller allows it.

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


_HEADER = "INFO  jepsen.util - "  # how Porcupine's logs start an op line
# A logger name cut short right after the level or the thread (``INFO [worker 3] jepsen.u``).
_CUT_MARKER = re.compile(r"(?:\b(?:TRACE|DEBUG|INFO|WARN|ERROR)|\])\s+(j[a-z.]*(?: -?)?)$")


def parse(path: str, text: str, *, allow_torn_tail: bool = False) -> SourceHistory:
    builder = HistoryBuilder(path, allow_torn_tail=allow_torn_tail)
    lines = text.splitlines()
    last = max((i for i, ln in enumerate(lines, start=1) if ln.strip()), default=0)
    header = _HEADER
    found = False
    for lineno, line in enumerate(lines, start=1):
        marker = MARKER.search(line)
        if marker is None:
            # The rest of Jepsen's log (setup, nemesis chatter, stack traces) is skipped,
            # but not the start of an op line cut short at the end of the file.
            if lineno == last and _cut_op_line(line, header):
                builder.torn_tail(lineno, f"{line.strip()!r} is the start of an op line")
            continue
        found, header = True, line[:marker.end()]
        try:
            fields = _fields(line[marker.end():])
        except ValueError as e:
            if lineno != last or text.endswith("\n"):
                raise builder.error(lineno, str(e)) from None
            builder.torn_tail(lineno, str(e))
            continue
        _add(builder, lineno, *fields)
    if not found:
        raise builder.error(None, "no Jepsen op lines (\"jepsen.util - P :type :f value\") found")
    return builder.finish()


def _cut_op_line(line: str, header: str) -> bool:
    """Whether ``line`` is a prefix of an op line's start (``INFO  jepsen.u``)."""
    text = line.rstrip()
    if text and header.startswith(text):
        return True
    cut = _CUT_MARKER.search(text)
    return cut is not None and any(m.startswith(cut.group(1)) for m in ("jepsen.util - ",
                                                                          "jepsen.util:"))


def _fields(rest: str) -> tuple[Any, str, str, Any]:
    """Process, type, function and EDN value of an op line (all four are required);
    ValueError saying what is wrong."""
    fields = rest.rstrip("\r\n").split("\t", 3) if "\t" in rest else rest.split(None, 3)
    if len(fields) < 4:
        raise ValueError(f"expected 'process :type :f value', got {rest.strip()!r}")
    process_text, type_text, f_text, value_text = (x.strip() for x in fields)
    op_type = _TYPES.get(type_text)
    if op_type is None:
        raise ValueError(f"unknown op type {type_text!r} (truncated line?)")
    if not f_text.startswith(":") or len(f_text) < 2:
        raise ValueError(f"the op's function must be a keyword, got {f_text!r}")
    f = f_text[1:]
    process: Any
    if process_text == ":nemesis":
        process = NEMESIS
    else:
        try:
            process = int(process_text)
        except ValueError:
            raise ValueError(f"process must be an integer or :nemesis, "
                             f"got {process_text!r}") from None
    return process, op_type, f, _value(value_text)


def _add(builder: HistoryBuilder, lineno: int, process: Any, op_type: str, f: str,
         raw: Any) -> None:
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


def _value(text: str) -> Any:
    try:
        forms = loads(text)
    except EdnError as e:
        raise ValueError(f"bad value {text!r}: {e.message}") from None
    if len(forms) != 1:
        raise ValueError(f"expected one EDN value, got {text!r}")
    return forms[0]


def _reason(raw: Any) -> str | None:
    """Jepsen writes why an op failed or timed out as a keyword value (``:timed-out``)."""
    return raw.name if isinstance(raw, Keyword) else None
