"""``faultline check``: verdict lines, --json records, overrides, and the exit codes."""

from __future__ import annotations

import json

import pytest

from faultline import cli
from faultline.core.errors import EXIT_BAD_INPUT, EXIT_INTERNAL, EXIT_INVALID, EXIT_UNKNOWN, EXIT_VALID

VALID_KNOSSOS = """[{:process 0, :type :invoke, :f :write, :value 1}
 {:process 0, :type :ok, :f :write, :value 1}
 {:process 1, :type :invoke, :f :read, :value nil}
 {:process 1, :type :ok, :f :read, :value 1}]
"""
# With Knossos' initial 0, reading 7 before any write of 7 is impossible.
INVALID_KNOSSOS = """[{:process 0, :type :invoke, :f :read, :value nil}
 {:process 0, :type :ok, :f :read, :value 7}
 {:process 1, :type :invoke, :f :write, :value 7}
 {:process 1, :type :ok, :f :write, :value 7}]
"""
ELLE = ("{:type :invoke :process 1 :value [[:append 3 1]]}\n"
        "{:type :ok :process 1 :value [[:append 3 1]]}\n")


@pytest.fixture
def files(tmp_path):
    def make(name: str, text: str) -> str:
        path = tmp_path / name
        path.write_text(text, encoding="utf-8")
        return str(path)
    return make


def check(capsys, *argv: str) -> tuple[int, str, str]:
    code = cli.main(["check", *argv])
    out, err = capsys.readouterr()
    return code, out, err


def json_records(out: str) -> list[dict]:
    return [json.loads(line) for line in out.splitlines()]


def test_valid_file_exits_0_with_a_readable_line(capsys, files):
    code, out, _ = check(capsys, files("ok.edn", VALID_KNOSSOS))
    assert code == EXIT_VALID
    assert "ok.edn: valid (knossos-edn, model cas-register, 2 ops" in out


def test_invalid_file_prints_the_counterexample(capsys, files):
    code, out, _ = check(capsys, files("bad.edn", INVALID_KNOSSOS))
    assert code == EXIT_INVALID
    lines = out.splitlines()
    assert "bad.edn: INVALID" in lines[0]
    assert any("cannot be linearized" in line and "read 7" in line for line in lines[1:])


def test_json_has_one_record_per_file(capsys, files):
    paths = [files("ok.edn", VALID_KNOSSOS), files("bad.edn", INVALID_KNOSSOS)]
    code, out, _ = check(capsys, "--json", *paths)
    records = json_records(out)
    assert code == EXIT_INVALID
    assert [r["path"] for r in records] == paths
    assert [r["valid"] for r in records] == [True, False]
    for r in records:
        assert r["format"] == "knossos-edn" and r["model"] == "cas-register"
        assert isinstance(r["time_s"], float)
    op = records[1]["counterexample"]["op"]
    assert op["f"] == "read" and op["lines"] == [1, 2]  # where the read is in bad.edn


# Two keys, each read a value never written to it.
TWO_BAD_KEYS = "".join(
    f'{{:process {p}, :type :{t}, :f :get, :key "{k}", :value {v}}}\n'
    for p, k in ((0, "a"), (1, "b")) for t, v in (("invoke", "nil"), ("ok", '"zz"'))
)


def test_full_reports_every_illegal_key(capsys, files):
    path = files("kv.txt", TWO_BAD_KEYS)
    code, out, _ = check(capsys, path)
    assert code == EXIT_INVALID and "keys are not linearizable" not in out
    code, out, _ = check(capsys, "--full", path)
    assert code == EXIT_INVALID and "2 keys are not linearizable: a, b" in out
    code, out, _ = check(capsys, "--full", "--json", path)
    keys = json_records(out)[0]["keys"]
    assert [keys[k]["counterexample"]["op"]["lines"] for k in ("a", "b")] == [[1, 2], [3, 4]]


def test_model_and_initial_override_what_the_source_implies(capsys, files):
    path = files("bad.edn", INVALID_KNOSSOS)
    # Starting at 7, the read of 7 before the write is fine.
    code, out, _ = check(capsys, "--json", "--initial", "7", path)
    assert code == EXIT_VALID and json_records(out)[0]["valid"] is True
    code, out, _ = check(capsys, "--json", "--model", "register", "--initial", "7", path)
    assert code == EXIT_VALID and json_records(out)[0]["model"] == "register"


def test_our_jsonl_with_keys_is_checked_per_key(capsys, tmp_path):
    from faultline.core.history import write_jsonl
    from faultline.core.op import Op
    # One register would be invalid (key 2's write then key 1's read of 1); per key it is fine.
    ops = [Op("invoke", "write", 1, 0, key=1), Op("ok", "write", 1, 0, key=1),
           Op("invoke", "write", 2, 0, key=2), Op("ok", "write", 2, 0, key=2),
           Op("invoke", "read", None, 1, key=1), Op("ok", "read", 1, 1, key=1)]
    write_jsonl(ops, tmp_path / "history.jsonl")
    code, out, _ = check(capsys, "--json", str(tmp_path / "history.jsonl"))
    record = json_records(out)[0]
    assert (code, record["format"], record["valid"]) == (EXIT_VALID, "jsonl", True)
    assert set(record["keys"]) == {"1", "2"}
    write_jsonl([op.with_(key=None) for op in ops], tmp_path / "history.jsonl")
    code, _, _ = check(capsys, str(tmp_path / "history.jsonl"))
    assert code == EXIT_INVALID


