"""Importers: the EDN reader, each source format's semantics, format recognition, errors."""

from __future__ import annotations

import json

import pytest
from hypothesis import given, settings, strategies as st

from faultline.checkers.importers import FORMATS, detect_format, load_history
from faultline.checkers.importers.edn import (
    EdnError, Keyword, Symbol, head_records, loads, read_records, to_plain,
)
from faultline.checkers.models import CAS_MISMATCH
from faultline.core.errors import HistoryFormatError
from faultline.core.history import write_jsonl
from faultline.core.op import Op


def write(tmp_path, name: str, text: str):
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def client_ops(imported):
    return [op for op in imported.history if op.process != "nemesis"]


# --- EDN reader ---------------------------------------------------------------------------

def test_edn_reads_the_subset_histories_use():
    [form] = loads('[1 -2 3N 1.5 nil true false "a\\"b\\n" :kw sym (1 2) #{1 2} {:a [1]} \\c]')
    assert form == [1, -2, 3, 1.5, None, True, False, 'a"b\n', Keyword("kw"), Symbol("sym"),
                    [1, 2], frozenset({1, 2}), {Keyword("a"): [1]}, "c"]


def test_edn_comments_commas_and_discard_are_not_data():
    assert loads("; a comment\n[1, 2 #_ 3 4] ; trailing") == [[1, 2, 4]]


def test_edn_records_carry_their_line_in_both_layouts():
    vector = "; header\n[{:a 1}\n {:a 2}\n\n {:a 3}]\n"
    stream = '{:a 1}\n{:a 2}\n\n{:a 3}\n'
    assert [line for line, _ in read_records(vector)] == [2, 3, 5]
    assert [line for line, _ in read_records(stream)] == [1, 2, 4]


def test_edn_head_records_stops_before_a_broken_tail():
    assert head_records("[{:a 1} {:a 2} {:a", 2) == [{Keyword("a"): 1}, {Keyword("a"): 2}]


@pytest.mark.parametrize("text, line, fragment", [
    ("[{:a 1}\n {:a 2", 2, "not closed"),
    ("[1 2)", 1, "expected ']'"),
    ('["abc', 1, "string is not closed"),
    ("{:a}", 1, "odd number"),
    ("[1]\n]", 2, "nothing open"),
    ("#inst \"2020\"", 1, "tagged literal"),
    ('"\\q"', 1, "escape"),
])
def test_edn_errors_name_the_line(text, line, fragment):
    with pytest.raises(EdnError) as err:
        loads(text)
    assert err.value.line == line
    assert fragment in err.value.message


def test_to_plain_turns_keywords_into_names():
    assert to_plain({Keyword("x"): [Keyword("r"), frozenset({2, 1})]}) == {"x": ["r", [1, 2]]}


# --- Jepsen 0.x logs (Porcupine etcd semantics) -------------------------------------------

JEPSEN_LOG = """\
INFO  jepsen.core - some unrelated setup line
INFO  jepsen.util - 0\t:invoke\t:read\tnil
INFO  jepsen.util - 1\t:invoke\t:cas\t[1 2]
INFO  jepsen.util - 0\t:ok\t:read\tnil
INFO  jepsen.util - 1\t:fail\t:cas\t[1 2]
INFO  jepsen.util - 2\t:invoke\t:write\t3
INFO  jepsen.util - 2\t:info\t:write\t:timed-out
INFO  jepsen.util - 3\t:invoke\t:read\tnil
INFO  jepsen.util - 3\t:fail\t:read\t:timed-out
INFO  jepsen.util - :nemesis\t:info\t:start\tnil
INFO  jepsen.util - 2\t:invoke\t:read\tnil
"""


def test_jepsen_log_keeps_porcupine_semantics(tmp_path):
    imported = load_history(write(tmp_path, "h.log", JEPSEN_LOG))
    assert imported.format == "jepsen-log"
    assert (imported.model_name, dict(imported.model_options)) == ("cas-register",
                                                                   {"initial": None})
    ops = client_ops(imported)
    read_ok = ops[2]
    assert (read_ok.type, read_ok.f, read_ok.value) == ("ok", "read", None)
    cas_fail = ops[3]  # an observation: the compare did not match
    assert (cas_fail.type, cas_fail.value, cas_fail.error) == ("fail", [1, 2], CAS_MISMATCH)
    write_info = ops[5]
    assert (write_info.type, write_info.error) == ("info", "timed-out")
    read_timeout = ops[7]
    assert (read_timeout.type, read_timeout.f) == ("info", "read")
    assert [op.process for op in imported.history if op.process == "nemesis"] == ["nemesis"]


