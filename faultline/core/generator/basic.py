"""Leaf and sequencing generators: once, fn, repeat, concat, limit, cycle.

Every class here is an immutable value (see :mod:`faultline.core.generator.protocol`).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable, Mapping

from faultline.core.errors import BadInputError
from faultline.core.generator.context import Context
from faultline.core.generator.protocol import (
    PENDING,
    Generator,
    OpResult,
    as_generator,
    fill_op,
    gen_op,
    gen_update,
)
from faultline.core.op import Op


@dataclass(frozen=True, slots=True)
class Once:
    """Emits one op (process and time filled from the context), then is exhausted."""

    op_dict: Mapping[str, Any]

    def op(self, test, ctx: Context) -> OpResult:
        filled = fill_op(self.op_dict, ctx)
        if filled is None:
            return PENDING, self
        return filled, None  # type: ignore[return-value]

    def update(self, test, ctx, event: Op) -> "Once":
        return self


def once(op_dict: Mapping[str, Any]) -> Generator:
    """One op. Plain dicts act as ``once``."""
    if not isinstance(op_dict, Mapping) or "f" not in op_dict:
        raise BadInputError(f"an op needs at least an 'f': {op_dict!r:.80}")
    return Once(op_dict)


@dataclass(frozen=True, slots=True)
class Fn:
    """Calls ``f(test, ctx)`` for every op, forever, until it returns None.

    The function may return an op dict or another generator/plain data whose *first* op
    is used; its randomness must come from ``ctx.rng``.
    """

    f: Callable[[Mapping[str, Any], Context], Any]

    def op(self, test, ctx: Context) -> OpResult:
        if not ctx.has_free_process():
            return PENDING, self  # don't call f (and spend RNG draws) for nothing
        produced = self.f(test, ctx)
        if produced is None:
            return None
        if isinstance(produced, Mapping):
            filled = fill_op(produced, ctx)
            return (PENDING if filled is None else filled), self
        res = gen_op(as_generator(produced), test, ctx)
        if res is None:
            return None
        return res[0], self

    def update(self, test, ctx, event: Op) -> "Fn":
        return self


def fn(f: Callable[[Mapping[str, Any], Context], Any]) -> Generator:
    """A generator from a function of (test, ctx) returning an op dict (None: exhausted).

    It is called again for every op: wrap it in ``limit`` or ``time_limit`` to bound it.
    """
    if not callable(f):
        raise BadInputError(f"fn() needs a callable, got {f!r:.80}")
    return Fn(f)


@dataclass(frozen=True, slots=True)
class Repeat:
    """Emits the first op of ``gen`` again and again (``remaining`` times, None: forever).

    The child is never advanced, so ``repeat(fn(...))`` calls the function each time.
    """

    gen: Generator
    remaining: int | None

    def op(self, test, ctx: Context) -> OpResult:
        if self.remaining is not None and self.remaining <= 0:
            return None
        res = self.gen.op(test, ctx)
        if res is None:
            return None
        op, _ = res
        if op is PENDING:
            return PENDING, self
        left = None if self.remaining is None else self.remaining - 1
        return op, Repeat(self.gen, left)

    def update(self, test, ctx, event: Op) -> "Repeat":
        g = self.gen.update(test, ctx, event)
        return self if g is self.gen else Repeat(g, self.remaining)


def repeat(gen: Any, n: int | None = None) -> Generator:
    """The first op of ``gen`` forever, or ``n`` times."""
    if n is not None and n < 0:
        raise BadInputError(f"repeat: n must be >= 0, got {n}")
    g = as_generator(gen)
    if g is None:
        raise BadInputError("repeat: nothing to repeat")
    return Repeat(g, n)


@dataclass(frozen=True, slots=True)
class Concat:
    """Runs each generator to exhaustion, then the next, without waiting in between."""

    gens: tuple[Generator, ...]

    def op(self, test, ctx: Context) -> OpResult:
        gens = self.gens
        while gens:
            res = gens[0].op(test, ctx)
            if res is not None:
                op, g2 = res
                rest = gens[1:] if g2 is None else (g2,) + gens[1:]
                return op, Concat(rest)
            gens = gens[1:]
        return None

    def update(self, test, ctx, event: Op) -> "Concat":
        if not self.gens:
            return self
        head = self.gens[0].update(test, ctx, event)
        return self if head is self.gens[0] else Concat((head,) + self.gens[1:])


def concat(*gens: Any) -> Generator:
    """The generators one after the other (no barrier: see ``phases`` for that)."""
    return Concat(tuple(g for g in map(as_generator, gens) if g is not None))


@dataclass(frozen=True, slots=True)
class Limit:
    remaining: int
    gen: Generator | None

    def op(self, test, ctx: Context) -> OpResult:
        if self.remaining <= 0:
            return None
        res = gen_op(self.gen, test, ctx)
        if res is None:
            return None
        op, g2 = res
        if op is PENDING:
            return PENDING, Limit(self.remaining, g2)
        return op, Limit(self.remaining - 1, g2)

    def update(self, test, ctx, event: Op) -> "Limit":
        g = gen_update(self.gen, test, ctx, event)
        return self if g is self.gen else Limit(self.remaining, g)


def limit(n: int, gen: Any) -> Generator:
    """At most ``n`` ops from ``gen``."""
    if not isinstance(n, int) or n < 0:
        raise BadInputError(f"limit: n must be an int >= 0, got {n!r}")
    return Limit(n, as_generator(gen))


@dataclass(frozen=True, slots=True)
class Cycle:
    """Runs ``current``; when it is exhausted starts again from a fresh copy."""

    fresh: Callable[[], Generator | None]
    current: Generator | None

    def op(self, test, ctx: Context) -> OpResult:
        res = gen_op(self.current, test, ctx)
        if res is not None:
            op, g2 = res
            return op, Cycle(self.fresh, g2)
        again = self.fresh()
        res = gen_op(again, test, ctx)
        if res is None:
            return None  # a fresh copy is empty too: stop rather than spin
        op, g2 = res
        return op, Cycle(self.fresh, g2)

    def update(self, test, ctx, event: Op) -> "Cycle":
        g = gen_update(self.current, test, ctx, event)
        return self if g is self.current else Cycle(self.fresh, g)


def cycle(gen_factory_or_gen: Any) -> Generator:
    """Repeat a whole generator forever.

    Pass a generator (immutable, so restarting it is just using it again) or a zero-argument
    factory returning one (a new generator per round).
    """
    if callable(gen_factory_or_gen) and not isinstance(gen_factory_or_gen, Generator):
        factory = gen_factory_or_gen

        def fresh() -> Generator | None:
            return as_generator(factory())
    else:
        g = as_generator(gen_factory_or_gen)

        def fresh() -> Generator | None:
            return g
    return Cycle(fresh, fresh())
