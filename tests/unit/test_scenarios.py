"""Named scenarios: every stored spec builds a valid plan, the list says what each must
show, a run's results are judged against the expectation (hand-made results and results
of the real checkers on hand-made histories), the first anomalous op's time is found in
each result kind, and ``faultline scenario run`` over fake clusters exits by whether
every run met its expectation."""

from __future__ import annotations

import pytest

from faultline import cli
from faultline.checkers.elle import check_elle
from faultline.checkers.member_state import check_member_state
from faultline.checkers.set_full import check_set_full
from faultline.core.history import History
from faultline.core.op import Op
from faultline.core.vocabulary import MEMBER_READ
from faultline.dbs import client_factory
from faultline.runner.run import client_options
from faultline.scenarios import (BY_NAME, FLAGGED, NOT_REACHED, PASSES, SCENARIOS, Scenario,
                                 anomaly_kinds, find, first_anomaly_s, judge, run_scenarios)
from faultline.scenarios.catalogue import STALE_REGISTER_READ
from faultline.core.errors import BadInputError
from faultline.workloads.register import RegisterChecker

# the fake dbs and fault of the matrix's tests (tests/unit is on sys.path)
from test_matrix import fakes  # noqa: F401 - a fixture

S = 1_000_000_000


def history(*ops: tuple) -> History:
    """Ops ``(type, f, value, process, time_s[, key[, node]])``, indexed in order."""
    made = []
    for i, (type_, f, value, process, t, *rest) in enumerate(ops):
        key = rest[0] if rest else None
        node = rest[1] if len(rest) > 1 else None
        made.append(Op(type_, f, value, process, int(t * S), i, key, node))
    return History(made)


STALE_REGISTER = history(
    ("invoke", "write", 1, 0, 1.0, 0), ("ok", "write", 1, 0, 2.0, 0),
    ("invoke", "write", 2, 0, 3.0, 0), ("ok", "write", 2, 0, 4.0, 0),
    ("invoke", "read", None, 1, 5.0, 0), ("ok", "read", 1, 1, 6.0, 0))


def _results(workload_result) -> dict:
    data = workload_result.to_dict()
    return {"valid": data["valid"], "workload": data, "stats": {"valid": True}}


# ---- the table ------------------------------------------------------------------------

@pytest.mark.parametrize("scenario", SCENARIOS, ids=lambda s: s.name)
def test_every_scenario_builds_a_valid_plan_named_after_it(scenario, tmp_path):
    plan = scenario.plan(seed=7, time_limit=12, results=str(tmp_path))
    assert plan.name == scenario.name and plan.spec["seed"] == 7
    assert plan.spec["time_limit"] == 12 and plan.spec["results"] == str(tmp_path)
    # the clients' own option checks, as a matrix makes them before anything runs
    client_factory(plan.db, plan.workload.name, client_options(plan.spec, "preflight"))
    assert scenario.plan(seed=7).spec["time_limit"] == scenario.options["time_limit"]
    assert scenario.why and scenario.reference
    assert (scenario.expect == FLAGGED) == bool(scenario.anomalies)


def test_the_table_holds_positives_and_negatives_of_both_dbs_with_unique_names():
    assert len(BY_NAME) == len(SCENARIOS)
    for expect in (FLAGGED, PASSES):
        assert {s.options["db"] for s in SCENARIOS if s.expect == expect} == {"etcd", "zookeeper"}


def test_a_scenario_must_name_what_a_positive_reports_and_cannot_fix_a_seed():
    with pytest.raises(ValueError, match="names the anomaly"):
        Scenario("x", {"db": "etcd"}, FLAGGED, "why", "ref")
    with pytest.raises(ValueError, match="seed"):
        Scenario("x", {"db": "etcd", "seed": 3}, PASSES, "why", "ref")
    with pytest.raises(ValueError, match="expect"):
        Scenario("x", {"db": "etcd"}, "maybe", "why", "ref")


def test_an_unknown_name_is_refused_listing_the_names():
    with pytest.raises(BadInputError, match="zookeeper-plain-reads-partition"):
        find(BY_NAME, "no-such")


def test_the_list_names_every_scenario_its_expectation_and_what_is_not_reached(capsys):
    assert cli.main(["scenario", "list"]) == 0
    out = capsys.readouterr().out
    for s in SCENARIOS:
        line = next(l for l in out.splitlines() if l.startswith(s.name + " "))
        assert s.expect in line and s.options["db"] in line
    assert "must be flagged (G*-realtime)" in out and "must pass" in out
    assert all(name in out for name in NOT_REACHED)


