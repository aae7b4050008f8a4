"""The report's timeline: series computed from a history (data), then drawn as inline SVG."""

import re

from faultline.render import render_report
from faultline.render.plots import latency_svg, throughput_svg
from faultline.render.timeline import fault_label, timeline
from faultline.core.history import History
from faultline.core.op import FAIL, INFO, INVOKE, NEMESIS, OK, Op

S = 1_000_000_000


def faulty_history():
    ops = [
        Op(INVOKE, "write", 1, 0, 0, key=0), Op(OK, "write", 1, 0, S // 100, key=0),  # 10 ms
        Op(INVOKE, "start-partition", "isolate", NEMESIS, 1 * S),
        Op(INFO, "start-partition", {"grudge": {"n1": ["n2", "n3"], "n2": ["n1"], "n3": ["n1"]}},
           NEMESIS, 1 * S + S // 10),
        Op(INVOKE, "cas", [1, 2], 1, 2 * S, key=0), Op(FAIL, "cas", [1, 2], 1, 2 * S + S // 1000,
                                                       key=0),
        Op(INVOKE, "read", None, 2, 2 * S + S // 2, key=0), Op(INFO, "read", None, 2, 7 * S, key=0,
                                                      error="timeout"),
        Op(INVOKE, "stop-partition", None, NEMESIS, 8 * S),
        Op(INFO, "stop-partition", None, NEMESIS, 8 * S + S // 5),
        Op(INVOKE, "kill", "one", NEMESIS, 9 * S),
        Op(INFO, "kill", {"nodes": ["n3"]}, NEMESIS, 9 * S + S // 2),
        Op(INVOKE, "read", None, 3, 9 * S, key=0),  # never completes
        Op(INVOKE, "write", 5, 4, 10 * S, key=0), Op(OK, "write", 5, 4, 10 * S + S // 2, key=0),
    ]
    return History(ops)


def test_timeline_has_each_ops_latency_outcome_and_start():
    t = timeline(faulty_history())
    assert t["duration_s"] == 10.5
    assert [p[2:] for p in t["points"]] == [["ok", "write"], ["fail", "cas"], ["info", "read"],
                                             ["ok", "write"]]
    assert [p[1] for p in t["points"]] == [10.0, 1.0, 4500.0, 500.0]
    assert t["total"] == {"ok": 2, "fail": 1, "info": 1, "pending": 1}
    assert t["shown"] == {"ok": 2, "fail": 1, "info": 1}


def test_timeline_faults_run_from_applied_to_healed_and_say_what_was_done():
    faults = timeline(faulty_history())["faults"]
    assert [(f["fault"], f["start"], f["stop"]) for f in faults] == [
        ("partition", 1.1, 8.2), ("kill", 9.5, None)]
    assert faults[0]["label"] == "partition n1 x n2,n3; n2 x n1; n3 x n1"
    assert faults[1]["label"] == "kill n3"
    assert [f["short"] for f in faults] == ["partition", "kill"]


def test_short_labels_say_how_targets_were_chosen():
    from faultline.render.timeline import short_label
    assert short_label("partition", {"shape": "random-halves", "grudge": {}}) == \
        "partition random-halves"
    assert short_label("kill", {"target": "leader", "nodes": ["n2"]}) == "kill leader"
    assert short_label("pause", None) == "pause"


def test_fault_labels_name_offsets_and_fall_back_to_the_kind():
    assert fault_label("clock", {"deltas": {"n1": 3.5, "n2": 0.0}}) == "clock n1 +3.5s"
    assert fault_label("pause", "majority") == "pause"


def test_throughput_counts_completions_per_second_per_outcome():
    tp = timeline(faulty_history())["throughput"]
    assert tp["bucket_s"] == 1.0 and len(tp["start_s"]) == 11
    assert tp["ok"][0] == 1 and tp["ok"][10] == 1 and sum(tp["ok"]) == 2
    assert tp["fail"][2] == 1 and tp["info"][7] == 1


def test_long_runs_use_wider_buckets():
    h = History([Op(INVOKE, "read", None, 0, 0, key=0), Op(OK, "read", 1, 0, 1000 * S, key=0)])
    assert timeline(h)["throughput"]["bucket_s"] == 4.0


def test_sampling_caps_points_but_keeps_failures_and_the_slowest_ok_ops():
    ops = []
    for i in range(5000):
        latency = 3 * S if i == 1234 else S // 1000
        ops += [Op(INVOKE, "read", None, i, i * S // 100, key=0),
                Op(OK, "read", 1, i, i * S // 100 + latency, key=0)]
    ops += [Op(INVOKE, "write", 1, 9999, 10 * S, key=0),
            Op(INFO, "write", 1, 9999, 11 * S, key=0)]
    t = timeline(History(ops), max_points=400)
    assert len(t["points"]) <= 400 and t["shown"]["info"] == 1
    assert any(p[1] == 3000.0 for p in t["points"])  # the outlier survives sampling
    assert t["total"]["ok"] == 5000 and t["shown"]["ok"] < 5000
    times = [p[0] for p in t["points"] if p[2] == "ok"]
    assert times == sorted(times) and times[-1] > 45  # spread over the whole run


def test_latency_plot_draws_every_point_and_shades_and_labels_each_fault():
    svg = latency_svg(timeline(faulty_history()))
    assert svg.startswith("<svg") and svg.count("<circle") == 3 and svg.count("<path") == 1
    assert svg.count("fill-opacity='0.13'") == 2  # one band per fault interval
    assert "partition n1 x n2,n3" in svg and "kill n3" in svg
    assert "(still on at the end)" in svg  # the kill was never healed in this history
    assert re.search(r">1 s</text>", svg) and re.search(r">1 ms</text>", svg)


def test_throughput_plot_has_a_line_per_outcome_seen():
    svg = throughput_svg(timeline(faulty_history()))
    assert svg.count("<polyline") == 3


def test_report_embeds_the_plots_without_scripts():
    page = render_report({"name": "t"}, faulty_history(), {"valid": True})
    assert "<h2>Timeline</h2>" in page and page.count("<svg") == 2
    assert "<script" not in page and "http" not in page.replace("http-equiv", "")


def test_report_of_an_empty_history_says_so():
    page = render_report({"name": "t"}, History(), {"valid": "unknown"})
    assert "no operations completed" in page and "<svg" not in page


def test_fault_lanes_take_label_and_colour_from_the_registry_and_grey_for_unknown_kinds():
    from faultline.faults import FAULTS
    from faultline.render.faults import UNKNOWN_FAULT_COLOUR

    partition = FAULTS.get("partition")
    series = timeline(faulty_history())
    series["faults"].append({"fault": "gremlin", "start": 9.6, "stop": 9.9,
                             "label": "gremlin", "short": "gremlin"})  # from an older faultline
    svg = latency_svg(series)
    assert f"fill='{partition.colour}'" in svg and f">{partition.label}</text>" in svg
    assert f"fill='{FAULTS.get('kill').colour}'" in svg
    assert f"fill='{UNKNOWN_FAULT_COLOUR}'" in svg and ">gremlin</text>" in svg
