"""Health and leader probes over each database's own wire protocol, from the host.

ZooKeeper answers the ``srvr`` four-letter word on its client port; etcd answers its HTTP
endpoints (``/health`` and the JSON gateway ``/v3/maintenance/status``). Probes never
raise for an unreachable or unhappy node: they return None / False, and the callers decide.
Parsing is separate from I/O so it is unit-testable.
"""

from __future__ import annotations

import http.client
import json
import re
import socket
from collections import Counter
from dataclasses import dataclass
from typing import Mapping

PROBE_TIMEOUT_S = 1.0


# ---- ZooKeeper ----------------------------------------------------------------------

@dataclass(frozen=True)
class ZkStatus:
    mode: str | None    # "leader" | "follower" | "observer" | "standalone" | None (not serving)
    zxid: int | None

    @property
    def serving(self) -> bool:
        return self.mode in ("leader", "follower", "observer", "standalone")

    @property
    def epoch(self) -> int:
        return (self.zxid or 0) >> 32


def parse_srvr(text: str) -> ZkStatus:
    """Parse a ``srvr`` reply; a node that is "not currently serving requests" has mode None."""
    mode = re.search(r"^Mode:\s*(\w+)", text, re.MULTILINE)
    zxid = re.search(r"^Zxid:\s*(0x[0-9a-fA-F]+)", text, re.MULTILINE)
    return ZkStatus(mode.group(1) if mode else None, int(zxid.group(1), 16) if zxid else None)


def four_letter_word(host: str, port: int, word: str, timeout: float = PROBE_TIMEOUT_S) -> str | None:
    """Send a 4lw command and return the reply, or None when the node does not answer."""
    try:
        with socket.create_connection((host, port), timeout=timeout) as sock:
            sock.settimeout(timeout)
            sock.sendall(word.encode("ascii"))
            chunks = []
            while chunk := sock.recv(4096):
                chunks.append(chunk)
    except OSError:
        return None
    return b"".join(chunks).decode("utf-8", "replace")


def zk_status(host: str, port: int) -> ZkStatus | None:
    reply = four_letter_word(host, port, "srvr")
    return parse_srvr(reply) if reply is not None else None


def zk_leader(statuses: Mapping[str, ZkStatus | None]) -> str | None:
    """The node that leads: the only one in mode leader, or among several claimants (an old
    leader that has not yet noticed it lost its quorum) the one of the newest epoch."""
    claims = {n: s for n, s in statuses.items() if s is not None and s.mode == "leader"}
    if not claims:
        return None
    newest = max(s.epoch for s in claims.values())
    newest_claims = [n for n, s in claims.items() if s.epoch == newest]
    return newest_claims[0] if len(newest_claims) == 1 else None


# ---- etcd ---------------------------------------------------------------------------

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
