"""The report's plots, drawn with matplotlib from the timeline's data: every op drawn in its
function's row and outcome's style, quantile and throughput lines, each fault interval
shaded in every row and labelled in its lane (the registry's name and colour), and the SVG
inlined in the page with nothing loaded from elsewhere."""

import re

from matplotlib.colors import to_hex

from faultline.core.history import History
from faultline.core.op import INFO, INVOKE, OK, Op
from faultline.faults import FAULTS
from faultline.render import render_report
from faultline.render.faults import UNKNOWN_FAULT_COLOUR
from faultline.render.plots import (OUTCOME_STYLE, duration_label, fault_tips, figures,
                                    latency_figure, quantiles_figure, svg, throughput_figure)
from faultline.render.timeline import timeline
from test_report import external_references
from test_report_timeline import S, faulty_history


def rows(fig):
    """The figure's rows by function (the axes with a y label), and the fault lane axes."""
    by_f = {ax.get_ylabel(): ax for ax in fig.axes if ax.get_ylabel()}
    lanes = [ax for ax in fig.axes if not ax.get_ylabel()]
    return by_f, lanes


def test_latency_plot_draws_every_op_in_its_functions_row_and_its_outcomes_style():
    by_f, _ = rows(latency_figure(timeline(faulty_history())))
    assert sorted(by_f) == ["cas", "read", "write"]
    drawn = {f: [(line.get_marker(), to_hex(line.get_color()), list(line.get_ydata()))
                 for line in ax.lines] for f, ax in by_f.items()}
    fail, ok, info = (OUTCOME_STYLE[o] for o in ("fail", "ok", "info"))
    assert drawn == {"cas": [(fail.marker, fail.colour, [1.0])],
                     "read": [(info.marker, info.colour, [4500.0])],
                     "write": [(ok.marker, ok.colour, [10.0, 500.0])]}
    assert all(line.get_rasterized() for ax in by_f.values() for line in ax.lines)
    assert all(ax.get_yscale() == "log" for ax in by_f.values())


