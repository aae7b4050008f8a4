"""The rw-register workload: transactions of writes and reads of registers, one per key.

Ops: ``{"f": "txn", "value": [mop, ...]}`` with 1 to ``max_txn_length`` micro-ops
``["w", k, v]`` (write int ``v`` into key ``k``) and ``["r", k, None]`` (read it: the
``ok`` completion carries the value read, None for a key never written). An ``ok``
transaction took effect atomically, ``fail`` not at all, ``info`` is unknown. Generation
(keys rotate, values unique per key) and options: :mod:`faultline.workloads.txn_support`.

A read names the one write it saw (values are unique per key), but unlike list-append it
does not order the writes before it: the checker orders a key's versions from the
transactions that read one value and wrote the next, so it proves fewer cycles per
transaction than list-append does.

Checking: :class:`faultline.checkers.elle.ElleChecker` for ``rw-register``, against the
models the db promises (:func:`faultline.workloads.txn_support.models_for`).
"""

from faultline.workloads.txn_support import TxnWorkload

WORKLOAD = TxnWorkload("rw-register", "w")
