"""The linearizability section of the report: keys by verdict in words a reader can trust
(not checked is not unknown), undecided keys with why, the counterexample in one sentence
and drawn, from real checker results."""

from __future__ import annotations

import re

from faultline.checkers.linearizable import check_linearizable
from faultline.checkers.models import get_model
from faultline.core.history import History
from faultline.core.op import INVOKE, OK, Op
from faultline.render.sections import checker_section
from faultline.render.sections.linearizable import key_tally

MS = 1_000_000


def keyed_history(bad_keys, good_keys, hard_key=None):
    """A write then a read per key (the bad ones read a value never written); ``hard_key``:
    many concurrent writes of two values and a read nobody can satisfy (a long search)."""
    ops, t = [], 0
    for k in [*bad_keys, *good_keys]:
        ops += [Op(INVOKE, "write", 1, 0, t, key=k), Op(OK, "write", 1, 0, t + 1, key=k),
                Op(INVOKE, "read", None, 1, t + 2, key=k),
                Op(OK, "read", 2 if k in bad_keys else 1, 1, t + 3, key=k)]
        t += 4
    if hard_key is not None:
        n = 22
        ops += [Op(INVOKE, "write", i % 2, 10 + i, t, key=hard_key) for i in range(n)]
        ops += [Op(INVOKE, "read", None, 9, t + 1, key=hard_key),
                Op(OK, "read", 7, 9, t + 2, key=hard_key)]
        ops += [Op(OK, "write", i % 2, 10 + i, t + 3, key=hard_key) for i in range(n)]
    return History(op.with_(time=op.time * MS) for op in ops)


def section(history, **opts):
    result = check_linearizable(history, get_model("register", initial=0), **opts).to_dict()
    return result, checker_section("workload", result, history)


def test_keys_left_after_the_first_invalid_one_say_not_checked_not_unknown():
    history = keyed_history(["a"], ["b", "c"], hard_key="h")
    result, html = section(history)
    assert result["valid"] is False
    tally = dict(key_tally(result["keys"]))
    assert tally["invalid"] == 1 and "unknown" not in tally
    assert tally["not checked (stopped at the first invalid key; --full checks all)"] >= 1
    assert "not checked (stopped at the first invalid key; --full checks all)" in html
    assert "undecided key" not in html  # not checked is not undecided
    assert "<code>faultline check --full history.jsonl</code>" in html


def test_a_full_check_names_every_invalid_key():
    result, html = section(keyed_history(["a", "c"], ["b"]), full=True)
    assert key_tally(result["keys"]) == [("valid", 1), ("invalid", 2)]
    assert re.search(r"keys: 1 valid, 2 invalid</p>", html)
    assert "not linearizable: a, c" in html and "--full history.jsonl" not in html


def test_an_unknown_verdict_says_which_budget_and_how_far_it_got():
    result, html = section(keyed_history([], ["b"], hard_key="h"), time_limit=0.2)
    assert result["valid"] == "unknown"
    assert key_tally(result["keys"]) == [("valid", 1), ("unknown", 1)]
    assert "time limit of 0.2 s reached after " in html and "1 of 2 keys decided" in html
    row = re.search(r"<tr><td>h</td><td class=n>23</td><td class=n>(\d+)</td><td>([^<]*)</td>",
                    html)
    assert row and int(row.group(1)) > 0 and "configurations of this key" in row.group(2)


def test_the_counterexample_is_one_sentence_a_drawing_and_the_text():
    history = keyed_history(["a"], [])
    result, html = section(history, prune=False)
    sentence = re.search(r"<p class=\"explanation\">([^<]*)</p>", html).group(1)
    assert sentence.startswith("Key &#34;a&#34;: read 2 (op #2, process 1)")
    assert "cannot be linearized" in sentence and sentence.endswith(".")
    assert "<svg" in html and 'class="op role-failing"' in html
    assert "<details><summary>the counterexample as text</summary>" in html


def test_a_proved_counterexample_shows_the_checkers_explanation():
    stale = History(op.with_(time=op.time * MS) for op in [
        Op(INVOKE, "write", 1, 0, 0, key="a"), Op(OK, "write", 1, 0, 1, key="a"),
        Op(INVOKE, "write", 2, 0, 2, key="a"), Op(OK, "write", 2, 0, 3, key="a"),
        Op(INVOKE, "read", None, 1, 4, key="a"), Op(OK, "read", 1, 1, 5, key="a")])
    result, html = section(stale)  # the write-order constraints prove it: a stale read
    cx = result["counterexample"]
    assert cx["shape"] == "stale-read"
    sentence = re.search(r"<p class=\"explanation\">([^<]*)</p>", html).group(1)
    assert "had already overwritten" in sentence and sentence.endswith(".")
    assert 'class="op role-conflict"' in html  # the write that overwrote it, marked
