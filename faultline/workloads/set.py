"""The set workload: clients add unique elements to one set and now and then read all of it.

Ops (what the clients implement; ``key`` is None, the test has one set):

- ``{"f": "add", "value": e}``: add int ``e``. Elements are unique (0, 1, 2, ... in
  generation order), so a read tells exactly which adds it saw. ``ok``: added; ``fail``:
  certainly not added; ``info``: unknown.
- ``{"f": "read", "value": None}``: read the whole set; the ``ok`` completion carries the
  elements read, a list of ints in any order (``[]`` for an empty set).

Generation: every op is a read with probability ``set_read_fraction``, else the add of
the next element. Once the cluster has healed, the final generator reads the whole set
once more: the read that tells whether an acknowledged add was lost.

Checking: :class:`faultline.checkers.set_full.SetFullChecker` (Jepsen's set-full: lost,
stale, never-read and unexpected elements, flapping, visibility latencies);
``set_linearizable`` makes stale reads invalid too (set-full's ``:linearizable?``).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Mapping

from faultline.checkers.set_full import SetFullChecker
from faultline.core.generator.basic import once
from faultline.core.generator.context import Context
from faultline.core.generator.protocol import PENDING, OpResult, fill_op
from faultline.core.history import History
from faultline.core.op import Op
from faultline.core.options import Option
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
        """One read of the whole set, once the cluster has recovered."""
        return once({"f": READ, "value": None})

    def checker(self, test: Mapping[str, Any]) -> SetFullChecker:
        return SetFullChecker(linearizable=bool(option(test, SET_LINEARIZABLE)))


WORKLOAD = SetWorkload()

__all__ = ["ADD", "READ", "SET_LINEARIZABLE", "SET_READ_FRACTION", "SetGenerator", "SetWorkload",
           "WORKLOAD"]
