"""History validation before any check: one malformed history per rule and format, torn
tails (refused by ``check``, handled by ``analyze``), and model inference (Knossos mutex
histories checked as a mutex)."""

from __future__ import annotations

import json

import pytest

from faultline import cli
from faultline.checkers.importers import load_history
from faultline.core.errors import EXIT_BAD_INPUT, EXIT_INVALID, EXIT_VALID
from faultline.core.history import HistoryWriter
from faultline.core.op import INFO, INVOKE, NEMESIS, OK, Op
from faultline.core.store import RunDir


def jsonl(*ops: dict) -> str:
    return "".join(json.dumps(op) + "\n" for op in ops)


def j(type_: str, f: str, process=0, value=None, **extra) -> dict:
    return {"type": type_, "f": f, "process": process, "value": value, **extra}


def log(*lines: str, end: str = "\n") -> str:
    return "\n".join(f"INFO  jepsen.util - {line}" for line in lines) + end


# One malformed history per rule and format: (format, rule, text, the line it names).
# Each is sound up to that line, so the error can only come from the rule.
MALFORMED = [
    # --- our JSONL
    ("jsonl", "completion without invocation",
     jsonl(j("invoke", "write", 0, 1), j("ok", "write", 0, 1), j("ok", "read", 1, 1)), 3),
    ("jsonl", "second invocation while one is open",
     jsonl(j("invoke", "write", 0, 1), j("invoke", "read", 0)), 2),
    ("jsonl", "a crashed process issues again",
     jsonl(j("invoke", "write", 0, 1), j("info", "write", 0, 1), j("invoke", "read", 0)), 3),
    ("jsonl", "completion of another function",
     jsonl(j("invoke", "write", 0, 1), j("ok", "read", 0, 1)), 2),
    ("jsonl", "function no model knows",
     jsonl(j("invoke", "write", 0, 1), j("ok", "write", 0, 1), j("invoke", "frob", 1)), 3),
    ("jsonl", "unknown type",
     jsonl(j("invoke", "write", 0, 1), j("done", "write", 0, 1)), 2),
    ("jsonl", "missing process",
     jsonl(j("invoke", "write", 0, 1), {"type": "ok", "f": "write", "value": 1}), 2),
    ("jsonl", "truncated last line",
     jsonl(j("invoke", "write", 0, 1)) + '{"type": "ok", "f": "wr', 2),
    # --- Jepsen 0.x logs
    ("jepsen-log", "completion without invocation",
     log("0\t:invoke\t:read\tnil", "0\t:ok\t:read\t1", "1\t:ok\t:write\t2"), 3),
    ("jepsen-log", "second invocation while one is open",
     log("0\t:invoke\t:read\tnil", "0\t:invoke\t:write\t1"), 2),
    ("jepsen-log", "function no model knows",
     log("0\t:invoke\t:read\tnil", "0\t:ok\t:read\t1", "1\t:invoke\t:frob\t1"), 3),
    ("jepsen-log", "unknown type",
     log("0\t:invoke\t:read\tnil", "0\t:done\t:read\t1"), 2),
    ("jepsen-log", "missing value field",
     log("0\t:invoke\t:read\tnil", "0\t:ok\t:read"), 2),
    ("jepsen-log", "last line cut to 'INFO  j'",
     log("0\t:invoke\t:read\tnil", "0\t:ok\t:read\t1") + "INFO  j", 3),
    ("jepsen-log", "last line cut to 'INFO  jepsen.util'",
     log("0\t:invoke\t:read\tnil", "0\t:ok\t:read\t1") + "INFO  jepsen.util\n", 3),
    ("jepsen-log", "last op line cut in its value",
     log("0\t:invoke\t:cas\t[1 2]", "0\t:ok\t:cas\t[1 ", end=""), 2),
    # --- Porcupine kv
    ("porcupine-kv", "completion without invocation",
     '{:process 0, :type :invoke, :f :get, :key "a", :value nil}\n'
     '{:process 1, :type :ok, :f :get, :key "a", :value ""}\n', 2),
    ("porcupine-kv", "second invocation while one is open",
     '{:process 0, :type :invoke, :f :get, :key "a", :value nil}\n'
     '{:process 0, :type :invoke, :f :put, :key "a", :value "x"}\n', 2),
    ("porcupine-kv", "function no model knows",
     '{:process 0, :type :invoke, :f :get, :key "a", :value nil}\n'
     '{:process 0, :type :ok, :f :get, :key "a", :value ""}\n'
     '{:process 1, :type :invoke, :f :frob, :key "a", :value "x"}\n', 3),
    ("porcupine-kv", "missing process",
     '{:process 0, :type :invoke, :f :get, :key "a", :value nil}\n'
     '{:type :ok, :f :get, :key "a", :value ""}\n', 2),
    ("porcupine-kv", "truncated last line",
     '{:process 0, :type :invoke, :f :get, :key "a", :value nil}\n'
     '{:process 0, :type :ok, :f :g', 2),
    # --- Knossos EDN
    ("knossos-edn", "completion without invocation",
     "[{:process 0, :type :invoke, :f :write, :value 1}\n"
     " {:process 1, :type :ok, :f :write, :value 1}]\n", 2),
    ("knossos-edn", "second invocation while one is open",
     "[{:process 0, :type :invoke, :f :write, :value 1}\n"
     " {:process 0, :type :invoke, :f :read, :value nil}]\n", 2),
    ("knossos-edn", "function no model knows",
     "[{:process 0, :type :invoke, :f :write, :value 1}\n"
     " {:process 0, :type :ok, :f :write, :value 1}\n"
     " {:process 1, :type :invoke, :f :frob, :value 1}]\n", 3),
    ("knossos-edn", "functions of two models",
     "[{:process 0, :type :invoke, :f :write, :value 1}\n"
     " {:process 0, :type :ok, :f :write, :value 1}\n"
     " {:process 1, :type :invoke, :f :acquire}]\n", 3),
    ("knossos-edn", "missing process",
     "[{:process 0, :type :invoke, :f :write, :value 1}\n"
     " {:type :ok, :f :write, :value 1}]\n", 2),
    ("knossos-edn", "truncated file",
     "[{:process 0, :type :invoke, :f :write, :value 1}\n"
     " {:process 0, :type :ok, :f :wri", 2),
    # --- Elle EDN
    ("elle-edn", "completion without invocation",
     "{:type :invoke, :process 0, :f :txn, :value [[:append 1 1]]}\n"
     "{:type :ok, :process 1, :f :txn, :value [[:append 1 1]]}\n", 2),
    ("elle-edn", "second invocation while one is open",
     "{:type :invoke, :process 0, :f :txn, :value [[:append 1 1]]}\n"
     "{:type :invoke, :process 0, :f :txn, :value [[:r 1 nil]]}\n", 2),
    ("elle-edn", "function other than a transaction",
     "{:type :invoke, :process 0, :f :txn, :value [[:append 1 1]]}\n"
     "{:type :ok, :process 0, :f :txn, :value [[:append 1 1]]}\n"
     "{:type :invoke, :process 1, :f :frob, :value [[:append 1 2]]}\n", 3),
    ("elle-edn", "missing type",
     "{:type :invoke, :process 0, :f :txn, :value [[:append 1 1]]}\n"
     "{:process 0, :f :txn, :value [[:append 1 1]]}\n", 2),
    ("elle-edn", "truncated last line",
     "{:type :invoke, :process 0, :f :txn, :value [[:append 1 1]]}\n"
     "{:type :ok, :process 0, :f :txn, :value [[:app", 2),
]


