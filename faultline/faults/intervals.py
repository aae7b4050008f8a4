"""When each fault was in effect, read back from a history (for the report's plots).

Pure: works on any stored history, so ``faultline analyze`` can shade a run's plots
without rebuilding its nemesis. A fault is in effect from the completion of an op that
starts it (the nemesis has applied it then) to the completion of the next op that stops
that kind of fault (healed then); a start whose completion carries an ``error`` did
nothing and opens no interval, and a fault still on when the history ends has
``stop: None``.
"""

from __future__ import annotations

from typing import Any, Iterable

from faultline.core.op import INVOKE, NEMESIS, Op
from faultline.faults import FAULTS
from faultline.faults.protocol import Fault

NS = 1_000_000_000


def fault_intervals(history: Iterable[Op], faults: Iterable[Fault] | None = None) -> list[dict[str, Any]]:
    """``[{"fault", "start", "stop", "value"}]`` in start order; times in seconds since
    the test started, ``value`` the starting op's completion value (what was done).

    ``faults``: the fault kinds to look for (their ``start_fs`` and ``stop_fs``); by
    default every registered one.
    """
    faults = FAULTS.values() if faults is None else tuple(faults)
    kind_of_start = {f: fault.name for fault in faults for f in fault.start_fs}
    kind_of_stop = {f: fault.name for fault in faults for f in fault.stop_fs}
    open_by_kind: dict[str, dict[str, Any]] = {}
    intervals: list[dict[str, Any]] = []
    for op in history:
        if op.process != NEMESIS or op.type == INVOKE:
            continue
        t = op.time / NS
        if op.f in kind_of_start and op.error is None:
            kind = kind_of_start[op.f]
            if kind not in open_by_kind:  # a second start of the same kind extends the first
                open_by_kind[kind] = {"fault": kind, "start": t, "stop": None, "value": op.value}
                intervals.append(open_by_kind[kind])
        elif op.f in kind_of_stop:
            interval = open_by_kind.pop(kind_of_stop[op.f], None)
            if interval is not None:
                interval["stop"] = t
    return intervals
