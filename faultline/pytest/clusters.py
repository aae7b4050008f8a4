"""The clusters a pytest session shares: one per db, node count and image, started when a
test first needs it, healed before every test that uses it, removed at the end.

A cluster whose start fails preflight (Docker unreachable, an image not built, no compose
CLI) makes every test that needs it skip with that reason: the environment cannot run
it, which is not a pass. The start is not retried for each test: the first reason is kept.
"""

from __future__ import annotations

from typing import Any, Callable

import pytest

from faultline.core.errors import PreflightError
from faultline.faults import heal_cluster
from faultline.runner.spec import TestPlan

Key = tuple[str, str, int, "str | None"]
"""(backend, db, nodes, image): what a test needs of a cluster (:attr:`TestPlan.cluster_key`)."""


class ClusterPool:
    """Session clusters by :data:`Key`. ``keep``: leave them running at the end (their
    names are in :attr:`kept`)."""

    def __init__(self, *, keep: bool = False):
        self.keep = keep
        self.clusters: dict[Key, Any] = {}
        self.unavailable: dict[Key, str] = {}
        self.kept: list[str] = []

    def acquire(self, plan: TestPlan) -> Any:
        """The plan's cluster, up and healed; skips the test when it cannot start."""
        key = plan.cluster_key
        if key in self.unavailable:
            pytest.skip(self.unavailable[key])
        cluster = self.clusters.get(key)
        if cluster is None:
            cluster = start(plan, lambda why: self.unavailable.setdefault(key, why))
            self.clusters[key] = cluster
        else:
            heal_cluster(cluster)  # whatever the last test left: raises if it cannot
        return cluster

    def start_own(self, plan: TestPlan) -> Any:
        """A new cluster for one test, up; skips the test when it cannot start."""
        return start(plan)

    def release(self, cluster: Any) -> None:
        """Remove a cluster of :meth:`start_own` (or keep it, see ``keep``)."""
        if self.keep:
            self.kept.append(cluster.name)
        else:
            cluster.down()

    def close(self) -> None:
        """Remove every cluster (or keep them, see ``keep``); the first error is raised
        once all have been tried."""
        errors = []
        for cluster in self.clusters.values():
            try:
                self.release(cluster)
            except Exception as e:  # noqa: BLE001 - remove the others first
                errors.append(e)
        self.clusters.clear()
        if errors:
            raise errors[0]


def start(plan: TestPlan, unavailable: Callable[[str], Any] = lambda why: None) -> Any:
    """A new cluster for ``plan``, up; on a PreflightError, ``unavailable(reason)`` and
    the test is skipped with that reason."""
    cluster = plan.new_cluster()
    try:
        cluster.up()
    except PreflightError as e:
        why = f"faultline: {plan.db.name} cluster unavailable: {e}"
        unavailable(why)
        pytest.skip(why)
    return cluster
