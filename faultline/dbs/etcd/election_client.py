"""The etcd election client (workload ``election``): leader election the way Kubernetes'
client-go ``leaderelection`` does it, on one etcd key, over the JSON gateway.

The record (JSON at ``<key_prefix>/election/record``, client-go's
``LeaderElectionRecord`` field names): ``holderIdentity``, ``leaseDurationSeconds``,
``acquireTime``, ``renewTime`` (wall-clock RFC 3339, informational as in client-go),
``leaderTransitions``.

- renew -> client-go's ``tryAcquireOrRenew``: ``Range`` of the record (as the read mode
  says: a stale read only makes the compare below fail); when its bytes or
  ``mod_revision`` differ from the last seen, note *this client's* monotonic clock as
  the observed time. Another holder whose record was observed less than
  ``election_lease_s`` ago keeps it: ``ok`` ``{"leader": false, "holder": ...}``.
  Otherwise a ``Txn`` comparing the record's ``mod_revision`` with the one read (0: absent)
  puts the new record (a holder keeps its ``acquireTime`` and transitions; a new one
  sets them and counts a transition). Success: ``ok`` ``{"leader": true, "term": T,
  "took_over": bool, "revision": R, "transitions": n}``, where ``T`` is the revision at
  which this candidate took the record (its term's fencing token) and ``R`` the
  renewal's. A compare that did not hold: ``ok`` ``{"leader": false}`` (someone else
  wrote it). An unknown txn: ``info``. The client then believes it leads until
  ``election_renew_deadline_s`` after it SENT the last successful renew, by its own
  clock, as client-go's renew deadline.
- act -> only while it believes it leads (else ``fail``, error ``not-leading``: nothing
  done): ``Put`` of a new key ``<key_prefix>/election-log/<process>-<n>`` holding
  ``{"candidate", "term"}``. ``ok`` value ``{"term": T, "revision": R}``, R the put's
  revision: its place in the log.
- read-log -> ``Range`` over the log prefix (the final read): ``ok`` value a list of
  ``[revision, candidate, term]``, in revision order.

Connections and failure classification are the register client's
(:class:`~faultline.dbs.etcd.client.EtcdClient`, ``post``); the txn body is the txn
client's (:func:`~faultline.dbs.etcd.txn_client.commit_request`).
"""

from __future__ import annotations

import base64
import binascii
import itertools
import json
import time
from datetime import datetime, timezone
from typing import Any, Mapping

from faultline.core.op import FAIL, OK, Op
from faultline.core.errors import BadInputError
from faultline.dbs.etcd.client import PUT, RANGE, TXN, EtcdClient, etcd_options, request_for
from faultline.dbs.etcd.set_client import prefix_range
from faultline.dbs.etcd.txn_client import commit_request

RECORD_KEY, LOG_DIR = "election/record", "election-log"
DEFAULT_LEASE_S, DEFAULT_RENEW_DEADLINE_S = 3.0, 2.0


def rated_clock(rate: float):
    """A monotonic clock running ``rate`` times as fast as true time (a candidate whose
    clock drifts: client-go tolerates clock skew but not skew *rate*)."""
    start = time.monotonic()
    return lambda: start + (time.monotonic() - start) * rate


def record_for(holder: str, lease_s: float, previous: Mapping[str, Any] | None,
               now_wall: float) -> dict[str, Any]:
    """The record ``holder`` writes over ``previous`` (None: none yet), as client-go
    does: a holder renewing keeps its acquire time and transitions; a new one takes
    over and counts a transition."""
    stamp = datetime.fromtimestamp(now_wall, timezone.utc).isoformat()
    renewing = previous is not None and previous.get("holderIdentity") == holder
    return {"holderIdentity": holder, "leaseDurationSeconds": lease_s,
            "acquireTime": previous["acquireTime"] if renewing else stamp,
            "renewTime": stamp,
            "leaderTransitions": int((previous or {}).get("leaderTransitions", -1))
            + (0 if renewing else 1)}


