"""The report's Elle section: models ruled out, unknown types with the reason, each
anomaly explained, its cycle drawn (layout data tested apart from the SVG) and step by
step, its transactions; from a real check of a generated history and from hand-made
results of the agreed shape."""

from __future__ import annotations

import re

from faultline.checkers.elle import check_elle
from faultline.checkers.elle.synth import list_append_history
from faultline.core.history import History
from faultline.render.cycle_figure import (MAX_NODES, NODE_H, NODE_W, REL_COLOURS,
                                          cycle_layout)
from faultline.render.sections import checker_section
from faultline.render.sections.elle import anomaly_groups


def cycle(n, rels=("ww", "wr", "rw", "process", "realtime")):
    return {"type": "G2-item",
            "cycle": [{"txn": 10 + i, "index": 100 + i, "process": i, "type": "ok",
                       "value": [["append", "x", i], ["r", "y", [1, 2]]]} for i in range(n)],
            "steps": [{"from": 10 + i, "to": 10 + (i + 1) % n, "rel": rels[i % len(rels)],
                       "key": "x", "text": f"T{10 + i} before T{10 + (i + 1) % n}"}
                      for i in range(n)],
            "explanation": "a cycle"}


def test_cycle_layout_has_a_node_per_txn_and_an_arrow_per_step_inside_its_box():
    for n in (1, 2, 3, 7, MAX_NODES):
        fig = cycle_layout(cycle(n))
        assert [node["label"] for node in fig["nodes"]] == [f"T{10 + i}" for i in range(n)]
        assert [(e["from"], e["to"]) for e in fig["edges"]] == [
            (10 + i, 10 + (i + 1) % n) for i in range(n)]
        assert fig["edges"][0]["label"] == "ww x"
        assert all(e["colour"] == REL_COLOURS[e["rel"]] for e in fig["edges"])
        for node in fig["nodes"]:
            assert NODE_W / 2 <= node["x"] <= fig["width"] - NODE_W / 2
            assert NODE_H / 2 <= node["y"] <= fig["height"] - NODE_H / 2
        for e in fig["edges"]:
            assert len(e["arrow"].split()) == 3 and e["path"].startswith("M")
        centres = [(node["x"], node["y"]) for node in fig["nodes"]]
        assert len(set(centres)) == n  # no two nodes on one spot
    assert cycle_layout(cycle(MAX_NODES + 1)) is None  # listed step by step only
    assert cycle_layout({"type": "lost-update", "txns": []}) is None


def test_a_real_check_shows_models_ruled_out_and_each_cycle_drawn_and_explained():
    history = History(list_append_history(300, stale_reads=2, seed=3))
    result = check_elle(history, workload="list-append").to_dict()
    assert result["valid"] is False
    html = checker_section("workload", result, history)
    assert re.search(r"<b>Ruled out:</b> [^<]*strong-snapshot-isolation", html)
    kind = result["anomaly_types"][0]
    assert f'<h4 id="elle-{kind}">{kind}' in html
    first = result["anomalies"][kind][0]
    assert first["explanation"].split(":")[0] in html
    drawn = min(len(result["anomalies"][kind]), 3)
    assert html.count('<svg class="cycle"') == drawn
    assert html.count('<g class="txn">') == sum(
        len(c["cycle"]) for c in result["anomalies"][kind][:drawn])
    steps = re.findall(r"<ol class=\"steps\">(.*?)</ol>", html, re.S)
    assert [s.count("<li>") for s in steps] == [len(c["steps"]) for c in
                                               result["anomalies"][kind][:drawn]]
    assert "T%d" % first["cycle"][0]["txn"] in html and "<table class=\"txns\">" in html


def test_unknown_types_say_the_search_stopped_and_why():
    result = {"kind": "elle", "valid": "unknown", "workload": "list-append",
              "models": ["strict-serializable"], "anomaly_types": [], "anomalies": {},
              "not": [], "also_not": [], "strongest_not_ruled_out": [],
              "unknown": ["G-single-item-realtime", "G2-item-realtime"],
              "reason": "cycle search stopped after 10.0 s in an SCC of 1161 transactions",
              "stats": {"txns": 5000, "ok": 4900, "info": 50, "fail": 50}}
    html = checker_section("workload", result)
    assert "UNKNOWN" in html
    assert ("<b>Not ruled out, the search stopped first:</b> G-single-item-realtime, "
            "G2-item-realtime (cycle search stopped after 10.0 s in an SCC of 1161 "
            "transactions)") in html
    assert "5,000 transactions (4900 ok, 50 info, 50 fail)" in html


def test_a_non_cycle_anomaly_is_explained_with_its_transactions_and_escaped():
    lost = {"type": "lost-update", "key": "<k>", "value": [1],
            "txns": [{"txn": 3, "index": 7, "process": 1, "type": "ok",
                      "value": [["r", "<k>", [1]], ["append", "<k>", 2]]},
                     {"txn": 4, "index": 9, "process": 2, "type": "ok",
                      "value": [["r", "<k>", [1]], ["append", "<k>", 3]]}],
            "explanation": "T3 and T4 both read <k> = [1] and then appended to <k>"}
    result = {"kind": "elle", "valid": False, "workload": "list-append",
              "models": ["snapshot-isolation"], "anomaly_types": ["lost-update"],
              "anomalies": {"lost-update": [lost]}, "not": ["snapshot-isolation"],
              "also_not": [], "strongest_not_ruled_out": ["read-committed"], "unknown": [],
              "stats": {"counts": {"lost-update": 5}}}
    (group,) = anomaly_groups(result)
    assert group["found"] == 5 and len(group["cases"]) == 1 and not group["has_cycle"]
    html = checker_section("workload", result)
    assert "lost-update: 5 found, 1 shown" in html
    assert "read &lt;k&gt; = [1]" in html and "<k>" not in html
    assert "r &lt;k&gt; [1]; append &lt;k&gt; 2" in html
    assert "<svg" not in html and "Strongest models not ruled out: read-committed" in html


def test_a_valid_result_says_nothing_rules_the_models_out():
    history = History(list_append_history(100, seed=1))
    result = check_elle(history, workload="list-append").to_dict()
    assert result["valid"] is True
    html = checker_section("workload", result, history)
    assert "No anomaly found: nothing rules out strict-serializable." in html
