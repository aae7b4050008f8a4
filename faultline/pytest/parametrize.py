"""Test matrices: db x workload x nemesis x read mode as one ``pytest.mark.parametrize``,
each entry an options dict for ``faultline_run`` with a readable id
(``etcd-register-partition,kill``, ``zookeeper-register-partition-plain``).

Every entry is validated when the module is collected (:func:`faultline.runner.spec.build_test`),
so a misspelt db, fault or read mode is a collection error naming the option, not a
failure minutes into the session.
"""

from __future__ import annotations

from typing import Any, Iterable, Mapping, Sequence

import pytest

from faultline.runner.spec import DEFAULT_WORKLOAD, build_test, parse_nemesis

ARGNAME = "faultline_spec"


def matrix(*, db: Sequence[str], workload: Sequence[str] = (DEFAULT_WORKLOAD,),
           nemesis: Sequence[Any] = ("none",),
           read_mode: Sequence[str] | Mapping[str, Sequence[str]] | None = None,
           argname: str = ARGNAME, **common: Any) -> Any:
    """``@matrix(db=["etcd", "zookeeper"], nemesis=["none", "partition,kill"])``: the
    product of the axes, passed to the test as ``faultline_spec`` (``argname``).

    ``nemesis``: one entry per fault set (``"partition,kill"`` or a list of names).
    ``read_mode``: modes for every db, or ``{db: modes}``; None: each db's default.
    ``common``: options every entry gets (``time_limit=5``, ``nemesis_interval=2``).
    """
    entries = [dict(common, db=d, workload=w, nemesis=parse_nemesis(n), **mode)
               for d in db for w in workload for n in nemesis
               for mode in _modes(read_mode, d)]
    for entry in entries:
        build_test(entry)  # BadInputError now, with the option's name
    return pytest.mark.parametrize(argname, [pytest.param(e, id=spec_id(e)) for e in entries])


def _modes(read_mode: Any, db: str) -> Iterable[dict[str, str]]:
    if read_mode is None:
        return [{}]
    modes = read_mode.get(db, ()) if isinstance(read_mode, Mapping) else read_mode
    return [{}] if not modes else [{"read_mode": m} for m in modes]


def spec_id(options: Mapping[str, Any]) -> str:
    """``<db>-<workload>-<faults|none>[-<read mode>]``."""
    faults = ",".join(parse_nemesis(options.get("nemesis"))) or "none"
    parts = [options["db"], options.get("workload", DEFAULT_WORKLOAD), faults]
    if options.get("read_mode"):
        parts.append(options["read_mode"])
    return "-".join(parts)

