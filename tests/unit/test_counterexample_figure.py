"""The counterexample drawing's data (lanes, bars, linearization points, the register's
value along the prefix, what is marked), from real checker results on small histories;
then the drawing itself: one bar per op, escaped, no script."""

from __future__ import annotations

import re

from faultline.checkers.linearizable import check_linearizable
from faultline.checkers.models import get_model
from faultline.core.history import History
from faultline.core.op import FAIL, INFO, INVOKE, OK, Op
from faultline.render.counterexample_figure import (counterexample_figure, figure_data,
                                                    linearization_points)

MS = 1_000_000


def timed(*events):
    """(type, f, value, process, time in ms) -> a History with times."""
    return History(Op(t, f, v, p, ms * MS) for t, f, v, p, ms in events)


def stale_read(extra=()):
    """p0 writes 1, then p1 writes 2, then p2 reads 1: not linearizable. p3's write 3 is
    pending from 22 ms on (never completes), p4's write 9 fails at 27 ms."""
    return timed(
        (INVOKE, "write", 1, 0, 0), (OK, "write", 1, 0, 10),
        (INVOKE, "write", 2, 1, 12), (OK, "write", 2, 1, 20),
        (INVOKE, "write", 3, 3, 22),
        (INVOKE, "read", None, 2, 25), (INVOKE, "write", 9, 4, 26),
        (FAIL, "write", 9, 4, 27), (OK, "read", 1, 2, 35), *extra)


def counterexample(history, prune=False):
    result = check_linearizable(history, get_model("register"), prune=prune)
    assert result.valid is False
    return result.data["counterexample"]


def by_role(data):
    out = {}
    for bar in data["bars"]:
        out.setdefault(bar["role"], []).append(bar)
    return out


def test_lanes_bars_and_marks_of_a_searched_counterexample():
    history = stale_read()
    cx = counterexample(history)
    data = figure_data(cx, history)
    assert data["unit"] == "s"
    assert data["lanes"] == [0, 1, 2, 3, 4]  # one per process with an op drawn
    roles = by_role(data)
    (failing,) = roles["failing"]
    assert (failing["process"], failing["description"], failing["outcome"]) == (2, "read 1", "ok")
    assert (failing["start"], failing["end"]) == (0.025, 0.035)
    assert data["failing"] == failing["index"] == 5
    assert [(b["order"], b["description"], b["state"]) for b in roles["prefix"]] == [
        (1, "write 1", 1), (2, "write 2", 2)]
    (pending,) = roles["concurrent"]
    assert pending["description"] == "write 3" and pending["end"] is None  # open
    (dropped,) = roles["other"]  # the failed write: on the key, in the window, not searched
    assert dropped["outcome"] == "fail" and dropped["process"] == 4
    assert all(b["lane"] == data["lanes"].index(b["process"]) for b in data["bars"])
    assert data["window"] == [0.0, 0.035]


def test_linearization_points_follow_the_prefix_within_each_bar():
    history = stale_read()
    data = figure_data(counterexample(history), history)
    prefix = sorted((b for b in data["bars"] if b["order"]), key=lambda b: b["order"])
    points = [b["point"] for b in prefix]
    assert points == sorted(points)
    assert all(b["start"] <= b["point"] <= b["end"] for b in prefix)
    assert points == [0.01, 0.02]  # each at its completion: no later op needs it earlier
    assert data["prefix_end"] == points[-1]


def test_linearization_points_are_as_late_as_the_next_ones_allow():
    prefix = [{"index": 1, "completed": 8}, {"index": 2, "completed": 6},
              {"index": 3, "completed": 9}]
    assert linearization_points(prefix, float) == [6.0, 6.0, 9.0]
    open_last = [{"index": 1, "completed": 8}, {"index": 5, "completed": None}]
    assert linearization_points(open_last, float) == [5.0, 5.0]  # where the open op began


