"""How many client ops a history holds, by function and outcome: the run's ``stats``."""

from __future__ import annotations

from collections import Counter
from typing import Any

from faultline.core.history import History
from faultline.core.op import NEMESIS

OUTCOMES = ("ok", "fail", "info", "pending")


def op_counts(history: History) -> dict[str, Any]:
    """Client ops by function and outcome (an invoke never completed counts as pending).

    ``{"total": {...}, "by_f": {"read": {"ok": 10, "fail": 0, "info": 1, "pending": 0}, ...},
    "nemesis": n, "duration_s": ..., "ok_per_s": ...}``
    """
    by_f: dict[str, Counter] = {}
    total: Counter = Counter()
    nemesis = 0
    for pair in history.pairs():
        inv = pair.invoke
        if inv.process == NEMESIS:
            nemesis += 1
            continue
        outcome = pair.completion.type if pair.completion is not None else "pending"
        by_f.setdefault(inv.f, Counter())[outcome] += 1
        total[outcome] += 1
    duration_s = (history[-1].time - history[0].time) / 1e9 if len(history) > 1 else 0.0
    return {
        "total": {o: total[o] for o in OUTCOMES},
        "by_f": {f: {o: c[o] for o in OUTCOMES} for f, c in sorted(by_f.items())},
        "nemesis": nemesis,
        "duration_s": round(duration_s, 3),
        "ok_per_s": round(total["ok"] / duration_s, 1) if duration_s > 0 else 0.0,
    }
