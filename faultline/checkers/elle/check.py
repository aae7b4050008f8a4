"""The Elle-style checker: from a transactional history to a verdict, the anomalies found
(each explained), and the consistency models they rule out.

:func:`check_elle` runs the workload's inference (:mod:`~faultline.checkers.elle.list_append`
or :mod:`~faultline.checkers.elle.rw_register`: version orders, ww/wr/rw edges, the
non-cycle anomalies), adds process or real-time edges when a requested model needs them,
and searches the graph's cycles (:mod:`~faultline.checkers.elle.cycles`). As Elle does:

- the anomalies that make a history invalid are those the requested ``models`` proscribe,
  plus the requested ``anomalies`` and every anomaly implying one of them;
- every anomaly found counts for the models ruled out (``not``, ``also_not``), but only
  those that matter to the request are listed in ``anomaly_types``;
- *empty-transaction-graph* (no dependency at all could be inferred) makes the verdict
  unknown unless something proscribed was found.

Past ``time_limit`` the cycle search stops: the anomaly types it could not rule out are
``unknown``, and the verdict is never valid then.
"""

from __future__ import annotations

import gc
import time
from typing import Any, Mapping, Sequence

from faultline.checkers.elle import list_append, rw_register
from faultline.checkers.elle.consistency import (
    CYCLE_TYPES, anomalies_implying, friendly_model, implied_anomalies, proscribed, ruled_out,
    strongest_not_ruled_out,
)
from faultline.checkers.elle.cycles import find_anomalies, strongly_connected_components
from faultline.checkers.elle.explain import cycle_anomaly, describe
from faultline.checkers.elle.graph import (
    PROCESS, REALTIME, RW, WR, WW, DepGraph, process_edges, realtime_edges,
)
from faultline.checkers.elle.txn import Txn, txns_from_history
from faultline.core.errors import BadInputError
from faultline.core.op import OK
from faultline.core.result import UNKNOWN, Result

__all__ = ["ANOMALY_NAMES", "DEFAULT_MODELS", "KIND", "MAX_CASES", "WORKLOADS", "ElleChecker",
           "check_elle"]

KIND = "elle"
WORKLOADS = ("list-append", "rw-register")
DEFAULT_MODELS = ("strict-serializable",)
MAX_CASES = 8
"""Anomalies kept per type in a result (``stats["counts"]`` has how many were found)."""
EMPTY_GRAPH = "empty-transaction-graph"
FOUND_WITHOUT_CYCLES = ("G1a", "G1b", "internal", "future-read", "duplicate-elements",
                        "incompatible-order", "dirty-update", "lost-update", "garbage-read",
                        "cyclic-versions", EMPTY_GRAPH)
ANOMALY_NAMES = frozenset(implied_anomalies([*FOUND_WITHOUT_CYCLES, *CYCLE_TYPES]))
"""What ``anomalies`` may name: the types found and those they imply (G1, G2, ...)."""
_REGISTER_OPTIONS = ("linearizable_keys", "sequential_keys", "wfr_keys", "transaction_order")
REGISTER_EXPLAIN_ORDER = (WR, WW, RW, PROCESS, REALTIME)
"""Elle's rw-register explains a step by its wr dependency before its ww one (its
explainers are combined in that order; list-append's start with ww)."""


def check_elle(history: Any, *, workload: str, models: Sequence[str] | None = None,
               anomalies: Sequence[str] = (), time_limit: float | None = None,
               options: Mapping[str, Any] | None = None) -> Result:
    """Check a history of ``f="txn"`` ops (see docs/elle.md).

    ``models``: consistency models the history must satisfy (None: strict-serializable;
    empty: none, only ``anomalies``). ``options`` (rw-register): ``linearizable_keys``,
    ``sequential_keys``, ``wfr_keys`` (bools), ``transaction_order`` (completion history
    index -> commit position). Raises :class:`BadInputError` for an unknown workload,
    model, anomaly or option, and for a history the inference cannot use (values not
    unique per key, ops that are not transactions).
    """
    # Millions of small containers, none of them cyclic garbage: the cyclic collector's
    # passes over them cost about a third of a large check (E2 measured 6.0 s -> 4.0 s).
    collecting = gc.isenabled()
    gc.disable()
    try:
        return _check(history, workload, models, anomalies, time_limit, options)
    finally:
        if collecting:
            gc.enable()


