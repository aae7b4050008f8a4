"""A test matrix: a list and/or products of test specs, run in order (``faultline matrix``).

A matrix file (TOML; docs/matrix.md)::

    [defaults]                  # options every entry starts from (optional)
    time_limit = 20

    [[test]]                    # one entry: the options `faultline test` takes
    db = "zookeeper"
    read_mode = "plain"
    nemesis = "partition"

    [[test]]                    # fixed options plus a product: one entry per combination
    workload = "register"
    [test.product]
    db = ["etcd", "zookeeper"]
    nemesis = ["none", "partition,kill"]

:func:`load_matrix` expands and validates every entry (``build_test``) before anything
runs: a bad one raises :class:`BadInputError` naming the entry (exit 254).
:func:`run_matrix` runs them in order on one cluster per db, reused while the next entry
fits it (same backend, db, node count and image; faults healed between entries; a
cluster whose run broke is replaced), continues past failures and removes every cluster
it brought up at the end, also when interrupted (Ctrl-C or SIGTERM: the entry running
cleans up as ``faultline test`` does, then KeyboardInterrupt is re-raised).
The exit code is the worst verdict's: invalid (1) > an entry that could not run (254) >
unknown (2) > valid (0).
"""

from __future__ import annotations

import itertools
import logging
import os
import time
import tomllib
import xml.etree.ElementTree as ET
from dataclasses import dataclass, field
from typing import Any, Callable, Mapping, Sequence

from faultline.core.errors import (EXIT_BAD_INPUT, EXIT_INVALID, EXIT_UNKNOWN, EXIT_VALID,
                                   BadInputError, FaultlineError)
from faultline.core.result import verdict_word
from faultline.core.store import REPORT, RunDir
from faultline.dbs import client_factory as db_client_factory
from faultline.faults.heal import heal_cluster
from faultline.runner import signals
from faultline.runner.run import client_options, exit_code_for, run_test
from faultline.runner.spec import TestPlan, build_test

log = logging.getLogger("faultline.runner.matrix")

SEVERITY = (EXIT_VALID, EXIT_UNKNOWN, EXIT_BAD_INPUT, EXIT_INVALID)
"""Exit codes from best to worst: the matrix exits with its worst entry's."""

TOP_LEVEL = ("defaults", "test")

JUNIT_PROPERTY = "faultline.{}"
"""JUnit property names (``faultline.run_dir``, ``.seed``, ``.verdict``, ``.report``), for
the matrix's cases and the pytest plugin's alike."""


@dataclass(frozen=True)
class Entry:
    index: int
    """1-based position in the expanded matrix."""
    where: str
    """Where it comes from in the file: ``test 2`` or ``test 2, product db=etcd nemesis=kill``."""
    options: dict[str, Any]
    plan: TestPlan

    @property
    def label(self) -> str:
        return f"entry {self.index} ({self.where})"


@dataclass
class EntryResult:
    entry: Entry
    exit_code: int
    valid: Any = None
    """The verdict (true, false, "unknown"); None when the entry could not run."""
    run_dir: str | None = None
    error: str | None = None
    duration_s: float = 0.0

    @property
    def verdict(self) -> str:
        return "error" if self.valid is None else verdict_word(self.valid)

    def to_dict(self) -> dict[str, Any]:
        return {"index": self.entry.index, "where": self.entry.where,
                "name": self.entry.plan.name, "options": self.entry.options,
                "seed": self.entry.plan.spec["seed"], "verdict": self.verdict,
                "valid": self.valid, "exit_code": self.exit_code, "run_dir": self.run_dir,
                "error": self.error, "duration_s": round(self.duration_s, 3)}


@dataclass
class MatrixOutcome:
    results: list[EntryResult] = field(default_factory=list)
    interrupted: bool = False

    @property
    def exit_code(self) -> int:
        return worst([r.exit_code for r in self.results])


def worst(codes: Sequence[int]) -> int:
    """The worst of entry exit codes (:data:`SEVERITY`); valid for none."""
    return max(codes, key=SEVERITY.index, default=EXIT_VALID)


# ---- the file -------------------------------------------------------------------------

def load_matrix(path: str) -> list[Entry]:
    """The entries of the matrix file at ``path``, expanded and validated."""
    try:
        with open(path, "rb") as fh:
            data = tomllib.load(fh)
    except OSError as e:
        raise BadInputError(f"{path}: cannot read: {e.strerror or e}") from None
    except tomllib.TOMLDecodeError as e:
        raise BadInputError(f"{path}: not valid TOML: {e}") from None
    return parse_matrix(data, path)


