"""Where a run's log records go: everything to ``harness.log``, little to the terminal.

While :func:`log_to` is active the root logger takes INFO and up into the run's
``harness.log`` (with tracebacks), and the terminal's handlers show warnings of our own
loggers and errors of libraries, one line each. A native crash (exit 139) leaves every
thread's Python stack in ``harness.log``.
"""

from __future__ import annotations

import contextlib
import faulthandler
import logging
from typing import Iterator

OWN_LOGGERS = ("faultline",)

FILE_ONLY = {"file_only": True}
"""``log.x(..., extra=FILE_ONLY)``: for harness.log only, e.g. a failure the CLI prints
as its own one line."""

TERMINAL_FORMAT = "%(levelname)s %(name)s: %(message)s"


def _quiet_libraries(record: logging.LogRecord) -> bool:
    """On the terminal, libraries (kazoo warns at every dropped connection, which faults
    cause on purpose) show errors only; harness.log keeps everything."""
    return record.levelno >= logging.ERROR or record.name.split(".")[0] in OWN_LOGGERS


def _not_file_only(record: logging.LogRecord) -> bool:
    return not getattr(record, "file_only", False)


class OneLineFormatter(logging.Formatter):
    """The terminal's format: a record's message and, for an exception, its one-line
    summary; tracebacks go to harness.log only."""

    def format(self, record: logging.LogRecord) -> str:
        plain = logging.makeLogRecord({**record.__dict__, "exc_info": None, "exc_text": None,
                                       "stack_info": None})
        line = super().format(plain)
        error = record.exc_info[1] if record.exc_info else None
        if error is not None:
            summary = (str(error).strip().splitlines() or [""])[0]
            line += f" ({type(error).__name__}: {summary})" if summary else \
                f" ({type(error).__name__})"
        return line


@contextlib.contextmanager
def log_to(path: str) -> Iterator[None]:
    """Log the run into ``path`` (harness.log) and quiet the terminal, for the block."""
    root = logging.getLogger()
    handler = logging.FileHandler(path, encoding="utf-8")
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    quieted = [(h, h.level, h.formatter) for h in root.handlers if h.level == logging.NOTSET]
    for h, _, _ in quieted:
        h.setLevel(logging.WARNING)  # the terminal keeps showing warnings only
        h.addFilter(_quiet_libraries)
        h.addFilter(_not_file_only)
        h.setFormatter(OneLineFormatter(TERMINAL_FORMAT))
    old_level = root.level
    root.setLevel(logging.INFO)
    root.addHandler(handler)
    # Unless something (pytest) already reports native crashes elsewhere.
    crash_report = not faulthandler.is_enabled()
    if crash_report:
        faulthandler.enable(file=handler.stream, all_threads=True)
    try:
        yield
    finally:
        if crash_report:
            faulthandler.disable()
        root.removeHandler(handler)
        handler.close()
        root.setLevel(old_level)
        for h, level, formatter in quieted:
            h.setLevel(level)
            h.removeFilter(_quiet_libraries)
            h.removeFilter(_not_file_only)
            h.setFormatter(formatter)
