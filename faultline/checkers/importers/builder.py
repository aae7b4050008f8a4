"""Assemble imported records into a :class:`~faultline.core.history.History` that keeps our contract.

Every importer turns its source's records into ops and hands them to a
:class:`HistoryBuilder`, which enforces what the checkers rely on, naming the source
line when a record breaks it. The rules are :class:`faultline.core.history.Pairing`'s,
the same our JSONL reader applies:

- a completion belongs to an open invocation of the same process and the same ``f``
  (a client completion with nothing open is an error; a nemesis ``info`` may stand alone,
  Jepsen logs nemesis events that way);
- a process with an open invocation does not invoke again (an error);
- a process whose op ended ``info`` never issues again: if the source reuses its id, the
  later ops get a fresh process id, exactly what Jepsen's interpreter does when a client
  crashes.
"""

from __future__ import annotations

from typing import Any

from faultline.core.errors import HistoryFormatError
from faultline.core.history import History, Pairing
from faultline.core.op import INVOKE, NEMESIS, Op


#: An imported history and, per op (by index), the line of the source it came from.
SourceHistory = tuple[History, tuple[int | None, ...]]


class HistoryBuilder:
    """Collects ops in source order; :meth:`history` returns the finished History."""

    def __init__(self, path: str, *, allow_torn_tail: bool = False):
        self.path = path
        self.allow_torn_tail = allow_torn_tail
        self.torn_line: int | None = None  # the source's last line, dropped as cut short
        self._ops: list[Op] = []
        self._lines: list[int | None] = []
        self._pairing = Pairing(path, renew_crashed=True)
        self._open: dict[Any, Op] = {}  # source process -> its open invocation
        self._generation: dict[Any, int] = {}  # source process -> times it was replaced

    def error(self, line: int | None, message: str) -> HistoryFormatError:
        return HistoryFormatError(self.path, line, message)

    def torn_tail(self, line: int, message: str) -> None:
        """The source's last line was cut short (a writer killed mid-line): an error,
        unless torn tails are allowed, when it is dropped and the history remembers it."""
        if not self.allow_torn_tail:
            hint = "" if "truncated" in message else " (truncated last line?)"
            raise self.error(line, f"{message}{hint}")
        self.torn_line = line

    def invoke(self, line: int | None, process: Any, f: str, value: Any = None, *,
               key: Any = None, time: int = 0) -> None:
        if process == NEMESIS:
            self._append(line, Op(INVOKE, f, value, NEMESIS, time, key=key))
            return
        if self._pairing.invoke(line, process, f):
            self._generation[process] = self._generation.get(process, 0) + 1
        # Until history() assigns final ids, a client process is (source id, generation).
        slot = (process, self._generation.get(process, 0))
        self._open[process] = self._append(line, Op(INVOKE, f, value, slot, time, key=key))

    def complete(self, line: int | None, process: Any, op_type: str, f: str, value: Any = None,
                 *, time: int = 0, error: str | None = None) -> None:
        if process == NEMESIS:
            self._append(line, Op(op_type, f, value, NEMESIS, time, error=error))
            return
        self._pairing.complete(line, process, op_type, f)
        invocation = self._open.pop(process)
        self._append(
            line, Op(op_type, f, value, invocation.process, time, key=invocation.key, error=error)
        )

    def complete_alone(self, line: int | None, process: Any, op_type: str, f: str,
                       value: Any = None, *, time: int = 0, error: str | None = None) -> None:
        """A completion that stands for a whole operation, with no invocation: only for a
        source whose every client op is one (Elle's tests write such histories). It is
        not paired, so a history mixing both kinds must not come here."""
        self._append(line, Op(op_type, f, value, (process, 0), time, error=error))

    def _append(self, line: int | None, op: Op) -> Op:
        self._ops.append(op)
        self._lines.append(line)
        return op

    def finish(self) -> SourceHistory:
        """The history and, for each of its ops, the source line it came from."""
        return self.history(), tuple(self._lines)

    def history(self) -> History:
        """The ops with final process ids: a source id keeps its number for its first
        life; each later life (after a crash) gets a fresh id above every source id."""
        source_ids = [p for p, _ in self._generation_slots() if isinstance(p, int)]
        next_fresh = max(source_ids, default=-1) + 1
        final: dict[Any, int | str] = {}
        for slot in self._generation_slots():
            process, generation = slot
            if generation == 0:
                final[slot] = process
            else:
                final[slot] = next_fresh
                next_fresh += 1
        # Indices are set here too, so History need not copy each op a second time.
        return History(
            (op.with_(index=i, process=op.process if op.process == NEMESIS
                      else final[op.process])
             for i, op in enumerate(self._ops)),
            torn_line=self.torn_line,
        )

    def _generation_slots(self) -> list[tuple[Any, int]]:
        seen: dict[tuple[Any, int], None] = {}
        for op in self._ops:
            if op.process != NEMESIS:
                seen.setdefault(op.process, None)
        return list(seen)


def check_process(builder: HistoryBuilder, line: int, process: Any) -> int | str:
    """A source's process id must be an int or the nemesis; anything else is malformed."""
    if process == NEMESIS or (isinstance(process, int) and not isinstance(process, bool)):
        return process
    raise builder.error(line, f"process must be an integer or :nemesis, got {process!r}")
