"""What the transactional workloads (list-append, rw-register) share: their options, the
generator of transactions over a small rotating set of keys, the final reads, and the
default consistency models.

An op is ``{"f": "txn", "value": [mop, ...]}`` (``key`` None) where a micro-op (mop) is
``[f, k, v]``: ``["r", k, None]`` reads key ``k`` (the completion carries what was read),
and the workload's write, ``["append", k, v]`` or ``["w", k, v]``, appends ``v`` to or
writes ``v`` into key ``k``. Keys are ints; written values are ints, unique per key
(1, 2, 3, ... in generation order), so every read tells which writes it saw.

Generation: ``key_count`` keys are active at once. A transaction has 1 to
``max_txn_length`` mops (uniformly); each picks an active key at random and reads it with
probability ``read_fraction``, else writes it. A key takes ``max_writes_per_key`` writes,
then a fresh key takes its place: per-key version orders stay short (which keeps a
list-append value small and the checker's inference cheap), and keys keep being shared by
many concurrent transactions (which is what makes dependency cycles possible).

Final phase: read-only transactions over every key touched (:func:`final_reads`), then
every member's own copy of each key, two rounds
(:func:`~faultline.workloads.member_reads.member_read_rounds`: ``member-read`` ops; etcd
serializable, ZooKeeper after a sync). Checking: Elle on the transactions, and the
members' final state per key (in the result's ``members``: members that disagree on a
key make the test invalid).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Mapping, Sequence

from faultline.checkers.elle import DEFAULT_MODELS, ElleChecker
from faultline.checkers.elle.consistency import canonical_model
from faultline.core.generator.basic import concat, once
from faultline.core.generator.context import Context
from faultline.core.generator.protocol import PENDING, OpResult, fill_op
from faultline.core.history import History
from faultline.core.op import NEMESIS, Op
from faultline.core.options import Option
from faultline.dbs import DBS
from faultline.dbs.txn_values import READ
from faultline.workloads.member_reads import WithMembers, member_read_rounds

TXN = "txn"

KEY_COUNT = Option("key_count", 8, "keys transactions pick from at once", int, minimum=1,
                   maximum=1000, metavar="N")
MAX_WRITES_PER_KEY = Option("max_writes_per_key", 32, "writes to a key before a fresh key "
                            "replaces it", int, minimum=1, metavar="N")
MAX_TXN_LENGTH = Option("max_txn_length", 4, "micro-ops per transaction, at most (at least 1)",
                        int, minimum=1, maximum=64, metavar="N")
READ_FRACTION = Option("read_fraction", 0.5, "probability that a micro-op is a read", float,
                       minimum=0, maximum=1, metavar="P")


class ModelsOption(Option):
    """A str option naming consistency models, separated by commas: each name is checked
    when the test is built, so a misspelt model stops the test before any cluster work."""

    def validate(self, value: Any) -> Any:
        value = super().validate(value)
        for name in model_names(value):
            canonical_model(name)  # BadInputError naming the known models
        return value


def model_names(value: str) -> list[str]:
    return [m.strip() for m in value.split(",") if m.strip()]


CONSISTENCY_MODELS = ModelsOption("consistency_models", "", "models to check against, separated "
                                  "by commas (default: what the db promises in its read mode; "
                                  "docs/workloads.md)", str, metavar="MODELS")
OPTIONS = (KEY_COUNT, MAX_WRITES_PER_KEY, MAX_TXN_LENGTH, READ_FRACTION, CONSISTENCY_MODELS)
"""Both workloads declare these same objects (the spec requires shared names to agree)."""

def option(test: Mapping[str, Any], opt: Option) -> Any:
    """The test's value of ``opt``, its default when absent."""
    value = test.get(opt.name)
    return opt.default if value is None else value


def models_for(test: Mapping[str, Any]) -> list[str]:
    """The models to check ``test``'s history against: ``consistency_models`` when given,
    else what the db promises in the test's read mode (its descriptor's ``txn_models``;
    the reasoning is in docs/workloads.md), else strict serializability."""
    given = model_names(str(option(test, CONSISTENCY_MODELS)))
    if given:
        return given
    db = DBS.get(str(test.get("db"))) if test.get("db") in DBS else None
    promised = db.txn_models.get(str(test.get("read_mode"))) if db is not None else None
    return list(promised or DEFAULT_MODELS)


