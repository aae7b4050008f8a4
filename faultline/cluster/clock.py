"""Per-node wall-clock offsets through an offset file inside each node container.

Every faultline node keeps its clock offset in :data:`OFFSET_FILE` (the supervisor
creates it as ``+0`` when the container starts, so an offset survives a kill/start of the
server, as a stepped host clock would). Two mechanisms read it, one per image:

- ZooKeeper's JVM runs under libfaketime (``LD_PRELOAD``, ``FAKETIME_TIMESTAMP_FILE`` =
  the offset file): it re-reads the file when its cache expires (``FAKETIME_CACHE_DURATION``,
  1 s in our image, compared in whole seconds, so a change shows within 2 s;
  ``FAKETIME_NO_CACHE=1`` re-reads on every clock call);
- etcd runs the ``faultline/etcd-clock`` build (compose/etcd-clock), whose package
  ``time`` adds the offset named by ``$FAULTLINE_CLOCK_OFFSET_FILE`` to every wall-clock
  reading, refreshed every 20 ms. The plain etcd image ignores the file.

The file holds signed decimal seconds (``+12.500000``), the one format both readers
accept. It is replaced atomically (write a temporary file, rename), so a reader never sees
half a number. The host clock is never touched.

:class:`FileClock` gives any :class:`~faultline.cluster.protocol.Execable` cluster the
:class:`~faultline.cluster.protocol.ClockSkewable` capability, plus ``strobe`` (flip an
offset back and forth inside the node, faster than one docker exec per flip could), and
:meth:`FileClock.capability` probes whether a node's image can skew its clock at all
(the clock fault's preflight, :mod:`faultline.faults.clock`, asks every node).
"""

from __future__ import annotations

import re
from typing import Sequence

from faultline.cluster.nodes import exec_checked, exec_read, on_nodes, probe
from faultline.cluster.protocol import Execable, supports
from faultline.core.errors import ClusterError

OFFSET_FILE = "/run/faultline/faketime"
MAX_OFFSET_S = 100 * 365 * 86400.0
"""Bound on offsets: beyond a century a "clock fault" is a typo (and overflows readers)."""
MIN_STROBE_PERIOD_S = 0.01
"""One flip costs two forks inside the container (mv, sleep): ~2-5 ms."""

_OFFSET = re.compile(r"^\s*([+-]?)(\d+)(?:\.(\d*))?\s*$")

def format_offset(offset_s: float) -> str:
    """The offset file's text for ``offset_s`` seconds: ``+12.500000``, ``-3.000000``."""
    if not isinstance(offset_s, (int, float)) or offset_s != offset_s:
        raise ValueError(f"clock offset must be a number of seconds, got {offset_s!r}")
    if abs(offset_s) > MAX_OFFSET_S:
        raise ValueError(f"clock offset {offset_s} s is beyond {MAX_OFFSET_S:.0f} s")
    text = f"{float(offset_s):+.6f}"
    return "+0.000000" if text == "-0.000000" else text


def parse_offset(text: str) -> float:
    """Seconds from the offset file's text; ValueError when it is not ``[+-]D[.D]``."""
    match = _OFFSET.match(text)
    if match is None:
        raise ValueError(f"not a clock offset: {text.strip()[:40]!r}")
    sign, whole, frac = match.groups()
    value = float(f"{whole}.{frac or 0}")
    return -value if sign == "-" else value


WRITE_SCRIPT = f'printf "%s\\n" "$1" > {OFFSET_FILE}.tmp && mv -f {OFFSET_FILE}.tmp {OFFSET_FILE}'
"""Replace the offset file atomically with ``$1``."""

READ_SCRIPT = f"cat {OFFSET_FILE} 2>/dev/null || echo +0"
"""The node's offset; a missing file means 0 for both readers."""

STROBE_SCRIPT = f"""
# strobe BASE OTHER PERIOD_S DURATION_MS: alternate the offset file between BASE and OTHER
# every PERIOD_S until DURATION_MS have passed, then leave BASE; prints the flip count.
set -e
write() {{ printf "%s\\n" "$1" > {OFFSET_FILE}.tmp && mv -f {OFFSET_FILE}.tmp {OFFSET_FILE}; }}
trap 'write "$1"' EXIT
end=$(( $(date +%s%N) + $4 * 1000000 ))
flips=0
while [ "$(date +%s%N)" -lt "$end" ]; do
  write "$2"; sleep "$3"
  write "$1"; sleep "$3"
  flips=$((flips + 2))
done
echo "$flips"
"""

