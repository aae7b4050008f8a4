"""The run directory: layout, never overwriting a history, latest."""

import os

import pytest

from faultline.core.errors import BadInputError
from faultline.core.op import INVOKE, OK, Op
from faultline.core.store import RunDir, list_runs


def test_layout_and_round_trip(tmp_path):
    run = RunDir.create(str(tmp_path), "etcd-register-none", now=0)
    assert run.path == str(tmp_path / "etcd-register-none" / "19700101T000000")
    run.write_test({"db": "etcd", "seed": 5})
    with run.history_writer() as w:
        w.append(Op(INVOKE, "write", 1, 0, 10, key=3))
        w.append(Op(OK, "write", 1, 0, 20, key=3))
    run.write_results({"valid": True})
    run.write_report("<html></html>")
    run.publish()
    again = RunDir.open(str(tmp_path / "latest"))
    assert again.path == run.path
    assert again.read_test() == {"db": "etcd", "seed": 5}
    assert [op.key for op in again.read_history()] == [3, 3]
    assert again.read_results() == {"valid": True}


def test_same_second_gets_a_new_directory_and_history_is_never_overwritten(tmp_path):
    a = RunDir.create(str(tmp_path), "t", now=0)
    b = RunDir.create(str(tmp_path), "t", now=0)
    assert a.path != b.path and b.path.endswith("-2")
    a.history_writer().close()
    with pytest.raises(BadInputError, match="never overwritten"):
        a.history_writer()


def test_latest_follows_the_newest_run(tmp_path):
    RunDir.create(str(tmp_path), "a", now=0).publish()
    b = RunDir.create(str(tmp_path), "b", now=100)
    b.write_test({})
    b.publish()
    assert os.path.realpath(tmp_path / "latest") == b.path
    assert [os.path.basename(r.path) for r in list_runs(str(tmp_path))] == ["19700101T000140"]


def test_torn_last_line_is_dropped_on_read(tmp_path):
    run = RunDir.create(str(tmp_path), "t", now=0)
    run.write_test({})
    with run.history_writer() as w:
        w.append(Op(INVOKE, "read", None, 0, 1))
    with open(run.file("history.jsonl"), "a") as fh:
        fh.write('{"index":1,"ty')  # the harness died mid-write
    history = run.read_history()
    assert (len(history), history.torn_line) == (1, 2)


@pytest.mark.parametrize("setup, message", [
    (lambda p: None, "does not exist"),
    (lambda p: os.mkdir(p), "no test.json"),
])
def test_open_rejects_what_is_not_a_run(tmp_path, setup, message):
    path = str(tmp_path / "x")
    setup(path)
    with pytest.raises(BadInputError, match=message):
        RunDir.open(path)


def test_bad_test_names(tmp_path):
    for name in ("", "a/b", "latest", ".."):
        with pytest.raises(BadInputError):
            RunDir.create(str(tmp_path), name)
