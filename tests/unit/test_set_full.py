"""The set-full checker on hand-made histories: each class of element planted, and not."""

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from faultline.checkers.set_full import check_set_full, quantiles, ranges_text
from faultline.core.errors import BadInputError
from faultline.core.history import History
from faultline.core.op import Op

MS = 1_000_000


class H:
    """A history written event by event, one millisecond apart."""

    def __init__(self):
        self.ops = []

    def _op(self, type_, p, f, value=None, node=None):
        self.ops.append(Op(type=type_, f=f, value=value, process=p, time=len(self.ops) * MS,
                           node=node))
        return self

    def inv(self, p, f, value=None):
        return self._op("invoke", p, f, value)

    def ok(self, p, f, value=None, node="n1"):
        return self._op("ok", p, f, value, node)

    def fail(self, p, f, value=None):
        return self._op("fail", p, f, value)

    def info(self, p, f, value=None):
        return self._op("info", p, f, value)

    def add(self, p, e):
        return self.inv(p, "add", e).ok(p, "add", e)

    def read(self, p, elements):
        return self.inv(p, "read").ok(p, "read", list(elements))

    def check(self, **kw):
        result = check_set_full(History(self.ops), **kw)
        return result, result.data


def test_serial_adds_and_reads_are_valid_and_every_element_stable():
    h = H()
    for e in range(5):
        h.add(0, e).read(1, range(e + 1))
    result, data = h.check(linearizable=True)
    assert result.valid is True
    assert data["kind"] == "set"
    counts = data["counts"]
    assert counts["attempted"] == counts["acknowledged"] == counts["stable"] == 5
    assert all(counts[c] == 0 for c in ("lost", "stale", "never_read", "unexpected",
                                         "flapping", "duplicated", "recovered"))
    assert data["elements"] == {"stable": "0-4"}
    # each read begins 1 ms after its add's ack and completes 2 ms after the add began
    assert data["latencies_ms"]["visible_after_ack"]["max"] == 1.0
    assert data["latencies_ms"]["visible_after_invoke"]["p50"] == 3.0
    assert data["latencies_ms"]["stable"]["max"] == 0.0


def test_an_element_seen_then_missing_from_every_later_read_is_lost():
    h = H().add(0, 1).add(0, 2).read(1, [1, 2]).read(1, [2]).read(2, [2])
    result, data = h.check()
    assert result.valid is False
    assert data["counts"]["lost"] == 1 and data["elements"]["lost"] == "1"
    lost = data["examples"]["lost"][0]
    assert lost["element"] == 1 and lost["added"]["type"] == "ok"
    assert lost["last_seen"]["index"] == 4 and lost["last_missed"]["index"] == 8
    assert data["counts"]["stable"] == 1
    assert data["latencies_ms"]["lost"]["max"] == 3.0  # ack at 1 ms, last read showing it at 4


def test_an_acknowledged_add_missing_from_the_final_read_is_lost_even_if_never_seen():
    result, data = H().add(0, 7).add(0, 8).read(1, [8]).check()
    assert result.valid is False
    ex = data["examples"]["lost"][0]
    assert ex["element"] == 7 and ex["last_seen"] is None and ex["first_seen"] is None
    assert data["latencies_ms"]["lost"]["max"] == 0.0


def test_a_read_begun_after_the_ack_that_misses_is_stale_and_only_invalid_if_linearizable():
    h = H().add(0, 0).read(1, []).read(1, [0])
    result, data = h.check()
    assert result.valid is True
    assert data["counts"]["stale"] == 1 and data["counts"]["stable"] == 1
    assert data["examples"]["stale"][0]["stable_latency_ms"] == 1.0
    assert h.check(linearizable=True)[0].valid is False


def test_a_concurrent_read_missing_an_element_is_neither_stale_nor_lost():
    # read invoked before the add completed: it may have been ordered before the add
    h = H().inv(0, "add", 0).inv(1, "read").ok(0, "add", 0).ok(1, "read", []).read(1, [0])
    result, data = h.check(linearizable=True)
    assert result.valid is True
    assert data["counts"]["stale"] == 0 and data["counts"]["stable"] == 1


def test_never_read_elements_and_nothing_stable_is_unknown():
    h = H().read(1, []).add(0, 0).inv(0, "add", 1).info(0, "add", 1)
    result, data = h.check()
    assert result.valid == "unknown" and "stay" in data["reason"]
    assert data["counts"]["never_read"] == 2 and data["elements"]["never_read"] == "0-1"


def test_no_successful_read_is_unknown():
    h = H().add(0, 0).inv(1, "read").fail(1, "read")
    result, data = h.check()
    assert result.valid == "unknown" and data["counts"]["reads"] == {"ok": 0, "fail": 1, "info": 0}


def test_an_unknown_add_shown_later_is_recovered_and_stable():
    h = H().inv(0, "add", 3).info(0, "add", 3).read(1, [3]).read(1, [3])
    result, data = h.check()
    assert result.valid is True
    assert data["counts"]["recovered"] == 1 and data["counts"]["stable"] == 1
    assert data["counts"]["acknowledged"] == 0
    assert "visible_after_ack" not in data["latencies_ms"]  # it was never acknowledged


@pytest.mark.parametrize("plant, why", [
    (lambda h: h.add(0, 0).read(1, [0, 99]), "never added"),
    (lambda h: h.inv(0, "add", 5).fail(0, "add", 5).read(1, [5]), "its add failed"),
    (lambda h: h.read(1, [6]).add(0, 6), "read before its add began"),
])
def test_unexpected_elements_are_invalid(plant, why):
    result, data = plant(H()).check()
    assert result.valid is False
    assert data["counts"]["unexpected"] == 1
    assert data["examples"]["unexpected"][0]["why"] == why


