"""Elle EDN histories as Elle's own tests write them: completions only, processes that
overlap themselves, ``:process nil``; and the refusals that stay."""

from __future__ import annotations

import pytest

from faultline.checkers.elle import txns_from_history
from faultline.checkers.importers import load_history
from faultline.core.errors import HistoryFormatError


def load(tmp_path, text):
    path = tmp_path / "h.edn"
    path.write_text(text)
    return load_history(str(path), "elle-edn").history


def test_completions_only_become_transactions_without_invocation(tmp_path):
    history = load(tmp_path, "[{:type :ok, :process 0, :value [[:append :x 1]]}\n"
                             " {:type :fail, :process 1, :value [[:append :x 2]]}\n"
                             " {:type :ok, :value [[:r :x [1]]]}]\n")
    txns = txns_from_history(history)
    assert [(t.type, t.invoke_index, t.complete_index) for t in txns] == [
        ("ok", None, 0), ("fail", None, 1), ("ok", None, 2)]
    assert txns[2].mops == (("r", "x", [1]),)
    assert len({t.process for t in txns}) == 3


def test_a_process_overlapping_itself_pairs_by_micro_ops(tmp_path):
    history = load(tmp_path, "{:type :invoke, :process 0, :value [[:append :x 1]]}\n"
                             "{:type :invoke, :process 0, :value [[:r :x nil]]}\n"
                             "{:type :ok, :process 0, :value [[:r :x [1]]]}\n"
                             "{:type :ok, :process 0, :value [[:append :x 1]]}\n")
    txns = txns_from_history(history)
    assert [(t.invoke_index, t.complete_index, t.mops[0][0]) for t in txns] == [
        (1, 2, "r"), (0, 3, "append")]
    assert txns[0].process != txns[1].process


def test_an_overlapping_invocation_that_never_completes_is_refused(tmp_path):
    with pytest.raises(HistoryFormatError, match=r"h\.edn:2: process 0 invokes"):
        load(tmp_path, "{:type :invoke, :process 0, :value [[:append :x 1]]}\n"
                       "{:type :invoke, :process 0, :value [[:r :x nil]]}\n"
                       "{:type :ok, :process 0, :value [[:append :x 1]]}\n")


def test_a_completion_alone_among_paired_ops_is_refused(tmp_path):
    with pytest.raises(HistoryFormatError, match=r"h\.edn:2: ok of process 1 with no open"):
        load(tmp_path, "{:type :invoke, :process 0, :value [[:append :x 1]]}\n"
                       "{:type :ok, :process 1, :value [[:append :x 1]]}\n")


def test_process_nil_is_unnamed(tmp_path):
    history = load(tmp_path, "{:type :invoke, :process nil, :value [[:append 1 1]]}\n"
                             "{:type :ok, :process nil, :value [[:append 1 1]]}\n")
    assert [(t.invoke_index, t.complete_index) for t in txns_from_history(history)] == [(0, 1)]
