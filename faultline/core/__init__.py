"""The bottom layer: ops and histories, errors, files, checker results, the run directory,
the generator protocol and combinators (:mod:`.generator`), the Client protocol,
declared options, registries and the vocabulary histories share. It imports nothing
else of faultline."""

from faultline.core.errors import (
    BadInputError,
    ClusterError,
    FaultlineError,
    HistoryFormatError,
    PreflightError,
)
from faultline.core.history import History, HistoryWriter, Pair, read_jsonl, write_jsonl
from faultline.core.op import FAIL, INFO, INVOKE, NEMESIS, OK, Op
from faultline.core.options import Option
from faultline.core.registry import Registry
from faultline.core.result import UNKNOWN, Result

__all__ = [
    "BadInputError", "ClusterError", "FaultlineError", "HistoryFormatError", "PreflightError",
    "History", "HistoryWriter", "Pair", "read_jsonl", "write_jsonl",
    "FAIL", "INFO", "INVOKE", "NEMESIS", "OK", "Op", "Option", "Registry", "Result", "UNKNOWN",
]
