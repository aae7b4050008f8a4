"""The runs index: each run's summary (written with its results, rebuilt for older runs),
the rows and trends made from the summaries, and the page drawn from them."""

import json
import os

from faultline import cli
from faultline.core.store import SUMMARY, RunDir
from faultline.render import write_index
from faultline.render.runs import Row, run_row, stamp_date, trends

SPEC = {"name": "etcd-register-partition", "db": "etcd", "workload": "register",
        "nemesis": ["partition", "kill"], "read_mode": "linearizable", "seed": 42}


def _results(valid, ok=90, fail=5, info=3, ok_per_s=300.0):
    return {"valid": valid, "workload": {"valid": valid},
            "stats": {"valid": True, "total": {"ok": ok, "fail": fail, "info": info, "pending": 0},
                      "ok_per_s": ok_per_s, "duration_s": 30.2}}


def _run(root, now, spec=SPEC, results=None, summary=True):
    run = RunDir.create(str(root), spec["name"], now=now)
    run.write_test(spec)
    if results is not None:
        run.write_results(results)
        run.write_report("<html></html>")
        if summary:
            run.write_summary(spec, results)
    return run


def test_a_summary_holds_what_the_index_shows(tmp_path):
    run = _run(tmp_path, 0, results=_results(False, ok=7))
    stored = json.loads(open(run.file(SUMMARY)).read())
    assert stored == run.read_summary()
    assert (stored["test"], stored["stamp"], stored["valid"], stored["ok"], stored["nemesis"],
            stored["seed"], stored["has_report"]) == (
        "etcd-register-partition", "19700101T000000", False, 7, ["partition", "kill"], 42, True)


def test_an_older_run_without_a_summary_is_read_from_its_files(tmp_path):
    old = _run(tmp_path, 0, results=_results(True), summary=False)
    crashed = _run(tmp_path, 60)
    summary = old.read_summary()
    assert (summary["test"], summary["valid"], summary["ok"], summary["ok_per_s"],
            summary["has_report"]) == ("etcd-register-partition", True, 90, 300.0, True)
    assert not os.path.exists(old.file(SUMMARY))          # reading writes nothing
    assert (crashed.read_summary()["valid"], crashed.read_summary()["has_report"]) == (None, False)


def test_a_row_has_every_column_and_its_links(tmp_path):
    run = _run(tmp_path, 0, results=_results("unknown"))
    row = run_row(run.read_summary(), "etcd-register-partition/19700101T000000")
    assert row == Row(test="etcd-register-partition", date="1970-01-01 00:00:00", db="etcd",
                      workload="register", faults="partition+kill", read_mode="linearizable",
                      verdict="unknown", error="", ok=90, fail=5, info=3, ok_per_s=300.0,
                      duration_s=30.2, seed=42,
                      report="etcd-register-partition/19700101T000000/report.html",
                      history="etcd-register-partition/19700101T000000/history.jsonl")
    going = run_row({"stamp": "x", "valid": None, "has_report": False}, "t/x")
    assert (going.verdict, going.report, going.faults) == ("incomplete", "t/x/", "none")
    assert stamp_date("20261201T161452-2") == "2026-12-01 16:14:52"


def _row(test, verdict, rate, n):
    return Row(test, f"d{n}", "etcd", "register", "none", "", verdict, "", 1, 0, 0, rate, 1.0,
               n, f"{test}/{n}/report.html", f"{test}/{n}/history.jsonl")


def test_trends_keep_each_tests_last_runs_oldest_first_and_flag_regressions():
    newest_first = [
        _row("a", "invalid", 100.0, 9), _row("b", "valid", 40.0, 8), _row("a", "valid", 100.0, 7),
        _row("c", "valid", 100.0, 6), _row("b", "valid", 100.0, 5), _row("b", "valid", 120.0, 4),
        _row("c", "invalid", 100.0, 3), _row("a", "valid", 100.0, 2), _row("a", "valid", 1.0, 1),
    ]
    by_test = {t.test: t for t in trends(newest_first, last=3)}
    assert [p.seed for p in by_test["a"].points] == [2, 7, 9]        # the last 3, oldest first
    assert (by_test["a"].regressed, by_test["a"].slower) == (True, False)
    assert (by_test["b"].regressed, by_test["b"].slower) == (False, True)   # 40 < 0.5 x 110
    assert (by_test["c"].regressed, by_test["c"].slower) == (False, False)  # it got better
    assert [t.test for t in trends(newest_first, last=3)] == ["a", "b", "c"]
    # a run still going is neither a regression nor a slowdown
    going = trends([_row("a", "incomplete", None, 3), _row("a", "valid", 100.0, 2)])
    assert (going[0].regressed, going[0].slower) == (False, False)


def test_the_page_lists_every_run_newest_first_with_filters_and_trends(tmp_path, capsys):
    _run(tmp_path, 0, results=_results(True))
    _run(tmp_path, 60, results=_results(False, ok_per_s=100.0))
    _run(tmp_path, 90, spec={**SPEC, "name": "zk-<b>"})          # no results yet
    assert cli.main(["report", str(tmp_path)]) == 0
    assert capsys.readouterr().out.strip() == os.path.join(str(tmp_path), "index.html")
    page = (tmp_path / "index.html").read_text()
    runs = page[page.index("<table id=runs"):]
    assert runs.count("<tr data-test=") == 3
    assert runs.index("zk-&lt;b&gt;/19700101T000130/") < runs.index("19700101T000100/report.html") \
        < runs.index("19700101T000000/report.html")
    assert 'data-verdict="invalid"' in runs and 'data-verdict="incomplete"' in runs
    assert "<select id=f-test>" in page and '<option value="zk-&lt;b&gt;">' in page
    trend = page[page.index("<table id=trends"):page.index("<h2>Runs")]
    assert "verdict regressed" in trend and "<polyline" in trend
    assert trend.index("etcd-register-partition") < trend.index("zk-&lt;b&gt;")  # flagged first


def test_report_refuses_a_missing_directory(tmp_path, capsys):
    assert cli.main(["report", str(tmp_path / "nope")]) == 254
    assert "not a directory" in capsys.readouterr().err


def test_every_run_writes_its_summary_and_the_index(tmp_path):
    from faultline.core.history import History
    from faultline.runner.run import write_outputs

    run = RunDir.create(str(tmp_path), "t", now=0)
    run.write_test({"name": "t", "db": "etcd"})
    write_outputs(run, {"name": "t", "db": "etcd"}, History(), _results(True))
    assert json.loads(open(run.file(SUMMARY)).read())["valid"] is True
    assert "t/19700101T000000/report.html" in (tmp_path / "index.html").read_text()
