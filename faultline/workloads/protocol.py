"""The Workload protocol: what clients do during a test and how the history is checked.

A workload is one module under ``faultline/workloads/`` whose ``WORKLOAD`` attribute
implements :class:`Workload`. Its clients live with each database
(``faultline.dbs.<db>`` lists, per workload, the client factory for each transport), so a
workload runs on every db that has a client for it.

Options: a workload declares its own (:class:`~faultline.core.options.Option`); the
``faultline test`` flags, the spec's validation and the defaults recorded in
``test.json`` come from them. The spec holds them at top level under their names
(``spec["ops_per_key"]``).
"""

from __future__ import annotations

from typing import Any, Mapping, Protocol, Sequence, runtime_checkable

from faultline.core.generator.protocol import Generator
from faultline.core.history import History
from faultline.core.options import Option
from faultline.core.result import Checker


@runtime_checkable
class Workload(Protocol):
    name: str
    """The ``--workload`` value."""
    options: Sequence[Option]
    """This workload's own options, with defaults."""

    def generator(self, test: Mapping[str, Any]) -> Generator:
        """The main phase's client generator (unbounded: the runner bounds it in time)."""

    def final_generator(self, test: Mapping[str, Any], history: History) -> Generator | None:
        """What clients do once the cluster has healed (e.g. one read of every key), given
        the history so far; None for nothing."""

    def checker(self, test: Mapping[str, Any]) -> Checker:
        """The checker of this workload's histories."""
