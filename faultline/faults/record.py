"""``faults.json``: the run directory's record of the faults that may be active.

A harness killed with SIGKILL runs no teardown. So every nemesis writes what it is
*about to* do here before doing it, and clears its entry only after the fault is healed.
``faultline cluster heal RUN_DIR`` (and the next ``faultline test`` against the same
leftover cluster) reads the file and undoes whatever it lists (:mod:`faultline.faults.heal`).
An entry that was written but whose fault never got applied costs only a harmless,
idempotent heal.

The file is small JSON, replaced atomically (write, fsync, rename) so a crash mid-write
leaves the previous version::

    {"cluster": {"backend": "compose", "db": "etcd", "name": "faultline-etcd-1a2b",
                 "nodes": ["n1", "n2", "n3"], ...},
     "active": {"partition": {"grudge": {"n1": ["n2", "n3"], ...}},
                "kill": ["n2"], "pause": ["n1"], "clock": {...}, "packet": {...}},
     "updated": "2026-11-24T03:10:11Z"}

``active`` holds one entry per fault kind, in whatever form that kind's heal needs.
"""

from __future__ import annotations

import json
import os
import threading
import time
from typing import Any, Mapping

from faultline.core.files import write_atomically

FILENAME = "faults.json"

CLUSTER_FIELDS = ("backend", "db", "name", "nodes", "image")
"""Cluster attributes recorded so a later process can attach to the same cluster: the
backend that made it (:data:`faultline.backends.BACKENDS`) finds it again by name."""


def cluster_info(cluster: object) -> dict[str, Any]:
    """What the record needs to find ``cluster`` again: its backend, db, name, nodes,
    image (those it has)."""
    info: dict[str, Any] = {}
    for field in CLUSTER_FIELDS:
        value = getattr(cluster, field, None)
        if value is None or callable(value):
            continue
        info[field] = list(value) if field == "nodes" else value
    return info


class FaultRecord:
    """The active faults of one test, mirrored to ``<run_dir>/faults.json``.

    Without a run directory (a nemesis driven directly, in tests) the record is kept in
    memory only. Thread-safe: parts of a composed nemesis may share one record.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._path: str | None = None
        self._cluster: dict[str, Any] = {}
        self._active: dict[str, Any] = {}

    def open(self, cluster: object, run_dir: str | os.PathLike | None) -> None:
        """Bind to ``cluster`` and (when given) ``run_dir``; writes an empty record."""
        with self._lock:
            self._cluster = cluster_info(cluster)
            self._path = os.path.join(os.fspath(run_dir), FILENAME) if run_dir else None
            self._write()

    def ensure_open(self, cluster: object, run_dir: str | os.PathLike | None) -> None:
        """:meth:`open` unless already bound (a nemesis used alone binds its own record;
        inside a package the composed nemesis has bound the shared one first)."""
        if not self._cluster:
            self.open(cluster, run_dir)

    @property
    def path(self) -> str | None:
        return self._path

    def active(self) -> dict[str, Any]:
        with self._lock:
            return json.loads(json.dumps(self._active))

    def set(self, kind: str, state: Any) -> None:
        """Record that fault ``kind`` is (about to be) active in ``state``. Call BEFORE
        applying the fault, so a crash in between still leaves a trace."""
        with self._lock:
            self._active[kind] = state
            self._write()

    def clear(self, kind: str) -> None:
        """Record that fault ``kind`` is healed. Call AFTER healing it."""
        with self._lock:
            if self._active.pop(kind, None) is not None:
                self._write()

    def _write(self) -> None:
        if self._path is None:
            return
        data = {
            "cluster": self._cluster,
            "active": self._active,
            "updated": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        }
        _write_record(self._path, data)


def _write_record(path: str, data: Mapping[str, Any]) -> None:
    write_atomically(path, json.dumps(data, indent=1, sort_keys=True) + "\n")


def _file(path: str | os.PathLike) -> str:
    path = os.fspath(path)
    return os.path.join(path, FILENAME) if os.path.isdir(path) else path


def read(path: str | os.PathLike) -> Mapping[str, Any]:
    """Load a ``faults.json`` (or the one inside a run directory).

    Raises ValueError naming the file when it is missing or not a fault record.
    """
    path = _file(path)
    try:
        with open(path, encoding="utf-8") as fh:
            data = json.load(fh)
    except FileNotFoundError:
        raise ValueError(f"{path}: no fault record here") from None
    except (OSError, json.JSONDecodeError) as e:
        raise ValueError(f"{path}: unreadable fault record: {e}") from None
    if not isinstance(data, dict) or not isinstance(data.get("active"), dict):
        raise ValueError(f"{path}: not a fault record (no 'active' object)")
    return data


def mark_healed(path: str | os.PathLike, data: Mapping[str, Any]) -> None:
    """Rewrite the record ``data`` read from ``path`` with nothing active."""
    _write_record(_file(path), {**data, "active": {},
                                "healed": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())})
