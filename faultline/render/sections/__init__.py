"""Report sections by kind of checker result: a checker brings the section that shows it.

A checker's result names its ``kind`` (``{"kind": "linearizable", "valid": ...}``). The
page shows each result with the section registered for its kind in :data:`SECTIONS`,
and a result of a kind nobody registered (or none) with :func:`facts_section`: the
verdict, the error or reason, and the rest as JSON.

A section is a :class:`Section` ``(kind, render)``; ``render(name, result)`` returns the
HTML of the result called ``name``. Built-in sections are the ``SECTION`` attribute of
each module in this package (one module per kind, found as :class:`faultline.core.registry.
Registry` finds entries); a test or plugin adds its own with :func:`register_section` or
``with SECTIONS.registered(Section(...)):``.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any, Callable, Iterable, Mapping

from faultline.core.registry import Registry
from faultline.render.markup import esc, verdict_class, verdict_text

Render = Callable[[str, Mapping[str, Any]], str]


@dataclass(frozen=True)
class Section:
    """How results of one kind are shown: ``name`` is the kind (the registry's key)."""

    name: str
    render: Render


SECTIONS: Registry[Section] = Registry("section", "faultline.render.sections", "SECTION")


def register_section(kind: str, render: Render) -> Section:
    """Show results of ``kind`` with ``render``; ValueError when the kind has one."""
    return SECTIONS.register(Section(kind, render))


def checker_section(name: str, result: Mapping[str, Any]) -> str:
    """The HTML of the checker result called ``name``, by the section of its kind."""
    kind = result.get("kind")
    render = SECTIONS.get(kind).render if kind in SECTIONS else facts_section
    return render(name, result)


def facts_section(name: str, result: Mapping[str, Any]) -> str:
    """Any result: its heading, error and reason, and everything else as JSON."""
    return heading(name, result) + notes(result) + facts(result)


def heading(name: str, result: Mapping[str, Any]) -> str:
    valid = result.get("valid")
    return (f"<h3>{esc(name)}: <span class='{verdict_class(valid)}'>{esc(verdict_text(valid))}"
            "</span></h3>")


def notes(result: Mapping[str, Any]) -> str:
    """The result's ``error`` and ``reason`` (why it is unknown), when it has them."""
    return "".join(f"<p><b>{field}:</b> {esc(result[field])}</p>"
                   for field in ("error", "reason") if result.get(field))


def facts(result: Mapping[str, Any], shown: Iterable[str] = ()) -> str:
    """The fields of ``result`` not shown otherwise (``shown``, the verdict, the kind,
    error and reason), as JSON; nothing when there are none."""
    left = {k: v for k, v in result.items()
            if k not in {"valid", "kind", "error", "reason", *shown}}
    return "<pre>" + esc(json.dumps(left, indent=1, default=str)) + "</pre>" if left else ""


__all__ = ["SECTIONS", "Render", "Section", "checker_section", "facts", "facts_section",
           "heading", "notes", "register_section"]
