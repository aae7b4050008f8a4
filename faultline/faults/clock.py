"""The clock nemesis: step, strobe and reset the wall clocks of chosen nodes.

Never the host's clock: each node's server reads host time + the offset in its offset
file (libfaketime for ZooKeeper, the etcd-clock image for etcd; see
:mod:`faultline.cluster.clock`). Like a stepped host clock, only wall time moves.

Ops (process ``"nemesis"``); ``target`` is one of :data:`faultline.faults.process.TARGETS`,
resolved when the op runs with the nemesis' seeded RNG (``leader`` = whoever leads then);
``nodes`` may name the nodes instead:

- ``{"f": "bump-clock", "value": {"target": "one", "delta_s": 30.0}}``: add ``delta_s`` to
  the offset of each target node (``{"deltas": {"n1": 30.0, "n3": -5.0}}`` sets per-node
  deltas). Completion value: ``{"target", "deltas": {node: delta}, "offsets": {node: s}}``.
- ``{"f": "strobe-clock", "value": {"target": "one", "delta_s": 0.5, "period_s": 0.05,
  "duration_s": 5}}``: on each target node, flip the offset between its current value
  and current + ``delta_s`` every ``period_s`` for ``duration_s`` (blocks that long), then
  leave the current value. Without ``period_s``: 0.05 s, or ``settle_s`` when the servers
  see changes more slowly; without ``duration_s``: 5 s, at least 4 periods. Completion value adds ``"between": {node: [a, b]}``,
  ``"flips": {node: count or null if docker lost it}``, ``period_s``, ``duration_s``.
- ``{"f": "reset-clock"}``: every node's offset back to 0.

Every completion's ``offsets`` holds each node's offset *read back from the node* after
the op: what the cluster actually had, not what was asked. An op completes only once
every server reads the new offset (``settle_s``, in bump and strobe values: libfaketime
re-reads its file once a second in our ZooKeeper image, etcd-clock every 20 ms), so a
strobe whose period is shorter than ``settle_s`` is not fully seen by that server.

The fault kind is :data:`FAULT`; it needs the db's ``clock`` image
(:func:`faultline.dbs.image`), which for etcd is a build of its own.
"""

from __future__ import annotations

import time
from typing import Any, Mapping, Sequence

from faultline.cluster.clock import MIN_STROBE_PERIOD_S, FileClock, clock_for, format_offset
from faultline.cluster.nodes import on_nodes
from faultline.core.errors import BadInputError, PreflightError
from faultline.core.op import Op
from faultline.dbs import CLOCK_IMAGE, DBS, image
from faultline.faults.base import cluster_of, completion, heal_through, known, option_choices, rng_for, unknown_f
from faultline.faults.preflight import detail
from faultline.faults.process import TARGETS, resolve_nodes
from faultline.faults.protocol import FaultKind, Part
from faultline.faults.record import FaultRecord
from faultline.faults.schedule import FaultOps

BUMP = "bump-clock"
STROBE = "strobe-clock"
RESET = "reset-clock"
KIND = "clock"
MODES = ("bump", "strobe")

DEFAULT_MAX_S = 30.0
DEFAULT_STROBE_PERIOD_S = 0.05
DEFAULT_STROBE_DURATION_S = 5.0


