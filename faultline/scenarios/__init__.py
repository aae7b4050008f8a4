"""Named scenarios: stored test specs with the verdict each must reach and why
(``faultline scenario list|run``, ``bench/detection``; docs/scenarios.md).

- :data:`SCENARIOS` / :data:`BY_NAME` (:mod:`.catalogue`): the table of known positives
  and known negatives; :data:`NOT_REACHED`: the ones asked for but not in it yet;
- :class:`Scenario`, :func:`judge` (:mod:`.scenario`): a scenario's plan for a run, and
  whether a run's results meet its expectation;
- :func:`anomaly_kinds`, :func:`first_anomaly_s` (:mod:`.findings`): what a run's results
  report and when the first anomalous op happened;
- :func:`run_scenarios` (:mod:`.runs`): N runs of each scenario on the matrix's machinery,
  each judged (:class:`ScenarioRun`); :func:`detection_rows`, :func:`table_lines`
  (:mod:`.detection`): detection rates, false alarms and times to the first anomaly.

This layer sits above the runner: it builds :class:`~faultline.runner.spec.TestPlan`\\ s.
"""

from faultline.scenarios.catalogue import BY_NAME, NOT_REACHED, SCENARIOS
from faultline.scenarios.detection import DetectionRow, detection_rows, table_lines
from faultline.scenarios.findings import anomaly_kinds, first_anomaly_s
from faultline.scenarios.runs import ScenarioRun, run_scenarios
from faultline.scenarios.scenario import FLAGGED, PASSES, Judgement, Scenario, find, judge

__all__ = ["BY_NAME", "DetectionRow", "FLAGGED", "Judgement", "NOT_REACHED", "PASSES", "SCENARIOS", "Scenario",
           "ScenarioRun", "anomaly_kinds", "find", "first_anomaly_s", "judge", "run_scenarios",
           "detection_rows", "table_lines"]
