"""The named scenarios: known positives (must be flagged) and known negatives (must pass).

Each entry is one :class:`~faultline.scenarios.scenario.Scenario`; docs/scenarios.md
explains them and gives the detection figures ``bench/detection`` measured. Fault timing:
partitions and pauses every 5 s (``nemesis_interval``) so a 30-60 s run sees several; a
positive's stale reads need the cut-off member to keep answering while it is cut off,
which it does for the whole fault (ZooKeeper's followers notice a lost leader after
``syncLimit x tickTime`` = 10 s here, etcd's serializable reads never check).
"""

from __future__ import annotations

from faultline.scenarios.scenario import FLAGGED, PASSES, Scenario

STALE_REGISTER_READ = ("stale-read", "order-cycle", "order-cycle-via", "not-linearizable")
"""What a stale read looks like to the register's linearizability check: a read returning
a value already overwritten (``stale-read``), the real-time order contradicted through
other ops (``order-cycle*``), or an illegal key without a named shape. ``future-read``
(a value nobody had written yet) is not a stale read and does not count."""
REALTIME = ("G*-realtime",)
"""Elle's real-time anomalies: a transaction missed a write that completed before it
began (a stale read, in a transactional history)."""

FAULTS_EVERY_5_S = {"nemesis_interval": 5, "nemesis_recovery": 5}

