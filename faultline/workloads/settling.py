"""Settling a register run's writes of unknown outcome from the server (turned off by the
register workload's ``no_settle`` option, ``--no-settle``; the reasoning is in :mod:`faultline.checkers.settle`).

Where it is on: by default, on every db whose descriptor says its register client can
read back what the server applied (``server_history``: etcd). Then, when the run has a
write of unknown outcome, the final phase ends, :data:`SETTLE_GRACE_S` after the final
reads, with one ``server-history`` op, and the
checker settles the history before it checks it; the result's ``settled`` counts what was
settled (and says why nothing was, when it could not be done soundly).
"""

from __future__ import annotations

from typing import Any, Mapping

from faultline.checkers.settle import WRITE_FS, settle, without_server_history
from faultline.core.generator.basic import concat, once
from faultline.core.generator.timing import sleep
from faultline.core.history import History
from faultline.core.op import INFO
from faultline.core.options import Option
from faultline.core.result import Checker, Result
from faultline.core.vocabulary import SERVER_HISTORY
from faultline.dbs import DBS
from faultline.workloads.txn_support import option

NO_SETTLE = Option("no_settle", False, "leave writes of unknown outcome unsettled (by default "
                   "they are settled from the server's record of what it applied, on dbs that "
                   "offer one: etcd)", bool)
SETTLE_GRACE_S = 2.0
"""Pause between the final reads and the ``server-history`` op, so that a write request
still buffered at a node that was just resumed or reconnected is applied before it."""


def settles(test: Mapping[str, Any]) -> bool:
    """Whether a run of ``test`` settles: the option is on and the db offers a record."""
    db = DBS.get(str(test.get("db"))) if test.get("db") in DBS else None
    return not option(test, NO_SETTLE) and bool(getattr(db, "server_history", False))


def settle_final(test: Mapping[str, Any], history: History) -> Any:
    """The end of the final phase when ``test`` settles and ``history`` (so far) has a
    write of unknown outcome: a pause, then the ``server-history`` op; else None."""
    if not settles(test) or not any(p.invoke.f in WRITE_FS and p.outcome == INFO
                                    for p in history.pairs()):
        return None
    return concat(sleep(SETTLE_GRACE_S), once({"f": SERVER_HISTORY, "value": None}))


class SettlingChecker:
    """``inner`` run on the settled history (when ``enabled`` and the history has a
    server record), its result carrying ``settled``; else on the history without the
    ``server-history`` op."""

    def __init__(self, inner: Checker, *, enabled: bool = True):
        self.inner = inner
        self.enabled = enabled

    def check(self, test: Mapping[str, Any], history: History, opts: Mapping[str, Any]) -> Result:
        if not self.enabled:
            return self.inner.check(test, without_server_history(history), opts)
        settled = settle(history)
        result = self.inner.check(test, settled.history, opts)
        if settled.summary is None:
            return result
        return Result(result.valid, {**result.data, "settled": dict(settled.summary)},
                      result.error)


__all__ = ["NO_SETTLE", "SETTLE_GRACE_S", "SettlingChecker", "settle_final", "settles"]
