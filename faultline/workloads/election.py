"""The election workload: candidates elect a leader the way Kubernetes' control plane does
(client-go ``leaderelection`` on one record, taken and renewed by compare-and-swap),
and leaders act only while they believe they lead.

Ops (what the clients implement; etcd's: :mod:`faultline.dbs.etcd.election_client`):

- ``{"f": "renew"}``: client-go's ``tryAcquireOrRenew``; ``ok`` ``{"leader": bool, ...}``
  with the term's fencing revision when leading.
- ``{"f": "act"}``: a leader's work: append ``(candidate, term)`` to the log; ``fail``
  ``not-leading`` when the candidate's own clock says its renew deadline has passed.
- ``{"f": "read-log"}``: the whole log, once the cluster has healed (the final read).

Generation: each process renews every ``election_retry_s`` (client-go's retry period);
between renews, a process whose last renew made it leader acts every
:data:`ACT_GAP_S`. A process whose op ended ``info`` is replaced (its successor starts
over as a candidate). Options: ``election_lease_s`` (leaseDuration: how long others wait
after they last saw the record change) and ``election_renew_deadline_s`` (how long a
leader believes it leads after it sent its last successful renew; below the lease),
and ``election_clock_rate``: every second candidate's clock runs that many times as fast
(client-go's documented limit: it tolerates clock skew, not a skew *rate*; a candidate
whose clock runs faster than lease / renew deadline takes over while the leader still
acts). The clock nemesis skews the servers' clocks, which this design never reads.

Checking: :class:`faultline.checkers.election_terms.ElectionChecker` (stale actions:
a leader's entry landing after a later term began; lost and unexpected entries).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Mapping

from faultline.checkers.election_terms import ACT, READ_LOG, RENEW, ElectionChecker
from faultline.core.generator.basic import once
from faultline.core.generator.context import Context, is_client_thread
from faultline.core.generator.protocol import OpResult, PENDING, fill_op
from faultline.core.history import History
from faultline.core.op import INFO, INVOKE, OK, Op
from faultline.core.options import Option
from faultline.dbs.etcd.election_client import DEFAULT_LEASE_S, DEFAULT_RENEW_DEADLINE_S
from faultline.workloads.txn_support import option

NS = 1_000_000_000
ACT_GAP_S = 0.05
LEASE = Option("election_lease_s", DEFAULT_LEASE_S, "leaseDuration: how long candidates wait "
               "after they last saw the record change before taking over (seconds)", float,
               minimum=0.5, maximum=120, metavar="S")
RENEW_DEADLINE = Option("election_renew_deadline_s", DEFAULT_RENEW_DEADLINE_S,
                        "renewDeadline: how long a leader acts after it sent its last "
                        "successful renew (seconds, below election_lease_s)", float,
                        minimum=0.1, maximum=120, metavar="S")
CLOCK_RATE = Option("election_clock_rate", 1.0, "how fast every second candidate's clock runs "
                    "(1: true time; 2: twice as fast, so it sees the lease run out early)",
                    float, minimum=0.1, maximum=10, metavar="R")
RETRY = Option("election_retry_s", 0.5, "retryPeriod: seconds between a candidate's renews",
               float, minimum=0.01, maximum=60, metavar="S")


@dataclass(frozen=True, slots=True)
class _Plan:
    f: str
    not_before: int  # ns since the test started
    renewed: int  # when its last renew completed (ns)


@dataclass(frozen=True, slots=True)
class ElectionGenerator:
    """Infinite; bound it with ``time_limit``. ``plans``: (process, its next op) for the
    processes that have run one (the others renew now)."""

    retry_ns: int
    plans: tuple[tuple[Any, _Plan], ...] = ()

    def op(self, test: Mapping[str, Any], ctx: Context) -> OpResult:
        free = [t for t in ctx.free_threads if is_client_thread(t)]
        if not free:
            return PENDING, self
        plans = dict(self.plans)
        fresh = _Plan(RENEW, 0, 0)
        ready = [t for t in free if plans.get(ctx.workers[t], fresh).not_before <= ctx.time]
        if ready:
            t = ready[0] if len(ready) == 1 else ctx.rng.choice(ready)
        else:
            t = min(free, key=lambda t: plans.get(ctx.workers[t], fresh).not_before)
        process = ctx.workers[t]
        plan = plans.get(process, fresh)
        op = {"f": plan.f, "value": None, "process": process}
        if plan.not_before > ctx.time:
            op["time"] = plan.not_before
        filled = fill_op(op, ctx)
        return (PENDING, self) if filled is None else (filled, self)

    def update(self, test: Mapping[str, Any], ctx: Context, event: Op) -> "ElectionGenerator":
        if event.type == INVOKE or event.f not in (RENEW, ACT):
            return self
        plans = dict(self.plans)
        previous = plans.pop(event.process, None)
        if event.type == INFO:
            return ElectionGenerator(self.retry_ns, tuple(plans.items()))
        now = event.time
        leading = (event.type == OK and (event.value or {}).get("leader")) if event.f == RENEW \
            else event.type == OK
        renewed = now if event.f == RENEW else (previous.renewed if previous else 0)
        if leading and now - renewed < self.retry_ns:
            plan = _Plan(ACT, now + (0 if event.f == RENEW else int(ACT_GAP_S * NS)), renewed)
        elif event.f == ACT:
            plan = _Plan(RENEW, now, renewed)  # its retry period is up, or it stopped leading
        else:
            plan = _Plan(RENEW, renewed + self.retry_ns, renewed)
        plans[event.process] = plan
        return ElectionGenerator(self.retry_ns, tuple(plans.items()))


class ElectionWorkload:
    """The election workload (the module docstring says what it does)."""

    name = "election"
    options = (LEASE, RENEW_DEADLINE, RETRY, CLOCK_RATE)

    def generator(self, test: Mapping[str, Any]) -> ElectionGenerator:
        return ElectionGenerator(int(float(option(test, RETRY)) * NS))

    def final_generator(self, test: Mapping[str, Any], history: History) -> Any:
        """One read of the whole log."""
        return once({"f": READ_LOG, "value": None})

    def checker(self, test: Mapping[str, Any]) -> ElectionChecker:
        return ElectionChecker()


WORKLOAD = ElectionWorkload()

__all__ = ["ACT_GAP_S", "CLOCK_RATE", "ElectionGenerator", "ElectionWorkload", "LEASE", "RENEW_DEADLINE",
           "RETRY", "WORKLOAD"]
