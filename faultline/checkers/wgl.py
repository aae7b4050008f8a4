"""The Wing-Gong/Lowe search for one independent sub-history, in pure Python.

Input is a list of :class:`Entry` (see :mod:`faultline.checkers.prepare`) sorted by invocation. A
configuration is (set of linearized entries as an int bitmask, model state); the search
is a depth-first walk over configurations with a cache of those already seen (Lowe's
improvement on Wing & Gong). An entry may be linearized next when it was invoked before
the earliest completion among the entries not yet linearized, and when every entry it
must follow (``preds``, see :mod:`faultline.checkers.order`) is linearized. Entries with an unknown
outcome complete at infinity and need not be linearized at all.

Read-only entries that succeed in the current state are linearized at once without
branching: moving such an op to the front of any valid continuation keeps it valid (it
changes no state, and nothing it must follow is pending), so no alternative is lost.

The search runs in slices (:meth:`Search.run` with a node budget) so that several keys
can be interleaved and the caller can enforce time and memory budgets between slices.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass
from typing import Any, Hashable

OK = "ok"
ILLEGAL = "illegal"
RUNNING = "running"


@dataclass(slots=True)
class Entry:
    """One operation of a sub-history, as the search sees it.

    ``op`` is the outcome given to ``model.step``; ``call``/``ret`` are the history
    indices of invocation and completion (``ret`` is ``INFINITY`` for unknown outcomes);
    ``required`` is false for unknown outcomes (they may never take effect).
    """

    op: Any
    call: int
    ret: int
    required: bool
    read_only: bool = False
    preds: int = 0  # bitmask of entries (by position) that must be linearized first
    view: Any = None  # (kind, observed, written) of faultline.checkers.order, when hints apply


INFINITY = sys.maxsize


class Search:
    """A resumable WGL search over ``entries`` (sorted by ``call``) against ``model``."""

    engine = "python"

    def __init__(self, model: Any, entries: list[Entry]):
        self.model = model
        self.entries = entries
        self.n = len(entries)
        self.all_mask = (1 << self.n) - 1
        self.required_mask = sum(1 << i for i, e in enumerate(entries) if e.required)
        self.required_count = self.required_mask.bit_count()
        self.cache: set[tuple[int, Hashable]] = set()
        self.nodes = 0
        self.status = RUNNING
        self.path: list[int] = []
        self.best: tuple[int, list[int], Hashable, int] = (-1, [], None, 0)
        self._stack: list[list[Any]] | None = None

    # -- search -------------------------------------------------------------------------
    def _expand(self, lin: int, state: Hashable) -> tuple[int, list[tuple[int, Hashable]]]:
        """Linearize read-only successes greedily; return (lin, successors to try)."""
        entries, step = self.entries, self.model.step
        while True:
            succ: list[tuple[int, Hashable]] = []
            horizon = INFINITY
            forced = -1
            pending = self.all_mask & ~lin
            while pending:  # pending entries in invocation order, skipping linearized runs
                low = pending & -pending
                pending ^= low
                i = low.bit_length() - 1
                e = entries[i]
                if e.call > horizon:
                    break
                if e.ret < horizon:
                    horizon = e.ret
                if e.preds & ~lin:
                    continue
                ok, new_state = step(state, e.op)
                if not ok:
                    continue
                if e.read_only:
                    forced = i
                    break
                succ.append((i, new_state))
            if forced < 0:
                return lin, succ
            lin |= 1 << forced
            self.path.append(forced)

    def _visit(self, lin: int, state: Hashable) -> list[Any] | None:
        """Enter a configuration: a new stack frame, or None when already seen."""
        lin, succ = self._expand(lin, state)
        key = (lin, state)
        if key in self.cache:
            return None
        self.cache.add(key)
        self.nodes += 1
        done = (lin & self.required_mask).bit_count()
        if done > self.best[0]:
            self.best = (done, list(self.path), state, lin)
        if done == self.required_count:
            self.status = OK
        return [lin, state, succ, 0, len(self.path)]

    def run(self, max_nodes: int) -> str:
        """Explore up to ``max_nodes`` more configurations; return the status."""
        if self.status != RUNNING:
            return self.status
        if self._stack is None:
            frame = self._visit(0, self.model.init())
            self._stack = [frame] if frame is not None else []
            if self.status == OK:
                return OK
        stack, limit = self._stack, self.nodes + max_nodes
        while stack:
            if self.nodes >= limit:
                return RUNNING
            frame = stack[-1]
            succ = frame[2]
            if frame[3] == len(succ):
                stack.pop()
                continue
            i, new_state = succ[frame[3]]
            frame[3] += 1
            del self.path[frame[4]:]
            self.path.append(i)
            child = self._visit(frame[0] | 1 << i, new_state)
            if self.status == OK:
                return OK
            if child is not None:
                stack.append(child)
        self.status = ILLEGAL
        return ILLEGAL

    # -- what the result reports -------------------------------------------------------
    def approx_bytes(self) -> int:
        """A cheap estimate of the memory the cache holds."""
        return len(self.cache) * (120 + self.n // 8)

    def stuck(self) -> dict[str, Any]:
        _, path, state, lin = self.best
        return stuck(self.entries, path, state, lin)


def stuck(entries: list[Entry], path: list[int], state: Hashable, lin: int) -> dict[str, Any]:
    """For an illegal sub-history: the deepest configuration reached and what blocks it.

    ``blocked``: the pending op that completes first (nothing invoked after its completion
    may precede it, and it cannot be linearized); ``concurrent``: the pending ops that
    could have been linearized there.
    """
    pending = [i for i in range(len(entries)) if not lin >> i & 1]
    blocked = min(
        (i for i in pending if entries[i].required),
        key=lambda i: entries[i].ret,
        default=None,
    )
    horizon = entries[blocked].ret if blocked is not None else INFINITY
    concurrent = [i for i in pending if i != blocked and entries[i].call < horizon]
    return {"path": path, "state": state, "blocked": blocked, "concurrent": concurrent}


class Contradiction:
    """A sub-history the write-order constraints already prove illegal, before any search
    (see :func:`faultline.checkers.order.contradiction`). ``blocked`` cannot be linearized because
    of ``conflict``; ``shape`` names the anomaly when it is a plain one
    (:func:`faultline.checkers.order.explain`). Same interface as :class:`Search`."""

    engine = "hints"
    nodes = 0

    def __init__(self, model: Any, entries: list[Entry], blocked: int, conflict: int,
                 shape: str, witness: int | None = None):
        self.model, self.entries = model, entries
        self.blocked, self.conflict, self.shape = blocked, conflict, shape
        self.witness = witness

    def run(self, max_nodes: int) -> str:
        return ILLEGAL

    def approx_bytes(self) -> int:
        return 0

    def stuck(self) -> dict[str, Any]:
        b = self.entries[self.blocked]
        return {"path": [], "state": self.model.init(), "blocked": self.blocked,
                "concurrent": [i for i, e in enumerate(self.entries)
                               if i != self.blocked and e.call < b.ret and e.ret > b.call],
                "conflict": self.conflict, "shape": self.shape, "witness": self.witness}
