"""The watch checker on hand-made histories: a sound stream passes; a stream that skips,
repeats, reorders, splits a revision, resumes at the wrong revision or hides a compaction
is flagged with the anomaly's name."""

from __future__ import annotations

import copy

from hypothesis import given, settings, strategies as st

from faultline.checkers.watch_stream import check_watch_stream, resume_revision
from faultline.core.history import History
from faultline.core.op import FAIL, INFO, INVOKE, OK, Op


class Builder:
    """Ops appended in order; writer processes 10+, watchers 0..2."""

    def __init__(self) -> None:
        self.ops: list[Op] = []
        self.revision = 1
        self.writer = 10

    def _add(self, type_, f, value, process, node="n1"):
        self.ops.append(Op(type_, f, value, process, len(self.ops) * 1000, len(self.ops),
                           node=node))

    def write(self, mops, *, outcome=OK, f=None):
        """An acknowledged write gets the next revision when it makes events."""
        f = f or ("txn" if len(mops) > 1 else mops[0][0])
        p = self.writer
        self.writer += 1
        self._add(INVOKE, f, {"mops": [list(m) for m in mops]}, p)
        makes = any(m[0] == "put" or (m[0] == "delete" and m[2]) for m in mops)
        if makes and outcome in (OK, INFO):
            self.revision += 1
        if outcome == OK:
            self._add(OK, f, {"mops": [list(m) for m in mops], "revision": self.revision}, p)
        else:
            self._add(outcome, f, {"mops": [list(m) for m in mops]}, p)
        return self.revision

    def compact(self, revision):
        p = self.writer
        self.writer += 1
        self._add(INVOKE, "compact", revision, p)
        self._add(OK, "compact", revision, p)

    def watch(self, start, batches, process=0, **extra):
        value = {"from": start, "batches": [{"header": b[-1][0], "events": [list(e) for e in b]}
                                            for b in batches],
                 "compacted": None, "canceled": None, "broken": None, "reached": True, **extra}
        self._add(INVOKE, "watch", {"from": start}, process)
        self._add(OK, "watch", value, process)

    def history(self) -> History:
        return History(self.ops)


def sound_run() -> tuple[Builder, list[list]]:
    """Five writes (puts, a delete, a txn), and the events they made, one batch each."""
    b = Builder()
    r1 = b.write([["put", 1, 101]])
    r2 = b.write([["put", 2, 102]])
    r3 = b.write([["delete", 1, 1]])
    b.write([["delete", 5, 0]])  # nothing to delete: no event, no revision
    r4 = b.write([["put", 3, 103], ["read", 2, [102, r2], None], ["put", 4, 104]])
    r5 = b.write([["put", 1, 105]])
    events = [[[r1, 1, "put", 101]], [[r2, 2, "put", 102]], [[r3, 1, "delete", None]],
              [[r4, 3, "put", 103], [r4, 4, "put", 104]], [[r5, 1, "put", 105]]]
    return b, events


def checked(b: Builder):
    return check_watch_stream(b.history())


def test_a_sound_stream_and_a_resumed_one_pass():
    b, events = sound_run()
    b.watch(2, events[:2])
    b.watch(resume_revision(b.ops[-1].value), events[2:], process=0)
    b.watch(2, events, process=1, node="n2")
    result = checked(b)
    assert result.valid is True, result.data
    assert result.data["stats"]["sessions"] == 3 and result.data["stats"]["events"] == 12


def test_a_skipped_revision_is_missing():
    b, events = sound_run()
    b.watch(2, events[:2] + events[3:])
    result = checked(b)
    assert result.valid is False and result.data["anomaly_types"] == ["missing"]
    assert result.data["anomalies"]["missing"][0]["revision"] == events[2][0][0]


def test_a_repeated_event_is_a_duplicate():
    b, events = sound_run()
    b.watch(2, events[:3] + [events[2]] + events[3:])
    assert "duplicate" in checked(b).data["anomaly_types"]


def test_reordered_revisions_are_out_of_order():
    b, events = sound_run()
    b.watch(2, [events[1], events[0]] + events[2:])
    assert "out-of-order" in checked(b).data["anomaly_types"]


def test_a_txn_revision_split_over_two_responses_is_flagged():
    b, events = sound_run()
    txn = events[3]
    b.watch(2, events[:3] + [[txn[0]], [txn[1]]] + events[4:])
    result = checked(b)
    assert result.data["anomaly_types"] == ["split-revision"]


def test_a_resume_that_replays_or_skips_is_a_wrong_resume():
    b, events = sound_run()
    b.watch(2, events[:2])
    b.watch(4, events[1:])   # asked from revision 4, got 3 again
    b.watch(4, events[3:], process=1)  # asked from 4, first event is 5: skipped 4
    result = checked(b)
    assert result.data["anomaly_types"] == ["wrong-resume"]
    assert result.data["stats"]["counts"]["wrong-resume"] == 2


def test_events_that_differ_from_the_write_are_wrong_content():
    b, events = sound_run()
    bad = copy.deepcopy(events)
    bad[0][0][3] = 999
    b.watch(2, bad)
    assert "wrong-content" in checked(b).data["anomaly_types"]