@pytest.mark.parametrize("fmt, rule, text, line", MALFORMED,
                         ids=[f"{m[0]}: {m[1]}" for m in MALFORMED])
def test_a_malformed_history_is_refused_with_its_file_and_line(capsys, tmp_path, fmt, rule,
                                                                text, line):
    path = tmp_path / "history.txt"
    path.write_text(text, encoding="utf-8")
    for given in ("auto", fmt):  # recognised from the content, and named
        code = cli.main(["check", "--json", "--format", given, str(path)])
        record = json.loads(capsys.readouterr().out)
        assert code == EXIT_BAD_INPUT, record
        assert record["valid"] is None
        assert record["error"].startswith(f"{path}:{line}: "), record["error"]


def test_a_function_the_given_model_does_not_know_is_refused_with_its_line(capsys, tmp_path):
    path = tmp_path / "h.edn"
    path.write_text("[{:process 0, :type :invoke, :f :write, :value 1}\n"
                    " {:process 0, :type :ok, :f :write, :value 1}]\n")
    code = cli.main(["check", "--model", "mutex", str(path)])
    out = capsys.readouterr().out
    assert code == EXIT_BAD_INPUT
    assert f"{path}:1: model 'mutex' has no operation 'write'" in out


@pytest.mark.parametrize("given", [[], ["--model", "kv"]])
def test_a_kv_history_of_numbers_is_refused_at_the_first_number(capsys, tmp_path, given):
    path = tmp_path / "h.jsonl"
    ops = [("invoke", "put", "a"), ("ok", "put", "a"), ("invoke", "get", None),
           ("ok", "get", 1)]  # a kv store holds strings: a get cannot return 1
    path.write_text("".join(json.dumps({"index": i, "time": i, "type": t, "process": 0,
                                        "f": f, "key": "x", "value": v}) + "\n"
                            for i, (t, f, v) in enumerate(ops)))
    code = cli.main(["check", *given, str(path)])
    out = capsys.readouterr().out
    assert code == EXIT_BAD_INPUT
    assert f"{path}:4: model 'kv' holds strings, got get value 1" in out


