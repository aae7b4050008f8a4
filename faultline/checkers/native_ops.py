"""The built-in models' ops as the compiled core steps them: integers, encoded once.

A built-in model's ``native_ops(ops)`` returns ``(kind, init, codes)`` for
:class:`faultline.checkers.native.NativeSearch`: ``kind`` "register" (the state is one
value id) or "table" (the state is a sequence of integers: a kv string's code points, a
set's sorted element ids, a map's sorted key/value id pairs), ``init`` the initial state,
and one ``[code, args...]`` per op. The codes mirror ``native/src/lib.rs``. Values are
interned with a dict, so two values are the same id exactly when the Python model's
``==`` says they are equal. A model returns None when it cannot say its ops in these
terms (a kv value that is not a string): the core then calls its ``step``.
"""

from __future__ import annotations

from typing import Any, Hashable

NOP, NEVER = 0, 1
REG_READ, REG_WRITE, REG_CAS, REG_MISMATCH = 2, 3, 4, 5
SEQ_READ, SEQ_PUT, SEQ_APPEND = 6, 7, 8
SET_ADD = 9
TXN = 10

UNOBSERVED = ("value no op observes",)
"""Every register value that no op reads or compares against becomes this one value: no
op can tell them apart, so merging them only merges configurations of equal futures."""


class Interner:
    """Value -> small integer, in order of first sight; ``reserved`` values come first."""

    def __init__(self, *reserved: Hashable):
        self.ids: dict[Hashable, int] = {}
        for value in reserved:
            self(value)

    def __call__(self, value: Hashable) -> int:
        found = self.ids.get(value)
        if found is None:
            found = self.ids[value] = len(self.ids)
        return found


def register_codes(views: list[tuple], initial: Hashable) -> tuple[str, list[int], list[list[int]]]:
    """``views``: per op ``(code, *values)`` with REG_ codes; values unobserved merged."""
    observed = {v[1] for v in views if v[0] in (REG_READ, REG_CAS, REG_MISMATCH)}
    ids = Interner(UNOBSERVED)

    def value(v: Hashable) -> int:
        return ids(v) if v in observed else 0

    codes = []
    for code, *values in views:
        if code == REG_CAS:
            codes.append([code, ids(values[0]), value(values[1])])
        elif code in (REG_READ, REG_MISMATCH):
            codes.append([code, ids(values[0])])
        elif code == REG_WRITE:
            codes.append([code, value(values[0])])
        else:
            codes.append([code])
    return "register", [value(initial)], codes


def set_codes(ops: list[tuple[str, Any]]) -> tuple[str, list[int], list[list[int]]]:
    """``ops``: ``("add", v)`` or ``("read", elements | None)`` (None: not a collection)."""
    ids = Interner()
    codes = []
    for kind, value in ops:
        if kind == "add":
            codes.append([SET_ADD, ids(value)])
        elif value is None:
            codes.append([NEVER])
        else:
            codes.append([SEQ_READ, *sorted({ids(v) for v in value})])
    return "table", [], codes


def kv_codes(ops: list[tuple[int, Any]], initial: Any) -> tuple[str, list[int], list[list[int]]] | None:
    """``ops``: ``(SEQ_ code, string)``; None unless every string is a ``str``."""
    if not isinstance(initial, str) or not all(isinstance(s, str) for _, s in ops):
        return None
    return "table", [ord(c) for c in initial], [[code, *map(ord, s)] for code, s in ops]


def txn_codes(txns: list[list[tuple[str, Hashable, Hashable]]],
              initial: dict) -> tuple[str, list[int], list[list[int]]]:
    """``txns``: micro-ops ``("r" | "w", key, value)``; None (id 0) is also "absent"."""
    ids = Interner(None)
    codes = []
    for micro in txns:
        code = [TXN]
        for kind, k, v in micro:
            if kind == "r" and v is None:
                continue  # observed nothing
            code += [0 if kind == "r" else 1, ids(k), ids(v)]
        codes.append(code)
    init = sorted((ids(k), ids(v)) for k, v in initial.items() if v is not None)
    return "table", [x for pair in init for x in pair], codes
