"""History files round-trip through the writer and the reader, whatever the values."""

import pytest

from faultline.core.errors import HistoryFormatError
from faultline.core.history import HistoryWriter, read_jsonl
from faultline.core.op import INFO, INVOKE, NEMESIS, OK, Op

OPS = [
    Op(INVOKE, "cas", [1, 2], 0, 5, key=3, node="n1"),
    Op(OK, "cas", [1, 2], 0, 9, key=3, node="n1"),
    Op(INVOKE, "start-partition", "bridge", NEMESIS, 10),
    Op(INFO, "start-partition", {"grudge": {"n1": ["n3"]}, "shape": "bridge"}, NEMESIS, 11),
    Op(INVOKE, "write", "ünïcode ✓", 7, 12, key="k"),
    Op(INFO, "write", "ünïcode ✓", 7, 13, key="k", error="timeout"),
]


def test_writer_then_reader_gives_back_the_same_ops(tmp_path):
    path = tmp_path / "history.jsonl"
    with HistoryWriter(path) as w:
        for op in OPS:
            w.append(op)
    back = read_jsonl(path)
    assert [op.to_dict() for op in back] == [op.with_(index=i).to_dict() for i, op in enumerate(OPS)]
    assert back.pairs()[1].completion.value["grudge"] == {"n1": ["n3"]}


def test_file_is_readable_while_being_written(tmp_path):
    path = tmp_path / "history.jsonl"
    w = HistoryWriter(path)
    w.append(OPS[0])
    assert len(read_jsonl(path)) == 1  # flushed line by line
    w.close()


def test_torn_tail_is_an_error_unless_allowed(tmp_path):
    path = tmp_path / "history.jsonl"
    with HistoryWriter(path) as w:
        w.append(OPS[0])
    with open(path, "a") as fh:
        fh.write('{"index": 1, "type": "o')
    with pytest.raises(HistoryFormatError, match=":2:"):
        read_jsonl(path)
    assert len(read_jsonl(path, allow_torn_tail=True)) == 1
