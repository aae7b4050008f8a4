"""Consistency models and the anomalies they proscribe: which models a set of anomalies
rules out, and the strongest ones still standing.

The knowledge is Elle's (``elle/consistency_model.clj``, after Adya, Bailis et al., Cerone et
al., Daudjee and Salem, ...), written down here as three graphs: anomaly implications (a G0
is also a G1c, a G-single-item also a G-nonadjacent-item, ...), model implications (a
serializable history is also repeatable-read, ...), and the anomalies each model directly
proscribes. Names are Elle's keywords without the colon. Models have aliases: a *canonical*
name (Adya's ``PL-2.99`` for repeatable-read, ...) and a *friendly* one, used in results;
``strict-serializable`` and ``strong-serializable`` are the same model (``PL-SS``), and
results call it ``strict-serializable`` (Elle prints ``strong-serializable``). One addition
of ours: ``garbage-read`` (a read of a value nobody wrote), which no model allows.
"""

from __future__ import annotations

from typing import Iterable

from faultline.core.errors import BadInputError

__all__ = ["CYCLE_TYPES", "MODELS", "anomalies_implying", "canonical_model", "friendly_model",
           "implied_anomalies", "proscribed", "ruled_out", "strongest_not_ruled_out"]

_IMPLIED: dict[str, tuple[str, ...]] = {
    "G0": ("G1c", "G0-process"),
    "G0-process": ("G1c-process", "G0-realtime"),
    "G0-realtime": ("G1c-realtime",),
    "G1a": ("G1",),
    "G1b": ("G1",),
    "G1c": ("G1", "G1c-process"),
    "G1c-process": ("G1c-realtime", "G1-process"),
    "G1c-realtime": ("G1-realtime",),
    "G1": ("G1-process",),
    "G1-process": ("G1-realtime",),
    "G-single-item": ("G-single", "G-single-item-process", "G-nonadjacent-item"),
    "G-single-item-process": ("G-single-process", "G-single-item-realtime",
                              "G-nonadjacent-item-process"),
    "G-single-item-realtime": ("G-single-realtime", "G-nonadjacent-item-realtime"),
    "G-single": ("G-nonadjacent", "GSIb", "G-single-process"),
    "G-single-process": ("G-nonadjacent-process", "G-single-realtime"),
    "G-single-realtime": ("G-nonadjacent-realtime",),
    "G-nonadjacent-item": ("G-nonadjacent", "G2-item", "G-nonadjacent-item-process"),
    "G-nonadjacent-item-process": ("G-nonadjacent-process", "G2-item-process",
                                   "G-nonadjacent-item-realtime"),
    "G-nonadjacent-item-realtime": ("G2-item-realtime", "G-nonadjacent-realtime"),
    "G-nonadjacent": ("G2", "G-nonadjacent-process"),
    "G-nonadjacent-process": ("G2-process", "G-nonadjacent-realtime"),
    "G-nonadjacent-realtime": ("G2-realtime",),
    "G2": ("G2-process",),
    "G2-item": ("G2", "G2-item-process"),
    "G2-item-process": ("G2-process", "G2-item-realtime"),
    "G2-item-realtime": ("G2-realtime",),
    "G2-process": ("G2-realtime",),
    "GSIa": ("GSI",),
    "GSIb": ("GSI",),
    "incompatible-order": ("G1a",),
    "future-read": ("G1c",),
    "dirty-update": ("G1a",),
    "lost-update": ("write-skew", "G2-item"),
    "write-skew": ("G2",),
}

# Not implications, only "worse than": orders the cycle searches, worst first.
_SEVERITY: dict[str, tuple[str, ...]] = {
    "G0": ("G1c",), "G0-process": ("G1c-process",), "G0-realtime": ("G1c-realtime",),
    "G1c": ("G-single", "G2-item"), "G1c-process": ("G-single-process", "G2-item-process"),
    "G1c-realtime": ("G-single-realtime", "G2-item-realtime"),
    "G2": ("G0-process",), "G2-process": ("G0-realtime",),
}