# ---- judging --------------------------------------------------------------------------

POSITIVE = Scenario("p", {"db": "etcd"}, FLAGGED, "why", "ref", STALE_REGISTER_READ)
NEGATIVE = Scenario("n", {"db": "etcd"}, PASSES, "why", "ref")
STALE = _results(RegisterChecker().check({}, STALE_REGISTER, {}))


def test_a_positive_is_met_by_the_expected_anomaly_only():
    assert anomaly_kinds(STALE) == ["stale-read"]
    assert judge(POSITIVE, STALE).met
    assert judge(POSITIVE, STALE).text == "flagged with stale-read, as expected"
    wrong = Scenario("p", {"db": "etcd"}, FLAGGED, "why", "ref", ("G*-realtime",))
    j = judge(wrong, STALE)
    assert not j.met and j.text.startswith("WRONG ANOMALY") and "G*-realtime" in j.text
    missed = judge(POSITIVE, {"valid": True, "workload": {"valid": True, "kind": "linearizable"}})
    assert not missed.met and missed.text.startswith("MISSED")


def test_a_negative_is_met_only_by_a_valid_run():
    assert judge(NEGATIVE, {"valid": True, "workload": {"valid": True}}).met
    alarm = judge(NEGATIVE, STALE)
    assert not alarm.met and alarm.text == "FALSE ALARM: flagged with stale-read"


@pytest.mark.parametrize("scenario", [POSITIVE, NEGATIVE], ids=["positive", "negative"])
def test_unknown_meets_no_expectation(scenario):
    j = judge(scenario, {"valid": "unknown", "error": "run aborted: boom"})
    assert not j.met and j.verdict == "unknown" and "boom" in j.text


def test_patterns_match_elle_types():
    realtime = Scenario("p", {"db": "etcd"}, FLAGGED, "why", "ref", ("G*-realtime",))
    assert realtime.matches("G-single-item-realtime") and realtime.matches("G2-item-realtime")
    assert not realtime.matches("G-single-item") and not realtime.matches("G1c")


# ---- what the results report, and when ------------------------------------------------

def test_a_register_counterexample_is_at_the_completion_of_its_op():
    assert first_anomaly_s(STALE, STALE_REGISTER) == 6.0


def test_a_valid_run_has_no_anomaly_and_no_time():
    ok = history(("invoke", "write", 1, 0, 1.0, 0), ("ok", "write", 1, 0, 2.0, 0),
                 ("invoke", "read", None, 1, 3.0, 0), ("ok", "read", 1, 1, 4.0, 0))
    results = _results(RegisterChecker().check({}, ok, {}))
    assert results["valid"] is True
    assert anomaly_kinds(results) == [] and first_anomaly_s(results, ok) is None


def test_an_elle_anomaly_is_complete_when_its_last_transaction_completed():
    h = history(("invoke", "txn", [["append", "x", 1]], 0, 1.0),
                ("ok", "txn", [["append", "x", 1]], 0, 2.0),
                ("invoke", "txn", [["r", "x", None]], 1, 3.0),
                ("ok", "txn", [["r", "x", None]], 1, 4.5),
                ("invoke", "txn", [["r", "x", None]], 2, 5.0),
                ("ok", "txn", [["r", "x", [1]]], 2, 6.0))
    results = _results(check_elle(h, workload="list-append"))
    kinds = anomaly_kinds(results)
    assert "G-single-item-realtime" in kinds
    assert judge(Scenario("p", {"db": "etcd"}, FLAGGED, "w", "r", ("G*-realtime",)), results).met
    assert first_anomaly_s(results, h) == 4.5  # the stale read's completion


def _set_history(*reads: tuple[list, float, float]) -> History:
    ops = [("invoke", "add", 0, 0, 1.0), ("ok", "add", 0, 0, 2.0)]
    for value, start, end in reads:
        ops += [("invoke", "read", None, 1, start), ("ok", "read", value, 1, end)]
    return history(*ops)


def test_a_stale_set_read_counts_only_when_stale_reads_are_invalid():
    h = _set_history(([], 3.0, 4.0), ([0], 5.0, 6.0))
    strict = _results(check_set_full(h, linearizable=True))
    assert anomaly_kinds(strict) == ["stale-element"] and first_anomaly_s(strict, h) == 4.0
    lenient = _results(check_set_full(h))
    assert lenient["valid"] is True and anomaly_kinds(lenient) == []


