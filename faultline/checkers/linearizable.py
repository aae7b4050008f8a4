"""Linearizability checking: independent keys, interleaved searches, budgets, verdicts.

:func:`check_linearizable` splits the history per key when the model partitions
(P-compositionality: a history is linearizable iff each key's sub-history is), then runs
one search per key in round-robin slices, so that one hard key cannot hide another key
that already proves the history illegal. Without ``full`` the check stops at the first
illegal key; with ``full`` every key is decided (or runs out of budget).

Budgets: past ``time_limit`` seconds or ``memory_limit_mb`` of search caches, undecided
keys are "unknown" with the reason (the budget, and how far the search got); the verdict
is never "valid" then. Keys left unsearched because another key was illegal first are
"unknown" too, but say so: ``"checked": False`` and the reason :data:`NOT_CHECKED`.

The verdict is a :class:`faultline.core.result.Result`; its data holds ``kind``
(:data:`KIND`, so that a report knows how to show it), ``time_s``, ``engine``,
``keys`` (per-key results, when the model partitions), ``reason`` (when unknown) and
``counterexample`` (the first illegal key's, see :mod:`faultline.checkers.counterexample`).
"""

from __future__ import annotations

import time
from typing import Any, Mapping

from faultline.core.history import History

from faultline.checkers.counterexample import counterexample
from faultline.checkers.independent import per_key_if_keyed
from faultline.checkers.prepare import entries_for, partition
from faultline.core.result import UNKNOWN, Result, merge_validity
from faultline.checkers import engine
from faultline.checkers.wgl import ILLEGAL, OK, RUNNING

FIRST_SLICE = 1_000  # configurations per key per round; doubles each round
MAX_SLICE = 64_000
_OPTIONS = ("time_limit", "memory_limit_mb", "full", "native", "prune", "explain")
KIND = "linearizable"
"""The ``kind`` of a result of :func:`check_linearizable`."""
NOT_CHECKED = "not checked (stopped at the first invalid key; --full checks all)"
"""The ``reason`` of a key left unsearched (``"checked": False``) because another key was
found illegal first and ``full`` was not asked for."""


def check_linearizable(history: History, model: Any, *, time_limit: float | None = None,
                       memory_limit_mb: int | None = None, full: bool = False,
                       native: bool | None = None, prune: bool = True,
                       explain: bool = True) -> Result:
    """Decide whether ``history`` is linearizable with respect to ``model``.

    ``native``: use the compiled search core (None: when it is built,
    False: always pure Python, True: require it). ``prune=False`` turns off the write-order
    constraints of :mod:`faultline.checkers.order` (for measuring their gain).
    ``explain=False`` decides without building the counterexample of an illegal key (the
    verdict only, as Porcupine's ``CheckOperations`` gives it; the result then has no
    ``counterexample``): on small illegal histories the counterexample costs more than the
    search.
    """
    started = time.perf_counter()
    prepared = engine.prepared_searches(model, history, native=native, prune=prune)
    if prepared is not None:  # the compiled core prepared every key at once
        model, by_key = prepared
        ops = {key: count for key, (count, _) in by_key.items()}
        searches: dict[Any, Any] = {key: search for key, (_, search) in by_key.items()}
    else:  # prepared when first scheduled: an early illegal key spares preparing the others
        model = per_key_if_keyed(model, history)  # a one-object model on keyed ops: per key
        groups = partition(model, history)
        ops = {key: len(pairs) for key, pairs in groups.items()}
        searches = {}
    status = {key: RUNNING for key in ops}
    reason: str | None = None
    active = list(ops)
    budget = FIRST_SLICE
    memory_limit = memory_limit_mb * 2**20 if memory_limit_mb is not None else None
    sizes: dict[Any, int] = {}  # approx_bytes of each search, as of its last slice
    held = 0  # their sum: only the search just run changes, so no re-sum over every key
    while active and reason is None:
        for key in list(active):
            if key not in searches:
                searches[key] = engine.new_search(
                    model, entries_for(model, groups[key], prune=prune), native=native)
            status[key] = searches[key].run(budget)
            if status[key] != RUNNING:
                active.remove(key)
                if status[key] == ILLEGAL and not full:
                    active.clear()
                    break
            if time_limit is not None and time.perf_counter() - started > time_limit:
                reason = f"time limit of {time_limit:g} s reached"
                break
            if memory_limit is not None:
                size = searches[key].approx_bytes()
                held += size - sizes.get(key, 0)
                sizes[key] = size
                if held > memory_limit:
                    reason = f"memory limit of {memory_limit_mb} MiB reached"
                    break
        budget = min(budget * 2, MAX_SLICE)

    per_key = {key: _key_result(model, key, searches.get(key), ops[key], status[key], reason,
                                explain)
               for key in ops}
    if reason is not None:
        reason = _budget_reason(reason, per_key, keyed=hasattr(model, "partition"))
    valid = merge_validity([r["valid"] for r in per_key.values()])
    data: dict[str, Any] = {
        "kind": KIND,
        "time_s": round(time.perf_counter() - started, 6),
        "engine": sorted({s.engine for s in searches.values()}),
        "configurations": sum(s.nodes for s in searches.values()),
        "cache_bytes": sum(s.approx_bytes() for s in searches.values()),
    }
    if hasattr(model, "partition"):
        data["keys"] = {_key_name(k): r for k, r in per_key.items()}
    if valid == UNKNOWN:
        data["reason"] = reason
    first_illegal = next((r for r in per_key.values() if r["valid"] is False), None)
    if first_illegal is not None and explain:
        data["counterexample"] = first_illegal["counterexample"]
    return Result(valid=valid, data=data)


