"""What the transactional clients of every db share: how a key's value is stored, and how a
transaction's micro-ops are applied to the values read at its snapshot.

A transactional client reads every key its transaction touches, then (if it writes) commits
the new values guarded by the versions it read. Between the two it is pure:
:func:`apply_mops` turns the values read into the completion's micro-ops (reads filled in,
each seeing the transaction's own earlier writes) and the final value of each key written.

Stored values (bytes), per workload:

- ``list-append``: the list's elements in decimal, separated by commas: ``b"3,1,7"``. An
  absent key and an empty value both read as None (the empty list; nothing ever stores
  one, but a ZooKeeper client may create an empty znode to guard a read of an absent key).
- ``rw-register``: the value in decimal, ``b"42"``, as the register clients store it; an
  absent key or an empty value reads None.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable, Mapping, Sequence

from faultline.dbs.client_support import decode_value, encode_value

READ = "r"
APPEND = "append"
WRITE = "w"


def encode_list(values: Sequence[int]) -> bytes:
    return b",".join(encode_value(v) for v in values)


def decode_list(raw: bytes) -> list[int] | None:
    """None for b"" (absent/empty); ValueError for anything but comma-separated decimals."""
    if not raw:
        return None
    return [int(part) for part in raw.split(b",")]


def decode_register(raw: bytes) -> int | str | None:
    return decode_value(raw) if raw else None


@dataclass(frozen=True)
class ValueCodec:
    """How one workload's values are stored, and the micro-op that writes them."""

    workload: str
    write_f: str
    encode: Callable[[Any], bytes]
    decode: Callable[[bytes], Any]
    """None for an absent/empty value; may raise ValueError for bytes it cannot read."""


CODECS: Mapping[str, ValueCodec] = {
    "list-append": ValueCodec("list-append", APPEND, encode_list, decode_list),
    "rw-register": ValueCodec("rw-register", WRITE, encode_value, decode_register),
}


def codec(workload: str) -> ValueCodec:
    try:
        return CODECS[workload]
    except KeyError:
        raise ValueError(f"no transactional value codec for workload {workload!r}") from None


def touched_keys(mops: Sequence[Sequence[Any]]) -> tuple[list[Any], list[Any], list[Any]]:
    """(every key, the keys read, the keys written), each in first-mention order."""
    every = list(dict.fromkeys(m[1] for m in mops))
    read = list(dict.fromkeys(m[1] for m in mops if m[0] == READ))
    written = list(dict.fromkeys(m[1] for m in mops if m[0] != READ))
    return every, read, written


def apply_mops(mops: Sequence[Sequence[Any]], snapshot: Mapping[Any, Any],
               write_f: str) -> tuple[list[list[Any]], dict[Any, Any]]:
    """(completed micro-ops, key -> final value written) of running ``mops`` on
    ``snapshot`` (key -> decoded value, None or absent for empty). ValueError for a
    micro-op other than a read or ``write_f``."""
    state = dict(snapshot)
    done: list[list[Any]] = []
    written: dict[Any, Any] = {}
    for f, k, v in mops:
        if f == READ:
            found = state.get(k)
            done.append([f, k, list(found) if isinstance(found, list) else found])
            continue
        if f != write_f:
            raise ValueError(f"micro-op {f!r} in a {write_f!r} transaction")
        if f == APPEND:
            state[k] = [*(state.get(k) or ()), v]
        else:
            state[k] = v
        written[k] = state[k]
        done.append([f, k, v])
    return done, written


__all__ = ["APPEND", "CODECS", "READ", "WRITE", "ValueCodec", "apply_mops", "codec",
           "decode_list", "decode_register", "encode_list", "touched_keys"]
