"""The Nemesis protocol and what every nemesis shares.

A nemesis breaks the cluster on request. Its ops are the interpreter's process
``"nemesis"``: the generator emits an invocation (``f`` one of :meth:`Nemesis.fs`,
``value`` saying how), the interpreter records it, calls :meth:`Nemesis.invoke`
and records the completion, an ``info`` op whose value says exactly what was done
(the grudge, the nodes, the signal, the offsets) so a reader of the history can tell
what the cluster went through.

``invoke`` blocks (docker exec, signals); the interpreter runs it off its event loop.

The test mapping a nemesis reads:
- ``test["cluster"]``: the running cluster (see :mod:`faultline.cluster.protocol`);
- ``test.get("seed")``: seeds the nemesis' own RNG (node choices), so a run's faults are
  reproducible from ``--seed`` up to the cluster's timing (which node leads);
- ``test.get("run_dir")``: where ``faults.json`` is written (:mod:`faultline.faults.record`).
"""

from __future__ import annotations

import random
from typing import Any, Callable, Mapping, Protocol, Sequence, runtime_checkable

from faultline.core.errors import BadInputError, PreflightError
from faultline.core.op import INFO, Op


@runtime_checkable
class Nemesis(Protocol):
    def setup(self, test: Mapping[str, Any]) -> None:
        """Once, before the first invoke. Raises PreflightError if the cluster cannot do it."""

    def invoke(self, test: Mapping[str, Any], op: Op) -> Op:
        """Perform ``op`` (an invocation); return its ``info`` completion saying what was done."""

    def teardown(self, test: Mapping[str, Any]) -> None:
        """Heal every fault this nemesis may have caused. Called on every exit path;
        idempotent; safe to call without setup or after a failed setup."""

    def fs(self) -> set[str]:
        """The ``f`` values this nemesis handles."""


def cluster_of(test: Mapping[str, Any]) -> Any:
    """The test's cluster; PreflightError when the test has none."""
    cluster = test.get("cluster")
    if cluster is None:
        raise PreflightError("nemesis needs a running cluster (test['cluster'] is missing)")
    return cluster


def rng_for(test: Mapping[str, Any], name: str) -> random.Random:
    """A RNG for the nemesis called ``name``, seeded from the test's seed.

    Each nemesis gets its own stream so adding a fault to a package does not change the
    choices of the others.
    """
    return random.Random(f"{test.get('seed', 0)}:{name}")


def completion(op: Op, value: Any, error: str | None = None) -> Op:
    """The ``info`` completion of nemesis invocation ``op`` with what was done."""
    return op.with_(type=INFO, value=value, error=error)


def unknown_f(op: Op, fs: set[str]) -> ValueError:
    return ValueError(f"nemesis cannot do f={op.f!r}; it handles {sorted(fs)}")


def known(values: Sequence[str], allowed: Sequence[str], what: str) -> tuple[str, ...]:
    """``values`` as a tuple; ValueError naming ``what`` when empty or not all ``allowed``."""
    unknown = [v for v in values if v not in allowed]
    if unknown or not values:
        raise ValueError(f"unknown {what} {unknown}; choose from {', '.join(allowed)}")
    return tuple(values)


def option_choices(opts: Mapping[str, Any], key: str, allowed: Sequence[str]) -> tuple[str, ...]:
    """Package option ``key`` (a list or a comma-separated string; default all of
    ``allowed``) as a tuple; BadInputError when empty or not all ``allowed``."""
    value = opts.get(key, allowed)
    if isinstance(value, str):
        value = [v.strip() for v in value.split(",") if v.strip()]
    bad = [v for v in value if v not in allowed]
    if bad or not value:
        raise BadInputError(f"nemesis {key}: {', '.join(map(str, bad)) or 'none given'} "
                            f"not allowed; choose from {', '.join(allowed)}")
    return tuple(value)


def heal_through(held: Any, test: Mapping[str, Any], make: Callable[[Any], Any]) -> Any:
    """What teardown heals through: ``held`` (made by setup), else ``make(cluster)`` for
    the test's cluster, so teardown works without setup; None when there is nothing."""
    if held is not None:
        return held
    cluster = test.get("cluster")
    return make(cluster) if cluster is not None else None


def heal_with(make: Callable[[Any], Any], cluster: Any) -> str | None:
    """A fault kind's heal through its mechanism ``make(cluster)`` (its ``heal()`` undoes
    the fault on every node): ``"healed"``, or None when ``make`` finds the cluster
    cannot have the fault."""
    mechanism = make(cluster)
    if mechanism is None:
        return None
    mechanism.heal()
    return "healed"


class StartStopNemesis:
    """A nemesis with one fault at a time: ``start_f`` starts it, replacing any earlier
    one; ``stop_f`` heals it and completes ``{"healed": True}``. Subclasses define
    ``_start(test, op) -> Op`` (the completion) and ``_heal()``."""

    start_f: str
    stop_f: str

    def fs(self) -> set[str]:
        return {self.start_f, self.stop_f}

    def invoke(self, test: Mapping[str, Any], op: Op) -> Op:
        if op.f == self.start_f:
            return self._start(test, op)
        if op.f == self.stop_f:
            self._heal()
            return completion(op, {"healed": True})
        raise unknown_f(op, self.fs())
