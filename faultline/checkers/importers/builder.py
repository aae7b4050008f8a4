"""Assemble imported records into a :class:`~faultline.core.history.History` that keeps our contract.

Every importer turns its source's records into ops and hands them to a
:class:`HistoryBuilder`, which enforces what the checkers rely on, naming the source
line when a record breaks it:

- a completion belongs to an open invocation of the same process and the same ``f``
  (a client completion with nothing open is an error; a nemesis ``info`` may stand alone,
  Jepsen logs nemesis events that way);
- a process whose op ended ``info`` (or never completed) never issues again: if the source
  reuses its id, the later ops get a fresh process id, exactly what Jepsen's interpreter
  does when a client crashes.
"""

from __future__ import annotations

from typing import Any

from faultline.core.errors import HistoryFormatError
from faultline.core.history import History
from faultline.core.op import INFO, INVOKE, NEMESIS, Op


#: An imported history and, per op (by index), the line of the source it came from.
SourceHistory = tuple[History, tuple[int | None, ...]]


class HistoryBuilder:
    """Collects ops in source order; :meth:`history` returns the finished History."""

    def __init__(self, path: str):
        self.path = path
        self._ops: list[Op] = []
        self._lines: list[int | None] = []
        self._open: dict[Any, Op] = {}  # source process -> its open invocation
        self._generation: dict[Any, int] = {}  # source process -> times it was replaced
        self._crashed: set[Any] = set()  # source processes whose last op ended unknown

    def error(self, line: int | None, message: str) -> HistoryFormatError:
        return HistoryFormatError(self.path, line, message)

    def invoke(self, line: int | None, process: Any, f: str, value: Any = None, *,
               key: Any = None, time: int = 0) -> None:
        if process == NEMESIS:
            self._open[NEMESIS] = self._append(line, Op(INVOKE, f, value, NEMESIS, time, key=key))
            return
        if process in self._open or process in self._crashed:
            # The earlier op's outcome stays unknown; a crashed process never issues again.
            self._crashed.discard(process)
            self._open.pop(process, None)
            self._generation[process] = self._generation.get(process, 0) + 1
        # Until history() assigns final ids, a client process is (source id, generation).
        slot = (process, self._generation.get(process, 0))
        self._open[process] = self._append(line, Op(INVOKE, f, value, slot, time, key=key))

    def complete(self, line: int | None, process: Any, op_type: str, f: str, value: Any = None,
                 *, time: int = 0, error: str | None = None) -> None:
        invocation = self._open.pop(process, None)
        if process == NEMESIS:
            self._append(line, Op(op_type, f, value, NEMESIS, time, error=error))
            return
        if invocation is None:
            raise self.error(line, f"{op_type} of process {process} with no open invocation")
        if invocation.f != f:
            raise self.error(
                line, f"process {process} completes {f!r} but invoked {invocation.f!r}"
            )
        if op_type == INFO:
            self._crashed.add(process)
        self._append(
            line, Op(op_type, f, value, invocation.process, time, key=invocation.key, error=error)
        )

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
            op.with_(index=i, process=op.process if op.process == NEMESIS
                     else final[op.process])
            for i, op in enumerate(self._ops)
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
