"""Pure, deterministic generators of operations, and their combinators.

See :mod:`faultline.core.generator.protocol` for the contract and docs/engine.md for a guide.
"""

from faultline.core.generator.basic import concat, cycle, fn, limit, once, repeat
from faultline.core.generator.combine import any_of, both, clients, mix, nemesis, phases, synchronize
from faultline.core.generator.context import Context, initial_context
from faultline.core.generator.protocol import PENDING, Generator, as_generator
from faultline.core.generator.timing import delay, sleep, stagger, time_limit

__all__ = [
    "PENDING", "Generator", "Context", "as_generator", "initial_context",
    "once", "fn", "repeat", "concat", "limit", "cycle",
    "any_of", "both", "clients", "nemesis", "mix", "phases", "synchronize",
    "delay", "sleep", "stagger", "time_limit",
]
