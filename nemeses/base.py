"""The Nemesis protocol and what every nemesis shares.

A nemesis breaks the cluster on request. Its ops are the interpreter's process
``"nemesis"``: the generator emits an invocation (``f`` one of :meth:`Nemesis.fs`,
``value`` saying how), the interpreter records it, calls :meth:`Nemesis.invoke`
and records the completion, an ``info`` op whose value says exactly what was done
(the grudge, the nodes, the signal, the offsets) so a reader of the history can tell
what the cluster went through.

``invoke`` blocks (docker exec, signals); the interpreter runs it off its event loop.

The test mapping a nemesis reads:
- ``test["cluster"]``: the running cluster (see :mod:`harness.cluster.protocol`);
- ``test.get("seed")``: seeds the nemesis' own RNG (node choices), so a run's faults are
  reproducible from ``--seed`` up to the cluster's timing (which node leads);
- ``test.get("run_dir")``: where ``faults.json`` is written (:mod:`nemeses.record`).
"""

from __future__ import annotations

import random
from typing import Any, Mapping, Protocol, runtime_checkable

from harness.errors import PreflightError
from harness.op import INFO, Op


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
