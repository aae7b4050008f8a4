"""Versions of a kv string register, read back from the strings that gets return.

When every put and append value of a key is unique (as our workloads and Porcupine's
make them), the string a get returns spells out how it was built: a base (the initial
value or one put's value) followed by appends in order, with no other write in between.
So in every valid linearization:

- the get observed the *version* written by the last op of that spelling;
- each spelled append observed the version written by the op just before it.

That is a register of versions in which an observed append behaves like a
compare-and-set (previous version -> its own), which :mod:`checkers.order` knows how to
prune with. Any doubt (repeated values, a string that spells two ways) gives up: no views,
no pruning, the plain search still decides.
"""

from __future__ import annotations

from typing import Any

from harness.op import Op

INITIAL = ("initial",)
READS = ("get", "read")
PUTS = ("put", "write")


class _Ambiguous(Exception):
    pass


def _spell(s: str, initial: str, puts: set[str], appends: set[str],
           lengths: list[int]) -> list[tuple] | None:
    """The tokens that build ``s``: [base, append...]; None if none does."""
    bases = [("put", p) for p in puts if s.startswith(p)]
    if s.startswith(initial):
        bases.append(INITIAL)
    found = None
    for base in bases:
        pos = len(initial) if base == INITIAL else len(base[1])
        tokens = [base]
        while pos < len(s):
            hits = [n for n in lengths if pos + n <= len(s) and s[pos:pos + n] in appends]
            if len(hits) != 1:
                if hits:
                    raise _Ambiguous
                tokens = None
                break
            tokens.append(("append", s[pos:pos + hits[0]]))
            pos += hits[0]
        if tokens is not None:
            if found is not None:
                raise _Ambiguous
            found = tokens
    return found


def kv_order_views(ops: list[Op], initial: str) -> tuple[list, Any] | None:
    """Write-order views (see :mod:`checkers.order`) for one key's ops, or None."""
    puts: set[str] = set()
    appends: set[str] = set()
    for op in ops:
        if op.f in PUTS or op.f == "append":
            value = op.value if op.value is not None else ""
            if not value or value in puts or value in appends or value == initial:
                return None
            (puts if op.f in PUTS else appends).add(value)
    lengths = sorted({len(a) for a in appends})
    read_version: dict[int, tuple] = {}
    before: dict[str, tuple] = {}  # append value -> version it observed
    try:
        for i, op in enumerate(ops):
            if op.f not in READS or op.type == "info":
                continue
            tokens = _spell(op.value if op.value is not None else "", initial, puts, appends,
                            lengths)
            if tokens is None:
                continue  # no spelling: the model rejects this get by itself
            read_version[i] = tokens[-1]
            for prev, tok in zip(tokens, tokens[1:]):
                before.setdefault(tok[1], prev)
    except _Ambiguous:
        return None
    views: list[tuple | None] = []
    for i, op in enumerate(ops):
        if op.f in READS:
            views.append(("read", read_version[i], None) if i in read_version else None)
        elif op.f in PUTS:
            views.append(("write", None, ("put", op.value or "")))
        elif op.f == "append":
            prev = before.get(op.value)
            token = ("append", op.value)
            views.append(("cas", prev, token) if prev is not None else ("write", None, token))
        else:
            views.append(None)
    return views, INITIAL