class EtcdElectionClient(EtcdClient):
    """One candidate: one logical process' connection to one etcd node."""

    def __init__(self, *, read_mode: str, prefix: str, timeout_s: float, lease_s: float,
                 renew_deadline_s: float, clock=time.monotonic):
        super().__init__(read_mode=read_mode, prefix=prefix, timeout_s=timeout_s)
        self._record64 = base64.b64encode(f"{prefix}/{RECORD_KEY}".encode())
        self._log_prefix = f"{prefix}/{LOG_DIR}/".encode()
        self._lease = lease_s
        self._renew_deadline = renew_deadline_s
        self._clock = clock
        self._seen: tuple[bytes | None, int] | None = None  # the record (bytes, mod_revision)
        self._observed = 0.0  # our clock when they last changed
        self._term: int | None = None  # the revision our term began at
        self._leading_until = 0.0
        self._acts = 0

    async def invoke(self, test: Mapping[str, Any], op: Op) -> Op:
        if op.f == "renew":
            return await self._renew(op, f"p{op.process}")
        if op.f == "act":
            return await self._act(op)
        if op.f == "read-log":
            return await self._read_log(op)
        raise ValueError(f"the etcd election client does not do f={op.f!r}")

    def leading(self) -> bool:
        return self._term is not None and self._clock() < self._leading_until

    async def _renew(self, op: Op, me: str) -> Op:
        sent = self._clock()
        path, body = request_for("read", self._record64, None, self._serializable)
        payload = await self.post(op.with_(f="read"), path, body)
        if isinstance(payload, Op):
            return op.with_(type=FAIL, node=self.node, error=payload.error)
        try:
            kvs = json.loads(payload).get("kvs") or []
            raw = base64.b64decode(kvs[0].get("value", "")) if kvs else None
            mod = int(kvs[0]["mod_revision"]) if kvs else 0
            record = json.loads(raw) if raw else None
        except (ValueError, KeyError, TypeError, binascii.Error) as e:
            return op.with_(type=FAIL, node=self.node, error=f"unreadable record: {e}")
        if (raw, mod) != self._seen:
            self._seen, self._observed = (raw, mod), self._clock()
        holder = (record or {}).get("holderIdentity")
        if holder and holder != me and self._observed + self._lease > self._clock():
            self._term = None
            return op.with_(type=OK, value={"leader": False, "holder": holder}, node=self.node)
        new = record_for(me, self._lease, record, time.time())
        body = commit_request([(self._record64, mod)], [],
                              [(self._record64, json.dumps(new, sort_keys=True).encode())])
        done = await self.post(op, TXN, body)
        if isinstance(done, Op):
            self._term = None  # unknown: act no more (an info retires us anyway)
            return done
        try:
            doc = json.loads(done)
            revision = int(doc["header"]["revision"])
        except (ValueError, KeyError, TypeError) as e:
            self._term = None
            return op.with_(type="info", node=self.node, error=f"unreadable response: {e}")
        if not doc.get("succeeded"):
            self._term = None
            return op.with_(type=OK, value={"leader": False, "holder": holder}, node=self.node)
        took_over = holder != me or self._term is None
        if took_over:
            self._term = revision
        self._leading_until = sent + self._renew_deadline
        return op.with_(type=OK, node=self.node,
                        value={"leader": True, "term": self._term, "took_over": took_over,
                               "revision": revision,
                               "transitions": new["leaderTransitions"]})

    async def _act(self, op: Op) -> Op:
        if not self.leading():
            return op.with_(type=FAIL, node=self.node, error="not-leading")
        term = self._term
        self._acts += 1
        key = base64.b64encode(self._log_prefix + f"{op.process}-{self._acts}".encode())
        value = base64.b64encode(json.dumps({"candidate": op.process, "term": term}).encode())
        done = await self.post(op, PUT, b'{"key":"%s","value":"%s"}' % (key, value))
        if isinstance(done, Op):
            return done.with_(value={"term": term, "revision": None})
        try:
            revision = int(json.loads(done)["header"]["revision"])
        except (ValueError, KeyError, TypeError) as e:
            return op.with_(type="info", node=self.node, value={"term": term, "revision": None},
                            error=f"unreadable response: {e}")
        return op.with_(type=OK, value={"term": term, "revision": revision}, node=self.node)

    async def _read_log(self, op: Op) -> Op:
        key, end = prefix_range(self._log_prefix)
        payload = await self.post(op.with_(f="read"), RANGE,
                                  b'{"key":"%s","range_end":"%s"}' % (key, end))
        if isinstance(payload, Op):
            return op.with_(type=FAIL, node=self.node, error=payload.error)
        try:
            entries = []
            for kv in json.loads(payload).get("kvs") or ():
                entry = json.loads(base64.b64decode(kv["value"]))
                entries.append([int(kv["mod_revision"]), entry["candidate"], entry["term"]])
        except (ValueError, KeyError, TypeError, binascii.Error) as e:
            return op.with_(type=FAIL, node=self.node, error=f"unreadable log: {e}")
        return op.with_(type=OK, value=sorted(entries), node=self.node)


def etcd_election_client_factory(test: Mapping[str, Any]):
    """A factory of fresh, unopened candidates configured from ``test`` (validated now).
    Every second candidate made gets a clock running ``election_clock_rate`` times as
    fast as true time (1 by default: all clocks true)."""
    options = etcd_options(test)
    rate = float(test.get("election_clock_rate") or 1.0)
    made = itertools.count()
    lease = float(test.get("election_lease_s") or DEFAULT_LEASE_S)
    deadline = float(test.get("election_renew_deadline_s") or DEFAULT_RENEW_DEADLINE_S)
    if not 0 < deadline < lease:
        raise BadInputError(f"election_renew_deadline_s ({deadline:g}) must be below "
                            f"election_lease_s ({lease:g}): a leader must stop acting before "
                            f"others may take over")
    return lambda: EtcdElectionClient(
        **options, lease_s=lease, renew_deadline_s=deadline,
        clock=rated_clock(rate) if rate != 1.0 and next(made) % 2 else time.monotonic)


__all__ = ["DEFAULT_LEASE_S", "DEFAULT_RENEW_DEADLINE_S", "EtcdElectionClient",
           "etcd_election_client_factory", "rated_clock", "record_for"]
