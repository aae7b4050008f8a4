"""``faultline report [RESULTS_DIR]``: rewrite the runs index (``RESULTS_DIR/index.html``,
default ``results``) from the runs' summaries, and print its path. Every run rewrites it
too; this is for a results directory that was copied, pruned or merged. Exit 0, or 254
when RESULTS_DIR is not a directory."""

from __future__ import annotations

import argparse
import os

from faultline.core.errors import BadInputError


def add_parser(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser("report", help="rewrite the runs index of a results directory",
                              description=__doc__)
    p.add_argument("results_dir", metavar="RESULTS_DIR", nargs="?", default="results")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from faultline.render import write_index

    if not os.path.isdir(args.results_dir):
        raise BadInputError(f"{args.results_dir}: not a directory")
    print(write_index(args.results_dir))
    return 0
