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
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

import docker
import docker.errors

from faultline.core.errors import BadInputError, PreflightError

BASE_IMAGE = "debian:bookworm-slim"
SOURCE_LABEL = "org.faultline.sources"


@dataclass(frozen=True)
class ImageSpec:
    """One buildable image: its tag, Dockerfile (relative to compose/) and the compose/
    subdirectories whose files it COPYs (they make up its source hash)."""

    name: str
    tag: str
    dockerfile: str
    sources: tuple[str, ...]


IMAGES: dict[str, ImageSpec] = {
    "etcd": ImageSpec("etcd", "faultline/etcd:3.4", "etcd/Dockerfile", ("common", "etcd")),
    "zookeeper": ImageSpec(
        "zookeeper", "faultline/zookeeper:3.8", "zookeeper/Dockerfile", ("common", "zookeeper")),
    # etcd built from Debian's Go sources with a wall-clock offset (clock faults on etcd);
    # compiling takes minutes, see docs/faults-clock-packet.md.
    "etcd-clock": ImageSpec(
        "etcd-clock", "faultline/etcd-clock:3.4", "etcd-clock/Dockerfile",
        ("common", "etcd", "etcd-clock")),
}


def by_tag(tag: str) -> ImageSpec | None:
    """The spec of the image tagged ``tag``; None for an image faultline does not build."""
    return next((spec for spec in IMAGES.values() if spec.tag == tag), None)


def compose_dir() -> Path:
    """The compose/ directory: $FAULTLINE_COMPOSE_DIR, else the one beside the harness package."""
    configured = os.environ.get("FAULTLINE_COMPOSE_DIR")
    path = Path(configured) if configured else Path(__file__).resolve().parents[3] / "compose"
    if not (path / "base" / "build-base.sh").is_file():
        raise PreflightError(
            f"compose directory not found at {path}: run from a faultline checkout "
            "or set FAULTLINE_COMPOSE_DIR")
    return path


def select(names: list[str] | None) -> list[ImageSpec]:
    if not names:
        return list(IMAGES.values())
    unknown = [n for n in names if n not in IMAGES]
    if unknown:
        raise BadInputError(f"unknown image {unknown[0]!r}: choose from {', '.join(IMAGES)}")
    return [IMAGES[n] for n in names]


def source_hash(spec: ImageSpec, root: Path) -> str:
    """sha256 over the relative paths and contents of the image's source files."""
    digest = hashlib.sha256()
    for sub in spec.sources:
        for path in sorted((root / sub).rglob("*")):
            if path.is_file():
                digest.update(str(path.relative_to(root)).encode() + b"\0")
                digest.update(path.read_bytes() + b"\0")
    return digest.hexdigest()[:16]


@dataclass(frozen=True)
class ImageState:
    spec: ImageSpec
    state: str             # "current" | "stale" | "missing"
    size_mb: float | None
    created: str | None


def image_state(client: docker.DockerClient, spec: ImageSpec, root: Path) -> ImageState:
    try:
        image = client.images.get(spec.tag)
    except docker.errors.ImageNotFound:
        return ImageState(spec, "missing", None, None)
    built_from = (image.labels or {}).get(SOURCE_LABEL)
    state = "current" if built_from == source_hash(spec, root) else "stale"
    return ImageState(spec, state, image.attrs.get("Size", 0) / 1e6, image.attrs.get("Created"))


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


def build(spec: ImageSpec, root: Path) -> float:
    """``docker build`` one image, its output streamed to the terminal; returns seconds."""
    argv = ["docker", "build", "-t", spec.tag, "-f", str(root / spec.dockerfile),
            "--label", f"{SOURCE_LABEL}={source_hash(spec, root)}", str(root)]
    return _run_streaming(argv, f"building {spec.tag}")


def _run_streaming(argv: list[str], what: str) -> float:
    start = time.monotonic()
    try:
        code = subprocess.run(argv).returncode
    except OSError as e:
        raise PreflightError(f"{what}: cannot run {argv[0]}: {e.strerror or e}") from None
    if code != 0:
        raise PreflightError(f"{what} failed (exit {code}); see the output above")
    return time.monotonic() - start
