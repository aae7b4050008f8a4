"""``faultline check PATH...``: decide whether recorded histories are linearizable, or, for
transactional histories, which isolation anomalies they show.

Each file is loaded by :func:`faultline.checkers.importers.load_history` (format and model inferred
from the content unless ``--format``/``--model`` say otherwise; a malformed history, a torn
tail unless ``--allow-torn-tail``, or an op the model does not know is refused) and checked by
:func:`faultline.checkers.linearizable.check_linearizable`; a history of list-append or
rw-register transactions (Elle's EDN, our JSONL with ``f`` ``txn``) without ``--model`` is
checked by :func:`faultline.checkers.elle.check_elle` against ``--consistency-model``.
A history of one of our runs (``history.jsonl`` beside a ``test.json`` naming its
workload) is checked by that workload's checker, with the run's options, as ``faultline
analyze`` does (without rewriting the run's files): a set run by set-full, a transactional
one against the models its db promises; ``--model`` checks it for linearizability instead.
Every file is checked, even after a bad one, and gets one line of output (one JSON object
per line with ``--json``; for transactions, one more line per anomaly type).

Exit code over all files, most severe first: 255 if checking any file crashed (a bug);
254 if any file could not be read or parsed, or an argument is wrong (the set of verdicts
is incomplete, so no overall verdict is given); else 1 if any history is invalid, 2 if any
is unknown, 0 when all are valid.
"""

from __future__ import annotations

import argparse
import json
import logging
import math
import textwrap
import traceback
from typing import Any

from faultline.checkers.elle import DEFAULT_MODELS, check_elle, workload_of
from faultline.checkers.elle.consistency import canonical_model
from faultline.checkers.importers import FORMATS, load_history
from faultline.checkers.importers.jsonl import parse as parse_jsonl, run_spec
from faultline.checkers.importers.infer import (
    FROM_ARGUMENT, check_functions, is_inferred, is_transactional,
)
from faultline.checkers.linearizable import check_linearizable
from faultline.checkers.models import MODEL_NAMES, get_model
from faultline.core.history import read_text
from faultline.core.result import UNKNOWN, Result
from faultline.core.errors import (
    EXIT_BAD_INPUT, EXIT_INTERNAL, EXIT_INVALID, EXIT_UNKNOWN, EXIT_VALID, BadInputError,
)
from faultline.core.op import INVOKE, NEMESIS
from faultline.render.counterexample import counterexample_text
from faultline.render.summary import first_anomaly
from faultline.workloads import WORKLOADS

log = logging.getLogger(__name__)
_COUNTEREXAMPLE_OPS = 5  # ops of the prefix and of the concurrent ones shown in text mode
_ABSENT = object()  # --initial not given (``--initial null`` means None)


def add_parser(subparsers: Any) -> None:
    p = subparsers.add_parser(
        "check", help="check history files for linearizability (transactions: anomalies)",
        description="Check recorded histories (ours or imported) for linearizability; "
                    "histories of list-append or rw-register transactions for the anomalies "
                    "a consistency model forbids (Elle-style). "
                    "Exit: 0 all valid, 1 any invalid, 2 any unknown, 254 bad arguments or "
                    "unreadable input, 255 internal error.",
    )
    p.add_argument("paths", nargs="+", metavar="PATH", help="history files")
    p.add_argument("--format", default="auto", choices=("auto",) + FORMATS,
                   help="input format (default: recognised from the content)")
    p.add_argument("--model", choices=MODEL_NAMES,
                   help="model to check against (default: the one the source implies)")
    p.add_argument("--initial", metavar="JSON", type=_json_arg, default=_ABSENT,
                   help="initial value for the model, as JSON (e.g. 0, null, '{\"x\": 0}')")
    p.add_argument("--consistency-model", metavar="NAME", action="append", type=_names,
                   help="transactional histories: a model they must satisfy (repeatable, or "
                        "a comma list; default " + ", ".join(DEFAULT_MODELS) + ")")
    p.add_argument("--time-limit", metavar="S", type=_positive(float),
                   help="seconds per file; past it the verdict is unknown")
    p.add_argument("--memory-limit", metavar="MB", type=_positive(int),
                   help="search memory per file in MiB; past it the verdict is unknown")
    p.add_argument("--full", action="store_true",
                   help="decide every key, even after one proves the history invalid")
    p.add_argument("--allow-torn-tail", action="store_true",
                   help="drop a last line cut short (a killed writer) instead of refusing "
                        "the file; the output says so")
    p.add_argument("--json", action="store_true", help="one JSON object per file per line")
    p.set_defaults(func=run)


