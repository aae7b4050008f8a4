#!/usr/bin/env bash
# Build a minimal Debian bookworm image from Debian's packages and tag it
# debian:bookworm-slim, so the Dockerfiles' `FROM debian:bookworm-slim` works on machines
# that cannot pull from an image registry. Where the registry is reachable, a pulled
# debian:bookworm-slim does the same job and this script is not needed.
set -euo pipefail
TAG="${1:-debian:bookworm-slim}"
MIRROR="${DEBIAN_MIRROR:-http://deb.debian.org/debian}"
if docker image inspect "$TAG" >/dev/null 2>&1; then
  echo "base image $TAG already present"
  exit 0
fi
command -v debootstrap >/dev/null || { echo "debootstrap is missing: apt-get install debootstrap" >&2; exit 1; }
ROOT="$(mktemp -d /tmp/faultline-rootfs.XXXXXX)"
trap 'rm -rf "$ROOT"' EXIT
debootstrap --variant=minbase bookworm "$ROOT" "$MIRROR"
# Same sources as the official image, so `apt-get install` works in Dockerfiles.
cat > "$ROOT/etc/apt/sources.list" <<SOURCES
deb $MIRROR bookworm main
deb $MIRROR bookworm-updates main
deb http://deb.debian.org/debian-security bookworm-security main
SOURCES
chroot "$ROOT" apt-get clean
rm -rf "$ROOT"/var/lib/apt/lists/* "$ROOT"/var/cache/apt/*.bin
tar -C "$ROOT" -c . | docker import --change 'CMD ["/bin/bash"]' - "$TAG"
echo "built $TAG"
