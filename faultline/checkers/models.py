"""Sequential models for the linearizability search.

A model is pure: ``init() -> state`` and ``step(state, op) -> (ok, state')``. States are
hashable (the search caches ``(linearized set, state)`` pairs) and compared with ``==``.
Optional members the search uses when present:

- ``partition(history) -> dict[key, list[Pair]]``: independent sub-histories (per key);
  the pairs keep the ops of the original history, indices included.
- ``read_only(op) -> bool``: the op never changes the state; with an unknown outcome
  (``info``) it constrains nothing and is dropped before the search.
- ``describe(op) -> str``: a short human form of an op, for counterexamples.
- ``order_views(entries)``: see :mod:`faultline.checkers.order` (write-order pruning, unique values).
- ``native_ops(ops)``: the ops in the compiled core's terms (:mod:`faultline.checkers.native_ops`),
  so that the search steps the model without calling back into Python; every built-in
  model has it. A model without it is stepped through ``step`` (slower).
- ``native_register()``: the register models' parameters, with which the compiled core
  prepares a whole history itself (:func:`faultline.checkers.native.prepare_registers`).

The op given to ``step`` is the *outcome* of an operation: for an ``ok`` completion the
completion op (a read carries the value read), for an unknown outcome the invocation with
``type="info"``, and for a compare-and-set that completed without matching, the ``fail``
completion whose ``error`` is :data:`CAS_MISMATCH`. Values: read ``value`` = the value
read, write ``value`` = v, cas ``value`` = ``[expected, new]``.
"""

from __future__ import annotations

from typing import Any, Hashable, Iterable, Protocol

from faultline.core.errors import BadInputError
from faultline.core.history import History, Pair
from faultline.core.op import FAIL, Op
from faultline.core.vocabulary import CAS_MISMATCH, READ_FS

from faultline.checkers import native_ops as nat
from faultline.checkers.independent import partition_by_key
from faultline.checkers.kv_versions import kv_order_views



class Model(Protocol):
    """The sequential specification the search linearizes against."""

    name: str

    def init(self) -> Hashable: ...

    def step(self, state: Hashable, op: Op) -> tuple[bool, Hashable]: ...

    def describe(self, op: Op) -> str: ...


_SCALARS = frozenset({int, str, type(None), float, bool})


def is_cas_mismatch(op: Op) -> bool:
    return op.type == FAIL and op.error == CAS_MISMATCH


def _freeze(value: Any) -> Hashable:
    """Values from JSON/EDN may be lists; states must be hashable."""
    if type(value) in _SCALARS:  # the common case first: this runs once per op
        return value
    if isinstance(value, list):
        return tuple(_freeze(v) for v in value)
    if isinstance(value, dict):
        return tuple(sorted(((k, _freeze(v)) for k, v in value.items()), key=repr))
    return value


def _cas_args(op: Op) -> tuple[Any, Any]:
    value = op.value
    if not isinstance(value, (list, tuple)) or len(value) != 2:
        raise BadInputError(f"cas op #{op.index} needs value [expected, new], got {value!r}")
    return _freeze(value[0]), _freeze(value[1])


def _unknown_f(model: str, op: Op) -> BadInputError:
    return BadInputError(f"model {model!r} has no operation {op.f!r} (op #{op.index})")


