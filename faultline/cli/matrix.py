"""``faultline matrix FILE``: run a matrix of tests (TOML: a list and/or products of test
specs, docs/matrix.md) in order, one cluster per db reused where the specs allow,
continuing past failures. Prints a line per entry as it finishes, then writes a summary
(JSON) and a JUnit XML file (one test case per entry; the run directory, seed and
verdict as properties).

Exit codes: the worst entry's: 1 invalid > 254 an entry could not run (preflight) >
2 unknown > 0 valid; 254 before anything runs when an entry is bad (the message names
it); 130 interrupted (the running entry and every cluster cleaned up, the summaries
written with the entries so far, the interrupted one "unknown").
"""

from __future__ import annotations

import argparse
import os
import sys

from faultline.core.files import write_atomically


def add_parser(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser("matrix", help="run a matrix of tests from a TOML file",
                              description=__doc__,
                              formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("file", metavar="FILE", help="the matrix (TOML)")
    p.add_argument("--summary", metavar="PATH", default=None,
                   help="the JSON summary (default <results>/<FILE stem>.matrix.json, "
                        "<results> being the first entry's results directory)")
    p.add_argument("--junit", metavar="PATH", default=None,
                   help="the JUnit XML file (default <results>/<FILE stem>.junit.xml)")
    p.set_defaults(func=run)


def _line(result, total: int) -> None:
    took = f"{result.duration_s:.1f} s"
    where = result.run_dir or result.error or ""
    print(f"[{result.entry.index}/{total}] {result.entry.plan.name:<32} "
          f"{result.verdict.upper():<8} {took:>8}  {where}", flush=True)


def run(args: argparse.Namespace) -> int:
    import json

    from faultline.runner.matrix import junit_xml, load_matrix, run_matrix, summary

    entries = load_matrix(args.file)  # every entry validated before any runs
    stem = os.path.splitext(os.path.basename(args.file))[0]
    root = entries[0].plan.spec["results"]
    summary_path = args.summary or os.path.join(root, f"{stem}.matrix.json")
    junit_path = args.junit or os.path.join(root, f"{stem}.junit.xml")
    print(f"{len(entries)} entries from {args.file}", flush=True)

    def write(outcome) -> None:
        for path, text in ((summary_path, json.dumps(summary(outcome, args.file), indent=2,
                                                     default=repr) + "\n"),
                           (junit_path, junit_xml(outcome, stem))):
            os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
            write_atomically(path, text)
        print(f"summary: {summary_path}\njunit: {junit_path}", flush=True)

    try:
        outcome = run_matrix(entries, say=_line)
    except KeyboardInterrupt as e:
        partial = getattr(e, "outcome", None)
        if partial is not None:
            write(partial)
        raise
    write(outcome)
    print(f"exit {outcome.exit_code}", file=sys.stderr)
    return outcome.exit_code
