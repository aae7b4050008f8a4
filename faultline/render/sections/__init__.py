"""Report sections by kind of checker result: a checker brings the section that shows it.

A checker's result names its ``kind`` (``{"kind": "linearizable", "valid": ...}``). The
page shows each result with the section registered for its kind in :data:`SECTIONS`,
and a result of a kind nobody registered (or none) with :func:`facts_section`: the
verdict, the error or reason, and the rest as JSON.

A section is a :class:`Section` ``(kind, render)``; ``render(name, result, history)``
returns the HTML of the result called ``name`` (text the page includes as it is: the
section escapes what it shows; ``history`` is the run's history the result was checked
on, for figures that draw ops, or None when the page has none; :func:`heading`,
:func:`notes` and :func:`facts` are the shared parts, from the template
``templates/section.html``). Built-in sections are the ``SECTION`` attribute of
each module in this package (one module per kind, found as :class:`faultline.core.registry.
Registry` finds entries); a test or plugin adds its own with :func:`register_section` or
``with SECTIONS.registered(Section(...)):``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable, Iterable, Mapping

from faultline.core.history import History
from faultline.core.registry import Registry
from faultline.render.markup import environment

Render = Callable[[str, Mapping[str, Any], History | None], str]


@dataclass(frozen=True)
class Section:
    """How results of one kind are shown: ``name`` is the kind (the registry's key)."""

    name: str
    render: Render


SECTIONS: Registry[Section] = Registry("section", "faultline.render.sections", "SECTION")


def register_section(kind: str, render: Render) -> Section:
    """Show results of ``kind`` with ``render``; ValueError when the kind has one."""
    return SECTIONS.register(Section(kind, render))


def checker_section(name: str, result: Mapping[str, Any],
                    history: History | None = None) -> str:
    """The HTML of the checker result called ``name``, by the section of its kind."""
    kind = result.get("kind")
    render = SECTIONS.get(kind).render if kind in SECTIONS else facts_section
    return render(name, result, history)


def facts_section(name: str, result: Mapping[str, Any],
                  history: History | None = None) -> str:
    """Any result: its heading, error and reason, and everything else as JSON."""
    return heading(name, result) + notes(result) + facts(result)


def _part(macro: str, *args: Any) -> str:
    """A macro of ``templates/section.html`` rendered, as plain HTML text."""
    return str(getattr(environment().get_template("section.html").module, macro)(*args))


def heading(name: str, result: Mapping[str, Any]) -> str:
    """The result's name and verdict."""
    return _part("heading", name, result.get("valid"))


def notes(result: Mapping[str, Any]) -> str:
    """The result's ``error`` and ``reason`` (why it is unknown), when it has them."""
    return _part("notes", result)


def facts(result: Mapping[str, Any], shown: Iterable[str] = ()) -> str:
    """The fields of ``result`` not shown otherwise (``shown``, the verdict, the kind,
    error and reason), as JSON; nothing when there are none."""
    left = {k: v for k, v in result.items()
            if k not in {"valid", "kind", "error", "reason", *shown}}
    return _part("facts", left)


__all__ = ["SECTIONS", "Render", "Section", "checker_section", "facts", "facts_section",
           "heading", "notes", "register_section"]