class RegisterModel:
    """One register: ``read``, ``write`` and (``cas=True``) compare-and-set.

    A read of ``None`` is unconstrained unless ``None`` is a value the register holds
    (``initial=None``, as in etcd where nil means "key absent"): Knossos histories with
    initial 0 record reads that returned nothing as ``nil``.
    """

    def __init__(self, *, initial: Any = None, cas: bool = False):
        self.initial = _freeze(initial)
        self.cas = cas
        self.name = "cas-register" if cas else "register"
        self._none_is_value = initial is None

    def init(self) -> Hashable:
        return self.initial

    def step(self, state: Hashable, op: Op) -> tuple[bool, Hashable]:
        f = op.f
        if f in READ_FS:
            v = _freeze(op.value)
            if v is None and not self._none_is_value:
                return True, state
            return state == v, state
        if f == "write":
            return True, _freeze(op.value)
        if f == "cas" and self.cas:
            expected, new = _cas_args(op)
            if is_cas_mismatch(op):
                return state != expected, state
            return (True, new) if state == expected else (False, state)
        raise _unknown_f(self.name, op)

    def read_only(self, op: Op) -> bool:
        return op.f in READ_FS or is_cas_mismatch(op)

    def native_ops(self, ops: list[Op]) -> tuple:
        views = []
        for op in ops:
            f = op.f
            if f in READ_FS:
                v = _freeze(op.value)
                views.append((nat.NOP,) if v is None and not self._none_is_value
                             else (nat.REG_READ, v))
            elif f == "write":
                views.append((nat.REG_WRITE, _freeze(op.value)))
            elif f == "cas" and self.cas:
                expected, new = _cas_args(op)
                views.append((nat.REG_MISMATCH, expected) if is_cas_mismatch(op)
                             else (nat.REG_CAS, expected, new))
            else:
                raise _unknown_f(self.name, op)
        return nat.register_codes(views, self.initial)

    def native_register(self) -> tuple[Hashable, bool, bool]:
        """``(initial, None is a value, cas)``: what the compiled core needs to prepare a
        register history itself (:func:`faultline.checkers.native.prepare_registers`)."""
        return self.initial, self._none_is_value, self.cas

    def order_views(self, entries: list[Any]) -> tuple[list, Any]:
        """Write-order views (see :mod:`faultline.checkers.order`): versions are the values."""
        return [self._view(e.op) for e in entries], self.initial

    def _view(self, op: Op) -> tuple[str, Any, Any] | None:
        if op.f in READ_FS:
            v = _freeze(op.value)
            if v is None and not self._none_is_value:
                return None
            return ("read", v, None)
        if op.f == "write":
            return ("write", None, _freeze(op.value))
        if op.f == "cas" and self.cas:
            expected, new = _cas_args(op)
            return ("mismatch", expected, None) if is_cas_mismatch(op) else ("cas", expected, new)
        return None

    def describe(self, op: Op) -> str:
        if op.f == "cas":
            expected, new = _cas_args(op)
            tail = " (compare failed)" if is_cas_mismatch(op) else ""
            return f"cas {expected!r} -> {new!r}{tail}"
        return f"{op.f} {op.value!r}"


class KVModel:
    """A map of string registers (initial ``""``), checked one key at a time.

    ``put``/``write`` sets, ``append`` concatenates, ``get``/``read`` returns the whole
    string (a read of ``None`` on an ``ok`` completion means ``""``).
    """

    name = "kv"

    def __init__(self, *, initial: str = ""):
        self.initial = initial

    def init(self) -> Hashable:
        return self.initial

    def step(self, state: Hashable, op: Op) -> tuple[bool, Hashable]:
        f = op.f
        if f in READ_FS:
            return state == (op.value if op.value is not None else ""), state
        if f in ("put", "write"):
            return True, op.value if op.value is not None else ""
        if f == "append":
            return True, state + (op.value if op.value is not None else "")
        raise _unknown_f(self.name, op)

    def read_only(self, op: Op) -> bool:
        return op.f in READ_FS

    def native_ops(self, ops: list[Op]) -> tuple | None:
        codes = {"put": nat.SEQ_PUT, "write": nat.SEQ_PUT, "append": nat.SEQ_APPEND}
        out = []
        for op in ops:
            if op.f not in READ_FS and op.f not in codes:
                raise _unknown_f(self.name, op)
            out.append((nat.SEQ_READ if op.f in READ_FS else codes[op.f],
                        op.value if op.value is not None else ""))
        return nat.kv_codes(out, self.initial)

    def order_views(self, entries: list[Any]) -> tuple[list, Any] | None:
        """Write-order views when values spell versions (:mod:`faultline.checkers.kv_versions`)."""
        return kv_order_views(entries, self.initial)

    def partition(self, history: History) -> dict[Any, list[Pair]]:
        return partition_by_key(history)

    def describe(self, op: Op) -> str:
        return f"{op.f} {op.key!r} {op.value!r}" if op.value is not None else f"{op.f} {op.key!r}"


