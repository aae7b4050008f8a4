"""Anomalies in words a person can follow, as data: each cycle step gets a sentence, each
anomaly an ``explanation``, and transactions are named ``T<id>`` with a reference
(history index, process, micro-ops) the report can show.

Sentences say what the history shows, per workload: list-append reads show the order of
appends ("T2 read x without 4, which T3 appended"), register reads one version ("T2 read
x = 1, and T3 wrote x = 2, a later version"). Pure functions of the records the analysis
produced; no verdict depends on them.
"""

from __future__ import annotations

import json
from typing import Any, Mapping, Sequence

from faultline.checkers.elle.txn import Txn

__all__ = ["cycle_anomaly", "describe", "txn_ref"]

LIST_APPEND = "list-append"

_CYCLE_WORDS = {
    "G0": "a cycle of write dependencies alone (dirty write)",
    "G1c": "a cycle of write and read dependencies (circular information flow)",
    "G-single-item": "a cycle with exactly one anti-dependency (read skew)",
    "G-nonadjacent-item": "a cycle with several anti-dependencies, no two in a row",
    "G2-item": "a cycle with two or more anti-dependencies (write skew or worse)",
}


def show(value: Any) -> str:
    """A key or value as the text shows it: strings bare, the rest as JSON (None: nil)."""
    if isinstance(value, str):
        return value
    if value is None:
        return "nil"
    return json.dumps(value, default=str)


def txn_ref(t: Txn) -> dict[str, Any]:
    """How a result names a transaction: id, history index, process, outcome, micro-ops."""
    return {"txn": t.id, "index": t.index, "process": t.process, "type": t.type,
            "value": [list(m) for m in t.mops]}


def step_text(workload: str, a: int, b: int, rel: str, why: Mapping[str, Any] | None) -> str:
    """One edge ``a -> b`` explained by relation ``rel`` (``"ww"``, ``"wr"``, ``"rw"``,
    ``"process"``, ``"realtime"``) in words: why ``T<a>`` must come before ``T<b>``."""
    ta, tb = f"T{a}", f"T{b}"
    why = why or {}
    k, v, prev = show(why.get("key")), why.get("value"), why.get("prev")
    append = workload == LIST_APPEND
    if rel == "wr":
        if append:
            return f"{tb} read {k} after {ta} appended {show(v)} (it saw that append)"
        return f"{tb} read {k} = {show(v)}, which {ta} wrote"
    if rel == "ww":
        if append:
            return f"{ta} appended {show(prev)} to {k}, and {tb} appended {show(v)} right after it"
        return f"{ta} wrote {k} = {show(prev)}, and {tb} wrote {k} = {show(v)}, a later version"
    if rel == "rw":
        if append:
            if prev is None:
                return f"{ta} read {k} empty, without {show(v)}, which {tb} appended first"
            return (f"{ta} read {k} up to {show(prev)}, without {show(v)}, which {tb} "
                    "appended next")
        seen = "empty" if prev is None else f"= {show(prev)}"
        return f"{ta} read {k} {seen}, and {tb} wrote {k} = {show(v)}, the next version"
    if rel == "process":
        return f"{ta} ran before {tb} in process {show(why.get('process'))}"
    if rel == "realtime":
        return (f"{ta} completed (history index {why.get('completed')}) before {tb} was "
                f"invoked (index {why.get('invoked')})")
    return f"{ta} precedes {tb}"


def cycle_anomaly(kind: str, workload: str, cycle: Sequence[tuple[int, str, Any]],
                  txns: Sequence[Txn]) -> dict[str, Any]:
    """A cycle ``[(txn id, relation to the next, why), ...]`` (the last one leads back to the
    first) as the result shows it: ``cycle`` (transactions), ``steps`` (one per edge, with
    its sentence) and ``explanation``."""
    steps = []
    for i, (a, rel, why) in enumerate(cycle):
        b = cycle[(i + 1) % len(cycle)][0]
        step = {"from": a, "to": b, "rel": rel}
        for field in ("key", "value", "prev"):
            if why and field in why:
                step[field] = why[field]
        step["text"] = step_text(workload, a, b, rel, why)
        steps.append(step)
    base = kind.removesuffix("-realtime").removesuffix("-process")
    extra = (" with real-time order" if kind.endswith("-realtime") else
             " with process order" if kind.endswith("-process") else "")
    names = ", ".join(f"T{a}" for a, _, _ in cycle)
    explanation = (f"{names} form {_CYCLE_WORDS.get(base, 'a cycle')}{extra}: each must come "
                   f"before the next ({'; '.join(s['text'] for s in steps)}), so no order "
                   "of them exists.")
    return {"type": kind, "cycle": [txn_ref(txns[a]) for a, _, _ in cycle], "steps": steps,
            "explanation": explanation}


