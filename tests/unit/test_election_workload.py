"""The election workload's generator with simulated time and a fake election record: one
leader acts between its renews, the others renew every retry period, and the history of
a record taken over only by compare-and-swap is valid; the client's record is client-go's."""

from faultline.checkers.election_terms import check_election
from faultline.core.generator import time_limit
from faultline.core.generator.testing import simulate
from faultline.core.history import History
from faultline.core.op import FAIL, INFO, INVOKE, OK
from faultline.dbs.etcd.election_client import record_for
from faultline.workloads import WORKLOADS
from faultline.workloads.election import WORKLOAD as election

NS = 1_000_000_000


def election_service(lease_s=3.0, fail_every=0):
    """complete(invoke): the record's holder keeps it while it renews; another takes it
    when the holder has not renewed for ``lease_s``. ``fail_every`` n: every n-th act ends
    ``info`` (not written)."""
    state = {"holder": None, "renewed": 0, "revision": 0, "term": None, "acts": 0}
    log = []

    def complete(inv):
        if inv.f == "renew":
            if state["holder"] not in (None, inv.process) and \
                    inv.time - state["renewed"] < lease_s * NS:
                return OK, {"leader": False, "holder": state["holder"]}
            state["revision"] += 1
            took_over = state["holder"] != inv.process
            if took_over:
                state["term"] = state["revision"]
            state.update(holder=inv.process, renewed=inv.time)
            return OK, {"leader": True, "term": state["term"], "took_over": took_over,
                        "revision": state["revision"]}
        if inv.f == "act":
            if state["holder"] != inv.process:
                return FAIL, None
            state["acts"] += 1
            if fail_every and state["acts"] % fail_every == 0:
                state["holder"] = None  # the retired leader's record ages out
                return INFO, {"term": state["term"], "revision": None}
            state["revision"] += 1
            log.append([state["revision"], inv.process, state["term"]])
            return OK, {"term": state["term"], "revision": state["revision"]}
        return OK, sorted(log)
    return complete


def run(service, seconds=3.0):
    history = simulate(time_limit(seconds, election.generator({})), concurrency=4,
                       complete=service, latency_s=0.005)
    end = history[-1].time
    final = [op.with_(process=100, time=end + 1 + op.time, index=-1)
             for op in simulate(election.final_generator({}, history), concurrency=1,
                                complete=service)]
    return History(list(history) + final)


def test_registered_with_its_options():
    assert WORKLOADS.get("election") is election
    assert {o.name for o in election.options} == {"election_lease_s", "election_clock_rate",
                                                  "election_renew_deadline_s",
                                                  "election_retry_s"}


def test_the_leader_acts_between_renews_and_candidates_renew_each_retry_period():
    history = run(election_service())
    renews = {}
    for op in history:
        if op.type == INVOKE and op.f == "renew":
            renews.setdefault(op.process, []).append(op.time)
    acts = [op for op in history if op.type == OK and op.f == "act"]
    leaders = {op.process for op in acts}
    assert len(leaders) == 1 and len(acts) > 20
    for p, times in renews.items():
        gaps = [b - a for a, b in zip(times, times[1:])]
        assert gaps and min(gaps) >= 0.5 * NS * 0.99, (p, gaps)
        assert max(gaps) < 0.5 * NS + 0.1 * NS


def test_the_history_of_a_cas_guarded_record_is_valid():
    result = check_election(run(election_service()))
    assert result.valid is True, result.data
    assert result.data["counts"]["terms"] >= 1


def test_a_leader_ending_info_is_replaced_and_another_takes_over():
    history = run(election_service(lease_s=0.5, fail_every=15), seconds=4.0)
    assert any(op.type == INFO for op in history)
    result = check_election(history)
    assert result.valid is True, result.data
    assert result.data["counts"]["leaders"] >= 2


def test_the_record_is_client_gos():
    first = record_for("p1", 3.0, None, 0.0)
    assert first["holderIdentity"] == "p1" and first["leaderTransitions"] == 0
    assert set(first) == {"holderIdentity", "leaseDurationSeconds", "acquireTime",
                          "renewTime", "leaderTransitions"}
    renewed = record_for("p1", 3.0, first, 10.0)
    assert renewed["acquireTime"] == first["acquireTime"]
    assert renewed["renewTime"] != first["renewTime"] and renewed["leaderTransitions"] == 0
    taken = record_for("p2", 3.0, renewed, 20.0)
    assert taken["acquireTime"] == taken["renewTime"] and taken["leaderTransitions"] == 1
