"""``faultline check`` on transactional histories: the Elle checker, --consistency-model,
--json, exit codes."""

from __future__ import annotations

import json

import pytest

from faultline import cli
from faultline.core.errors import EXIT_BAD_INPUT, EXIT_INVALID, EXIT_UNKNOWN, EXIT_VALID
from faultline.core.history import write_jsonl
from faultline.core.op import Op

LOST_UPDATE = """[
{:type :invoke, :process 0, :f :txn, :value [[:append :x 0]]}
{:type :ok, :process 0, :f :txn, :value [[:append :x 0]]}
{:type :invoke, :process 0, :f :txn, :value [[:r :x nil] [:append :x 1]]}
{:type :ok, :process 0, :f :txn, :value [[:r :x [0]] [:append :x 1]]}
{:type :invoke, :process 0, :f :txn, :value [[:r :x nil] [:append :x 2]]}
{:type :ok, :process 0, :f :txn, :value [[:r :x [0]] [:append :x 2]]}
]
"""


def check(capsys, *argv: str) -> tuple[int, str, str]:
    code = cli.main(["check", *argv])
    out, err = capsys.readouterr()
    return code, out, err


@pytest.fixture
def lost_update(tmp_path):
    path = tmp_path / "lost.edn"
    path.write_text(LOST_UPDATE)
    return str(path)


def jsonl(tmp_path, *txns) -> str:
    """Our JSONL: transactions (invoke value, ok value) run one after another."""
    ops = []
    for p, (invoked, done) in enumerate(txns):
        ops += [Op("invoke", "txn", invoked, p), Op("ok", "txn", done, p)]
    path = tmp_path / "history.jsonl"
    write_jsonl(ops, path)
    return str(path)


def test_an_anomaly_is_invalid_with_one_line_per_type(capsys, lost_update):
    code, out, _ = check(capsys, lost_update)
    assert code == EXIT_INVALID
    lines = out.splitlines()
    assert lines[0].startswith(f"{lost_update}: INVALID (elle-edn, list-append, models "
                               "strict-serializable, 3 txns")
    assert lines[1].startswith("    G2-item: T1, T2 form a cycle")
    assert lines[2] == ("    lost-update: T1 and T2 both read x = [0] and then appended to x: "
                        "each update was made without seeing the other")
    assert lines[3].startswith("    ruled out: cursor-stability, update-atomic")


def test_json_names_the_anomalies_and_the_models_ruled_out(capsys, lost_update):
    code, out, _ = check(capsys, "--json", lost_update)
    record = json.loads(out)
    assert code == EXIT_INVALID and record["valid"] is False
    assert (record["kind"], record["workload"], record["ops"]) == ("elle", "list-append", 3)
    assert record["anomaly_types"] == ["G2-item", "lost-update"]
    assert record["not"] == ["cursor-stability", "update-atomic"]
    assert record["anomalies"]["lost-update"][0]["key"] == "x"


def test_a_model_that_allows_the_anomalies_passes(capsys, lost_update):
    code, out, _ = check(capsys, "--consistency-model", "read-committed", lost_update)
    assert code == EXIT_VALID and ": valid (" in out
    # Repeated and comma-separated: every model must hold.
    code, out, _ = check(capsys, "--json", "--consistency-model", "read-committed",
                         "--consistency-model", "read-uncommitted,repeatable-read", lost_update)
    record = json.loads(out)
    assert code == EXIT_INVALID
    assert record["models"] == ["read-committed", "read-uncommitted", "repeatable-read"]


def test_our_jsonl_transactions_are_checked(capsys, tmp_path):
    path = jsonl(tmp_path,
                 ([["append", 1, 1]], [["append", 1, 1]]),
                 ([["r", 1, None], ["append", 1, 2]], [["r", 1, [1]], ["append", 1, 2]]),
                 ([["r", 1, None]], [["r", 1, [1, 2]]]))
    code, out, _ = check(capsys, path)
    assert code == EXIT_VALID and "valid (jsonl, list-append" in out
    path = jsonl(tmp_path, ([["w", "a", 1]], [["w", "a", 1]]),
                 ([["r", "a", None]], [["r", "a", None]]))
    code, out, _ = check(capsys, "--json", path)
    record = json.loads(out)
    assert code == EXIT_INVALID and record["workload"] == "rw-register"
    assert record["anomaly_types"] == ["G-single-item-realtime"]  # a stale read


def test_no_dependency_is_unknown(capsys, tmp_path):
    path = jsonl(tmp_path, ([["append", 1, 1]], [["append", 1, 1]]))
    code, out, _ = check(capsys, path)
    assert code == EXIT_UNKNOWN and "empty-transaction-graph" in out


def test_bad_model_names_and_misplaced_models_are_254(capsys, lost_update, tmp_path):
    code, _, err = check(capsys, "--consistency-model", "serialisable", lost_update)
    assert code == EXIT_BAD_INPUT and "unknown consistency model 'serialisable'" in err
    register = tmp_path / "r.jsonl"
    write_jsonl([Op("invoke", "write", 1, 0), Op("ok", "write", 1, 0)], register)
    code, out, _ = check(capsys, "--consistency-model", "serializable", str(register))
    assert code == EXIT_BAD_INPUT and "for transactional histories" in out


def test_appends_and_writes_in_one_history_are_refused(capsys, tmp_path):
    path = jsonl(tmp_path, ([["append", 1, 1]], [["append", 1, 1]]), ([["w", 2, 1]], [["w", 2, 1]]))
    code, out, _ = check(capsys, path)
    assert code == EXIT_BAD_INPUT and "both append" in out
