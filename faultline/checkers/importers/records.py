"""Reading the fields of an EDN op map (``{:process 3, :type :ok, :f :read, :value 1}``).

Shared by the EDN importers (Porcupine kv, Knossos, Elle), so that a malformed record gets
the same kind of error whichever format it is in: the file, the line, the field.
"""

from __future__ import annotations

from typing import Any

from faultline.checkers.importers.builder import HistoryBuilder, check_process
from faultline.checkers.importers.edn import Keyword, keyword, to_plain
from faultline.core.op import NEMESIS, TYPES

K_PROCESS = keyword("process")
K_TYPE = keyword("type")
K_F = keyword("f")
K_VALUE = keyword("value")
K_KEY = keyword("key")
K_TIME = keyword("time")
K_ERROR = keyword("error")
_MISSING = object()


def op_map(builder: HistoryBuilder, line: int, record: Any) -> dict:
    if not isinstance(record, dict):
        raise builder.error(line, f"expected an op map {{:type .. :f .. :value ..}}, "
                                  f"got {_show(record)}")
    return record


def op_type(builder: HistoryBuilder, line: int, record: dict) -> str:
    raw = record.get(K_TYPE, _MISSING)
    if raw is _MISSING:
        raise builder.error(line, "op has no :type")
    if not isinstance(raw, Keyword) or raw.name not in TYPES:
        raise builder.error(line, f":type must be one of :invoke :ok :fail :info, got {_show(raw)}")
    return raw.name


def op_f(builder: HistoryBuilder, line: int, record: dict, default: str | None = None) -> str:
    raw = record.get(K_F, _MISSING)
    if raw is _MISSING and default is not None:
        return default
    if not isinstance(raw, Keyword):
        raise builder.error(line, f":f must be a keyword, got {_show(raw, 'nothing')}")
    return raw.name


def op_process(builder: HistoryBuilder, line: int, record: dict) -> int | str:
    raw = record.get(K_PROCESS, _MISSING)
    if raw is _MISSING:
        raise builder.error(line, "op has no :process")
    if raw == keyword("nemesis"):
        return NEMESIS
    return check_process(builder, line, raw)


def op_time(builder: HistoryBuilder, line: int, record: dict) -> int:
    """Jepsen's ``:time`` is nanoseconds since the test began, like ours; absent -> 0."""
    raw = record.get(K_TIME, 0)
    if not isinstance(raw, int) or isinstance(raw, bool):
        raise builder.error(line, f":time must be an integer (ns), got {_show(raw)}")
    return raw


def op_error(record: dict) -> str | None:
    raw = record.get(K_ERROR)
    if raw is None:
        return None
    plain = to_plain(raw)
    return plain if isinstance(plain, str) else repr(plain)


def _show(value: Any, missing: str = "nil") -> str:
    if value is _MISSING:
        return missing
    text = repr(to_plain(value))
    return text if len(text) <= 60 else text[:57] + "..."
