"""The compiled search core (``faultline.checkers._wgl``, Rust, see native/) behind the Search API.

A built-in model says its ops in the core's terms (``native_ops``, see
:mod:`faultline.checkers.native_ops`) and the core steps it without Python. Any other model
stays in Python: its states are interned here as integers and the core calls
:meth:`NativeSearch._step` once per distinct (state, entry) pair, memoizing the answer.
Either way the verdicts are those of :class:`faultline.checkers.wgl.Search`.
"""

from __future__ import annotations

from typing import Any, Hashable

from faultline.checkers.wgl import INFINITY, Entry, stuck

try:
    from faultline.checkers._wgl import Core
except ImportError:  # not built (pure-Python install): the Python search is used
    Core = None

AVAILABLE = Core is not None
STUCK_BUDGET = 100_000  # configurations an illegal key's counterexample may explore unguarded


def _mask_bytes(mask: int) -> tuple[int, bytes]:
    """(offset, little-endian bytes from that byte on): constraints sit near their entry."""
    if not mask:
        return 0, b""
    offset = ((mask & -mask).bit_length() - 1) >> 3
    mask >>= offset * 8
    return offset, mask.to_bytes((mask.bit_length() + 7) // 8, "little")


class NativeSearch:
    """Same interface as :class:`faultline.checkers.wgl.Search`, searching in compiled code."""

    engine = "native"

    def __init__(self, model: Any, entries: list[Entry]):
        if Core is None:
            raise RuntimeError("the compiled search core (faultline.checkers._wgl) is not built")
        self.model = model
        self.entries = entries
        init = model.init()
        self._states: list[Hashable] = [init]
        self._ids: dict[Hashable, int] = {init: 0}
        encode = getattr(model, "native_ops", None)
        spec = encode([e.op for e in entries]) if encode is not None else None
        self.steps_in_python = spec is None
        self._args = (
            [e.call for e in entries],
            [e.ret if e.ret != INFINITY else -1 for e in entries],
            [e.required for e in entries],
            [e.read_only for e in entries],
            [_mask_bytes(e.preds) for e in entries],
            0,
            self._step if spec is None else None,
            spec,
        )
        self._core = Core(*self._args)

    def _step(self, state_id: int, entry: int) -> int:
        ok, new_state = self.model.step(self._states[state_id], self.entries[entry].op)
        if not ok:
            return -1
        sid = self._ids.get(new_state)
        if sid is None:
            sid = self._ids[new_state] = len(self._states)
            self._states.append(new_state)
        return sid

    def run(self, max_nodes: int) -> str:
        return self._core.run(max_nodes)

    @property
    def nodes(self) -> int:
        return self._core.nodes

    def approx_bytes(self) -> int:
        return self._core.approx_bytes() + len(self._states) * 100

    def stuck(self) -> dict[str, Any]:
        """The deepest configuration reached. The core's observer guard (registers with
        values written once) stops short of the configurations a person reads best (the
        write done, the read then impossible): an unguarded search, with a budget of its
        own, finds those; past its budget the guarded search's deepest is given."""
        core = self._core
        if not self.steps_in_python:
            unguarded = Core(*self._args, guard=False)
            if unguarded.run(STUCK_BUDGET) == "illegal":
                core = unguarded
        path, state_id, linearized = core.best()
        lin = 0
        for i in linearized:
            lin |= 1 << i
        if self.steps_in_python:
            state = self._states[state_id]
        else:  # the core's state ids are its own: replay the path in the Python model
            state = self.model.init()
            for i in path:
                state = self.model.step(state, self.entries[i].op)[1]
        return stuck(self.entries, list(path), state, lin)
