"""The report section of set-full results: what it shows for each planted class."""

from test_set_full import H

from faultline.checkers.set_full import check_set_full
from faultline.core.history import History
from faultline.render import render_report
from faultline.render.sections import checker_section


def section(h, **kw):
    history = History(h.ops)
    result = check_set_full(history, **kw).to_dict()
    return checker_section("workload", result, history), result


def test_a_valid_set_shows_counts_and_latencies_and_no_anomaly_tables():
    h = H()
    for e in range(4):
        h.add(0, e).read(1, range(e + 1))
    html, _ = section(h)
    assert "VALID" in html and "Lost elements" not in html and "Unexpected" not in html
    assert "<td>stable</td><td class=n>4</td><td>0-3</td>" in html
    assert "Latencies (ms)" in html and "add ok -&gt; first read showing it began" in html


def test_lost_and_unexpected_elements_say_when_added_and_seen():
    h = H().add(0, 1).read(1, [1]).read(2, [99])
    html, result = section(h)
    assert "INVALID" in html
    lost = html.split("<h4>Lost elements</h4>")[1].split("</table>")[0]
    # added at 0 ms (op 0), ok at 1 ms; last seen by the read invoked at op 2; missed by op 4
    assert "<td>1</td><td>at 0.000 s (op 0), ok at 0.001 s on n1</td>" in lost
    assert "read at 0.002 s (op 2, n1, 1 element)" in lost
    assert "read at 0.004 s (op 4, n1, 1 element)" in lost
    unexpected = html.split("<h4>Unexpected elements</h4>")[1].split("</table>")[0]
    assert "<td>99</td><td>never added</td>" in unexpected
    assert 'class="v-false"><td>lost</td>' in html


def test_stale_rows_are_marked_bad_only_when_linearizable_and_text_is_escaped():
    h = H().add(0, "<b>").read(1, []).read(1, ["<b>"])
    html, _ = section(h)
    assert "Stale reads (worst first)" in html and "<b>" not in html and "&lt;b&gt;" in html
    assert 'class="v-false"><td>stale</td>' not in html
    html, _ = section(h, linearizable=True)
    assert 'class="v-false"><td>stale</td>' in html and "stale reads count as invalid" in html


def test_the_report_page_draws_a_set_result_with_its_section():
    h = H().add(0, 0).read(1, [0, 0])
    history = History(h.ops)
    results = {"valid": False, "workload": check_set_full(history).to_dict()}
    page = render_report({"name": "set"}, history, results)
    assert "Duplicated elements" in page and "INVALID" in page


def test_members_that_disagree_are_shown_with_what_each_lacks():
    from faultline.workloads.set import WORKLOAD

    h = H().add(0, 0).add(0, 1).read(1, [0, 1])
    h.inv(0, "member-read").ok(0, "member-read", [0, 1], node="n1")
    h.inv(1, "member-read").ok(1, "member-read", [0], node="n2")
    history = History(h.ops)
    result = WORKLOAD.checker({}).check({}, history, {}).to_dict()
    html = checker_section("workload", result, history)
    assert "MEMBERS DISAGREE" in html
    n2 = html.split("<td>n2</td>")[1].split("</tr>")[0]
    assert n2.startswith("<td class=n>1</td><td>0</td><td class=n>1</td><td>1</td>")
    assert '"members"' not in html  # drawn, not dumped as JSON
