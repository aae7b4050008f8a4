"""The election workload's history: did two leaders' terms overlap in what they did?

The history (nemesis ops and other ``f`` s are ignored):

- ``renew`` ``ok`` ``{"leader": true, "term": T, "took_over": bool, ...}``: the candidate
  holds the record; ``T`` is the revision its term began at (the fencing token: a later
  term has a higher one). ``{"leader": false, ...}``: it does not.
- ``act`` ``ok`` ``{"term": T, "revision": R}``: a leader of term ``T`` wrote an entry
  to the log, at revision ``R``; ``info``: the same with ``R`` unknown (it may have
  landed).
- ``read-log`` ``ok``: the final read of the whole log, ``[[R, candidate, T], ...]``.

Term ``T``'s span of revisions runs from ``T`` up to the next term's beginning ``T'``
(the smallest known term above ``T``). An entry of term ``T`` at revision ``R >= T'`` is
a **stale action**: its leader acted after another had taken over, the overlap a lease
based election permits when a leader's clock, a pause or a slow request outlasts the
margin between renew deadline and lease duration. Entries are taken from the final log
read when one succeeded (it also holds the ``info`` acts that landed), else from the
``ok`` acts. Also found: **lost actions** (an ``ok`` act missing from the final log)
and **unexpected entries** (an entry of a term no renew began, or a revision below
its term).

Each stale and unexpected entry carries ``act_s``, the completion of the act that wrote
it (the ``ok`` act that returned its revision, else its candidate's ``info`` act: a
process whose op ended ``info`` issues no other; None when no act explains it);
``first_s`` holds, per anomaly found, when the history first showed it: the earliest
such completion (an entry no act explains, and a lost action, at the final read's).

Valid iff none; ``unknown`` when no final read succeeded and nothing was found.
Cost: O(n log n) in the entries (a sort of the terms, a bisection per entry).
"""

from __future__ import annotations

from bisect import bisect_right
from typing import Any, Mapping

from faultline.core.errors import BadInputError
from faultline.core.history import History
from faultline.core.op import INFO, NEMESIS, OK, Op
from faultline.core.result import UNKNOWN, Result

KIND = "election"
RENEW, ACT, READ_LOG = "renew", "act", "read-log"
EXAMPLES = 10


def _int(value: Any, what: str, index: int) -> int:
    if not isinstance(value, int) or isinstance(value, bool):
        raise BadInputError(f"op {index}: {what} must be an int, got {value!r}")
    return value


def terms_of(history: History) -> dict[int, dict[str, Any]]:
    """Each term (by its first revision): who led it, when its renew completed, and how
    many renews and acts it had."""
    terms: dict[int, dict[str, Any]] = {}
    for op in history:
        if op.process == NEMESIS or op.type != OK or op.f != RENEW:
            continue
        v = op.value
        if not isinstance(v, Mapping):
            raise BadInputError(f"op {op.index}: a renew's value must be an object")
        if not v.get("leader"):
            continue
        term = _int(v.get("term"), "a term", op.index)
        t = terms.setdefault(term, {"term": term, "leader": op.process,
                                    "began_s": round(op.time / 1e9, 6), "renews": 0})
        t["renews"] += 1
        t["last_renew_s"] = round(op.time / 1e9, 6)
    return terms


def _act_times(history: History, acts: list[Op]) -> dict[Any, float]:
    """When each act completed: by the revision an ``ok`` one returned, and by
    ``(candidate, term)`` for an ``info`` one (its process issued no other op)."""
    found: dict[Any, float] = {op.value["revision"]: round(op.time / 1e9, 6) for op in acts}
    for op in history:
        if op.process != NEMESIS and op.f == ACT and op.type == INFO \
                and isinstance(op.value, Mapping):
            found[(op.process, op.value.get("term"))] = round(op.time / 1e9, 6)
    return found


