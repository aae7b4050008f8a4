"""``faultline test``: run a test against a fresh cluster; prints the report's path last.

Exit codes: 0 valid, 1 invalid, 2 unknown, 254 bad arguments / failed preflight /
cluster never healthy, 255 internal error, 130 interrupted (cleaned up).
"""

from __future__ import annotations

import argparse
import sys

from faultline.runner.spec import DBS, DEFAULTS, ETCD_TRANSPORTS, NODE_COUNTS, WORKLOADS, build_test


def add_parser(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser("test", help="run a consistency test against a real cluster",
                              description=__doc__,
                              formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--db", required=True, choices=DBS)
    p.add_argument("--workload", default=DEFAULTS["workload"], choices=sorted(WORKLOADS))
    p.add_argument("--time-limit", type=float, default=DEFAULTS["time_limit"], metavar="S",
                   help="seconds of the main phase (default %(default)s)")
    p.add_argument("--concurrency", type=int, default=DEFAULTS["concurrency"], metavar="N",
                   help="client processes (default %(default)s)")
    p.add_argument("--nodes", type=int, default=DEFAULTS["nodes"], choices=NODE_COUNTS)
    p.add_argument("--rate", type=float, default=DEFAULTS["rate"], metavar="R",
                   help="ops/s over all clients; 0 = as fast as they go (default)")
    p.add_argument("--seed", type=int, default=None, metavar="N",
                   help="random seed (default: drawn, recorded in test.json)")
    p.add_argument("--read-mode", default=None,
                   help="etcd: linearizable (default) | serializable; "
                        "zookeeper: sync (default) | plain")
    p.add_argument("--etcd-transport", default=None, metavar="|".join(ETCD_TRANSPORTS),
                   help="etcd only: how clients talk to etcd, its JSON gateway (http, default) "
                        "or gRPC; see docs/clients.md")
    p.add_argument("--nemesis", default="none", metavar="FAULTS",
                   help="none, or a comma-separated subset of partition,kill,pause,clock,packet")
    p.add_argument("--nemesis-interval", type=float, default=DEFAULTS["nemesis_interval"],
                   metavar="S", help="seconds between fault ops (default %(default)s)")
    p.add_argument("--ops-per-key", type=int, default=DEFAULTS["ops_per_key"], metavar="N",
                   help="ops per register key before a fresh key (default %(default)s)")
    p.add_argument("--op-timeout", type=float, default=DEFAULTS["op_timeout"], metavar="S",
                   help="seconds before an op is recorded as unknown (default %(default)s)")
    p.add_argument("--results", default=DEFAULTS["results"], metavar="DIR",
                   help="results directory (default %(default)s)")
    p.add_argument("--leave-running", action="store_true",
                   help="keep the cluster after the test (remove with `faultline cluster down`)")
    p.set_defaults(func=run)


def options_from_args(args: argparse.Namespace) -> dict:
    return {
        "db": args.db, "workload": args.workload, "time_limit": args.time_limit,
        "concurrency": args.concurrency, "nodes": args.nodes, "rate": args.rate,
        "seed": args.seed, "read_mode": args.read_mode, "etcd_transport": args.etcd_transport,
        "nemesis": args.nemesis,
        "nemesis_interval": args.nemesis_interval, "ops_per_key": args.ops_per_key,
        "op_timeout": args.op_timeout, "results": args.results,
        "leave_running": args.leave_running,
    }


def run(args: argparse.Namespace) -> int:
    from faultline.runner.run import run_test  # after validation: keep `--help` and errors fast

    plan = build_test(options_from_args(args))
    outcome = run_test(plan, progress=sys.stderr.isatty())
    print(outcome.run.report_path)
    return outcome.exit_code
