"""A test = the run's options + a db + a workload (with its options) + faults, validated eagerly.

:func:`build_test` turns options (from the CLI, pytest or a stored ``test.json``) into a
:class:`TestPlan`: ``spec``, the complete JSON-able options (written as ``test.json``:
enough to re-run the test, the seed included), plus the parts it names, looked up in the
registries: the db, the workload, the nemesis package, the backend, and the image the
cluster must run. Every bad value raises :class:`BadInputError` with one line saying
which option and what is allowed, before anything is started.

The options of the run itself are :data:`RUN_OPTIONS`; ``db``, ``workload``,
``read_mode``, ``transport``, ``nemesis`` and ``backend`` take their choices from the
registries, and each workload brings its own options (:mod:`faultline.workloads.protocol`).
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from typing import Any, Mapping

from faultline.backends import BACKENDS, DEFAULT_BACKEND, Backend
from faultline.cluster.protocol import NODE_COUNTS
from faultline.core.errors import BadInputError
from faultline.core.options import Option
from faultline.dbs import DBS, DB, image
from faultline.faults import FAULTS, Package, package
from faultline.workloads import WORKLOADS, Workload

DEFAULT_WORKLOAD = "register"

RUN_OPTIONS: tuple[Option, ...] = (
    Option("time_limit", 30.0, "seconds of the main phase", float, minimum=0, strict=True,
           metavar="S"),
    Option("concurrency", 10, "client processes", int, minimum=1, maximum=1000, metavar="N"),
    Option("nodes", 3, "nodes in the cluster", int, choices=NODE_COUNTS),
    Option("rate", 0.0, "ops/s over all clients; 0 = as fast as they go", float, minimum=0,
           metavar="R"),
    Option("nemesis_interval", 10.0, "seconds between fault ops", float, minimum=0,
           strict=True, metavar="S"),
    Option("nemesis_recovery", 10.0, "seconds the cluster gets after the final heal, before "
           "the final reads", float, minimum=0, metavar="S"),
    Option("op_timeout", 5.0, "seconds before an op is recorded as unknown", float,
           minimum=0, strict=True, metavar="S"),
    Option("check_time_limit", 600.0, "seconds the checker's search may take", float,
           minimum=0, strict=True, metavar="S"),
    Option("results", "results", "results directory", str, metavar="DIR"),
    Option("leave_running", False, "keep the cluster after the test", bool),
)
"""The run's own options with a fixed type and default (see the module docstring for the others)."""

CHOSEN = ("db", "workload", "backend", "read_mode", "transport", "nemesis", "seed", "name")
"""Options whose values come from registries or are drawn (``seed``) or derived (``name``)."""

ALIASES = {"etcd_transport": "transport"}
"""Older names still accepted (``--etcd-transport``, older ``test.json`` files)."""


@dataclass
class TestPlan:
    spec: dict[str, Any]
    db: DB
    workload: Workload
    package: Package | None
    """The nemesis package, None without faults."""
    backend: Backend
    image: str | None
    """The image every node must run; None for the db's default."""

    @property
    def name(self) -> str:
        return self.spec["name"]

    @property
    def cluster_key(self) -> tuple[str, str, int, str | None]:
        """``(backend, db, nodes, image)``: what the test needs of a cluster; runs whose
        keys are equal can share one (a matrix's, a pytest session's)."""
        return (self.backend.name, self.db.name, self.spec["nodes"], self.image)

    def new_cluster(self, name: str | None = None) -> Any:
        """A cluster of this test's kind from its backend (not up yet)."""
        return self.backend.create(self.db, self.spec["nodes"], name=name, image=self.image)


def workload_options() -> dict[str, Option]:
    """Every registered workload's options by name (a name two workloads share must be
    declared alike: same flag, one meaning)."""
    found: dict[str, Option] = {}
    for workload in WORKLOADS:
        for option in workload.options:
            found.setdefault(option.name, option)
    return found


