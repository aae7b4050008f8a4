"""Versions of a kv string register, read back from the strings that gets return.

When put and append values are distinguishable (as our workloads and Porcupine's make
them), the string a get returns spells out how it was built: a base (the initial value or
one put's value) followed by appends in order, with no other write in between. So in
every valid linearization:

- the get observed the *version* written by the last op of that spelling;
- each spelled append observed the version written by the op just before it.

That is a register of versions in which an observed append behaves like a
compare-and-set (previous version -> its own), which :mod:`faultline.checkers.order` knows how to
prune with. A version is named by the *entry* that wrote it, so a value written twice is
fine as long as real time says which of its writers a spelling means: a writer invoked
after the get completed cannot be meant, nor an append that completed before a put that
completed before the get (or before the spelled put) was invoked. A get left in doubt
(two writers left, a string that spells two ways) gives no hint; the search still
checks it. Repeated or empty values that make versions unnamable give no hints at all.
"""

from __future__ import annotations

from typing import Any

INITIAL = ("initial",)
READS = ("get", "read")
PUTS = ("put", "write")


class _Doubt(Exception):
    pass


def _spell(s: str, initial: str, puts: set[str], appends: set[str],
           lengths: list[int]) -> list[tuple[str, Any]] | None:
    """The values that build ``s``: [("initial"|"put", v), ("append", v)...] or None."""
    bases: list[tuple[str, Any]] = [("put", p) for p in puts if s.startswith(p)]
    if s.startswith(initial):
        bases.append(("initial", initial))
    found = None
    for base in bases:
        pos = len(base[1])
        spelled: list[tuple[str, Any]] | None = [base]
        while pos < len(s):
            hits = [n for n in lengths if pos + n <= len(s) and s[pos:pos + n] in appends]
            if len(hits) != 1:
                if hits:
                    raise _Doubt
                spelled = None
                break
            spelled.append(("append", s[pos:pos + hits[0]]))
            pos += hits[0]
        if spelled is not None:
            if found is not None:
                raise _Doubt
            found = spelled
    return found


def _value(op: Any) -> str:
    return op.value if op.value is not None else ""


def kv_order_views(entries: list[Any], initial: str) -> tuple[list, Any] | None:
    """Write-order views (see :mod:`faultline.checkers.order`) for one key's entries, or None."""
    writers: dict[tuple[str, str], list[int]] = {}
    for i, e in enumerate(entries):
        if e.op.f in PUTS or e.op.f == "append":
            value = _value(e.op)
            if not value or value == initial:
                return None
            kind = "put" if e.op.f in PUTS else "append"
            writers.setdefault((kind, value), []).append(i)
    puts = {v for k, v in writers if k == "put"}
    appends = {v for k, v in writers if k == "append"}
    lengths = sorted({len(a) for a in appends})
    ok_puts = sorted((entries[w].ret, entries[w].call) for (k, _), ws in writers.items()
                     if k == "put" for w in ws if entries[w].required)

    def resolve(spelled: list[tuple[str, Any]], get: Any) -> list[Any]:
        """The writer entry of each spelled value, narrowed by real time until one is
        left per position (else _Doubt). Position 0 may be the initial value."""
        # A put that completed before the get was invoked resets the string: no writer
        # that completed before that put was invoked can be in what the get read.
        reset = max((call for ret, call in ok_puts if ret < get.call), default=-1)
        options = [{w for w in writers.get(token, ()) if entries[w].call < get.ret
                    and entries[w].ret > reset} for token in spelled]
        first = 1 if spelled[0][0] == "initial" else 0
        changed = any(len(o) != 1 for o in options[first:])  # usually each value is unique
        while changed:
            changed = False
            taken = {next(iter(o)) for o in options[first:] if len(o) == 1}
            for i in range(first, len(spelled)):
                narrowed = set(options[i])
                if i > first:  # after some candidate of the previous position
                    earliest = min(entries[w].call for w in options[i - 1]) if options[i - 1] \
                        else None
                    narrowed = {w for w in narrowed if earliest is None
                                or entries[w].ret > earliest}
                if i + 1 < len(spelled):  # before some candidate of the next position
                    latest = max((entries[w].ret for w in options[i + 1]), default=None)
                    narrowed = {w for w in narrowed if latest is None or entries[w].call < latest}
                if len(narrowed) > 1:  # an op writes at one position only
                    narrowed -= taken
                if narrowed != options[i]:
                    options[i], changed = narrowed, True
        if any(len(o) != 1 for o in options[first:]):
            raise _Doubt
        return ([INITIAL] if first else []) + [next(iter(o)) for o in options[first:]]

    read_version: dict[int, Any] = {}
    before: dict[int, Any] = {}  # append entry -> version it observed
    for i, e in enumerate(entries):
        if e.op.f not in READS or not e.required:
            continue
        try:
            spelled = _spell(_value(e.op), initial, puts, appends, lengths)
            if spelled is None:
                continue  # no spelling: the model rejects this get by itself
            versions = resolve(spelled, e)
        except _Doubt:
            continue  # this get stays out of the hints; the search still checks it
        read_version[i] = versions[-1]
        for prev, cur in zip(versions, versions[1:]):
            if before.setdefault(cur, prev) != prev:
                return None  # two spellings disagree: illegal, let the search say so
    views: list[tuple | None] = []
    for i, e in enumerate(entries):
        if e.op.f in READS:
            views.append(("read", read_version[i], None) if i in read_version else None)
        elif e.op.f in PUTS:
            views.append(("write", None, i))
        elif e.op.f == "append":
            prev = before.get(i)
            views.append(("cas", prev, i) if prev is not None else ("write", None, i))
        else:
            views.append(None)
    return views, INITIAL