def test_a_stale_element_is_at_the_first_read_that_missed_it_not_its_last():
    h = _set_history(([], 3.0, 4.0), ([], 5.0, 6.0), ([0], 7.0, 8.0))
    results = _results(check_set_full(h, linearizable=True))
    assert results["workload"]["examples"]["stale"][0]["last_missed"]["completed_s"] == 6.0
    assert first_anomaly_s(results, h) == 4.0


def test_set_full_ranges_read_back():
    from faultline.checkers.set_full import ranges_text
    from faultline.scenarios.findings import range_elements
    for elements in ({0, 1, 2, 3, 7, 9, 10}, set(), {5}, {1, 2, "x"}):
        assert range_elements(ranges_text(elements)) == elements


def test_a_lost_element_is_at_the_read_that_missed_it():
    h = _set_history(([0], 3.0, 4.0), ([], 5.0, 7.0))
    results = _results(check_set_full(h))
    assert anomaly_kinds(results) == ["lost-element"] and first_anomaly_s(results, h) == 7.0


def test_members_that_disagree_are_their_own_kind_nested_or_alone():
    h = history(("invoke", MEMBER_READ, None, 0, 10.0, None, "n1"),
                ("ok", MEMBER_READ, [1, 2], 0, 10.5, None, "n1"),
                ("invoke", MEMBER_READ, None, 1, 10.0, None, "n2"),
                ("ok", MEMBER_READ, [1], 1, 11.0, None, "n2"))
    alone = _results(check_member_state(h))
    assert anomaly_kinds(alone) == ["member-disagreement"] and first_anomaly_s(alone, h) == 11.0
    nested = {"valid": False, "workload": {"valid": True, "kind": "set",
                                           "members": alone["workload"]}}
    assert anomaly_kinds(nested) == ["member-disagreement"]


def test_an_unknown_result_kind_reports_its_types_or_its_name():
    results = {"valid": False, "workload": {"valid": False, "kind": "lock",
                                            "anomaly_types": ["overlapping-holders"]},
               "other": {"valid": False, "kind": "watch"}}
    assert anomaly_kinds(results) == ["overlapping-holders", "watch"]
    assert first_anomaly_s(results, History([])) is None  # no first_s recorded: no time


def test_a_lock_result_is_timed_by_its_first_s_the_mutex_break_first():
    from faultline.checkers.lock_guard import check_lock
    h = history(("invoke", "acquire", None, 0, 1.0, 0), ("ok", "acquire", 1, 0, 1.5, 0),
                ("invoke", "acquire", None, 1, 2.0, 0), ("ok", "acquire", 1, 1, 2.5, 0),
                ("invoke", "incr", None, 0, 3.0, 0), ("invoke", "incr", None, 1, 3.5, 0),
                ("ok", "incr", [0, 1], 0, 4.0, 0), ("ok", "incr", [0, 1], 1, 5.0, 0),
                ("invoke", "read", None, 9, 8.0, 0), ("ok", "read", 1, 9, 9.0, 0))
    results = _results(check_lock(h))
    assert anomaly_kinds(results) == ["duplicate_reads", "lost", "not-a-mutex", "overlapping"]
    assert first_anomaly_s(results, h) == 2.5   # p1's acquire: two holders
    guarded_only = dict(results["workload"], first_s={
        k: v for k, v in results["workload"]["first_s"].items() if k != "not-a-mutex"})
    assert first_anomaly_s({"workload": guarded_only}, h) == 5.0  # the overlap, complete


def test_a_watch_result_is_timed_at_the_session_that_showed_it():
    from test_watch_stream import Builder, sound_run
    from faultline.checkers.watch_stream import check_watch_stream
    b, events = sound_run()
    b.watch(2, events)                                   # sound, ok at op 13
    b.watch(2, events[:2] + events[3:], process=1)       # skips a revision, ok at op 15
    h = b.history()
    results = _results(check_watch_stream(h))
    assert anomaly_kinds(results) == ["missing"] and first_anomaly_s(results, h) == 15e-6
    assert first_anomaly_s(_results(check_watch_stream(History(h[:14]))), h) is None


def test_an_election_result_is_timed_at_the_stale_act():
    from test_election_terms import H
    from faultline.checkers.election_terms import check_election
    h = H()
    t1 = h.take(0)
    h.ev("invoke", 0, "act")
    t2 = h.take(1)
    h.revision += 1
    h.ev("ok", 0, "act", {"term": t1, "revision": h.revision})   # op 5, at 5 ms
    h.read_log(h.log_of_acts())
    results = _results(check_election(h.history()))
    assert anomaly_kinds(results) == ["stale"] and first_anomaly_s(results, h.ops) == 0.005
    assert t2 < h.revision


