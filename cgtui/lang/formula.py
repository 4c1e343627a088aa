"""Local-derivative formulas: names substituted in, and evaluated with cgtui's own parser."""

from __future__ import annotations

import functools
from collections.abc import Mapping

from cgtui.core.notation import operand
from cgtui.lang.parser import tokenize


@functools.lru_cache(maxsize=256)
def _names(formula: str) -> tuple[tuple[int, str], ...]:
    """Where each name of a one-line formula starts, and the name: the table's formulas
    are few, and the stepper substitutes into them at every push."""
    return tuple((tok.column - 1, tok.text) for tok in tokenize(formula) if tok.kind == "name")


def substitute(formula: str, names: Mapping[str, str]) -> str:
    """Replace the formula variables (``a``, ``b``, ``out``) by node names, token by token.

    A name that is a negative number is parenthesised so precedence is kept.
    """
    pieces: list[str] = []
    cursor = 0
    for start, text in _names(formula):
        if text not in names:
            continue
        pieces.append(formula[cursor:start])
        pieces.append(operand(names[text]))
        cursor = start + len(text)
    pieces.append(formula[cursor:])
    return "".join(pieces)
