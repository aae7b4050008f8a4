"""The compiled search core (``faultline.checkers._wgl``, Rust, see native/) behind the Search API.

A built-in model says its ops in the core's terms (``native_ops``, see
:mod:`faultline.checkers.native_ops`) and the core steps it without Python. Any other model
stays in Python: its states are interned here as integers and the core calls
:meth:`NativeSearch._step` once per distinct (state, entry) pair, memoizing the answer.
Either way the verdicts are those of :class:`faultline.checkers.wgl.Search`.

The register models go further (:func:`prepare_registers`): the core prepares their
searches itself from columns of the history (pairing, keys, outcomes, codes, write-order
constraints; see native/src/prepare.rs), so a check costs about what its search costs.
The Python entries are then built only when a counterexample needs them.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Hashable

from faultline.core.history import History
from faultline.core.op import NEMESIS
from faultline.core.vocabulary import CAS_MISMATCH, READ_FS

from faultline.checkers.independent import PerKey
from faultline.checkers.prepare import entries_at, entry_of
from faultline.checkers.wgl import INFINITY, Entry

try:
    from faultline.checkers._wgl import Core, prepare_registers as _prepare_registers
except ImportError:  # not built (pure-Python install): the Python search is used
    Core = _prepare_registers = None

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
        self._entries: Sequence[Entry] = entries
        init = model.init()
        self._states: list[Hashable] = [init]
        self._ids: dict[Hashable, int] = {init: 0}
        encode = getattr(model, "native_ops", None)
        spec = encode([e.op for e in entries]) if encode is not None else None
        self.steps_in_python = spec is None
        self._core = Core(
            [e.call for e in entries],
            [e.ret if e.ret != INFINITY else -1 for e in entries],
            [e.required for e in entries],
            [e.read_only for e in entries],
            [_mask_bytes(e.preds) for e in entries],
            0,
            self._step if spec is None else None,
            spec,
        )

    @classmethod
    def prepared(cls, model: Any, core: Any, history: History) -> "NativeSearch":
        """A search the core prepared itself (:func:`prepare_registers`): its entries are
        built when something reads them, one at a time (a counterexample reads a few)."""
        self = cls.__new__(cls)
        self.model, self._core, self.steps_in_python = model, core, False
        self._entries = _PreparedEntries(model, history, core)
        self._states = []
        return self

    @property
    def entries(self) -> Sequence[Entry]:
        return self._entries

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
        """The deepest configuration reached, as :func:`faultline.checkers.wgl.stuck`
        gives it, found by the core (:data:`STUCK_BUDGET`: the budget of its unguarded
        search, see ``Core.stuck``); with ``source`` (the producer of the value the
        blocked entry observed) when the core prepared the entries, and ``states`` (the
        model state after each op of the path) and ``path_entries`` (the path's entries,
        read once) when they were replayed here."""
        path, state_id, blocked, concurrent, source = self._core.stuck(STUCK_BUDGET)
        out: dict[str, Any] = {"path": path, "blocked": blocked, "concurrent": concurrent}
        if self.steps_in_python:
            out["state"] = self._states[state_id]
        else:  # the core's state ids are its own: replay the path in the Python model
            state, step = self.model.init(), self.model.step
            entries = self._entries
            out["path_entries"] = on_path = (entries.take(path) if isinstance(
                entries, _PreparedEntries) else [entries[i] for i in path])
            out["states"] = states = []  # after each op of the path
            for entry in on_path:
                state = step(state, entry.op)[1]
                states.append(state)
            out["state"] = state
        if isinstance(self._entries, _PreparedEntries):
            out["source"] = source
        return out


class _PreparedEntries(Sequence):
    """The entries of a search the core prepared, each built when first read (as
    :func:`faultline.checkers.prepare.entries_at` builds them, without write-order views)."""

    def __init__(self, model: Any, history: History, core: Any):
        self._model, self._history, self._core = model, history, core
        self._spans: list[tuple[int, int]] | None = None  # asked of the core when first read
        self._built: list[Entry | None] = []

    def __len__(self) -> int:
        return len(self._core.spans()) if self._spans is None else len(self._spans)

    def __getitem__(self, i):  # type: ignore[override]
        if isinstance(i, slice):
            return self.take(list(range(*i.indices(len(self)))))
        return self.take([i])[0]

    def take(self, indexes: list[int]) -> list[Entry]:
        """``[self[i] for i in indexes]``, in one call (a counterexample reads its whole path)."""
        if self._spans is None:
            self._spans = self._core.spans()
            self._built = [None] * len(self._spans)
            self._read_only = getattr(self._model, "read_only", None)
        built, spans, history, read_only = self._built, self._spans, self._history, self._read_only
        out = []
        for i in indexes:
            entry = built[i]
            if entry is None:
                call, ret = spans[i]
                entry = built[i] = entry_of(history[call], history[ret] if ret >= 0 else None,
                                            read_only)
            out.append(entry)
        return out

    def all(self, *, prune: bool) -> list[Entry]:
        """Every entry, with the write-order views when ``prune`` (what
        :func:`faultline.checkers.order.explain` reads)."""
        return entries_at(self._model, self._history, self._core.spans(), prune=prune)


def prepare_registers(model: Any, history: History, *,
                      prune: bool) -> tuple[Any, list[tuple[Any, int, Any, Any]]] | None:
    """For a register model (``model.native_register()``): ``(model, keys)``, the model
    checked per key when the history names keys (as
    :func:`faultline.checkers.independent.per_key_if_keyed` decides) and per key, in order
    of first invocation, ``(key, invocations, core, clash)``: the core a search not yet
    started, ``clash`` the write-order constraints' contradiction with real time ``(i, j)``
    (as :func:`faultline.checkers.order.contradiction` finds it) or None. None when the
    core is not built, the model is another, or the history needs the Python path (values,
    processes or keys other than None, ints and strings; an op the model does not know)."""
    describe = getattr(model, "native_register", None)
    partitioned = hasattr(model, "partition")
    if (_prepare_registers is None or describe is None
            or partitioned and not isinstance(model, PerKey)):
        return None
    initial, none_is_value, cas = describe()
    found = _prepare_registers(
        [op.type for op in history], [op.process for op in history],
        [op.f for op in history], [op.key for op in history], [op.value for op in history],
        [op.error for op in history], sorted(READ_FS), CAS_MISMATCH, NEMESIS,
        True if partitioned else None, initial, none_is_value, cas, prune)
    if found is None:
        return None
    keyed, keys = found
    return (PerKey(model) if keyed and not partitioned else model), keys
