"""One registry per axis (db, workload, fault, backend): what exists is what is registered.

A :class:`Registry` holds named entries of one kind. Its built-in entries are found, the
first time anything asks, by importing every module directly inside its package (for
``faultline.dbs``: ``faultline.dbs.etcd``, ``faultline.dbs.zookeeper``, ...) and taking
the module attribute the registry names (``DB``, ``WORKLOAD``, ``FAULT``, ``BACKEND``;
an entry or a tuple of entries). Installed distributions add theirs through the entry
point group ``faultline.<axis>s`` (pytest's plugin mechanism), each entry point naming
an entry object. A test registers its own with :meth:`Registry.registered`.

So adding a database, a workload, a fault or a backend is one module in its package:
every table that lists them (CLI choices, spec validation, preflight, heal, the report's
legend) asks the registry.
"""

from __future__ import annotations

import contextlib
import importlib
import importlib.metadata
import pkgutil
from typing import Generic, Iterator, Protocol, TypeVar

from faultline.core.errors import BadInputError


class Named(Protocol):
    name: str


T = TypeVar("T", bound=Named)


class Registry(Generic[T]):
    """Named entries of one axis: the built-ins and plugins by name, then those registered
    later in the order they came.

    ``axis``: what an entry is, for messages and the entry point group (``db`` ->
    ``faultline.dbs``). ``package``: where the built-in modules live. ``attribute``: the
    module attribute holding a module's entry (or tuple of entries); modules without it
    (helpers) or whose attribute is a class (the protocol of the axis) contribute nothing.
    """

    def __init__(self, axis: str, package: str, attribute: str):
        self.axis = axis
        self.package = package
        self.attribute = attribute
        self._entries: dict[str, T] = {}
        self._loaded = False

    # ---- lookup -----------------------------------------------------------------------

    def get(self, name: object) -> T:
        """The entry called ``name``; BadInputError naming the choices when there is none."""
        entries = self._all()
        if not isinstance(name, str) or name not in entries:
            raise BadInputError(f"unknown {self.axis} {name!r}: choose from {', '.join(entries)}")
        return entries[name]

    def names(self) -> tuple[str, ...]:
        return tuple(self._all())

    def values(self) -> tuple[T, ...]:
        return tuple(self._all().values())

    def __contains__(self, name: object) -> bool:
        return name in self._all()

    def __iter__(self) -> Iterator[T]:
        return iter(self.values())

    # ---- registration -----------------------------------------------------------------

    def register(self, entry: T) -> T:
        """Add ``entry``; ValueError when its name is taken. Returns the entry."""
        entries = self._all()
        name = getattr(entry, "name", None)
        if not isinstance(name, str) or not name:
            raise ValueError(f"a {self.axis} needs a non-empty str name, got {name!r}")
        if name in entries and entries[name] is not entry:
            raise ValueError(f"a {self.axis} called {name!r} is registered already")
        entries[name] = entry
        return entry

    def unregister(self, name: str) -> None:
        self._all().pop(name, None)

    @contextlib.contextmanager
    def registered(self, entry: T) -> Iterator[T]:
        """``with registry.registered(entry):``: the entry exists inside the block only."""
        self.register(entry)
        try:
            yield entry
        finally:
            self.unregister(entry.name)

    # ---- discovery --------------------------------------------------------------------

    def _all(self) -> dict[str, T]:
        if not self._loaded:
            self._loaded = True  # first: a module that looks itself up must not recurse
            found: dict[str, T] = {}
            for entry in sorted((*self._builtins(), *self._plugins()), key=lambda e: e.name):
                found.setdefault(entry.name, entry)
            self._entries = {**found, **self._entries}
        return self._entries

    def _builtins(self) -> list[T]:
        package = importlib.import_module(self.package)
        entries: list[T] = []
        for info in sorted(pkgutil.iter_modules(package.__path__), key=lambda i: i.name):
            if info.name.startswith("_"):
                continue
            module = importlib.import_module(f"{self.package}.{info.name}")
            entries += _as_entries(getattr(module, self.attribute, ()))
        return entries

    def _plugins(self) -> list[T]:
        entries: list[T] = []
        for point in importlib.metadata.entry_points(group=f"faultline.{self.axis}s"):
            entries += _as_entries(point.load())
        return entries


def _as_entries(value: object) -> list:
    """A module attribute as entries. A class is skipped: ``faultline/dbs/protocol.py``
    defines the ``DB`` protocol itself, and entries are instances."""
    if isinstance(value, (tuple, list)):
        return [v for v in value if not isinstance(v, type)]
    return [] if not value or isinstance(value, type) else [value]
