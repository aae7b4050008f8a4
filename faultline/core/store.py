"""The run directory: where a test leaves everything a person or a tool needs.

::

    <results>/<test-name>/<YYYYmmddTHHMMSS>/   (UTC; "-2", "-3" appended if taken)
      test.json      the full spec, seed included: enough to re-run it
      history.jsonl  the history, appended and flushed op by op
      results.json   {"valid": ..., per-checker results}
      summary.json   one small record of the run for the runs index (:func:`summarize`)
      report.html    one self-contained page
      harness.log    the harness' own log
      nodes/<node>/  server logs and config copied out of each node
    <results>/latest -> <test-name>/<timestamp>  (the newest run)
    <results>/index.html                          (every run, newest first; written by
                                                   faultline.render.index)

A history is never overwritten: the run directory is created fresh and ``history.jsonl``
is opened with exclusive creation. ``results.json`` and ``report.html`` may be rewritten
(``faultline analyze``), always atomically.
"""

from __future__ import annotations

import json
import os
import time
from typing import Any, Mapping

from faultline.core.errors import BadInputError
from faultline.core.files import write_atomically
from faultline.core.history import History, HistoryWriter, read_jsonl

TEST_JSON = "test.json"
HISTORY = "history.jsonl"
RESULTS = "results.json"
REPORT = "report.html"
LOG = "harness.log"
NODES = "nodes"
LATEST = "latest"
INDEX = "index.html"
SUMMARY = "summary.json"
SUMMARY_VERSION = 1


class RunDir:
    """One run's directory. Build with :meth:`create` (new run) or :meth:`open` (stored run)."""

    def __init__(self, path: str):
        self.path = os.path.realpath(path)  # "results/latest" names the run it points at

    @classmethod
    def create(cls, results_root: str, test_name: str, *, now: float | None = None) -> "RunDir":
        if not test_name or "/" in test_name or test_name in (".", "..", LATEST):
            raise BadInputError(f"bad test name {test_name!r}")
        stamp = time.strftime("%Y%m%dT%H%M%S", time.gmtime(time.time() if now is None else now))
        parent = os.path.join(results_root, test_name)
        try:
            os.makedirs(parent, exist_ok=True)
        except OSError as e:
            raise BadInputError(f"--results {results_root}: cannot create {parent}: "
                                f"{e.strerror or e}") from None
        for attempt in range(1, 1000):
            name = stamp if attempt == 1 else f"{stamp}-{attempt}"
            try:
                os.mkdir(os.path.join(parent, name))
            except FileExistsError:
                continue
            return cls(os.path.join(parent, name))
        raise BadInputError(f"too many runs of {test_name} at {stamp}")

    @classmethod
    def open(cls, path: str) -> "RunDir":
        run = cls(path)
        if not os.path.isdir(run.path):
            raise BadInputError(f"{path}: not a run directory (does not exist)")
        for name in (TEST_JSON, HISTORY):
            if not os.path.isfile(run.file(name)):
                raise BadInputError(f"{path}: not a run directory (no {name})")
        return run

    def file(self, name: str) -> str:
        return os.path.join(self.path, name)

    @property
    def results_root(self) -> str:
        return os.path.dirname(os.path.dirname(self.path))

    @property
    def nodes_dir(self) -> str:
        return self.file(NODES)

    @property
    def report_path(self) -> str:
        return self.file(REPORT)

    def write_test(self, spec: Mapping[str, Any]) -> None:
        write_atomically(self.file(TEST_JSON), json.dumps(spec, indent=2, sort_keys=True) + "\n")

    def read_test(self) -> dict[str, Any]:
        try:
            with open(self.file(TEST_JSON), encoding="utf-8") as fh:
                spec = json.load(fh)
        except (OSError, ValueError) as e:
            raise BadInputError(f"{self.file(TEST_JSON)}: unreadable: {e}") from None
        if not isinstance(spec, dict):
            raise BadInputError(f"{self.file(TEST_JSON)}: expected a JSON object")
        return spec

    def history_writer(self) -> HistoryWriter:
        """The appending writer of ``history.jsonl``; refuses if the file exists."""
        try:
            return HistoryWriter(self.file(HISTORY))
        except FileExistsError:
            raise BadInputError(f"{self.file(HISTORY)} exists: a history is never overwritten") from None

    def read_history(self) -> History:
        """The stored history; a torn last line (the harness died mid-write) is dropped
        and named by the history's ``torn_line``. HistoryFormatError if it is malformed."""
        return read_jsonl(self.file(HISTORY), allow_torn_tail=True)

    def write_results(self, results: Mapping[str, Any]) -> None:
        write_atomically(self.file(RESULTS),
                         json.dumps(results, indent=2, default=_jsonable) + "\n")

    def read_results(self) -> dict[str, Any] | None:
        try:
            with open(self.file(RESULTS), encoding="utf-8") as fh:
                return json.load(fh)
        except (OSError, ValueError):
            return None

    def write_summary(self, spec: Mapping[str, Any], results: Mapping[str, Any]) -> None:
        """``summary.json`` (:func:`summarize`); written after the report, so a run with a
        summary has its report."""
        write_atomically(self.file(SUMMARY), json.dumps(summarize(self, spec, results)) + "\n")

    def read_summary(self) -> dict[str, Any]:
        """The run's summary: ``summary.json``, else (older runs, a run still going or one
        that crashed) made from ``test.json`` and ``results.json``."""
        try:
            with open(self.file(SUMMARY), encoding="utf-8") as fh:
                summary = json.load(fh)
            if isinstance(summary, dict) and summary.get("version") == SUMMARY_VERSION:
                return summary
        except (OSError, ValueError):
            pass
        try:
            spec = self.read_test()
        except BadInputError:
            spec = {}
        summary = summarize(self, spec, self.read_results())
        summary["has_report"] = os.path.isfile(self.report_path)
        return summary

    def write_report(self, page: str) -> None:
        write_atomically(self.report_path, page)

    def publish(self) -> None:
        """Point ``latest`` at this run (the index page is the renderer's:
        :func:`faultline.render.index.write_index`)."""
        root = self.results_root
        link = os.path.join(root, LATEST)
        tmp = f"{link}.tmp.{os.getpid()}"
        if os.path.lexists(tmp):
            os.unlink(tmp)
        os.symlink(os.path.relpath(self.path, root), tmp)
        os.replace(tmp, link)


