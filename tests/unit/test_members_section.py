"""The members' final state drawn in the report: one table part
(:mod:`faultline.render.sections.member_state`) in the register, Elle and set sections
and for a member-state result of its own; per key, each key the members disagree on with
every member's value, the odd ones marked."""

from __future__ import annotations

from faultline.checkers.elle.synth import list_append_history
from faultline.checkers.member_state import check_member_state
from faultline.core.history import History
from faultline.core.op import Op
from faultline.core.vocabulary import MEMBER_READ
from faultline.render.sections import checker_section
from faultline.render.sections.member_state import members_view
from faultline.workloads.list_append import WORKLOAD as LIST_APPEND
from faultline.workloads.register import RegisterChecker

from test_member_state_keys import WRITES, member_reads, ops

DISAGREE = {"n1": {0: 1, 1: 5}, "n2": {0: 1, 1: None}, "n3": {0: 1, 1: 5}}


def _key_row(html: str, key: object) -> str:
    table = html.split('<table class="member-disagreements">')[1].split("</table>")[0]
    return table.split(f"<tr><td>{key}</td>")[1].split("</tr>")[0]


def test_per_key_view_lists_each_member_and_marks_the_odd_value():
    view = members_view(check_member_state(ops(*WRITES, *member_reads(DISAGREE))).to_dict())
    assert view["per_key"] and view["nodes"] == ["n1", "n2", "n3"]
    assert [(r["node"], r["keys"]) for r in view["rows"]] == [("n1", 2), ("n2", 2), ("n3", 2)]
    assert view["disagreeing"] == 1 and view["keys"] == 2
    (row,) = view["disagreements"]
    assert row["key"] == 1
    assert [(c["value"], c["odd"]) for c in row["cells"]] == [("5", False), ("null", True),
                                                              ("5", False)]


def test_without_a_majority_no_value_is_the_usual_one_and_a_member_not_read_says_so():
    found = {"valid": False, "keys": 1, "disagreeing": 1, "members": {"n1": {"keys": 1}},
             "disagreements": [{"key": "k", "values": {"n1": [1, 2], "n2": [1]}}]}
    view = members_view(found)
    assert view["nodes"] == ["n1", "n2"]
    assert [c["odd"] for c in view["disagreements"][0]["cells"]] == [True, True]
    found["disagreements"][0]["values"] = {"n1": [1]}
    found["members"]["n3"] = {"keys": 0}
    cells = members_view(found)["disagreements"][0]["cells"]
    assert [c["read"] for c in cells] == [True, False]  # n3 read no disputed key: no column


def test_the_register_section_shows_the_members_table_not_its_json():
    h = ops(*WRITES, *member_reads(DISAGREE))
    result = RegisterChecker().check({}, h, {}).to_dict()
    html = checker_section("workload", result, h)
    assert "MEMBERS DISAGREE" in html and '"members"' not in html
    assert "1 of 2 keys differ between members" in html
    assert _key_row(html, 1) == ('<td><code>5</code></td><td class="v-false"><code>null</code>'
                                 '</td><td><code>5</code></td>')
    agree = ops(*WRITES, *member_reads({"n1": {0: 1, 1: 5}, "n2": {0: 1, 1: 5}}))
    html = checker_section("workload", RegisterChecker().check({}, agree, {}).to_dict(), agree)
    assert "members agree" in html and "member-disagreements" not in html
    assert "<tr><td>n2</td><td class=n>2</td>" in html


def test_the_elle_section_shows_the_members_table():
    txns = list_append_history(20, keys=2, seed=1)
    end = max(op.time for op in txns)
    reads = []
    for p, (node, held) in enumerate({"n1": [1, 2], "n2": [1]}.items()):
        reads += [Op("invoke", MEMBER_READ, None, 100 + p, end + 1, 0, 0, node),
                  Op("ok", MEMBER_READ, held, 100 + p, end + 2, 0, 0, node)]
    h = History([*txns, *reads])
    result = LIST_APPEND.checker({}).check({}, h, {}).to_dict()
    assert result["members"]["valid"] is False
    html = checker_section("workload", result, h)
    assert "MEMBERS DISAGREE" in html and '"members"' not in html
    # two members, no value most of them hold: both marked
    assert _key_row(html, 0) == ('<td class="v-false"><code>[1,2]</code></td>'
                                 '<td class="v-false"><code>[1]</code></td>')


def test_a_member_state_result_of_its_own_has_its_section():
    h = ops(*WRITES, *member_reads(DISAGREE))
    result = check_member_state(h).to_dict()
    html = checker_section("members", result, h)
    assert html.startswith("<h3>members: ") and "member-disagreements" in html
    assert '"disagreements"' not in html
    whole = History([Op("invoke", MEMBER_READ, None, 0, 1, 0, None, "n1"),
                     Op("ok", MEMBER_READ, [1, 2], 0, 2, 1, None, "n1")])
    html = checker_section("members", check_member_state(whole).to_dict(), whole)
    assert "not compared" in html and html.count("only 1 member answered") == 1
    assert "<td>n1</td><td class=n>2</td><td>1-2</td>" in html
