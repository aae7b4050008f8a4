"""Signals during a run: SIGTERM acts like Ctrl-C, and cleanup cannot be interrupted."""

from __future__ import annotations

import contextlib
import signal
import threading
from typing import Any, Iterator


def main_thread() -> bool:
    """Signal handlers can only be set from the main thread (pytest-xdist, threads, ...)."""
    return threading.current_thread() is threading.main_thread()


def _sigterm_as_interrupt(signum: int, frame: Any) -> None:
    raise KeyboardInterrupt("SIGTERM")


@contextlib.contextmanager
def sigterm_interrupts() -> Iterator[None]:
    """For the block, SIGTERM raises KeyboardInterrupt (so it cleans up like Ctrl-C)."""
    old = signal.signal(signal.SIGTERM, _sigterm_as_interrupt) if main_thread() else None
    try:
        yield
    finally:
        if old is not None:
            signal.signal(signal.SIGTERM, old)


@contextlib.contextmanager
def deferred() -> Iterator[None]:
    """While cleaning up, a second Ctrl-C/SIGTERM must not abandon containers or faults."""
    if not main_thread():
        yield
        return
    old = {s: signal.signal(s, signal.SIG_IGN) for s in (signal.SIGINT, signal.SIGTERM)}
    try:
        yield
    finally:
        for s, h in old.items():
            signal.signal(s, h)
