"""When faults happen: a generator that alternates start and stop ops.

:class:`Alternate` waits ``interval``, starts one fault (chosen among the package's faults
with a RNG derived from the test's seed and the step number, see :func:`step_rng`), waits ``interval``, stops it, and so on for as long as it is
asked. Faults never overlap, so each stretch of the history has one known cause and the
report can shade it. Times are scheduled from the previous op's due time, so a slow
fault (a kill that waits for the process to die) does not make the schedule drift.

:func:`final` is the end of a test: stop every fault (idempotent heals), then wait
``recovery`` seconds so the cluster elects a leader and catches up before final reads.

Both emit ops for the nemesis process only (wrapped in ``nemesis(...)``).
"""

from __future__ import annotations

import random
from dataclasses import dataclass, replace
from typing import Any, Callable, Mapping, Sequence

from faultline.core.errors import BadInputError
from faultline.core.generator.basic import concat, once
from faultline.core.generator.combine import nemesis
from faultline.core.generator.context import Context
from faultline.core.generator.protocol import PENDING, Generator, OpResult, fill_op
from faultline.core.generator.timing import sleep
from faultline.core.op import NEMESIS, Op

NS = 1_000_000_000


@dataclass(frozen=True)
class FaultOps:
    """How to start and stop one fault kind."""

    name: str
    start: Callable[[random.Random], Mapping[str, Any]]
    """Builds the start op (``f`` and ``value``) from the run's RNG."""
    stop: Mapping[str, Any]
    """The op that undoes every instance of this fault."""


@dataclass(frozen=True, slots=True)
class Alternate:
    """Start a random fault, stop it, pause, repeat. See the module docstring."""

    faults: tuple[FaultOps, ...]
    interval_ns: int
    due: int | None      # when the next op is due (None: ``interval`` after the first ask)
    active: int | None   # index of the fault now on, None when none is
    step: int = 0        # how many faults were started: names this step's RNG

    def op(self, test, ctx: Context) -> OpResult:
        due = ctx.time + self.interval_ns if self.due is None else self.due
        if ctx.time < due:
            # Not an op stamped with a future time: the interpreter may drop a returned
            # generator that did not emit, so the due time must live in the PENDING state.
            return PENDING, replace(self, due=due)
        if self.active is None:
            rng = step_rng(test, self.step)
            index = rng.randrange(len(self.faults))
            op = dict(self.faults[index].start(rng))
            after = index
        else:
            op = dict(self.faults[self.active].stop)
            after = None
        filled = fill_op({**op, "process": NEMESIS}, ctx)
        if filled is None:  # the nemesis is still busy with the previous op
            return PENDING, replace(self, due=due)
        step = self.step + (after is not None)
        return filled, Alternate(self.faults, self.interval_ns, due + self.interval_ns, after, step)

    def update(self, test, ctx, event: Op) -> "Alternate":
        return self


def step_rng(test: Mapping[str, Any], step: int) -> random.Random:
    """The RNG of the ``step``-th fault, from the test's seed alone.

    Not ``ctx.rng``: the clients draw from that one as fast as they run, so the faults
    would change with the cluster's timing. Seeded per step, the sequence of faults (and
    their values) of a run is reproducible from ``--seed``; the generator stays pure.
    """
    return random.Random(f"{test.get('seed', 0)}:nemesis-schedule:{step}")


def alternate(faults: Sequence[FaultOps], interval_s: float) -> Generator:
    """Faults started and stopped every ``interval_s`` seconds, one at a time, forever
    (bound it with ``time_limit``)."""
    if not faults:
        raise BadInputError("a nemesis schedule needs at least one fault")
    if not isinstance(interval_s, (int, float)) or not interval_s > 0:
        raise BadInputError(f"nemesis interval must be a number of seconds > 0, got {interval_s!r}")
    return nemesis(Alternate(tuple(faults), int(interval_s * NS), None, None))


def final(faults: Sequence[FaultOps], recovery_s: float) -> Generator:
    """Stop every fault, then let the cluster recover for ``recovery_s`` seconds."""
    if not isinstance(recovery_s, (int, float)) or recovery_s < 0:
        raise BadInputError(f"nemesis recovery must be a number of seconds >= 0, got {recovery_s!r}")
    stops = [once({**f.stop, "process": NEMESIS}) for f in faults]
    return nemesis(concat(*stops, sleep(recovery_s)))
