"""The runs index's data: one row per run and, per test name, the trend of its last runs.

Pure functions over run summaries (:func:`faultline.core.store.summarize`, newest first
as :func:`faultline.core.store.list_runs` gives them); :mod:`faultline.render.index`
draws the page from what they return.
"""

from __future__ import annotations

import statistics
from dataclasses import dataclass
from typing import Any, Iterable, Mapping, Sequence

from faultline.core.result import verdict_word
from faultline.core.store import HISTORY, REPORT

VERDICTS = ("invalid", "unknown", "incomplete", "valid")
"""Verdicts a row can show, worst first; ``incomplete``: no results (running or crashed)."""

TREND_RUNS = 30
"""How many of a test's last runs its trend strip shows."""

SLOWDOWN = 0.5
"""A run whose throughput is below this fraction of the median of the runs before it in
the strip is flagged as slower."""


def verdict_of(valid: Any) -> str:
    return "incomplete" if valid is None else verdict_word(valid)


def stamp_date(stamp: str) -> str:
    """``20261201T161452-2`` -> ``2026-12-01 16:14:52`` (UTC); anything else unchanged."""
    base = stamp.split("-", 1)[0]
    if len(base) != 15 or base[8] != "T" or not (base[:8] + base[9:]).isdigit():
        return stamp
    return f"{base[:4]}-{base[4:6]}-{base[6:8]} {base[9:11]}:{base[11:13]}:{base[13:]}"


@dataclass(frozen=True)
class Row:
    test: str
    date: str
    db: str
    workload: str
    faults: str
    read_mode: str
    verdict: str
    error: str
    ok: int
    fail: int
    info: int
    ok_per_s: float | None
    duration_s: float | None
    seed: Any
    report: str
    """Link to the report, relative to the index (the run directory while it has none)."""
    history: str


def run_row(summary: Mapping[str, Any], rel: str) -> Row:
    """The row of the run at ``rel`` (its directory relative to the results root)."""
    rel = rel.replace("\\", "/")
    return Row(
        test=str(summary.get("test") or ""),
        date=stamp_date(str(summary.get("stamp") or "")),
        db=str(summary.get("db") or ""),
        workload=str(summary.get("workload") or ""),
        faults="+".join(summary.get("nemesis") or ()) or "none",
        read_mode=str(summary.get("read_mode") or ""),
        verdict=verdict_of(summary.get("valid")),
        error=str(summary.get("error") or ""),
        ok=int(summary.get("ok") or 0),
        fail=int(summary.get("fail") or 0),
        info=int(summary.get("info") or 0),
        ok_per_s=summary.get("ok_per_s"),
        duration_s=summary.get("duration_s"),
        seed=summary.get("seed"),
        report=f"{rel}/{REPORT}" if summary.get("has_report") else f"{rel}/",
        history=f"{rel}/{HISTORY}",
    )


def run_rows(summaries: Iterable[tuple[str, Mapping[str, Any]]]) -> list[Row]:
    """Rows of ``(relative run directory, summary)`` pairs, in the order given."""
    return [run_row(summary, rel) for rel, summary in summaries]


@dataclass(frozen=True)
class Trend:
    test: str
    points: tuple[Row, ...]
    """The test's last runs, oldest first."""
    regressed: bool
    """The newest run's verdict is worse than the one before it (a run still going, or
    one that crashed before its check, is no regression)."""
    slower: bool
    """The newest run's throughput is below :data:`SLOWDOWN` x the median of the earlier ones."""

    @property
    def latest(self) -> Row:
        return self.points[-1]


def _rank(verdict: str) -> int:
    return VERDICTS.index(verdict)


def trends(rows: Sequence[Row], last: int = TREND_RUNS) -> list[Trend]:
    """Per test name, its ``last`` runs (``rows`` newest first), oldest first in each
    trend; trends with a regression or a slowdown first, then by test name."""
    by_test: dict[str, list[Row]] = {}
    for row in rows:
        runs = by_test.setdefault(row.test, [])
        if len(runs) < last:
            runs.append(row)
    out = []
    for test, newest_first in by_test.items():
        points = tuple(reversed(newest_first))
        latest, earlier = points[-1], points[:-1]
        regressed = (bool(earlier) and latest.verdict != "incomplete"
                     and _rank(latest.verdict) < _rank(earlier[-1].verdict))
        rates = [p.ok_per_s for p in earlier if p.ok_per_s]
        slower = (latest.verdict != "incomplete" and bool(rates)
                  and (latest.ok_per_s or 0) < SLOWDOWN * statistics.median(rates))
        out.append(Trend(test, points, regressed, slower))
    out.sort(key=lambda t: (not (t.regressed or t.slower), t.test))
    return out
