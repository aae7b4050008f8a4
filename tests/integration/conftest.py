"""Fixtures of the integration tier: one real 3-node cluster per db and module.

Module scope keeps the cost of ``up``/``down`` (seconds per cluster) to once per module
and db; each test restores what it changed. Without a reachable Docker daemon every test
here is skipped with the reason, instead of failing in a fixture.
"""

from __future__ import annotations

import pytest

from faultline.backends.compose import ComposeCluster
from faultline.backends.compose.daemon import docker_client
from faultline.core.errors import PreflightError
from support import DBS


@pytest.fixture(scope="session", autouse=True)
def docker_available():
    try:
        docker_client().close()
    except PreflightError as e:
        pytest.skip(str(e))


@pytest.fixture(scope="module", params=DBS)
def cluster(request):
    """A 3-node cluster of each db in turn, shared by the tests of one module."""
    c = ComposeCluster(request.param, 3)
    c.up()
    yield c
    c.down()
