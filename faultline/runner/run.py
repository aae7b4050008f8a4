"""Running a test end to end, and checking a history into results and a report.

Order (each step's undo runs in ``finally``, on errors, Ctrl-C and SIGTERM too):

1. run directory created, ``test.json`` written, ``harness.log`` opened;
2. cluster up, unless the caller gives one     (down at the end unless ``leave_running``
                                                or the cluster is the caller's);
3. client setup (one client, first node);      (client teardown at the end)
4. nemesis setup;                              (nemesis teardown: always heals)
5. ``phases(time_limit(T, clients + nemesis generators), nemesis final generator (heal,
   recovery wait))``, then the workload's final generator (the register workload: one
   read of every key the history touched);
6. nemesis teardown, clients closed, client teardown, node logs collected, cluster down;
7. check (:func:`check_history`), ``results.json``, ``report.html``, ``latest`` + index.

This module is the only place that wires a db, a workload, faults, a backend, checkers
and rendering together; the progress line, logging and signals have modules of their own.

An interrupted run (Ctrl-C, SIGTERM) still cleans up and writes results ("unknown",
interrupted) and the report, then re-raises KeyboardInterrupt (exit 130).
"""

from __future__ import annotations

import asyncio
import contextlib
import inspect
import logging
import os
import random
import signal
from dataclasses import dataclass
from typing import Any, Callable, Mapping

from faultline.checkers.stats import op_counts
from faultline.core import eventloop
from faultline.core.errors import EXIT_INVALID, EXIT_UNKNOWN, EXIT_VALID, BadInputError
from faultline.core.generator import both, clients, phases, stagger, time_limit
from faultline.core.history import History
from faultline.core.result import UNKNOWN, Result, compose, safe_check
from faultline.core.store import RunDir
from faultline.dbs import client_factory as db_client_factory
from faultline.render import render_report, write_index
from faultline.runner import signals
from faultline.runner.interpreter import Interpreter
from faultline.runner.logs import FILE_ONLY, log_to
from faultline.runner.progress import show_progress
from faultline.runner.spec import TestPlan
from faultline.runner.workers import call

log = logging.getLogger("faultline.runner")

SETUP_TIMEOUT_S = 60.0


@dataclass
class RunOutcome:
    run: RunDir
    results: dict[str, Any]

    @property
    def valid(self) -> Any:
        return self.results.get("valid")

    @property
    def exit_code(self) -> int:
        return exit_code_for(self.valid)


def exit_code_for(valid: Any) -> int:
    if valid is True:
        return EXIT_VALID
    if valid is False:
        return EXIT_INVALID
    return EXIT_UNKNOWN


def check_history(workload: Any, spec: Mapping[str, Any], history: History) -> dict[str, Any]:
    """The run's results: the workload's checker (a crash is "unknown") plus op counts."""
    checked = safe_check(workload.checker(spec), spec, history, {})
    return compose({"workload": checked,
                    "stats": Result(True, op_counts(history))}).to_dict()


def write_outputs(run: RunDir, spec: Mapping[str, Any], history: History,
                  results: Mapping[str, Any]) -> None:
    run.write_results(results)
    run.write_report(render_report(spec, history, results))
    run.write_summary(spec, results)
    run.publish()
    write_index(run.results_root)


