"""``faultline images build|status``: the node images (see docs/cluster.md).

build: makes debian:bookworm-slim with debootstrap when it is missing, then builds each
selected image that is missing or stale (its compose/ sources changed since it was built);
``--force`` rebuilds current images too (the layer cache still applies).
status: one line per image: current | stale | missing, size, creation time.
"""

from __future__ import annotations

import argparse

from faultline.backends.compose import images
from faultline.backends.compose.cluster import docker_client


def add_parser(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("images", help="build or inspect the node images")
    actions = parser.add_subparsers(dest="action", metavar="ACTION")
    actions.required = True
    build = actions.add_parser("build", help="build missing or stale images")
    build.add_argument("--db", action="append", choices=sorted(images.IMAGES),
                       help="image to build (repeatable; default: all)")
    build.add_argument("--force", action="store_true", help="rebuild even current images")
    build.set_defaults(func=run_build)
    status = actions.add_parser("status", help="show which images are built and current")
    status.set_defaults(func=run_status)


def _say(message: str) -> None:
    print(f"faultline: {message}", flush=True)


def run_build(args: argparse.Namespace) -> int:
    client = docker_client()
    root = images.compose_dir()
    base_seconds = images.ensure_base(client, root, _say)
    if base_seconds is not None:
        _say(f"built {images.BASE_IMAGE} in {base_seconds:.0f} s")
    for spec in images.select(args.db):
        state = images.image_state(client, spec, root).state
        if state == "current" and not args.force:
            _say(f"{spec.tag} is current")
            continue
        _say(f"building {spec.tag} ({state})")
        seconds = images.build(spec, root)
        _say(f"built {spec.tag} in {seconds:.0f} s")
    return 0


def run_status(args: argparse.Namespace) -> int:
    client = docker_client()
    root = images.compose_dir()
    base = "present" if images.base_present(client) else "missing"
    print(f"{images.BASE_IMAGE:28} {base}")
    for spec in images.IMAGES.values():
        s = images.image_state(client, spec, root)
        size = f"{s.size_mb:.0f} MB" if s.size_mb is not None else ""
        print(f"{spec.tag:28} {s.state:8} {size:>8}  {(s.created or '')[:19]}")
    return 0
