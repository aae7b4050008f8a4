"""etcd's health and leader probes: its HTTP endpoints ``/health`` and the JSON gateway's
``/v3/maintenance/status``, on the client port.

Probes never raise for an unreachable or unhappy node: they return None / False, and the
callers decide. Parsing is separate from I/O so it is unit-testable.
"""

from __future__ import annotations

import http.client
import json
from collections import Counter
from dataclasses import dataclass
from typing import Mapping

from faultline.dbs.protocol import PROBE_TIMEOUT_S


@dataclass(frozen=True)
class EtcdStatus:
    member_id: str
    leader_id: str     # "0" when the member knows no leader


def _http(host: str, port: int, method: str, path: str, body: str | None = None) -> bytes | None:
    conn = http.client.HTTPConnection(host, port, timeout=PROBE_TIMEOUT_S)
    try:
        conn.request(method, path, body=body, headers={"Content-Type": "application/json"})
        response = conn.getresponse()
        data = response.read()
        return data if response.status == 200 else None
    except (OSError, http.client.HTTPException):
        return None
    finally:
        conn.close()


def parse_etcd_health(body: bytes) -> bool:
    try:
        return json.loads(body).get("health") in (True, "true")
    except (ValueError, AttributeError):
        return False


def etcd_healthy(host: str, port: int) -> bool:
    """etcd 3.4's /health is true only when the member has a leader and a quorum read works."""
    body = _http(host, port, "GET", "/health")
    return body is not None and parse_etcd_health(body)


def parse_etcd_status(body: bytes) -> EtcdStatus | None:
    """Parse the JSON gateway's maintenance status (uint64 ids come as decimal strings)."""
    try:
        doc = json.loads(body)
        return EtcdStatus(str(doc["header"]["member_id"]), str(doc.get("leader", "0")))
    except (ValueError, KeyError, TypeError):
        return None


def etcd_status(host: str, port: int) -> EtcdStatus | None:
    body = _http(host, port, "POST", "/v3/maintenance/status", "{}")
    return parse_etcd_status(body) if body is not None else None


def etcd_leader(statuses: Mapping[str, EtcdStatus | None]) -> str | None:
    """The node whose member id a majority of ALL nodes names as leader, else None.

    A majority is required because a partitioned minority can still name a stale leader.
    """
    by_member = {s.member_id: n for n, s in statuses.items() if s is not None}
    votes = Counter(s.leader_id for s in statuses.values() if s is not None and s.leader_id != "0")
    if not votes:
        return None
    leader_id, count = votes.most_common(1)[0]
    if count <= len(statuses) // 2:
        return None
    return by_member.get(leader_id)


__all__ = ["EtcdStatus", "etcd_healthy", "etcd_leader", "etcd_status", "parse_etcd_health",
           "parse_etcd_status"]
