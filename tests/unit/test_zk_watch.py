"""The ZooKeeper watch checker on hand-made histories: a connection that keeps ZooKeeper's
watch promises passes (hand-written, and simulated: a server applying writes in zxid
order, firing one-time watches, answering re-arming reads, in random interleavings);
a missed or late event, data older after an event, a view going back, events out of
zxid order, wrong or unexpected values and two writes at one zxid are flagged by name."""

from __future__ import annotations

import random

import pytest
from hypothesis import given, settings, strategies as st

from faultline.checkers.zk_watch import check_zk_watch
from faultline.core.history import History
from faultline.core.op import FAIL, INFO, INVOKE, OK, Op


class Builder:
    """Ops appended in order, 1 ms apart; writers are processes 10+, the watcher 0."""

    def __init__(self) -> None:
        self.ops: list[Op] = []
        self.writer = 10

    def _add(self, type_, f, value, process, node="n1"):
        self.ops.append(Op(type_, f, value, process, len(self.ops) * 1_000_000,
                           len(self.ops), node=node))

    def write(self, puts, zxid, *, outcome=OK):
        """A put (one key) or txn of ``puts`` [(key, value), ...] acknowledged at ``zxid``."""
        mops = [["put", k, v] for k, v in puts]
        f = "put" if len(mops) == 1 else "txn"
        p = self.writer
        self.writer += 1
        self._add(INVOKE, f, {"mops": mops}, p)
        self._add(outcome, f, {"mops": mops, "zxid": zxid} if outcome == OK else None, p)
        return self

    def watch(self, log, process=0, broken=None):
        self._add(INVOKE, "watch", {"keys": [0, 1, 2]}, process)
        self._add(OK, "watch", {"keys": [0, 1, 2], "log": log, "broken": broken}, process)
        return self

    def history(self) -> History:
        return History(self.ops)


def read(k, value, mzxid, zxid):
    return ["read", k, value, mzxid, 0, zxid]


def event(k):
    return ["event", k, "CHANGED"]


def checked(b: Builder):
    return check_zk_watch(b.history())


def base() -> Builder:
    """Key 0 written at zxids 5 and 8, key 1 at 6 (with key 2: a multi), key 2 at 9."""
    return (Builder().write([(0, 100)], 5).write([(1, 101), (2, 102)], 6)
            .write([(0, 103)], 8).write([(2, 104)], 9))


# ---- sound connections ---------------------------------------------------------------

def test_events_before_the_new_data_and_re_armed_reads_pass():
    b = base().watch([read(0, 100, 5, 6), read(1, 101, 6, 6), read(2, 102, 6, 7),
                      event(0), read(0, 103, 8, 8),         # key 0's watch fired at 8
                      event(2), read(2, 104, 9, 9)])
    result = checked(b)
    assert result.valid is True, result.data
    assert result.data["stats"]["reads"] == 5 and result.data["stats"]["events"] == 2
    assert result.data["first_s"] == {}


def test_changes_between_an_event_and_the_re_arming_read_may_be_missed():
    # key 0 armed at 5; its event (for 8); the re-read already shows 11: 8 to 11 unseen
    b = base().write([(0, 105)], 11)
    b.watch([read(0, 100, 5, 5), event(0), read(0, 105, 11, 11)])
    assert checked(b).valid is True


def test_an_absent_znode_watched_for_its_creation_passes():
    b = Builder().write([(0, 1)], 7)
    b.watch([read(0, None, None, 4), ["event", 0, "CREATED"], read(0, 1, 7, 7)])
    assert checked(b).valid is True


def test_the_log_is_checked_only_until_the_connection_was_lost():
    b = base().watch([read(0, 100, 5, 5), ["state", "SUSPENDED"], read(1, 101, 6, 9)],
                     broken="SUSPENDED")
    result = checked(b)
    assert result.valid is True and result.data["stats"]["broken_sessions"] == 1


def test_no_read_at_all_is_unknown():
    assert checked(base().watch([])).valid == "unknown"


# ---- planted anomalies ---------------------------------------------------------------

def test_a_reply_after_a_change_of_a_watched_znode_before_its_event_is_a_missed_event():
    # key 0 watched at 5; a reply at zxid 8 (key 0 changed at 8) comes before any event
    b = base().watch([read(0, 100, 5, 5), read(1, 101, 6, 8), event(0), read(0, 103, 8, 8)])
    result = checked(b)
    assert result.data["anomaly_types"] == ["missed-event"]
    (found,) = result.data["anomalies"]["missed-event"]
    assert found["key"] == 0 and found["revision"] == 8
    assert result.data["first_s"] == {"missed-event": found["session"]["completed_s"]}


def test_new_data_read_without_its_event_is_a_missed_event():
    b = base().watch([read(0, 100, 5, 5), read(0, 103, 8, 8)])
    assert checked(b).data["anomaly_types"] == ["missed-event"]