def test_format_flag_forces_the_importer(capsys, files):
    path = files("ok.edn", VALID_KNOSSOS)
    code, out, _ = check(capsys, "--json", "--format", "jepsen-log", path)
    assert code == EXIT_BAD_INPUT
    assert "no Jepsen op lines" in json_records(out)[0]["error"]


def test_transactions_are_checked_by_the_elle_checker(capsys, files):
    # One transaction: no dependency to infer, so Elle's verdict is unknown.
    code, out, _ = check(capsys, files("e.edn", ELLE))
    assert code == EXIT_UNKNOWN
    assert "unknown (elle-edn, list-append, models strict-serializable, 1 txns" in out
    assert "empty-transaction-graph: no dependency" in out


def test_time_limit_makes_a_hard_history_unknown(capsys, files, monkeypatch):
    from faultline.checkers import linearizable
    monkeypatch.setattr(linearizable, "FIRST_SLICE", 1)
    # Many concurrent writes and a read of one of them: valid, but no search decides it
    # within a budget of one configuration per round.
    lines = [f"{{:process {p}, :type :invoke, :f :write, :value {p}}}" for p in range(12)]
    lines += ["{:process 99, :type :invoke, :f :read, :value nil}",
              "{:process 99, :type :ok, :f :read, :value 5}"]
    lines += [f"{{:process {p}, :type :ok, :f :write, :value {p}}}" for p in range(12)]
    code, out, _ = check(capsys, "--json", "--time-limit", "0.000001",
                         files("hard.edn", "[" + "\n".join(lines) + "]"))
    record = json_records(out)[0]
    assert code == EXIT_UNKNOWN and record["valid"] == "unknown"
    assert "time limit" in record["reason"]


def test_unreadable_file_is_254_after_checking_the_others(capsys, files, tmp_path):
    bad = files("bad.edn", INVALID_KNOSSOS)
    code, out, _ = check(capsys, str(tmp_path / "absent.log"), bad)
    assert code == EXIT_BAD_INPUT
    lines = out.splitlines()
    assert "absent.log: ERROR" in lines[0] and "cannot read" in lines[0]
    assert "bad.edn: INVALID" in lines[1]


def test_malformed_file_names_file_and_line(capsys, files):
    path = files("torn.edn", VALID_KNOSSOS[:60])
    code, out, _ = check(capsys, "--json", path)
    assert code == EXIT_BAD_INPUT
    record = json_records(out)[0]
    assert record["valid"] is None and record["error"].startswith(f"{path}:")
    assert "Traceback" not in out


@pytest.mark.parametrize("argv", [
    ["--model", "queue", "x"],
    ["--initial", "{not json", "x"],
    ["--time-limit", "-1", "x"],
    ["--memory-limit", "lots", "x"],
    ["--format", "yaml", "x"],
    [],
])
def test_bad_arguments_exit_254(capsys, argv):
    with pytest.raises(SystemExit) as exit_:
        cli.main(["check", *argv])
    assert exit_.value.code == EXIT_BAD_INPUT
    assert "faultline: error:" in capsys.readouterr().err


def test_initial_the_model_cannot_take_is_254(capsys, files):
    code, _, err = check(capsys, "--model", "mutex", "--initial", "1",
                         files("ok.edn", VALID_KNOSSOS))
    assert code == EXIT_BAD_INPUT and "bad options for model 'mutex'" in err


def test_a_crashing_check_is_255_and_the_other_files_still_run(capsys, files, monkeypatch):
    from faultline.cli import check as check_command

    def explode(history, model, **_):
        if len(history) == 4 and history[1].value == 7:
            raise RuntimeError("boom")
        return real(history, model, **_)

    real = check_command.check_linearizable
    monkeypatch.setattr(check_command, "check_linearizable", explode)
    code, out, _ = check(capsys, "--json", files("bad.edn", INVALID_KNOSSOS),
                         files("ok.edn", VALID_KNOSSOS))
    records = json_records(out)
    assert code == EXIT_INTERNAL
    assert "internal error: RuntimeError: boom" in records[0]["error"]
    assert records[1]["valid"] is True


def test_check_and_the_report_show_the_same_counterexample_text(capsys, files):
    import html
    import re

    from faultline.core.history import History
    from faultline.render import render_report

    path = files("bad.edn", INVALID_KNOSSOS)
    _, text_out, _ = check(capsys, path)
    _, json_out, _ = check(capsys, "--json", path)
    [record] = json_records(json_out)
    page = render_report({}, History(), {"valid": False, "workload": record})
    [shown] = re.findall(r"<summary>the counterexample as text</summary><pre>(.*?)</pre>", page,
                         re.S)
    printed = [line.removeprefix("    ") for line in text_out.splitlines()[1:]]
    assert html.unescape(shown).splitlines() == printed
    assert "(lines 1-2)" in printed[0]  # where the read is in bad.edn, on both
