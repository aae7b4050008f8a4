"""Which search runs a sub-history: the compiled core when it is built, else Python."""

from __future__ import annotations

from typing import Any

from faultline.checkers import native as _native
from faultline.checkers.order import contradiction, explain, witness
from faultline.checkers.wgl import Contradiction, Entry, Search


def new_search(model: Any, entries: list[Entry], *, native: bool | None = None) -> Any:
    """``native``: None = compiled core if built, True = require it, False = Python.

    A sub-history whose write-order constraints contradict real time needs no search.
    """
    clash = contradiction(entries)
    if clash is not None:
        plain = explain(entries)
        if plain is not None:
            return Contradiction(model, entries, *plain)
        return Contradiction(model, entries, *clash, "order-cycle",
                             witness(entries, *clash))
    if native or (native is None and _native.AVAILABLE):
        return _native.NativeSearch(model, entries)
    return Search(model, entries)
