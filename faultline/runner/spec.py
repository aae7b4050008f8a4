"""A test = defaults + a workload + a nemesis package, validated eagerly.

:func:`build_test` turns options (from the CLI, pytest or a stored ``test.json``) into a
:class:`TestPlan`: ``spec``, the complete JSON-able options (written as ``test.json``:
enough to re-run the test, the seed included), plus the runtime parts: the workload
module and the nemesis package. Every bad value raises :class:`BadInputError` with one
line saying which option and what is allowed.

A workload is a module with ``generator(test)``, ``final_generator(test, history)`` and
``checker(test)`` (see :mod:`faultline.workloads.register`).
"""

from __future__ import annotations

import importlib
import random
from dataclasses import dataclass
from types import ModuleType
from typing import Any, Mapping

from faultline.core.errors import BadInputError

DBS = ("etcd", "zookeeper")
WORKLOADS = {"register": "faultline.workloads.register"}
READ_MODES = {"etcd": ("linearizable", "serializable"), "zookeeper": ("sync", "plain")}
"""Per db, the read modes it supports; the first is the default."""
ETCD_TRANSPORTS = ("http", "grpc")
"""How etcd clients talk to etcd: its JSON gateway (default, least harness CPU) or gRPC;
see docs/clients.md. The clients (faultline.dbs.clients.ETCD_TRANSPORTS) implement both."""
NODE_COUNTS = (3, 5)
MAX_CONCURRENCY = 1000

DEFAULTS: dict[str, Any] = {
    "workload": "register",
    "time_limit": 30.0,         # seconds of main phase
    "concurrency": 10,          # client threads
    "nodes": 3,
    "rate": 0.0,                # ops/s over all clients; 0 = as fast as they go
    "seed": None,               # None: drawn at random, then recorded
    "read_mode": None,          # None: the db's default (READ_MODES)
    "etcd_transport": "http",   # etcd only: ETCD_TRANSPORTS
    "nemesis": [],              # fault names; [] = none
    "nemesis_interval": 10.0,   # seconds between fault ops
    "ops_per_key": 200,
    "op_timeout": 5.0,          # seconds before an op is recorded info "timeout"
    "check_time_limit": 600.0,  # seconds the linearizability search may take
    "results": "results",
    "leave_running": False,
}


@dataclass
class TestPlan:
    spec: dict[str, Any]
    workload: ModuleType
    package: Any | None  # faultline.faults.Package, or None without faults

    @property
    def name(self) -> str:
        return self.spec["name"]


def _number(opts: Mapping[str, Any], name: str, *, minimum: float, integer: bool = False,
            strict: bool = False) -> Any:
    v = opts[name]
    ok_type = isinstance(v, int) if integer else isinstance(v, (int, float))
    if isinstance(v, bool) or not ok_type or v < minimum or (strict and v == minimum) or v != v:
        kind = "an integer" if integer else "a number"
        bound = f"> {minimum:g}" if strict else f">= {minimum:g}"
        raise BadInputError(f"--{name.replace('_', '-')} must be {kind} {bound}, got {v!r}")
    return v


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


def nemesis_package(names: list[str], spec: Mapping[str, Any]) -> Any | None:
    if not names:
        return None
    try:
        import faultline.faults as nemeses
    except ImportError:
        raise BadInputError("--nemesis: faults are not available in this build; use 'none'") from None
    return nemeses.package(names, {"interval": spec["nemesis_interval"]})


def build_test(options: Mapping[str, Any]) -> TestPlan:
    """Merge ``options`` over :data:`DEFAULTS`, validate, and load the parts."""
    unknown = sorted(set(options) - set(DEFAULTS) - {"db", "name"})
    if unknown:
        raise BadInputError(f"unknown test option(s): {', '.join(unknown)}")
    spec = {**DEFAULTS, **{k: v for k, v in options.items() if v is not None}}
    db = spec.get("db")
    if db not in DBS:
        raise BadInputError(f"--db must be one of {', '.join(DBS)}, got {db!r}")
    workload = load_workload(spec["workload"])
    if spec["nodes"] not in NODE_COUNTS or isinstance(spec["nodes"], bool):
        raise BadInputError(f"--nodes must be one of {', '.join(map(str, NODE_COUNTS))}, "
                            f"got {spec['nodes']!r}")
    _number(spec, "time_limit", minimum=0, strict=True)
    _number(spec, "concurrency", minimum=1, integer=True)
    if spec["concurrency"] > MAX_CONCURRENCY:
        raise BadInputError(f"--concurrency must be <= {MAX_CONCURRENCY}, got {spec['concurrency']}")
    _number(spec, "rate", minimum=0)
    _number(spec, "nemesis_interval", minimum=0, strict=True)
    _number(spec, "ops_per_key", minimum=1, integer=True)
    _number(spec, "op_timeout", minimum=0, strict=True)
    _number(spec, "check_time_limit", minimum=0, strict=True)
    if spec["seed"] is None:
        spec["seed"] = random.SystemRandom().randrange(2**31)
    _number(spec, "seed", minimum=0, integer=True)
    modes = READ_MODES[db]
    if spec["read_mode"] is None:
        spec["read_mode"] = modes[0]
    if spec["read_mode"] not in modes:
        raise BadInputError(f"--read-mode for {db} must be one of {', '.join(modes)}, "
                            f"got {spec['read_mode']!r}")
    if spec["etcd_transport"] not in ETCD_TRANSPORTS:
        raise BadInputError(f"--etcd-transport must be one of {', '.join(ETCD_TRANSPORTS)}, "
                            f"got {spec['etcd_transport']!r}")
    if db != "etcd" and spec["etcd_transport"] != DEFAULTS["etcd_transport"]:
        raise BadInputError(f"--etcd-transport applies to etcd only, not {db}")
    names = parse_nemesis(spec["nemesis"])
    spec["nemesis"] = names
    spec["time_limit"] = float(spec["time_limit"])
    spec["rate"] = float(spec["rate"])
    spec.setdefault("name", f"{db}-{spec['workload']}-{'+'.join(names) or 'none'}")
    if not isinstance(spec["results"], str) or not spec["results"]:
        raise BadInputError(f"--results must be a directory path, got {spec['results']!r}")
    return TestPlan(spec, workload, nemesis_package(names, spec))


def load_workload(name: Any) -> ModuleType:
    """The workload module called ``name`` (a key of :data:`WORKLOADS`)."""
    if name not in WORKLOADS:
        raise BadInputError(f"--workload must be one of {', '.join(WORKLOADS)}, got {name!r}")
    return importlib.import_module(WORKLOADS[name])
