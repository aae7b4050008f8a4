"""report.html in a real browser (headless Chromium, driven over the Chrome DevTools
Protocol on a pipe: no websocket, no extra dependency): for a valid, an invalid and an
unknown run (histories made here, checked by the real checkers, no Docker) and an invalid
transactional one, the page loads from disk with no console message, no script error and
no request leaving it, and the DOM shows the verdict banner, the counterexample drawing
(or the cycle graph), the first plot and the run timeline drawn on its canvas."""

from __future__ import annotations

import json
import os
import select
import shutil
import subprocess
import time

import pytest

from faultline.checkers.elle import check_elle
from faultline.checkers.elle.synth import list_append_history
from faultline.checkers.generate import register_history
from faultline.checkers.linearizable import check_linearizable
from faultline.checkers.models import get_model
from faultline.checkers.stats import op_counts
from faultline.core.history import History
from faultline.core.op import INFO, INVOKE, NEMESIS, Op
from faultline.core.result import Result, compose
from faultline.render import render_report

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")

pytestmark = [pytest.mark.slow,
              pytest.mark.skipif(CHROMIUM is None, reason="chromium is not installed "
                                 "(Debian: apt-get install chromium)")]

TIMEOUT_S = 60


def _as_fds_3_and_4(commands: int, replies: int) -> None:
    """In the child: the pipe ends where Chromium looks for them (copied out of the way
    first, so that neither original can be overwritten before it is copied)."""
    commands, replies = os.dup(commands), os.dup(replies)
    os.dup2(commands, 3)
    os.dup2(replies, 4)


class DevTools:
    """A Chromium driven over ``--remote-debugging-pipe``: commands go in on its fd 3,
    replies and events come out on its fd 4, each a JSON message ended by a NUL byte."""

    def __init__(self, profile: str):
        to_chrome_r, self._out = os.pipe()
        self._in, from_chrome_w = os.pipe()
        self.proc = subprocess.Popen(
            [CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
             f"--user-data-dir={profile}", "--remote-debugging-pipe", "--window-size=1200,900",
             "about:blank"],
            # 3 and 4 listed too: the child closes every fd not listed after preexec_fn
            pass_fds=(3, 4, to_chrome_r, from_chrome_w), stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL, preexec_fn=lambda: _as_fds_3_and_4(to_chrome_r,
                                                                        from_chrome_w))
        os.close(to_chrome_r)
        os.close(from_chrome_w)
        self._buffer = b""
        self._next_id = 0
        self.events: list[dict] = []

    def close(self) -> None:
        try:
            self.send("Browser.close")
        except Exception:  # noqa: BLE001 - it may be gone already; it is killed below
            pass
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        os.close(self._out)
        os.close(self._in)

    def _read(self, deadline: float) -> dict:
        while b"\0" not in self._buffer:
            left = deadline - time.monotonic()
            if left <= 0 or not select.select([self._in], [], [], left)[0]:
                raise TimeoutError("no message from Chromium in time")
            chunk = os.read(self._in, 1 << 20)
            if not chunk:
                raise EOFError("Chromium closed its pipe")
            self._buffer += chunk
        message, self._buffer = self._buffer.split(b"\0", 1)
        return json.loads(message)

    def send(self, method: str, params: dict | None = None, session: str | None = None) -> dict:
        self._next_id += 1
        message = {"id": self._next_id, "method": method, "params": params or {}}
        if session:
            message["sessionId"] = session
        os.write(self._out, json.dumps(message).encode() + b"\0")
        deadline = time.monotonic() + TIMEOUT_S
        while True:
            reply = self._read(deadline)
            if reply.get("id") == self._next_id:
                if "error" in reply:
                    raise RuntimeError(f"{method}: {reply['error']}")
                return reply.get("result", {})
            self.events.append(reply)

    def wait_for(self, method: str, session: str) -> dict:
        deadline = time.monotonic() + TIMEOUT_S
        while True:
            for event in self.events:
                if event.get("method") == method and event.get("sessionId") == session:
                    self.events.remove(event)
                    return event
            self.events.append(self._read(deadline))

    def open(self, url: str) -> "Page":
        target = self.send("Target.createTarget", {"url": "about:blank"})["targetId"]
        session = self.send("Target.attachToTarget", {"targetId": target,
                                                      "flatten": True})["sessionId"]
        for domain in ("Page", "Runtime", "Network", "Log"):
            self.send(f"{domain}.enable", session=session)
        self.send("Page.navigate", {"url": url}, session=session)
        self.wait_for("Page.loadEventFired", session)
        return Page(self, session)


