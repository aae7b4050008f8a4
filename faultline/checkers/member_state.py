"""Members' final state: after the final heal, does every member hold the same data?

The history's ``member-read`` ops (:data:`faultline.core.vocabulary.MEMBER_READ`) are
reads of one member's own state, each by a client bound to that member (the completion's
``node``), taken once no more writes run. Two shapes:

- **a whole set** (``key`` None; the set workload): the ``ok`` value is the list of
  elements the member holds, compared as a set. The result names, per member, the
  elements it holds, those other members hold that it lacks (``missing``) and those only
  it holds (``only_here``);
- **one key** (``key`` set; the register and transactional workloads): the ``ok`` value is
  what the member holds for that key (None: absent). Per key, the values of the members
  that read it are compared; the result lists each key they disagree on with the value
  each member holds (``disagreements``, the first :data:`SHOWN`; ``disagreeing`` counts
  them all), and per member how many keys it read.

For each member (and key) the last such read counts (a workload may read several rounds,
so a member that was only catching up is judged on its latest state).

Verdict: ``false`` when two members' last reads differ; ``unknown`` when fewer than two
members were read, ``true`` when every member read holds the same. Result kind
``member-state``. The verdict comes from these reads alone: no model of the data is
needed, which is why any workload that keeps data can issue them. :func:`with_members`
folds the verdict into a workload checker's result (in its ``members``).
"""

from __future__ import annotations

from typing import Any, Iterable, Sequence

from faultline.core.history import History

from faultline.checkers.set_full import ranges_text
from faultline.core.op import NEMESIS, OK, Op
from faultline.core.result import UNKNOWN, Result
from faultline.core.vocabulary import MEMBER_READ

KIND = "member-state"
SHOWN = 20
"""Disagreeing keys listed in a per-key result (all are counted)."""


def last_member_reads(history: Iterable[Op]) -> dict[str, Op]:
    """Per node, its last ``ok`` whole-set member-read completion (by history position)."""
    return {node: op for (node, key), op in _last_reads(history).items() if key is None}


def _last_reads(history: Iterable[Op]) -> dict[tuple[str, Any], Op]:
    """Per (node, key), the last ``ok`` member-read completion (by history position)."""
    found: dict[tuple[str, Any], Op] = {}
    for op in history:
        if op.f == MEMBER_READ and op.type == OK and op.process != NEMESIS and op.node:
            found[(op.node, op.key)] = op
    return found


def without_member_reads(history: Sequence[Op]) -> History:
    """``history`` without its member-reads (for checkers of the workload's own ops; the
    ops keep their indices)."""
    return History(op for op in history if op.f != MEMBER_READ)


def check_member_state(history: Sequence[Op]) -> Result | None:
    """The member-state verdict of ``history``; None when it has no member-read at all
    (a history from before the check existed, or a run cut short before its final reads)."""
    attempted = {op.node for op in history if op.f == MEMBER_READ and op.process != NEMESIS}
    every = _last_reads(history)
    if not attempted and not every:
        return None
    if any(key is not None for _, key in every):
        return _check_keys(every, attempted)
    reads = last_member_reads(history)
    held = {node: frozenset(op.value or ()) for node, op in sorted(reads.items())}
    union = frozenset().union(*held.values()) if held else frozenset()
    members: dict[str, Any] = {}
    for node, elements in held.items():
        others = frozenset().union(*(e for n, e in held.items() if n != node))
        missing, only_here = others - elements, elements - others
        members[node] = {"count": len(elements), "elements": ranges_text(elements),
                         "missing_count": len(missing), "missing": ranges_text(missing),
                         "only_here_count": len(only_here), "only_here": ranges_text(only_here),
                         "read_index": reads[node].index,
                         "read_s": round(reads[node].time / 1e9, 3)}
    agree = len(set(held.values())) <= 1
    data: dict[str, Any] = {"kind": KIND, "members": members, "agree": agree,
                            "elements_anywhere": len(union)}
    return _verdict(data, agree, set(held), attempted)


def _check_keys(reads: dict[tuple[str, Any], Op], attempted: set[str | None]) -> Result:
    """The per-key comparison (the module doc's second shape)."""
    by_key: dict[Any, dict[str, Any]] = {}
    members: dict[str, Any] = {}
    for (node, key), op in sorted(reads.items(), key=lambda item: (item[0][0], repr(item[0][1]))):
        by_key.setdefault(key, {})[node] = op.value
        member = members.setdefault(node, {"keys": 0, "read_index": op.index, "read_s": 0.0})
        member["keys"] += 1
        member["read_index"] = max(member["read_index"], op.index)
        member["read_s"] = max(member["read_s"], round(op.time / 1e9, 3))
    differ = [{"key": key, "values": values} for key, values in by_key.items()
              if len({repr(v) for v in values.values()}) > 1]
    data: dict[str, Any] = {"kind": KIND, "members": members, "agree": not differ,
                            "keys": len(by_key), "disagreeing": len(differ),
                            "disagreements": differ[:SHOWN]}
    return _verdict(data, not differ, set(members), attempted)


def _verdict(data: dict[str, Any], agree: bool, held: set[str],
             attempted: set[str | None]) -> Result:
    data["unread"] = sorted(n for n in attempted if n and n not in held)
    if not agree:
        return Result(False, data)
    if len(held) < 2:
        data["reason"] = (f"only {len(held)} member{'s' if len(held) != 1 else ''} answered a "
                          f"member-read: nothing to compare")
        return Result(UNKNOWN, data)
    return Result(True, data)


def with_members(checked: Result, history: Sequence[Op]) -> Result:
    """A workload checker's result with the members' final state in its ``members``: made
    ``false`` when the members disagree; a member-state ``unknown`` (fewer than two
    members read) is shown but leaves the verdict as it is (a check that could not be
    made, not doubt about the workload's history). Unchanged when no member was read."""
    members = check_member_state(history)
    if members is None:
        return checked
    valid = False if members.valid is False else checked.valid
    return Result(valid, {**checked.data, "members": members.to_dict()}, checked.error)


__all__ = ["KIND", "SHOWN", "check_member_state", "last_member_reads", "with_members",
           "without_member_reads"]