class _Run:
    """The state of one run, so cleanup knows what was set up."""

    def __init__(self, plan: TestPlan, run: RunDir, cluster: Any,
                 make_clients: Callable[..., Any], progress: bool):
        self.plan = plan
        self.spec = plan.spec
        self.run = run
        self.cluster = cluster
        self.progress = progress
        self.nemesis = plan.package.nemesis if plan.package is not None else None
        self.nemesis_up = False
        self.writer = run.history_writer()
        self.test: dict[str, Any] = {
            # The prefix is unique per run: keys of earlier runs stay in a cluster left running.
            **client_options(plan.spec, f"faultline-{os.path.basename(run.path)}-{plan.spec['seed']}"),
            "cluster": cluster,
            "run_dir": run.path,
            "addresses": {n: list(cluster.address(n)) for n in cluster.nodes},
        }
        self.client_factory = make_clients(plan.spec["db"], self.test)

    def main_generator(self) -> Any:
        spec = self.spec
        gen = self.plan.workload.generator(spec)
        if spec["rate"] > 0:
            gen = stagger(1.0 / spec["rate"], gen)
        package = self.plan.package
        if package is None:
            return time_limit(spec["time_limit"], clients(gen))
        return phases(time_limit(spec["time_limit"], both(gen, package.generator)),
                      package.final_generator)

    async def drive(self) -> None:
        loop = asyncio.get_running_loop()
        outer_sigterm = signal.getsignal(signal.SIGTERM) if signals.main_thread() else None
        with contextlib.suppress(NotImplementedError, RuntimeError):
            loop.add_signal_handler(signal.SIGTERM, asyncio.current_task().cancel)
        interp = Interpreter(
            self.test, self.writer, client_factory=self.client_factory,
            nodes=self.cluster.nodes, concurrency=self.spec["concurrency"],
            rng=random.Random(self.spec["seed"]), op_timeout_s=self.spec["op_timeout"],
            nemesis=self.nemesis)
        admin = self.client_factory()
        progress = loop.create_task(show_progress(interp)) if self.progress else None
        try:
            async with asyncio.timeout(SETUP_TIMEOUT_S):
                await admin.open(self.test, self.cluster.nodes[0])
                await admin.setup(self.test)
            if self.nemesis is not None:
                await call(self.nemesis.setup, self.test)
                self.nemesis_up = True
            log.info("main phase: %s s, concurrency %s", self.spec["time_limit"],
                     self.spec["concurrency"])
            await interp.run(self.main_generator())
            log.info("final reads")
            await interp.run(clients(self.plan.workload.final_generator(
                self.spec, self.writer.history)))
        finally:
            if progress is not None:
                progress.cancel()
                await asyncio.gather(progress, return_exceptions=True)
            if self.nemesis_up:
                try:
                    await call(self.nemesis.teardown, self.test)
                    self.nemesis_up = False
                except Exception:  # noqa: BLE001 - logged; the sync fallback tries again
                    log.exception("nemesis teardown failed")
            await interp.close()
            try:
                async with asyncio.timeout(SETUP_TIMEOUT_S):
                    await admin.teardown(self.test)
            except Exception:  # noqa: BLE001 - teardown is best effort, the data is recorded
                log.exception("client teardown failed")
            with contextlib.suppress(Exception):
                await admin.close(self.test)
            with contextlib.suppress(NotImplementedError, RuntimeError):
                loop.remove_signal_handler(signal.SIGTERM)  # leaves SIG_DFL behind...
            if outer_sigterm is not None:
                signal.signal(signal.SIGTERM, outer_sigterm)  # ...so restore ours

    def heal_if_needed(self) -> None:
        if self.nemesis_up:
            try:
                result = self.nemesis.teardown(self.test)
                if inspect.isawaitable(result):
                    eventloop.run(result)
                self.nemesis_up = False
            except Exception:  # noqa: BLE001
                log.exception("nemesis teardown failed again: faults may remain (faults.json)")


def client_options(spec: Mapping[str, Any], key_prefix: str) -> dict[str, Any]:
    """The spec plus what the clients need to know about this run."""
    return {
        **spec,
        "key_prefix": key_prefix,
        # The client classifies its own timeouts first: it knows how far a request got.
        "client_timeout_s": spec["op_timeout"] / 2,
    }


ClusterFactory = Callable[[str, int, "str | None", "str | None"], Any]
"""``(db, nodes, name, image) -> cluster`` (not up yet); image None = the db's default."""
ClientFactory = Callable[[str, Mapping[str, Any]], Callable[[], Any]]
"""``(db, test) -> a factory of fresh, unopened clients``."""


