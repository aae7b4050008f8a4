"""Generators that combine others: routing (clients, nemesis), any_of/both, mix, phases."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable

from faultline.core.errors import BadInputError
from faultline.core.generator.basic import concat
from faultline.core.generator.context import Context, Thread, is_client_thread, is_nemesis_thread
from faultline.core.generator.protocol import PENDING, Generator, OpResult, as_generator, gen_op
from faultline.core.op import NEMESIS, Op


@dataclass(frozen=True, slots=True)
class OnThreads:
    """Shows ``gen`` only the threads ``keep`` accepts, and only their processes' events."""

    keep: Callable[[Thread], bool]
    for_nemesis: bool
    gen: Generator

    def op(self, test, ctx: Context) -> OpResult:
        sub = ctx.restrict(self.keep)
        res = self.gen.op(test, sub)
        if res is None:
            return None
        op, g2 = res
        if op is not PENDING and op.get("process") is None:
            # A hand-written child may leave the process out: route it here.
            process = sub.some_free_process()
            if process is None:
                return PENDING, self
            op = {**op, "process": process, "time": op.get("time", ctx.time)}
        return op, (None if g2 is None else OnThreads(self.keep, self.for_nemesis, g2))

    def update(self, test, ctx, event: Op) -> "OnThreads":
        if (event.process == NEMESIS) != self.for_nemesis:
            return self
        g = self.gen.update(test, ctx.restrict(self.keep), event)
        return self if g is self.gen else OnThreads(self.keep, self.for_nemesis, g)


def _same(a: tuple, b: tuple) -> bool:
    """Element-wise identity: an update that changed no child keeps its parent too (most
    updates change nothing, and the interpreter sends two per op)."""
    return all(x is y for x, y in zip(a, b))


def clients(gen: Any) -> Generator | None:
    """Route ``gen``'s ops to client processes only."""
    g = as_generator(gen)
    return None if g is None else OnThreads(is_client_thread, False, g)


def nemesis(gen: Any) -> Generator | None:
    """Route ``gen``'s ops to the nemesis process only."""
    g = as_generator(gen)
    return None if g is None else OnThreads(is_nemesis_thread, True, g)


@dataclass(frozen=True, slots=True)
class AnyOf:
    """Asks every child; emits the op due soonest. Exhausted when all children are."""

    gens: tuple[Generator, ...]

    def op(self, test, ctx: Context) -> OpResult:
        best = None  # (time, i, op, g2)
        gens = list(self.gens)
        alive: list[int] = []
        for i, g in enumerate(self.gens):
            res = g.op(test, ctx)
            if res is None:
                continue
            alive.append(i)
            op, g2 = res
            if op is PENDING:
                gens[i] = g2
            elif best is None or op["time"] < best[0]:
                best = (op["time"], i, op, g2)
        if not alive:
            return None
        if best is None:
            return PENDING, AnyOf(tuple(gens[i] for i in alive if gens[i] is not None))
        _, i, op, g2 = best
        # The chosen child advances; the others keep their pending state (a sleep's start)
        # but not the ops they offered, which were not taken.
        kept = [g2 if j == i else gens[j] for j in alive]
        return op, AnyOf(tuple(g for g in kept if g is not None))

    def update(self, test, ctx, event: Op) -> "AnyOf":
        gens = tuple(g.update(test, ctx, event) for g in self.gens)
        return self if _same(gens, self.gens) else AnyOf(gens)


def any_of(*gens: Any) -> Generator:
    """Run generators side by side; each op comes from whichever child's op is due first."""
    return AnyOf(tuple(g for g in map(as_generator, gens) if g is not None))


def both(client_gen: Any, nemesis_gen: Any) -> Generator:
    """A client generator and a nemesis generator side by side, each routed to its processes.

    Same as ``any_of(clients(client_gen), nemesis(nemesis_gen))``.
    """
    return any_of(clients(client_gen), nemesis(nemesis_gen))


@dataclass(frozen=True, slots=True)
class Mix:
    """Each op from a randomly chosen child; exhausted children drop out."""

    gens: tuple[Generator, ...]
    chosen: int | None

    def op(self, test, ctx: Context) -> OpResult:
        gens = self.gens
        i = self.chosen
        while gens:
            if i is None or i >= len(gens):
                i = ctx.rng.randrange(len(gens))
            res = gens[i].op(test, ctx)
            if res is None:
                gens = gens[:i] + gens[i + 1:]
                i = None
                continue
            op, g2 = res
            rest = gens[:i] + ((g2,) if g2 is not None else ()) + gens[i + 1:]
            if op is PENDING:
                # Keep asking the same child: re-drawing on every pending would bias the
                # mix toward children that are ready more often.
                return PENDING, Mix(rest, i if g2 is not None else None)
            return op, Mix(rest, None)
        return None

    def update(self, test, ctx, event: Op) -> "Mix":
        gens = tuple(g.update(test, ctx, event) for g in self.gens)
        return self if _same(gens, self.gens) else Mix(gens, self.chosen)


def mix(gens: Any) -> Generator:
    """Each op from a random one of ``gens`` (a list), chosen with ``ctx.rng``."""
    if not isinstance(gens, (list, tuple)):
        raise BadInputError(f"mix() takes a list of generators, got {type(gens).__name__}")
    return Mix(tuple(g for g in map(as_generator, gens) if g is not None), None)


@dataclass(frozen=True, slots=True)
class Synchronize:
    """Waits until no thread in view has an op in flight, then behaves like ``gen``."""

    gen: Generator | None
    started: bool

    def op(self, test, ctx: Context) -> OpResult:
        if not self.started and not ctx.all_free:
            return PENDING, self
        res = gen_op(self.gen, test, ctx)
        if res is None:
            return None
        op, g2 = res
        return op, Synchronize(g2, True)

    def update(self, test, ctx, event: Op) -> "Synchronize":
        if not self.started or self.gen is None:
            return self
        g = self.gen.update(test, ctx, event)
        return self if g is self.gen else Synchronize(g, True)


def synchronize(gen: Any) -> Generator:
    """``gen``, started only once every op in flight (in this context's view) completed."""
    return Synchronize(as_generator(gen), False)


def phases(*gens: Any) -> Generator:
    """Each generator runs to exhaustion; the next starts once every op in flight is done."""
    return concat(*(synchronize(g) for g in gens if g is not None))