PROBE_SCRIPT = f"""
# Which mechanism, if any, makes this node's server follow {OFFSET_FILE}.
if [ -n "${{FAULTLINE_FAKETIME_LIB:-}}" ]; then
  [ -r "$FAULTLINE_FAKETIME_LIB" ] || {{ echo "no: libfaketime missing at $FAULTLINE_FAKETIME_LIB"; exit 0; }}
  pid=$(cat /run/faultline/server.pid 2>/dev/null || true)
  # libfaketime re-reads the file once its cache (FAKETIME_CACHE_DURATION, 10 s unless
  # set) expires, comparing whole seconds: a write is seen within cache + 1 s.
  cache=1  # the launcher's default, assumed while the server is down
  if [ -n "$pid" ] && [ -r "/proc/$pid/maps" ]; then
    grep -q libfaketime "/proc/$pid/maps" || {{
      echo "no: the server (pid $pid) runs without libfaketime preloaded"; exit 0; }}
    env=$(tr '\\0' '\\n' < "/proc/$pid/environ")
    cache=$(echo "$env" | sed -n 's/^FAKETIME_CACHE_DURATION=//p')
    cache=${{cache:-10}}
    echo "$env" | grep -q '^FAKETIME_NO_CACHE=1$' && cache=-1
  fi
  settle=$((cache + 1))
  echo "yes: libfaketime settle=$settle"
elif [ -n "${{FAULTLINE_CLOCK_OFFSET_FILE:-}}" ]; then
  [ "$FAULTLINE_CLOCK_OFFSET_FILE" = {OFFSET_FILE} ] || {{
    echo "no: the server reads $FAULTLINE_CLOCK_OFFSET_FILE, not {OFFSET_FILE}"; exit 0; }}
  bin=${{FAULTLINE_ETCD_BIN:-/usr/bin/etcd}}
  grep -q FAULTLINE_CLOCK_OFFSET_FILE "$bin" || {{ echo "no: $bin lacks the clock overlay"; exit 0; }}
  echo "yes: time overlay settle=0.02"
else
  echo "no: this image has neither libfaketime nor the etcd time overlay"
fi
"""


class FileClock:
    """ClockSkewable through the offset file of each node (see the module docstring).

    ``settle_s``: how long after a write every server is sure to have read the new
    offset (libfaketime's cache, the overlay's 20 ms poll); the clock fault's preflight
    measures it (:meth:`capability`), a bare FileClock (healing) does not wait and says 0.
    """

    def __init__(self, cluster: Execable, settle_s: float = 0.0):
        self._cluster = cluster
        self.settle_s = settle_s

    def set_clock_offset(self, node: str, offset_s: float) -> None:
        """Make ``node``'s server read host time + ``offset_s``: within ``settle_s``
        (libfaketime's cache + 1 s, so 2 s in our ZooKeeper image; 20 ms for etcd-clock)."""
        exec_checked(self._cluster, node, ["sh", "-c", WRITE_SCRIPT, "sh", format_offset(offset_s)],
                     "set clock on")

    def clock_offset(self, node: str) -> float:
        """The offset ``node``'s file holds now."""
        code, out = exec_read(self._cluster, node, ["sh", "-c", READ_SCRIPT])
        if code != 0:
            raise ClusterError(f"could not read clock of {node}: exit {code}: {out.strip()[-300:]}")
        try:
            return parse_offset(out)
        except ValueError as e:
            raise ClusterError(f"{node}: {OFFSET_FILE}: {e}") from None

    def clock_offsets(self) -> dict[str, float]:
        """Every node's offset, read back from its file."""
        return dict(zip(self._cluster.nodes, on_nodes(self._cluster.nodes, self.clock_offset)))

    def reset(self) -> dict[str, float]:
        """Offsets back to 0 on every node; returns the offsets read back afterwards."""
        on_nodes(self._cluster.nodes, lambda node: self.set_clock_offset(node, 0.0))
        return self.clock_offsets()

    def strobe(self, node: str, base_s: float, other_s: float, period_s: float,
               duration_s: float) -> int | None:
        """Flip ``node``'s offset between ``base_s`` and ``other_s`` every ``period_s``
        for ``duration_s`` seconds, ending at ``base_s``. Blocks; returns the flip count
        (None when docker lost the command's output)."""
        if not period_s >= MIN_STROBE_PERIOD_S:
            raise ValueError(f"strobe period must be >= {MIN_STROBE_PERIOD_S} s, got {period_s}")
        if not duration_s > 0:
            raise ValueError(f"strobe duration must be > 0 s, got {duration_s}")
        argv = ["sh", "-c", STROBE_SCRIPT, "sh", format_offset(base_s), format_offset(other_s),
                f"{period_s:.3f}", str(max(1, round(duration_s * 1000)))]
        out = exec_checked(self._cluster, node, argv, "strobe clock on")
        if not out.strip():
            return None  # the strobe ran (exit 0) but docker lost its output
        try:
            return int(out.strip().splitlines()[-1])
        except ValueError:
            raise ClusterError(f"{node}: strobe printed {out.strip()[-80:]!r}") from None

    def capability(self, node: str) -> tuple[str | None, float]:
        """(None, settle seconds) when ``node`` can skew its clock, else (the reason, 0)."""
        answer = probe(self._cluster, node, ["sh", "-c", PROBE_SCRIPT])
        if not answer.startswith("yes:"):
            return answer.removeprefix("no: "), 0.0
        _, _, settle = answer.rpartition("settle=")
        try:
            return None, float(settle)
        except ValueError:
            return f"clock probe answered {answer!r}", 0.0


def clock_for(cluster: object) -> FileClock | None:
    """A :class:`FileClock` for ``cluster`` when it can run commands in its nodes, else None."""
    return FileClock(cluster) if supports(cluster, Execable) else None  # type: ignore[arg-type]
