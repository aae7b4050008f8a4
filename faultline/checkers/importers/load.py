"""Load a history file of any supported format: recognise it, import it, name its model.

Formats (see docs/check.md for their semantics):

=============  ==========================================  ===============================
name           what it looks like                          model it implies
=============  ==========================================  ===============================
jsonl          ours: one JSON op object per line           the run's test.json, else
                                                           cas-register (initial None)
jepsen-log     ``INFO jepsen.util - 3 :ok :read 1`` lines  cas-register (initial None)
porcupine-kv   ``{:process .. :f :get :key "k" ..}`` lines kv
knossos-edn    EDN op maps, ``:f`` read/write/cas or txn   cas-register (initial 0), or
                                                           multi-register (0 each)
elle-edn       EDN op maps whose values are micro-ops      none (no checker yet)
=============  ==========================================  ===============================

The model a format implies is a hint: when the history's client ops use functions it
does not know (a Knossos mutex history's ``acquire``/``release``), the model they imply
is used instead (:mod:`faultline.checkers.importers.infer`).

Recognition reads the content, never the file name, so a renamed file still loads.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any, Mapping

from faultline.checkers.importers import elle_edn, jepsen_log, jsonl, knossos_edn, porcupine_kv
from faultline.checkers.importers import records as rec
from faultline.checkers.importers.edn import EdnError, Keyword, head_records, read_records
from faultline.checkers.importers.infer import ModelChoice, infer_model
from faultline.checkers.independent import per_key_if_keyed
from faultline.checkers.models import Model, get_model
from faultline.core.errors import HistoryFormatError
from faultline.core.history import History, read_text
from faultline.core.vocabulary import MEMBER_READ

FORMATS = ("jsonl", "jepsen-log", "porcupine-kv", "knossos-edn", "elle-edn")
_SNIFF_RECORDS = 50  # enough to get past a few leading nemesis ops to a client op
_SNIFF_LINES = 200


@dataclass(frozen=True)
class Imported:
    """A loaded history, the format it was in, and the model its source implies.

    ``model_name`` is None when no linearizability model fits (Elle transactions);
    ``model`` then is None too. ``model`` is built on first use from name and options.
    ``model_from`` says where the model came from (``infer.FROM_*``).
    ``history.torn_line`` is the torn last line dropped, if the load allowed one.
    """

    history: History
    format: str
    model_name: str | None
    model_options: Mapping[str, Any] = field(default_factory=dict)
    #: The source line of each op (by index).
    lines: tuple[int | None, ...] = ()
    model_from: str = "format"

    @cached_property
    def model(self) -> Model | None:
        if self.model_name is None:
            return None
        return self.model_for(self.model_name, self.model_options)

    def model_for(self, name: str, options: Mapping[str, Any]) -> Model:
        """Model ``name`` with ``options`` for this history: checked one key at a time when
        the ops carry keys (see :mod:`faultline.checkers.independent`). Raises BadInputError for an
        unknown name or option."""
        return per_key_if_keyed(get_model(name, **options), self.history)


def load_history(path: str | os.PathLike, fmt: str = "auto", *,
                 allow_torn_tail: bool = False) -> Imported:
    """Read ``path`` in format ``fmt`` (``"auto"``: recognise it from the content).

    Raises :class:`HistoryFormatError` (file and line) for unreadable, malformed or
    truncated input, for a file whose format cannot be recognised, and for ops no model
    knows. A torn tail (the last line of a line-based file cut short: JSONL, Jepsen log,
    Porcupine kv) is an error too, unless ``allow_torn_tail``: then it is dropped and
    ``history.torn_line`` names it.
    """
    path = os.fspath(path)
    if fmt != "auto" and fmt not in FORMATS:
        raise HistoryFormatError(path, None, f"unknown format {fmt!r}; choose auto or "
                                             f"one of {', '.join(FORMATS)}")
    text = read_text(path)  # once: recognising the format and parsing share it
    if fmt == "auto":
        fmt = _detect(path, text)
    history, lines, hint = _parse(path, fmt, text, allow_torn_tail)
    choice = infer_model(path, history, lines, hint)
    return Imported(history, fmt, choice.name, choice.options, lines, choice.source)


def _parse(path: str, fmt: str, text: str, allow_torn_tail: bool
           ) -> tuple[History, tuple[int | None, ...], ModelChoice]:
    """The history, each op's line, and the model the source implies."""
    if fmt == "jsonl":
        history, lines = jsonl.parse(path, text, allow_torn_tail=allow_torn_tail)
        if any(op.f == MEMBER_READ for op in history):
            # Each member's final state, for the member-state check of the run's own
            # workload checker; no model has them. The ops keep their indices (and lines).
            history = History((op for op in history if op.f != MEMBER_READ),
                              torn_line=history.torn_line)
        return history, lines, jsonl.implied_model(path)
    if fmt == "jepsen-log":
        history, lines = jepsen_log.parse(path, text, allow_torn_tail=allow_torn_tail)
        return history, lines, ModelChoice("cas-register", {"initial": None})
    if fmt == "porcupine-kv":
        history, lines = porcupine_kv.parse(path, text, allow_torn_tail=allow_torn_tail)
        return history, lines, ModelChoice("kv")
    records = _edn_records(path, text)
    if fmt == "knossos-edn":
        history, lines = knossos_edn.from_records(path, records)
        return history, lines, knossos_edn.implied_model(history)
    history, lines = elle_edn.from_records(path, records)
    return history, lines, ModelChoice(None)  # no linearizability model for transactions


