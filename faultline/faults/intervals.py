"""When each fault was in effect, read back from a history (for the report's plots).

Pure: works on any stored history, so ``faultline analyze`` can shade a run's plots
without rebuilding its nemesis. A fault is in effect from the completion of an op that
starts it (the nemesis has applied it then) to the completion of the next op that stops
that kind of fault (healed then); a start whose completion carries an ``error`` did
nothing and opens no interval, and a fault still on when the history ends has
``stop: None``.
"""

from __future__ import annotations

from typing import Any, Iterable, Mapping

from faultline.core.op import INVOKE, NEMESIS, Op

NS = 1_000_000_000


def fault_intervals(history: Iterable[Op],
                    perf: Mapping[str, Mapping[str, Iterable[str]]] | None = None) -> list[dict[str, Any]]:
    """``[{"fault", "start", "stop", "value"}]`` in start order; times in seconds since
    the test started, ``value`` the starting op's completion value (what was done).

    ``perf`` is a package's ``perf`` (fault -> {"start": fs, "stop": fs}); by default every
    fault faultline knows.
    """
    if perf is None:
        from faultline.faults.combined import FAULTS, package
        perf = package(list(FAULTS)).perf
    kind_of_start = {f: kind for kind, fs in perf.items() for f in fs["start"]}
    kind_of_stop = {f: kind for kind, fs in perf.items() for f in fs["stop"]}
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