def test_jepsen_log_crashed_process_gets_a_fresh_id(tmp_path):
    imported = load_history(write(tmp_path, "h.log", JEPSEN_LOG))
    last = client_ops(imported)[-1]
    assert last.type == "invoke" and last.f == "read"
    assert last.process not in {0, 1, 2, 3}  # process 2 crashed (info): never issues again
    pairs = imported.history.pairs()
    assert [p.outcome for p in pairs if p.invoke.process == 2] == ["info"]


def test_jepsen_log_invocation_of_a_read_has_no_value(tmp_path):
    path = write(tmp_path, "h.log", "INFO  jepsen.util - 0\t:invoke\t:read\t4\n")
    [op] = load_history(path).history
    assert op.value is None


@pytest.mark.parametrize("line, fragment", [
    ("INFO  jepsen.util - 0\t:ok", "expected 'process :type :f value'"),
    ("INFO  jepsen.util - x\t:invoke\t:read\tnil", "process must be an integer"),
    ("INFO  jepsen.util - 0\t:done\t:read\tnil", "unknown op type"),
    ("INFO  jepsen.util - 0\t:invoke\t:write\t[1 2", "bad value"),
])
def test_jepsen_log_malformed_line_names_file_and_line(tmp_path, line, fragment):
    path = write(tmp_path, "h.log", "INFO  jepsen.util - 5\t:invoke\t:read\tnil\n" + line + "\n")
    with pytest.raises(HistoryFormatError) as err:
        load_history(path, "jepsen-log")
    assert err.value.path == str(path) and err.value.line == 2
    assert fragment in str(err.value)


def test_completion_without_invocation_is_an_error(tmp_path):
    path = write(tmp_path, "h.log", "INFO  jepsen.util - 0\t:ok\t:read\t1\n")
    with pytest.raises(HistoryFormatError, match=r"h\.log:1: ok of process 0 with no open"):
        load_history(path)


def test_completion_of_another_function_is_an_error(tmp_path):
    path = write(tmp_path, "h.log", "INFO  jepsen.util - 0\t:invoke\t:read\tnil\n"
                                    "INFO  jepsen.util - 0\t:ok\t:write\t1\n")
    with pytest.raises(HistoryFormatError, match=r":2: process 0 completes 'write'"):
        load_history(path)


# --- Porcupine kv ------------------------------------------------------------------------

KV = """\
{:process 0, :type :invoke, :f :put, :key "a", :value "x"}
{:process 1, :type :invoke, :f :get, :key "a", :value nil}
{:process 0, :type :ok, :f :put, :key "a", :value "x"}
{:process 1, :type :ok, :f :get, :key "a", :value "x"}
{:type :invoke, :process 2, :f :append, :key "b\\"q", :value "y"}
"""


def test_porcupine_kv_keys_and_values(tmp_path):
    imported = load_history(write(tmp_path, "c.txt", KV))
    assert (imported.format, imported.model_name) == ("porcupine-kv", "kv")
    ops = list(imported.history)
    assert [(op.type, op.f, op.key, op.value) for op in ops] == [
        ("invoke", "put", "a", "x"), ("invoke", "get", "a", None),
        ("ok", "put", "a", "x"), ("ok", "get", "a", "x"),
        ("invoke", "append", 'b"q', "y"),  # read by the EDN path: reordered, escaped
    ]


def test_porcupine_kv_truncated_last_line(tmp_path):
    path = write(tmp_path, "c.txt", KV + '{:process 2, :type :ok, :f :app')
    with pytest.raises(HistoryFormatError) as err:
        load_history(path)
    assert err.value.line == 6 and "truncated" in str(err.value)


# --- Knossos -----------------------------------------------------------------------------

KNOSSOS = """\
; a comment before the vector
[{:process 0, :type :invoke, :f :write, :value 1, :time 10}
 {:process 0, :type :ok, :f :write, :value 1, :time 20}
 {:process 1, :type :invoke, :f :read, :value 1}
 {:process 1, :type :ok, :f :read, :value nil}
 {:process 2, :type :invoke, :f :cas, :value [1 2]}
 {:process 2, :type :fail, :f :cas, :value [1 2], :error :conflict}
 {:process 3, :type :invoke, :f :write, :value 4}
 {:process 3, :type :info, :f :write, :value 4}
 {:process :nemesis, :type :info, :f :start, :value "cut off #{:n1}"}]
"""


def test_knossos_semantics(tmp_path):
    imported = load_history(write(tmp_path, "k.edn", KNOSSOS))
    assert imported.format == "knossos-edn"
    assert (imported.model_name, dict(imported.model_options)) == ("cas-register", {"initial": 0})
    ops = list(imported.history)
    assert (ops[0].time, ops[1].time) == (10, 20)
    assert ops[2].value is None  # a read invocation carries no value
    assert (ops[3].type, ops[3].value) == ("info", None)  # ok read of nil: unconstrained
    assert (ops[5].type, ops[5].error) == ("fail", "conflict")  # did not happen
    assert (ops[7].type, ops[7].value) == ("info", None)
    assert (ops[8].process, ops[8].f) == ("nemesis", "start")
    assert imported.lines == tuple(range(2, 11))  # the source line of every op