def detect_format(path: str | os.PathLike) -> str:
    """The format of ``path`` (one of :data:`FORMATS`), recognised from its content."""
    path = os.fspath(path)
    return _detect(path, read_text(path))


def _detect(path: str, text: str) -> str:
    lines = [ln for ln in text.splitlines()[:_SNIFF_LINES] if ln.strip()]
    if not lines:
        raise HistoryFormatError(path, None, "empty file: no history in it")
    if jsonl.looks_like(lines[0].strip()):
        return "jsonl"
    if any(jepsen_log.looks_like(ln) for ln in lines):
        return "jepsen-log"
    first = next((ln.lstrip() for ln in lines if not ln.lstrip().startswith(";")), "")
    if first[:1] in ("[", "{", "("):
        return _classify_edn(path, text)
    if jepsen_log.looks_like(text):  # a Jepsen log with a long preamble before its ops
        return "jepsen-log"
    raise HistoryFormatError(
        path, None, "cannot recognise the format (not JSON Lines, Jepsen log or EDN); "
                    "pass --format"
    )


def _classify_edn(path: str, text: str) -> str:
    """Porcupine kv ops have a ``:key``; Elle ops' values are micro-op vectors."""
    try:
        head = _head(text)
    except EdnError as e:
        raise HistoryFormatError(path, e.line, e.message) from None
    for record in head:
        if not isinstance(record, dict) or record.get(rec.K_PROCESS) == Keyword("nemesis"):
            continue
        if rec.K_KEY in record:
            return "porcupine-kv"
        value = record.get(rec.K_VALUE)
        if (isinstance(value, list) and value and isinstance(value[0], list) and value[0]
                and value[0][0] in (Keyword(k) for k in elle_edn.MICRO_OP_KINDS)):
            return "elle-edn"
        if rec.K_F in record:
            return "knossos-edn"
    # Only nemesis ops (or nothing) in sight: nothing to tell the formats apart; the
    # Knossos importer accepts any history of plain op maps.
    return "knossos-edn"


def _head(text: str) -> list[Any]:
    """The first records of ``text``; a cut last line of a file of one map per line may
    be a torn tail, which the importer decides on, so the lines before it are used."""
    try:
        return head_records(text, _SNIFF_RECORDS)
    except EdnError as e:
        before = text.rpartition("\n")[0]
        if text.endswith("\n") or e.line != before.count("\n") + 2 or not before.strip():
            raise
        try:
            return head_records(before, _SNIFF_RECORDS)
        except EdnError:
            raise e from None


def _edn_records(path: str, text: str) -> list[tuple[int, Any]]:
    try:
        return read_records(text)
    except EdnError as e:
        raise HistoryFormatError(path, e.line, e.message) from None
