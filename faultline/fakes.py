"""In-memory stand-ins for a database cluster, its clients and a backend, for tests
without Docker.

:class:`FakeRegisters` is a linearizable key -> value store (or, with ``stale_reads``, one
that sometimes serves an older value, to produce non-linearizable histories on purpose).
:class:`FakeClient` implements :class:`faultline.core.client.Client` over it with the register
workload's ops (``read``, ``write``, ``cas``). ``misbehave(op)`` lets a test make chosen
ops hang (``"hang"``: the interpreter's timeout must fire) or raise (``"raise"``).
:class:`FakeCluster` implements the Cluster protocol without containers, and
:class:`FakeBackend` the Backend protocol over fake clusters (which live in the backend,
so ``attach`` and ``heal`` find them again). With a db descriptor whose client factory is
:func:`fake_client_factory`, a test can register a db, a workload, a fault and this
backend and run ``faultline test`` end to end (tests/unit/test_registries.py).
"""

from __future__ import annotations

import asyncio
import os
import random
from typing import Any, Callable, Mapping, Sequence

from faultline.backends.protocol import ClusterInfo
from faultline.cluster.protocol import node_names
from faultline.core.errors import BadInputError
from faultline.core.op import FAIL, OK, Op
from faultline.core.vocabulary import CAS_MISMATCH, MEMBER_READ
from faultline.faults.heal import heal_run


class FakeRegisters:
    def __init__(self, *, stale_reads: float = 0.0, seed: int = 0):
        self.values: dict[Any, Any] = {}
        self.previous: dict[Any, Any] = {}
        self._stale = stale_reads
        self._rng = random.Random(seed)
        self.setup_calls = 0
        self.teardown_calls = 0

    def apply(self, op: Op) -> Op:
        k = op.key
        if op.f == "read":
            if self._stale and k in self.previous and self._rng.random() < self._stale:
                return op.with_(type=OK, value=self.previous[k])
            return op.with_(type=OK, value=self.values.get(k))
        if op.f == MEMBER_READ:  # one store: every member holds the same
            return op.with_(type=OK, value=self.values.get(k))
        if op.f == "write":
            self._set(k, op.value)
            return op.with_(type=OK)
        if op.f == "cas":
            expected, new = op.value
            if self.values.get(k) != expected:
                return op.with_(type=FAIL, error=CAS_MISMATCH)
            self._set(k, new)
            return op.with_(type=OK)
        raise ValueError(f"unknown f {op.f!r}")

    def _set(self, k: Any, v: Any) -> None:
        if k in self.values:
            self.previous[k] = self.values[k]
        self.values[k] = v


class FakeClient:
    def __init__(self, registers: FakeRegisters, *, latency_s: float = 0.0,
                 misbehave: Callable[[Op], str | None] | None = None):
        self.registers = registers
        self.latency_s = latency_s
        self.misbehave = misbehave
        self.node: str | None = None
        self.closed = False

    async def open(self, test: Mapping[str, Any], node: str) -> None:
        self.node = node

    async def setup(self, test: Mapping[str, Any]) -> None:
        self.registers.setup_calls += 1

    async def invoke(self, test: Mapping[str, Any], op: Op) -> Op:
        how = self.misbehave(op) if self.misbehave else None
        if how == "hang":
            await asyncio.Event().wait()  # until the interpreter's timeout cancels us
        if how == "raise":
            raise ConnectionResetError("connection reset by fake peer")
        if self.latency_s:
            await asyncio.sleep(self.latency_s)
        # Keys live under the run's prefix, as with the real clients: runs sharing a
        # cluster (and its registers) never see each other's keys.
        scoped = op.with_(key=(test.get("key_prefix"), op.key))
        return self.registers.apply(scoped).with_(key=op.key, node=self.node)

    async def teardown(self, test: Mapping[str, Any]) -> None:
        self.registers.teardown_calls += 1

    async def close(self, test: Mapping[str, Any]) -> None:
        self.closed = True


def fake_client_factory(registers: FakeRegisters, **kw: Any) -> Callable[[], FakeClient]:
    return lambda: FakeClient(registers, **kw)


class FakeCluster:
    """A Cluster with no containers: records calls, writes a fake log per node. It has no
    capabilities (no exec in nodes, no kill, ...): faults that need them refuse it."""

    def __init__(self, db: str, nodes: Sequence[str], name: str = "fake",
                 backend: str = "fake", image: str | None = None):
        self.db = db
        self.nodes = list(nodes)
        self.name = name
        self.backend = backend
        self.image = image
        self.calls: list[str] = []
        self.is_up = False

    def up(self) -> None:
        self.calls.append("up")
        self.is_up = True

    def down(self) -> None:
        self.calls.append("down")
        self.is_up = False

    def address(self, node: str) -> tuple[str, int]:
        return ("127.0.0.1", 2379 + self.nodes.index(node))

    def leader(self) -> str | None:
        return self.nodes[0] if self.is_up else None

    def healthy(self, node: str) -> bool:
        return self.is_up

    def collect_logs(self, dest_dir: str) -> None:
        self.calls.append("collect_logs")
        for node in self.nodes:
            os.makedirs(os.path.join(dest_dir, node), exist_ok=True)
            with open(os.path.join(dest_dir, node, "server.log"), "w") as fh:
                fh.write(f"fake log of {node}\n")


class FakeBackend:
    """The Backend protocol over :class:`FakeCluster` s, kept by name in ``clusters``."""

    def __init__(self, name: str = "fake"):
        self.name = name
        self.clusters: dict[str, FakeCluster] = {}

    def create(self, db: Any, nodes: int, *, name: str | None = None, image: str | None = None,
               env: Mapping[str, str] | None = None) -> FakeCluster:
        cluster = FakeCluster(db.name, node_names(nodes), name=name or f"fake-{len(self.clusters) + 1}",
                              backend=self.name, image=image)
        self.clusters[cluster.name] = cluster
        return cluster

    def attach(self, name: str) -> FakeCluster:
        if name not in self.clusters:
            raise BadInputError(f"no fake cluster named {name!r}")
        return self.clusters[name]

    def list(self, db: str | None = None) -> dict[str, Any]:
        return {n: ClusterInfo(n, c.db, tuple(c.nodes), c.image or "fake",
                               {node: "running" if c.is_up else "exited" for node in c.nodes})
                for n, c in self.clusters.items() if db in (None, c.db)}

    def heal(self, run_dir: Any) -> dict[str, Any]:
        return heal_run(run_dir, self.attach)

    def build_images(self, names: Any, *, force: bool, say: Callable[[str], None]) -> None:
        say("fake images need no build")

    def image_status(self) -> list[Any]:
        return []