def describe(kind: str, workload: str, case: Mapping[str, Any],
             txns: Sequence[Txn]) -> dict[str, Any]:
    """A non-cycle anomaly record (ids as the analysis gives them) with its ``type``,
    ``txns`` (the transactions involved, as :func:`txn_ref`) and ``explanation``."""
    out = {"type": kind, **case}
    ids = [case[f] for f in ("txn", "writer") if f in case] + list(case.get("txns", ()))
    out["txns"] = [txn_ref(txns[i]) for i in ids]
    out["explanation"] = _sentence(kind, workload, case)
    return out


def _sentence(kind: str, workload: str, c: Mapping[str, Any]) -> str:
    append = workload == LIST_APPEND
    t = f"T{c['txn']}" if "txn" in c else ""
    w = f"T{c['writer']}" if "writer" in c else ""
    mop = c.get("mop")
    key, read = (show(mop[1]), show(mop[2] or [] if append else mop[2])) if mop else (
        show(c.get("key")), "")
    if kind == "G1a":
        return (f"{t} read {key} = {read}, which shows {show(c['element'])}, written by {w}, "
                "a transaction that failed (aborted read)")
    if kind == "G1b":
        made = "appended" if append else "wrote"
        return (f"{t} read {key} = {read}, the state after {w} {made} {show(c['element'])}, "
                f"which {w} overwrote within itself (intermediate read)")
    if kind == "internal":
        if "prefix_unknown" in c:
            want = (f"end with {show(c['expected'])}" if c["prefix_unknown"]
                    else f"be {show(c['expected'])}")
            return (f"{t} read {key} = {read}, but its own earlier micro-ops say it should "
                    f"{want}")
        return (f"{t} read {key} = {read}, but its own earlier micro-op left {key} = "
                f"{show(c['expected'])}")
    if kind == "future-read":
        return (f"{t} read {key} = {read}, which shows {show(c['element'])}, a value {t} "
                "itself appends only later")
    if kind == "duplicate-elements":
        counts = ", ".join(f"{show(e)} {n} times" for e, n in c["duplicates"])
        return f"{t} read {key} = {read}: {counts}, but every value is appended once"
    if kind == "incompatible-order":
        a, b = c["values"]
        return (f"reads of {key} disagree on the order of its appends: {show(a)} is not a "
                f"prefix of {show(b)}")
    if kind == "garbage-read":
        made = "appended" if append else "wrote"
        return (f"{t} read {key} = {read}, but no transaction {made} "
                f"{', '.join(show(e) for e in c['elements'])} to {key}")
    if kind == "dirty-update":
        first, last = c["txns"]
        return (f"on {key}, T{last} (committed) appended after T{first} (failed): the versions "
                f"{show(c['values'])} build on aborted state")
    if kind == "lost-update":
        names = [f"T{i}" for i in c["txns"]]
        made = "appended to" if append else "wrote"
        who = (f"{names[0]} and {names[1]} both" if len(names) == 2
               else f"{', '.join(names)} all")
        return (f"{who} read {key} = {show(c['value'])} and then {made} {key}: each update "
                "was made without seeing the other" + ("" if len(names) == 2 else "s"))
    if kind == "cyclic-versions":
        return (f"the version order of {key} inferred from {', '.join(c['sources'])} is "
                f"cyclic: {show(c['scc'])}")
    if kind == "empty-transaction-graph":
        return ("no dependency between any two transactions could be inferred, so no cycle "
                "can be looked for (Elle: :empty-transaction-graph)")
    return kind
