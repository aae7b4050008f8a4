"""Consistency tests of etcd and ZooKeeper under faults, with faultline's pytest plugin.

Every test runs a register workload (reads, writes and compare-and-sets on a few keys)
on a 3-node cluster the session shares per db, with faults injected, and asserts the
checker's verdict on the history. A failing assertion says what was wrong (the op that
cannot be linearized and why) and where the run's report is.

The runs are short by default (a pull-request check); a nightly job runs them longer:
``pytest --faultline-time-limit 300``. Without Docker or the images the tests skip.
"""

import pytest

from faultline.pytest import matrix

# Faults every 2 s and 3 s to recover after the last one: short runs still see faults.
FREQUENT_FAULTS = {"nemesis_interval": 2, "nemesis_recovery": 3}


@matrix(db=["etcd"], nemesis=["none", "partition,kill"], read_mode=["linearizable"],
        **FREQUENT_FAULTS)
def test_etcd_stays_linearizable(faultline_run, faultline_spec):
    faultline_run(**faultline_spec).assert_valid()


@matrix(db=["zookeeper"], nemesis=["none", "kill"], read_mode=["sync"], **FREQUENT_FAULTS)
def test_zookeeper_sync_reads_stay_linearizable(faultline_run, faultline_spec):
    faultline_run(**faultline_spec).assert_valid()


@pytest.mark.faultline(db="zookeeper", read_mode="plain", nemesis="partition",
                       time_limit=30, nemesis_interval=5, nemesis_recovery=3)
def test_zookeeper_plain_reads_are_stale_under_partition(faultline_run):
    """A known positive: a plain read is served by the client's own server, which keeps
    answering from its copy while a partition cuts it off from the quorum that moves on.
    Partitions last 5 s (ZooKeeper's followers notice a lost leader after 10 s), so the
    cut-off server answers stale reads for the whole partition; 30 s makes three of them.
    The test's own time limit wins over --faultline-time-limit: a shorter run may miss."""
    result = faultline_run().assert_flagged()
    assert any("cannot be linearized" in anomaly.text for anomaly in result.anomalies)
