"""The HTML pieces every part of the report shares: escaping, how a verdict looks, and the
jinja2 templates the pages are built from (package data in ``faultline/render/templates/``).

Templates autoescape every value; a value that is already HTML (a plot's SVG, a section's
markup) is passed in as :class:`markupsafe.Markup`, which says so.
"""

from __future__ import annotations

import html
import json
from functools import cache
from typing import Any

import jinja2

from faultline.core.result import verdict_word


def esc(x: Any) -> str:
    """``x`` as text safe inside HTML elements and quoted attributes."""
    return html.escape(str(x), quote=True)


def verdict_class(valid: Any) -> str:
    """The CSS class of a verdict (the page's style sheet colours it)."""
    return "v-true" if valid is True else "v-false" if valid is False else "v-unknown"


def verdict_text(valid: Any) -> str:
    return verdict_word(valid).upper()


def json_text(value: Any, indent: int | None = None) -> str:
    """``value`` as JSON for a reader (escaped by the template like any text)."""
    return json.dumps(value, indent=indent, default=str)


@cache
def environment() -> jinja2.Environment:
    """The templates' environment: autoescaping, strict about undefined names (a typo in a
    template is an error, not an empty string), with the filters ``verdict_class``,
    ``verdict_text`` and ``json_text``."""
    env = jinja2.Environment(
        loader=jinja2.PackageLoader("faultline.render", "templates"),
        autoescape=True, undefined=jinja2.StrictUndefined,
        trim_blocks=True, lstrip_blocks=True, keep_trailing_newline=True)
    env.filters["verdict_class"] = verdict_class
    env.filters["verdict_text"] = verdict_text
    env.filters["json_text"] = json_text
    return env


def render_template(name: str, **context: Any) -> str:
    """Template ``name`` rendered with ``context``."""
    return environment().get_template(name).render(**context)