def parse_nemesis(value: Any) -> list[str]:
    """``"none"``, ``"partition,kill"`` or a list -> a list of fault names."""
    if value is None:
        return []
    if isinstance(value, str):
        value = [v.strip() for v in value.split(",") if v.strip()]
    if not isinstance(value, (list, tuple)) or not all(isinstance(v, str) for v in value):
        raise BadInputError(f"--nemesis must be 'none' or names separated by commas, got {value!r}")
    names = [v for v in value if v != "none"]
    if "none" in value and names:
        raise BadInputError("--nemesis: 'none' cannot be combined with faults")
    return list(dict.fromkeys(names))


def build_test(options: Mapping[str, Any]) -> TestPlan:
    """Merge ``options`` over the defaults, validate, and look the parts up."""
    given = {ALIASES.get(k, k): v for k, v in options.items() if v is not None}
    workload = WORKLOADS.get(given.get("workload", DEFAULT_WORKLOAD))
    own = {o.name: o for o in workload.options}
    others = workload_options()
    allowed = {o.name for o in RUN_OPTIONS} | set(CHOSEN) | set(own)
    unknown = sorted(set(given) - allowed)
    for name in unknown:
        if name in others:
            raise BadInputError(f"{others[name].flag} does not apply to workload {workload.name}"
                                f" (its options: {', '.join(o.flag for o in own.values()) or 'none'})")
    if unknown:
        raise BadInputError(f"unknown test option(s): {', '.join(unknown)}")

    if "db" not in given:
        raise BadInputError(f"--db is required: one of {', '.join(DBS.names())}")
    db = DBS.get(given["db"])
    spec: dict[str, Any] = {"db": db.name, "workload": workload.name}
    for option in (*RUN_OPTIONS, *own.values()):
        spec[option.name] = option.validate(given.get(option.name, option.default))
    if workload.name not in db.clients:
        raise BadInputError(f"workload {workload.name} has no client for {db.name} "
                            f"(its workloads: {', '.join(db.clients) or 'none'})")
    spec["read_mode"] = _one_of(given.get("read_mode"), db.read_modes, f"--read-mode for {db.name}")
    spec["transport"] = _one_of(given.get("transport"), tuple(db.clients[workload.name]),
                                f"--transport for {db.name}", default=db.transports[0])
    backend = BACKENDS.get(given.get("backend", DEFAULT_BACKEND))
    spec["backend"] = backend.name
    seed = given.get("seed")
    spec["seed"] = Option("seed", None, "", int, minimum=0).validate(
        random.SystemRandom().randrange(2**31) if seed is None else seed)
    names = parse_nemesis(given.get("nemesis"))
    spec["nemesis"] = names
    spec["name"] = given.get("name") or f"{db.name}-{workload.name}-{'+'.join(names) or 'none'}"
    if not spec["results"]:
        raise BadInputError("--results must be a directory path, got ''")
    faults = package(names, {"interval": spec["nemesis_interval"],
                             "recovery": spec["nemesis_recovery"]}) if names else None
    return TestPlan(spec, db, workload, faults, backend, cluster_image(db, names))


def _one_of(value: Any, allowed: tuple[str, ...], what: str, default: str | None = None) -> str:
    if value is None:
        return default if default is not None else allowed[0]
    if value not in allowed:
        raise BadInputError(f"{what} must be one of {', '.join(allowed)}, got {value!r}")
    return value


def cluster_image(db: DB, fault_names: list[str]) -> str | None:
    """The image a cluster must run for these faults, None for the db's default: a fault
    may need an image role (clock faults on etcd need the clock-capable build, since Go
    ignores libfaketime; see docs/faults-clock-packet.md)."""
    roles = {FAULTS.get(n).image_role for n in fault_names} - {None}
    if len(roles) > 1:
        raise BadInputError(f"--nemesis: these faults need different images ({', '.join(sorted(roles))})")
    if not roles:
        return None
    chosen = image(db, roles.pop())
    return None if chosen == image(db) else chosen.tag
