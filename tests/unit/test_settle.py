"""Settling unknown writes from the server's record: what becomes ok, fail or stays info,
when nothing may be settled, and the register checker deciding with it."""

from __future__ import annotations

from faultline.checkers.settle import settle
from faultline.core.history import History
from faultline.core.op import FAIL, INFO, INVOKE, OK, Op
from faultline.core.vocabulary import SERVER_HISTORY
from faultline.workloads.register import RegisterChecker
from faultline.workloads.settling import SettlingChecker, settle_final, settles


def ops(*rows):
    """(type, f, value, process, key) rows -> a History, times 1000 apart."""
    return [Op(t, f, v, p, i * 1000, i, key=k) for i, (t, f, v, p, k) in enumerate(rows)]


def record(events, revision=None, **extra):
    value = {"revision": revision or max([e[0] for e in events] or [1]), "reached": True,
             "compacted": None, "events": events, **extra}
    return [(INVOKE, SERVER_HISTORY, None, 9, None), (OK, SERVER_HISTORY, value, 9, None)]


def run_with_unknowns():
    """Key 1: write 1 ok (rev 2); write 2 info, applied (rev 3); write 3 info, never applied;
    write 4 ok (rev 4) completing after write 2's timeout."""
    return [(INVOKE, "write", 1, 0, 1), (OK, "write", 1, 0, 1),
            (INVOKE, "write", 2, 1, 1), (INVOKE, "write", 3, 2, 1),
            (INFO, "write", 2, 1, 1), (INFO, "write", 3, 2, 1),
            (INVOKE, "write", 4, 0, 1), (OK, "write", 4, 0, 1)]


EVENTS = [[2, 1, "put", 1], [3, 1, "put", 2], [4, 1, "put", 4]]


def test_applied_unknowns_become_ok_before_the_write_that_follows_and_the_rest_fail():
    settled = settle(History(ops(*run_with_unknowns(), *record(EVENTS))))
    assert settled.summary == {"unknown": 2, "took_effect": 1, "bounded": 1, "did_not": 1,
                               "left": 0, "reason": None}
    h = settled.history
    assert all(op.f != SERVER_HISTORY for op in h)
    by = {(op.value, op.type) for op in h if op.type != INVOKE}
    assert (2, OK) in by and (3, FAIL) in by and (2, INFO) not in by
    ok2 = next(op for op in h if op.value == 2 and op.type == OK)
    ok4 = next(op for op in h if op.value == 4 and op.type == OK)
    assert ok2.index == ok4.index - 1  # completes just before the write it preceded
    assert [op.index for op in h] == list(range(len(h)))


def test_an_applied_unknown_with_no_later_acknowledged_write_stays_info():
    settled = settle(History(ops(*run_with_unknowns()[:6], *record(EVENTS[:2]))))
    assert settled.summary["took_effect"] == 1 and settled.summary["left"] == 1
    assert any(op.type == INFO and op.value == 2 for op in settled.history)


def test_nothing_is_settled_after_compaction_an_unfinished_watch_or_repeated_values():
    for rec, why in ((record(EVENTS, compacted=3), "compacted"),
                     (record(EVENTS, reached=False), "did not reach"),):
        s = settle(History(ops(*run_with_unknowns(), *rec)))
        assert why in s.summary["reason"] and s.summary["left"] == 2
    repeated = run_with_unknowns() + [(INVOKE, "write", 2, 3, 1), (OK, "write", 2, 3, 1)]
    s = settle(History(ops(*repeated, *record(EVENTS))))
    assert "not unique" in s.summary["reason"]


def test_a_history_without_a_record_is_left_as_it_is():
    h = History(ops(*run_with_unknowns()))
    assert settle(h).summary is None and len(settle(h).history) == len(h)


def test_settling_decides_a_read_of_a_write_the_server_never_applied():
    """Unsettled, the read of 3 is explained by the unknown write 3; the server says
    that write never happened, so the read saw a value nobody wrote."""
    rows = run_with_unknowns() + [(INVOKE, "read", None, 5, 1), (OK, "read", 3, 5, 1)]
    test = {"db": "etcd"}
    plain = SettlingChecker(RegisterChecker(), enabled=False).check(
        test, History(ops(*rows, *record(EVENTS))), {})
    settled = SettlingChecker(RegisterChecker()).check(test, History(ops(*rows, *record(EVENTS))), {})
    assert plain.valid is True  # write 3 is open: it may linearize after write 4
    assert settled.valid is False and settled.data["settled"]["did_not"] == 1


def test_settling_is_on_where_the_db_offers_a_record():
    assert settles({"db": "etcd"}) and not settles({"db": "etcd", "no_settle": True})
    unknown = History(ops(*run_with_unknowns()))
    assert not settles({"db": "zookeeper"}) and settle_final({"db": "zookeeper"}, unknown) is None
    assert settle_final({"db": "etcd"}, unknown) is not None
    assert settle_final({"db": "etcd"}, History(ops(*run_with_unknowns()[:2]))) is None


def test_the_register_section_says_what_was_settled():
    from faultline.render.sections import checker_section
    h = History(ops(*run_with_unknowns(), *record(EVENTS)))
    result = SettlingChecker(RegisterChecker()).check({"db": "etcd"}, h, {})
    html = checker_section("workload", result.to_dict(), h)
    assert "2 unknown, 1 applied (checked as ok), 1 not applied (checked as failed)" in html
