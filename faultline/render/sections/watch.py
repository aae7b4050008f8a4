"""The section of a watch result (:func:`faultline.checkers.watch_stream.check_watch_stream`,
and ZooKeeper's :func:`faultline.checkers.zk_watch.check_zk_watch`): the sessions and
events checked, each anomaly kind found with its examples (the session,
its member and start revision, what was wrong), and what the stream could not vouch for
(broken, compacted and unfinished sessions)."""

from __future__ import annotations

from typing import Any, Mapping

from faultline.checkers.watch_stream import ANOMALY_TYPES, KIND
from faultline.checkers.zk_watch import ANOMALY_TYPES as ZK_ANOMALY_TYPES
from faultline.core.history import History
from faultline.render.markup import render_template
from faultline.render.sections import Section

MEANINGS = {
    "out-of-order": "an event at a lower revision after a higher one",
    "duplicate": "one event delivered twice in a session",
    "split-revision": "one revision's events in two responses (not atomic)",
    "missing": "a revision between the first and last delivered that the session skipped",
    "wrong-resume": "a session's first event is not the first revision at or after its start",
    "silent-compaction": "skipped compacted revisions without the compaction error",
    "lost-delete-at-compaction": "a watch from the compaction revision missed its deletes "
                                 "(etcd-io/etcd#18089)",
    "unjustified-compaction": "a compaction error with no such compaction before it",
    "wrong-content": "a revision's events differ from what its write did (or another session saw)",
    "unexpected-event": "an event no write could have made",
    "revision-conflict": "two acknowledged writes at one revision: members diverged "
                         "(etcd-io/etcd#18667)",
    "wrong-historical-read": "a txn's read at an earlier revision that contradicts the writes "
                             "(the 'from' column is the revision it read at)",
    # ZooKeeper's one-time data watches (faultline.checkers.zk_watch); revision: a zxid
    "missed-event": "a reply showed a watched znode's change (zxid) before its watch event",
    "stale-after-event": "the read after a znode's event showed data no newer than before it",
    "went-back": "a read older than an earlier one of the same session",
    "unexpected-value": "a value never written, or written by a write that failed",
}
STATS = (("sessions", "watch sessions"), ("events", "events delivered"),
         ("reads", "reads that set a watch"), ("acknowledged_writes", "acknowledged writes"),
         ("revisions", "revisions with events"), ("acknowledged_revisions",
                                                  "of them returned by an acknowledged write"),
         ("historical_sessions", "sessions started at a historical revision"),
         ("compactions", "compactions"), ("compacted_sessions", "sessions told of a compaction"),
         ("broken_sessions", "sessions whose stream broke"),
         ("unreached", "final sessions that did not reach the last revision in time"))


def render(name: str, result: Mapping[str, Any], history: History | None = None) -> str:
    stats = result.get("stats") or {}
    counts = stats.get("counts") or {}
    anomalies = result.get("anomalies") or {}
    kinds = [{"name": k, "meaning": MEANINGS.get(k, ""), "count": counts.get(k, len(anomalies[k])),
              "examples": anomalies[k]}
             for k in dict.fromkeys([*ANOMALY_TYPES, *ZK_ANOMALY_TYPES, *sorted(anomalies)])
             if k in anomalies]
    return render_template(
        "watch.html", result_name=name, result=result, kinds=kinds,
        stats=[{"label": label, "value": stats.get(key)} for key, label in STATS if key in stats],
        span=(stats.get("first_revision"), stats.get("last_revision")),
        left={k: v for k, v in result.items()
              if k not in {"valid", "kind", "error", "reason", "anomalies", "anomaly_types",
                           "stats", "first_s"}})


SECTION = Section(KIND, render)
