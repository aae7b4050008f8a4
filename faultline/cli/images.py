"""``faultline images build|status``: the node images (see docs/cluster.md).

build: makes debian:bookworm-slim with debootstrap when it is missing, then builds each
selected image that is missing or stale (its compose/ sources changed since it was built);
``--force`` rebuilds current images too (the layer cache still applies).
status: one line per image: current | stale | missing, size, creation time.

The images are every registered db's (:class:`faultline.dbs.protocol.Image`), built for the
compose backend, the one backend that runs them.
"""

from __future__ import annotations

import argparse

from faultline.backends.compose import BACKEND as COMPOSE, images
from faultline.backends.compose.daemon import docker_client


def add_parser(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("images", help="build or inspect the node images")
    actions = parser.add_subparsers(dest="action", metavar="ACTION")
    actions.required = True
    build = actions.add_parser("build", help="build missing or stale images")
    build.add_argument("--db", action="append", choices=sorted(images.table()),
                       help="image to build (repeatable; default: all)")
    build.add_argument("--force", action="store_true", help="rebuild even current images")
    build.set_defaults(func=run_build)
    status = actions.add_parser("status", help="show which images are built and current")
    status.set_defaults(func=run_status)


def _say(message: str) -> None:
    print(f"faultline: {message}", flush=True)


def run_build(args: argparse.Namespace) -> int:
    COMPOSE.build_images(args.db, force=args.force, say=_say)
    return 0


def run_status(args: argparse.Namespace) -> int:
    found = COMPOSE.image_status()
    base = "present" if images.base_present(docker_client()) else "missing"
    print(f"{images.BASE_IMAGE:28} {base}")
    for s in found:
        size = f"{s.size_mb:.0f} MB" if s.size_mb is not None else ""
        print(f"{s.image.tag:28} {s.state:8} {size:>8}  {(s.created or '')[:19]}")
    return 0
