"""The whole-run timeline's data: lanes (one per worker, a crashed process's successor on
its lane), each op's bar decoded from the compact columns, outcomes, fault bands; and the
page part: the data inline, safe inside its script element, nothing from elsewhere."""

from __future__ import annotations

import json
import re

from faultline.core.history import History
from faultline.core.op import FAIL, INFO, INVOKE, NEMESIS, OK, Op
from faultline.faults import FAULTS
from faultline.render.run_timeline import decode_ops, run_timeline_html, timeline_data

MS = 1_000_000


def history():
    """Workers A (processes 0 then 2: 0's write timed out) and B (process 1); a partition
    from 5 to 9 ms; process 1's last read never completes."""
    return History([
        Op(INVOKE, "write", 1, 0, 0, key="x"), Op(INVOKE, "read", None, 1, 1 * MS, key="x"),
        Op(OK, "read", None, 1, 2 * MS, key="x"), Op(INFO, "write", 1, 0, 3 * MS, key="x",
                                                     error="timeout"),
        Op(INVOKE, "cas", [1, 2], 2, 4 * MS, key="y"),
        Op(INVOKE, "start-partition", None, NEMESIS, 5 * MS),
        Op(INFO, "start-partition", {"grudge": {"n1": ["n2", "n3"]}}, NEMESIS, 5 * MS),
        Op(FAIL, "cas", [1, 2], 2, 6 * MS, key="y", error="cas-mismatch"),
        Op(INVOKE, "read", None, 1, 7 * MS, key="y"),
        Op(INVOKE, "stop-partition", None, NEMESIS, 9 * MS),
        Op(INFO, "stop-partition", None, NEMESIS, 9 * MS),
        Op(INVOKE, "write", 5, 2, 10 * MS, key="y"), Op(OK, "write", 5, 2, 12 * MS, key="y"),
    ])


def test_a_crashed_process_is_followed_by_its_successor_on_its_lane():
    data = timeline_data(history())
    assert data["lanes"] == [[[0, 0], [2, 4000]], [[1, 1000]]]
    assert data["end_us"] == 12_000


def test_every_client_op_decodes_to_its_bar():
    ops = decode_ops(timeline_data(history()))
    assert [(o["index"], o["f"], o["lane"], o["start_us"], o["end_us"], o["outcome"])
            for o in ops] == [
        (0, "write", 0, 0, 3000, "info"),      # until the client gave up
        (1, "read", 1, 1000, 2000, "ok"),
        (4, "cas", 0, 4000, 6000, "fail"),
        (8, "read", 1, 7000, None, "pending"),  # never completed: to the end
        (11, "write", 0, 10_000, 12_000, "ok"),
    ]
    assert [(o["key"], o["value"]) for o in ops] == [
        ("x", '1 (timeout)'), ("x", None), ("y", "[1, 2] (cas-mismatch)"), ("y", None),
        ("y", 5)]


def test_faults_are_bands_in_the_registry_colour():
    (band,) = timeline_data(history())["faults"]
    assert band == {"fault": "partition", "label": "partition n1 x n2,n3",
                    "colour": FAULTS.get("partition").colour,
                    "start_us": 5000, "stop_us": 9000}


def test_columns_stay_small_numbers_at_scale():
    ops = [Op(INVOKE if i % 2 == 0 else OK, "write", i // 2, 0, 1_000_000_000 + i * 100_000)
           for i in range(2000)]
    cols = timeline_data(History(ops))["ops"]
    assert set(cols["dt"][1:]) == {200} and set(cols["i"][1:]) == {2}  # deltas, not times
    assert set(cols["d"]) == {100} and set(cols["k"]) == {None}


def test_the_page_part_holds_its_data_safely_and_loads_nothing():
    h = History([Op(INVOKE, "write", "</script><b>", 0, 0), Op(OK, "write", "</script><b>", 0, 5)])
    html = str(run_timeline_html(h))
    payload = re.search(r'<script type="application/json" id="rt-data">(.*?)</script>', html,
                        re.S).group(1)
    assert "</script" not in payload and "<b>" not in payload
    assert json.loads(payload)["ops"]["v"] == ["</script><b>"]
    assert '<canvas id="rt-canvas"' in html
    assert "http" not in html and " src=" not in html
    assert str(run_timeline_html(History())) == ""
