"""Detection figures over judged scenario runs (``bench/detection``): per scenario, how
often a known positive was flagged with the right anomaly, how often a known negative
raised a false alarm, and how long a positive took to show its first anomalous op.

Pure: :func:`detection_rows` reads the runs' judgements; :func:`table_lines` lays the
rows out as text.
"""

from __future__ import annotations

import statistics
from dataclasses import dataclass
from typing import Any, Sequence

from faultline.scenarios.scenario import FLAGGED


@dataclass(frozen=True)
class DetectionRow:
    name: str
    expect: str
    runs: int
    met: int
    """Runs that met the expectation (a positive: flagged with an expected kind)."""
    flagged: int
    """Runs found invalid (for a negative: false alarms)."""
    undecided: int
    """Runs whose verdict was unknown or that could not run: neither met nor counted."""
    first_anomaly_s: tuple[float, ...]
    """Per positive run that met it, seconds from the test's start to its first anomaly."""

    @property
    def wrong_kind(self) -> int:
        """A positive's runs flagged, but not with an expected kind."""
        return self.flagged - self.met if self.expect == FLAGGED else 0

    @property
    def median_s(self) -> float | None:
        return statistics.median(self.first_anomaly_s) if self.first_anomaly_s else None

    @property
    def worst_s(self) -> float | None:
        return max(self.first_anomaly_s, default=None)


def detection_rows(runs: Sequence[Any]) -> list[DetectionRow]:
    """One row per scenario, in the order the runs name them. ``runs``: objects with
    ``scenario``, ``judgement`` and ``first_anomaly_s`` (:class:`~.runs.ScenarioRun`)."""
    by_name: dict[str, list[Any]] = {}
    for run in runs:
        by_name.setdefault(run.scenario.name, []).append(run)
    rows = []
    for name, group in by_name.items():
        scenario = group[0].scenario
        times = tuple(r.first_anomaly_s for r in group
                      if r.judgement.met and r.first_anomaly_s is not None)
        rows.append(DetectionRow(
            name, scenario.expect, len(group), sum(r.judgement.met for r in group),
            sum(r.judgement.verdict == "invalid" for r in group),
            sum(r.judgement.verdict not in ("valid", "invalid") for r in group),
            times if scenario.expect == FLAGGED else ()))
    return rows


def _seconds(value: float | None) -> str:
    return "-" if value is None else f"{value:.1f} s"


HEADER = ("scenario", "expect", "runs", "detected", "false alarms", "undecided",
          "first anomaly median", "worst")


def table_lines(rows: Sequence[DetectionRow]) -> list[str]:
    """The rows as an aligned text table, then a line per expectation in total."""
    cells = [HEADER]
    for r in rows:
        positive = r.expect == FLAGGED
        detected = f"{r.met}/{r.runs} ({100 * r.met / r.runs:.0f}%)" if positive else "-"
        if positive and r.wrong_kind:
            detected += f", {r.wrong_kind} wrong kind"
        cells.append((r.name, r.expect, str(r.runs), detected,
                      "-" if positive else f"{r.flagged}/{r.runs}", str(r.undecided),
                      _seconds(r.median_s), _seconds(r.worst_s)))
    widths = [max(len(row[i]) for row in cells) for i in range(len(HEADER))]
    lines = ["  ".join(c.ljust(w) for c, w in zip(row, widths)).rstrip() for row in cells]
    positives = [r for r in rows if r.expect == FLAGGED]
    negatives = [r for r in rows if r.expect != FLAGGED]
    if positives:
        met, runs = sum(r.met for r in positives), sum(r.runs for r in positives)
        lines.append(f"positives: {met}/{runs} runs flagged with the expected anomaly "
                     f"({len(positives)} scenarios)")
    if negatives:
        alarms, runs = sum(r.flagged for r in negatives), sum(r.runs for r in negatives)
        lines.append(f"negatives: {alarms} false alarms in {runs} runs "
                     f"({len(negatives)} scenarios)")
    return lines


__all__ = ["DetectionRow", "detection_rows", "table_lines"]
