"""kazoo (threads) bridged into asyncio, knowing which requests certainly never left.

kazoo runs a connection thread per client; each ``*_async`` call returns an IAsyncResult.
:func:`send` turns one into an asyncio future resolved with ``loop.call_soon_threadsafe``
from the thread that settles it, and raises :class:`NotSentError` when the request
certainly never left this process:

- the session is not connected when the op starts (kazoo would otherwise queue the request
  and send it after a reconnect, long after the op's deadline), or
- kazoo refused it before queuing (session closed, expired or auth-failed).

The second needs :class:`RefusalAwareKazooClient`: kazoo fails *sent* requests with the
same SessionExpiredError when a session expires, and a fast answer can settle a sent
request before ``*_async`` returns, so neither the exception type nor "already settled"
tells a refusal apart; the place where kazoo refuses (``_call`` returning False) does.
"""

from __future__ import annotations

import asyncio
import threading
from typing import Any, Callable

from kazoo.client import KazooClient
from kazoo.handlers.threading import AsyncResult, SequentialThreadingHandler


class NotSentError(Exception):
    """The request never left this process (not connected, or kazoo refused to queue it)."""


class RefusalAwareKazooClient(KazooClient):
    """A KazooClient marking (``result.refused``) the requests it fails before queuing."""

    def _call(self, request: Any, async_object: Any) -> Any:
        queued = super()._call(request, async_object)
        if queued is False and async_object is not None:
            async_object.refused = True
        return queued


class InlineCallbackResult(AsyncResult):
    """Runs ``rawlink`` callbacks in the thread that settles the result (kazoo's
    connection thread) instead of queueing them for kazoo's completion thread: one thread
    hop less per request. Our callback only posts to the event loop, and kazoo's own
    rawlink callbacks (ensure_path's chain of creates) only queue further requests, so
    nothing blocks the connection thread."""

    refused = False

    def _do_callbacks(self) -> None:
        for callback in self._callbacks:
            callback(self)


class InlineCallbackHandler(SequentialThreadingHandler):
    def async_result(self) -> AsyncResult:
        return InlineCallbackResult(self)


def send(zk: KazooClient, loop: asyncio.AbstractEventLoop, call: Callable[..., Any],
         *args: Any) -> asyncio.Future:
    """Issue ``call(*args)`` (a bound ``*_async`` method of ``zk``); a future of its result.
    Raises NotSentError when the request certainly never left (see the module doc)."""
    if not zk.connected:
        raise NotSentError("session not connected")
    result = call(*args)
    if getattr(result, "refused", False):
        raise NotSentError(f"{type(result.exception).__name__}: refused by kazoo")
    fut = loop.create_future()
    result.rawlink(lambda r: _post(loop, _transfer, r, fut))
    return fut


def in_daemon_thread(fn: Callable[..., Any], *args: Any) -> asyncio.Future:
    """Run a blocking kazoo call (start, stop, ensure_path) in a daemon thread: unlike an
    executor's threads, a stuck one never holds up the interpreter's exit."""
    loop = asyncio.get_running_loop()
    fut = loop.create_future()

    def run() -> None:
        try:
            value = fn(*args)
        except BaseException as e:  # noqa: BLE001 - handed to the awaiting coroutine
            _post(loop, _settle, fut, None, e)
        else:
            _post(loop, _settle, fut, value, None)

    threading.Thread(target=run, name=f"zk-{getattr(fn, '__name__', 'call')}", daemon=True).start()
    return fut


def _post(loop: asyncio.AbstractEventLoop, fn: Callable[..., None], *args: Any) -> None:
    """From another thread: run ``fn(*args)`` on the loop, unless the loop is gone."""
    try:
        loop.call_soon_threadsafe(fn, *args)
    except RuntimeError:
        pass  # the loop closed: nobody waits for this any more


def _transfer(result: Any, fut: asyncio.Future) -> None:
    if result.successful():
        _settle(fut, result.value, None)
    else:
        _settle(fut, None, result.exception)


def _settle(fut: asyncio.Future, value: Any, error: BaseException | None) -> None:
    if fut.done():
        return  # timed out or cancelled meanwhile
    if error is None:
        fut.set_result(value)
    else:
        fut.set_exception(error)
