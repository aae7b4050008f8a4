"""The event loop the harness runs on.

uvloop where it is installed (Linux and macOS; a dependency there): measured with
``bench/harness`` against a 3-node etcd at concurrency 50 on a 2-core machine, it lifts
recorded ok ops/s from about 1,450 to 1,700-2,370 (median of four runs about 2,050) and
cuts the harness' CPU per op from about 230 to 135-185 us. Elsewhere asyncio's own loop
does the same job, slower.
"""

from __future__ import annotations

import asyncio
from typing import Any, Coroutine, TypeVar

T = TypeVar("T")


def run(coro: Coroutine[Any, Any, T]) -> T:
    """``asyncio.run(coro)`` on the fastest loop available."""
    try:
        import uvloop
    except ImportError:
        return asyncio.run(coro)
    with asyncio.Runner(loop_factory=uvloop.new_event_loop) as runner:
        return runner.run(coro)