def parse_matrix(data: Mapping[str, Any], source: str = "matrix") -> list[Entry]:
    """Expand and validate a matrix (the parsed TOML); BadInputError names the bad entry."""
    unknown = sorted(set(data) - set(TOP_LEVEL))
    if unknown:
        raise BadInputError(f"{source}: unknown top-level key(s) {', '.join(unknown)} "
                            f"(a matrix has [defaults] and [[test]] entries)")
    defaults = data.get("defaults", {})
    if not isinstance(defaults, dict):
        raise BadInputError(f"{source}: [defaults] must be a table of test options")
    tests = data.get("test", [])
    if not isinstance(tests, list) or not all(isinstance(t, dict) for t in tests):
        raise BadInputError(f"{source}: 'test' must be an array of tables ([[test]])")
    if not tests:
        raise BadInputError(f"{source}: no [[test]] entries")
    entries: list[Entry] = []
    for n, test in enumerate(tests, 1):
        for where, options in _expand(test, f"test {n}", source):
            merged = {**defaults, **options}
            label = f"entry {len(entries) + 1} ({where})"
            try:
                plan = build_test(merged)
                # The clients' own checks (transport options...) run before any cluster too.
                db_client_factory(plan.db, plan.workload.name, client_options(plan.spec, "preflight"))
            except BadInputError as e:
                raise BadInputError(f"{source}: {label}: {e}") from None
            entries.append(Entry(len(entries) + 1, where, merged, plan))
    return entries


def _expand(test: Mapping[str, Any], where: str, source: str) -> list[tuple[str, dict[str, Any]]]:
    """An entry's specs: itself, or one per combination of its ``product`` (in the order
    written, the last key varying fastest)."""
    fixed = {k: v for k, v in test.items() if k != "product"}
    product = test.get("product")
    if product is None:
        return [(where, fixed)]
    if not isinstance(product, dict) or not product:
        raise BadInputError(f"{source}: {where}: 'product' must be a table of option = [values]")
    for key, values in product.items():
        if not isinstance(values, list) or not values:
            raise BadInputError(f"{source}: {where}: product.{key} must be a non-empty list "
                                f"of values, got {values!r}")
        if key in fixed:
            raise BadInputError(f"{source}: {where}: {key} is both fixed and in the product")
    out = []
    for combo in itertools.product(*product.values()):
        chosen = dict(zip(product, combo))
        said = " ".join(f"{k}={_show(v)}" for k, v in chosen.items())
        out.append((f"{where}, product {said}", {**fixed, **chosen}))
    return out


def _show(value: Any) -> str:
    if isinstance(value, list):
        return ",".join(map(str, value)) or "none"
    return str(value)


# ---- running --------------------------------------------------------------------------

Say = Callable[[EntryResult, int], None]
"""Called as each entry finishes, with the number of entries."""


class _Clusters:
    """The clusters a matrix brought up: one per db, replaced when an entry needs another
    kind (nodes, image, backend) or its run broke the cluster."""

    def __init__(self) -> None:
        self.by_db: dict[str, tuple[tuple[Any, ...], Any]] = {}

    def for_plan(self, plan: TestPlan) -> Any:
        key = plan.cluster_key
        held = self.by_db.get(plan.spec["db"])
        if held is not None and held[0] == key:
            return held[1]
        self.drop(plan.spec["db"])
        cluster = plan.new_cluster()
        self.by_db[plan.spec["db"]] = (key, cluster)  # held before up(): down() if up fails
        try:
            cluster.up()
        except BaseException:
            self.drop(plan.spec["db"])
            raise
        return cluster

    def drop(self, db: str) -> None:
        held = self.by_db.pop(db, None)
        if held is None:
            return
        try:
            held[1].down()
        except Exception:  # noqa: BLE001 - the next cluster may still come up
            name = getattr(held[1], "name", "?")
            log.error("cluster %s was not removed: remove it with "
                      "`faultline cluster down --name %s`", name, name, exc_info=True)

    def drop_all(self) -> None:
        for db in list(self.by_db):
            self.drop(db)


