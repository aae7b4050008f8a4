"""The terminal summary ``faultline test`` and ``faultline analyze`` print at the end:
the verdict, op counts, throughput, the faults applied, the first anomaly (or why the
verdict is unknown) in one sentence. The CLI prints the report's path after these lines,
last (scripts and tests read it from there).

Pure: lines of text from a run's results (results.json) and its history.
"""

from __future__ import annotations

from collections import Counter
from typing import Any, Mapping

from faultline.checkers.stats import op_counts
from faultline.core.history import History
from faultline.core.result import verdict_word
from faultline.render.counterexample import counterexample_sentence

ANOMALY_CHARS = 400
"""A first anomaly longer than this is cut (the report has it whole)."""


def summary_lines(results: Mapping[str, Any], history: History, *,
                  name: str | None = None) -> list[str]:
    """The summary of a run (``name``: the test's, for the first line)."""
    valid = results.get("valid")
    counts = results.get("stats") if isinstance(results.get("stats"), Mapping) \
        and "total" in results["stats"] else op_counts(history)
    lines = [f"{name + ': ' if name else ''}{verdict_word(valid).upper()}"]
    total = counts["total"]
    ops = sum(total.values())
    lines.append(f"ops: {ops:,} ({', '.join(f'{n:,} {o}' for o, n in total.items())}) in "
                 f"{counts['duration_s']:g} s, {counts['ok_per_s']:,} ok/s")
    lines.append(f"faults: {faults_text(history)}")
    incomplete = results.get("incomplete_history")
    if isinstance(incomplete, Mapping):
        lines.append(f"checked an incomplete history: {incomplete.get('reason')}")
    if valid is False:
        found = first_anomaly(results)
        if found is not None:
            lines.append(f"first anomaly ({found[0]}): {_cut(found[1])}")
    elif valid is not True:
        lines.append(f"why unknown: {_cut(why_unknown(results))}")
    return lines


def faults_text(history: History) -> str:
    """The faults applied, by kind, with how long they were in effect in all:
    ``partition x3, kill x1 (12.4 s in effect)``, or ``none``."""
    from faultline.faults.intervals import fault_intervals  # the faults own what starts one

    intervals = fault_intervals(history)
    if not intervals:
        return "none"
    end = history[-1].time / 1e9 if len(history) else 0.0
    kinds = Counter(i["fault"] for i in intervals)
    on = sum((i["stop"] if i["stop"] is not None else end) - i["start"] for i in intervals)
    return ", ".join(f"{k} x{n}" for k, n in kinds.items()) + f" ({on:.1f} s in effect)"


def checker_results(results: Mapping[str, Any]) -> list[tuple[str, Mapping[str, Any]]]:
    """The checkers' results by name (the op counts, ``stats``, are not a checker's)."""
    return [(name, r) for name, r in results.items()
            if isinstance(r, Mapping) and "valid" in r and name != "stats"]


def first_anomaly(results: Mapping[str, Any]) -> tuple[str, str] | None:
    """``(checker name, one sentence)`` for the first invalid checker result: the
    counterexample of a linearizability result, the first anomaly of an Elle one; None
    when no checker found one."""
    for name, r in checker_results(results):
        if r.get("valid") is not False:
            continue
        if isinstance(r.get("counterexample"), Mapping):
            return name, counterexample_sentence(r["counterexample"])
        anomalies = r.get("anomalies")
        if isinstance(anomalies, Mapping) and anomalies:
            kind = next(iter(r.get("anomaly_types") or sorted(anomalies)))
            found = anomalies.get(kind) or [{}]
            first = found[0] if isinstance(found[0], Mapping) else {}
            return name, f"{kind}: {first.get('explanation') or 'see the report'}"
        members = r.get("members")
        if isinstance(members, Mapping) and members.get("valid") is False:
            return name, members_sentence(members)
        return name, r.get("error") or r.get("reason") or "invalid (see the report)"
    return None


def members_sentence(members: Mapping[str, Any]) -> str:
    """What a member-state result (faultline.checkers.member_state) found, in a line: the
    first key the members disagree on and each one's value, or what a member lacks."""
    if "disagreements" in members:
        first = (members.get("disagreements") or [{}])[0]
        values = ", ".join(f"{n}={v!r}" for n, v in (first.get("values") or {}).items())
        return (f"members disagree on {members.get('disagreeing')} key(s), first key "
                f"{first.get('key')!r}: {values}")
    lacking = [f"{n} lacks {m.get('missing_count')} ({m.get('missing')})"
               for n, m in (members.get("members") or {}).items() if m.get("missing_count")]
    return "members disagree: " + ("; ".join(lacking) or "their sets differ")


def why_unknown(results: Mapping[str, Any]) -> str:
    """Why a verdict is unknown: the run's error and each undecided checker's error or
    reason (the budget reached and how far it got)."""
    reasons = [results.get("error")] + [
        r.get("error") or r.get("reason") for _, r in checker_results(results)
        if r.get("valid") not in (True, False)]
    return "; ".join(str(r) for r in reasons if r) or "no checker gave a reason"


def _cut(text: str) -> str:
    return text if len(text) <= ANOMALY_CHARS else text[:ANOMALY_CHARS - 1] + "\u2026"


__all__ = ["checker_results", "faults_text", "first_anomaly", "summary_lines", "why_unknown"]