def test_an_unknown_write_may_show_once_whole_and_a_failed_one_never():
    b, events = sound_run()
    r = b.write([["put", 6, 200], ["put", 7, 201]], outcome=INFO)
    b.write([["put", 6, 300]], outcome=FAIL)
    whole = events + [[[r, 6, "put", 200], [r, 7, "put", 201]]]
    b.watch(2, whole)
    assert checked(b).valid is True
    b.watch(2, events + [[[r, 6, "put", 200]]], process=1)  # half of the unknown txn
    b.watch(2, events + [[[r, 6, "put", 300], [r, 7, "put", 201]]], process=2)
    kinds = checked(b).data["anomaly_types"]
    assert "wrong-content" in kinds


def test_a_failed_write_seen_is_unexpected():
    b, events = sound_run()
    b.write([["put", 6, 300]], outcome=FAIL)
    b.watch(2, events + [[[7, 6, "put", 300]]])
    assert checked(b).data["anomaly_types"] == ["unexpected-event"]


def test_compaction_reported_passes_and_hidden_compaction_is_flagged():
    b, events = sound_run()
    b.compact(5)
    b.watch(2, [], compacted=5)
    b.watch(5, events[3:], process=1)
    assert checked(b).valid is True
    b.watch(2, events[3:], process=2)  # from 2, below the compaction, no error: skipped 2..4
    result = checked(b)
    assert result.data["anomaly_types"] == ["silent-compaction"]


def test_a_compaction_error_nobody_asked_for_is_unjustified():
    b, events = sound_run()
    b.watch(2, [], compacted=4)
    assert checked(b).data["anomaly_types"] == ["unjustified-compaction"]


def test_no_events_at_all_is_unknown():
    b, _ = sound_run()
    b.watch(2, [])
    assert checked(b).valid == "unknown"


def test_resume_revision_follows_the_last_event_or_the_compaction():
    assert resume_revision({"from": 3, "batches": []}) == 3
    assert resume_revision({"from": 3, "batches": [{"events": [[7, 1, "put", 1]]}]}) == 8
    assert resume_revision({"from": 3, "batches": [], "compacted": 10}) == 10


@st.composite
def streams(draw):
    """A run of random writes, and one full stream of their events from revision 2."""
    b = Builder()
    batches = []
    value = 1000
    for _ in range(draw(st.integers(3, 12))):
        keys = draw(st.lists(st.integers(0, 5), min_size=1, max_size=3, unique=True))
        mops = []
        for k in keys:
            value += 1
            mops.append(["put", k, value])
        r = b.write(mops)
        batches.append([[r, k, "put", v] for _, k, v in sorted(mops, key=lambda m: repr(m[1]))])
    return b, batches


@settings(max_examples=60, deadline=None)
@given(streams(), st.data())
def test_any_full_stream_passes_and_any_dropped_or_repeated_batch_is_flagged(run, data):
    b, batches = run
    whole = copy.deepcopy(b)
    whole.watch(2, batches)
    assert check_watch_stream(whole.history()).valid is True
    i = data.draw(st.integers(1, len(batches) - 2)) if len(batches) > 2 else None
    if i is None:
        return
    dropped = copy.deepcopy(b)
    dropped.watch(2, batches[:i] + batches[i + 1:])
    assert "missing" in check_watch_stream(dropped.history()).data["anomaly_types"]
    repeated = copy.deepcopy(b)
    repeated.watch(2, batches[:i + 1] + batches[i:])
    assert check_watch_stream(repeated.history()).data["anomaly_types"] == [
        "duplicate", "split-revision"]


def test_the_report_section_names_each_anomaly_with_its_example():
    from faultline.render.sections import checker_section
    b, events = sound_run()
    b.watch(2, events[:2] + events[3:])
    html = checker_section("watch", checked(b).to_dict(), b.history())
    assert "missing: 1" in html and f"revision {events[2][0][0]} not delivered" in html
    assert "watch sessions" in html and "missing at 0.000 s" in html
    assert "first_s" not in html  # drawn, not dumped


def test_a_watch_from_a_compaction_revision_that_drops_its_delete_is_etcd_18089():
    """etcd-io/etcd#18089 as its report reproduces it: put, put, delete (revision C), put;
    compact C; a watch from C gets only the last put."""
    b = Builder()
    b.write([["put", 1, 2]])
    b.write([["put", 1, 3]])
    c = b.write([["delete", 1, 1]])
    r = b.write([["put", 1, 6]])
    b.compact(c)
    b.watch(c, [[[r, 1, "put", 6]]])
    result = checked(b)
    assert result.data["anomaly_types"] == ["lost-delete-at-compaction"]
    assert "etcd-io/etcd#18089" in result.data["anomalies"]["lost-delete-at-compaction"][0]["explanation"]
    fixed = Builder()  # the same with the delete delivered (etcd after #18274): sound
    fixed.ops, fixed.writer = list(b.ops[:-2]), b.writer
    fixed.watch(c, [[[c, 1, "delete", None]], [[r, 1, "put", 6]]])
    assert checked(fixed).valid is True


