"""The lock checker on hand-made histories: overlapping holders planted (duplicate reads,
lost increments, unexpected values, overlapping guarded ops, a mutex violation), each
with when it was first shown, and serial executions (hypothesis) found valid."""

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from faultline.checkers.lock_guard import check_lock
from faultline.core.errors import BadInputError
from faultline.core.history import History
from faultline.core.op import Op
from faultline.core.vocabulary import LOCK_LOST

MS = 1_000_000


class H:
    """A history written event by event, one millisecond apart; ops on lock key 0."""

    def __init__(self):
        self.ops = []

    def ev(self, type_, p, f, value=None, error=None, key=0):
        self.ops.append(Op(type=type_, f=f, value=value, process=p, key=key,
                           time=len(self.ops) * MS, node="n1", error=error))
        return self

    def acquire(self, p):
        return self.ev("invoke", p, "acquire").ev("ok", p, "acquire", 1)

    def incr(self, p, read):
        return self.ev("invoke", p, "incr").ev("ok", p, "incr", [read, read + 1])

    def release(self, p):
        return self.ev("invoke", p, "release").ev("ok", p, "release")

    def hold(self, p, read):
        return self.acquire(p).incr(p, read).release(p)

    def final(self, value):
        return self.ev("invoke", 99, "read").ev("ok", 99, "read", value)

    def history(self):
        return History(self.ops)


def test_serial_holders_are_valid():
    h = H().hold(0, 0).hold(1, 1).hold(2, 2).final(3).history()
    result = check_lock(h)
    assert result.valid is True, result.data
    key = result.data["keys"]["0"]
    assert key["acknowledged"] == 3 and key["final"] == 3
    assert result.data["mutex"]["valid"] is True


def test_two_holders_reading_the_same_value_are_named_and_one_increment_lost():
    # p0 and p1 both hold (the lock service let both in) and both read 0.
    h = (H().acquire(0).acquire(1).incr(0, 0).incr(1, 0).release(0).release(1)
         .final(1).history())
    result = check_lock(h)
    assert result.valid is False
    key = result.data["keys"]["0"]
    assert key["counts"]["duplicate_reads"] == 1
    assert {r["process"] for r in key["duplicate_reads"][0]["incrs"]} == {0, 1}
    assert key["counts"]["lost"] == 1 and key["shortfall"] == 1
    assert result.data["mutex"]["valid"] is False  # two acquires ok, no release between
    assert "not-a-mutex" in result.data["anomaly_types"]


def test_a_stale_holder_setting_the_counter_back_loses_the_later_increments():
    # p0 reads 0, stalls; p1, p2 increment 0->1->2; p0's write of 1 lands last.
    h = H().acquire(0)
    h.ev("invoke", 0, "incr")
    h.hold(1, 0).hold(2, 1)
    h.ev("ok", 0, "incr", [0, 1]).release(0).final(1)
    result = check_lock(h.history())
    key = result.data["keys"]["0"]
    assert result.valid is False
    assert [lost["process"] for lost in key["lost"]] == [2]  # wrote 2, final is 1
    assert key["counts"]["overlapping"] >= 1  # p0's incr spans p1's and p2's
    assert key["counts"]["duplicate_reads"] == 1


def test_overlapping_guarded_ops_without_value_conflicts_are_reported():
    h = H().acquire(0)
    h.ev("invoke", 0, "incr").ev("invoke", 1, "incr")
    h.ev("ok", 0, "incr", [0, 1]).ev("ok", 1, "incr", [1, 2])
    h.release(0).final(2)
    key = check_lock(h.history()).data["keys"]["0"]
    assert key["counts"]["overlapping"] == 1
    pair = key["overlapping"][0]
    assert {pair["first"]["process"], pair["second"]["process"]} == {0, 1}


def test_a_value_nobody_wrote_is_unexpected():
    h = H().hold(0, 0).hold(1, 5).final(6).history()
    key = check_lock(h).data["keys"]["0"]
    # 5 was read but never written; the final 6 is above the 2 increments attempted.
    assert [u["value"] for u in key["unexpected"]] == [5, 6]


def test_unknown_increments_may_or_may_not_count():
    # p0's incr ends info: p0 is retired holding the lock; its closed client frees it.
    h = H().acquire(0)
    h.ev("invoke", 0, "incr").ev("info", 0, "incr", [0, 1], error="timeout")
    h.hold(1, 1).final(2)
    assert check_lock(h.history()).valid is True
    h2 = H().acquire(0)
    h2.ev("invoke", 0, "incr").ev("info", 0, "incr", [0, 1], error="timeout")
    h2.hold(1, 0).final(1)  # the unknown write did not land: p1 read 0
    assert check_lock(h2.history()).valid is True


def test_a_retired_holder_releases_only_after_it_ended():
    h = H().acquire(0)
    h.ev("invoke", 0, "incr")
    h.acquire(1)  # p1 got the lock while p0 still held it
    h.ev("info", 0, "incr", [0, 1], error="timeout")
    h.incr(1, 1).release(1).final(2)
    assert check_lock(h.history()).data["mutex"]["valid"] is False


def test_no_final_read_is_unknown_unless_something_was_found():
    assert check_lock(H().hold(0, 0).history()).valid == "unknown"
    h = H().acquire(0).acquire(1).incr(0, 0).incr(1, 0).history()
    assert check_lock(h).valid is False


