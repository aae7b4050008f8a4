"""The node images: what they are, whether they are built and current, and building them.

Every image builds from ``compose/`` (the build context) with ``compose/<dir>/Dockerfile``
on top of ``debian:bookworm-slim``; where that base cannot be pulled,
``compose/base/build-base.sh`` makes it with debootstrap. Each built image carries a label
with a hash of its source files, so ``status`` can tell a stale image (built from older
files) from a current one, and ``build`` rebuilds stale images by itself.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import time
from pathlib import Path
from typing import Callable, Sequence

import docker
import docker.errors

from faultline.backends.compose.daemon import docker_client
from faultline.backends.protocol import ImageStatus
from faultline.core.errors import BadInputError, PreflightError
from faultline.dbs import DBS, DEFAULT_IMAGE, Image

BASE_IMAGE = "debian:bookworm-slim"
SOURCE_LABEL = "org.faultline.sources"


def table() -> dict[str, Image]:
    """Every registered db's images by name: first each db's default image, then the others
    (the clock builds, which compile for minutes)."""
    dbs = DBS.values()
    ordered = [db.images[DEFAULT_IMAGE] for db in dbs]
    ordered += [image for db in dbs for role, image in db.images.items() if role != DEFAULT_IMAGE]
    return {image.name: image for image in ordered}


def by_tag(tag: str) -> Image | None:
    """The image tagged ``tag``; None for an image faultline does not build."""
    return next((image for image in table().values() if image.tag == tag), None)


def compose_dir() -> Path:
    """The compose/ directory: $FAULTLINE_COMPOSE_DIR, else the one beside the harness package."""
    configured = os.environ.get("FAULTLINE_COMPOSE_DIR")
    path = Path(configured) if configured else Path(__file__).resolve().parents[3] / "compose"
    if not (path / "base" / "build-base.sh").is_file():
        raise PreflightError(
            f"compose directory not found at {path}: run from a faultline checkout "
            "or set FAULTLINE_COMPOSE_DIR")
    return path


def select(names: Sequence[str] | None) -> list[Image]:
    images = table()
    if not names:
        return list(images.values())
    unknown = [n for n in names if n not in images]
    if unknown:
        raise BadInputError(f"unknown image {unknown[0]!r}: choose from {', '.join(images)}")
    return [images[n] for n in names]


def source_hash(image: Image, root: Path) -> str:
    """sha256 over the relative paths and contents of the image's source files."""
    digest = hashlib.sha256()
    for sub in image.sources:
        for path in sorted((root / sub).rglob("*")):
            if path.is_file():
                digest.update(str(path.relative_to(root)).encode() + b"\0")
                digest.update(path.read_bytes() + b"\0")
    return digest.hexdigest()[:16]


def image_state(client: docker.DockerClient, image: Image, root: Path) -> ImageStatus:
    try:
        built = client.images.get(image.tag)
    except docker.errors.ImageNotFound:
        return ImageStatus(image, "missing", None, None)
    built_from = (built.labels or {}).get(SOURCE_LABEL)
    state = "current" if built_from == source_hash(image, root) else "stale"
    return ImageStatus(image, state, built.attrs.get("Size", 0) / 1e6, built.attrs.get("Created"))


def statuses(client: docker.DockerClient | None = None) -> list[ImageStatus]:
    """Every image of :func:`table`: current, stale or missing."""
    client = client or docker_client()
    root = compose_dir()
    return [image_state(client, image, root) for image in table().values()]


def base_present(client: docker.DockerClient) -> bool:
    try:
        client.images.get(BASE_IMAGE)
        return True
    except docker.errors.ImageNotFound:
        return False


Progress = Callable[[str], None]


def ensure_base(client: docker.DockerClient, root: Path, say: Progress) -> float | None:
    """Build the base image with debootstrap if it is missing; returns seconds or None."""
    if base_present(client):
        return None
    if shutil.which("debootstrap") is None:
        raise PreflightError(
            f"{BASE_IMAGE} is missing and debootstrap is not installed: "
            "apt-get install debootstrap (or docker pull debian:bookworm-slim)")
    say(f"building {BASE_IMAGE} with debootstrap (a few minutes)")
    return _run_streaming(["bash", str(root / "base" / "build-base.sh"), BASE_IMAGE],
                          f"building {BASE_IMAGE}")


def build(image: Image, root: Path) -> float:
    """``docker build`` one image, its output streamed to the terminal; returns seconds."""
    argv = ["docker", "build", "-t", image.tag, "-f", str(root / image.dockerfile),
            "--label", f"{SOURCE_LABEL}={source_hash(image, root)}", str(root)]
    return _run_streaming(argv, f"building {image.tag}")


def build_missing(names: Sequence[str] | None, *, force: bool, say: Progress) -> None:
    """Build the base image if it is missing, then each selected image (default: all) that
    is missing or stale, or every one with ``force``; ``say`` reports progress."""
    client = docker_client()
    root = compose_dir()
    base_seconds = ensure_base(client, root, say)
    if base_seconds is not None:
        say(f"built {BASE_IMAGE} in {base_seconds:.0f} s")
    for image in select(names):
        state = image_state(client, image, root).state
        if state == "current" and not force:
            say(f"{image.tag} is current")
            continue
        say(f"building {image.tag} ({state})")
        seconds = build(image, root)
        say(f"built {image.tag} in {seconds:.0f} s")


def _run_streaming(argv: list[str], what: str) -> float:
    start = time.monotonic()
    try:
        code = subprocess.run(argv).returncode
    except OSError as e:
        raise PreflightError(f"{what}: cannot run {argv[0]}: {e.strerror or e}") from None
    if code != 0:
        raise PreflightError(f"{what} failed (exit {code}); see the output above")
    return time.monotonic() - start
