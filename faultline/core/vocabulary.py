"""Words that histories use and that producers (clients, importers) and checkers share.

Kept at the bottom layer so a client can say "this cas did not match" without importing
a checker, and a checker can read it without importing a client.
"""

CAS_MISMATCH = "cas-mismatch"
"""``error`` of a ``fail`` cas completion meaning: the cas completed and its compare did not
match (the register was not ``expected`` at its linearization point). Not a no-op."""

READ_FS = frozenset({"read", "get"})
"""The ``f`` values that read a register or a key."""

MEMBER_READ = "member-read"
"""The ``f`` of a read of one member's own state, taken after the final heal to compare
members (the final generators of the set, register and transactional workloads issue
them, per member; the client reads the member it is bound to locally: etcd serializable,
ZooKeeper after a sync). It changes
nothing, so its unknown outcome is ``fail``, like a read's."""

LOCK_LOST = "lock-lost"
"""How the ``error`` of an ``info`` lock ``release`` starts when the holder found its lease
(etcd) or session (ZooKeeper) gone: the lock had been freed behind the holder's back."""

SERVER_HISTORY = "server-history"
"""The ``f`` of a read of every write the server applied to the test's keys, with its
revision (etcd: a watch of the prefix from revision 1 up to the current revision), taken
once at the end of a register run; :mod:`faultline.checkers.settle` uses it to settle
writes of unknown outcome. It changes nothing, so its unknown outcome is ``fail``."""
