"""Independent keys: check a one-object model one key at a time.

A history whose client ops carry ``op.key`` is a set of independent objects (Jepsen's
``independent``): it is linearizable iff each key's sub-history is (P-compositionality),
and checking keys apart is exponentially cheaper than checking them together. Checking
such a history against a one-register model *without* splitting it would also be wrong:
writes to key 1 would seem to overwrite key 2.
"""

from __future__ import annotations

from typing import Any

from faultline.core.history import History, Pair
from faultline.core.op import NEMESIS


class PerKey:
    """``model`` with a ``partition`` by ``op.key``; everything else is the model's own."""

    def __init__(self, model: Any):
        self._model = model
        self.name = f"{model.name} per key"

    def __getattr__(self, name: str) -> Any:  # init, step, describe, read_only, ...
        return getattr(self._model, name)

    def partition(self, history: History) -> dict[Any, list[Pair]]:
        return partition_by_key(history)


def partition_by_key(history: History) -> dict[Any, list[Pair]]:
    """The client ops' pairs grouped by ``op.key`` (nemesis ops are no key's)."""
    groups: dict[Any, list[Pair]] = {}
    for pair in history.pairs():
        if pair.invoke.process != NEMESIS:
            groups.setdefault(pair.invoke.key, []).append(pair)
    return groups


def has_keys(history: History) -> bool:
    """Whether any client op names a key."""
    return any(op.key is not None for op in history if op.process != NEMESIS)


def per_key_if_keyed(model: Any, history: History) -> Any:
    """``model`` checked per key when ``history`` has keys and the model does not already
    split histories itself (the kv model does)."""
    if hasattr(model, "partition") or not has_keys(history):
        return model
    return PerKey(model)
