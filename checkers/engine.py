"""Which search runs a sub-history: the compiled core when it is built, else Python."""

from __future__ import annotations

from typing import Any

from checkers.wgl import Entry, Search


def new_search(model: Any, entries: list[Entry], *, native: bool | None = None) -> Any:
    return Search(model, entries)
