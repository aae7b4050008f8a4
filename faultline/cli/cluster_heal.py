"""``faultline cluster heal [RUN_DIR | --name NAME]``: undo faults a dead harness left behind.

A harness killed with SIGKILL runs no teardown; its run directory keeps ``faults.json``
(written before every fault). ``heal RUN_DIR`` reads it, finds the cluster through the
backend the record names (``compose`` in records older than the field) and heals it;
``heal --name NAME`` heals a cluster of ``--backend`` without a record. Either way every
kind of fault is undone on every node (see :func:`faultline.faults.heal.heal_cluster`),
which is safe on a healthy cluster. Hooked into ``faultline cluster`` by
:mod:`faultline.cli.cluster`.

Exit codes: 0 healed (or the recorded cluster no longer exists: nothing to heal),
254 no usable record / unknown cluster, 255 a heal step failed.
"""

from __future__ import annotations

import argparse
import json

from faultline.backends import BACKENDS, DEFAULT_BACKEND
from faultline.core.errors import BadInputError
from faultline.faults import record as records
from faultline.faults.heal import heal_cluster


def add_parser(actions: argparse._SubParsersAction) -> None:
    heal = actions.add_parser(
        "heal", help="undo every fault on a cluster (after a harness was killed)",
        description="Resume paused servers, start killed ones, remove partition and packet "
                    "rules, reset clock offsets: on the cluster a run's faults.json names, or "
                    "on --name.")
    heal.add_argument("run_dir", nargs="?", metavar="RUN_DIR",
                      help="a run directory (or its faults.json) naming the cluster")
    heal.add_argument("--name", help="the cluster to heal, instead of RUN_DIR")
    heal.add_argument("--backend", choices=BACKENDS.names(),
                      help=f"where the cluster lives: with --name (default {DEFAULT_BACKEND}); "
                           "with RUN_DIR, for a record that does not name its backend")
    heal.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    if bool(args.run_dir) == bool(args.name):
        raise BadInputError("say what to heal: RUN_DIR or --name NAME (one of them)")
    if args.name:
        cluster = BACKENDS.get(args.backend or DEFAULT_BACKEND).attach(args.name)
        _print(cluster.name, None, heal_cluster(cluster))
        return 0
    try:
        recorded = records.read(args.run_dir).get("cluster", {}).get("backend")
        if recorded and args.backend and recorded != args.backend:
            raise BadInputError(f"{args.run_dir}: the cluster was made by backend {recorded!r}, "
                                f"not --backend {args.backend}")
        summary = BACKENDS.get(recorded or args.backend or DEFAULT_BACKEND).heal(args.run_dir)
    except ValueError as e:
        raise BadInputError(str(e)) from None
    if summary.get("gone"):
        print(f"{summary['cluster']}: no longer exists; nothing to heal")
        return 0
    _print(summary["cluster"], summary["active"], summary["healed"])
    return 0


def _print(name: str, active: dict | None, healed: dict) -> None:
    if active is not None:
        print(f"{name}: faults on record: {json.dumps(active, sort_keys=True) if active else 'none'}")
    for step, what in healed.items():
        print(f"  {step}: {json.dumps(what, sort_keys=True)}")
    print(f"{name}: healed")