def run_test(plan: TestPlan, *, cluster: Any | None = None,
             cluster_factory: ClusterFactory | None = None,
             client_factory: ClientFactory | None = None,
             progress: bool = False,
             on_run_dir: Callable[[RunDir], None] | None = None) -> RunOutcome:
    """Run ``plan`` against a fresh cluster; returns the run directory and its results.

    The cluster comes from the plan's backend and the clients from its db, unless a test
    passes its own factories (in-memory stand-ins, :mod:`faultline.fakes`). ``cluster``:
    an existing cluster that is up (a pytest fixture's, a matrix's) to run on instead; it
    must be of the plan's db, size and image. The run then neither brings it up nor
    removes it (its faults are still healed at the end) and leaves it to its owner.
    ``on_run_dir`` is called with the run directory as soon as it exists, so a caller
    knows where a run that then raises left its history and results.
    """
    spec = plan.spec
    if cluster is not None:
        check_reusable(plan, cluster)
        given = cluster

        def cluster_factory(db: str, nodes: int, name: str | None, image: str | None) -> Any:
            return given
    if cluster_factory is None:
        def cluster_factory(db: str, nodes: int, name: str | None, image: str | None) -> Any:
            return plan.new_cluster(name)
    if client_factory is None:
        def client_factory(db: str, test: Mapping[str, Any]) -> Callable[[], Any]:
            return db_client_factory(plan.db, plan.workload.name, test)
    client_factory(spec["db"], client_options(spec, "preflight"))  # validates options early
    run = RunDir.create(spec["results"], plan.name)
    run.write_test(spec)
    if on_run_dir is not None:
        on_run_dir(run)
    state: _Run | None = None
    failure: BaseException | None = None
    with signals.sigterm_interrupts(), log_to(run.file("harness.log")):
        log.info("run %s, seed %s", run.path, spec["seed"])
        reused = cluster is not None
        cluster = cluster_factory(spec["db"], spec["nodes"], None, plan.image)
        cluster_up = reused
        try:
            if not reused:
                cluster.up()
                cluster_up = True
            log.info("cluster %s is up", getattr(cluster, "name", "?"))
            state = _Run(plan, run, cluster, client_factory, progress)
            eventloop.run(state.drive())
        except (KeyboardInterrupt, asyncio.CancelledError) as e:
            failure = KeyboardInterrupt("interrupted")
            log.warning("interrupted (%s): cleaning up", type(e).__name__)
        except BaseException as e:
            failure = e
            # The CLI prints the error's one line; its traceback is for harness.log.
            log.error("run failed", exc_info=True, extra=FILE_ONLY)
        finally:
            with signals.deferred():
                if state is not None:
                    state.heal_if_needed()
                    state.writer.close()
                stop_error = _collect_and_stop(cluster, run, came_up=cluster_up,
                                               leave_running=spec["leave_running"],
                                               owned=not reused)
            if failure is None:
                failure = stop_error
        history = state.writer.history if state is not None else History()
        if failure is None:
            results = check_history(plan.workload, spec, history)
        else:
            why = "interrupted" if isinstance(failure, KeyboardInterrupt) else \
                f"run aborted: {type(failure).__name__}: {failure}"
            results = {"valid": UNKNOWN, "error": why,
                       "stats": Result(True, op_counts(history)).to_dict()}
        log.info("valid: %s", results["valid"])
        write_outputs(run, spec, history, results)
    if failure is not None:
        raise failure
    return RunOutcome(run, results)


def check_reusable(plan: TestPlan, cluster: Any) -> None:
    """BadInputError unless ``cluster`` can run ``plan``: same db, node count and image."""
    spec = plan.spec
    image = plan.image or getattr(cluster, "image", None)
    problems = [f"{what} {have!r}, the test needs {need!r}" for what, have, need in (
        ("db", getattr(cluster, "db", None), spec["db"]),
        ("nodes", len(getattr(cluster, "nodes", ())), spec["nodes"]),
        ("image", getattr(cluster, "image", None), image)) if have != need]
    if problems:
        raise BadInputError(f"cluster {getattr(cluster, 'name', '?')} cannot run "
                            f"{plan.name}: it has {'; '.join(problems)}")


def _collect_and_stop(cluster: Any, run: RunDir, *, came_up: bool, leave_running: bool,
                      owned: bool = True) -> Exception | None:
    """Collect node logs (when the cluster came up) and remove the cluster unless asked to
    leave it or it is not the run's own (``owned``: the run brought it up). Returns the error that kept a cluster that came up from being removed: the
    run's results are still written, then that error is raised. A cluster whose ``up``
    failed has removed what it created already; a failed ``down`` then (Docker gone) only
    repeats the run's own error, so it goes to harness.log."""
    if came_up:
        try:
            cluster.collect_logs(run.nodes_dir)
        except Exception:  # noqa: BLE001 - missing logs must not leave a cluster behind
            log.exception("collecting node logs failed")
    if not owned:
        return None
    if leave_running:
        log.warning("leaving cluster %s running", getattr(cluster, "name", "?"))
        return None
    try:
        cluster.down()
    except Exception as e:  # noqa: BLE001 - reported after the results are written
        if not came_up:
            log.info("removing a cluster that never came up failed", exc_info=True,
                     extra=FILE_ONLY)
            return None
        name = getattr(cluster, "name", "?")
        log.error("cluster %s was not removed: remove it with `faultline cluster down --name %s`",
                  name, name, exc_info=True)
        return e
    return None
