"""Checker results and their composition.

A checker is ``check(test, history, opts) -> Result``. It returns data and never raises
on an anomaly; a checker that crashes yields ``valid="unknown"`` with the error.
Composition: false beats unknown beats true.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal, Mapping, Protocol

Validity = Literal[True, False, "unknown"]
UNKNOWN: Validity = "unknown"


@dataclass(frozen=True)
class Result:
    """A verdict plus data. ``data`` is JSON-serialisable (anomalies, counterexample, stats)."""

    valid: Validity
    data: Mapping[str, Any] = field(default_factory=dict)
    error: str | None = None

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"valid": self.valid, **self.data}
        if self.error is not None:
            out["error"] = self.error
        return out


def verdict_word(valid: Any) -> str:
    """``"valid"``, ``"invalid"`` or ``"unknown"``: how reports, summaries and assertions
    name a verdict (anything but true or false is unknown)."""
    return "valid" if valid is True else "invalid" if valid is False else "unknown"


def merge_validity(values: list[Validity]) -> Validity:
    """false beats unknown beats true; an empty list is true."""
    if any(v is False for v in values):
        return False
    if any(v == UNKNOWN for v in values):
        return UNKNOWN
    return True


class Checker(Protocol):
    """``check`` must be pure with respect to the history and must not raise on anomalies.
    Its result's data names the ``kind`` of result (``"linearizable"``): the report
    shows each kind with that kind's section (:mod:`faultline.render.sections`)."""

    def check(self, test: Mapping[str, Any], history: Any, opts: Mapping[str, Any]) -> Result: ...


def compose(results: Mapping[str, Result]) -> Result:
    """Combine named results into one: ``{"valid": ..., "<name>": {...}, ...}``."""
    return Result(
        valid=merge_validity([r.valid for r in results.values()]),
        data={name: r.to_dict() for name, r in results.items()},
    )


def safe_check(checker: Checker, test: Mapping[str, Any], history: Any,
               opts: Mapping[str, Any]) -> Result:
    """Run a checker; a crash becomes ``unknown`` with the error, never a traceback."""
    try:
        return checker.check(test, history, opts)
    except Exception as e:  # noqa: BLE001 - the contract: a crashing checker is "unknown"
        return Result(valid=UNKNOWN, error=f"{type(e).__name__}: {e}")