def _jsonable(obj: Any) -> Any:
    if isinstance(obj, (set, frozenset, tuple)):
        return sorted(obj, key=repr) if isinstance(obj, (set, frozenset)) else list(obj)
    return repr(obj)


def summarize(run: RunDir, spec: Mapping[str, Any],
              results: Mapping[str, Any] | None) -> dict[str, Any]:
    """What the runs index shows of one run, from its spec and results (None: no results
    yet, the run is going or crashed; ``valid`` is then None).

    ``{"version", "test", "stamp" (the directory name, UTC), "db", "workload", "nemesis",
    "read_mode", "seed", "valid", "error", "ok", "fail", "info", "ok_per_s",
    "duration_s", "has_report"}``
    """
    stats = (results or {}).get("stats") or {}
    total = stats.get("total") or {}
    return {
        "version": SUMMARY_VERSION,
        "test": spec.get("name") or os.path.basename(os.path.dirname(run.path)),
        "stamp": os.path.basename(run.path),
        **{k: spec.get(k) for k in ("db", "workload", "read_mode", "seed")},
        "nemesis": list(spec.get("nemesis") or []),
        "valid": results.get("valid") if results is not None else None,
        "error": (results or {}).get("error"),
        **{o: total.get(o, 0) for o in ("ok", "fail", "info")},
        "ok_per_s": stats.get("ok_per_s"),
        "duration_s": stats.get("duration_s"),
        "has_report": results is not None,
    }


def list_runs(results_root: str) -> list[RunDir]:
    """Every run under ``results_root``, newest first (by directory name, then path)."""
    runs = []
    try:
        tests = sorted(os.listdir(results_root))
    except OSError:
        return []
    for test in tests:
        tdir = os.path.join(results_root, test)
        if test == LATEST or os.path.islink(tdir) or not os.path.isdir(tdir):
            continue
        for stamp in os.listdir(tdir):
            run = RunDir(os.path.join(tdir, stamp))
            if os.path.isfile(run.file(TEST_JSON)):
                runs.append(run)
    runs.sort(key=lambda r: (os.path.basename(r.path), r.path), reverse=True)
    return runs
