"""The consistency-model lattice against what Elle says (anomaly_models.csv: for each
anomaly, the models Elle's consistency-model rules out and the anomalies it implies)."""

from __future__ import annotations

import csv
import os

import pytest

from faultline.checkers.elle.consistency import (
    CYCLE_TYPES, MODELS, anomalies_implying, canonical_model, friendly_model,
    implied_anomalies, proscribed, ruled_out, strongest_not_ruled_out,
)
from faultline.core.errors import BadInputError

CSV = os.path.join(os.path.dirname(__file__), "..", "..", "..", "shared", "corpus", "elle",
                   "anomaly_models.csv")


def keywords(cell: str) -> set[str]:
    return {word.lstrip(":") for word in cell.split()}


def rows():
    if not os.path.exists(CSV):
        pytest.skip(f"corpus not found: {CSV}")
    with open(CSV, newline="") as f:
        return list(csv.DictReader(f))


def test_every_row_of_elles_table_agrees():
    table = rows()
    assert len(table) >= 20
    for row in table:
        anomaly = row["anomaly"].lstrip(":")
        not_, also_not = ruled_out([anomaly])
        canon = lambda names: {canonical_model(m) for m in names}  # noqa: E731
        assert canon(not_) == canon(keywords(row["not (weakest models ruled out)"])), anomaly
        assert canon(also_not) == canon(
            keywords(row["also_not (stronger models also ruled out)"])), anomaly
        assert implied_anomalies([anomaly]) - {anomaly} == keywords(row["implied_anomalies"])
        if row["known_to_elle_consistency_model"] == "false":
            assert not not_ and not also_not


def test_strict_and_strong_serializable_are_one_model():
    assert canonical_model("strong-serializable") == canonical_model("strict-serializable")
    assert proscribed("strong-serializable") == proscribed("strict-serializable")
    assert friendly_model("strong-serializable") == "strict-serializable"
    assert friendly_model("PL-2.99") == "repeatable-read"
    assert friendly_model("conflict-serializable") == "serializable"


def test_unknown_model_is_bad_input_naming_the_known_ones():
    with pytest.raises(BadInputError) as e:
        proscribed("snapshot-isolaton")
    assert "snapshot-isolaton" in str(e.value)
    assert "snapshot-isolation" in str(e.value) and "repeatable-read" in str(e.value)
    assert "strict-serializable" in MODELS


def test_proscribed_follows_implied_models_and_implying_anomalies():
    rr = proscribed("repeatable-read")
    assert {"G2-item", "G1c", "G0", "G-single-item", "lost-update", "G1a"} <= rr
    assert "G2-item-realtime" not in rr and "G-nonadjacent" not in rr
    ser = proscribed(["serializable"])
    assert rr < ser and "G-nonadjacent-item" in ser and "G1c-realtime" not in ser
    assert {"G1c-realtime", "G2-item-realtime", "G-single-item-realtime"} <= proscribed(
        "strict-serializable")
    assert "G2-item" in anomalies_implying(["G2-item"])
    assert "lost-update" in anomalies_implying(["G2-item"])


def test_ruled_out_and_what_still_stands():
    assert ruled_out([]) == ([], [])
    assert strongest_not_ruled_out([]) == ["strict-serializable"]
    not_, also_not = ruled_out(["G2-item-realtime"])
    assert not_ == ["strict-serializable"] and also_not == []
    assert "strict-serializable" not in strongest_not_ruled_out(["G2-item-realtime"])
    assert "serializable" in ruled_out(["G2-item"])[1]
    # Anything still standing is not ruled out, and nothing stronger stands beside it.
    standing = strongest_not_ruled_out(["G-single-item"])
    impossible = set(ruled_out(["G-single-item"])[0]) | set(ruled_out(["G-single-item"])[1])
    assert standing and not set(standing) & impossible


def test_garbage_reads_rule_out_every_model():
    # Ours, not Elle's: a read of a value nobody wrote is allowed by no model.
    assert ruled_out(["garbage-read"])[0] == ["read-uncommitted"]
    assert "garbage-read" in proscribed("read-uncommitted")
    assert "garbage-read" in proscribed("strict-serializable")


def test_cycle_types_come_before_the_types_they_imply():
    assert len(CYCLE_TYPES) == 15
    for i, a in enumerate(CYCLE_TYPES):
        for b in implied_anomalies([a]) & set(CYCLE_TYPES) - {a}:
            assert CYCLE_TYPES.index(b) > i, (a, b)
