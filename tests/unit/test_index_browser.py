"""The runs index in a real browser (headless Chromium): the page loads with no console
message (so no script error), every run is a row, and the filter script works (the
filter given in the address hides the other rows and counts those shown)."""

import re
import shutil
import subprocess

import pytest

from faultline.core.store import RunDir
from faultline.render import write_index

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")

pytestmark = [pytest.mark.slow,
              pytest.mark.skipif(CHROMIUM is None, reason="chromium is not installed "
                                 "(Debian: apt-get install chromium)")]


def _load(url, profile):
    done = subprocess.run(
        [CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", f"--user-data-dir={profile}",
         "--enable-logging=stderr", "--v=0", "--dump-dom", url],
        capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr[-2000:]
    return done.stdout, [line for line in done.stderr.splitlines() if ":CONSOLE" in line]


def test_the_index_loads_without_console_errors_and_filters(tmp_path):
    root = tmp_path / "results"
    for n, (name, valid) in enumerate([("etcd-register-partition", True),
                                       ("etcd-register-partition", False),
                                       ("zookeeper-register-<none>", "unknown"),
                                       ("zookeeper-register-<none>", True)]):
        run = RunDir.create(str(root), name, now=60 * n)
        results = {"valid": valid, "stats": {"total": {"ok": 10 + n}, "ok_per_s": 100.0 + n}}
        run.write_test({"name": name, "db": name.split("-")[0], "seed": n})
        run.write_results(results)
        run.write_report("<!doctype html><title>report</title>")
        run.write_summary({"name": name, "db": name.split("-")[0], "seed": n}, results)
    run = RunDir.create(str(root), "crashed", now=600)    # no results: a run that died
    run.write_test({"name": "crashed"})
    index = write_index(str(root))

    dom, console = _load(f"file://{index}", tmp_path / "profile")
    assert console == []
    rows = re.findall(r"<tr data-test=\"[^\"]*\" data-verdict=\"(\w+)\"( hidden)?", dom)
    assert sorted(v for v, _ in rows) == ["incomplete", "invalid", "unknown", "valid", "valid"]
    assert not any(hidden for _, hidden in rows)
    assert re.search(r'<span id="shown">5</span>', dom)

    dom, console = _load(f"file://{index}#verdict=valid", tmp_path / "profile")
    assert console == []
    rows = re.findall(r"<tr data-test=\"[^\"]*\" data-verdict=\"(\w+)\"( hidden=\"\")?", dom)
    assert sorted(v for v, hidden in rows if not hidden) == ["valid", "valid"]
    assert re.search(r'<span id="shown">2</span>', dom)
