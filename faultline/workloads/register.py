"""The register workload: independent keys, each a compare-and-set register.

Ops (what the clients implement): ``read`` (value None on invoke, the value read on ok;
None = the key does not exist), ``write`` value v, ``cas`` value ``[expected, new]``
(a ``fail`` with error ``"cas-mismatch"`` means the compare did not match). ``op.key`` is
the register's key, an int.

Generation: a few keys are *active* at once (about one per ``THREADS_PER_KEY`` client
threads, so several processes contend on each key). Every op picks an active key at
random, then read / write / cas with equal odds. A key takes ``ops_per_key`` ops, then a
fresh key takes its place: per-key histories stay short, which keeps the
linearizability search cheap even with ops of unknown outcome. Values written to a key
are unique (1, 2, 3, ... per key), so a read tells exactly which write it saw; a cas
expects one of the last few values written, so many of them succeed.

A ``member-read`` (key ``k``) reads ``k`` from the one member the client is bound to,
locally (etcd: serializable; ZooKeeper: after a ``sync`` on that server), whatever the
read mode. The final generator reads every key the history touched once, then every
member on its own, key by key (:func:`~faultline.workloads.member_reads.member_read_rounds`).

Checking: per key, linearizability against the cas-register model
(:func:`faultline.checkers.linearizable.check_linearizable`) of the ops other than the
member reads, and the members' final state
(:func:`faultline.checkers.member_state.check_member_state`, per key), in the result's
``members``: members that disagree on a key make the test invalid. Where the db can
tell what it applied (etcd), writes of unknown outcome are settled from the server's
record first (:mod:`faultline.workloads.settling`; ``--no-settle`` turns it off).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Mapping

from faultline.checkers.independent import PerKey
from faultline.checkers.linearizable import check_linearizable
from faultline.checkers.member_state import with_members, without_member_reads
from faultline.checkers.models import get_model
from faultline.core.generator.basic import concat, once
from faultline.core.generator.context import Context
from faultline.core.generator.protocol import PENDING, OpResult, fill_op
from faultline.core.history import History
from faultline.core.op import NEMESIS, Op
from faultline.core.options import Option
from faultline.core.result import Result
from faultline.core.vocabulary import MEMBER_READ
from faultline.workloads.member_reads import member_read_rounds
from faultline.workloads.settling import NO_SETTLE, SettlingChecker, settle_final
from faultline.workloads.txn_support import option

THREADS_PER_KEY = 5
CAS_WINDOW = 3
"""A cas expects one of the last CAS_WINDOW values written to its key."""
OPS_PER_KEY = Option("ops_per_key", 200, "ops per register key before a fresh key",
                     kind=int, minimum=1, metavar="N")


@dataclass(frozen=True, slots=True)
class _Key:
    key: int
    ops_left: int
    written: int  # the last value written (values are 1, 2, 3, ...)


@dataclass(frozen=True, slots=True)
class RegisterGenerator:
    """Infinite; bound it with ``time_limit``. An immutable generator value."""

    active: tuple[_Key, ...]
    next_key: int
    ops_per_key: int

    def op(self, test: Mapping[str, Any], ctx: Context) -> OpResult:
        if not ctx.has_free_process():
            return PENDING, self
        rng = ctx.rng
        i = rng.randrange(len(self.active))
        k = self.active[i]
        kind = rng.randrange(3)
        written = k.written
        if kind == 2 and written == 0:  # a cas on a key never written would always miss
            kind = 1
        if kind == 0:
            op = {"f": "read", "value": None, "key": k.key}
        elif kind == 1:
            written += 1
            op = {"f": "write", "value": written, "key": k.key}
        else:
            expected = rng.randrange(max(1, written - CAS_WINDOW + 1), written + 1)
            written += 1
            op = {"f": "cas", "value": [expected, written], "key": k.key}
        filled = fill_op(op, ctx)
        if filled is None:
            return PENDING, self
        nxt = self.next_key
        if k.ops_left > 1:
            replacement = _Key(k.key, k.ops_left - 1, written)
        else:
            replacement, nxt = _Key(nxt, self.ops_per_key, 0), nxt + 1
        active = self.active[:i] + (replacement,) + self.active[i + 1:]
        return filled, RegisterGenerator(active, nxt, self.ops_per_key)

    def update(self, test: Mapping[str, Any], ctx: Context, event: Op) -> "RegisterGenerator":
        return self


class RegisterChecker:
    """Linearizability per key against the cas-register model. The search is bounded by
    ``opts["time_limit"]``, else ``test["check_time_limit"]`` (seconds), else unbounded,
    and by ``opts["memory_limit_mb"]``; ``opts["full"]`` decides every key, even after one
    proves the history invalid (``faultline check --full``)."""

    def check(self, test: Mapping[str, Any], history: History,
              opts: Mapping[str, Any]) -> Result:
        limit = opts.get("time_limit") or test.get("check_time_limit")
        model = PerKey(get_model("cas-register", initial=None))
        checked = check_linearizable(without_member_reads(history), model,
                                     time_limit=float(limit) if limit else None,
                                     memory_limit_mb=opts.get("memory_limit_mb"),
                                     full=bool(opts.get("full")))
        return with_members(checked, history)


class Register:
    """The register workload (the module docstring says what it does)."""

    name = "register"
    options = (OPS_PER_KEY, NO_SETTLE)

    def generator(self, test: Mapping[str, Any]) -> RegisterGenerator:
        """Uses ``concurrency`` and ``ops_per_key`` (the option's default when absent)."""
        n_keys = max(1, int(test.get("concurrency", 1)) // THREADS_PER_KEY)
        ops_per_key = int(test.get(OPS_PER_KEY.name) or OPS_PER_KEY.default)
        return RegisterGenerator(tuple(_Key(k, ops_per_key, 0) for k in range(n_keys)),
                                 n_keys, ops_per_key)

    def final_generator(self, test: Mapping[str, Any], history: History) -> Any:
        """One read of every key the history touched, once the cluster has recovered, then
        every member's own copy of each (two rounds), then, where writes of unknown
        outcome can be settled, the server's record of what it applied
        (:func:`~faultline.workloads.settling.settle_final`)."""
        keys = sorted({op.key for op in history if op.process != NEMESIS and op.key is not None
                       and op.f != MEMBER_READ})
        return concat(*(once({"f": "read", "value": None, "key": k}) for k in keys),
                      member_read_rounds(test, keys), settle_final(test, history))

    def checker(self, test: Mapping[str, Any]) -> SettlingChecker:
        return SettlingChecker(RegisterChecker(), enabled=not option(test, NO_SETTLE))


WORKLOAD = Register()
