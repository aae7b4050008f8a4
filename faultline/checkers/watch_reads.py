"""The watch workload's historical reads (a txn's ``["read", k, result, at]`` with ``at``
set) against the revisions the run knows (:mod:`faultline.checkers.watch_stream`).

A read of key k at revision ``at`` returns ``[value, mod_revision]`` (or None: absent).
With the events each known revision made (``known``: revision -> ``((key, type, value),
...)``, from acknowledged writes and the watch streams), three checks stay sound though
some revisions are unknown (writes of unknown outcome no watch delivered):

- a ``mod_revision`` m that is known must hold a put of k with that value;
- no known event on k may lie in (m, at]: the read would have missed a later write;
- an absent result needs no put of k to stand at ``at``: it is wrong when the last known
  event on k up to ``at`` is a put at p and every revision in (p, at] is known and none
  deletes k (revisions are dense: each number is one write).
"""

from __future__ import annotations

import bisect
from collections import defaultdict
from typing import Any, Iterator, Mapping

from faultline.core.history import History
from faultline.core.op import OK

KIND = "wrong-historical-read"


def historical_read_anomalies(history: History, known: Mapping[int, tuple]
                              ) -> Iterator[dict[str, Any]]:
    """One record ``{"op", "completed_s", "process", "node", "key", "at", "read",
    "explanation"}`` per historical read that contradicts ``known`` (the module doc;
    ``op`` is the txn's completion index, ``completed_s`` its time in seconds)."""
    revisions = sorted(known)
    by_key: dict[Any, list[tuple[int, str, Any]]] = defaultdict(list)
    for r in revisions:
        for key, kind, value in known[r]:
            by_key[key].append((r, kind, value))
    for op in history:
        if op.type != OK or op.f != "txn":
            continue
        for mop in op.value["mops"]:
            if mop[0] != "read" or len(mop) < 4 or mop[3] is None:
                continue
            why = _contradiction(mop[1], mop[2], int(mop[3]), by_key[mop[1]], known, revisions)
            if why:
                yield {"op": op.index, "completed_s": round(op.time / 1e9, 6),
                       "process": op.process, "node": op.node, "key": mop[1],
                       "at": mop[3], "read": mop[2], "explanation": why}


def _contradiction(key: Any, result: Any, at: int, events: list[tuple[int, str, Any]],
                   known: Mapping[int, tuple], revisions: list[int]) -> str | None:
    upto = [e for e in events if e[0] <= at]
    if result is not None:
        value, mod = result[0], int(result[1])
        if mod in known and (key, "put", value) not in known[mod]:
            return (f"read {key!r} at {at} as {value!r} written at {mod}, but revision {mod} "
                    f"made {list(known[mod])}")
        later = [e for e in upto if e[0] > mod]
        if later:
            return (f"read {key!r} at {at} as {value!r} written at {mod}, missing the "
                    f"{later[0][1]} at {later[0][0]}")
        return None
    if not upto or upto[-1][1] != "put":
        return None
    p = upto[-1][0]
    dense = bisect.bisect_right(revisions, at) - bisect.bisect_right(revisions, p) == at - p
    if dense:
        return f"read {key!r} at {at} as absent, but it was put at {p} and not deleted since"
    return None


__all__ = ["KIND", "historical_read_anomalies"]
