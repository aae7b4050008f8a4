"""The ``faultline`` command line.

Each subcommand lives in its own module under :mod:`faultline.cli` and exposes
``add_parser(subparsers)`` (which must set ``func`` to a ``run(args) -> int``).
Errors map to exit codes (see :mod:`faultline.core.errors`): a :class:`FaultlineError` prints one
line and exits with its code; anything else is an internal error (255) with a traceback
in ``--debug`` mode.
"""

from __future__ import annotations

import argparse
import importlib
import logging
import os
import sys
import traceback

from faultline.core.errors import EXIT_BAD_INPUT, EXIT_INTERNAL, FaultlineError

COMMANDS = ("test", "matrix", "scenario", "check", "analyze", "report", "cluster", "images")


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> None:  # argparse exits 2, which means "unknown" here
        self.print_usage(sys.stderr)
        print(f"faultline: error: {message}", file=sys.stderr)
        sys.exit(EXIT_BAD_INPUT)


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="faultline", description="Consistency tests for ZooKeeper and etcd.")
    parser.add_argument("--debug", action="store_true", help="show tracebacks for internal errors")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    sub.required = True
    for name in COMMANDS:
        importlib.import_module(f"faultline.cli.{name}").add_parser(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    try:
        return int(args.func(args))
    except FaultlineError as e:
        print(f"faultline: {e}", file=sys.stderr)
        return e.exit_code
    except KeyboardInterrupt:
        print("faultline: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:
        # The reader went away (`faultline ... | head`): stop quietly, as other tools do.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 141
    except Exception as e:  # noqa: BLE001 - last resort: internal error, exit 255
        if args.debug:
            traceback.print_exc()
        print(f"faultline: internal error: {type(e).__name__}: {e}", file=sys.stderr)
        return EXIT_INTERNAL


if __name__ == "__main__":
    sys.exit(main())