def test_our_runners_shapes_are_sound(tmp_path):
    """Nemesis ops (invoke + info of process "nemesis", or an info alone) are not paired,
    and a crashed process's worker comes back under a fresh process id."""
    path = tmp_path / "history.jsonl"
    path.write_text(jsonl(
        j("invoke", "start-partition", NEMESIS, "majority"),
        j("invoke", "write", 0, 1), j("info", "write", 0, 1, error="timeout"),
        j("info", "start-partition", NEMESIS, {"n1": ["n2"]}),
        j("info", "stop-partition", NEMESIS),
        j("invoke", "read", 5), j("ok", "read", 5, 1),
    ))
    imported = load_history(path)
    assert len(imported.history) == 7 and imported.history.torn_line is None


# --- torn tails ------------------------------------------------------------------------

TORN = jsonl(j("invoke", "write", 0, 1), j("ok", "write", 0, 1)) + '{"index": 2, "ty'


def test_check_refuses_a_torn_tail_unless_allowed(capsys, tmp_path):
    path = tmp_path / "history.jsonl"
    path.write_text(TORN)
    assert cli.main(["check", str(path)]) == EXIT_BAD_INPUT
    assert f"{path}:3: " in capsys.readouterr().out

    assert cli.main(["check", "--allow-torn-tail", str(path)]) == EXIT_VALID
    assert "torn last line 3 dropped" in capsys.readouterr().out
    assert cli.main(["check", "--allow-torn-tail", "--json", str(path)]) == EXIT_VALID
    record = json.loads(capsys.readouterr().out)
    assert (record["torn_line"], record["ops"], record["valid"]) == (3, 1, True)


def test_allow_torn_tail_drops_only_a_cut_last_line(capsys, tmp_path):
    """A bad line followed by a newline was written whole: no flag makes it sound."""
    path = tmp_path / "history.jsonl"
    path.write_text(TORN + "\n")
    assert cli.main(["check", "--allow-torn-tail", str(path)]) == EXIT_BAD_INPUT
    assert f"{path}:3: " in capsys.readouterr().out


@pytest.mark.parametrize("name, text", [
    ("etcd.log", log("0\t:invoke\t:read\tnil", "0\t:ok\t:read\tnil") + "INFO  jepsen.u"),
    ("kv.edn", '{:process 0, :type :invoke, :f :get, :key "a", :value nil}\n'
               '{:process 0, :type :ok, :f :get, :key "a", :value ""}\n'
               '{:process 1, :type :invoke, :f :put, :k'),
])
def test_a_torn_imported_log_is_checked_only_with_the_flag(capsys, tmp_path, name, text):
    path = tmp_path / name
    path.write_text(text)
    assert cli.main(["check", str(path)]) == EXIT_BAD_INPUT
    assert f"{path}:3: " in capsys.readouterr().out
    assert cli.main(["check", "--allow-torn-tail", "--json", str(path)]) == EXIT_VALID
    record = json.loads(capsys.readouterr().out)
    assert (record["torn_line"], record["ops"]) == (3, 1)


def test_analyze_drops_a_torn_tail_and_marks_the_results(capsys, tmp_path):
    run = RunDir.create(str(tmp_path), "t", now=0)
    run.write_test({"name": "t", "workload": "register", "seed": 1})
    with run.history_writer() as w:
        w.append(Op(INVOKE, "write", 1, 0, 10, key="k"))
        w.append(Op(OK, "write", 1, 0, 20, key="k"))
        w.append(Op(INVOKE, "read", None, 1, 30, key="k"))
        w.append(Op(INFO, "read", None, 1, 40, key="k"))
    with open(run.file("history.jsonl"), "a") as fh:
        fh.write('{"index":4,"time":50,"type":"inv')  # the harness was killed mid-write
    code = cli.main(["analyze", run.path])
    out, err = capsys.readouterr()
    assert code == EXIT_VALID and out.strip().splitlines()[-1] == run.report_path
    [note] = err.strip().splitlines()
    assert note.startswith(f"{run.file('history.jsonl')}:5: torn last line dropped")
    results = run.read_results()
    assert results["incomplete_history"]["torn_line"] == 5
    assert results["valid"] is True
    assert "checked on an incomplete history" in open(run.report_path).read()