def test_the_recorded_etcd_3_4_run_shows_the_lost_delete():
    """A 12 s run on one local etcd 3.4.23 killed and restarted once (kept, cut to the
    sessions around the compaction at 18249): the resumed session from 18249 skipped it."""
    import pathlib
    from faultline.core.history import read_jsonl
    path = pathlib.Path(__file__).parent / "data" / "watch_etcd_18089.jsonl"
    result = check_watch_stream(read_jsonl(path))
    assert result.data["anomaly_types"] == ["lost-delete-at-compaction"]


def test_a_txn_at_the_compaction_revision_delivered_without_its_delete_is_etcd_18089():
    b = Builder()
    b.write([["put", 2, 1]])
    c = b.write([["put", 1, 5], ["delete", 2, 1], ["put", 6, 7]])
    b.compact(c)
    b.watch(c, [[[c, 1, "put", 5], [c, 6, "put", 7]]])
    assert checked(b).data["anomaly_types"] == ["lost-delete-at-compaction"]


def test_historical_reads_must_agree_with_the_known_revisions():
    b, events = sound_run()
    r1, r2, r3 = (events[i][0][0] for i in range(3))   # put 1=101, put 2=102, delete 1
    b.write([["put", 7, 900], ["read", 1, [101, r1], r2]])        # right
    b.write([["put", 7, 901], ["read", 1, [101, r1], r3]])        # missed the delete at r3
    b.write([["put", 7, 902], ["read", 2, [555, r2], r2]])        # r2 put 102, not 555
    b.write([["put", 7, 903], ["read", 2, None, r3]])             # 2 was put at r2, never deleted
    b.write([["put", 7, 904], ["read", 1, None, r3]])             # right: deleted at r3
    b.watch(2, events)
    result = checked(b)
    assert result.data["anomaly_types"] == ["wrong-historical-read"]
    found = result.data["anomalies"]["wrong-historical-read"]
    assert len(found) == 3
    assert [e["read"] for e in found] == [[101, r1], [555, r2], None]


def test_two_acknowledged_writes_at_one_revision_are_a_revision_conflict():
    b, events = sound_run()
    b.write([["put", 6, 700]])
    b.revision -= 1   # the next write is acknowledged at the same revision (another member)
    b.write([["put", 7, 701]])
    b.watch(2, events)
    result = checked(b)
    assert result.data["anomaly_types"] == ["revision-conflict"]
    assert result.data["anomalies"]["revision-conflict"][0]["revision"] == b.revision


def test_the_recorded_etcd_3_4_divergence_is_a_revision_conflict():
    """etcd-io/etcd#18667 as a 3-node compose etcd 3.4.23 showed it (30 s watch run under
    kill and partition; cut to revisions 948-962): a txn with a range at revision 536 failed
    on n1 (compacted at 751 meanwhile) and applied on n2 and n3, so from then on n1's
    revisions are one behind: two acknowledged writes at each revision, and n1's watch
    disagrees with the others' writes."""
    import pathlib
    from faultline.core.history import read_jsonl
    history = read_jsonl(pathlib.Path(__file__).parent / "data" / "watch_etcd_18667.jsonl")
    result = check_watch_stream(history)
    assert "revision-conflict" in result.data["anomaly_types"]
    conflict = result.data["anomalies"]["revision-conflict"][0]
    assert "n1" in conflict["nodes"]
    failed = [op for op in history if op.type == "fail" and op.f == "txn"]
    assert failed and "compacted" in failed[0].error and failed[0].node == "n1"


# ---- when each anomaly was first shown (first_s) ---------------------------------------

def test_first_shown_is_the_earliest_session_showing_each_kind():
    b, events = sound_run()                       # ops 0-11, 1 us apart
    b.watch(2, events[:2] + [events[1]] + events[2:])   # ok at op 13: duplicate (and split)
    b.watch(2, events[:2] + events[3:], process=1)                 # op 15: missing
    b.watch(2, events[:1] + events[2:], process=2)                 # op 17: missing again
    result = checked(b)
    assert result.data["first_s"] == {"duplicate": 13e-6, "missing": 15e-6,
                                      "split-revision": 13e-6}
    assert [e["session"]["completed_s"] for e in result.data["anomalies"]["missing"]] \
        == [15e-6, 17e-6]
    b, events = sound_run()
    b.watch(2, events)
    assert checked(b).data["first_s"] == {}


def test_first_shown_conflict_and_historical_read_are_at_their_write():
    b, events = sound_run()
    r1, r3 = events[0][0][0], events[2][0][0]
    b.write([["put", 6, 700]])
    b.revision -= 1
    b.write([["put", 7, 701]])                                     # ok at op 15
    b.write([["put", 8, 900], ["read", 1, [101, r1], r3]])         # ok at op 17: missed r3
    b.watch(2, events)
    assert checked(b).data["first_s"] == {"revision-conflict": 15e-6,
                                          "wrong-historical-read": 17e-6}
