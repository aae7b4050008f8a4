"""The Client protocol: how a workload talks to one node of a database.

One client instance serves one logical process at a time. The interpreter runs on
asyncio, so ``invoke`` is a coroutine; blocking libraries bridge to the loop (kazoo's
``*_async`` calls resolve an asyncio future through ``loop.call_soon_threadsafe``).

Classification rule (DESIGN.md): a completion is ``fail`` only when the client KNOWS
nothing was applied (refused before sending, a compare that did not match, a definite
server rejection). Timeouts, dropped connections after sending, leader changes
mid-request: ``info``. The interpreter turns an exception escaping ``invoke`` into
``info`` with the error text.
"""

from __future__ import annotations

from typing import Any, Mapping, Protocol

from faultline.core.op import Op


class Client(Protocol):
    async def open(self, test: Mapping[str, Any], node: str) -> None:
        """Connect to ``node``. Must not change the logical state of the database."""

    async def setup(self, test: Mapping[str, Any]) -> None:
        """Once per test, before any invoke (create the parent znode, ...)."""

    async def invoke(self, test: Mapping[str, Any], op: Op) -> Op:
        """Perform the invocation ``op``; return its completion (type ok|fail|info)."""

    async def teardown(self, test: Mapping[str, Any]) -> None:
        """Once per test, after the last invoke."""

    async def close(self, test: Mapping[str, Any]) -> None:
        """Release the connection. Idempotent."""
