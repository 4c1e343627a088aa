"""Text from users and files, made safe to print: one function for control characters.

A title, a path or a source line can carry terminal escape sequences (``\\x1b[2J``),
bidirectional overrides or other invisible characters. :func:`printable` shows each as
its escape (``\\x1b``, ``\\u202e``), keeping tabs and newlines, so what a terminal
prints is what the file says, never a command to the terminal.
"""

from __future__ import annotations

import unicodedata

#: Kept as they are: they lay text out and cannot drive a terminal.
_LAYOUT = frozenset("\t\n")


def _escape(c: str) -> str:
    code = ord(c)
    if code < 0x100:
        return f"\\x{code:02x}"
    if code < 0x10000:
        return f"\\u{code:04x}"
    return f"\\U{code:08x}"


def printable(text: str) -> str:
    """``text`` with every control, format, private-use or unassigned character (Unicode
    categories C*) but tab and newline written as its escape."""
    if text.isprintable():
        return text
    return "".join(
        c if c in _LAYOUT or c.isprintable() or unicodedata.category(c)[0] != "C" else _escape(c)
        for c in text
    )
