"""The generator protocol, the PENDING marker, and turning plain data into generators.

A generator is an immutable value with two methods::

    op(test, ctx)            -> (op_dict | PENDING, gen') | None
    update(test, ctx, event) -> gen'

``op`` asks for the next operation. It returns ``None`` when the generator is exhausted,
``(PENDING, gen')`` when it has nothing to emit *now* (ask again later: after a
completion, or a few ms later), or ``(op_dict, gen')``. It never mutates ``self``: the
interpreter may throw ``gen'`` away and ask the old value again (it does so when a
completion arrives while it waits for an op's ``time``). ``update`` tells the generator
about an event the interpreter recorded (invocations and completions, as
:class:`faultline.core.op.Op`) and returns the generator to use from then on.

An op_dict holds ``"f"`` and ``"value"``, optionally ``"key"``, ``"process"`` (else a free
process is picked: see :meth:`Context.some_free_process`) and ``"time"`` (ns since the
test started: the op is not issued before). Leaf generators fill ``process`` and ``time``
from the context, so ops leaving a generator tree normally carry both.

Randomness only from ``ctx.rng``: a generator is deterministic given the seed and the
sequence of contexts and events it sees.

Plain data acts as a generator: a dict is ``once(dict)``, a list or tuple runs its items
one after the other (``concat``), ``None`` is an exhausted generator.
"""

from __future__ import annotations

from typing import Any, Mapping, Protocol, runtime_checkable

from faultline.core.errors import BadInputError
from faultline.core.generator.context import Context
from faultline.core.op import Op


class _Pending:
    __slots__ = ()

    def __repr__(self) -> str:
        return "PENDING"

    def __reduce__(self) -> str:
        return "PENDING"


PENDING: Any = _Pending()
"""Returned in place of an op: nothing to do now, ask again later."""

OpResult = tuple[Any, "Generator"] | None


@runtime_checkable
class Generator(Protocol):
    def op(self, test: Mapping[str, Any], ctx: Context) -> OpResult:
        """``(op_dict | PENDING, gen')``, or None when exhausted. Must not mutate self."""

    def update(self, test: Mapping[str, Any], ctx: Context, event: Op) -> "Generator":
        """The generator after ``event`` (an invoke or completion the interpreter recorded)."""


def as_generator(x: Any) -> Generator | None:
    """Turn plain data into a generator: dict -> once, list/tuple -> concat, None -> None."""
    if x is None or isinstance(x, Generator):
        return x
    if isinstance(x, Mapping):
        from faultline.core.generator.basic import once
        return once(x)
    if isinstance(x, (list, tuple)):
        from faultline.core.generator.basic import concat
        return concat(*x)
    raise BadInputError(f"not a generator: {type(x).__name__} {x!r:.80}")


def gen_op(gen: Generator | None, test: Mapping[str, Any], ctx: Context) -> OpResult:
    """``gen.op(test, ctx)``, treating None as exhausted."""
    return None if gen is None else gen.op(test, ctx)


def gen_update(gen: Generator | None, test: Mapping[str, Any], ctx: Context,
               event: Op) -> Generator | None:
    return None if gen is None else gen.update(test, ctx, event)


def fill_op(op: Mapping[str, Any], ctx: Context) -> dict[str, Any] | None:
    """``op`` with ``process`` and ``time`` filled in from ``ctx``; None if no process is free.

    An op that names its process is only issued when that process is free.
    """
    process = op.get("process")
    if process is None:
        process = ctx.some_free_process()
        if process is None:
            return None
    else:
        thread = ctx.thread_of(process)
        if thread is None or thread not in ctx.free_threads:
            return None
    out = dict(op)
    out["process"] = process
    if out.get("time") is None:
        out["time"] = ctx.time
    return out
