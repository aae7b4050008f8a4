"""``faultline test``: run a test against a fresh cluster; prints a summary (verdict, op
counts, throughput, faults applied, the first anomaly) and the report's path last.

Exit codes: 0 valid, 1 invalid, 2 unknown, 254 bad arguments / failed preflight /
cluster never healthy, 255 internal error, 130 interrupted (cleaned up).
"""

from __future__ import annotations

import argparse
import sys

from faultline.backends import BACKENDS, DEFAULT_BACKEND
from faultline.core.options import Option
from faultline.dbs import DBS
from faultline.faults import FAULTS
from faultline.runner.spec import DEFAULT_WORKLOAD, RUN_OPTIONS, build_test, workload_options
from faultline.workloads import WORKLOADS

def add_parser(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser("test", help="run a consistency test against a real cluster",
                              description=__doc__,
                              formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--db", required=True, choices=DBS.names())
    p.add_argument("--workload", default=DEFAULT_WORKLOAD, choices=WORKLOADS.names())
    p.add_argument("--seed", type=int, default=None, metavar="N",
                   help="random seed (default: drawn, recorded in test.json)")
    p.add_argument("--read-mode", default=None, help="; ".join(
        f"{db.name}: {_with_default(db.read_modes)}" for db in DBS))
    p.add_argument("--transport", "--etcd-transport", dest="transport", default=None,
                   help="how clients talk to the db: " + "; ".join(
                       f"{db.name}: {_with_default(db.transports)}" for db in DBS)
                   + " (see docs/clients.md)")
    p.add_argument("--nemesis", default="none", metavar="FAULTS",
                   help=f"none, or a comma-separated subset of {','.join(FAULTS.names())}")
    p.add_argument("--backend", default=DEFAULT_BACKEND, choices=BACKENDS.names(),
                   help="where the cluster runs (default %(default)s)")
    for option in RUN_OPTIONS:
        _add_option(p, option)
    for option in workload_options().values():
        users = [w.name for w in WORKLOADS if option.name in {o.name for o in w.options}]
        _add_option(p, option, f"; workload {', '.join(users)}")
    p.set_defaults(func=run)


def _with_default(choices: tuple[str, ...]) -> str:
    return " | ".join(f"{c} (default)" if i == 0 else c for i, c in enumerate(choices))


def _add_option(parser: argparse.ArgumentParser, option: Option, applies: str = "") -> None:
    """A flag for ``option``; its default stays None so the spec knows what was given."""
    if option.kind is bool:
        parser.add_argument(option.flag, dest=option.name, action="store_true", default=None,
                            help=option.help + applies)
        return
    parser.add_argument(option.flag, dest=option.name, type=option.kind, default=None,
                        choices=option.choices, metavar=option.metavar,
                        help=f"{option.help} (default {option.default}{applies})")


def options_from_args(args: argparse.Namespace) -> dict:
    """The options given on the command line (None for those left to their defaults)."""
    names = ("db", "workload", "seed", "read_mode", "transport", "nemesis", "backend",
             *(o.name for o in RUN_OPTIONS), *workload_options())
    return {name: getattr(args, name) for name in names}


def run(args: argparse.Namespace) -> int:
    from faultline.render import summary_lines
    from faultline.runner.run import run_test  # after validation: keep `--help` and errors fast

    plan = build_test(options_from_args(args))
    outcome = run_test(plan, progress=sys.stderr.isatty())
    for line in summary_lines(outcome.results, outcome.run.read_history(), name=plan.name):
        print(line)
    print(outcome.run.report_path)  # last: scripts read the report's path from there
    return outcome.exit_code
