"""Seeded synthetic histories of a linearizable cas-register per key, for benchmarks/tests.

Each process runs ops one after another; each op takes effect at a random instant between
its invocation and its completion, and the results are computed by applying the ops in
the order of those instants, so the history is linearizable by construction. Written
values are unique (a counter), as faultline's workloads make them. A fraction ``unknown``
of the ops end ``info`` (half of them took effect, half did not); the process then
continues under a new process id, as our interpreter does.

``stale_reads`` reads in the second half, invoked after the write of the key's current
value completed, return the previous value instead (as a read served by a lagging replica
would): the history is then not linearizable, which is where a search works hardest.
"""

from __future__ import annotations

import random

from faultline.core.history import History
from faultline.core.op import FAIL, INFO, INVOKE, OK, Op

from faultline.core.vocabulary import CAS_MISMATCH


def register_history(*, ops: int = 10_000, keys: int = 10, processes: int = 20,
                     unknown: float = 0.05, stale_reads: int = 0, seed: int = 0) -> History:
    """``ops`` operations (read/write/cas) over ``keys`` keys by ``processes`` processes."""
    rng = random.Random(seed)
    planned = []  # (effect time, invoke time, complete time, process slot, key, f)
    clock = [0.0] * processes
    for i in range(ops):
        slot = i % processes
        invoke = clock[slot] + rng.uniform(0.0, 1.0)
        effect = invoke + rng.uniform(0.0, 2.0)
        complete = effect + rng.uniform(0.0, 2.0)
        clock[slot] = complete
        f = rng.choices(("read", "write", "cas"), weights=(5, 3, 2))[0]
        planned.append((effect, invoke, complete, slot, rng.randrange(keys), f))

    state: dict[int, int | None] = {}
    written: dict[int, list[int]] = {}
    counter = 0
    events = []
    generation = [0] * processes
    stale_left, second_half = stale_reads, len(planned) // 2
    settled: dict[int, float] = {}  # key -> completion time of the write it now holds
    for n, (effect, invoke, complete, slot, key, f) in enumerate(sorted(planned)):
        process = slot + processes * generation[slot]
        current = state.get(key)
        lost = rng.random() < unknown
        applied = not lost or rng.random() < 0.5
        if f == "read":
            invoke_value, outcome, value, error = None, OK, current, None
            history = written.get(key, [])
            if (stale_left and n >= second_half and len(history) >= 2
                    and current == history[-1] and settled.get(key, invoke) < invoke):
                value, stale_left, lost = history[-2], stale_left - 1, False
        elif f == "write":
            counter += 1
            invoke_value = value = counter
            outcome, error = OK, None
        else:
            counter += 1
            seen = written.get(key, [])
            expected = current if rng.random() < 0.7 or not seen else rng.choice(seen)
            invoke_value = value = [expected, counter]
            outcome, error = (OK, None) if expected == current else (FAIL, CAS_MISMATCH)
        if f != "read" and outcome == OK and applied:  # a write or a cas that took effect
            state[key] = counter
            written.setdefault(key, []).append(counter)
            settled[key] = complete if not lost else float("inf")
        if lost:
            if f == "read":
                continue  # an unknown read says nothing; drop it altogether
            outcome, value, error = INFO, invoke_value, "timeout"
            generation[slot] += 1
        events.append((invoke, 0, Op(INVOKE, f, invoke_value, process, key=key)))
        events.append((complete, 1, Op(outcome, f, value, process, key=key, error=error)))
    events.sort(key=lambda e: (e[0], e[1]))
    return History(op for _, _, op in events)
