"""Generated list-append histories through the whole checker: without planted anomalies
they are strict serializable; each planted stale read is found as a real-time cycle."""

from __future__ import annotations

import pytest

from faultline.checkers.elle import check_elle
from faultline.checkers.elle.synth import list_append_history
from faultline.core.history import History


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_unplanted_histories_are_valid_under_the_strongest_model(seed):
    h = list_append_history(1500, processes=8, info_rate=0.02, fail_rate=0.05, seed=seed)
    result = check_elle(History(h), workload="list-append")
    assert result.valid is True, result.data.get("anomaly_types")
    assert result.data["stats"]["sccs"] == 0


def test_planted_stale_reads_are_named_realtime_anomalies():
    h = list_append_history(3000, processes=8, stale_reads=4, seed=7)
    result = check_elle(History(h), workload="list-append")
    assert result.valid is False
    assert result.data["anomaly_types"] == ["G-single-item-realtime"]
    assert result.data["stats"]["counts"]["G-single-item-realtime"] == 4
    # Real time is all that is wrong: serializable still holds.
    assert check_elle(History(h), workload="list-append", models=["serializable"]).valid is True


def test_the_same_seed_gives_the_same_history():
    a = list_append_history(200, stale_reads=2, info_rate=0.1, seed=5)
    b = list_append_history(200, stale_reads=2, info_rate=0.1, seed=5)
    assert [op.to_dict() for op in a] == [op.to_dict() for op in b]
    assert len(a) == 400 and [op.index for op in a] == list(range(400))