def test_knossos_multi_register_implies_zeroed_registers(tmp_path):
    text = """[{:process 0, :type :invoke, :f :txn, :value [[:write :x 1] [:read :y nil]]}
               {:process 0, :type :ok, :f :txn, :value [[:write :x 1] [:read :y 0]]}]"""
    imported = load_history(write(tmp_path, "m.edn", text))
    assert imported.model_name == "multi-register"
    assert dict(imported.model_options) == {"initial": {"x": 0, "y": 0}}
    assert imported.history[1].value == [["write", "x", 1], ["read", "y", 0]]
    assert imported.model.name == "multi-register"


def test_knossos_missing_type_names_the_line(tmp_path):
    path = write(tmp_path, "k.edn", "[{:process 0, :type :invoke, :f :read}\n"
                                    " {:process 0, :f :read, :value 1}]")
    with pytest.raises(HistoryFormatError, match=r"k\.edn:2: op has no :type"):
        load_history(path)


def test_truncated_knossos_vector(tmp_path):
    path = write(tmp_path, "k.edn", KNOSSOS[: KNOSSOS.index("{:process 3")] + "{:process 3, :ty")
    with pytest.raises(HistoryFormatError) as err:
        load_history(path)
    assert err.value.line == 8 and "truncated" in str(err.value)


# --- Elle --------------------------------------------------------------------------------

def test_elle_transactions_import_as_txn(tmp_path):
    text = """{:index 0 :type :invoke :process 1 :value [[:append 3 1] [:r 3 nil]]}
{:index 1 :type :ok :process 1 :value [[:append 3 1] [:r 3 [1]]]}
"""
    imported = load_history(write(tmp_path, "e.edn", text))
    assert (imported.format, imported.model_name, imported.model) == ("elle-edn", None, None)
    assert [(op.f, op.value) for op in imported.history] == [
        ("txn", [["append", 3, 1], ["r", 3, None]]), ("txn", [["append", 3, 1], ["r", 3, [1]]]),
    ]


def test_elle_without_processes_pairs_by_micro_ops(tmp_path):
    text = """{:type :invoke :value [[:append 9 2]]}
{:type :invoke :value [[:r 9 nil]]}
{:type :ok :value [[:r 9 [2]]]}
{:type :ok :value [[:append 9 2]]}
"""
    imported = load_history(write(tmp_path, "e.edn", text))
    pairs = imported.history.pairs()
    assert [(p.invoke.value, p.completion.value) for p in pairs] == [
        ([["append", 9, 2]], [["append", 9, 2]]), ([["r", 9, None]], [["r", 9, [2]]]),
    ]
    assert pairs[0].invoke.process != pairs[1].invoke.process


def test_elle_bad_micro_op(tmp_path):
    path = write(tmp_path, "e.edn", "{:type :invoke :process 1 :value [[:append 3 1]]}\n"
                                    "{:type :ok :process 1 :value [[:delete 3]]}\n")
    with pytest.raises(HistoryFormatError, match=r"e\.edn:2: bad micro-op"):
        load_history(path, "elle-edn")


# --- our JSONL ---------------------------------------------------------------------------

def test_jsonl_model_from_the_runs_test_json(tmp_path):
    history = [Op("invoke", "write", "1", 0, key="k"), Op("ok", "write", "1", 0, key="k")]
    write_jsonl(history, tmp_path / "history.jsonl")
    imported = load_history(tmp_path / "history.jsonl")
    assert (imported.model_name, imported.model_from) == ("cas-register", "format")
    (tmp_path / "test.json").write_text(json.dumps({"workload": {"model": "kv"}}))
    imported = load_history(tmp_path / "history.jsonl")
    assert (imported.format, imported.model_name, imported.history[0].key) == ("jsonl", "kv", "k")
    assert imported.model_from == "test.json"
    (tmp_path / "test.json").write_text(json.dumps({"model": {"name": "register", "initial": 5}}))
    imported = load_history(tmp_path / "history.jsonl")
    assert (imported.model_name, dict(imported.model_options)) == ("register", {"initial": 5})


def test_jsonl_model_a_test_json_names_must_know_every_op(tmp_path):
    history = [Op("invoke", "put", "v", 0, key="k"), Op("ok", "put", "v", 0, key="k")]
    write_jsonl(history, tmp_path / "history.jsonl")
    assert load_history(tmp_path / "history.jsonl").model_name == "kv"  # inferred from put
    (tmp_path / "test.json").write_text(json.dumps({"model": "register"}))
    with pytest.raises(HistoryFormatError, match=r"history\.jsonl:1: model 'register' has no "
                                                 r"operation 'put'"):
        load_history(tmp_path / "history.jsonl")


