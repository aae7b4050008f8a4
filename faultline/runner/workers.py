"""Workers: what runs one op on behalf of a thread of the interpreter.

A :class:`ClientWorker` owns the client of one client thread, bound to one node. It opens
the client lazily before its first op (and again after :meth:`retire`, which the
interpreter calls when the thread's process is replaced after an ``info``), enforces the
per-op timeout and turns everything that can go wrong into a completion:

- the op exceeded its timeout                  -> ``info``, error ``"timeout"``
- an exception escaped ``Client.invoke``       -> ``info``, error = the exception text
- the client could not be opened (nothing sent) -> ``fail``, error ``"open: ..."``
- the client returned something that is not a completion -> ``info`` with why

A :class:`NemesisWorker` calls ``Nemesis.invoke`` (awaited when it is a coroutine
function, else run in a thread so the loop keeps serving clients) and always completes
``info`` (a fault's outcome is a fact to record, not a success or failure), carrying the
value the nemesis returned: what it actually did.

Workers return completions without ``time``/``index``: the interpreter stamps those.
"""

from __future__ import annotations

import asyncio
import inspect
import logging
from typing import Any, Callable, Mapping

from faultline.core.client import Client
from faultline.core.op import FAIL, INFO, OK, Op

log = logging.getLogger("faultline.workers")

OPEN_RETRY_BACKOFF_S = 0.5
"""After a failed open, wait this long before reporting the ``fail``: a node that refuses
connections would otherwise turn every op of the thread into an instant failure."""

CLOSE_TIMEOUT_S = 5.0
COMPLETION_TYPES = frozenset({OK, FAIL, INFO})


async def call(fn: Callable[..., Any], *args: Any) -> Any:
    """Await ``fn(*args)`` if ``fn`` is a coroutine function, else run it in a thread so
    the loop keeps serving clients."""
    if inspect.iscoroutinefunction(fn):
        return await fn(*args)
    return await asyncio.to_thread(fn, *args)


class ClientWorker:
    def __init__(self, thread: int, node: str, client_factory: Callable[[], Client],
                 test: Mapping[str, Any], op_timeout_s: float):
        self.thread = thread
        self.node = node
        self._factory = client_factory
        self._test = test
        self._timeout = op_timeout_s
        self._client: Client | None = None
        self._closing: set[asyncio.Task] = set()

    async def invoke(self, inv: Op) -> Op:
        if self._client is None:
            try:
                client = self._factory()
                async with asyncio.timeout(self._timeout):
                    await client.open(self._test, self.node)
            except asyncio.CancelledError:
                raise
            except Exception as e:  # noqa: BLE001 - any open failure means nothing was sent
                await asyncio.sleep(OPEN_RETRY_BACKOFF_S)
                return inv.with_(type=FAIL, error=f"open: {_describe(e)}")
            self._client = client
        try:
            async with asyncio.timeout(self._timeout):
                comp = await self._client.invoke(self._test, inv)
        except TimeoutError:
            return inv.with_(type=INFO, error="timeout")
        except asyncio.CancelledError:
            raise
        except Exception as e:  # noqa: BLE001 - contract: an escaping exception is info
            return inv.with_(type=INFO, error=_describe(e))
        if not isinstance(comp, Op) or comp.type not in COMPLETION_TYPES:
            return inv.with_(type=INFO, error=f"client returned a non-completion: {comp!r:.200}")
        if comp.process != inv.process or comp.f != inv.f or comp.key != inv.key:
            # The invocation's identity is not the client's to change.
            comp = comp.with_(process=inv.process, f=inv.f, key=inv.key)
        return comp

    def retire(self) -> None:
        """Drop the client (its process ended ``info``); the next op opens a new one."""
        client, self._client = self._client, None
        if client is not None:
            task = asyncio.get_running_loop().create_task(self._close(client))
            self._closing.add(task)
            task.add_done_callback(self._closing.discard)

    async def close(self) -> None:
        """Close the current client and wait for retired ones to finish closing."""
        client, self._client = self._client, None
        if client is not None:
            await self._close(client)
        if self._closing:
            await asyncio.gather(*self._closing, return_exceptions=True)

    async def _close(self, client: Client) -> None:
        try:
            async with asyncio.timeout(CLOSE_TIMEOUT_S):
                await client.close(self._test)
        except Exception as e:  # noqa: BLE001 - expected under faults: harness.log only
            log.info("closing client for %s: %s", self.node, _describe(e))


class NemesisWorker:
    node = None

    def __init__(self, nemesis: Any, test: Mapping[str, Any]):
        self._nemesis = nemesis
        self._test = test

    async def invoke(self, inv: Op) -> Op:
        try:
            done = await call(self._nemesis.invoke, self._test, inv)
        except asyncio.CancelledError:
            raise
        except Exception as e:  # noqa: BLE001 - a failed fault is recorded, the test goes on
            log.warning("nemesis %s failed: %s", inv.f, _describe(e))
            return inv.with_(type=INFO, error=_describe(e))
        if isinstance(done, Op):
            return inv.with_(type=INFO, value=done.value, error=done.error)
        if isinstance(done, Mapping):
            return inv.with_(type=INFO, value=done.get("value"), error=done.get("error"))
        return inv.with_(type=INFO, value=done)


def _describe(e: BaseException) -> str:
    text = str(e)
    return f"{type(e).__name__}: {text}" if text else type(e).__name__
