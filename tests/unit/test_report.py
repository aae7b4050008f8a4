"""The report: verdict, op counts, counterexample text, sections by result kind;
self-contained and escaped."""

import re

from faultline.checkers.stats import op_counts
from faultline.render import counterexample_text, render_report
from faultline.core.history import History
from faultline.core.op import FAIL, INFO, INVOKE, NEMESIS, OK, Op


def external_references(page):
    """What the page would load from elsewhere: any src/href/url() that is neither a
    fragment nor inline data, and any <link> or <iframe> (namespace names are not loads)."""
    refs = re.findall(r"""(?:\bsrc|\bhref)\s*=\s*["']?([^"'\s>]+)|url\(\s*["']?([^"')]+)""", page)
    loads = [a or b for a, b in refs if not (a or b).startswith(("#", "data:"))]
    return loads + re.findall(r"<(?:link|iframe)\b[^>]*>", page, flags=re.I)


def test_external_references_finds_what_a_page_would_load():
    assert external_references('<img src="http://x/a.png"><a href="#k">') == ["http://x/a.png"]
    assert external_references("<div style=\"background:url('//cdn/x')\">") == ["//cdn/x"]
    assert external_references('<image xlink:href="data:image/png;base64,AA"/>') == []
    assert external_references('<link rel=stylesheet href=s.css>') == [
        "s.css", "<link rel=stylesheet href=s.css>"]
    assert external_references('<svg xmlns="http://www.w3.org/2000/svg">') == []


def history():
    return History([
        Op(INVOKE, "write", 1, 0, 0, key=0), Op(OK, "write", 1, 0, 1_000_000_000, key=0),
        Op(INVOKE, "read", None, 1, 1, key=0), Op(OK, "read", 2, 1, 2, key=0),
        Op(INVOKE, "cas", [1, 2], 2, 3, key=0), Op(FAIL, "cas", [1, 2], 2, 4, key=0),
        Op(INVOKE, "write", 3, 3, 5, key=0), Op(INFO, "write", 3, 3, 6, key=0, error="timeout"),
        Op(INVOKE, "start-partition", "halves", NEMESIS, 7),
        Op(INFO, "start-partition", {"grudge": {"n1": ["n2"]}}, NEMESIS, 8),
        Op(INVOKE, "read", None, 4, 2_000_000_000, key=1),
    ])


def test_op_counts_by_f_and_outcome():
    c = op_counts(history())
    assert c["by_f"]["write"] == {"ok": 1, "fail": 0, "info": 1, "pending": 0}
    assert c["by_f"]["read"] == {"ok": 1, "fail": 0, "info": 0, "pending": 1}
    assert c["total"] == {"ok": 2, "fail": 1, "info": 1, "pending": 1}
    assert c["nemesis"] == 1 and c["duration_s"] == 2.0


CX = {"key": 0,
      "op": {"index": 2, "completed": 3, "process": 1, "description": "read 2"},
      "prefix": [{"index": 0, "completed": 1, "process": 0, "description": "write 1"}],
      "state": 1,
      "concurrent": [{"index": 6, "completed": None, "process": 3, "description": "write 3"}]}


def test_counterexample_text_names_the_op_the_prefix_and_the_pending_ops():
    text = counterexample_text(CX)
    assert "key 0: this op cannot be linearized: op #2..#3 process 1: read 2" in text
    assert "op #0..#1 process 0: write 1" in text and "ending in state 1" in text
    assert "op #6 (outcome unknown) process 3: write 3" in text


def test_report_page_shows_verdict_counts_faults_and_escapes():
    results = {"valid": False,
               "workload": {"kind": "linearizable", "valid": False, "counterexample": CX,
                            "time_s": 0.1},
               "stats": {"valid": True}}
    page = render_report({"name": "etcd-<b>", "seed": 7}, history(), results)
    assert "INVALID" in page and "etcd-&lt;b&gt;" in page and "<b>" not in page.split("<body>")[0]
    assert "cannot be linearized" in page and "start-partition" in page
    assert external_references(page) == []  # nothing loaded from elsewhere


def test_under_the_verdict_the_first_anomaly_or_why_unknown_in_one_sentence():
    from markupsafe import escape

    from faultline.render.summary import first_anomaly
    invalid = {"valid": False, "stats": {"valid": True},
               "workload": {"kind": "linearizable", "valid": False, "counterexample": CX}}
    page = render_report({}, history(), invalid)
    _, sentence = first_anomaly(invalid)
    assert re.search(r"class=headline>workload: (.*?)</p>", page).group(1) == escape(sentence)
    unknown = {"valid": "unknown", "stats": {"valid": True},
               "workload": {"kind": "elle", "valid": "unknown",
                            "reason": "cycle search stopped after 10 s"}}
    page = render_report({}, history(), unknown)
    assert "class=headline>why unknown: cycle search stopped after 10 s</p>" in page
    assert "class=headline" not in render_report({}, history(), {"valid": True})


def test_unknown_verdict_with_error():
    page = render_report({}, History(), {"valid": "unknown", "error": "interrupted"})
    assert "UNKNOWN" in page and "interrupted" in page


def test_a_result_kind_is_shown_by_the_section_registered_for_it():
    from faultline.render import SECTIONS, Section

    results = {"valid": False,
               "workload": {"kind": "made-up", "valid": False, "anomalies": ["G1c"]}}
    generic = render_report({}, history(), results)
    assert "G1c" in generic and "made-up" not in generic  # facts, the kind not among them
    with SECTIONS.registered(Section("made-up", lambda name, res, history: f"<p>{name}: cycles!</p>")):
        page = render_report({}, history(), results)
    assert "<p>workload: cycles!</p>" in page and "G1c" not in page