class Page:
    def __init__(self, tools: DevTools, session: str):
        self.tools, self.session = tools, session

    def eval(self, expression: str):
        reply = self.tools.send("Runtime.evaluate", {"expression": expression,
                                                     "returnByValue": True},
                                session=self.session)
        if "exceptionDetails" in reply:
            raise AssertionError(f"{expression}: {reply['exceptionDetails']}")
        return reply["result"].get("value")

    def events(self, *methods: str) -> list[dict]:
        self.eval("1")  # a round trip: the events the page sent before it are in
        return [e for e in self.tools.events
                if e.get("sessionId") == self.session and e.get("method") in methods]


@pytest.fixture(scope="module")
def browser(tmp_path_factory):
    tools = DevTools(str(tmp_path_factory.mktemp("profile")))
    yield tools
    tools.close()


# -- runs made here ---------------------------------------------------------------------
MS = 1_000_000


def with_faults(history: History, step_ns: int = MS) -> History:
    """``history`` timed one event per ``step_ns``, with a partition over its second
    quarter (what a run with faults records)."""
    ops = [op.with_(time=op.index * step_ns) for op in history]
    end = ops[-1].time
    grudge = {"grudge": {"n1": ["n2", "n3"], "n2": ["n1"], "n3": ["n1"]}}
    ops += [Op(INVOKE, "start-partition", "majority", NEMESIS, end // 4),
            Op(INFO, "start-partition", grudge, NEMESIS, end // 4),
            Op(INVOKE, "stop-partition", None, NEMESIS, end // 2),
            Op(INFO, "stop-partition", None, NEMESIS, end // 2)]
    return History(sorted(ops, key=lambda op: op.time))


def hard_history() -> History:
    """Concurrent writes of 0 and 1 and a read of 7: a search no budget of 0 s finishes."""
    n = 14
    return History([*(Op(INVOKE, "write", i % 2, i, i * MS) for i in range(n)),
                    Op(INVOKE, "read", None, n, n * MS), Op("ok", "read", 7, n, (n + 1) * MS),
                    *(Op("ok", "write", i % 2, i, (n + 2 + i) * MS) for i in range(n))])


def run_page(tmp_path, name: str, history: History, checked: Result) -> str:
    results = compose({"workload": checked, "stats": Result(True, op_counts(history))})
    page = render_report({"name": name, "seed": 1}, history, results.to_dict())
    path = tmp_path / f"{name}.html"
    path.write_text(page, encoding="utf-8")
    return path.as_uri()


def register_run(tmp_path, verdict: str) -> tuple[str, History]:
    model = get_model("cas-register")
    if verdict == "unknown":
        history = hard_history()
        checked = check_linearizable(history, get_model("register", initial=0), time_limit=0)
    else:
        history = with_faults(register_history(
            ops=3000, keys=4, processes=10, unknown=0.03,
            stale_reads=5 if verdict == "invalid" else 0, seed=5))
        checked = check_linearizable(history, model)
    assert checked.valid == {"valid": True, "invalid": False, "unknown": "unknown"}[verdict]
    return run_page(tmp_path, f"register-{verdict}", history, checked), history


def assert_loaded_cleanly(page: Page, url: str) -> None:
    console = page.events("Runtime.consoleAPICalled", "Runtime.exceptionThrown",
                          "Log.entryAdded")
    assert console == [], console
    requested = [e["params"]["request"]["url"]
                 for e in page.events("Network.requestWillBeSent")]
    leaving = [u for u in requested if u != url and not u.startswith("data:")]
    assert requested[0] == url and leaving == []  # the page and what it embeds, nothing else


BOX = "(s => s && (r => [Math.round(r.width), Math.round(r.height)])(s.getBoundingClientRect()))"


def assert_common_parts(page: Page, verdict: str, client_ops: int) -> None:
    assert page.eval("document.querySelector('.verdict').textContent.trim()") == \
        verdict.upper()
    width, height = page.eval(f"{BOX}(document.querySelector('.verdict'))")
    assert width > 50 and height > 20
    plot = page.eval(f"{BOX}(document.querySelector('figure.plot svg'))")
    assert plot and plot[0] > 300 and plot[1] > 100, plot  # the first plot, laid out
    drawn = page.eval("document.getElementById('rt-canvas').getAttribute('data-drawn')")
    assert drawn == str(client_ops)
    inked = page.eval("""(c => { const d = c.getContext('2d').getImageData(0, 0, c.width,
        c.height).data; let n = 0; for (let i = 3; i < d.length; i += 4) if (d[i]) n++;
        return n; })(document.getElementById('rt-canvas'))""")
    assert inked > 1000  # the bars are on the canvas, not only in the data


def test_a_valid_run(browser, tmp_path):
    url, history = register_run(tmp_path, "valid")
    page = browser.open(url)
    assert_loaded_cleanly(page, url)
    assert_common_parts(page, "valid", len(history.client_ops().pairs()))
    assert page.eval("document.querySelector('#counterexample-figure')") is None


ZOOM_IN = """(() => { const cv = document.getElementById('rt-canvas'), r = cv.getBoundingClientRect();
  cv.dispatchEvent(new WheelEvent('wheel', {deltaY: -1, clientX: r.left + r.width / 2,
    clientY: r.top + 5, bubbles: true, cancelable: true}));
  return document.getElementById('rt-window').textContent; })()"""
HOVER_LONGEST_OP = """(() => {
  const cv = document.getElementById('rt-canvas'), r = cv.getBoundingClientRect();
  const D = JSON.parse(document.getElementById('rt-data').textContent);
  const [v0, v1] = cv.getAttribute('data-window').split(',').map(Number);
  let t = 0, index = 0, k = 0;  // the longest op on lane 0 within the window
  let best = -1, bestT = 0, bestIndex = 0;
  for (; k < D.ops.dt.length; k++) {
    t += D.ops.dt[k]; index += D.ops.i[k];
    if (D.ops.l[k] === 0 && t >= v0 && t + D.ops.d[k] < v1 && D.ops.d[k] > best) {
      best = D.ops.d[k]; bestT = t; bestIndex = index;
    }
  }
  const x = ((bestT + best / 2) - v0) / (v1 - v0) * r.width;
  cv.dispatchEvent(new MouseEvent('mousemove', {clientX: r.left + x, clientY: r.top + 3,
    bubbles: true}));
  const tip = document.getElementById('rt-tip');
  return [tip.hidden, tip.textContent, bestIndex]; })()"""


def test_the_run_timeline_zooms_and_names_the_op_under_the_pointer(browser, tmp_path):
    url, _ = register_run(tmp_path, "valid")
    page = browser.open(url)
    whole = page.eval("document.getElementById('rt-window').textContent")
    zoomed = page.eval(ZOOM_IN)
    assert zoomed != whole and zoomed.startswith("window ")
    hidden, text, index = page.eval(HOVER_LONGEST_OP)
    assert not hidden and text.startswith(f"op #{index} process ") and " ms" in text
    assert_loaded_cleanly(page, url)


def test_an_invalid_run_shows_the_counterexample_drawn(browser, tmp_path):
    url, history = register_run(tmp_path, "invalid")
    page = browser.open(url)
    assert_loaded_cleanly(page, url)
    assert_common_parts(page, "invalid", len(history.client_ops().pairs()))
    figure = page.eval(f"{BOX}(document.querySelector('#counterexample-figure svg'))")
    assert figure and figure[0] > 300 and figure[1] > 60, figure
    assert page.eval("document.querySelectorAll('#counterexample-figure g.op').length") > 2
    failing = page.eval(f"{BOX}(document.querySelector('#counterexample-figure "
                        "g.role-failing rect'))")
    assert failing and failing[0] >= 2 and failing[1] > 5
    sentence = page.eval("document.querySelector('p.explanation').textContent")
    assert "cannot be linearized" in sentence or "overwritten" in sentence \
        or "began only after" in sentence


def test_an_unknown_run_says_why(browser, tmp_path):
    url, history = register_run(tmp_path, "unknown")
    page = browser.open(url)
    assert_loaded_cleanly(page, url)
    assert_common_parts(page, "unknown", len(history.client_ops().pairs()))
    text = page.eval("document.body.innerText")
    assert "time limit of 0 s reached after " in text


def test_an_invalid_transactional_run_shows_its_cycle(browser, tmp_path):
    history = with_faults(History(list_append_history(600, stale_reads=2, seed=3)))
    checked = check_elle(history, workload="list-append")
    assert checked.valid is False
    url = run_page(tmp_path, "list-append-invalid", history, checked)
    page = browser.open(url)
    assert_loaded_cleanly(page, url)
    assert_common_parts(page, "invalid", len(history.client_ops().pairs()))
    graph = page.eval(f"{BOX}(document.querySelector('svg.cycle'))")
    assert graph and graph[0] > 100 and graph[1] > 100
    assert page.eval("document.querySelectorAll('svg.cycle g.edge').length") >= 2