# ---- running (fake clusters) ----------------------------------------------------------

def _fake(name, db, expect, anomalies=()):
    return Scenario(name, {"db": db, "backend": "memory", "time_limit": 0.3, "concurrency": 3,
                           "ops_per_key": 20, "nemesis_recovery": 0}, expect, "why", "ref",
                    anomalies)


def test_runs_are_judged_with_seeds_in_series_on_one_reused_cluster(fakes, tmp_path):
    backend, _ = fakes
    stale = _fake("fake-stale", "staledb", FLAGGED, STALE_REGISTER_READ)
    good = _fake("fake-good", "gooddb", PASSES)
    done = run_scenarios([stale, good], 2, seed=40, results=str(tmp_path))
    assert [(r.scenario.name, r.number, r.seed) for r in done] == [
        ("fake-stale", 1, 40), ("fake-stale", 2, 41), ("fake-good", 1, 40), ("fake-good", 2, 41)]
    assert all(r.judgement.met for r in done), [r.judgement.text for r in done]
    assert all(r.first_anomaly_s is not None and r.first_anomaly_s > 0 for r in done[:2])
    assert all(r.first_anomaly_s is None for r in done[2:])
    assert [c.db for c in backend.clusters.values()] == ["staledb", "gooddb"]


def test_the_command_exits_0_when_met_and_1_saying_so_when_not(fakes, tmp_path, monkeypatch,
                                                                capsys):
    monkeypatch.setitem(BY_NAME, "fake-good", _fake("fake-good", "gooddb", PASSES))
    monkeypatch.setitem(BY_NAME, "fake-wrong", _fake("fake-wrong", "staledb", PASSES))
    args = ["--runs", "2", "--seed", "5", "--results", str(tmp_path)]
    assert cli.main(["scenario", "run", "fake-good", *args]) == 0
    out = capsys.readouterr().out
    assert out.count("VALID - met: passed, as expected") == 2
    assert "fake-good: 2/2 runs met the expectation (passes)" in out
    assert cli.main(["scenario", "run", "fake-wrong", *args]) == 1
    captured = capsys.readouterr()
    assert "INVALID - NOT MET: FALSE ALARM: flagged with" in captured.out
    assert "fake-wrong: EXPECTATION FAILED: 2 of 2 runs did not meet it" in captured.err
    assert cli.main(["scenario", "run", "fake-good", "--runs", "0"]) == 254


# ---- detection figures ----------------------------------------------------------------

def _judged(scenario, results, first=None):
    from types import SimpleNamespace
    return SimpleNamespace(scenario=scenario, judgement=judge(scenario, results),
                           first_anomaly_s=first)


def test_detection_rows_count_detections_false_alarms_wrong_kinds_and_times():
    from faultline.scenarios import detection_rows, table_lines
    realtime = Scenario("rt", {"db": "etcd"}, FLAGGED, "w", "r", ("G*-realtime",))
    valid = {"valid": True, "workload": {"valid": True}}
    runs = [_judged(POSITIVE, STALE, 6.0), _judged(POSITIVE, STALE, 2.0),
            _judged(POSITIVE, STALE, 9.0), _judged(POSITIVE, valid),
            _judged(realtime, STALE, 6.0),
            _judged(NEGATIVE, valid), _judged(NEGATIVE, STALE, 6.0),
            _judged(NEGATIVE, {"valid": "unknown"})]
    p, rt, n = detection_rows(runs)
    assert (p.name, p.runs, p.met, p.flagged, p.undecided) == ("p", 4, 3, 3, 0)
    assert (p.median_s, p.worst_s) == (6.0, 9.0)
    assert (rt.met, rt.wrong_kind, rt.first_anomaly_s) == (0, 1, ())  # a wrong kind has no time
    assert (n.runs, n.met, n.flagged, n.undecided, n.first_anomaly_s) == (3, 1, 1, 1, ())
    lines = table_lines([p, rt, n])
    assert lines[0].split()[:3] == ["scenario", "expect", "runs"]
    assert "3/4 (75%)" in lines[1] and "6.0 s" in lines[1] and "9.0 s" in lines[1]
    assert "0/1 (0%), 1 wrong kind" in lines[2]
    assert "1/3" in lines[3]
    assert lines[-2] == "positives: 3/5 runs flagged with the expected anomaly (2 scenarios)"
    assert lines[-1] == "negatives: 1 false alarms in 3 runs (1 scenarios)"
