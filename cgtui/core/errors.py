"""The project's own error types.

Every problem with user input is reported as a :class:`CgtuiError` that names the
problem and, where there is one, the place: file, line, column and the source line
with a caret under the offending character.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable

from cgtui.core.text import printable

#: A name in a message or a drawing is cut to this many characters (``abc…(+29,990)``).
NAME_WIDTH = 40
#: A message longer than this keeps its start and end and says how much was left out.
MAX_MESSAGE = 2_000
#: A source line under a caret is shown in a window of this many characters.
SOURCE_WINDOW = 120


def short_name(name: str, width: int = NAME_WIDTH) -> str:
    """``name``, or its first characters and how many were left out when it is longer
    than ``width`` (a 30,000-character name would fill a screen)."""
    if len(name) <= width:
        return name
    return f"{name[: max(width - 12, 8)]}…(+{len(name) - max(width - 12, 8):,})"


def shorten(text: str, limit: int = MAX_MESSAGE) -> str:
    """``text`` cut in the middle when longer than ``limit``, with the count left out."""
    if len(text) <= limit:
        return text
    keep = limit // 2
    return f"{text[:keep]} … ({len(text) - 2 * keep:,} characters left out) … {text[-keep:]}"


def chain_text(names: list[str], limit: int = 10) -> str:
    """A cycle as ``a -> b -> c -> a``: names cut to :data:`NAME_WIDTH`; past ``limit``
    steps, the first and last ones and how many are between them."""
    shown = [short_name(n) for n in names]
    looped = [*shown, shown[0]] if shown else []
    if len(looped) <= limit + 1:
        return " -> ".join(looped)
    head, tail = looped[: limit // 2], looped[-(limit // 2) :]
    hidden = len(looped) - len(head) - len(tail)
    return f"{' -> '.join(head)} -> ({hidden:,} more) -> {' -> '.join(tail)}"



class CgtuiError(Exception):
    """Bad input: an expression, a YAML file, a command-line value."""

    def __init__(
        self,
        message: str,
        *,
        line: int | None = None,
        column: int | None = None,
        source_line: str | None = None,
        file: str | None = None,
        context: str | None = None,
    ) -> None:
        message = shorten(message)
        super().__init__(message)
        self.message = message
        self.line = line
        self.column = column
        if source_line is not None and len(source_line) > SOURCE_WINDOW and column is not None:
            source_line, self.column = _window(source_line, column)
        self.source_line = source_line
        self.file = file
        self.context = context

    def __str__(self) -> str:
        text = self.message
        if self.context:
            text = f"{text} ({self.context})"
        if self.line is not None:
            where = f"{self.line}:{self.column}" if self.column is not None else f"line {self.line}"
            text = f"{text} at {where}"
            if self.file:
                text = f"{text} in {self.file}"
        elif self.file:
            text = f"{text} in {self.file}"
        text = printable(text)
        if self.source_line is not None and self.column is not None:
            # keep tabs under tabs so the caret lines up in any terminal; a control
            # character is shown as its escape, and the caret counts the escape's width
            lead = "".join(c if c == "\t" else " " for c in printable(self.source_line[: self.column - 1]))
            caret = lead + "^"
            text = f"{text}\n  {printable(self.source_line)}\n  {caret}"
        return text


def _window(line: str, column: int) -> tuple[str, int]:
    """A long source line cut to :data:`SOURCE_WINDOW` characters around ``column`` (1-based),
    with ``…`` where it was cut, and the column in the cut line."""
    half = SOURCE_WINDOW // 2
    start = max(0, min(column - 1 - half, len(line) - SOURCE_WINDOW))
    end = min(len(line), start + SOURCE_WINDOW)
    text = line[start:end]
    col = column - start
    if start > 0:
        text = "…" + text
        col += 1
    if end < len(line):
        text = text + "…"
    return text, col


class ParseError(CgtuiError):
    """The expression language could not read the text."""


class GraphError(CgtuiError):
    """The graph definition is inconsistent (undefined name, cycle, wrong arity...)."""


class NumericalFault(CgtuiError):
    """A node's value or local derivative is undefined or not finite."""

    def __init__(self, message: str, *, node: str | None = None, op: str | None = None) -> None:
        super().__init__(message)
        self.node = node
        self.op = op


def name_list(names: list[str], limit: int = 10) -> str:
    """``a, b, c``; past ``limit`` names, the first ones and how many more, so a message
    about a 100,000-leaf graph stays one readable line."""
    if len(names) <= limit:
        return ", ".join(short_name(n) for n in names)
    return f"{', '.join(short_name(n) for n in names[:limit])} and {len(names) - limit:,} more"


def did_you_mean(name: str, candidates: Iterable[str], *, inside: bool = False) -> str:
    """`` (did you mean 'weight'?)`` when a candidate is close to ``name``, else ``''``;
    ``inside=True`` gives ``; did you mean 'weight'?`` for a message already in brackets."""
    close = difflib.get_close_matches(name, list(candidates), n=1, cutoff=0.6)
    if not close:
        return ""
    return f"; did you mean '{close[0]}'?" if inside else f" (did you mean '{close[0]}'?)"