SCENARIOS: tuple[Scenario, ...] = (
    # ---- known positives ------------------------------------------------------------
    Scenario(
        "zookeeper-plain-reads-partition",
        {"db": "zookeeper", "workload": "register", "read_mode": "plain",
         "nemesis": "partition", "time_limit": 60, "concurrency": 10, **FAULTS_EVERY_5_S},
        FLAGGED,
        "A plain ZooKeeper read is answered by the client's own server from its local copy; "
        "a server cut off from the quorum keeps answering while the majority moves on, so "
        "its reads are stale. ZooKeeper promises sequential consistency, not linearizable "
        "reads; a sync before the read is the documented remedy.",
        "ZooKeeper Programmer's Guide, 'Consistency Guarantees' (and the sync() note); "
        "Jepsen's ZooKeeper analysis (2013)",
        STALE_REGISTER_READ),
    Scenario(
        "etcd-serializable-reads-partition",
        {"db": "etcd", "workload": "register", "read_mode": "serializable",
         "nemesis": "partition", "time_limit": 60, "concurrency": 10, **FAULTS_EVERY_5_S},
        FLAGGED,
        "An etcd serializable read (--consistency=s, serializable=true) is served by the "
        "member the client talks to from its own store without a quorum round; a member "
        "cut off from the leader serves values the majority has overwritten.",
        "etcd API guarantees (docs: 'Serializable ... may return stale data'); Jepsen etcd "
        "3.4.3 analysis (2020)",
        STALE_REGISTER_READ),
    Scenario(
        "etcd-serializable-list-append-partition",
        {"db": "etcd", "workload": "list-append", "read_mode": "serializable",
         "nemesis": "partition", "time_limit": 60, "concurrency": 10, **FAULTS_EVERY_5_S},
        FLAGGED,
        "The same stale serializable reads inside transactions: a read-only transaction "
        "served by a cut-off member misses appends that completed before it began, a "
        "real-time dependency cycle (strict serializability ruled out).",
        "etcd API guarantees (serializable reads); Jepsen etcd 3.4.3 analysis (2020); "
        "tests/integration/test_txn_run.py",
        REALTIME),
    Scenario(
        "etcd-set-serializable-partition",
        {"db": "etcd", "workload": "set", "read_mode": "serializable", "nemesis": "partition",
         "time_limit": 60, "concurrency": 6, "set_read_fraction": 0.5,
         "set_linearizable": True, **FAULTS_EVERY_5_S},
        FLAGGED,
        "A set read served serializably by a cut-off member misses adds the majority "
        "acknowledged before the read began (stale, which --set-linearizable makes "
        "invalid); half the ops read, so the processes on the cut-off member read often.",
        "etcd API guarantees (serializable reads); Jepsen's set-full :linearizable?; "
        "tests/integration/test_set_run.py",
        ("stale-element",)),
    Scenario(
        "etcd-lock-pause",
        {"db": "etcd", "workload": "lock", "lock_ttl_s": 2, "nemesis": "pause",
         "nemesis_interval": 6, "op_timeout": 20, "concurrency": 6, "time_limit": 60},
        FLAGGED,
        "etcd's lock is held only while its lease lives: a holder paused (or stuck behind a "
        "paused member) longer than the 2 s TTL loses the lease, another client takes the "
        "lock, and the first goes on with its guarded read-modify-write: two holders at "
        "once, seen as duplicate reads, lost increments or overlapping guarded ops.",
        "Jepsen etcd 3.4.3 analysis (2020): locks are unsafe under process pauses; etcd "
        "docs (concurrency: a lock is only as good as its lease); docs/workloads.md 'Lock'",
        ("duplicate_reads", "lost", "overlapping")),
    Scenario(
        "zookeeper-lock-client-partition",
        {"db": "zookeeper", "workload": "lock", "lock_ttl_s": 4, "lock_keys": 2,
         "lock_incrs": 20, "nemesis": "client-partition", "nemesis_interval": 8,
         "nemesis_recovery": 5, "op_timeout": 30, "concurrency": 6, "time_limit": 120},
        FLAGGED,
        "kazoo's Lock is held only while its session lives: a holder cut off from its "
        "server for 8 s, twice the 4 s session timeout, loses its session on the servers, "
        "which delete its lock znode and hand the lock to the next in line; a holder that "
        "does not watch the connection state (most do not) retries its guarded "
        "read-modify-write until kazoo reconnects with a new session, then completes it "
        "while another holds the lock: overlapping guarded ops, duplicate reads, lost "
        "increments.",
        "kazoo's Lock recipe docs ('Error Handling': a LOST state means the lock is lost; "
        "watch SUSPENDED and LOST); ZooKeeper Recipes ('Locks', session expiry); "
        "docs/workloads.md 'Lock'",
        ("duplicate_reads", "lost", "overlapping")),
    # ---- known negatives ------------------------------------------------------------
    Scenario(
        "etcd-register-every-fault",
        {"db": "etcd", "workload": "register", "read_mode": "linearizable",
         "nemesis": "partition,kill,pause,clock,packet", "time_limit": 60,
         "concurrency": 10, **FAULTS_EVERY_5_S},
        PASSES,
        "etcd's linearizable reads go through the leader's read index and writes through "
        "Raft, so partitions, crashes, pauses, clock steps (on the clock-capable etcd "
        "image) and packet loss/delay may cost availability but never linearizability.",
        "etcd API guarantees ('linearizable' reads); Jepsen etcd 3.4.3 analysis (2020): "
        "key-value ops linearizable under these faults",
        ()),
    Scenario(
        "etcd-list-append-partition-kill-pause",
        {"db": "etcd", "workload": "list-append", "read_mode": "linearizable",
         "nemesis": "partition,kill,pause", "time_limit": 60, "concurrency": 10,
         **FAULTS_EVERY_5_S},
        PASSES,
        "etcd transactions over linearizable reads are strict serializable; partitions, "
        "crashes and pauses must not produce a dependency cycle.",
        "etcd API guarantees (txn: strict serializability); Jepsen etcd 3.4.3 analysis "
        "(2020, Elle list-append)",
        ()),
    Scenario(
        "zookeeper-sync-reads-partition",
        {"db": "zookeeper", "workload": "register", "read_mode": "sync",
         "nemesis": "partition", "time_limit": 60, "concurrency": 10, **FAULTS_EVERY_5_S},
        PASSES,
        "A sync() before each read makes the client's server catch up with the leader "
        "first, and writes (versioned setData for cas) go through the quorum, so reads "
        "under partition are not stale (a cut-off server cannot sync and fails the read).",
        "ZooKeeper Programmer's Guide, 'Consistency Guarantees' (sync); Jepsen's ZooKeeper "
        "analysis (2013)",
        ()),
    Scenario(
        "etcd-set-kill",
        {"db": "etcd", "workload": "set", "read_mode": "linearizable", "nemesis": "kill",
         "time_limit": 60, "concurrency": 5, **FAULTS_EVERY_5_S},
        PASSES,
        "Killing etcd members (SIGKILL, restarted) loses no acknowledged put: a write is "
        "acknowledged once a majority has it in its WAL; every member holds the same set "
        "once healed.",
        "etcd's durability guarantee (Raft, fsynced WAL); tests/integration/test_set_run.py",
        ()),
    Scenario(
        "zookeeper-set-kill",
        {"db": "zookeeper", "workload": "set", "read_mode": "sync", "nemesis": "kill",
         "time_limit": 60, "concurrency": 5, **FAULTS_EVERY_5_S},
        PASSES,
        "Killing ZooKeeper servers loses no acknowledged create: Zab acknowledges a "
        "transaction once a quorum has logged it; every server holds the same children "
        "once healed.",
        "ZooKeeper Internals (Zab: 'Reliable delivery', 'Total order'); ZooKeeper's "
        "durability guarantee",
        ()),
)

NOT_REACHED: dict[str, str] = {}
"""Scenarios issue 9 asks for that are not in the table yet, and why (none now)."""

BY_NAME = {s.name: s for s in SCENARIOS}

__all__ = ["BY_NAME", "NOT_REACHED", "REALTIME", "SCENARIOS", "STALE_REGISTER_READ"]
