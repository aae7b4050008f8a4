"""A named scenario: a stored test spec, the verdict it must reach, and why.

A :class:`Scenario` holds the options of a ``faultline test`` run (db, workload and its
options, read mode, nemesis, time limit, concurrency, fault timing), what the run must
show (:data:`FLAGGED`: a known positive, the checker must find an anomaly of one of the
kinds in ``anomalies``; :data:`PASSES`: a known negative, the run must be valid), and
the reason with its reference (the db's documentation or a known bug).

:meth:`Scenario.plan` builds the run's :class:`~faultline.runner.spec.TestPlan` (a seed,
a shorter time limit or another results directory may be given per run);
:func:`judge` compares a run's ``results.json`` with the expectation. Both are pure: the
runs themselves go through :func:`faultline.runner.run_test` (``faultline scenario run``,
``bench/detection``).
"""

from __future__ import annotations

from dataclasses import dataclass
from fnmatch import fnmatchcase
from typing import Any, Mapping

from faultline.core.errors import BadInputError
from faultline.core.result import verdict_word
from faultline.runner.spec import TestPlan, build_test
from faultline.scenarios.findings import anomaly_kinds

FLAGGED = "flagged"
"""A known positive: the checker must find an anomaly (the run is invalid)."""
PASSES = "passes"
"""A known negative: the run must be valid (any anomaly is a false alarm)."""
EXPECTATIONS = (FLAGGED, PASSES)


@dataclass(frozen=True)
class Scenario:
    name: str
    options: Mapping[str, Any]
    """``faultline test`` options by ``test.json`` name (no seed, no results directory)."""
    expect: str
    """:data:`FLAGGED` or :data:`PASSES`."""
    why: str
    """One or two sentences: why the db must (or must not) show an anomaly here."""
    reference: str
    """Where that is documented: the db's docs, a bug, a Jepsen analysis."""
    anomalies: tuple[str, ...] = ()
    """For a positive, the anomaly kinds (:func:`~faultline.scenarios.findings.anomaly_kinds`;
    shell-style patterns such as ``G*-realtime``) of which the run must report one."""

    def __post_init__(self) -> None:
        if self.expect not in EXPECTATIONS:
            raise ValueError(f"scenario {self.name}: expect must be one of {EXPECTATIONS}")
        if self.expect == FLAGGED and not self.anomalies:
            raise ValueError(f"scenario {self.name}: a positive names the anomaly it must report")
        if {"seed", "results", "name"} & set(self.options):
            raise ValueError(f"scenario {self.name}: seed, results and name are given per run")

    def plan(self, *, seed: int | None = None, time_limit: float | None = None,
             results: str | None = None) -> TestPlan:
        """The run's plan: the stored options, named after the scenario, with ``seed``
        (drawn when None), ``time_limit`` and ``results`` when given."""
        given = {**self.options, "name": self.name, "seed": seed, "results": results}
        if time_limit is not None:
            given["time_limit"] = time_limit
        return build_test(given)

    def matches(self, kind: str) -> bool:
        """Whether an anomaly ``kind`` is one this positive must report."""
        return any(fnmatchcase(kind, pattern) for pattern in self.anomalies)


@dataclass(frozen=True)
class Judgement:
    met: bool
    """The run reached the scenario's expectation."""
    verdict: str
    """The run's verdict word: valid, invalid, unknown."""
    kinds: tuple[str, ...]
    """The anomaly kinds the run reported (empty when valid)."""
    text: str
    """One line saying how the run compares with the expectation."""


def judge(scenario: Scenario, results: Mapping[str, Any]) -> Judgement:
    """Does a run's ``results.json`` meet ``scenario``'s expectation? A positive must be
    invalid with an anomaly of an expected kind; a negative must be valid. ``unknown``
    (a budget exhausted, a run that broke) meets neither: it is reported, not counted."""
    valid = results.get("valid")
    verdict = verdict_word(valid)
    kinds = tuple(anomaly_kinds(results)) if valid is False else ()
    error = results.get("error")
    if valid not in (True, False):
        why = f": {error}" if error else ""
        return Judgement(False, verdict, kinds, f"unknown{why}: the run neither passed nor "
                                                f"was flagged")
    if scenario.expect == PASSES:
        if valid:
            return Judgement(True, verdict, kinds, "passed, as expected")
        return Judgement(False, verdict, kinds, f"FALSE ALARM: flagged with "
                                                f"{', '.join(kinds) or 'an anomaly'}")
    if valid:
        return Judgement(False, verdict, kinds, "MISSED: the run passed, the scenario "
                                                "must be flagged")
    right = [k for k in kinds if scenario.matches(k)]
    if right:
        return Judgement(True, verdict, kinds, f"flagged with {', '.join(right)}, as expected")
    return Judgement(False, verdict, kinds,
                     f"WRONG ANOMALY: flagged with {', '.join(kinds) or 'no named anomaly'}, "
                     f"expected {' or '.join(scenario.anomalies)}")


def find(scenarios: Mapping[str, Scenario], name: str) -> Scenario:
    """The scenario called ``name``; BadInputError listing the names otherwise."""
    try:
        return scenarios[name]
    except KeyError:
        raise BadInputError(f"no scenario {name!r}; the scenarios: "
                            f"{', '.join(scenarios)}") from None


__all__ = ["EXPECTATIONS", "FLAGGED", "Judgement", "PASSES", "Scenario", "find", "judge"]