def test_jsonl_bad_test_json(tmp_path):
    write_jsonl([Op("invoke", "read")], tmp_path / "history.jsonl")
    (tmp_path / "test.json").write_text('{"model": 3}')
    with pytest.raises(HistoryFormatError, match="test.json"):
        load_history(tmp_path / "history.jsonl")


@pytest.mark.parametrize("fmt", ["auto", "jsonl"])
def test_jsonl_is_read_from_disk_once(tmp_path, monkeypatch, fmt):
    import builtins
    path = tmp_path / "history.jsonl"
    write_jsonl([Op("invoke", "read", None, 0), Op("ok", "read", 1, 0)], path)
    opened = []
    real_open = builtins.open

    def counting_open(file, *args, **kwargs):
        opened.append(str(file))
        return real_open(file, *args, **kwargs)

    monkeypatch.setattr(builtins, "open", counting_open)
    assert len(load_history(path, fmt).history) == 2
    assert opened.count(str(path)) == 1


# --- recognition -------------------------------------------------------------------------

@pytest.mark.parametrize("text, fmt", [
    (JEPSEN_LOG, "jepsen-log"),
    (KV, "porcupine-kv"),
    (KNOSSOS, "knossos-edn"),
    ('{:type :invoke, :process :nemesis, :f :start}\n'
     '{:type :invoke :process 0 :value [[:r 1 nil]]}\n', "elle-edn"),
    ('{"type": "invoke", "f": "read"}\n', "jsonl"),
])
def test_format_is_recognised_from_content_not_name(tmp_path, text, fmt):
    assert detect_format(write(tmp_path, "history.dat", text)) == fmt


def test_jepsen_log_after_a_long_preamble_is_recognised(tmp_path):
    preamble = "".join(f"INFO  jepsen.os - setting up node n{i}\n" for i in range(500))
    assert detect_format(write(tmp_path, "jepsen.log", preamble + JEPSEN_LOG)) == "jepsen-log"


@pytest.mark.parametrize("text, fragment", [
    ("", "empty file"),
    ("hello world\n", "cannot recognise the format"),
])
def test_unrecognisable_input(tmp_path, text, fragment):
    with pytest.raises(HistoryFormatError, match=fragment):
        load_history(write(tmp_path, "x", text))


def test_unreadable_and_unknown_format(tmp_path):
    with pytest.raises(HistoryFormatError, match="cannot read"):
        load_history(tmp_path / "absent.edn")
    with pytest.raises(HistoryFormatError, match="unknown format"):
        load_history(write(tmp_path, "k.edn", KNOSSOS), "yaml")
    assert "jepsen-log" in FORMATS


def test_binary_file_is_not_text(tmp_path):
    path = tmp_path / "b"
    path.write_bytes(b"[{:a 1}\n\xff\xfe]")
    with pytest.raises(HistoryFormatError, match=r":2: not UTF-8"):
        load_history(path)


# --- EDN reader, property: what an EDN writer writes, the reader reads back ----------------


def _edn(value) -> str:
    """A minimal EDN writer for the property below (mixing separators and comments)."""
    if value is None:
        return "nil"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return repr(value)
    if isinstance(value, str):
        escaped = value.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")
        return f'"{escaped}"'
    if isinstance(value, Keyword):
        return f":{value.name}"
    if isinstance(value, frozenset):
        return "#{" + " ".join(_edn(v) for v in sorted(value)) + "}"
    if isinstance(value, dict):
        return "{" + ", ".join(f"{_edn(k)} {_edn(v)}" for k, v in value.items()) + "}"
    return "[" + " ; comment\n ".join(_edn(v) for v in value) + "]"


_scalars = (st.none() | st.booleans() | st.integers() | st.text(max_size=8)
            | st.floats(allow_nan=False, allow_infinity=False)
            | st.from_regex(r"[a-z][a-z0-9\-?!]{0,6}", fullmatch=True).map(Keyword))
_keys = (st.integers() | st.text(max_size=4)
         | st.from_regex(r"[a-z]{1,4}", fullmatch=True).map(Keyword))
_edn_values = st.recursive(
    _scalars,
    lambda inner: (st.lists(inner, max_size=4)
                   | st.dictionaries(_keys, inner, max_size=3)
                   | st.frozensets(st.integers(), max_size=3)),
    max_leaves=12,
)


@settings(max_examples=100, deadline=None)
@given(_edn_values)
def test_edn_reads_back_what_was_written(value):
    assert loads(_edn(value)) == [value]