class ClockNemesis:
    """Bumps, strobes and resets node clocks; see the module docstring for its ops."""

    def __init__(self, targets: Sequence[str] = TARGETS, record: FaultRecord | None = None):
        self.targets = known(targets, TARGETS, "clock targets")
        self._record = record if record is not None else FaultRecord()
        self._rng = None
        self._clock: FileClock | None = None

    def fs(self) -> set[str]:
        return {BUMP, STROBE, RESET}

    def setup(self, test: Mapping[str, Any], preflight: FileClock | None = None) -> None:
        """PreflightError unless every node's image can skew its clock (see :func:`check`;
        ``preflight`` is the clock it found)."""
        cluster = cluster_of(test)
        self._clock = preflight if preflight is not None else check(cluster, self)
        self._rng = rng_for(test, KIND)
        self._record.ensure_open(cluster, test.get("run_dir"))

    def invoke(self, test: Mapping[str, Any], op: Op) -> Op:
        if op.f == RESET:
            return completion(op, {"offsets": self._reset()})
        if op.f not in (BUMP, STROBE):
            raise unknown_f(op, self.fs())
        value = dict(op.value or {})
        before = self._clock.clock_offsets()
        try:
            nodes, deltas = self._resolve(test, value)
            for n in nodes:
                format_offset(before[n] + deltas[n])  # the resulting offset must be sane too
            if op.f == STROBE:
                # By default no faster than the servers can see (libfaketime's cache).
                period = float(value.get("period_s", max(DEFAULT_STROBE_PERIOD_S, self._clock.settle_s)))
                duration = float(value.get("duration_s", max(DEFAULT_STROBE_DURATION_S, 4 * period)))
                if not (period >= MIN_STROBE_PERIOD_S and duration > 0):
                    raise ValueError(f"strobe needs period_s >= {MIN_STROBE_PERIOD_S} and "
                                     f"duration_s > 0, got {period} and {duration}")
        except (ValueError, TypeError) as e:
            return completion(op, {"offsets": before}, error=f"{e}; clocks untouched")
        done: dict[str, Any] = {"target": value.get("target"), "nodes": nodes}
        if not nodes:
            return completion(op, {**done, "offsets": before},
                              error="no node to skew (no leader?); clocks untouched")
        if op.f == BUMP:
            after = {n: before[n] + deltas[n] for n in nodes}
            self._record.set(KIND, {"offsets": {**before, **after}})
            on_nodes(nodes, lambda n: self._clock.set_clock_offset(n, after[n]))
            done["deltas"] = deltas
        else:
            between = {n: [before[n], before[n] + deltas[n]] for n in nodes}
            self._record.set(KIND, {"strobe": between, "offsets": before})
            flips = on_nodes(nodes, lambda n: self._clock.strobe(n, *between[n], period, duration))
            done.update(deltas=deltas, period_s=period, duration_s=duration,
                        between=between, flips=dict(zip(nodes, flips)))
        # Complete once every server reads the new offset, so the op's time is when the
        # skew is in force (libfaketime caches the file for up to settle_s).
        time.sleep(self._clock.settle_s)
        offsets = self._clock.clock_offsets()
        if any(offsets.values()):
            self._record.set(KIND, {"offsets": offsets})
        else:
            self._record.clear(KIND)
        return completion(op, {**done, "settle_s": self._clock.settle_s, "offsets": offsets})

    def _resolve(self, test: Mapping[str, Any], value: Mapping[str, Any]) -> tuple[list[str], dict[str, float]]:
        """The nodes an op skews and each node's delta; ValueError when the op is malformed."""
        cluster = cluster_of(test)
        all_nodes = list(cluster.nodes)
        if "deltas" in value:
            deltas = {str(n): float(d) for n, d in dict(value["deltas"]).items()}
            unknown = sorted(set(deltas) - set(all_nodes))
            if unknown:
                raise ValueError(f"unknown nodes {unknown}")
            nodes = [n for n in all_nodes if n in deltas]
        else:
            if "delta_s" not in value:
                raise ValueError("a clock op needs delta_s (or deltas)")
            _, nodes = resolve_nodes(cluster, value, self.targets, self._rng)
            deltas = {n: float(value["delta_s"]) for n in nodes}
        for delta in deltas.values():
            format_offset(delta)  # raises ValueError for NaN or absurd offsets
        return nodes, deltas

    def _reset(self, settle: bool = True) -> dict[str, float]:
        offsets = self._clock.reset()
        if settle:
            time.sleep(self._clock.settle_s)
        self._record.clear(KIND)
        return offsets

    def teardown(self, test: Mapping[str, Any]) -> None:
        """Every offset back to 0 (works without setup: finds the cluster's clock itself)."""
        self._clock = heal_through(self._clock, test, clock_for)
        if self._clock is not None:
            self._reset(settle=False)


