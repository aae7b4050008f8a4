"""Operations: the records a history is made of.

An op is a frozen record. Its JSON form (one line of ``history.jsonl``) is::

    {"index": 0, "time": 12345, "type": "invoke", "process": 3, "f": "read",
     "value": null, "key": "k1", "node": "n1", "error": null}

- ``index``: position in the history, 0-based, dense.
- ``time``: nanoseconds since the test started, from one monotonic clock.
- ``type``: ``invoke`` | ``ok`` | ``fail`` | ``info``.
  ``ok``: it happened, with this result. ``fail``: it definitely did not happen.
  ``info``: unknown outcome; the op stays open until the end of the history.
- ``process``: an int for client processes, ``"nemesis"`` for faults.
- ``f``: the function (``read``, ``write``, ``cas``, ``put``, ``append``, ``txn``, ...).
- ``value``: JSON data; for ``cas`` a two-element list ``[expected, new]``.
- ``key``: the independent key the op touches (None when the workload has one register).
- ``node``: the node the client talked to, ``error``: why a fail/info ended so.

Keys absent from a JSON line take their defaults; ``None`` fields are not written.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

INVOKE = "invoke"
OK = "ok"
FAIL = "fail"
INFO = "info"
TYPES = frozenset({INVOKE, OK, FAIL, INFO})
NEMESIS = "nemesis"


@dataclass(frozen=True, slots=True)
class Op:
    """One event of a history. Immutable; derive changed copies with :meth:`with_`."""

    type: str
    f: str
    value: Any = None
    process: int | str = 0
    time: int = 0
    index: int = -1
    key: Any = None
    node: str | None = None
    error: str | None = None

    def with_(self, **changes: Any) -> "Op":
        # Spelled out rather than dataclasses.replace: about 2x faster, and the
        # interpreter derives a few ops per operation. Unknown fields raise TypeError.
        fields = {"type": self.type, "f": self.f, "value": self.value,
                  "process": self.process, "time": self.time, "index": self.index,
                  "key": self.key, "node": self.node, "error": self.error}
        fields.update(changes)
        return Op(**fields)

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "index": self.index,
            "time": self.time,
            "type": self.type,
            "process": self.process,
            "f": self.f,
            "value": self.value,
        }
        if self.key is not None:
            out["key"] = self.key
        if self.node is not None:
            out["node"] = self.node
        if self.error is not None:
            out["error"] = self.error
        return out

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> "Op":
        """Build an op from its JSON form; raises ValueError naming what is wrong."""
        if not isinstance(d, dict):
            raise ValueError(f"expected a JSON object, got {type(d).__name__}")
        try:
            op_type = d["type"]
            f = d["f"]
        except KeyError as missing:
            raise ValueError(f"missing field {missing.args[0]!r}") from None
        if op_type not in TYPES:
            raise ValueError(f"type must be one of {sorted(TYPES)}, got {op_type!r}")
        if not isinstance(f, str):
            raise ValueError(f"f must be a string, got {f!r}")
        process = d.get("process", 0)
        if not (isinstance(process, int) or process == NEMESIS):
            raise ValueError(f"process must be an int or 'nemesis', got {process!r}")
        return cls(
            type=op_type,
            f=f,
            value=d.get("value"),
            process=process,
            time=int(d.get("time", 0)),
            index=int(d.get("index", -1)),
            key=d.get("key"),
            node=d.get("node"),
            error=d.get("error"),
        )
