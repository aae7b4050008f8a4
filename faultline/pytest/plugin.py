"""faultline's pytest plugin, loaded through the ``pytest11`` entry point ``faultline``.

Fixtures:

- ``faultline_run``: ``faultline_run(**options) -> RunResult`` runs a test (the options of
  ``faultline test``: ``db``, ``nemesis``, ``read_mode``, ``time_limit``, ...) on the
  session's cluster for its db, node count and image, or on a cluster of its own with
  ``own_cluster=True``, and records the run directory, seed, verdict and report as the
  test's properties (JUnit XML);
- ``faultline_cluster``: the session's cluster for the test's db (``request.param`` when
  parametrized with ``indirect=True``, else the ``faultline`` marker's ``db``), up and healed;
- ``faultline_clusters``: the session's :class:`~faultline.pytest.clusters.ClusterPool`.

The marker ``@pytest.mark.faultline(**options)`` gives the options every run of a test
starts from (a module's ``pytestmark`` for all its tests). Command line options are the
defaults of runs that do not set their own: ``--faultline-time-limit``,
``--faultline-results``, ``--faultline-seed``; ``--faultline-keep-cluster`` leaves the
session's clusters running.

What a test that cannot run does: no Docker, no image -> skipped with the reason; a bad
option or a fault the cluster cannot do -> failed with one line saying so.

This module is imported by every pytest session where faultline is installed (the
project's own tests too), so it imports the harness only when a fixture is used.
"""

from __future__ import annotations

import os
from typing import Any

import pytest

POOL = pytest.StashKey[Any]()

DEFAULTS = (("time_limit", "faultline_time_limit"), ("results", "faultline_results"),
            ("seed", "faultline_seed"))
"""Run options and the command line option that gives their default."""


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("faultline", "faultline consistency tests")
    group.addoption("--faultline-time-limit", type=float, metavar="S",
                    help="seconds of each run's main phase, unless the test sets its own")
    group.addoption("--faultline-results", metavar="DIR",
                    help="directory of the runs' results (default: results)")
    group.addoption("--faultline-seed", type=int, metavar="N",
                    help="seed of every run that sets none (default: drawn, recorded)")
    group.addoption("--faultline-keep-cluster", action="store_true",
                    help="leave the session's clusters running at the end")


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers", "faultline(**options): options every faultline_run of the test starts "
                   "from (db, workload, nemesis, read_mode, time_limit, ...)")


def pytest_terminal_summary(terminalreporter: Any, config: pytest.Config) -> None:
    pool = config.stash.get(POOL, None)
    for name in pool.kept if pool is not None else ():
        terminalreporter.write_line(f"faultline: left cluster {name} running "
                                    f"(remove it: faultline cluster down --name {name})")


def marker_options(node: pytest.Item) -> dict[str, Any]:
    """The ``faultline`` markers' options, the closest marker winning."""
    options: dict[str, Any] = {}
    for mark in reversed(list(node.iter_markers("faultline"))):
        options.update(mark.kwargs)
    return options


def plan_for(request: pytest.FixtureRequest, options: dict[str, Any]) -> Any:
    """The test's plan: marker options, then ``options``, then the command line's defaults;
    a bad option fails the test with its one line."""
    from faultline.core.errors import BadInputError
    from faultline.runner.spec import build_test

    merged = {**marker_options(request.node), **options}
    for name, flag in DEFAULTS:
        if merged.get(name) is None and request.config.getoption(flag) is not None:
            merged[name] = request.config.getoption(flag)
    try:
        return build_test(merged)
    except BadInputError as e:
        problem = str(e)
    pytest.fail(f"faultline: {problem}", pytrace=False)  # outside except: no chained traceback


@pytest.fixture(scope="session")
def faultline_clusters(request: pytest.FixtureRequest) -> Any:
    from faultline.pytest.clusters import ClusterPool

    pool = ClusterPool(keep=request.config.getoption("faultline_keep_cluster"))
    request.config.stash[POOL] = pool  # for the terminal summary's kept clusters
    yield pool
    pool.close()  # pytest tears session fixtures down after Ctrl-C too


@pytest.fixture
def faultline_cluster(request: pytest.FixtureRequest, faultline_clusters: Any) -> Any:
    options = {"db": request.param} if hasattr(request, "param") else {}
    return faultline_clusters.acquire(plan_for(request, options))


@pytest.fixture
def faultline_run(request: pytest.FixtureRequest, faultline_clusters: Any) -> Any:
    def run(*, own_cluster: bool = False, **options: Any) -> Any:
        return run_on_cluster(request, faultline_clusters, plan_for(request, options),
                              own_cluster=own_cluster)

    return run


def run_on_cluster(request: pytest.FixtureRequest, pool: Any, plan: Any, *,
                   own_cluster: bool) -> Any:
    """Run ``plan`` on the pool's cluster (or a new one, removed after), record the run
    as the test's properties and return its :class:`~faultline.pytest.result.RunResult`."""
    from faultline.core.errors import PreflightError
    from faultline.pytest.result import RunResult
    from faultline.runner.matrix import JUNIT_PROPERTY
    from faultline.runner.run import run_test

    cluster = pool.start_own(plan) if own_cluster else pool.acquire(plan)
    impossible = None
    try:
        outcome = run_test(plan, cluster=cluster)
    except PreflightError as e:  # the environment is fine, the test asks the impossible
        impossible = str(e)
    finally:
        if own_cluster:
            pool.release(cluster)
    if impossible is not None:
        pytest.fail(f"faultline: {plan.name} cannot run: {impossible}", pytrace=False)
    # Absolute paths: JUnit readers and CI artifacts do not share the test's cwd.
    result = RunResult(name=plan.name, seed=plan.spec["seed"],
                       run_dir=os.path.abspath(outcome.run.path),
                       report=os.path.abspath(outcome.run.report_path), results=outcome.results,
                       spec=plan.spec)
    for name, value in (("run_dir", result.run_dir), ("seed", result.seed),
                        ("verdict", result.verdict), ("report", result.report)):
        request.node.user_properties.append((JUNIT_PROPERTY.format(name), value))
    return result
