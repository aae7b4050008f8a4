"""RunResult (what a pytest test gets back from a run): anomalies and explanations for
every kind of checker result, read from results.json alone."""

from __future__ import annotations

import pytest

from faultline.pytest.result import RunResult


def _result(workload):
    return RunResult(name="t", seed=1, run_dir="/r", report="/r/report.html",
                     results={"valid": workload["valid"], "workload": workload,
                              "stats": {"valid": True, "total": {"ok": 3}}})


def test_an_elle_result_lists_each_anomaly_with_its_explanation():
    run = _result({"kind": "elle", "valid": False, "anomaly_types": ["G0"],
                   "anomalies": {"G0": [{"type": "G0", "explanation": "T1 and T2 overwrote "
                                         "each other's appends to x"}]}})
    (anomaly,) = run.anomalies
    assert (anomaly.checker, anomaly.text) == (
        "workload", "G0: T1 and T2 overwrote each other's appends to x")
    with pytest.raises(AssertionError, match="first anomaly, workload:\n  G0: T1 and T2"):
        run.assert_valid()


def test_an_invalid_result_without_named_anomalies_still_says_what_it_found():
    run = _result({"kind": "set", "valid": False, "error": "2 acknowledged adds lost"})
    assert [a.text for a in run.anomalies] == ["2 acknowledged adds lost"]


def test_an_unknown_result_says_why():
    run = _result({"kind": "elle", "valid": "unknown",
                   "reason": "cycle search stopped after 10 s"})
    assert run.anomalies == []
    assert "why unknown: cycle search stopped after 10 s" in run.explain()