def _run_entry(entry: Entry, clusters: _Clusters) -> EntryResult:
    plan = entry.plan
    made: list[RunDir] = []
    started = time.monotonic()
    result = EntryResult(entry, EXIT_UNKNOWN)
    try:
        cluster = clusters.for_plan(plan)
        outcome = run_test(plan, cluster=cluster, on_run_dir=made.append)
        result.valid, result.run_dir = outcome.valid, outcome.run.path
        result.exit_code = exit_code_for(outcome.valid)
        result.error = outcome.results.get("error")
    except KeyboardInterrupt as e:
        # The run cleaned up after itself; the summary still shows how far it got.
        result.valid, result.error = "unknown", "interrupted"
        result.run_dir = made[0].path if made else None
        result.duration_s = time.monotonic() - started
        e.result = result  # type: ignore[attr-defined]
        raise
    except FaultlineError as e:
        result.error = str(e)
        result.run_dir = made[0].path if made else None
        if e.exit_code == EXIT_BAD_INPUT:  # preflight: this entry cannot run here
            result.exit_code = EXIT_BAD_INPUT
        else:
            result.valid = "unknown"
        clusters.drop(plan.spec["db"])
    except Exception as e:  # noqa: BLE001 - recorded; the matrix goes on
        log.error("%s failed", entry.label, exc_info=True)
        result.error = f"{type(e).__name__}: {e}"
        result.valid = "unknown"
        result.run_dir = made[0].path if made else None
        clusters.drop(plan.spec["db"])
    else:
        if plan.package is not None:
            _heal_between(plan, cluster, clusters)
    result.duration_s = time.monotonic() - started
    return result


def _heal_between(plan: TestPlan, cluster: Any, clusters: _Clusters) -> None:
    """The run healed the faults it made; heal every kind again before the next entry
    reuses the cluster (idempotent), and replace a cluster that cannot be healed."""
    try:
        heal_cluster(cluster)
    except Exception:  # noqa: BLE001 - a fresh cluster for the next entry instead
        log.warning("healing cluster %s failed: the next entry gets a new one",
                    getattr(cluster, "name", "?"), exc_info=True)
        clusters.drop(plan.spec["db"])


# ---- the summary files ------------------------------------------------------------------

def summary(outcome: MatrixOutcome, source: str) -> dict[str, Any]:
    """The JSON summary: the matrix file, the exit code and every entry that finished."""
    return {"matrix": source, "exit_code": outcome.exit_code,
            "interrupted": outcome.interrupted,
            "entries": [r.to_dict() for r in outcome.results]}


def junit_xml(outcome: MatrixOutcome, suite: str) -> str:
    """JUnit XML: one test case per entry with the properties ``faultline.run_dir``,
    ``.seed``, ``.verdict``, ``.report`` and ``.where`` (the names the pytest plugin
    gives its cases); invalid is a failure, unknown and could-not-run are errors."""
    root = ET.Element("testsuites")
    failures = sum(r.verdict == "invalid" for r in outcome.results)
    errors = sum(r.verdict in ("unknown", "error") for r in outcome.results)
    total = sum(r.duration_s for r in outcome.results)
    ts = ET.SubElement(root, "testsuite", name=suite, tests=str(len(outcome.results)),
                       failures=str(failures), errors=str(errors), skipped="0",
                       time=f"{total:.3f}")
    for r in outcome.results:
        case = ET.SubElement(ts, "testcase", classname=f"faultline.matrix.{suite}",
                             name=f"{r.entry.index}: {r.entry.plan.name}",
                             time=f"{r.duration_s:.3f}")
        props = ET.SubElement(case, "properties")
        report = os.path.join(r.run_dir, REPORT) if r.run_dir else ""
        for name, value in (("run_dir", r.run_dir or ""), ("seed", r.entry.plan.spec["seed"]),
                            ("verdict", r.verdict), ("report", report),
                            ("where", r.entry.where)):
            ET.SubElement(props, "property", name=JUNIT_PROPERTY.format(name), value=str(value))
        if r.verdict == "invalid":
            ET.SubElement(case, "failure", type="invalid",
                          message=f"{r.entry.plan.name} is invalid: the checker found an "
                                  f"anomaly, explained in {report}").text = report
        elif r.verdict != "valid":
            message = r.error or r.verdict
            ET.SubElement(case, "error", message=message, type=r.verdict).text = message
    ET.indent(root)
    return ET.tostring(root, encoding="unicode", xml_declaration=True) + "\n"


def run_matrix(entries: Sequence[Entry], say: Say | None = None) -> MatrixOutcome:
    """Run ``entries`` in order; see the module docstring. On Ctrl-C/SIGTERM the outcome
    so far (the interrupted entry last, "unknown") is in the KeyboardInterrupt's
    ``outcome`` attribute."""
    outcome = MatrixOutcome()
    clusters = _Clusters()
    try:
        with signals.sigterm_interrupts():
            for entry in entries:
                result = _run_entry(entry, clusters)
                outcome.results.append(result)
                if say is not None:
                    say(result, len(entries))
    except KeyboardInterrupt as e:
        if hasattr(e, "result"):
            outcome.results.append(e.result)
        outcome.interrupted = True
        e.outcome = outcome  # type: ignore[attr-defined]
        raise
    finally:
        with signals.deferred():
            clusters.drop_all()
    return outcome