def test_analyze_refuses_a_malformed_stored_history(capsys, tmp_path):
    run = RunDir.create(str(tmp_path), "t", now=0)
    run.write_test({"name": "t", "workload": "register", "seed": 1})
    with HistoryWriter(run.file("history.jsonl")) as w:
        w.append(Op(OK, "write", 1, 0, 20))  # a completion with no invocation
    assert cli.main(["analyze", run.path]) == EXIT_BAD_INPUT
    assert f"{run.file('history.jsonl')}:1: ok of process 0" in capsys.readouterr().err


# --- model inference -------------------------------------------------------------------

def knossos(*ops: str) -> str:
    """A Knossos EDN history from ``"process type f"`` strings, one op map per line."""
    maps = ("{:process %s, :type :%s, :f :%s}" % tuple(op.split()) for op in ops)
    return "[" + "\n ".join(maps) + "]\n"


# Legal: p0 holds the lock and releases it, then p1 takes it. p2's acquire timed out
# (info) while p1 held it; it may never have happened, so nothing is violated.
MUTEX_LEGAL = knossos("0 invoke acquire", "0 ok acquire", "0 invoke release", "0 ok release",
                      "1 invoke acquire", "2 invoke acquire", "1 ok acquire", "2 info acquire")
# Legal: two acquires overlap, but p1's completes only after p0 released: p1 took the
# lock at the end of its interval.
MUTEX_LEGAL_OVERLAP = knossos("0 invoke acquire", "1 invoke acquire", "0 ok acquire",
                              "0 invoke release", "0 ok release", "1 ok acquire")
# Illegal: p0 acquires and never releases, then p1 acquires too, entirely afterwards.
MUTEX_DOUBLE_ACQUIRE = knossos("0 invoke acquire", "0 ok acquire",
                               "1 invoke acquire", "1 ok acquire")
# Illegal: p1 releases a lock nobody holds (p0's acquire failed: it did not happen).
MUTEX_RELEASE_FREE = knossos("0 invoke acquire", "0 fail acquire",
                             "1 invoke release", "1 ok release")


@pytest.mark.parametrize("text, code", [
    (MUTEX_LEGAL, EXIT_VALID), (MUTEX_LEGAL_OVERLAP, EXIT_VALID),
    (MUTEX_DOUBLE_ACQUIRE, EXIT_INVALID), (MUTEX_RELEASE_FREE, EXIT_INVALID),
])
def test_knossos_mutex_histories_are_checked_with_the_inferred_mutex(capsys, tmp_path, text,
                                                                     code):
    path = tmp_path / "mutex.edn"
    path.write_text(text)
    assert cli.main(["check", "--json", str(path)]) == code
    record = json.loads(capsys.readouterr().out)
    assert (record["format"], record["model"]) == ("knossos-edn", "mutex")
    assert (record["model_from"], record["model_inferred"]) == ("functions", True)


@pytest.mark.parametrize("ops, model", [
    ([("write", 1), ("read", None)], "cas-register"),  # the format's own model fits
    ([("acquire", None), ("release", None)], "mutex"),
    ([("add", 1), ("read", None)], "set"),
    ([("put", "x"), ("append", "y"), ("get", None)], "kv"),
    ([("txn", [["write", "x", 1]]), ("txn", [["read", "x", None]])], "multi-register"),
])
def test_the_model_is_inferred_from_the_functions(tmp_path, ops, model):
    history = []
    for p, (f, value) in enumerate(ops):
        history += [j("invoke", f, p, value), j("ok", f, p, value)]
    path = tmp_path / "history.jsonl"
    path.write_text(jsonl(*history))
    imported = load_history(path)
    assert imported.model_name == model
    assert imported.model is not None  # the model builds with the options chosen


def test_a_register_history_says_its_model_was_not_inferred_when_given(capsys, tmp_path):
    path = tmp_path / "h.edn"
    path.write_text("[{:process 0, :type :invoke, :f :write, :value 1}\n"
                    " {:process 0, :type :ok, :f :write, :value 1}]\n")
    cli.main(["check", "--json", str(path)])
    record = json.loads(capsys.readouterr().out)
    assert (record["model"], record["model_from"], record["model_inferred"]) == (
        "cas-register", "format", True)
    cli.main(["check", "--json", "--model", "register", str(path)])
    record = json.loads(capsys.readouterr().out)
    assert (record["model"], record["model_from"], record["model_inferred"]) == (
        "register", "--model", False)