_CANONICAL = {
    "consistent-view": "PL-2+", "conflict-serializable": "PL-3", "cursor-stability": "PL-CS",
    "forward-consistent-view": "PL-FCV", "monotonic-snapshot-read": "PL-MSR",
    "monotonic-view": "PL-2L", "read-committed": "PL-2", "read-uncommitted": "PL-1",
    "repeatable-read": "PL-2.99", "serializable": "PL-3", "snapshot-isolation": "PL-SI",
    "strict-serializable": "PL-SS", "strong-serializable": "PL-SS",
    "update-serializable": "PL-3U",
    "strong-session-read-uncommitted": "strong-session-PL-1",
    "strong-session-read-committed": "strong-session-PL-2",
    "strong-read-uncommitted": "strong-PL-1", "strong-read-committed": "strong-PL-2",
}
_FRIENDLY = {canonical: friendly for friendly, canonical in _CANONICAL.items()
             if friendly not in ("conflict-serializable", "strong-serializable")}

# a -> b: a history satisfying a satisfies b (names canonicalised below).
_MODEL_IMPLIES = {
    "causal-cerone": ("read-atomic",),
    "consistent-view": ("cursor-stability", "monotonic-view"),
    "conflict-serializable": ("view-serializable",),
    "cursor-stability": ("read-committed", "PL-2"),
    "forward-consistent-view": ("consistent-view",),
    "PL-2": ("PL-1",),
    "PL-3": ("repeatable-read", "update-serializable"),
    "update-serializable": ("forward-consistent-view",),
    "monotonic-atomic-view": ("read-committed",),
    "monotonic-view": ("PL-2",),
    "monotonic-snapshot-read": ("PL-2",),
    "parallel-snapshot-isolation": ("causal-cerone", "update-atomic"),
    "prefix": ("causal-cerone",),
    "read-atomic": ("monotonic-atomic-view",),
    "read-committed": ("read-uncommitted",),
    "repeatable-read": ("cursor-stability", "monotonic-atomic-view"),
    "update-atomic": ("read-atomic",),
    "serializable": ("repeatable-read", "snapshot-isolation", "view-serializable"),
    "session-serializable": ("1SR",),
    "snapshot-isolation": ("forward-consistent-view", "monotonic-atomic-view",
                           "monotonic-snapshot-read", "parallel-snapshot-isolation", "prefix"),
    "strict-serializable": ("PL-3", "serializable", "linearizable", "snapshot-isolation",
                            "strong-snapshot-isolation", "strong-session-serializable"),
    "strong-session-PL-1": ("PL-1",),
    "strong-session-PL-2": ("PL-2", "strong-session-PL-1"),
    "strong-PL-1": ("strong-session-PL-1",),
    "strong-PL-2": ("strong-session-PL-2", "strong-PL-1"),
    "strong-session-serializable": ("serializable", "strong-session-snapshot-isolation"),
    "strong-session-snapshot-isolation": ("snapshot-isolation", "strong-session-PL-2"),
    "strong-serializable": ("session-serializable",),
    "strong-snapshot-isolation": ("strong-session-snapshot-isolation", "strong-PL-2"),
    "linearizable": ("sequential",),
    "sequential": ("causal",),
    "causal": ("writes-follow-reads", "PRAM"),
    "PRAM": ("monotonic-reads", "monotonic-writes", "read-your-writes"),
}

