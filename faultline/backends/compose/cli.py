"""Which docker compose CLI is installed: ``docker compose`` (v2) or ``docker-compose`` (v1).

Both accept the same commands we use (``-p``, ``-f``, ``up -d``, ``down -v``), so the
difference is only the argv prefix; v2 is preferred when both exist. Detection runs each
candidate's ``version`` subcommand through an injectable ``run`` so it is unit-testable.
"""

from __future__ import annotations

import functools
import re
import subprocess
from dataclasses import dataclass
from typing import Callable, Sequence

from faultline.core.errors import PreflightError

# A runner takes argv and returns (exit code, combined output); it raises OSError when the
# program does not exist.
Runner = Callable[[Sequence[str]], tuple[int, str]]

CANDIDATES: tuple[tuple[str, ...], ...] = (("docker", "compose"), ("docker-compose",))
_VERSION = re.compile(r"version\s+v?(\d+)\.(\d+)(?:\.(\d+))?", re.IGNORECASE)


@dataclass(frozen=True)
class ComposeCLI:
    """A detected compose CLI: ``argv`` prefix and its (major, minor, patch) version."""

    argv: tuple[str, ...]
    version: tuple[int, int, int]

    @property
    def major(self) -> int:
        return self.version[0]

    def command(self, project: str, compose_file: str, *args: str) -> list[str]:
        """Full argv for ``args`` run against one project and compose file."""
        return [*self.argv, "-p", project, "-f", compose_file, *args]


def run_quietly(argv: Sequence[str]) -> tuple[int, str]:
    """Default runner: run argv with a timeout, return (exit code, stdout+stderr)."""
    proc = subprocess.run(
        list(argv), stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, timeout=30
    )
    return proc.returncode, proc.stdout


def parse_version(output: str) -> tuple[int, int, int] | None:
    """The first ``version X.Y[.Z]`` in a ``version`` command's output, or None.

    Handles v1 ("docker-compose version 1.29.2, build ...") and v2
    ("Docker Compose version v2.24.5").
    """
    match = _VERSION.search(output)
    if match is None:
        return None
    major, minor, patch = match.groups()
    return int(major), int(minor), int(patch or 0)


def detect(run: Runner = run_quietly) -> ComposeCLI:
    """The first working candidate, v2 plugin first. Raises PreflightError if none works."""
    tried = []
    for argv in CANDIDATES:
        try:
            code, output = run([*argv, "version"])
        except (OSError, subprocess.SubprocessError) as e:
            tried.append(f"{' '.join(argv)}: {e.__class__.__name__}")
            continue
        version = parse_version(output) if code == 0 else None
        if version is None:
            tried.append(f"{' '.join(argv)}: exit {code}")
            continue
        return ComposeCLI(argv=argv, version=version)
    raise PreflightError(
        "no docker compose CLI found (tried " + "; ".join(tried) + "): install the "
        "docker compose plugin (v2) or docker-compose (v1)"
    )


@functools.cache
def installed() -> ComposeCLI:
    """The compose CLI of this machine, detected once per process (each probe spawns a CLI)."""
    return detect()