def _check(history: Any, workload: str, models: Sequence[str] | None,
           anomalies: Sequence[str], time_limit: float | None,
           options: Mapping[str, Any] | None) -> Result:
    started = time.monotonic()
    deadline = None if time_limit is None else started + time_limit
    models = list(DEFAULT_MODELS if models is None else models)
    options = dict(options or {})
    prohibited = _prohibited(models, anomalies)
    wanted_cycles = prohibited & set(CYCLE_TYPES)
    txns = txns_from_history(history)
    graph = DepGraph(len(txns), **({"explain_order": REGISTER_EXPLAIN_ORDER}
                                   if workload == "rw-register" else {}))
    found = _analyze(workload, txns, graph, options)

    if any(t.endswith("-realtime") for t in wanted_cycles):
        realtime_edges(txns, graph)
        searched = [t for t in CYCLE_TYPES if not t.endswith("-process")]
    elif any(t.endswith("-process") for t in wanted_cycles):
        process_edges(txns, graph)
        searched = [t for t in CYCLE_TYPES if not t.endswith("-realtime")]
    else:
        searched = [t for t in CYCLE_TYPES if not t.endswith(("-process", "-realtime"))]
    search_stats: dict[str, Any] = {"edges": graph.edge_count}
    cycles: dict[str, list] = {}
    unknown: set[str] = set()
    if graph.edge_count == 0:
        found[EMPTY_GRAPH] = [{}]
    else:
        cycles, unknown = find_anomalies(graph, txns, set(searched), deadline=deadline,
                                         stats=search_stats)
    return _result(workload, models, prohibited, txns, found, cycles, unknown,
                   search_stats, time.monotonic() - started)


def _prohibited(models: Sequence[str], anomalies: Sequence[str]) -> set[str]:
    unknown = sorted(set(anomalies) - ANOMALY_NAMES)
    if unknown:
        raise BadInputError(f"unknown anomalies {unknown}; known: "
                            f"{', '.join(sorted(ANOMALY_NAMES))}")
    prohibited = anomalies_implying(anomalies)
    if models:
        prohibited |= proscribed(models)
    return prohibited


def _analyze(workload: str, txns: Sequence[Txn], graph: DepGraph,
             options: Mapping[str, Any]) -> dict[str, list[dict]]:
    if workload == "list-append":
        if options:
            raise BadInputError(f"list-append takes no options, got {sorted(options)}")
        return list_append.analyze(txns, graph)
    if workload != "rw-register":
        raise BadInputError(f"unknown transactional workload {workload!r}; known: "
                            f"{', '.join(WORKLOADS)}")
    unknown = set(options) - set(_REGISTER_OPTIONS)
    if unknown:
        raise BadInputError(f"unknown rw-register options {sorted(unknown)}; known: "
                            f"{', '.join(_REGISTER_OPTIONS)}")
    process_succ = realtime_succ = None
    if options.get("sequential_keys"):
        # Elle's process order relates ok transactions only.
        process_succ = _successors(txns, process_edges, ok_only=True)
    if options.get("linearizable_keys"):
        realtime_succ = _successors(txns, realtime_edges, ok_only=False)
    return rw_register.analyze(
        txns, graph, wfr_keys=bool(options.get("wfr_keys")),
        transaction_order=options.get("transaction_order"),
        process_successors=process_succ, realtime_successors=realtime_succ,
        strongly_connected=strongly_connected_components)