_PROSCRIBES = {
    "causal-cerone": ("internal", "G1a"),
    "cursor-stability": ("G1", "G-cursor", "lost-update"),
    "monotonic-view": ("G1", "G-monotonic"),
    "monotonic-snapshot-read": ("G1", "G-MSR"),
    "consistent-view": ("G1", "G-single"),
    "forward-consistent-view": ("G1", "G-SIb"),
    "parallel-snapshot-isolation": ("internal", "G1a"),
    "PL-3": ("G1", "G2", "predicate-read-miss", "PL-3-cycle-exists"),
    "PL-2": ("G1", "PL-2-cycle-exists"),
    # garbage-read (a read of a value nobody wrote) is ours, not Elle's: like a duplicate
    # element, no model allows it.
    "PL-1": ("G0", "duplicate-elements", "cyclic-versions", "garbage-read", "PL-1-cycle-exists"),
    "prefix": ("internal", "G1a"),
    "serializable": ("internal",),
    "snapshot-isolation": ("internal", "G1", "G-SI", "G-nonadjacent", "PL-SI-cycle-exists"),
    "read-atomic": ("internal", "G1a", "future-read"),
    "repeatable-read": ("G1", "G2-item", "PL-2.99-cycle-exists", "lost-update"),
    "update-atomic": ("lost-update",),
    "strict-serializable": ("G1", "G1c-realtime", "G2-realtime", "PL-SS-cycle-exists"),
    "strong-session-PL-1": ("strong-session-PL-1-cycle-exists", "G0-process"),
    "strong-session-PL-2": ("strong-session-PL-2-cycle-exists", "G1c-process"),
    "strong-PL-1": ("strong-PL-1-cycle-exists", "G0-realtime"),
    "strong-PL-2": ("strong-PL-2-cycle-exists", "G1c-realtime"),
    "strong-session-snapshot-isolation": ("internal", "G1-process", "G-nonadjacent-process",
                                          "strong-session-snapshot-isolation-cycle-exists"),
    "strong-snapshot-isolation": ("internal", "G1-realtime", "G-nonadjacent-realtime",
                                  "strong-snapshot-isolation-cycle-exists"),
    "strong-session-serializable": ("G1-process", "G2-process",
                                    "strong-session-serializable-cycle-exists"),
    "update-serializable": ("G1", "G-update"),
}


def _c(name: str) -> str:
    return _CANONICAL.get(name, name)


def _graph(edges: dict[str, tuple[str, ...]], rename=lambda x: x) -> dict[str, set[str]]:
    out: dict[str, set[str]] = {}
    for a, bs in edges.items():
        out.setdefault(rename(a), set()).update(rename(b) for b in bs)
        for b in bs:
            out.setdefault(rename(b), set())
    return out


def _reverse(g: dict[str, set[str]]) -> dict[str, set[str]]:
    rev: dict[str, set[str]] = {v: set() for v in g}
    for a, bs in g.items():
        for b in bs:
            rev[b].add(a)
    return rev


def _reach(g: dict[str, set[str]], start: Iterable[str]) -> set[str]:
    """``start`` and everything reachable from it."""
    seen = set(start)
    todo = list(seen)
    while todo:
        for b in g.get(todo.pop(), ()):
            if b not in seen:
                seen.add(b)
                todo.append(b)
    return seen


_ANOMALY_OUT = _graph(_IMPLIED)
_ANOMALY_IN = _reverse(_ANOMALY_OUT)
_MODEL_OUT = _graph(_MODEL_IMPLIES, _c)
_MODEL_IN = _reverse(_MODEL_OUT)
_PROSCRIBED_BY = _graph(_PROSCRIBES, _c)   # model -> anomalies (anomalies have no out-edges)
_PROSCRIBERS = _reverse(_PROSCRIBED_BY)     # anomaly -> models

MODELS: frozenset[str] = frozenset(_MODEL_OUT) | frozenset(_CANONICAL) | frozenset(
    _CANONICAL.values())
"""Every model name (friendly and canonical) :func:`canonical_model` accepts."""


