"""The data of the report's plots, computed from a history apart from drawing: each op's
latency by function and outcome, quantiles per window, throughput buckets, fault intervals
(tests/unit/test_report_plots.py draws them)."""

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


def test_timeline_has_each_ops_latency_outcome_and_start_by_function():
    t = timeline(faulty_history())
    assert t["duration_s"] == 10.5 and t["functions"] == ["cas", "read", "write"]
    lat = t["latency"]
    assert lat["write"]["ok"] == {"t_s": [0.0, 10.0], "ms": [10.0, 500.0]}
    assert lat["cas"]["fail"] == {"t_s": [2.0], "ms": [1.0]}
    assert lat["read"]["info"] == {"t_s": [2.5], "ms": [4500.0]}
    assert lat["read"]["ok"] == {"t_s": [], "ms": []}  # the read never completed: not here
    assert t["total"] == {"ok": 2, "fail": 1, "info": 1, "pending": 1}


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


def test_throughput_counts_completions_per_second_per_function_and_outcome():
    tp = timeline(faulty_history())["throughput"]
    assert tp["bucket_s"] == 1.0 and len(tp["start_s"]) == 11
    write, cas, read = tp["by_f"]["write"], tp["by_f"]["cas"], tp["by_f"]["read"]
    assert write["ok"][0] == 1 and sum(write["ok"][:10]) == 1
    assert write["ok"][10] == 2  # the last bucket covers 0.5 s: one completion is 2/s
    assert cas["fail"][2] == 1 and sum(cas["fail"]) == 1 and not any(cas["ok"])
    assert read["info"][7] == 1 and sum(read["info"]) == 1  # by completion, not invocation


def test_long_runs_use_wider_buckets_and_windows():
    h = History([Op(INVOKE, "read", None, 0, 0, key=0), Op(OK, "read", 1, 0, 1000 * S, key=0)])
    t = timeline(h)
    assert t["throughput"]["bucket_s"] == 4.0 and len(t["throughput"]["start_s"]) == 250
    assert t["quantiles"]["window_s"] == 10.0


def _ops(f, process, latencies_ms, start_s):
    """One ok op of ``f`` per latency, invoked 1 ms apart from ``start_s``, each by its own
    process (``process`` * 1000 + i)."""
    ops = []
    for i, ms in enumerate(latencies_ms):
        t = int(start_s * S) + i * S // 1000
        ops += [Op(INVOKE, f, None, process * 1000 + i, t, key=0),
                Op(OK, f, 1, process * 1000 + i, t + int(ms * 1e6), key=0)]
    return ops


def _history(ops):
    return History(sorted(ops, key=lambda op: op.time))


def test_quantiles_per_window_and_function_by_nearest_rank():
    q = timeline(_history(_ops("read", 0, range(1, 101), 0.0)      # window 0: 1..100 ms
                          + _ops("read", 1, [7.0, 3.0], 2.2)      # window 2; none in 1
                          + _ops("write", 2, [40.0], 1.5)))["quantiles"]
    assert q["window_s"] == 1.0
    read = q["by_f"]["read"]
    assert read["t_s"] == [0.0, 2.0]
    assert (read["p50"], read["p95"], read["p99"], read["max"]) == \
        ([50, 3.0], [95, 7.0], [99, 7.0], [100, 7.0])
    assert q["by_f"]["write"] == {"t_s": [1.0], "p50": [40.0], "p95": [40.0], "p99": [40.0],
                                  "max": [40.0]}


def test_quantiles_count_failed_and_unknown_ops_too():
    q = timeline(faulty_history())["quantiles"]["by_f"]
    assert q["cas"]["max"] == [1.0] and q["read"]["max"] == [4500.0]


def test_nearest_rank_quantile():
    from faultline.render.timeline import quantile

    assert quantile([5.0], 0.5) == 5.0 and quantile([5.0], 1.0) == 5.0
    assert quantile([1, 2, 3, 4], 0.5) == 2 and quantile([1, 2, 3, 4], 0.51) == 3
    assert quantile(list(range(1, 1001)), 0.99) == 990 and quantile([1, 2], 0.0) == 1


def test_every_op_is_kept_however_many():
    ops = []
    for i in range(20_000):
        latency = 3 * S if i == 1234 else S // 1000
        ops += [Op(INVOKE, "read", None, i, i * S // 100, key=0),
                Op(OK, "read", 1, i, i * S // 100 + latency, key=0)]
    t = timeline(_history(ops))
    assert len(t["latency"]["read"]["ok"]["ms"]) == 20_000 == t["total"]["ok"]
    assert max(t["latency"]["read"]["ok"]["ms"]) == 3000.0


def test_many_functions_fold_the_least_frequent_into_other():
    from faultline.render.timeline import MAX_FUNCTIONS, OTHER

    ops = []
    for n in range(MAX_FUNCTIONS + 3):  # function fN has N + 1 ops
        ops += _ops(f"f{n}", n, [1.0] * (n + 1), n)
    t = timeline(_history(ops))
    kept = [f"f{n}" for n in range(4, MAX_FUNCTIONS + 3)]  # the MAX_FUNCTIONS - 1 most frequent
    assert t["functions"] == sorted(kept) + [OTHER]
    assert len(t["latency"][OTHER]["ok"]["ms"]) == 1 + 2 + 3 + 4  # f0..f3
    assert t["total"]["ok"] == sum(range(1, MAX_FUNCTIONS + 4))


def test_the_data_and_the_cli_do_not_import_matplotlib():
    """matplotlib is loaded when a plot is drawn, so `faultline --help` stays quick."""
    import subprocess
    import sys

    code = ("import sys, faultline.cli, faultline.render\n"
            "from faultline.render.timeline import timeline\n"
            "from faultline.core.history import History\n"
            "timeline(History())\n"
            "assert 'matplotlib' not in sys.modules, 'matplotlib imported'\n")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