class MultiRegisterModel:
    """Several registers read and written by transactions.

    ``f="txn"``, ``value=[["read", k, v], ["write", k, v], ...]`` applied in order; a read
    of ``None`` inside a transaction is unconstrained (it did not observe anything).
    """

    name = "multi-register"

    def __init__(self, *, initial: dict | None = None):
        self.initial = {k: _freeze(v) for k, v in (initial or {}).items()}

    def init(self) -> Hashable:
        return tuple(sorted(self.initial.items(), key=repr))

    def _micro_ops(self, op: Op) -> Iterable[tuple[str, Any, Any]]:
        if op.f != "txn":
            raise _unknown_f(self.name, op)
        if not isinstance(op.value, (list, tuple)):
            raise BadInputError(f"txn op #{op.index} needs a list of [f, key, value]")
        for micro in op.value:
            if not isinstance(micro, (list, tuple)) or len(micro) != 3 or micro[0] not in (
                "read", "r", "write", "w"
            ):
                raise BadInputError(f"txn op #{op.index}: bad micro-op {micro!r}")
            yield micro[0][0], _freeze(micro[1]), _freeze(micro[2])

    def step(self, state: Hashable, op: Op) -> tuple[bool, Hashable]:
        regs = dict(state)
        for kind, k, v in self._micro_ops(op):
            if kind == "r":
                if v is not None and regs.get(k) != v:
                    return False, state
            else:
                regs[k] = v
        return True, tuple(sorted(regs.items(), key=repr))

    def read_only(self, op: Op) -> bool:
        return all(kind == "r" for kind, _, _ in self._micro_ops(op))

    def native_ops(self, ops: list[Op]) -> tuple:
        return nat.txn_codes([list(self._micro_ops(op)) for op in ops], self.initial)

    def describe(self, op: Op) -> str:
        return "txn " + " ".join(f"{kind}({k!r},{v!r})" for kind, k, v in self._micro_ops(op))


class SetModel:
    """A set: ``add`` v, ``read`` returns every element (compared as a set)."""

    name = "set"

    def init(self) -> Hashable:
        return frozenset()

    def step(self, state: Hashable, op: Op) -> tuple[bool, Hashable]:
        if op.f == "add":
            return True, state | {_freeze(op.value)}
        if op.f in READ_FS:
            if not isinstance(op.value, (list, tuple, set, frozenset)):
                return False, state
            return frozenset(_freeze(v) for v in op.value) == state, state
        raise _unknown_f(self.name, op)

    def read_only(self, op: Op) -> bool:
        return op.f in READ_FS

    def native_ops(self, ops: list[Op]) -> tuple:
        out: list[tuple[str, Any]] = []
        for op in ops:
            if op.f == "add":
                out.append(("add", _freeze(op.value)))
            elif op.f in READ_FS:
                collection = isinstance(op.value, (list, tuple, set, frozenset))
                out.append(("read", [_freeze(v) for v in op.value] if collection else None))
            else:
                raise _unknown_f(self.name, op)
        return nat.set_codes(out)

    def describe(self, op: Op) -> str:
        return f"{op.f} {op.value!r}"


class MutexModel:
    """A lock: ``acquire`` succeeds only when free, ``release`` only when held."""

    name = "mutex"

    def init(self) -> Hashable:
        return False

    def step(self, state: Hashable, op: Op) -> tuple[bool, Hashable]:
        if op.f == "acquire":
            return (not state), True
        if op.f == "release":
            return bool(state), False
        raise _unknown_f(self.name, op)

    def native_ops(self, ops: list[Op]) -> tuple:
        """A register of 0 (free) and 1 (held): acquire is cas 0 -> 1, release cas 1 -> 0."""
        views = []
        for op in ops:
            if op.f not in ("acquire", "release"):
                raise _unknown_f(self.name, op)
            views.append((nat.REG_CAS, False, True) if op.f == "acquire"
                         else (nat.REG_CAS, True, False))
        return nat.register_codes(views, False)

    def describe(self, op: Op) -> str:
        return op.f


_MODELS = {
    "register": lambda **o: RegisterModel(cas=False, **o),
    "cas-register": lambda **o: RegisterModel(cas=True, **o),
    "kv": KVModel,
    "multi-register": MultiRegisterModel,
    "set": SetModel,
    "mutex": MutexModel,
}
MODEL_NAMES = tuple(_MODELS)


def get_model(name: str, **options: Any) -> Model:
    """The model called ``name`` (one of :data:`MODEL_NAMES`) with its options.

    Raises :class:`BadInputError` for an unknown name or option.
    """
    try:
        factory = _MODELS[name]
    except KeyError:
        raise BadInputError(
            f"unknown model {name!r}; choose one of {', '.join(MODEL_NAMES)}"
        ) from None
    try:
        return factory(**options)
    except TypeError:
        raise BadInputError(f"bad options for model {name!r}: {sorted(options)}") from None
