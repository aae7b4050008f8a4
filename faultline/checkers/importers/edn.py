"""A small EDN reader: the subset Jepsen, Knossos and Elle histories are written in.

Supported: vectors ``[..]`` and lists ``(..)`` (both read as Python lists), maps ``{..}``
(dicts), sets ``#{..}`` (frozensets), keywords ``:f`` (:class:`Keyword`), symbols
(:class:`Symbol`), strings with the usual escapes, integers (``N`` suffix allowed),
decimals, characters ``\\c``, ``nil``/``true``/``false``, ``;`` comments, commas as
whitespace and the ``#_`` discard. Tagged literals (``#inst``, ``#object`` ...) are
rejected with an :class:`EdnError`: no history we import needs them.

Why our own rather than the ``edn_format`` package: history errors must name the line of
the bad record (:func:`read_records` gives every record's line), a history import must be
able to stop after a few records to recognise a format (:func:`head_records`), and the
subset above fits in one small module without a parser-generator dependency.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any


class EdnError(ValueError):
    """Malformed EDN. ``line`` is 1-based: where the problem is (or the unclosed form began)."""

    def __init__(self, line: int, message: str):
        self.line = line
        self.message = message
        super().__init__(f"line {line}: {message}")


@dataclass(frozen=True, slots=True)
class Keyword:
    """An EDN keyword; ``name`` excludes the leading colon (``:read`` -> ``"read"``)."""

    name: str

    def __str__(self) -> str:
        return f":{self.name}"


@dataclass(frozen=True, slots=True)
class Symbol:
    """An EDN symbol other than nil/true/false."""

    name: str

    def __str__(self) -> str:
        return self.name


_KEYWORDS: dict[str, Keyword] = {}


def keyword(name: str) -> Keyword:
    """The interned keyword ``:name`` (histories repeat a handful of keywords millions of times)."""
    kw = _KEYWORDS.get(name)
    if kw is None:
        kw = _KEYWORDS[name] = Keyword(name)
    return kw


_ATOM_CHARS = r"[^\s,\[\](){}\"\\;]"
# Whitespace and commas lead each token instead of being tokens of their own: half as
# many matches for the loop below to look at (histories are mostly ", " and " ").
_TOKEN = re.compile(
    r"""
    [\s,]*
    (?:
    (?P<comment>;[^\n]*)
  | (?P<string>"(?:[^"\\]|\\.)*")
  | (?P<open>[\[({]|\#\{)
  | (?P<close>[\])}])
  | (?P<discard>\#_)
  | (?P<tag>\#""" + _ATOM_CHARS + r"""*)
  | (?P<char>\\(?:newline|space|tab|return|u[0-9a-fA-F]{4}|\S))
  | (?P<number>[+-]?\d+(?:\.\d+)?(?:[eE][+-]?\d+)?[NM]?(?!""" + _ATOM_CHARS + r"""))
  | (?P<keyword>:""" + _ATOM_CHARS + r"""+)
  | (?P<symbol>""" + _ATOM_CHARS + r"""+)
  | (?P<bad>[^\s,])
    )
    """,
    re.VERBOSE | re.DOTALL,
)
_CLOSER = {"[": "]", "(": ")", "{": "}", "#{": "}"}
_NAMED_CHARS = {"newline": "\n", "space": " ", "tab": "\t", "return": "\r"}
_ESCAPE = re.compile(r"\\(u[0-9a-fA-F]{4}|.)", re.DOTALL)
_SIMPLE_ESCAPES = {"n": "\n", "t": "\t", "r": "\r", '"': '"', "\\": "\\", "b": "\b", "f": "\f"}
_CONSTANTS = {"nil": None, "true": True, "false": False}


class _Frame:
    """A collection being read: its opener, where it began, its items (and their starts)."""

    __slots__ = ("opener", "pos", "items", "starts", "child_starts", "discards")

    def __init__(self, opener: str, pos: int, track: bool):
        self.opener = opener
        self.pos = pos
        self.items: list[Any] = []
        self.starts: list[int] | None = [] if track else None
        # For tracked frames: the item starts of each item that is itself a tracked frame.
        self.child_starts: list[list[int] | None] | None = [] if track else None
        self.discards = 0  # pending ``#_``: the next N forms are read and dropped


def _line_of(text: str, pos: int) -> int:
    return text.count("\n", 0, pos) + 1


def _unescape(body: str, text: str, pos: int) -> str:
    if "\\" not in body:
        return body

    def replace(m: re.Match[str]) -> str:
        esc = m.group(1)
        if esc[0] == "u" and len(esc) == 5:
            return chr(int(esc[1:], 16))
        if esc in _SIMPLE_ESCAPES:
            return _SIMPLE_ESCAPES[esc]
        raise EdnError(_line_of(text, pos), f"unknown string escape \\{esc}")

    return _ESCAPE.sub(replace, body)


def _hashable(value: Any) -> Any:
    """Map keys and set elements must hash: vectors become tuples there."""
    if isinstance(value, list):
        return tuple(_hashable(v) for v in value)
    if isinstance(value, dict):
        return tuple(sorted(((repr(k), _hashable(v)) for k, v in value.items())))
    return value


def _build(frame: _Frame, text: str) -> Any:
    items = frame.items
    if frame.opener in ("[", "("):
        return items
    if frame.opener == "#{":
        return frozenset(_hashable(v) for v in items)
    if len(items) % 2:
        raise EdnError(_line_of(text, frame.pos), "map has an odd number of forms")
    return {_hashable(items[i]): items[i + 1] for i in range(0, len(items), 2)}


def _parse(text: str, track_depth: int, stop_after: int | None = None) -> _Frame:
    """Read all of ``text``; returns the root frame holding the top-level forms.

    Frames at depth < ``track_depth`` (the root is depth 0) record where each item starts.
    With ``stop_after``, stop as soon as that many records are read and return the frame
    holding them (the root, or the still-open top-level vector of records).
    """
    root = _Frame("", 0, track=True)
    stack = [root]
    top = root
    for m in _TOKEN.finditer(text):
        kind = m.lastgroup
        if kind == "comment":
            continue
        start = m.start(kind)
        token = m.group(kind)
        nested_starts = None
        # The commonest tokens first: numbers and keywords are most of a history.
        if kind == "number":
            value = int(token) if token.isdigit() else _number(token)
        elif kind == "keyword":
            value = _KEYWORDS.get(token[1:]) or keyword(token[1:])
        elif kind == "open":
            top = _Frame(token, start, track=len(stack) < track_depth)
            stack.append(top)
            continue
        elif kind == "discard":
            top.discards += 1
            continue
        elif kind == "close":
            closer = token
            if len(stack) == 1:
                raise EdnError(_line_of(text, start), f"unexpected {closer!r} with nothing open")
            expected = _CLOSER[top.opener]
            if closer != expected:
                raise EdnError(
                    _line_of(text, start),
                    f"expected {expected!r} to close {top.opener!r} from line "
                    f"{_line_of(text, top.pos)}, found {closer!r}",
                )
            if top.discards:
                raise EdnError(_line_of(text, start), "#_ with no form after it")
            done = stack.pop()
            value = _build(done, text)
            start = done.pos
            top = stack[-1]
            nested_starts = done.starts
        elif kind == "string":
            value = _unescape(token[1:-1], text, start)
        elif kind == "symbol":
            name = token
            value = _CONSTANTS[name] if name in _CONSTANTS else Symbol(name)
        elif kind == "char":
            body = token[1:]
            value = _NAMED_CHARS.get(body) or (chr(int(body[1:], 16)) if len(body) == 5 else body)
        elif kind == "tag":
            raise EdnError(_line_of(text, start), f"unsupported tagged literal {token!r}")
        else:
            snippet = text[start:start + 1]
            if snippet == '"':
                raise EdnError(_line_of(text, start), "string is not closed (file truncated?)")
            raise EdnError(_line_of(text, start), f"unexpected character {snippet!r}")
        if top.discards:
            top.discards -= 1
            continue
        top.items.append(value)
        if top.starts is not None:
            top.starts.append(start)
            top.child_starts.append(nested_starts)
        if stop_after is not None and len(top.items) >= stop_after and (
            top is root or (len(stack) == 2 and not root.items and top.opener in "[(")
        ):
            return top
    if len(stack) > 1:
        raise EdnError(
            _line_of(text, top.pos),
            f"{top.opener!r} opened here is not closed at the end of the input (file truncated?)",
        )
    if root.discards:
        raise EdnError(_line_of(text, len(text)), "#_ with no form after it")
    return root


def _number(token: str) -> int | float:
    body = token.rstrip("NM")
    if "." in body or "e" in body or "E" in body:
        return float(body)
    return int(body)


def loads(text: str) -> list[Any]:
    """All top-level forms of ``text``, in order. Raises :class:`EdnError`."""
    return _parse(text, track_depth=0).items


def read_records(text: str) -> list[tuple[int, Any]]:
    """The records of a history file as ``(line, form)`` pairs.

    A history is either one top-level vector (or list) of records, as Knossos writes it,
    or a stream of top-level records, one per line, as Elle and Porcupine write them.
    ``line`` is where each record starts, for error messages.
    """
    root = _parse(text, track_depth=2)
    if len(root.items) == 1 and isinstance(root.items[0], list):
        return _with_lines(text, root.items[0], root.child_starts[0] or [])
    return _with_lines(text, root.items, root.starts or [])


def head_records(text: str, count: int) -> list[Any]:
    """The first ``count`` records of a history (fewer if it has fewer), reading no further:
    enough to recognise a format without reading a large file twice."""
    frame = _parse(text, track_depth=0, stop_after=count)
    if frame.opener == "" and len(frame.items) == 1 and isinstance(frame.items[0], list):
        return frame.items[0][:count]
    return frame.items


def _with_lines(text: str, items: list[Any], starts: list[int]) -> list[tuple[int, Any]]:
    out: list[tuple[int, Any]] = []
    line, last = 1, 0
    for item, pos in zip(items, starts):
        line += text.count("\n", last, pos)
        last = pos
        out.append((line, item))
    return out


def to_plain(value: Any) -> Any:
    """EDN data as plain JSON-able Python: keywords and symbols become their names,
    sets become lists, tuples become lists, map keys become strings or ints."""
    kind = type(value)
    if kind in _SCALARS:
        return value
    if kind is Keyword or kind is Symbol:
        return value.name
    if kind is list or kind is tuple:
        return [to_plain(v) for v in value]
    if kind is frozenset:
        items = [to_plain(v) for v in value]
        try:
            return sorted(items)
        except TypeError:
            return sorted(items, key=repr)
    if kind is dict:
        out = {}
        for k, v in value.items():
            key = to_plain(k)
            out[key if isinstance(key, (str, int)) else repr(key)] = to_plain(v)
        return out
    return value


_SCALARS = frozenset({int, str, float, bool, type(None)})