def _json_arg(text: str) -> Any:
    try:
        return json.loads(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not JSON: {text!r} (strings need quotes: '\"a\"')")


def _names(text: str) -> list[str]:
    names = [n.strip() for n in text.split(",") if n.strip()]
    if not names:
        raise argparse.ArgumentTypeError(f"no model named in {text!r}")
    return names


def _positive(kind: type) -> Any:
    def parse(text: str) -> Any:
        try:
            value = kind(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"not a number: {text!r}") from None
        if not value > 0 or (isinstance(value, float) and math.isinf(value)):
            raise argparse.ArgumentTypeError(f"must be a positive number, got {text!r}")
        return value
    return parse


def run(args: argparse.Namespace) -> int:
    # Validate models and options once, before any file: a wrong argument is not per file.
    if args.model is not None:
        get_model(args.model, **_initial_option(args))
    for name in _consistency_models(args) or ():
        canonical_model(name)
    codes = []
    for path in args.paths:
        record, code = _check_one(path, args)
        codes.append(code)
        _emit(record, args.json)
    return _overall(codes)


def _consistency_models(args: argparse.Namespace) -> list[str] | None:
    given = getattr(args, "consistency_model", None)
    return None if not given else [n for names in given for n in names]


def _initial_option(args: argparse.Namespace) -> dict[str, Any]:
    return {} if args.initial is _ABSENT else {"initial": args.initial}


def _check_one(path: str, args: argparse.Namespace) -> tuple[dict[str, Any], int]:
    record: dict[str, Any] = {"path": path}
    try:
        spec = _run_of(path, args)
        if spec is not None:
            return _check_run_history(path, spec, args, record)
        imported = load_history(path, args.format, allow_torn_tail=args.allow_torn_tail)
        record["format"] = imported.format
        if imported.history.torn_line is not None:
            record["torn_line"] = imported.history.torn_line
        if args.model is not None:
            check_functions(path, imported.history, imported.lines, args.model)
            name, options, source = args.model, _initial_option(args), FROM_ARGUMENT
        else:
            name, options = imported.model_name, {**imported.model_options,
                                                  **_initial_option(args)}
            source = imported.model_from
        record.update(model=name, model_from=source, model_inferred=is_inferred(source))
        record["ops"] = sum(1 for op in imported.history
                            if op.type == INVOKE and op.process != NEMESIS)
        transactional = name is None and is_transactional(imported.history)
        if _consistency_models(args) and not transactional:
            raise BadInputError(f"{path}: --consistency-model is for transactional histories; "
                                "this one is checked for linearizability")
        if transactional:
            result = check_elle(imported.history, workload=workload_of(imported.history),
                                models=_consistency_models(args), time_limit=args.time_limit)
            record["ops"] = result.data["stats"]["txns"]
        elif name is None:
            result = Result(UNKNOWN, {"time_s": 0.0}, error=(
                f"no linearizability model for {imported.format} histories; pass --model"))
        else:
            model = imported.model_for(name, options)
            result = check_linearizable(
                imported.history, model, time_limit=args.time_limit,
                memory_limit_mb=args.memory_limit, full=args.full,
            )
    except BadInputError as e:
        record.update(valid=None, error=str(e))
        return record, EXIT_BAD_INPUT
    except Exception as e:  # noqa: BLE001 - one file's crash must not hide the others
        log.debug("checking %s crashed", path, exc_info=True)
        if getattr(args, "debug", False):
            traceback.print_exc()
        record.update(valid=None, error=f"internal error: {type(e).__name__}: {e}")
        return record, EXIT_INTERNAL
    return _finish(record, result, imported.lines)


def _finish(record: dict[str, Any], result: Result, lines: tuple[int | None, ...]
            ) -> tuple[dict[str, Any], int]:
    """The record with the result in it (counterexample ops given their source lines),
    and the file's exit code."""
    record.update(result.to_dict())
    if lines:
        for cx in _counterexamples(record):
            _add_source_lines(cx, lines)
    if result.valid is True:
        return record, EXIT_VALID
    return record, EXIT_INVALID if result.valid is False else EXIT_UNKNOWN


def _run_of(path: str, args: argparse.Namespace) -> dict[str, Any] | None:
    """The test.json of the run that recorded ``path`` (our JSONL beside a test.json naming
    a known workload), unless ``--model`` or ``--format`` asks for another reading."""
    if args.model is not None or args.format not in ("auto", "jsonl"):
        return None
    spec = run_spec(path)
    workload = spec.get("workload") if spec is not None else None
    return spec if isinstance(workload, str) and workload in WORKLOADS else None


def _check_run_history(path: str, spec: dict[str, Any], args: argparse.Namespace,
                       record: dict[str, Any]) -> tuple[dict[str, Any], int]:
    """A run's history, checked by the run's own workload checker (as ``faultline
    analyze`` does, without rewriting the run's files)."""
    workload = WORKLOADS.get(spec["workload"])
    models = _consistency_models(args)
    if models:
        if not any(o.name == "consistency_models" for o in workload.options):
            raise BadInputError(f"{path}: --consistency-model is for transactional "
                                f"histories; this {workload.name} run's is not one")
        spec = {**spec, "consistency_models": ",".join(models)}
    history, lines = parse_jsonl(path, read_text(path), allow_torn_tail=args.allow_torn_tail)
    record.update(format="jsonl", checker=f"{workload.name} workload (the run's test.json)",
                  ops=sum(1 for op in history if op.type == INVOKE and op.process != NEMESIS))
    if history.torn_line is not None:
        record["torn_line"] = history.torn_line
    opts = {"time_limit": args.time_limit, "memory_limit_mb": args.memory_limit,
            "full": args.full}
    result = workload.checker(spec).check(spec, history, opts)  # a crash: exit 255, as below
    return _finish(record, result, lines)


def _counterexamples(record: dict[str, Any]) -> list[dict[str, Any]]:
    """Every counterexample in a record: the first illegal key's, and with --full each
    illegal key's (the same dict may appear twice; it is returned once)."""
    found = [record.get("counterexample")]
    keys = record.get("keys")
    if isinstance(keys, dict):
        found += [k.get("counterexample") for k in keys.values() if isinstance(k, dict)]
    unique = {id(cx): cx for cx in found if isinstance(cx, dict)}
    return list(unique.values())


def _add_source_lines(cx: dict[str, Any], lines: tuple[int | None, ...]) -> None:
    """Give each op of the counterexample the source lines of its invocation and
    completion, so that a person can find them in the file they gave us."""
    entries = [cx.get("op")] + list(cx.get("prefix") or []) + list(cx.get("concurrent") or [])
    for entry in entries:
        if not isinstance(entry, dict):
            continue
        span = [entry.get("index"), entry.get("completed")]
        entry["lines"] = [lines[i] if isinstance(i, int) and 0 <= i < len(lines) else None
                          for i in span]


def _overall(codes: list[int]) -> int:
    for code in (EXIT_INTERNAL, EXIT_BAD_INPUT, EXIT_INVALID, EXIT_UNKNOWN):
        if code in codes:
            return code
    return EXIT_VALID


def _emit(record: dict[str, Any], as_json: bool) -> None:
    if as_json:
        print(json.dumps(record, default=repr), flush=True)
        return
    print(_summary(record), flush=True)
    if record.get("kind") == "elle":
        print(_elle_lines(record), flush=True)
    elif record.get("valid") is False and not record.get("counterexample") and \
            record.get("checker"):
        found = first_anomaly({"workload": record})
        if found is not None:
            print(f"    {found[1]}", flush=True)
    elif record.get("valid") is False and record.get("counterexample"):
        text = counterexample_text(record["counterexample"], ops_shown=_COUNTEREXAMPLE_OPS)
        print(textwrap.indent(text, "    "))
        illegal = [k for k, r in (record.get("keys") or {}).items()
                   if isinstance(r, dict) and r.get("valid") is False]
        if len(illegal) > 1:
            print(f"    {len(illegal)} keys are not linearizable: {', '.join(illegal)}"
                  " (--json has every counterexample)")


def _summary(record: dict[str, Any]) -> str:
    verdict = {True: "valid", False: "INVALID", UNKNOWN: "unknown"}.get(
        record.get("valid"), "ERROR")
    if verdict == "ERROR":
        return f"{record['path']}: ERROR {record['error']}"
    model = record.get("model")
    inferred = " (inferred from its ops)" if record.get("model_from") == "functions" else ""
    if record.get("checker"):
        details = [record.get("format"), record["checker"], f"{record.get('ops')} ops"]
    elif record.get("kind") == "elle":
        details = [record.get("format"), record.get("workload"),
                   f"models {', '.join(record.get('models') or ['none'])}",
                   f"{record.get('ops')} txns"]
    else:
        details = [record.get("format"), f"model {model}{inferred}" if model else "no model",
                   f"{record.get('ops')} ops"]
    if record.get("time_s") is not None:
        details.append(f"{record['time_s']:.3f} s")
    line = f"{record['path']}: {verdict} ({', '.join(str(d) for d in details)})"
    if record.get("torn_line") is not None:
        line += f" [torn last line {record['torn_line']} dropped: checked an incomplete history]"
    why = record.get("reason") or record.get("error")
    if verdict == "unknown" and why:
        line += f": {why}"
    return line


def _elle_lines(record: dict[str, Any]) -> str:
    """Under the verdict: one line per anomaly type with the first one's explanation, and
    the models ruled out."""
    lines = []
    counts = (record.get("stats") or {}).get("counts") or {}
    for kind in record.get("anomaly_types") or []:
        first = (record.get("anomalies") or {}).get(kind) or [{}]
        more = counts.get(kind, 1) - 1
        extra = f" (+{more} more)" if more > 0 else ""
        lines.append(f"    {kind}{extra}: {first[0].get('explanation', '')}")
    if record.get("unknown"):
        lines.append(f"    not ruled out (search incomplete): {', '.join(record['unknown'])}")
    if record.get("not"):
        lines.append(f"    ruled out: {', '.join(record['not'])}; strongest not ruled out: "
                     f"{', '.join(record.get('strongest_not_ruled_out') or ['none'])}")
    return "\n".join(lines) if lines else "    no anomaly found"