@dataclass(frozen=True, slots=True)
class _Key:
    key: int
    writes_left: int
    written: int  # the last value written to it (values are 1, 2, 3, ...)


@dataclass(frozen=True, slots=True)
class TxnGenerator:
    """Infinite; bound it with ``time_limit``. An immutable generator value."""

    write_f: str
    active: tuple[_Key, ...]
    next_key: int
    max_writes_per_key: int
    max_txn_length: int
    read_fraction: float

    def op(self, test: Mapping[str, Any], ctx: Context) -> OpResult:
        if not ctx.has_free_process():
            return PENDING, self
        rng = ctx.rng
        active, nxt = list(self.active), self.next_key
        mops: list[list[Any]] = []
        for _ in range(rng.randint(1, self.max_txn_length)):
            i = rng.randrange(len(active))
            k = active[i]
            if rng.random() < self.read_fraction:
                mops.append([READ, k.key, None])
                continue
            value = k.written + 1
            mops.append([self.write_f, k.key, value])
            if k.writes_left > 1:
                active[i] = _Key(k.key, k.writes_left - 1, value)
            else:
                active[i], nxt = _Key(nxt, self.max_writes_per_key, 0), nxt + 1
        filled = fill_op({"f": TXN, "value": mops}, ctx)
        if filled is None:
            return PENDING, self
        return filled, TxnGenerator(self.write_f, tuple(active), nxt, self.max_writes_per_key,
                                    self.max_txn_length, self.read_fraction)

    def update(self, test: Mapping[str, Any], ctx: Context, event: Op) -> "TxnGenerator":
        return self


def txn_generator(test: Mapping[str, Any], write_f: str) -> TxnGenerator:
    """The generator of ``test`` (its options, defaults where absent) writing with ``write_f``."""
    n_keys = int(option(test, KEY_COUNT))
    per_key = int(option(test, MAX_WRITES_PER_KEY))
    return TxnGenerator(write_f, tuple(_Key(k, per_key, 0) for k in range(n_keys)), n_keys,
                        per_key, int(option(test, MAX_TXN_LENGTH)),
                        float(option(test, READ_FRACTION)))


def keys_touched(history: History) -> list[int]:
    """Every key a client transaction of ``history`` named, sorted."""
    keys = set()
    for op in history:
        if op.process != NEMESIS and op.f == TXN and op.value:
            keys.update(mop[1] for mop in op.value)
    return sorted(keys)


def final_reads(test: Mapping[str, Any], history: History) -> Any:
    """Read-only transactions reading every key ``history`` touched, ``max_txn_length``
    keys each: once the cluster has recovered, they extend every key's observed version
    order to its end."""
    keys = keys_touched(history)
    size = int(option(test, MAX_TXN_LENGTH))
    return concat(*(once({"f": TXN, "value": [[READ, k, None] for k in keys[i:i + size]]})
                    for i in range(0, len(keys), size)))


class TxnWorkload:
    """A transactional workload: ``name`` is the ``--workload`` value and the checker's
    workload, ``write_f`` the micro-op that writes (``append`` or ``w``)."""

    options: Sequence[Option] = OPTIONS

    def __init__(self, name: str, write_f: str):
        self.name = name
        self.write_f = write_f

    def generator(self, test: Mapping[str, Any]) -> TxnGenerator:
        return txn_generator(test, self.write_f)

    def final_generator(self, test: Mapping[str, Any], history: History) -> Any:
        return concat(final_reads(test, history), member_read_rounds(test, keys_touched(history)))

    def checker(self, test: Mapping[str, Any]) -> WithMembers:
        """Elle-style cycle checking against :func:`models_for` ``(test)``, and the
        members' final state."""
        return WithMembers(ElleChecker(self.name, models=models_for(test)))


__all__ = ["CONSISTENCY_MODELS", "KEY_COUNT", "MAX_TXN_LENGTH", "MAX_WRITES_PER_KEY", "OPTIONS",
           "READ", "READ_FRACTION", "TXN", "TxnGenerator", "TxnWorkload",
           "final_reads", "keys_touched", "models_for", "txn_generator"]
