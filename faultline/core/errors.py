"""One exception root for faultline, and the exit codes the CLI maps errors to.

Exit codes follow Jepsen's so CI can act on them:
0 valid, 1 invalid, 2 unknown, 254 bad arguments / unreadable input / failed preflight,
255 internal error.
"""

from __future__ import annotations

EXIT_VALID = 0
EXIT_INVALID = 1
EXIT_UNKNOWN = 2
EXIT_BAD_INPUT = 254
EXIT_INTERNAL = 255


class FaultlineError(Exception):
    """Root of every error faultline raises on purpose. Carries the CLI exit code."""

    exit_code = EXIT_INTERNAL


class BadInputError(FaultlineError):
    """The user's arguments or input files are wrong. The message says what and where."""

    exit_code = EXIT_BAD_INPUT


class HistoryFormatError(BadInputError):
    """A history file is malformed or truncated: names the file and the line."""

    def __init__(self, path: str, line: int | None, message: str):
        self.path = path
        self.line = line
        where = f"{path}:{line}" if line is not None else str(path)
        super().__init__(f"{where}: {message}")


class PreflightError(BadInputError):
    """A test cannot start as asked: Docker down, images missing, an impossible fault."""


class ClusterError(FaultlineError):
    """The cluster misbehaved in a way that stops the harness (never became healthy, ...)."""

    exit_code = EXIT_BAD_INPUT
