"""The list-append workload: transactions of appends to and reads of lists, one per key.

Ops: ``{"f": "txn", "value": [mop, ...]}`` with 1 to ``max_txn_length`` micro-ops
``["append", k, v]`` (append int ``v`` to key ``k``'s list) and ``["r", k, None]`` (read
it: the ``ok`` completion carries the list read, None for a key never appended to). An
``ok`` transaction took effect atomically, ``fail`` not at all, ``info`` is unknown.
Generation (keys rotate, values unique per key) and options:
:mod:`faultline.workloads.txn_support`.

Because every read returns the whole list, the longest read of a key orders all the
appends it contains: the checker infers each key's version order from the reads alone,
which is what makes list-append the most informative of Elle's workloads.

Checking: :class:`faultline.checkers.elle.ElleChecker` for ``list-append``, against the
models the db promises (:func:`faultline.workloads.txn_support.models_for`).
"""

from faultline.workloads.txn_support import TxnWorkload

WORKLOAD = TxnWorkload("list-append", "append")