def test_an_event_followed_by_old_data_is_stale_after_event():
    b = base().watch([read(0, 100, 5, 5), event(0), read(0, 100, 5, 5)])
    assert checked(b).data["anomaly_types"] == ["stale-after-event"]


def test_a_view_that_goes_back_is_flagged():
    b = base().watch([read(2, 104, 9, 9), read(1, 101, 6, 7)])   # header 7 after 9
    assert checked(b).data["anomaly_types"] == ["went-back"]


def test_events_against_zxid_order_are_out_of_order():
    # key 2's change (9) announced before key 0's (8)
    b = base().watch([read(0, 100, 5, 6), read(2, 102, 6, 6), event(2), event(0),
                      read(2, 104, 9, 9), read(0, 103, 8, 9)])
    assert checked(b).data["anomaly_types"] == ["out-of-order"]


def test_events_of_a_key_with_an_unknown_write_are_not_ordered():
    b = base().write([(2, 200)], None, outcome=INFO)
    b.watch([read(0, 100, 5, 6), read(2, 102, 6, 6), event(2), event(0),
             read(2, 104, 9, 9), read(0, 103, 8, 9)])
    assert checked(b).valid is True


@pytest.mark.parametrize("item, kind", [
    (read(0, 103, 5, 5), "wrong-content"),      # 103 was acknowledged at 8
    (read(0, 999, 7, 7), "unexpected-value"),   # never written (7: no acknowledged write)
    (read(0, None, 5, 5), "wrong-content"),     # initial data after the write at 5
])
def test_values_that_contradict_the_writes(item, kind):
    assert checked(base().watch([item])).data["anomaly_types"] == [kind]


def test_a_value_of_a_failed_write_is_unexpected():
    b = base().write([(1, 300)], None, outcome=FAIL).watch([read(1, 300, 12, 12)])
    assert checked(b).data["anomaly_types"] == ["unexpected-value"]


def test_two_acknowledged_writes_at_one_zxid_are_a_revision_conflict():
    b = base().write([(1, 400)], 9).watch([read(0, 100, 5, 5)])
    assert checked(b).data["anomaly_types"] == ["revision-conflict"]


# ---- simulated ZooKeeper connections ---------------------------------------------------

def simulate(rng: random.Random, writes: int, keys: int = 3) -> tuple[Builder, list]:
    """One connection to a server that keeps the promises: writes applied in zxid order
    fire the armed watches (events queued in order), reads answered in request order
    set a watch; the client re-reads a key when its event arrives."""
    b = Builder()
    state = {k: (None, None) for k in range(keys)}
    zxid, value = 3, 0
    watched: set[int] = set()
    requests = list(range(keys))      # the arming reads, then re-reads
    log: list[list] = []
    left = writes
    while left or requests:
        if left and (not requests or rng.random() < 0.5):
            zxid += rng.randint(1, 3)   # other sessions' transactions in between
            chosen = rng.sample(range(keys), rng.randint(1, min(2, keys)))
            puts = []
            for k in chosen:
                value += 1
                state[k] = (value, zxid)
                puts.append((k, value))
            b.write(puts, zxid)
            for k in sorted(chosen):
                if k in watched:
                    watched.discard(k)
                    log.append(["event", k, "CHANGED"])
                    requests.append(k)
            left -= 1
        else:
            k = requests.pop(0)
            v, mz = state[k]
            log.append(["read", k, v, mz, 0 if mz else None, zxid])
            watched.add(k)
    return b, log


@settings(max_examples=80, deadline=None)
@given(st.integers(0, 10_000), st.integers(1, 25))
def test_any_simulated_sound_connection_passes_and_a_dropped_event_is_found(seed, writes):
    rng = random.Random(seed)
    b, log = simulate(rng, writes)
    result = check_zk_watch(b.watch(log).history())
    assert result.valid is True, (log, result.data)
    events = [i for i, item in enumerate(log) if item[0] == "event"]
    later_reply = [i for i in events if any(x[0] == "read" for x in log[i + 1:])]
    if later_reply:   # drop an event that some reply follows: the reply betrays it
        i = rng.choice(later_reply)
        b2, _ = simulate(random.Random(seed), writes)
        dropped = check_zk_watch(b2.watch(log[:i] + log[i + 1:]).history())
        assert dropped.valid is False, (i, log)


def test_the_watch_section_draws_a_zookeeper_result():
    from faultline.render.sections import checker_section
    b = base().watch([read(0, 100, 5, 5), read(1, 101, 6, 8), event(0), read(0, 103, 8, 8)])
    html = checker_section("workload", checked(b).to_dict(), b.history())
    assert "missed-event: 1" in html and "before its watch event" in html
    assert "reads that set a watch" in html and "acknowledged writes" in html
    assert "first shown" in html and "None" not in html
