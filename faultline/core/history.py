"""Histories: append-only, indexed sequences of ops, and their JSON Lines form.

``history.jsonl`` holds one op per line (see :mod:`faultline.core.op`). The interpreter appends
and flushes each op as it happens (:class:`HistoryWriter`), so a crashed run leaves a
readable file; a torn last line (the harness died mid-write) is reported by
:func:`read_jsonl` unless ``allow_torn_tail`` is set, in which case it is dropped and the
history says so (:attr:`History.torn_line`).

:class:`Pairing` holds the rules that pair invocations with completions. Every reader of
a history file goes through it (ours here, the importers through their builder), so a
malformed history is refused with its file and line, never checked as if it were sound.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from typing import IO, Any, Iterable, Iterator, Sequence

from faultline.core.errors import HistoryFormatError
from faultline.core.files import write_atomically
from faultline.core.op import INFO, INVOKE, NEMESIS, Op


class History(Sequence[Op]):
    """An indexed sequence of ops. ``ops[i].index == i`` always holds.

    Building a History from ops whose indices are missing (-1) assigns them; ops that
    carry other indices are re-indexed in the order given.

    ``torn_line`` is the line of the file it was read from that was dropped as a torn
    tail (see :func:`parse_jsonl`), else None: a history with one is incomplete.
    """

    __slots__ = ("_ops", "torn_line")

    def __init__(self, ops: Iterable[Op] = (), *, torn_line: int | None = None):
        self._ops: list[Op] = [
            op if op.index == i else op.with_(index=i) for i, op in enumerate(ops)
        ]
        self.torn_line = torn_line

    def __len__(self) -> int:
        return len(self._ops)

    def __getitem__(self, i):  # type: ignore[override]
        return self._ops[i]

    def __iter__(self) -> Iterator[Op]:
        return iter(self._ops)

    def __repr__(self) -> str:
        return f"History({len(self._ops)} ops)"

    def append(self, op: Op) -> Op:
        """Append ``op`` with the next index; returns the stored op."""
        n = len(self._ops)
        stored = op if op.index == n else op.with_(index=n)  # hot path: skip the copy
        self._ops.append(stored)
        return stored

    def client_ops(self) -> "History":
        """The ops of client processes (nemesis ops removed), re-indexed."""
        return History(op for op in self._ops if op.process != NEMESIS)

    def pairs(self) -> list["Pair"]:
        """Each invocation with its completion, in invocation order.

        A process's completion is the next non-invoke op of that process. An invocation
        that never completed (the history ends first) pairs with ``None``: its outcome is
        unknown, exactly like an ``info`` completion. A completion with no open
        invocation is ignored: histories read from files were refused for that already
        (:class:`Pairing`), except nemesis ``info`` logged alone, as Jepsen does.
        """
        open_by_process: dict[Any, int] = {}
        pairs: list[Pair] = []
        for op in self._ops:
            if op.type == INVOKE:
                # A second invoke without completion leaves the first one unknown.
                open_by_process[op.process] = len(pairs)
                pairs.append(Pair(op, None))
            else:
                slot = open_by_process.pop(op.process, None)
                if slot is not None:
                    pairs[slot] = Pair(pairs[slot].invoke, op)
        return pairs


@dataclass(frozen=True, slots=True)
class Pair:
    """An invocation and its completion (None: never completed, outcome unknown)."""

    invoke: Op
    completion: Op | None

    @property
    def outcome(self) -> str:
        """``ok`` | ``fail`` | ``info`` (a missing completion counts as ``info``)."""
        return self.completion.type if self.completion is not None else INFO


class Pairing:
    """The pairing rules of a history, checked op by op as a source is read.

    - a client completion closes the open invocation of its process, with the same ``f``;
      a completion with nothing open is an error;
    - a process with an open invocation does not invoke again;
    - a process whose op ended ``info`` never invokes again. With ``renew_crashed`` the
      reader may give such a process a fresh id (what Jepsen's interpreter does), and
      :meth:`invoke` says when it must; otherwise a reuse is an error.

    Nemesis ops are not paired: the checkers ignore them, and Jepsen logs a nemesis
    ``info`` alone. Errors are :class:`HistoryFormatError` naming ``path`` and the line.
    """

    def __init__(self, path: str, *, renew_crashed: bool = False):
        self.path = path
        self.renew_crashed = renew_crashed
        self._open: dict[Any, tuple[str, int | None]] = {}  # process -> (f, line)
        self._crashed: dict[Any, int | None] = {}  # process -> line of its info

    def invoke(self, line: int | None, process: Any, f: str) -> bool:
        """Record an invocation; True when ``process`` crashed before and the reader
        must give this invocation a fresh process id (only with ``renew_crashed``)."""
        if process == NEMESIS:
            return False
        if process in self._open:
            open_f, open_line = self._open[process]
            raise HistoryFormatError(
                self.path, line, f"process {process} invokes {f!r} while its {open_f!r}"
                                 f"{_at(open_line)} is still open")
        renew = process in self._crashed
        if renew and not self.renew_crashed:
            raise HistoryFormatError(
                self.path, line, f"process {process} invokes {f!r} after its op ended info"
                                 f"{_at(self._crashed[process])}: a crashed process never "
                                 f"issues again")
        self._crashed.pop(process, None)
        self._open[process] = (f, line)
        return renew

    def complete(self, line: int | None, process: Any, op_type: str, f: str) -> None:
        if process == NEMESIS:
            return
        if process not in self._open:
            raise HistoryFormatError(
                self.path, line, f"{op_type} of process {process} with no open invocation")
        open_f, open_line = self._open.pop(process)
        if open_f != f:
            raise HistoryFormatError(
                self.path, line, f"process {process} completes {f!r} but invoked {open_f!r}"
                                 f"{_at(open_line)}")
        if op_type == INFO:
            self._crashed[process] = line


def _at(line: int | None) -> str:
    return f" (line {line})" if line is not None else ""


def _json_default(obj: Any) -> Any:
    if isinstance(obj, (set, frozenset, tuple)):
        return list(obj)
    raise TypeError(f"cannot store {type(obj).__name__} in a history")


# One encoder for every line: json.dumps with options builds a new encoder per call.
_ENCODER = json.JSONEncoder(separators=(",", ":"), default=_json_default)


def op_to_json(op: Op) -> str:
    return _ENCODER.encode(op.to_dict())


def read_text(path: str | os.PathLike) -> str:
    """The UTF-8 text of file ``path``; HistoryFormatError when it cannot be read or is
    not UTF-8 (naming the line of the first bad byte)."""
    path = os.fspath(path)
    try:
        with open(path, "rb") as fh:
            data = fh.read()
    except OSError as e:
        raise HistoryFormatError(path, None, f"cannot read: {e.strerror or e}") from None
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as e:
        line = data.count(b"\n", 0, e.start) + 1
        raise HistoryFormatError(path, line, f"not UTF-8 text ({e.reason})") from None


def read_jsonl(path: str | os.PathLike, *, allow_torn_tail: bool = False) -> History:
    """Read a ``history.jsonl`` file (see :func:`parse_jsonl`)."""
    return parse_jsonl(path, read_text(path), allow_torn_tail=allow_torn_tail)


def parse_jsonl(path: str | os.PathLike, text: str, *, allow_torn_tail: bool = False) -> History:
    """The history in ``text``, the content of JSONL file ``path`` (named in errors)."""
    return parse_jsonl_lines(path, text, allow_torn_tail=allow_torn_tail)[0]


#: Fields every line must have: a missing process must not silently become process 0.
REQUIRED_FIELDS = ("type", "f", "process")


def parse_jsonl_lines(path: str | os.PathLike, text: str, *,
                      allow_torn_tail: bool = False) -> tuple[History, tuple[int, ...]]:
    """The history in ``text`` and the line each op is on.

    Raises :class:`HistoryFormatError` naming the file and line for a malformed line, a
    missing field (:data:`REQUIRED_FIELDS`) or a break of the pairing rules
    (:class:`Pairing`). A torn tail, an unparsable *last* line without a trailing
    newline (a write cut short by a crash), is an error too; with ``allow_torn_tail`` it
    is dropped instead and its number kept in :attr:`History.torn_line`.
    """
    path = os.fspath(path)
    lines = text.split("\n")
    torn_tail_possible = not text.endswith("\n")
    pairing = Pairing(path)
    ops: list[Op] = []
    op_lines: list[int] = []
    torn_line = None
    for lineno, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            raw = json.loads(line)
            missing = [k for k in REQUIRED_FIELDS if isinstance(raw, dict) and k not in raw]
            if missing:
                raise ValueError(f"missing field {missing[0]!r}")
            op = Op.from_dict(raw)
        except (ValueError, TypeError) as e:
            last = lineno == len(lines)
            if last and torn_tail_possible and allow_torn_tail:
                torn_line = lineno
                break
            hint = " (truncated last line?)" if last and torn_tail_possible else ""
            raise HistoryFormatError(path, lineno, f"{e}{hint}") from None
        if op.index not in (-1, len(ops)):
            raise HistoryFormatError(
                path, lineno, f"index {op.index} out of sequence (expected {len(ops)})"
            )
        if op.type == INVOKE:
            pairing.invoke(lineno, op.process, op.f)
        else:
            pairing.complete(lineno, op.process, op.type, op.f)
        ops.append(op)
        op_lines.append(lineno)
    return History(ops, torn_line=torn_line), tuple(op_lines)


def write_jsonl(history: Iterable[Op], path: str | os.PathLike) -> None:
    """Write a whole history atomically (temp file + rename): never leaves half a file."""
    write_atomically(path, "".join(op_to_json(op) + "\n" for op in history))


class HistoryWriter:
    """Appends ops to a JSONL file as they happen, flushing each line.

    Refuses to open a file that already exists: a history is never overwritten.
    Keeps an in-memory :class:`History` of what it wrote (``.history``).
    """

    def __init__(self, path: str | os.PathLike):
        self.path = os.fspath(path)
        self._fh: IO[str] = open(self.path, "x", encoding="utf-8")
        self.history = History()

    def append(self, op: Op) -> Op:
        stored = self.history.append(op)
        self._fh.write(op_to_json(stored) + "\n")
        self._fh.flush()
        return stored

    def close(self) -> None:
        if not self._fh.closed:
            self._fh.flush()
            os.fsync(self._fh.fileno())
            self._fh.close()

    def __enter__(self) -> "HistoryWriter":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
