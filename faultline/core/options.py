"""Declared options: a name, a default, a help line and what values are allowed.

Workloads declare their own options this way (``ops_per_key``), so the ``faultline test``
flags, the spec's validation and the defaults recorded in ``test.json`` all come from one
declaration. An option's CLI flag is its name with dashes: ``--ops-per-key``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from faultline.core.errors import BadInputError


@dataclass(frozen=True)
class Option:
    """One option. ``kind`` is ``int``, ``float``, ``str`` or ``bool``; numbers may have a
    ``minimum`` (``strict``: the value must exceed it) and a ``maximum``, any kind may list
    ``choices``."""

    name: str
    default: Any
    help: str
    kind: type = int
    minimum: float | None = None
    strict: bool = False
    maximum: float | None = None
    choices: tuple[Any, ...] | None = None
    metavar: str | None = None
    """What the CLI's help shows for the value (``S`` for seconds, ...)."""

    @property
    def flag(self) -> str:
        return "--" + self.name.replace("_", "-")

    def validate(self, value: Any) -> Any:
        """``value`` checked (an int is accepted for a float); BadInputError saying what is allowed."""
        ok_type = (isinstance(value, self.kind) and not isinstance(value, bool)) or \
            (self.kind is bool and isinstance(value, bool)) or \
            (self.kind is float and isinstance(value, int) and not isinstance(value, bool))
        if self.choices is not None:
            if value not in self.choices or (isinstance(value, bool) and self.kind is not bool):
                raise BadInputError(f"{self.flag} must be one of "
                                    f"{', '.join(map(str, self.choices))}, got {value!r}")
            return value
        if ok_type and self.kind in (int, float):
            below = self.minimum is not None and (
                value < self.minimum or (self.strict and value == self.minimum))
            above = self.maximum is not None and value > self.maximum
            if value == value and not below and not above:
                return float(value) if self.kind is float else value
        elif ok_type:
            return value
        kind = {int: "an integer", float: "a number"}.get(self.kind, f"a {self.kind.__name__}")
        bounds = []
        if self.minimum is not None:
            bounds.append(f"{'>' if self.strict else '>='} {self.minimum:g}")
        if self.maximum is not None:
            bounds.append(f"<= {self.maximum:g}")
        bound = (" " + " and ".join(bounds)) if bounds else ""
        raise BadInputError(f"{self.flag} must be {kind}{bound}, got {value!r}")
