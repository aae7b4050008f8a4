"""Helpers shared by the integration tests: waiting, nemesis ops, Docker leftovers.

Fixtures (the clusters, the Docker check) live in ``conftest.py``; these are the plain
functions the test modules import by name (``from support import wait_until``).
"""

from __future__ import annotations

import time

import docker

import faultline.dbs
from faultline.backends.compose.cluster import PROJECT_LABEL
from faultline.core.op import INVOKE, NEMESIS, Op

DBS = list(faultline.dbs.DBS.names())  # every db the integration tier runs against


def wait_until(predicate, timeout: float = 30.0, what: str = "condition") -> None:
    """Poll ``predicate()`` until it is truthy; AssertionError naming ``what`` on timeout."""
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout} s waiting for {what}")
        time.sleep(0.2)


def eventually(action, timeout: float = 30.0, what: str = "action"):
    """Retry ``action()`` until it returns without raising; its result."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            return action()
        except Exception as e:  # noqa: BLE001
            if time.monotonic() > deadline:
                raise AssertionError(f"{what} did not succeed within {timeout} s: {e}") from e
            time.sleep(0.3)


def wait_healthy(cluster, timeout: float = 30.0) -> None:
    """Until every node passes the cluster's own health probe."""
    wait_until(lambda: all(cluster.healthy(n) for n in cluster.nodes), timeout, "healthy nodes")


def nemesis_op(f, value=None) -> Op:
    """A nemesis invocation of ``f`` with ``value``."""
    return Op(type=INVOKE, f=f, value=value, process=NEMESIS)


def invoke(nem, test, f, value=None) -> Op:
    """Invoke ``f`` on nemesis ``nem``; its completion."""
    return nem.invoke(test, nemesis_op(f, value))


def leftovers(name: str) -> tuple[list, list]:
    """(containers, networks) Docker still holds for the compose project ``name``."""
    client = docker.from_env()
    label = {"label": f"{PROJECT_LABEL}={name}"}
    return client.containers.list(all=True, filters=label), client.networks.list(filters=label)
