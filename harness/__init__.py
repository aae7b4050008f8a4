"""faultline's engine: ops and histories, generators, interpreter, clusters, store, CLI."""

from harness.errors import (
    BadInputError,
    ClusterError,
    FaultlineError,
    HistoryFormatError,
    PreflightError,
)
from harness.history import History, HistoryWriter, Pair, read_jsonl, write_jsonl
from harness.op import FAIL, INFO, INVOKE, NEMESIS, OK, Op

__all__ = [
    "BadInputError", "ClusterError", "FaultlineError", "HistoryFormatError", "PreflightError",
    "History", "HistoryWriter", "Pair", "read_jsonl", "write_jsonl",
    "FAIL", "INFO", "INVOKE", "NEMESIS", "OK", "Op",
]