def _key_name(key: Any) -> str:
    return key if isinstance(key, str) else repr(key)


def _key_result(model: Any, key: Any, search: Any, ops: int, status: str,
                reason: str | None, explain: bool) -> dict:
    out: dict[str, Any] = {"ops": ops, "configurations": search.nodes if search else 0}
    if status == OK:
        out["valid"] = True
    elif status == ILLEGAL:
        out["valid"] = False
        if explain:
            out["counterexample"] = counterexample(model, key, search)
    elif reason is not None:
        out["valid"] = UNKNOWN
        out["reason"] = (f"{reason} after {out['configurations']:,} configurations of this key"
                         if out["configurations"] else f"{reason} before this key was searched")
    else:
        out["valid"] = UNKNOWN
        out["checked"] = False
        out["reason"] = NOT_CHECKED
    return out


def _budget_reason(reason: str, per_key: Mapping[Any, Mapping[str, Any]], *,
                   keyed: bool) -> str:
    """``reason`` (the budget reached) with how far the search got: configurations
    explored, and per key how many were decided and the largest one left undecided."""
    explored = sum(r["configurations"] for r in per_key.values())
    if not keyed:
        ops = sum(r["ops"] for r in per_key.values())
        return f"{reason} after {explored:,} configurations over {ops:,} ops"
    open_keys = {k: r for k, r in per_key.items() if r["valid"] == UNKNOWN}
    largest = max(open_keys, key=lambda k: open_keys[k]["ops"], default=None)
    text = (f"{reason} after {explored:,} configurations: {len(per_key) - len(open_keys)} "
            f"of {len(per_key)} keys decided")
    if largest is not None:
        text += (f", {len(open_keys)} undecided (the largest: key {_key_name(largest)}, "
                 f"{open_keys[largest]['ops']:,} ops)")
    return text


class Linearizable:
    """The checker: ``Linearizable(model, time_limit=..., memory_limit_mb=..., full=...)``.

    ``check(test, history, opts)``; ``opts`` may override the options given here.
    """

    def __init__(self, model: Any, **opts: Any):
        self.model = model
        self.opts = opts

    def check(self, test: Mapping[str, Any], history: History,
              opts: Mapping[str, Any]) -> Result:
        merged = {**self.opts, **{k: v for k, v in (opts or {}).items()
                                  if k in _OPTIONS}}
        return check_linearizable(history, self.model, **merged)
