"""Writing run files so that a crash never leaves half of one."""

from __future__ import annotations

import os


def write_atomically(path: str | os.PathLike, text: str) -> None:
    """Replace ``path`` with ``text``: written to a temp file, fsynced, then renamed over it,
    so readers see the old content or the new, never a torn file."""
    path = os.fspath(path)
    tmp = f"{path}.tmp.{os.getpid()}"
    with open(tmp, "w", encoding="utf-8") as fh:
        fh.write(text)
        fh.flush()
        os.fsync(fh.fileno())
    os.replace(tmp, path)
