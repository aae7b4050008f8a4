"""The report section of lock results: the per-lock figures, each planted anomaly's table
naming the holders, the lost leases, and the mutex check under it."""

from test_lock_guard import H

from faultline.checkers.lock_guard import check_lock
from faultline.core.vocabulary import LOCK_LOST
from faultline.render import render_report
from faultline.render.sections import checker_section


def section(h):
    history = h.history()
    result = check_lock(history).to_dict()
    return checker_section("workload", result, history), result, history


def test_a_valid_run_shows_the_counter_and_no_anomaly_tables():
    html, _, _ = section(H().hold(0, 0).hold(1, 1).final(2))
    assert "VALID" in html and "read the same value" not in html
    assert "<td>0</td><td class=n>2</td><td class=n>2</td><td class=n>0</td><td class=n>2</td>" in html
    assert "acquire/release against a mutex" in html and "first shown" not in html


def test_overlapping_holders_are_named_with_what_they_read_and_wrote():
    h = H().acquire(0).acquire(1).incr(0, 0).incr(1, 0).release(0)
    h.ev("invoke", 1, "release").ev("info", 1, "release", error=f"{LOCK_LOST}: lease gone")
    html, result, history = section(h.final(1))
    assert result["valid"] is False and "INVALID" in html
    assert "holders that read the same value" in html
    assert "p0 op 4 (ok, read 0 wrote 1)" in html and "p1 op 6 (ok, read 0 wrote 1)" in html
    assert "Holders that found their lock lost (1)" in html and "lease gone" in html
    assert ("first shown (the completion of the op that showed it): not-a-mutex at 0.003 s, "
            "duplicate reads at 0.007 s, lost at 0.007 s") in html
    page = render_report({"name": "lock"}, history, {"valid": False, "workload": result})
    assert "holders that read the same value" in page
