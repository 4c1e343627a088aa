"""Local-derivative formulas: names substituted in, and evaluated with cgtui's own parser."""

from __future__ import annotations

from collections.abc import Mapping

from cgtui.lang.parser import tokenize


def substitute(formula: str, names: Mapping[str, str]) -> str:
    """Replace the formula variables (``a``, ``b``, ``out``) by node names, token by token.

    A name that is a negative number is parenthesised so precedence is kept.
    """
    tokens = tokenize(formula)
    pieces: list[str] = []
    cursor = 0
    lines = formula
    for tok in tokens:
        if tok.kind != "name" or tok.text not in names:
            continue
        start = tok.column - 1  # formulas are one line
        pieces.append(lines[cursor:start])
        repl = names[tok.text]
        if repl.startswith("-"):
            repl = f"({repl})"
        pieces.append(repl)
        cursor = start + len(tok.text)
    pieces.append(lines[cursor:])
    return "".join(pieces)
