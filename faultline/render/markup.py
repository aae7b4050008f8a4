"""The HTML pieces every part of the report shares: escaping and how a verdict looks."""

from __future__ import annotations

import html
from typing import Any

from faultline.core.result import verdict_word


def esc(x: Any) -> str:
    """``x`` as text safe inside HTML elements and quoted attributes."""
    return html.escape(str(x), quote=True)


def verdict_class(valid: Any) -> str:
    """The CSS class of a verdict (the page's style sheet colours it)."""
    return "v-true" if valid is True else "v-false" if valid is False else "v-unknown"


def verdict_text(valid: Any) -> str:
    return verdict_word(valid).upper()
