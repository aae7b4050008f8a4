"""The etcd set client (workload ``set``) over etcd's JSON gateway: one key per element.

Mapping (elements are ints; the set lives under ``<key_prefix>/set/``):

- add e -> ``Put`` of ``<key_prefix>/set/<e>`` (value: ``e`` in decimal ASCII). A put is
  idempotent, so an add retried by anyone is still one element.
- read  -> ``Range`` over the whole ``<key_prefix>/set/`` prefix, keys only;
  ``serializable`` in that read mode (the node answers from its own state: possibly
  stale), linearizable otherwise. The elements are the keys' last path segments, in
  etcd's key order (not numeric).
- member-read -> the same ``Range``, always ``serializable``: what this member holds.

The connection, the read mode and every error's classification are the register
client's (:class:`~faultline.dbs.etcd.client.EtcdClient` and its ``post``,
:func:`~faultline.dbs.etcd.client.classify_transport_error`,
:func:`~faultline.dbs.etcd.client.classify_status`): an add is ``fail`` only when etcd
certainly did not apply it, an unknown read is ``fail`` (it changed nothing). Table:
docs/clients.md.
"""

from __future__ import annotations

import base64
import binascii
import json
from typing import Any, Mapping

from faultline.core.op import OK, Op
from faultline.core.vocabulary import MEMBER_READ
from faultline.dbs.client_support import encode_value, unknown_outcome_type
from faultline.dbs.etcd.client import PUT, RANGE, EtcdClient, etcd_options

SET_DIR = "set"
"""The set's elements are the keys ``<key_prefix>/<SET_DIR>/<element>``."""


def prefix_range(prefix: bytes) -> tuple[bytes, bytes]:
    """(key, range_end), base64: the Range of every key starting with ``prefix`` (etcd's
    ``range_end`` is the prefix with its last byte incremented)."""
    end = prefix[:-1] + bytes([prefix[-1] + 1])
    return base64.b64encode(prefix), base64.b64encode(end)


def add_request(set_prefix: bytes, element: Any) -> bytes:
    """The Put body adding ``element`` under ``set_prefix`` (``b"<key_prefix>/set/"``)."""
    raw = encode_value(element)
    return b'{"key":"%s","value":"%s"}' % (base64.b64encode(set_prefix + raw),
                                          base64.b64encode(raw))


def read_request(set_prefix: bytes, serializable: bool) -> bytes:
    """The Range body reading every element's key (keys only)."""
    key, end = prefix_range(set_prefix)
    flag = b',"serializable":true' if serializable else b""
    return b'{"key":"%s","range_end":"%s","keys_only":true%s}' % (key, end, flag)


def elements_of(payload: bytes, set_prefix: bytes) -> list[int | str]:
    """The elements a Range response lists (the gateway omits ``kvs`` when there are none);
    a key whose last segment is not an int is returned as text, for the checker to see."""
    elements: list[int | str] = []
    for kv in json.loads(payload).get("kvs") or ():
        name = base64.b64decode(kv["key"])[len(set_prefix):]
        try:
            elements.append(int(name))
        except ValueError:
            elements.append(name.decode("utf-8", "replace"))
    return elements


class EtcdSetClient(EtcdClient):
    """One logical process' connection to one etcd node, adding to and reading the set."""

    def __init__(self, *, read_mode: str, prefix: str, timeout_s: float):
        super().__init__(read_mode=read_mode, prefix=prefix, timeout_s=timeout_s)
        self._set_prefix = f"{prefix}/{SET_DIR}/".encode()

    async def invoke(self, test: Mapping[str, Any], op: Op) -> Op:
        f = op.f
        if f == "add":
            path, body = PUT, add_request(self._set_prefix, op.value)
        elif f == "read" or f == MEMBER_READ:
            path, body = RANGE, read_request(self._set_prefix,
                                             self._serializable or f == MEMBER_READ)
        else:
            raise ValueError(f"the etcd set client does not do f={f!r}")
        payload = await self.post(op, path, body)
        if isinstance(payload, Op):
            return payload
        if f == "add":
            return op.with_(type=OK, node=self.node)
        try:
            elements = elements_of(payload, self._set_prefix)
        except (ValueError, KeyError, TypeError, binascii.Error) as e:
            return op.with_(type=unknown_outcome_type(f), node=self.node,
                            error=f"unreadable response: {e}")
        return op.with_(type=OK, value=elements, node=self.node)


def etcd_set_client_factory(test: Mapping[str, Any]):
    """A factory of fresh, unopened set clients configured from ``test`` (validated now)."""
    options = etcd_options(test)
    return lambda: EtcdSetClient(**options)


__all__ = ["EtcdSetClient", "SET_DIR", "add_request", "elements_of", "etcd_set_client_factory",
           "prefix_range", "read_request"]
