"""Porcupine's key-value logs: one EDN map per line.

``{:process 0, :type :invoke, :f :append, :key "4", :value "x 0 1 y"}``; ``f`` is ``get``,
``put`` or ``append``, ``:key`` becomes :attr:`Op.key` (keys are checked independently).
Types keep Jepsen's meaning: ``:ok`` happened, ``:fail`` did not, ``:info`` (or no
completion) unknown. A ``get`` invocation carries value None; its ``ok`` carries the string
read.

Porcupine's own files have one fixed shape, read here by a regular expression (ten times
faster than the EDN reader); any line in another shape (fields reordered, extra fields) is
read as EDN, so both paths accept the same language.
"""

from __future__ import annotations

import re

from faultline.checkers.importers import records as rec
from faultline.checkers.importers.builder import HistoryBuilder, SourceHistory
from faultline.checkers.importers.edn import EdnError, read_records, to_plain
from faultline.core.vocabulary import READ_FS
from faultline.core.op import INVOKE

_STRING = r'"((?:[^"\\]|\\.)*)"'
_FIXED_SHAPE = re.compile(
    r'\{:process (\d+), :type :(invoke|ok|fail|info), :f :([a-z]+), '
    r':key ' + _STRING + r', :value (?:nil|' + _STRING + r')\}\s*'
)


def parse(path: str, text: str, *, allow_torn_tail: bool = False) -> SourceHistory:
    """A last line that does not parse and has no newline after it is a torn tail
    (see :meth:`HistoryBuilder.torn_tail`)."""
    builder = HistoryBuilder(path, allow_torn_tail=allow_torn_tail)
    lines = text.splitlines()
    for lineno, line in enumerate(lines, start=1):
        if not line.strip() or line.lstrip().startswith(";"):
            continue
        m = _FIXED_SHAPE.fullmatch(line)
        if m is not None and "\\" not in line:
            process, op_type, f, key, value = m.groups()
            _add(builder, lineno, int(process), op_type, f, key, value)
        else:
            torn_possible = lineno == len(lines) and not text.endswith("\n")
            _add_edn_line(builder, lineno, line, torn_possible)
    return builder.finish()


def _add_edn_line(builder: HistoryBuilder, lineno: int, line: str, torn_possible: bool) -> None:
    try:
        forms = read_records(line)
    except EdnError as e:
        if torn_possible:
            builder.torn_tail(lineno, e.message)
            return
        raise builder.error(lineno, f"{e.message} (truncated line?)") from None
    if len(forms) != 1:
        raise builder.error(lineno, "expected one op map on the line")
    _add_record(builder, lineno, forms[0][1])


def _add_record(builder: HistoryBuilder, lineno: int, record: object) -> None:
    op = rec.op_map(builder, lineno, record)
    key = to_plain(op.get(rec.K_KEY))
    value = to_plain(op.get(rec.K_VALUE))
    _add(builder, lineno, rec.op_process(builder, lineno, op), rec.op_type(builder, lineno, op),
         rec.op_f(builder, lineno, op), key, value, error=rec.op_error(op))


def _add(builder: HistoryBuilder, lineno: int, process, op_type: str, f: str, key, value,
         *, error: str | None = None) -> None:
    if op_type == INVOKE:
        builder.invoke(lineno, process, f, None if f in READ_FS else value, key=key)
    else:
        builder.complete(lineno, process, op_type, f, value, error=error)
