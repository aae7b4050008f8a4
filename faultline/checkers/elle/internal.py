"""Anomalies inside one transaction (Elle's ``internal-cases``), for ok transactions.

*internal* (Cerone, Bernardi and Gotsman's axiom INT): a read that contradicts the
transaction's own earlier micro-ops on that key. List-append: after reading ``[1 2]``
and appending 3, the next read must be ``[1 2 3]``; after appending 3 to a key not read
before, the next read must end with 3 (its prefix is unknown). rw-register: a read must
return the transaction's last write of that key, or its last read of it.

*future-read* (list-append): a read shows an element the same transaction appends only
later.
"""

from __future__ import annotations

from typing import Any, Sequence

from faultline.checkers.elle.txn import Txn
from faultline.core.op import OK

__all__ = ["list_append_internal", "register_internal"]


def list_append_internal(txns: Sequence[Txn]) -> dict[str, list[dict]]:
    """``{"internal": [...], "future-read": [...]}`` (empty lists left out).

    An internal case: ``{"txn", "mop", "expected", "prefix_unknown"}``: ``expected`` is
    the state the read should have shown, or, when ``prefix_unknown``, what it should
    have ended with."""
    internal, future = [], []
    for t in txns:
        # Both need a key touched twice; most transactions touch each key once.
        if t.type != OK or len({k for _, k, _ in t.mops}) == len(t.mops):
            continue
        case = _la_internal(t)
        if case is not None:
            internal.append(case)
        case = _la_future_read(t)
        if case is not None:
            future.append(case)
    out = {}
    if internal:
        out["internal"] = internal
    if future:
        out["future-read"] = future
    return out


def _la_internal(t: Txn) -> dict | None:
    # key -> (known prefix?, expected list or known suffix)
    state: dict[Any, tuple[bool, list]] = {}
    for f, k, v in t.mops:
        if f == "append":
            known, s = state.get(k, (False, []))
            state[k] = (known, s + [v])
        elif f == "r":
            read = list(v) if v else []
            if k in state:
                known, s = state[k]
                if known:
                    bad = s != read
                else:
                    bad = len(read) < len(s) or read[len(read) - len(s):] != s
                if bad:
                    return {"txn": t.id, "mop": [f, k, v], "expected": s,
                            "prefix_unknown": not known}
            state[k] = (True, read)
    return None


def _la_future_read(t: Txn) -> dict | None:
    reads: dict[Any, list] = {}  # key -> the reads of it so far, in order
    for f, k, v in t.mops:
        if f == "append":
            for read in reads.get(k, ()):
                if v in read:
                    return {"txn": t.id, "mop": ["r", k, read], "element": v}
        elif f == "r" and v:
            reads.setdefault(k, []).append(v)
    return None


def register_internal(txns: Sequence[Txn]) -> list[dict]:
    """rw-register *internal* cases: ``{"txn", "mop", "expected"}`` where ``expected`` is
    the value the transaction last wrote or read for that key."""
    cases = []
    for t in txns:
        if t.type != OK or len({k for _, k, _ in t.mops}) == len(t.mops):
            continue
        state: dict[Any, Any] = {}
        for f, k, v in t.mops:
            if f == "w":
                state[k] = v
            elif f == "r":
                if k in state and state[k] != v:
                    cases.append({"txn": t.id, "mop": [f, k, v], "expected": state[k]})
                    break
                state[k] = v
    return cases