def _earliest(entries: list[dict[str, Any]], fallback: float | None) -> float | None:
    """The earliest ``act_s`` of ``entries``, an entry no act explains at ``fallback``."""
    return min((e["act_s"] if e["act_s"] is not None else fallback for e in entries
                if e["act_s"] is not None or fallback is not None), default=None)


def check_election(history: History) -> Result:
    """The terms and what their leaders did (the module doc)."""
    terms = terms_of(history)
    starts = sorted(terms)
    acts = [op for op in history if op.process != NEMESIS and op.f == ACT and op.type == OK]
    logs = [op for op in history if op.process != NEMESIS and op.f == READ_LOG
            and op.type == OK]
    log = max(logs, key=lambda op: op.index).value if logs else None
    if log is not None:
        if not isinstance(log, list):
            raise BadInputError("a read-log's value must be a list of [revision, candidate, term]")
        entries = [(_int(e[0], "a revision", -1), e[1], _int(e[2], "a term", -1)) for e in log]
    else:
        entries = [(_int(op.value.get("revision"), "an act's revision", op.index), op.process,
                    _int(op.value.get("term"), "an act's term", op.index)) for op in acts]
    act_s = _act_times(history, acts)
    stale, unexpected = [], []
    per_term: dict[int, int] = {}
    for revision, candidate, term in sorted(entries):
        per_term[term] = per_term.get(term, 0) + 1
        wrote_s = act_s.get(revision, act_s.get((candidate, term)))
        if term not in terms or revision < term:
            unexpected.append({"revision": revision, "candidate": candidate, "term": term,
                               "act_s": wrote_s,
                               "why": "no renew began this term" if term not in terms
                               else "written before its term began"})
            continue
        later = starts[bisect_right(starts, term):]
        if later and revision >= later[0]:
            overtaken = [t for t in later if t <= revision]
            current = terms[overtaken[-1]]
            stale.append({"revision": revision, "candidate": candidate, "term": term,
                          "act_s": wrote_s,
                          "leader": terms[term]["leader"], "next_term": later[0],
                          "during_term": current["term"], "leader_then": current["leader"],
                          "leader_then_since_s": current["began_s"],
                          "terms_overtaken": len(overtaken)})
    lost = []
    if log is not None:
        landed = {e[0] for e in entries}
        lost = [{"revision": op.value["revision"], "candidate": op.process,
                 "term": op.value["term"], "time_s": round(op.time / 1e9, 6)}
                for op in acts if op.value["revision"] not in landed]
    for term, t in terms.items():
        t["acts"] = per_term.get(term, 0)
    counts = {"terms": len(terms), "entries": len(entries), "stale": len(stale),
              "lost": len(lost), "unexpected": len(unexpected),
              "leaders": len({t["leader"] for t in terms.values()})}
    read_s = round(max(logs, key=lambda op: op.index).time / 1e9, 6) if logs else None
    first = {"stale": _earliest(stale, read_s), "unexpected": _earliest(unexpected, read_s),
             "lost": read_s if lost else None}
    data: dict[str, Any] = {
        "kind": KIND, "counts": counts, "log_read": log is not None,
        "anomaly_types": [n for n in ("stale", "lost", "unexpected") if counts[n]],
        "first_s": {n: t for n, t in first.items() if counts[n] and t is not None},
        "stale": stale[:EXAMPLES], "lost": lost[:EXAMPLES], "unexpected": unexpected[:EXAMPLES],
        "terms": [terms[t] for t in starts][:200]}
    if stale or lost or unexpected:
        return Result(False, data)
    if log is None:
        data["reason"] = "no final read of the log succeeded: what landed is not known"
        return Result(UNKNOWN, data)
    return Result(True, data)


class ElectionChecker:
    """:func:`check_election` as a Checker."""

    def check(self, test: Mapping[str, Any], history: History,
              opts: Mapping[str, Any]) -> Result:
        return check_election(history)


__all__ = ["ACT", "ElectionChecker", "KIND", "READ_LOG", "RENEW", "check_election", "terms_of"]
