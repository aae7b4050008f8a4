"""Which search runs a sub-history: the compiled core when it is built, else Python."""

from __future__ import annotations

from typing import Any

from faultline.core.history import History

from faultline.checkers import native as _native
from faultline.checkers.order import contradiction, explain, witness
from faultline.checkers.wgl import Contradiction, Entry, Search


def new_search(model: Any, entries: list[Entry], *, native: bool | None = None) -> Any:
    """``native``: None = compiled core if built, True = require it, False = Python.

    A sub-history whose write-order constraints contradict real time needs no search.
    """
    clash = contradiction(entries)
    if clash is not None:
        return _contradiction(model, entries, clash)
    if native or (native is None and _native.AVAILABLE):
        return _native.NativeSearch(model, entries)
    return Search(model, entries)


def prepared_searches(model: Any, history: History, *, native: bool | None = None,
                      prune: bool = True) -> tuple[Any, dict[Any, tuple[int, Any]]] | None:
    """``(model, {key: (invocations, search)})`` when the compiled core prepares the
    whole history itself (register models,
    :func:`faultline.checkers.native.prepare_registers`; ``model`` then per key when the
    history names keys); None when it does not (then :func:`new_search` per key)."""
    if native is False:
        return None
    found = _native.prepare_registers(model, history, prune=prune)
    if found is None:
        return None
    model, keys = found
    searches = {}
    for key, count, core, clash in keys:
        search = _native.NativeSearch.prepared(model, core, history)
        if clash is not None:
            search = _contradiction(model, search.entries.all(prune=prune), clash)
        searches[key] = (count, search)
    return model, searches


def _contradiction(model: Any, entries: list[Entry], clash: tuple[int, int]) -> Contradiction:
    plain = explain(entries)
    if plain is not None:
        return Contradiction(model, entries, *plain)
    return Contradiction(model, entries, *clash, "order-cycle", witness(entries, *clash))
