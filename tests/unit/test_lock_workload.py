"""The lock workload's generator and final reads, with simulated time and a fake lock
service: each process cycles acquire -> incr -> release, and a correct service's history
is valid while one that lets two holders in is caught."""

from faultline.checkers.lock_guard import check_lock
from faultline.core.generator import time_limit
from faultline.core.generator.testing import simulate
from faultline.core.history import History
from faultline.core.op import FAIL, INFO, INVOKE, OK
from faultline.workloads import WORKLOADS
from faultline.workloads.lock import WORKLOAD as lock_workload


def lock_service(*, exclusive=True, unknown_every=0):
    """complete(invoke) against locks and counters applied at each completion. Not
    ``exclusive``: every acquire succeeds. ``unknown_every`` n: every n-th incr ends
    ``info`` without writing, and the closed client's lock is freed."""
    holder, counter, incrs = {}, {}, [0]

    def complete(inv):
        k = inv.key
        if inv.f == "acquire":
            if exclusive and k in holder:
                return FAIL, None
            holder[k] = inv.process
            return OK, 1
        if inv.f == "incr":
            incrs[0] += 1
            read = counter.get(k, 0)
            if unknown_every and incrs[0] % unknown_every == 0:
                holder.pop(k, None)
                return INFO, [read, read + 1]
            counter[k] = read + 1
            return OK, [read, read + 1]
        if inv.f == "release":
            holder.pop(k, None)
            return OK, None
        return OK, counter.get(k, 0)
    return complete


def run(test, service, seconds=2.0, latency_s=0.005):
    gen = time_limit(seconds, lock_workload.generator(test))
    history = simulate(gen, concurrency=5, complete=service, latency_s=latency_s)
    final = lock_workload.final_generator(test, history)
    return History(list(history) + list(_after(history, final, service)))


def _after(history, final, service):
    """The final generator's ops appended after ``history`` (a fresh process 1000)."""
    end = history[-1].time if len(history) else 0
    for op in simulate(final, concurrency=1, complete=service):
        yield op.with_(process=1000, time=end + 1 + op.time, index=-1)


def test_registered_with_its_options():
    assert WORKLOADS.get("lock") is lock_workload
    assert {o.name for o in lock_workload.options} == {"lock_keys", "lock_incrs", "lock_ttl_s"}


def test_each_process_cycles_acquire_incr_release():
    history = run({}, lock_service())
    last = {}
    for op in history:
        if op.type == INVOKE and op.process != 1000:
            before = last.get(op.process)
            expected = {None: "acquire", ("acquire", OK): "incr", ("acquire", FAIL): "acquire",
                        ("incr", OK): "release", ("release", OK): "acquire"}[before]
            assert op.f == expected, (op, before)
        elif op.type != INVOKE:
            last[op.process] = (op.f, op.type)
    assert sum(op.f == "incr" and op.type == OK for op in history) > 20


def test_a_hold_is_lock_incrs_increments_cut_short_by_a_failed_one():
    base, incrs = lock_service(), [0]

    def service(inv):  # every 7th incr fails: its hold ends there
        if inv.f == "incr":
            incrs[0] += 1
            if incrs[0] % 7 == 0:
                return FAIL, None
        return base(inv)

    history = run({"lock_incrs": 3}, service)
    per_hold, holds = {}, []
    for op in history:
        if op.type == INVOKE or op.process == 1000:
            continue
        if op.f == "acquire" and op.type == OK:
            per_hold[op.process] = []
        elif op.f == "incr":
            per_hold[op.process].append(op.type)
        elif op.f == "release" and op.type == OK:
            holds.append(per_hold.pop(op.process))
    assert holds and all(h == [OK] * 3 or (h[-1] == FAIL and h[:-1] == [OK] * (len(h) - 1)
                                           and len(h) <= 3) for h in holds), holds
    assert [OK, OK, OK] in holds and any(h[-1] == FAIL for h in holds)


def test_threads_share_locks_by_key():
    history = run({"lock_keys": 2}, lock_service(), seconds=1.0)
    assert {op.key for op in history if op.f == "acquire"} == {0, 1}
    assert all(op.key == op.process % 5 % 2 for op in history if op.f == "acquire")
    finals = [op for op in history if op.process == 1000 and op.type == OK]
    assert sorted(op.key for op in finals) == [0, 1]


def test_a_correct_service_is_valid_and_one_letting_two_in_is_caught():
    assert check_lock(run({}, lock_service())).valid is True
    broken = check_lock(run({}, lock_service(exclusive=False)))
    assert broken.valid is False
    assert broken.data["counts"]["overlapping"] > 0  # the fake applies each incr atomically
    assert broken.data["mutex"]["valid"] is False


def test_a_process_ending_info_is_replaced_and_the_history_stays_valid():
    history = run({}, lock_service(unknown_every=7))
    assert any(op.type == INFO for op in history)
    retired = {op.process for op in history if op.type == INFO}
    assert not any(op.type == INVOKE and op.process in retired and op.index >
                   max(o.index for o in history if o.process == op.process and o.type == INFO)
                   for op in history)
    assert check_lock(history).valid is True
