"""Our own ``history.jsonl``, and the model its run's ``test.json`` names.

The history is parsed by :func:`faultline.core.history.parse_jsonl`. The model comes from a
``test.json`` next to the history (a run directory holds both): its ``"model"`` entry, at
the top level or inside ``"checker"`` or ``"workload"``, either a name
(``"model": "kv"``) or an object with the name and the model's options
(``"model": {"name": "cas-register", "initial": 0}``). Without a test.json, or one that
names no model, the format's own model is a compare-and-set register with initial value
None (replaced by one the ops' functions imply when they do not fit it: see
:mod:`faultline.checkers.importers.infer`).
"""

from __future__ import annotations

import json
import os
from typing import Any

from faultline.checkers.importers.infer import FROM_TEST_JSON, ModelChoice
from faultline.core.errors import HistoryFormatError
from faultline.core.history import History, parse_jsonl_lines

DEFAULT_MODEL = ModelChoice("cas-register", {"initial": None})


def looks_like(first_line: str) -> bool:
    try:
        return isinstance(json.loads(first_line), dict)
    except ValueError:
        return False


def parse(path: str, text: str, *, allow_torn_tail: bool = False
          ) -> tuple[History, tuple[int, ...]]:
    """The history in ``text``, the content of ``path``, and each op's line."""
    return parse_jsonl_lines(path, text, allow_torn_tail=allow_torn_tail)


def run_spec(path: str) -> dict[str, Any] | None:
    """The ``test.json`` of the run directory holding ``path``, or None when there is none.
    HistoryFormatError when one is there but cannot be read."""
    test_path = os.path.join(os.path.dirname(os.path.abspath(path)), "test.json")
    if not os.path.exists(test_path):
        return None
    try:
        with open(test_path, encoding="utf-8") as fh:
            test = json.load(fh)
    except (OSError, ValueError) as e:
        raise HistoryFormatError(test_path, None, f"cannot read the run's test.json: {e}") from None
    if not isinstance(test, dict):
        raise HistoryFormatError(test_path, None, "the run's test.json is not a JSON object")
    return test


def implied_model(path: str) -> ModelChoice:
    entry = _model_entry(run_spec(path))
    if entry is None:
        return DEFAULT_MODEL
    if isinstance(entry, str):
        return ModelChoice(entry, {}, FROM_TEST_JSON)
    if isinstance(entry, dict) and isinstance(entry.get("name"), str):
        options = {k: v for k, v in entry.items() if k != "name"}
        return ModelChoice(entry["name"], options, FROM_TEST_JSON)
    raise HistoryFormatError(
        os.path.join(os.path.dirname(os.path.abspath(path)), "test.json"), None,
        f'"model" must be a name or {{"name": ..., options}}, got {entry!r}'
    )


def _model_entry(test: Any) -> Any:
    if not isinstance(test, dict):
        return None
    for section in (test, test.get("checker"), test.get("workload")):
        if isinstance(section, dict) and "model" in section:
            return section["model"]
    return None
