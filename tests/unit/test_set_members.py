"""Members' final state (member-read ops) and how the set workload's checker folds it in."""

from test_set_full import H

from faultline.checkers.member_state import check_member_state
from faultline.checkers.set_full import check_set_full
from faultline.core.history import History
from faultline.workloads.set import WORKLOAD as set_workload


def member_read(h, p, node, elements):
    return h.inv(p, "member-read").ok(p, "member-read", list(elements), node=node)


def base():
    return H().add(0, 0).add(0, 1).add(0, 2).read(1, [0, 1, 2])


def test_members_holding_the_same_agree():
    h = base()
    for p, node in enumerate(["n1", "n2", "n3"]):
        member_read(h, p, node, [2, 1, 0])
    result = check_member_state(History(h.ops))
    assert result.valid is True and result.data["agree"] is True
    assert result.data["members"]["n2"] == {**result.data["members"]["n2"], "count": 3,
                                            "elements": "0-2", "missing_count": 0}


def test_a_member_lacking_elements_is_named_with_what_each_holds():
    h = base()
    member_read(h, 0, "n1", [0, 1, 2])
    member_read(h, 1, "n2", [0, 1, 2, 7])
    member_read(h, 2, "n3", [0])
    result = check_member_state(History(h.ops))
    assert result.valid is False and result.data["agree"] is False
    n3, n2 = result.data["members"]["n3"], result.data["members"]["n2"]
    assert (n3["elements"], n3["missing"], n3["missing_count"]) == ("0", "1-2, 7", 3)
    assert (n2["only_here"], n2["only_here_count"]) == ("7", 1)
    assert result.data["elements_anywhere"] == 4


def test_the_last_read_of_each_member_counts():
    h = base()
    member_read(h, 0, "n1", [0, 1, 2])
    member_read(h, 1, "n2", [0])  # still catching up
    member_read(h, 1, "n2", [0, 1, 2])
    assert check_member_state(History(h.ops)).valid is True


def test_fewer_than_two_members_read_is_unknown_and_none_at_all_is_no_result():
    h = base()
    member_read(h, 0, "n1", [0, 1, 2])
    h.inv(1, "member-read").fail(1, "member-read")
    h.ops[-2] = h.ops[-2].with_(node="n2")
    result = check_member_state(History(h.ops))
    assert result.valid == "unknown" and result.data["unread"] == ["n2"]
    assert check_member_state(History(base().ops)) is None


def test_set_full_ignores_member_reads():
    h = base()
    member_read(h, 0, "n1", [])  # a member-read is not a read of the set: nothing lost
    assert check_set_full(History(h.ops)).valid is True


def test_the_workload_checker_is_invalid_when_members_disagree_and_keeps_set_full():
    h = base()
    member_read(h, 0, "n1", [0, 1, 2])
    member_read(h, 1, "n2", [0, 1])
    result = set_workload.checker({}).check({}, History(h.ops), {})
    assert result.valid is False
    assert result.data["kind"] == "set" and result.data["counts"]["lost"] == 0
    assert result.data["members"]["valid"] is False
    assert result.data["members"]["members"]["n2"]["missing"] == "2"
    # one member read only: shown as unknown, set-full's verdict stands
    h = base()
    member_read(h, 0, "n1", [0, 1, 2])
    result = set_workload.checker({}).check({}, History(h.ops), {})
    assert result.valid is True and result.data["members"]["valid"] == "unknown"
