"""Running scenarios: N runs of each, on the matrix's machinery, each judged as it ends.

The runs are matrix entries (:func:`faultline.runner.matrix.run_matrix`): one cluster per
db, reused by the next run that fits it (faults healed between runs, a broken cluster
replaced), every cluster removed at the end, also on Ctrl-C. Run ``i`` of a scenario
gets seed ``seed + i`` when a seed is given (a reproducible series), else a drawn one.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable, Sequence

from faultline.core.store import RunDir
from faultline.runner.matrix import Entry, EntryResult, run_matrix
from faultline.scenarios.findings import first_anomaly_s
from faultline.scenarios.scenario import Judgement, Scenario, judge


@dataclass(frozen=True)
class ScenarioRun:
    scenario: Scenario
    number: int
    """1-based, within the scenario's runs."""
    entry: EntryResult
    judgement: Judgement
    first_anomaly_s: float | None
    """Seconds from the test's start to the first anomalous op reported; None if none."""

    @property
    def seed(self) -> int:
        return self.entry.entry.plan.spec["seed"]


def entries(scenarios: Sequence[Scenario], runs: int, *, seed: int | None = None,
            time_limit: float | None = None, results: str | None = None) -> list[Entry]:
    """``runs`` matrix entries per scenario, in order (all of one scenario's runs first),
    every plan built (and so validated) before any runs."""
    made: list[Entry] = []
    for scenario in scenarios:
        for i in range(runs):
            plan = scenario.plan(seed=None if seed is None else seed + i,
                                 time_limit=time_limit, results=results)
            made.append(Entry(len(made) + 1, f"{scenario.name} run {i + 1}",
                              dict(scenario.options), plan))
    return made


def judge_entry(scenario: Scenario, number: int, result: EntryResult) -> ScenarioRun:
    """A finished entry judged against its scenario from its run directory's results."""
    if result.run_dir is None or result.valid is None:
        why = result.error or "the run did not start"
        return ScenarioRun(scenario, number, result,
                           Judgement(False, result.verdict, (), f"ERROR: {why}"), None)
    run = RunDir.open(result.run_dir)
    results = run.read_results() or {"valid": "unknown", "error": result.error}
    judgement = judge(scenario, results)
    first = first_anomaly_s(results, run.read_history()) if results.get("valid") is False \
        else None
    return ScenarioRun(scenario, number, result, judgement, first)


def run_scenarios(scenarios: Sequence[Scenario], runs: int, *, seed: int | None = None,
                  time_limit: float | None = None, results: str | None = None,
                  say: Callable[[ScenarioRun, int], Any] | None = None) -> list[ScenarioRun]:
    """Run each scenario ``runs`` times; ``say(run, total)`` as each run is judged."""
    made = entries(scenarios, runs, seed=seed, time_limit=time_limit, results=results)
    per_scenario = {e.index: (scenarios[(e.index - 1) // runs], (e.index - 1) % runs + 1)
                    for e in made}
    done: list[ScenarioRun] = []

    def finished(result: EntryResult, total: int) -> None:
        scenario, number = per_scenario[result.entry.index]
        judged = judge_entry(scenario, number, result)
        done.append(judged)
        if say is not None:
            say(judged, total)

    run_matrix(made, say=finished)
    return done


__all__ = ["ScenarioRun", "entries", "judge_entry", "run_scenarios"]
