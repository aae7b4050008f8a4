"""``faultline analyze RUN_DIR``: check a stored run again (after a checker improved, or a
run whose check never finished), rewriting its results.json and report.html. The history
is only read. Prints a summary (verdict, op counts, throughput, faults applied, the first
anomaly) and the report's path last; exits 0 valid, 1 invalid, 2 unknown, 254 when
RUN_DIR is not a readable run directory or its history is malformed.

A run whose harness was killed may leave a torn last line in history.jsonl: it is dropped,
said on stderr, and the results say they were checked on an incomplete history
(``"incomplete_history"`` in results.json, shown on the report)."""

from __future__ import annotations

import argparse
import sys


def add_parser(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser("analyze", help="re-check a stored run directory",
                              description=__doc__)
    p.add_argument("run_dir", metavar="RUN_DIR", help="e.g. results/latest")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from faultline.core.store import HISTORY, RunDir
    from faultline.render import summary_lines
    from faultline.runner.run import check_history, exit_code_for, write_outputs
    from faultline.workloads import WORKLOADS

    stored = RunDir.open(args.run_dir)
    spec = stored.read_test()
    history = stored.read_history()
    results = check_history(WORKLOADS.get(spec.get("workload")), spec, history)
    if history.torn_line is not None:
        reason = (f"the last line ({history.torn_line}) of {HISTORY} was cut short, "
                  f"the harness having died mid-write; it was dropped")
        print(f"{stored.file(HISTORY)}:{history.torn_line}: torn last line dropped: "
              f"checked an incomplete history", file=sys.stderr)
        results["incomplete_history"] = {"torn_line": history.torn_line, "reason": reason}
    write_outputs(stored, spec, history, results)
    for line in summary_lines(results, history, name=spec.get("name")):
        print(line)
    print(stored.report_path)  # last: scripts read the report's path from there
    return exit_code_for(results["valid"])