def test_flapping_element_seen_missed_and_seen_again():
    h = H().add(0, 0).read(1, [0]).read(1, []).read(1, [0])
    result, data = h.check()
    assert data["counts"]["flapping"] == 1 and data["counts"]["stable"] == 1
    assert data["counts"]["stale"] == 1 and result.valid is True
    ex = data["examples"]["flapping"][0]
    assert ex["seen"]["index"] < ex["missed"]["index"] < ex["seen_again"]["index"]
    # overlapping reads are no flapping: the miss may be ordered first
    h = H().add(0, 0).inv(1, "read").inv(2, "read").ok(1, "read", [0]).ok(2, "read", [])
    h.read(1, [0])
    assert h.check()[1]["counts"]["flapping"] == 0


def test_a_read_holding_an_element_twice_is_invalid():
    result, data = H().add(0, 0).read(1, [0, 0]).check()
    assert result.valid is False
    assert data["examples"]["duplicated"][0] == {**data["examples"]["duplicated"][0],
                                                 "element": 0, "times": 2}


def test_nemesis_ops_are_ignored_and_none_reads_as_empty():
    h = H().add(0, 0)
    h.ops.append(Op(type="info", f="kill", value=["n1"], process="nemesis", time=5 * MS))
    h.inv(1, "read").ok(1, "read", None).read(1, [0])
    result, data = h.check()
    assert result.valid is True and data["counts"]["stale"] == 1


@pytest.mark.parametrize("plant, message", [
    (lambda h: h.inv(1, "read").ok(1, "read", {"a": 1}), "must be a list"),
    (lambda h: h.add(0, [1]), "int or a string"),
    (lambda h: h.add(0, 1).add(1, 1), "added again"),
    (lambda h: h.inv(0, "write", 1).ok(0, "write", 1), "f='write'"),
])
def test_a_history_that_is_not_a_set_history_is_refused(plant, message):
    with pytest.raises(BadInputError, match=message):
        plant(H()).check()


def test_examples_are_capped_and_worst_stale_first():
    h = H()
    for e in range(30):
        h.add(0, e)
    h.read(1, [])
    for e in range(30):
        h.read(1, range(e + 1))
    result, data = h.check(examples=4)
    assert data["counts"]["stale"] == 30 and len(data["examples"]["stale"]) == 4
    latencies = [d["stable_latency_ms"] for d in data["examples"]["stale"]]
    assert latencies == sorted(latencies, reverse=True)
    assert data["latencies_ms"]["stable"]["max"] == latencies[0]


def test_ranges_and_quantiles():
    assert ranges_text([5, 0, 1, 2, 9, 10, "x"]) == "0-2, 5, 9-10, x"
    assert ranges_text([]) == ""
    assert quantiles([]) is None
    q = quantiles(range(1, 101))
    assert (q["count"], q["min"], q["p50"], q["p95"], q["p99"], q["max"]) == (100, 1, 50, 95, 99, 100)


@st.composite
def linearizable_runs(draw):
    """A concurrent history of a correct set: each op takes effect at one instant between
    its invocation and completion; an info add may or may not have; a final serial read."""
    procs = draw(st.integers(1, 4))
    state, ops, element = set(), [], 0
    running = {}  # process -> [f, value, applied?]
    next_process = procs
    workers = list(range(procs))
    for _ in range(draw(st.integers(0, 60))):
        w = draw(st.integers(0, procs - 1))
        p = workers[w]
        t = len(ops) * MS
        if p not in running:
            if draw(st.booleans()):
                running[p] = ["add", element, False]
                ops.append(Op(type="invoke", f="add", value=element, process=p, time=t))
                element += 1
            else:
                running[p] = ["read", None, False]
                ops.append(Op(type="invoke", f="read", process=p, time=t))
        elif not running[p][2] and draw(st.booleans()):
            f, value, _ = running[p]
            if f == "add":
                state.add(value)
            else:
                running[p][1] = sorted(state)
            running[p][2] = True
        else:
            f, value, applied = running.pop(p)
            if f == "read":
                if applied:
                    ops.append(Op(type="ok", f="read", value=value, process=p, time=t))
                else:
                    ops.append(Op(type="fail", f="read", process=p, time=t))
            else:
                kind = "ok" if applied else draw(st.sampled_from(["fail", "info"]))
                if kind == "fail" or (kind == "info" and draw(st.booleans())):
                    pass
                elif kind == "info":  # applied, or applied later, unbeknown to the client
                    state.add(value)
                if applied and draw(st.booleans()):
                    kind = "info"  # applied, but the client could not tell
                ops.append(Op(type=kind, f="add", value=value, process=p, time=t))
                if kind == "info":
                    workers[w], next_process = next_process, next_process + 1
    final = max(workers) + 1 if workers else 0
    t = len(ops) * MS
    ops += [Op(type="invoke", f="read", process=final + 10_000, time=t),
            Op(type="ok", f="read", value=sorted(state), process=final + 10_000, time=t + 1)]
    return History(ops), state


@settings(max_examples=200, deadline=None)
@given(linearizable_runs())
def test_linearizable_executions_are_valid(run):
    history, state = run
    result = check_set_full(history, linearizable=True)
    assert result.valid == (True if state else "unknown")
    counts = result.data["counts"]
    assert counts["lost"] == counts["stale"] == counts["unexpected"] == counts["flapping"] == 0
    assert counts["stable"] == len(state)
