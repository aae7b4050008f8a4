"""The election checker on hand-made histories: a stale leader's action planted after a
later term began (and not), lost and unexpected log entries, and serial terms
(hypothesis) valid."""

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from faultline.checkers.election_terms import check_election
from faultline.core.errors import BadInputError
from faultline.core.history import History
from faultline.core.op import Op

MS = 1_000_000


class H:
    """A history written event by event, one millisecond apart, with a revision counter
    standing for etcd's."""

    def __init__(self):
        self.ops, self.revision = [], 0

    def ev(self, type_, p, f, value=None, error=None):
        self.ops.append(Op(type=type_, f=f, value=value, process=p, time=len(self.ops) * MS,
                           error=error))
        return self

    def take(self, p):
        """p takes the record over: its term is the revision of that write."""
        self.revision += 1
        self.ev("invoke", p, "renew").ev("ok", p, "renew", {"leader": True, "term": self.revision,
                                                             "took_over": True,
                                                             "revision": self.revision})
        return self.revision

    def act(self, p, term, revision=None):
        if revision is None:
            self.revision += 1
            revision = self.revision
        return self.ev("invoke", p, "act").ev("ok", p, "act", {"term": term,
                                                                "revision": revision})

    def read_log(self, entries):
        return self.ev("invoke", 9, "read-log").ev("ok", 9, "read-log", entries)

    def log_of_acts(self):
        return sorted([op.value["revision"], op.process, op.value["term"]]
                      for op in self.ops if op.f == "act" and op.type == "ok")

    def history(self):
        return History(self.ops)


def test_terms_one_after_another_are_valid():
    h = H()
    t1 = h.take(0)
    h.act(0, t1).act(0, t1)
    t2 = h.take(1)
    h.act(1, t2)
    h.read_log(h.log_of_acts())
    result = check_election(h.history())
    assert result.valid is True, result.data
    assert result.data["counts"]["terms"] == 2 and result.data["counts"]["entries"] == 3
    assert [t["acts"] for t in result.data["terms"]] == [2, 1]


def test_a_leader_acting_after_the_next_term_began_is_named():
    h = H()
    t1 = h.take(0)
    h.act(0, t1)
    h.ev("invoke", 0, "act")  # p0's act is slow (its node paused) ...
    t2 = h.take(1)  # ... p1 takes over ...
    h.act(1, t2)
    h.revision += 1
    h.ev("ok", 0, "act", {"term": t1, "revision": h.revision})  # ... and p0's lands after
    h.read_log(h.log_of_acts())
    result = check_election(h.history())
    assert result.valid is False
    (stale,) = result.data["stale"]
    assert stale["candidate"] == 0 and stale["term"] == t1 and stale["during_term"] == t2
    assert stale["leader_then"] == 1
    assert stale["act_s"] == 0.009   # p0's act completed at op 9
    assert result.data["first_s"] == {"stale": 0.009}


def test_an_info_act_that_landed_late_is_found_in_the_final_log():
    h = H()
    t1 = h.take(0)
    h.ev("invoke", 0, "act").ev("info", 0, "act", {"term": t1, "revision": None},
                                error="timeout")
    t2 = h.take(1)
    h.read_log([[t2 + 1, 0, t1]])  # the unknown act of term 1 landed after term 2 began
    result = check_election(h.history())
    assert result.data["counts"]["stale"] == 1
    assert result.data["stale"][0]["act_s"] == 0.003   # its info completion (op 3)


def test_lost_and_unexpected_entries():
    h = H()
    t1 = h.take(0)
    h.act(0, t1).act(0, t1)
    h.read_log([h.log_of_acts()[0], [50, 7, 42]])  # one ack missing; term 42 never began
    result = check_election(h.history())
    assert result.valid is False
    assert result.data["counts"]["lost"] == 1 and result.data["counts"]["unexpected"] == 1
    assert result.data["unexpected"][0]["why"] == "no renew began this term"
    # no act wrote the entry of term 42, and the lost act shows only in the final read
    assert result.data["unexpected"][0]["act_s"] is None
    assert result.data["first_s"] == {"lost": 0.007, "unexpected": 0.007}


def test_without_a_final_read_acks_are_checked_and_the_verdict_is_unknown():
    h = H()
    t1 = h.take(0)
    h.act(0, t1)
    assert check_election(h.history()).valid == "unknown"


def test_a_malformed_log_is_refused():
    h = H()
    h.take(0)
    h.read_log([["x", 0, 1]])
    with pytest.raises(BadInputError):
        check_election(h.history())


@settings(max_examples=60, deadline=None)
@given(st.lists(st.tuples(st.integers(0, 4), st.integers(0, 4)), min_size=1, max_size=20))
def test_serial_terms_are_valid(terms):
    """Leaders one after another, each acting only within its own term."""
    h = H()
    for leader, n_acts in terms:
        term = h.take(leader)
        for _ in range(n_acts):
            h.act(leader, term)
    h.read_log(h.log_of_acts())
    result = check_election(h.history())
    assert result.valid is True and result.data["first_s"] == {}


def test_the_section_names_the_stale_leader_and_who_led_then():
    from faultline.render.sections import checker_section
    h = H()
    t1 = h.take(0)
    t2 = h.take(1)
    h.act(0, t1)  # p0 acts after p1 took over
    result = check_election(h.read_log(h.log_of_acts()).history()).to_dict()
    html = checker_section("workload", result, None)
    assert "INVALID" in html and "Stale actions" in html
    assert f"p1 (term {t2}, since" in html and "stale at 0.005 s" in html
    valid = H()
    valid.act(0, valid.take(0))
    html = checker_section("workload", check_election(valid.read_log(valid.log_of_acts())
                                                      .history()).to_dict(), None)
    assert "VALID" in html and "Stale actions" not in html
