"""faultline's engine: ops and histories, generators, interpreter, clusters, store, CLI."""

from faultline.core.errors import (
    BadInputError,
    ClusterError,
    FaultlineError,
    HistoryFormatError,
    PreflightError,
)
from faultline.core.history import History, HistoryWriter, Pair, read_jsonl, write_jsonl
from faultline.core.op import FAIL, INFO, INVOKE, NEMESIS, OK, Op

__all__ = [
    "BadInputError", "ClusterError", "FaultlineError", "HistoryFormatError", "PreflightError",
    "History", "HistoryWriter", "Pair", "read_jsonl", "write_jsonl",
    "FAIL", "INFO", "INVOKE", "NEMESIS", "OK", "Op",
]