def test_the_register_value_along_the_prefix_merges_repeats():
    history = stale_read()
    data = figure_data(counterexample(history), history)
    assert data["values"] == [{"from": 0.01, "to": 0.02, "value": 1},
                              {"from": 0.02, "to": 0.035, "value": 2}]
    reads = timed((INVOKE, "write", 1, 0, 0), (OK, "write", 1, 0, 1),
                  (INVOKE, "read", None, 1, 2), (OK, "read", 1, 1, 3),
                  (INVOKE, "read", None, 1, 4), (OK, "read", 2, 1, 5))
    data = figure_data(counterexample(reads), reads)
    assert [v["value"] for v in data["values"]] == [1]  # write 1, read 1: one span


def test_only_the_end_of_a_long_prefix_is_drawn_from_the_value_it_found():
    history = stale_read()
    data = figure_data(counterexample(history), history, prefix_shown=1)
    assert [b["order"] for b in data["bars"] if b["order"]] == [2]
    assert data["hidden_prefix"] == 1 and data["prefix_len"] == 2
    assert data["values"][0] == {"from": data["window"][0], "to": 0.02, "value": 1}


def test_a_counterexample_the_write_order_proved_marks_the_conflicting_op():
    history = stale_read()
    cx = counterexample(history, prune=True)
    data = figure_data(cx, history)
    roles = by_role(data)
    assert [b["description"] for b in roles["conflict"]] == ["write 2"]
    assert [b["description"] for b in roles["source"]] == ["write 1"]  # the value it read
    assert roles["failing"][0]["description"] == "read 1"
    assert data["prefix_end"] is None and data["values"] == []  # no search, no prefix


def test_an_op_open_since_long_before_does_not_stretch_the_window():
    early = timed((INVOKE, "write", 7, 9, 0))  # pending from the start to the end
    late = [op.with_(time=op.time + 10_000 * MS) for op in stale_read()]
    history = History([*early, *late])
    data = figure_data(counterexample(history), history)
    (write7,) = [b for b in data["bars"] if b["description"] == "write 7"]
    assert write7["end"] is None and write7["start"] == 0.0  # in the prefix: drawn
    assert data["window"][0] == 10.0  # the window is the ops that explain it


def test_ops_pending_since_before_the_window_are_counted_not_drawn():
    early = timed((INVOKE, "cas", [5, 6], 9, 0))  # pending from the start, never completes
    late = [op.with_(time=op.time + 10_000 * MS) for op in stale_read()]
    history = History([*early, *late])
    cx = counterexample(history, prune=True)  # proved: everything overlapping is pending
    assert "cas 5 -> 6" in [c["description"] for c in cx["concurrent"]]
    data = figure_data(cx, history)
    assert data["long_pending"] == [0] and not data["searched"]
    assert 0 not in [b["index"] for b in data["bars"]]
    html = str(counterexample_figure(cx, history))
    assert "not drawn: 1 op of unknown outcome pending since before this window" in html
    assert "cas 5 -&gt; 6" in html  # in the table


def test_ops_of_the_prefix_before_the_window_are_not_drawn_as_others():
    early = timed((INVOKE, "write", 7, 9, 0), (INFO, "write", 7, 9, 1))  # linearized first
    late = [op.with_(time=op.time + 10_000 * MS) for op in stale_read()]
    history = History([*early, *late])
    cx = counterexample(history)
    assert cx["prefix"][0]["description"] == "write 7"
    data = figure_data(cx, history, prefix_shown=1)
    assert "write 7" not in [b["description"] for b in data["bars"]]


def test_without_a_history_the_axis_is_history_indices():
    history = stale_read()
    data = figure_data(counterexample(history))
    assert data["unit"] == "index"
    failing = by_role(data)["failing"][0]
    assert (failing["start"], failing["end"]) == (5.0, 8.0)
    assert "other" not in by_role(data)  # dropped ops come from the history only


def test_the_drawing_has_a_bar_per_op_escapes_and_lists_the_pending_ops():
    history = stale_read()
    cx = counterexample(history)
    cx["op"]["description"] = "read <b>1</b>"
    html = str(counterexample_figure(cx, history))
    assert len(re.findall(r"<g class=\"op role-", html)) == len(figure_data(cx, history)["bars"])
    assert "read &lt;b&gt;1&lt;/b&gt;" in html and "<b>1</b>" not in html
    assert 'class="op role-failing"' in html and "cannot be linearized" in html
    assert 'class="concurrent"' in html and "write 3" in html
    assert "<script" not in html and "http" not in html
