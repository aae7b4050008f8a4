"""A finished run as a test sees it: verdict, anomalies, op counts, where its files are,
and assertions whose failure message is one readable paragraph.

:class:`RunResult` is read from a run's ``results.json`` (the runner's
:class:`~faultline.runner.run.RunOutcome`); nothing here re-checks a history. An anomaly
is what a checker said is wrong: for the linearizability checker, each illegal key's
counterexample, explained by :func:`faultline.render.counterexample_text`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Mapping

from faultline.core.result import verdict_word
from faultline.render.counterexample import counterexample_text
from faultline.render.summary import first_anomaly, why_unknown

OPS_IN_MESSAGE = 3
"""Ops of the counterexample's prefix and pending ops an assertion message shows (the
report has them all)."""


@dataclass(frozen=True)
class Anomaly:
    """One thing a checker found wrong: ``checker`` (its name in results.json), ``key``
    (None for a checker without keys), ``data`` (the checker's own record, e.g. the
    counterexample) and ``text`` (the checker's explanation for a person)."""

    checker: str
    key: str | None
    data: Mapping[str, Any]
    text: str


@dataclass(frozen=True)
class RunResult:
    """A run's outcome. ``valid`` is True, False or ``"unknown"`` (as in results.json)."""

    name: str
    seed: int
    run_dir: str
    report: str
    results: Mapping[str, Any]
    spec: Mapping[str, Any] = field(repr=False, default_factory=dict)

    @property
    def valid(self) -> Any:
        return self.results.get("valid")

    @property
    def verdict(self) -> str:
        """``"valid"``, ``"invalid"`` or ``"unknown"``."""
        return verdict_word(self.valid)

    @property
    def counts(self) -> Mapping[str, Any]:
        """Client ops by outcome, function, and throughput (results.json's ``stats``)."""
        return self.results.get("stats", {})

    @property
    def anomalies(self) -> list[Anomaly]:
        """Every anomaly the checkers recorded, in results.json order."""
        found = []
        for name, checked in self.results.items():
            if isinstance(checked, Mapping) and checked.get("valid") is False:
                found += _anomalies_of(name, checked)
        return found

    def explain(self) -> str:
        """One paragraph: the test, verdict, op counts, the first anomaly (or why the
        verdict is unknown) and the report's path."""
        total = self.counts.get("total", {})
        faults = ",".join(self.spec.get("nemesis") or ()) or "none"
        lines = [f"{self.name} is {self.verdict} (seed {self.seed}, faults {faults}; "
                 f"{total.get('ok', 0)} ok, {total.get('fail', 0)} fail, "
                 f"{total.get('info', 0)} info ops)"]
        anomalies = self.anomalies
        if anomalies:
            more = f" (1 of {len(anomalies)})" if len(anomalies) > 1 else ""
            lines.append(f"first anomaly, {anomalies[0].checker}{more}:")
            lines += ["  " + line for line in anomalies[0].text.splitlines()]
        elif self.valid not in (True, False):
            lines.append(f"why unknown: {why_unknown(self.results)}")
        lines.append(f"report: {self.report}")
        return "\n".join(lines)

    def assert_valid(self) -> "RunResult":
        """AssertionError (with :meth:`explain`) unless the checkers found the run valid."""
        __tracebackhide__ = True  # the test's line is the one to show, not this one
        if self.valid is not True:
            raise AssertionError(f"expected a valid history: {self.explain()}")
        return self

    def assert_flagged(self) -> "RunResult":
        """AssertionError unless the checkers found an anomaly (``valid`` False): for a
        test aimed at a known positive. A valid run may be too short, or its faults may
        have missed the ops."""
        __tracebackhide__ = True
        if self.valid is not False:
            raise AssertionError(f"expected the checker to flag an anomaly: {self.explain()}")
        return self


def _anomalies_of(checker: str, checked: Mapping[str, Any]) -> list[Anomaly]:
    """An invalid checker result's anomalies: each illegal key's counterexample (a search
    that stops at the first illegal key has one), else the result's own counterexample;
    for a result that names its anomalies by type (Elle's), each with its explanation;
    else one, in the words of the run's summary."""
    keyed = [(key, r["counterexample"]) for key, r in (checked.get("keys") or {}).items()
             if r.get("valid") is False and r.get("counterexample")]
    if not keyed and checked.get("counterexample"):
        keyed = [(None, checked["counterexample"])]
    if keyed:
        return [Anomaly(checker, key, cx, counterexample_text(cx, ops_shown=OPS_IN_MESSAGE))
                for key, cx in keyed]
    named = checked.get("anomalies")
    if isinstance(named, Mapping) and named:
        return [Anomaly(checker, found.get("key"), found,
                        f"{kind}: {found.get('explanation') or 'see the report'}")
                for kind, records in named.items() for found in records
                if isinstance(found, Mapping)]
    _, sentence = first_anomaly({checker: checked}) or (checker, "invalid (see the report)")
    return [Anomaly(checker, None, checked, sentence)]
