"""The one-line progress display of a running test, on a terminal (stderr)."""

from __future__ import annotations

import asyncio
import sys
import time
from typing import Protocol

EVERY_S = 1.0


class Counts(Protocol):
    """What the display reads (the interpreter has both)."""

    completed: int
    ok: int


async def show_progress(counts: Counts, every_s: float = EVERY_S) -> None:
    """Rewrite one line every ``every_s``: elapsed time, ops, ok ops and the ok rate since
    the last line; the line is cleared when the task is cancelled."""
    started = time.monotonic()
    last_ok, last_t = 0, started
    try:
        while True:
            await asyncio.sleep(every_s)
            now = time.monotonic()
            ok = counts.ok
            rate = (ok - last_ok) / max(now - last_t, 1e-9)
            last_ok, last_t = ok, now
            sys.stderr.write(f"\r{now - started:7.1f}s  {counts.completed:9d} ops  "
                             f"{ok:9d} ok  {rate:8.0f} ok/s ")
            sys.stderr.flush()
    finally:
        sys.stderr.write("\r" + " " * 60 + "\r")
        sys.stderr.flush()