def _successors(txns: Sequence[Txn], build: Any, *, ok_only: bool) -> Any:
    order = DepGraph(len(txns))
    build(txns, order)
    if ok_only:
        return lambda a: [b for b in order.successors(a) if txns[b].type == OK]
    return order.successors


def _result(workload: str, models: list[str], prohibited: set[str], txns: Sequence[Txn],
            found: dict[str, list[dict]], cycles: dict[str, list], unknown: set[str],
            search_stats: Mapping[str, Any], elapsed: float) -> Result:
    every = set(found) | set(cycles)
    reportable = prohibited | {EMPTY_GRAPH}
    shown = sorted(every & reportable)
    out: dict[str, list[dict]] = {}
    counts: dict[str, int] = {}
    for kind in shown:
        if kind in cycles:
            cases = [cycle_anomaly(kind, workload, c, txns) for c in cycles[kind][:MAX_CASES]]
            counts[kind] = len(cycles[kind])
        else:
            cases = [describe(kind, workload, c, txns) for c in found[kind][:MAX_CASES]]
            counts[kind] = len(found[kind])
        out[kind] = cases
    undecided = sorted((unknown & prohibited) - every)
    not_, also_not = ruled_out(every)
    if every & prohibited:
        valid: Any = False
    elif shown or undecided:
        valid = UNKNOWN
    else:
        valid = True
    data: dict[str, Any] = {
        "kind": KIND, "workload": workload, "models": [friendly_model(m) for m in models],
        "anomaly_types": shown, "anomalies": out, "not": not_, "also_not": also_not,
        "strongest_not_ruled_out": strongest_not_ruled_out(every), "unknown": undecided,
        "time_s": round(elapsed, 4),
    }
    if valid == UNKNOWN:
        data["reason"] = _reason(undecided, search_stats, elapsed)
    types = [t.type for t in txns]
    data["stats"] = {"txns": len(txns), "ok": types.count("ok"), "info": types.count("info"),
                     "fail": types.count("fail"), "counts": counts,
                     **search_stats,
                     "elapsed_s": round(elapsed, 4)}
    return Result(valid, data)


def _reason(undecided: list[str], search_stats: Mapping[str, Any], elapsed: float) -> str:
    if undecided:
        return (f"cycle search stopped after {elapsed:.1f} s in an SCC of "
                f"{search_stats.get('stopped_in_scc', '?')} transactions; not ruled out: "
                f"{', '.join(undecided)}")
    return ("no dependency between transactions could be inferred "
            "(empty-transaction-graph)")


class ElleChecker:
    """The checker protocol over :func:`check_elle`: ``ElleChecker(workload, models=None)``.

    ``check(test, history, opts)``: ``opts["time_limit"]`` (else ``test["check_time_limit"]``)
    bounds the cycle search; ``test["consistency_models"]`` (a list, or names separated by
    commas), when set, overrides ``models``.
    """

    def __init__(self, workload: str, models: Sequence[str] | None = None, *,
                 anomalies: Sequence[str] = (), options: Mapping[str, Any] | None = None):
        if workload not in WORKLOADS:
            raise BadInputError(f"unknown transactional workload {workload!r}; known: "
                                f"{', '.join(WORKLOADS)}")
        self.workload = workload
        self.models = None if models is None else list(models)
        self.anomalies = tuple(anomalies)
        self.options = dict(options or {})

    def check(self, test: Mapping[str, Any], history: Any, opts: Mapping[str, Any]) -> Result:
        opts = opts or {}
        time_limit = opts.get("time_limit", test.get("check_time_limit"))
        given = test.get("consistency_models")
        if isinstance(given, str):  # the workloads' option: names separated by commas
            given = [m.strip() for m in given.split(",") if m.strip()]
        models = list(given) if given else self.models
        return check_elle(history, workload=self.workload, models=models,
                          anomalies=self.anomalies, time_limit=time_limit,
                          options=self.options)