def test_a_lost_lease_is_recorded_and_the_overlap_is_the_finding():
    h = H().acquire(0)
    h.ev("invoke", 0, "incr")
    h.hold(1, 0)
    h.ev("ok", 0, "incr", [0, 1])
    h.ev("invoke", 0, "release").ev("info", 0, "release",
                                    error=f"{LOCK_LOST}: lease 7 expired while held")
    h.final(1)
    result = check_lock(h.history())
    assert result.valid is False
    assert result.data["lock_lost_count"] == 1
    assert result.data["lock_lost"][0]["process"] == 0


def test_keys_are_checked_apart():
    h = H()
    h.ev("invoke", 0, "acquire", key=0).ev("ok", 0, "acquire", key=0)
    h.ev("invoke", 1, "acquire", key=1).ev("ok", 1, "acquire", key=1)
    h.ev("invoke", 0, "incr", key=0).ev("ok", 0, "incr", [0, 1], key=0)
    h.ev("invoke", 1, "incr", key=1).ev("ok", 1, "incr", [0, 1], key=1)
    h.ev("invoke", 9, "read", key=0).ev("ok", 9, "read", 1, key=0)
    h.ev("invoke", 9, "read", key=1).ev("ok", 9, "read", 1, key=1)
    result = check_lock(h.history())
    assert result.valid is True, result.data
    assert result.data["first_s"] == {}
    assert set(result.data["keys"]) == {"0", "1"}


@pytest.mark.parametrize("value", [[0, 2], [0], "x", [True, 1]])
def test_a_malformed_incr_is_refused(value):
    h = H().acquire(0).ev("invoke", 0, "incr").ev("ok", 0, "incr", value).history()
    with pytest.raises(BadInputError):
        check_lock(h)


@settings(max_examples=60, deadline=None)
@given(st.lists(st.tuples(st.integers(0, 4), st.sampled_from(["ok", "info", "fail"])),
                min_size=1, max_size=25))
def test_serial_executions_are_valid(holds):
    """Holders one after another: each reads what the last write left (an unknown one
    landed or not, at random but consistently), so nothing overlaps."""
    h, counter = H(), 0
    for i, (thread, outcome) in enumerate(holds):
        p = thread + 10 * i  # a process ending info is replaced: ids never repeat after one
        h.acquire(p).ev("invoke", p, "incr")
        if outcome == "ok":
            h.ev("ok", p, "incr", [counter, counter + 1])
            counter += 1
        elif outcome == "fail":
            h.ev("fail", p, "incr")
        else:
            h.ev("info", p, "incr", [counter, counter + 1], error="timeout")
            counter += i % 2  # landed or not
            continue  # retired, holding: its closed client frees the lock
        h.release(p)
    h.final(counter)
    result = check_lock(h.history())
    assert result.valid is True, result.data
    assert result.data["first_s"] == {}


# ---- when each anomaly was first shown (first_s) ---------------------------------------

def test_first_shown_two_holders_reading_one_value():
    # ops 5 and 7 (p0, p1 incr ok at 5 and 7 ms) read 0; p1's acquire ok at 3 ms broke the
    # mutex; the final read (13 ms) shows the shortfall later than the duplicate.
    h = (H().acquire(0).acquire(1).incr(0, 0).incr(1, 0).release(0).release(1)
         .final(1).history())
    result = check_lock(h)
    assert result.data["keys"]["0"]["first_s"] == {"duplicate_reads": 0.007, "lost": 0.007}
    assert result.data["first_s"] == {"duplicate_reads": 0.007, "lost": 0.007,
                                      "not-a-mutex": 0.003}


def test_first_shown_overlap_is_the_later_completion_of_the_first_pair_to_complete():
    # p0 [0, 5] overlaps both others (the first example, complete at 5 ms); p2 [1, 3] and
    # p1 [2, 4] overlap each other, both complete at 4 ms: first shown then.
    h = H()
    h.ev("invoke", 0, "incr").ev("invoke", 2, "incr").ev("invoke", 1, "incr")
    h.ev("ok", 2, "incr", [0, 1]).ev("ok", 1, "incr", [1, 2]).ev("ok", 0, "incr", [2, 3])
    h.final(3)
    key = check_lock(h.history()).data["keys"]["0"]
    assert key["overlapping"][0]["first"]["process"] == 0
    assert key["first_s"] == {"overlapping": 0.004}


def test_first_shown_lost_write_is_the_first_read_below_it():
    # p1 0->1, p2 1->2 (ok at 12 ms); p0's stale write of 1 lands (its incr ended info);
    # p3, invoked after p2's write, reads 1 < 2 (its own write's outcome unknown, at 19 ms);
    # the final read of 1 comes later: p2's increment is lost, first shown by p3's read.
    h = H().acquire(0)
    h.ev("invoke", 0, "incr")
    h.hold(1, 0).hold(2, 1)
    h.ev("info", 0, "incr", [0, 1], error="timeout")
    h.acquire(3).ev("invoke", 3, "incr").ev("info", 3, "incr", [1, 2], error="timeout")
    h.final(1)
    result = check_lock(h.history())
    key = result.data["keys"]["0"]
    assert [lost["process"] for lost in key["lost"]] == [2]
    assert key["counts"]["duplicate_reads"] == 0 and key["first_s"]["lost"] == 0.019


def test_first_shown_lost_without_a_later_read_is_the_final_read():
    h = H().hold(0, 0).hold(1, 1).final(1)   # p1's write of 2 vanished; final read at 13 ms
    assert check_lock(h.history()).data["keys"]["0"]["first_s"] == {"lost": 0.013}


def test_first_shown_unexpected_value_is_the_read_that_saw_it():
    h = H().hold(0, 0).hold(1, 5).final(6).history()   # p1 read 5 (ok at 9 ms)
    assert check_lock(h).data["keys"]["0"]["first_s"] == {"unexpected": 0.009}