def _depths() -> dict[str, int]:
    """Kahn layers of implications and severity together: 0 for anomalies nothing implies."""
    g = _graph(_IMPLIED)
    for a, bs in _SEVERITY.items():
        g.setdefault(a, set()).update(bs)
        for b in bs:
            g.setdefault(b, set())
    indegree = {v: 0 for v in g}
    for bs in g.values():
        for b in bs:
            indegree[b] += 1
    depth, layer, level = {}, [v for v, d in indegree.items() if d == 0], 0
    while layer:
        nxt = []
        for v in layer:
            depth[v] = level
            for b in g[v]:
                indegree[b] -= 1
                if indegree[b] == 0:
                    nxt.append(b)
        layer, level = nxt, level + 1
    return depth


_DEPTH = _depths()

CYCLE_TYPES: tuple[str, ...] = tuple(sorted(
    (base + variant for base in ("G0", "G1c", "G-single-item", "G-nonadjacent-item", "G2-item")
     for variant in ("", "-process", "-realtime")),
    key=lambda t: (_DEPTH[t], t)))
"""The cycle anomalies the graph search names, worst first (Elle's search order): a type
implied by one already found in a component need not be searched there."""


def canonical_model(name: str) -> str:
    """The canonical name of model ``name`` (``repeatable-read`` -> ``PL-2.99``); raises
    :class:`BadInputError` naming the known models when ``name`` is none of them."""
    if name not in MODELS:
        known = ", ".join(sorted(friendly_model(m) for m in {_c(m) for m in MODELS}))
        raise BadInputError(f"unknown consistency model {name!r}; known models: {known}")
    return _c(name)


def friendly_model(name: str) -> str:
    """The name results use for model ``name`` (``PL-2.99`` -> ``repeatable-read``)."""
    return _FRIENDLY.get(_c(name), _c(name))


def implied_anomalies(anomalies: Iterable[str]) -> set[str]:
    """``anomalies`` and every anomaly they imply."""
    return _reach(_ANOMALY_OUT, anomalies)


def anomalies_implying(anomalies: Iterable[str]) -> set[str]:
    """``anomalies`` and every anomaly that implies one of them."""
    return _reach(_ANOMALY_IN, anomalies)


def proscribed(models: str | Iterable[str]) -> set[str]:
    """The anomalies that cannot occur if every model in ``models`` holds (one name or a
    collection), including those implying a proscribed one."""
    if isinstance(models, str):
        models = [models]
    implied = _reach(_MODEL_OUT, [canonical_model(m) for m in models])
    direct = {a for m in implied for a in _PROSCRIBED_BY.get(m, ())}
    return anomalies_implying(direct)


def _impossible(anomalies: Iterable[str]) -> set[str]:
    direct = {m for a in implied_anomalies(anomalies) for m in _PROSCRIBERS.get(a, ())}
    return _reach(_MODEL_IN, direct)


def _weakest(models: set[str]) -> set[str]:
    """The models of ``models`` no other one of them implies-down-to (Elle's weakest-models)."""
    return {m for m in models if not (_reach(_MODEL_OUT, [m]) - {m}) & models}


def ruled_out(anomalies: Iterable[str]) -> tuple[list[str], list[str]]:
    """``(not, also_not)``: the weakest models the anomalies rule out, and the stronger ones
    they rule out as well (Elle's ``boundary``), as sorted friendly names. Names that are no
    anomaly (``cycle-search-timeout``, ...) rule out nothing."""
    impossible = _impossible(anomalies)
    weakest = _weakest(impossible)
    return (sorted({friendly_model(m) for m in weakest}),
            sorted({friendly_model(m) for m in impossible - weakest}))


def strongest_not_ruled_out(anomalies: Iterable[str]) -> list[str]:
    """The strongest models the anomalies leave possible: each implied by no other possible
    model. With no anomalies that is strict-serializable."""
    possible = set(_MODEL_OUT) - _impossible(anomalies)
    strongest = {m for m in possible if not (_reach(_MODEL_IN, [m]) - {m}) & possible}
    return sorted({friendly_model(m) for m in strongest})
