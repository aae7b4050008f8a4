"""The set workload: clients add unique elements to one set and now and then read all of it.

Ops (what the clients implement; ``key`` is None, the test has one set):

- ``{"f": "add", "value": e}``: add int ``e``. Elements are unique (0, 1, 2, ... in
  generation order), so a read tells exactly which adds it saw. ``ok``: added; ``fail``:
  certainly not added; ``info``: unknown.
- ``{"f": "read", "value": None}``: read the whole set; the ``ok`` completion carries the
  elements read, a list of ints in any order (``[]`` for an empty set).

- ``{"f": "member-read", "value": None, "process": p}``: read the whole set from the one
  member process ``p``'s client is bound to, locally (etcd: serializable; ZooKeeper: after
  a ``sync`` on that server), whatever the read mode.

Generation: every op is a read with probability ``set_read_fraction``, else the add of
the next element. Once the cluster has healed, the final generator reads the whole set
once more (the read that tells whether an acknowledged add was lost), then reads every
member on its own, twice, :data:`MEMBER_ROUND_GAP_S` apart
(:func:`~faultline.workloads.member_reads.member_read_rounds`).

Checking (:class:`SetChecker`): :class:`faultline.checkers.set_full.SetFullChecker`
(Jepsen's set-full: lost, stale, never-read and unexpected elements, flapping, visibility
latencies; ``set_linearizable`` makes stale reads invalid too, set-full's
``:linearizable?``), and the members' final state
(:func:`faultline.checkers.member_state.check_member_state`), in the result's ``members``:
members that disagree make the test invalid.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Mapping

from faultline.checkers.member_state import with_members
from faultline.checkers.set_full import SetFullChecker
from faultline.core.generator.basic import concat, once
from faultline.core.generator.context import Context
from faultline.core.generator.protocol import PENDING, OpResult, fill_op
from faultline.core.history import History
from faultline.core.op import Op
from faultline.core.options import Option
from faultline.core.result import Result
from faultline.workloads.member_reads import MEMBER_ROUND_GAP_S, MemberReads, member_read_rounds
from faultline.workloads.txn_support import option

ADD = "add"
READ = "read"

SET_READ_FRACTION = Option("set_read_fraction", 0.1, "probability that an op reads the whole "
                           "set (else it adds the next element)", float, minimum=0,
                           maximum=1, metavar="P")
SET_LINEARIZABLE = Option("set_linearizable", False, "stale set reads (an element missing "
                          "from a read begun after its add was known) make the test invalid",
                          bool)


@dataclass(frozen=True, slots=True)
class SetGenerator:
    """Infinite; bound it with ``time_limit``. An immutable generator value: ``next_element``
    is the element the next add adds."""

    next_element: int
    read_fraction: float

    def op(self, test: Mapping[str, Any], ctx: Context) -> OpResult:
        if not ctx.has_free_process():
            return PENDING, self
        if ctx.rng.random() < self.read_fraction:
            filled = fill_op({"f": READ, "value": None}, ctx)
            return (PENDING, self) if filled is None else (filled, self)
        filled = fill_op({"f": ADD, "value": self.next_element}, ctx)
        if filled is None:
            return PENDING, self
        return filled, SetGenerator(self.next_element + 1, self.read_fraction)

    def update(self, test: Mapping[str, Any], ctx: Context, event: Op) -> "SetGenerator":
        return self


class SetWorkload:
    """The set workload (the module docstring says what it does)."""

    name = "set"
    options = (SET_READ_FRACTION, SET_LINEARIZABLE)

    def generator(self, test: Mapping[str, Any]) -> SetGenerator:
        """Uses ``set_read_fraction`` (its default when absent)."""
        return SetGenerator(0, float(option(test, SET_READ_FRACTION)))

    def final_generator(self, test: Mapping[str, Any], history: History) -> Any:
        """One read of the whole set, then two rounds of member reads (the module doc)."""
        return concat(once({"f": READ, "value": None}), member_read_rounds(test))

    def checker(self, test: Mapping[str, Any]) -> "SetChecker":
        return SetChecker(linearizable=bool(option(test, SET_LINEARIZABLE)))


class SetChecker:
    """set-full, with the members' final state in ``members``. The verdict is set-full's,
    made ``false`` when the members disagree; a member-state ``unknown`` (fewer than two
    members read) is shown but leaves set-full's verdict as it is: it is a check that could
    not be made, not doubt about the set's history."""

    def __init__(self, *, linearizable: bool = False):
        self.set_full = SetFullChecker(linearizable=linearizable)

    def check(self, test: Mapping[str, Any], history: Any, opts: Mapping[str, Any]) -> Result:
        return with_members(self.set_full.check(test, history, opts), history)


WORKLOAD = SetWorkload()

__all__ = ["ADD", "MEMBER_ROUND_GAP_S", "MemberReads", "READ", "SET_LINEARIZABLE",
           "SET_READ_FRACTION", "SetChecker", "SetGenerator", "SetWorkload", "WORKLOAD"]
