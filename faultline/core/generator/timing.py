"""Generators about time: stagger, delay, sleep, time_limit.

Durations are given in seconds and kept in nanoseconds, the unit of ``ctx.time`` and of
an op's ``time`` (ns since the test started). A time that starts "when first asked"
is fixed by the first ``op`` call and carried in the returned generator value.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from faultline.core.errors import BadInputError
from faultline.core.generator.context import Context
from faultline.core.generator.protocol import PENDING, Generator, OpResult, as_generator, gen_op, gen_update
from faultline.core.op import Op

NS = 1_000_000_000


def _ns(dt_s: float, what: str) -> int:
    if not isinstance(dt_s, (int, float)) or dt_s < 0 or dt_s != dt_s:
        raise BadInputError(f"{what}: duration must be a number of seconds >= 0, got {dt_s!r}")
    return int(dt_s * NS)


@dataclass(frozen=True, slots=True)
class Spaced:
    """Ops of ``gen`` spaced out: each is due no earlier than ``next_time`` (None: when
    first asked), and the next one ``gap_ns`` after it, or, with ``random_gap``, a gap
    uniform in [0, gap_ns)."""

    gap_ns: int
    random_gap: bool
    next_time: int | None
    gen: Generator | None

    def op(self, test, ctx: Context) -> OpResult:
        res = gen_op(self.gen, test, ctx)
        if res is None:
            return None
        op, g2 = res
        if op is PENDING:
            return PENDING, Spaced(self.gap_ns, self.random_gap, self.next_time, g2)
        due = ctx.time if self.next_time is None else self.next_time
        if op["time"] < due:
            op = {**op, "time": due}
        gap = int(ctx.rng.random() * self.gap_ns) if self.random_gap else self.gap_ns
        return op, Spaced(self.gap_ns, self.random_gap, op["time"] + gap, g2)

    def update(self, test, ctx, event: Op) -> "Spaced":
        g = gen_update(self.gen, test, ctx, event)
        return self if g is self.gen else Spaced(self.gap_ns, self.random_gap, self.next_time, g)


def stagger(dt_s: float, gen: Any) -> Generator:
    """Ops from ``gen`` at random intervals averaging ``dt_s`` (over all processes)."""
    return Spaced(2 * _ns(dt_s, "stagger"), True, None, as_generator(gen))


def delay(dt_s: float, gen: Any) -> Generator:
    """Ops from ``gen``, the first at once, each next one ``dt_s`` after the previous."""
    # next_time 0: the first op keeps the time ``gen`` gives it (op times are >= 0).
    return Spaced(_ns(dt_s, "delay"), False, 0, as_generator(gen))


@dataclass(frozen=True, slots=True)
class Sleep:
    """Emits nothing for ``dt``, counted from when it is first asked, then is exhausted."""

    dt_ns: int
    until: int | None

    def op(self, test, ctx: Context) -> OpResult:
        until = ctx.time + self.dt_ns if self.until is None else self.until
        if ctx.time >= until:
            return None
        return PENDING, Sleep(self.dt_ns, until)

    def update(self, test, ctx, event: Op) -> "Sleep":
        return self


def sleep(dt_s: float) -> Generator:
    """Wait ``dt_s`` seconds (inside ``phases``/``concat``: a pause between steps)."""
    return Sleep(_ns(dt_s, "sleep"), None)


@dataclass(frozen=True, slots=True)
class TimeLimit:
    """Ops of ``gen`` due before ``dt`` has passed since the first ask; then exhausted."""

    dt_ns: int
    deadline: int | None
    gen: Generator | None

    def op(self, test, ctx: Context) -> OpResult:
        deadline = ctx.time + self.dt_ns if self.deadline is None else self.deadline
        if ctx.time >= deadline:
            return None
        res = gen_op(self.gen, test, ctx)
        if res is None:
            return None
        op, g2 = res
        if op is not PENDING and op["time"] >= deadline:
            return None
        return op, TimeLimit(self.dt_ns, deadline, g2)

    def update(self, test, ctx, event: Op) -> "TimeLimit":
        g = gen_update(self.gen, test, ctx, event)
        return self if g is self.gen else TimeLimit(self.dt_ns, self.deadline, g)


def time_limit(dt_s: float, gen: Any) -> Generator:
    """``gen`` for ``dt_s`` seconds from the first ask (ops already in flight finish)."""
    return TimeLimit(_ns(dt_s, "time_limit"), None, as_generator(gen))
