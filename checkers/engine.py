"""Which search runs a sub-history: the compiled core when it is built, else Python."""

from __future__ import annotations

from typing import Any

from checkers import native as _native
from checkers.wgl import Entry, Search


def new_search(model: Any, entries: list[Entry], *, native: bool | None = None) -> Any:
    """``native``: None = compiled core if built, True = require it, False = Python."""
    if native or (native is None and _native.AVAILABLE):
        return _native.NativeSearch(model, entries)
    return Search(model, entries)
