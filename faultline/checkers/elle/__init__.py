"""Elle-style checking of transactional histories (list-append, rw-register): version orders
inferred from the reads, a dependency graph, its cycles named as anomalies, and the
consistency models they rule out. See docs/elle.md."""

from faultline.checkers.elle.check import (
    DEFAULT_MODELS, KIND, WORKLOADS, ElleChecker, check_elle,
)
from faultline.checkers.elle.txn import Txn, txns_from_history, workload_of

__all__ = ["DEFAULT_MODELS", "KIND", "WORKLOADS", "ElleChecker", "Txn", "check_elle",
           "txns_from_history", "workload_of"]
