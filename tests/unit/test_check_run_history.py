"""``faultline check`` on a run's own history: the run's workload checker decides it."""

from __future__ import annotations

import json

from faultline import cli
from faultline.core.errors import EXIT_BAD_INPUT, EXIT_INVALID, EXIT_VALID


def _run_dir(tmp_path, spec, ops):
    """A run directory holding ``spec`` as test.json and ``ops`` (type, process, f,
    value, node) as history.jsonl, one op per 10 ms."""
    (tmp_path / "test.json").write_text(json.dumps(spec))
    lines = [json.dumps({"index": i, "time": i * 10_000_000, "type": t, "process": p, "f": f,
                         "value": v, **({"node": n} if n else {})})
             for i, (t, p, f, v, n) in enumerate(ops)]
    (tmp_path / "history.jsonl").write_text("\n".join(lines) + "\n")
    return str(tmp_path / "history.jsonl")


def _set_ops(final_read):
    return [("invoke", 0, "add", 1, None), ("ok", 0, "add", 1, None),
            ("invoke", 1, "add", 2, None), ("ok", 1, "add", 2, None),
            ("invoke", 0, "read", None, None), ("ok", 0, "read", final_read, None),
            ("invoke", 2, "member-read", None, "n1"), ("ok", 2, "member-read", [1, 2], "n1"),
            ("invoke", 3, "member-read", None, "n2"), ("ok", 3, "member-read", [1, 2], "n2")]


def test_a_set_runs_history_is_checked_by_set_full(capsys, tmp_path):
    path = _run_dir(tmp_path, {"workload": "set", "db": "etcd"}, _set_ops([1, 2]))
    code = cli.main(["check", "--json", path])
    record = json.loads(capsys.readouterr().out)
    assert code == EXIT_VALID, record
    assert record["kind"] == "set" and record["checker"].startswith("set workload")


def test_a_lost_element_in_a_set_run_is_invalid_and_said(capsys, tmp_path):
    path = _run_dir(tmp_path, {"workload": "set", "db": "etcd"}, _set_ops([1]))
    code = cli.main(["check", path])
    out = capsys.readouterr().out
    assert code == EXIT_INVALID
    assert out.startswith(f"{path}: INVALID (jsonl, set workload (the run's test.json), 5 ops")


def test_model_asks_for_linearizability_instead(capsys, tmp_path):
    path = _run_dir(tmp_path, {"workload": "set", "db": "etcd"}, _set_ops([1, 2]))
    code = cli.main(["check", "--model", "set", path])
    out = capsys.readouterr().out
    # the member reads are the run's member-state check's, not the model's: left out
    assert code == EXIT_VALID and "model set, 3 ops" in out, out  # 2 adds, 1 read


def test_a_transactional_run_is_checked_against_what_its_db_promises(capsys, tmp_path):
    # Two read-only txns: the second, invoked after a write completed, misses it.
    ops = [("invoke", 0, "txn", [["append", 1, 1]], None),
           ("ok", 0, "txn", [["append", 1, 1]], None),
           ("invoke", 1, "txn", [["r", 1, None]], None), ("ok", 1, "txn", [["r", 1, None]], None)]
    spec = {"workload": "list-append", "db": "zookeeper", "read_mode": "plain"}
    path = _run_dir(tmp_path, spec, ops)
    code = cli.main(["check", "--json", path])
    record = json.loads(capsys.readouterr().out)
    assert code == EXIT_VALID and record["models"] == ["serializable"], record  # plain: stale ok
    code = cli.main(["check", "--json", "--consistency-model", "strict-serializable", path])
    record = json.loads(capsys.readouterr().out)
    assert code == EXIT_INVALID and record["models"] == ["strict-serializable"], record
    assert any(t.endswith("realtime") for t in record["anomaly_types"])


def test_consistency_model_on_a_register_run_is_refused(capsys, tmp_path):
    ops = [("invoke", 0, "write", 1, None), ("ok", 0, "write", 1, None)]
    path = _run_dir(tmp_path, {"workload": "register", "db": "etcd"}, ops)
    assert cli.main(["check", "--consistency-model", "serializable", path]) == EXIT_BAD_INPUT
    assert "--consistency-model is for transactional" in capsys.readouterr().out