def test_all_of_a_large_runs_ops_are_drawn_and_the_svg_stays_small():
    ops = []
    for i in range(30_000):
        t = i * S // 1000
        ops += [Op(INVOKE, "read", None, i, t, key=0),
                Op(OK, "read", 1, i, t + (1 + i % 7) * S // 1000, key=0)]
    series = timeline(History(sorted(ops, key=lambda op: op.time)))
    fig = latency_figure(series)
    by_f, _ = rows(fig)
    assert sum(len(line.get_xdata()) for line in by_f["read"].lines) == 30_000
    text = svg("latency", fig)
    assert "<image" in text and len(text) < 400_000  # the markers are one bitmap


def test_every_fault_is_shaded_in_every_row_and_labelled_in_its_lane():
    fig = latency_figure(timeline(faulty_history()))
    by_f, (lanes,) = rows(fig)
    partition, kill = FAULTS.get("partition"), FAULTS.get("kill")
    for ax in by_f.values():
        bands = [(to_hex(p.get_facecolor()), round(p.get_x(), 3), round(p.get_width(), 3))
                 for p in ax.patches]
        assert bands == [(partition.colour, 1.1, 7.1), (kill.colour, 9.5, 1.0)]  # kill: to the end
    assert [t.get_text() for t in lanes.get_yticklabels()] == [kill.label, partition.label]
    assert [t.get_text() for t in lanes.texts] == ["partition n1 x n2,n3; n2 x n1; n3 x n1",
                                                   "kill n3 (still on at the end)"]
    bars = [to_hex(c.get_facecolor()[0]) for c in lanes.collections]
    assert bars == [partition.colour, kill.colour]


def test_hovering_a_faults_bar_or_band_tells_its_full_label_and_when():
    series = timeline(faulty_history())
    assert fault_tips(series) == ["partition n1 x n2,n3; n2 x n1; n3 x n1: 1.1-8.2 s",
                                  "kill n3: 9.5-10.5 s (still on at the end)"]
    text = svg("latency", latency_figure(series), fault_tips(series))
    for tip in fault_tips(series):  # its lane's bar and its band in each of the 3 rows
        assert text.count(f"<title>{tip}</title>") == 4


def test_a_fault_kind_the_registry_does_not_know_is_grey_under_its_own_name():
    series = timeline(faulty_history())
    series["faults"].append({"fault": "gremlin", "start": 3.0, "stop": 4.0,
                             "label": "gremlin n2", "short": "gremlin"})  # an older faultline's
    by_f, (lanes,) = rows(latency_figure(series))
    assert [t.get_text() for t in lanes.get_yticklabels()][-1] == "gremlin"
    assert UNKNOWN_FAULT_COLOUR in [to_hex(p.get_facecolor()) for p in by_f["cas"].patches]
    assert "gremlin n2" in [t.get_text() for t in lanes.texts]


def test_a_label_too_wide_for_its_band_goes_beside_it_or_falls_back_to_shorter_ones():
    series = timeline(faulty_history())
    series["faults"] = [
        {"fault": "partition", "start": 1.0, "stop": 1.05, "label": "partition n1 x n2,n3",
         "short": "partition halves"},        # room after it, before the next band
        {"fault": "partition", "start": 4.0, "stop": 4.05, "label": "partition " + "n1 " * 80,
         "short": "partition halves"},        # the long label fits nowhere, the short one does
    ]
    _, (lanes,) = rows(latency_figure(series))
    texts = [(t.get_text(), round(t.get_position()[0], 1)) for t in lanes.texts]
    assert [t for t, _ in texts] == ["partition n1 x n2,n3", "partition halves"]
    assert texts[0][1] >= 1.05  # beside the band, not in it


def test_quantile_plot_has_a_line_per_quantile_at_each_windows_middle():
    series = timeline(faulty_history())
    by_f, _ = rows(quantiles_figure(series))
    write = {line.get_label(): (list(line.get_xdata()), list(line.get_ydata()))
             for line in by_f["write"].lines}
    assert list(write) == ["p50", "p95", "p99", "max"]
    assert write["max"] == ([0.5, 10.5], [10.0, 500.0])


def test_throughput_plot_has_a_line_per_outcome_seen_in_each_row():
    by_f, _ = rows(throughput_figure(timeline(faulty_history())))
    assert {f: [line.get_label() for line in ax.lines] for f, ax in by_f.items()} == {
        "cas": [OUTCOME_STYLE["fail"].name], "read": [OUTCOME_STYLE["info"].name],
        "write": [OUTCOME_STYLE["ok"].name]}
    assert by_f["write"].get_ylim()[0] == 0


def test_latency_ticks_read_as_durations():
    assert [duration_label(ms) for ms in (0.01, 1, 100, 1000, 20_000)] == [
        "10 µs", "1 ms", "100 ms", "1 s", "20 s"]
    text = svg("latency", latency_figure(timeline(faulty_history())))
    assert re.search(r">1 s</text>", text) and re.search(r">1 ms</text>", text)


def test_the_page_inlines_three_plots_with_their_own_ids_and_nothing_from_elsewhere():
    page = render_report({"name": "t"}, faulty_history(), {"valid": True})
    assert "<h2>Latency and throughput</h2>" in page
    for name in ("latency", "quantiles", "throughput"):
        assert f'<figure class=plot id="{name}">' in page
    assert page.count("<svg") == 3 and "<?xml" not in page and "DOCTYPE svg" not in page
    ids = re.findall(r'\bid="([^"]+)"', page)
    assert len(ids) == len(set(ids))  # several SVGs, one document
    assert external_references(page) == []
    assert all("<script" not in f["svg"] for f in figures(timeline(faulty_history())))
    assert "partition n1 x n2,n3" in page  # labels are text in the page


def test_the_page_of_an_empty_history_says_so_and_draws_nothing():
    page = render_report({"name": "t"}, History(), {"valid": "unknown"})
    assert "no operations completed" in page and "<svg" not in page
    assert figures(timeline(History())) == []


def test_a_history_without_times_still_draws():
    """An imported history may carry no times: every op at 0 with no latency."""
    h = History([Op(INVOKE, "txn", [["r", 1, None]], 0, 0), Op(OK, "txn", [["r", 1, [1]]], 0, 0),
                 Op(INVOKE, "txn", [["append", 1, 2]], 1, 0),
                 Op(INFO, "txn", [["append", 1, 2]], 1, 0)])
    series = timeline(h)
    assert series["throughput"]["by_f"]["txn"] == {"ok": [1.0], "fail": [0.0], "info": [1.0]}
    assert [f["name"] for f in figures(series)] == ["latency", "quantiles", "throughput"]
