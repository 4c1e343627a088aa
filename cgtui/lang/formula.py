"""Local-derivative formulas: names substituted in, and evaluated with cgtui's own parser."""

from __future__ import annotations

from collections.abc import Mapping
from functools import lru_cache

from cgtui.core.notation import operand
from cgtui.lang.parser import tokenize


def substitute(formula: str, names: Mapping[str, str]) -> str:
    """Replace the formula variables (``a``, ``b``, ``out``) by node names, token by token.

    A name that is a negative number is parenthesised so precedence is kept.
    """
    pieces: list[str] = []
    cursor = 0
    lines = formula
    for start, name in _names(formula):
        if name not in names:
            continue
        pieces.append(lines[cursor:start])
        pieces.append(operand(names[name]))
        cursor = start + len(name)
    pieces.append(lines[cursor:])
    return "".join(pieces)


@lru_cache(maxsize=1024)
def _names(formula: str) -> tuple[tuple[int, str], ...]:
    """Where each name token starts in a formula: tokenized once per formula (the op
    table has a few dozen), not once per edge (300,000 on a 100,000-level ladder)."""
    return tuple((tok.column - 1, tok.text) for tok in tokenize(formula) if tok.kind == "name")  # one line