def check(cluster: Any, nemesis: ClockNemesis) -> FileClock:
    """The preflight of clock faults: the cluster's :class:`FileClock`, its ``settle_s``
    measured; PreflightError naming each node whose image cannot skew its clock, and why,
    and the image that can (e.g. plain etcd: etcd-clock)."""
    clock = clock_for(cluster)
    if clock is None:
        raise PreflightError(f"cluster {type(cluster).__name__} cannot run commands in its nodes,"
                             " so it cannot skew their clocks")
    nodes = list(cluster.nodes)
    answers = dict(zip(nodes, on_nodes(nodes, clock.capability)))
    problems = {n: p for n, (p, _) in answers.items() if p}
    if problems:
        db, hint = getattr(cluster, "db", None), ""
        if db in DBS:
            hint = f" (clock faults on {db} need the {image(DBS.get(db), CLOCK_IMAGE).tag} image)"
        raise PreflightError(f"clock fault impossible on this cluster{hint}: {detail(problems)}")
    clock.settle_s = max(settle for _, settle in answers.values())
    return clock


def heal(cluster: object) -> dict[str, float] | None:
    """Reset every node's clock offset (for ``faultline cluster heal`` after a crashed
    run); returns the offsets read back, all 0; None for clusters without exec."""
    clock = clock_for(cluster)
    return clock.reset() if clock is not None else None


def build(opts: Mapping[str, Any], record: FaultRecord) -> Part:
    """The clock part of a nemesis package. Options (all optional):

    - ``targets``: node targets (default all of :data:`~faultline.faults.process.TARGETS`);
    - ``clock_modes``: ``bump`` and/or ``strobe`` (default both);
    - ``clock_max_s``: largest step, seconds; deltas are uniform in [-max, +max] (30);
    - ``strobe_period_s``, ``strobe_duration_s``: default as in the strobe op (0.05 s, or
      the servers' ``settle_s`` when longer; 5 s, at least 4 periods).
    """
    targets = option_choices(opts, "targets", TARGETS)
    modes = option_choices(opts, "clock_modes", MODES)
    max_s = _positive(opts, "clock_max_s", DEFAULT_MAX_S)
    strobe = {key: _positive(opts, key, 1.0) for key in ("strobe_period_s", "strobe_duration_s")
              if key in opts}
    period = strobe.get("strobe_period_s", MIN_STROBE_PERIOD_S)
    if period < MIN_STROBE_PERIOD_S:
        raise BadInputError(f"strobe_period_s must be >= {MIN_STROBE_PERIOD_S}, got {period}")
    try:
        format_offset(max_s)
    except ValueError as e:
        raise BadInputError(f"clock_max_s: {e}") from None

    def start(rng) -> dict[str, Any]:
        mode = rng.choice(modes)
        value = {"target": rng.choice(targets), "delta_s": round(rng.uniform(-max_s, max_s), 3)}
        if mode == "strobe":
            return {"f": STROBE, "value": {**value, **{k.removeprefix("strobe_"): v for k, v in strobe.items()}}}
        return {"f": BUMP, "value": value}

    return Part(ClockNemesis(targets, record), FaultOps(KIND, start, {"f": RESET, "value": None}))


def _positive(opts: Mapping[str, Any], key: str, default: float) -> float:
    value = opts.get(key, default)
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not value > 0:
        raise BadInputError(f"nemesis {key} must be a number > 0, got {value!r}")
    return float(value)


FAULT = FaultKind(name=KIND, heal_rank=50, label="clock", colour="#17a2b8",
                  start_fs=frozenset({BUMP, STROBE}), stop_fs=frozenset({RESET}),
                  build=build, preflight=check, heal=heal, image_role=CLOCK_IMAGE)
