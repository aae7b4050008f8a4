"""Pure, deterministic generators of operations, and their combinators.

See :mod:`harness.generator.protocol` for the contract and docs/engine.md for a guide.
"""

from harness.generator.basic import concat, cycle, fn, limit, once, repeat
from harness.generator.combine import any_of, both, clients, mix, nemesis, phases, synchronize
from harness.generator.context import Context, initial_context
from harness.generator.protocol import PENDING, Generator, as_generator
from harness.generator.timing import delay, sleep, stagger, time_limit

__all__ = [
    "PENDING", "Generator", "Context", "as_generator", "initial_context",
    "once", "fn", "repeat", "concat", "limit", "cycle",
    "any_of", "both", "clients", "nemesis", "mix", "phases", "synchronize",
    "delay", "sleep", "stagger", "time_limit",
]
