"""``faultline scenario list`` and ``faultline scenario run NAME``: named scenarios, each a
stored test spec with the verdict it must reach (a known positive must be flagged with
the right kind of anomaly, a known negative must pass) and why (docs/scenarios.md).

``run`` runs the scenario ``--runs`` times (clusters reused between runs, as a matrix
does) and prints per run the verdict, the anomaly kinds found and whether the run met the
expectation. Exit codes: 0 when every run met it, 1 when one did not (missed, false
alarm, wrong anomaly, unknown or could not run), 254 for a bad name or option, 130
interrupted.
"""

from __future__ import annotations

import argparse
import sys
import textwrap

WIDTH = 100


def add_parser(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser("scenario", help="list or run the named scenarios",
                              description=__doc__,
                              formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = p.add_subparsers(dest="action", metavar="ACTION", parser_class=type(p))
    sub.required = True
    listing = sub.add_parser("list", help="the scenarios, what each must show and why")
    listing.set_defaults(func=run_list)
    running = sub.add_parser("run", help="run a scenario and compare with its expectation")
    running.add_argument("name", metavar="NAME", help="the scenario (see `faultline scenario list`)")
    running.add_argument("--runs", type=int, default=1, metavar="N", help="runs (default 1)")
    running.add_argument("--seed", type=int, default=None, metavar="S",
                         help="seed of the first run, S+1 the next ... (default: drawn)")
    running.add_argument("--time-limit", type=float, default=None, metavar="S",
                         help="seconds of each run's main phase (default: the scenario's)")
    running.add_argument("--results", default=None, metavar="DIR",
                         help="results directory (default results)")
    running.set_defaults(func=run_run)


def describe(scenario) -> str:
    """``db workload read-mode, faults, N s`` of a scenario's spec."""
    o = scenario.options
    faults = str(o.get("nemesis") or "none").replace(",", "+")
    mode = f" {o['read_mode']}" if o.get("read_mode") else ""
    return f"{o['db']} {o.get('workload', 'register')}{mode}, {faults}, {o.get('time_limit', 30):g} s"


def list_lines() -> list[str]:
    from faultline.scenarios import NOT_REACHED, SCENARIOS

    lines: list[str] = []
    for s in SCENARIOS:
        must = f"must be flagged ({' or '.join(s.anomalies)})" if s.anomalies else "must pass"
        lines.append(f"{s.name:<42} {s.expect:<8} {describe(s)}")
        lines.append(f"    {must}")
        lines.extend(textwrap.wrap(s.why, WIDTH, initial_indent="    ", subsequent_indent="    "))
        lines.extend(textwrap.wrap(f"ref: {s.reference}", WIDTH, initial_indent="    ",
                                   subsequent_indent="         "))
    if NOT_REACHED:
        lines.append("not in the table yet:")
        lines.extend(f"    {name}: {why}" for name, why in NOT_REACHED.items())
    return lines


def run_list(args: argparse.Namespace) -> int:
    print("\n".join(list_lines()))
    return 0


def run_line(run, total: int) -> str:
    """One line for a finished run: verdict, kinds, the judgement, when, where."""
    j = run.judgement
    when = f", first anomaly at {run.first_anomaly_s:.1f} s" if run.first_anomaly_s is not None \
        else ""
    mark = "met" if j.met else "NOT MET"
    return (f"[{run.entry.entry.index}/{total}] {run.scenario.name} run {run.number} "
            f"seed {run.seed}: {j.verdict.upper()} - {mark}: {j.text}{when} "
            f"({run.entry.duration_s:.0f} s) {run.entry.run_dir or ''}").rstrip()


def run_run(args: argparse.Namespace) -> int:
    from faultline.core.errors import BadInputError
    from faultline.scenarios import BY_NAME, find, run_scenarios

    scenario = find(BY_NAME, args.name)
    if args.runs < 1:
        raise BadInputError(f"--runs must be at least 1, got {args.runs}")
    print(f"{scenario.name}: {describe(scenario)}; {scenario.expect}", flush=True)
    done = run_scenarios([scenario], args.runs, seed=args.seed, time_limit=args.time_limit,
                         results=args.results,
                         say=lambda run, total: print(run_line(run, total), flush=True))
    met = sum(r.judgement.met for r in done)
    if met == len(done):
        print(f"{scenario.name}: {met}/{len(done)} runs met the expectation ({scenario.expect})")
        return 0
    print(f"{scenario.name}: EXPECTATION FAILED: {len(done) - met} of {len(done)} runs did not "
          f"meet it ({scenario.expect})", file=sys.stderr)
    return 1
