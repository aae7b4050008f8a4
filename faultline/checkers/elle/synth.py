"""Generated list-append histories for benchmarks and tests: concurrent processes run
transactions against a simulated strict-serializable store, optionally with anomalies
planted, all from a seed.

Each transaction takes effect at one instant between its invocation and its completion,
in that order over all processes, so an unplanted history is strict serializable. Keys
rotate as in Elle's generator: a small active set, each key retired after a number of
appends, so reads stay short however long the history. Planted anomalies:

- ``stale_reads``: that many read-only transactions read a key one append behind, where
  the missing append's transaction completed (most recently of all keys' last appends)
  before the reader was invoked: a G-single-item-realtime cycle, the reader did not see it
  and came after it in real time.
- ``info_rate``: transactions whose completion is lost (``info``); each takes effect or
  not at random, and its process is replaced, as a client's would be.
- ``fail_rate``: transactions that fail, taking no effect.
"""

from __future__ import annotations

import heapq
import random
from typing import Any

from faultline.core.op import FAIL, INFO, INVOKE, OK, Op

__all__ = ["list_append_history"]


def list_append_history(n_txns: int, *, processes: int = 10, keys: int = 8,
                        writes_per_key: int = 32, max_mops: int = 4, stale_reads: int = 0,
                        info_rate: float = 0.0, fail_rate: float = 0.0,
                        seed: int = 0) -> list[Op]:
    """A history of ``n_txns`` list-append transactions (invocations and completions,
    indexed, times in ns) as described in the module docstring."""
    if n_txns < 0 or processes < 1 or keys < 1 or writes_per_key < 1 or max_mops < 1:
        raise ValueError("n_txns >= 0, processes, keys, writes_per_key, max_mops >= 1")
    rng = random.Random(seed)
    # 1. Intervals: each process runs one transaction at a time.
    ready = [(rng.randrange(1000), p) for p in range(processes)]
    heapq.heapify(ready)
    next_process = processes
    txns: list[dict[str, Any]] = []
    for _ in range(n_txns):
        start, p = heapq.heappop(ready)
        effect = start + 1 + int(rng.expovariate(1 / 2000))
        end = effect + 1 + int(rng.expovariate(1 / 2000))
        outcome = OK
        roll = rng.random()
        if roll < info_rate:
            outcome = INFO
        elif roll < info_rate + fail_rate:
            outcome = FAIL
        fs = ["append" if rng.random() < 0.5 else "r" for _ in range(rng.randint(1, max_mops))]
        txns.append({"process": p, "start": start, "effect": effect, "end": end,
                     "outcome": outcome, "fs": fs, "applied": outcome == OK or (
                         outcome == INFO and rng.random() < 0.5)})
        if outcome == INFO:
            p, next_process = next_process, next_process + 1
        heapq.heappush(ready, (end + 1 + rng.randrange(200), p))
    readers = [i for i, t in enumerate(txns) if t["outcome"] == OK]
    stale = set(rng.sample(readers, min(stale_reads, len(readers))))
    # 2. Effects, in effect order: keys, values and what each read saw.
    active = list(range(keys))
    fresh = keys
    state: dict[int, list[int]] = {}
    appended = {k: 0 for k in active}
    written: dict[tuple[int, int], tuple[int, int]] = {}  # (key, value) -> (writer, its end)
    for i in sorted(range(len(txns)), key=lambda i: txns[i]["effect"]):
        t = txns[i]
        if i in stale and _plant_stale_read(t, state, written):
            continue
        mops = []
        for f in t["fs"]:
            slot = rng.randrange(len(active))
            k = active[slot]
            if f == "r":
                mops.append(["r", k, list(state.get(k, ())) if t["applied"] else None])
                continue
            appended[k] += 1
            v = appended[k]
            mops.append(["append", k, v])
            if t["applied"]:
                state.setdefault(k, []).append(v)
                written[k, v] = (i, t["end"] if t["outcome"] == OK else -1)
            if appended[k] >= writes_per_key:
                active[slot] = fresh
                appended[fresh] = 0
                fresh += 1
        t["mops"] = mops
    # 3. The history: invocations and completions in time order, completions first.
    events = []
    for i, t in enumerate(txns):
        invoke_value = [[f, k, None if f == "r" else v] for f, k, v in t["mops"]]
        done_value = t["mops"] if t["outcome"] == OK else invoke_value
        events.append((t["start"], i, 1, Op(type=INVOKE, f="txn", value=invoke_value,
                                             process=t["process"])))
        events.append((t["end"], i, 0, Op(type=t["outcome"], f="txn", value=done_value,
                                          process=t["process"])))
    events.sort(key=lambda e: (e[0], e[2], e[1]))
    return [op.with_(index=n, time=when) for n, (when, _, _, op) in enumerate(events)]


def _plant_stale_read(t: dict, state: dict[int, list[int]], written: dict) -> bool:
    """Makes t a read of the key whose last append completed most recently before t was
    invoked, without that transaction's appends to it (a short window, as a lagging
    replica's); False when no key qualifies yet."""
    best, best_end = None, -1
    for k, vs in state.items():
        end = written[k, vs[-1]][1] if vs else -1
        if best_end < end < t["start"]:
            best, best_end = k, end
    if best is None:
        return False
    vs = state[best]
    last_writer = written[best, vs[-1]][0]
    cut = len(vs)
    while cut and written[best, vs[cut - 1]][0] == last_writer:
        cut -= 1
    t["mops"] = [["r", best, vs[:cut]]]
    return True
