"""Members' final state: after the final heal, does every member hold the same data?

The history's ``member-read`` ops (:data:`faultline.core.vocabulary.MEMBER_READ`) are
reads of one member's own state, each by a client bound to that member (the completion's
``node``), taken once no more writes run. The ``ok`` completion's value is what the member
holds, a list of elements compared as a set (the set workload's elements). For each
member the last such read counts (a workload may read several rounds, so a member that
was only catching up is judged on its latest state).

Verdict: ``false`` when two members' last reads differ: the members disagree, and the
result names, per member, the elements it holds, those other members hold that it lacks
(``missing``) and those only it holds (``only_here``). ``unknown`` when fewer than two
members were read, ``true`` when every member read holds the same. Result kind
``member-state``. The verdict comes from these reads alone: no model of the data is
needed, which is why any workload that keeps data can issue them.
"""

from __future__ import annotations

from typing import Any, Iterable, Sequence

from faultline.checkers.set_full import ranges_text
from faultline.core.op import NEMESIS, OK, Op
from faultline.core.result import UNKNOWN, Result
from faultline.core.vocabulary import MEMBER_READ

KIND = "member-state"


def last_member_reads(history: Iterable[Op]) -> dict[str, Op]:
    """Per node, its last ``ok`` member-read completion (by history position)."""
    found: dict[str, Op] = {}
    for op in history:
        if op.f == MEMBER_READ and op.type == OK and op.process != NEMESIS and op.node:
            found[op.node] = op
    return found


def check_member_state(history: Sequence[Op]) -> Result | None:
    """The member-state verdict of ``history``; None when it has no member-read at all
    (a history from before the check existed, or a run cut short before its final reads)."""
    attempted = {op.node for op in history if op.f == MEMBER_READ and op.process != NEMESIS}
    reads = last_member_reads(history)
    if not attempted and not reads:
        return None
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
    unread = sorted(n for n in attempted if n and n not in held)
    data: dict[str, Any] = {"kind": KIND, "members": members, "agree": agree,
                            "elements_anywhere": len(union), "unread": unread}
    if not agree:
        return Result(False, data)
    if len(held) < 2:
        data["reason"] = (f"only {len(held)} member{'s' if len(held) != 1 else ''} answered a "
                          f"member-read: nothing to compare")
        return Result(UNKNOWN, data)
    return Result(True, data)


__all__ = ["KIND", "check_member_state", "last_member_reads"]
