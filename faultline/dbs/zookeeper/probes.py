"""ZooKeeper's health and leader probes: the ``srvr`` four-letter word on the client port.

Probes never raise for an unreachable or unhappy node: they return None / False, and the
callers decide. Parsing is separate from I/O so it is unit-testable.
"""

from __future__ import annotations

import re
import socket
from dataclasses import dataclass
from typing import Mapping

from faultline.dbs.protocol import PROBE_TIMEOUT_S


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


def zk_healthy(host: str, port: int) -> bool:
    """A node serves when ``srvr`` answers with a mode (leader, follower, ...)."""
    status = zk_status(host, port)
    return status is not None and status.serving


def zk_leader(statuses: Mapping[str, ZkStatus | None]) -> str | None:
    """The node that leads: the only one in mode leader, or among several claimants (an old
    leader that has not yet noticed it lost its quorum) the one of the newest epoch."""
    claims = {n: s for n, s in statuses.items() if s is not None and s.mode == "leader"}
    if not claims:
        return None
    newest = max(s.epoch for s in claims.values())
    newest_claims = [n for n, s in claims.items() if s.epoch == newest]
    return newest_claims[0] if len(newest_claims) == 1 else None


__all__ = ["ZkStatus", "four_letter_word", "parse_srvr", "zk_healthy", "zk_leader", "zk_status"]
