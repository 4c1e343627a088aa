"""What the bridges share: names for the imported program's nodes, numbers written as
operands, and one row of a check (cgtui's number beside the framework's)."""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field
from typing import Any

from cgtui.core.errors import CgtuiError
from cgtui.core.names import fresh_name
from cgtui.core.notation import operand
from cgtui.core.ops import FUNCTIONS
from cgtui.lang.parser import RESERVED_WORDS


@dataclass
class Names:
    """Unique names in cgtui's language for what a framework calls its values: invalid
    characters become ``_``, and a name that is a function (``exp``), a reserved word or
    already taken gets a numbered suffix (``exp_1``; ``sep="_v"`` gives ``exp_v1``, for
    frameworks whose own names already end in ``_1``)."""

    sep: str = "_"
    taken: set[str] = field(default_factory=set)

    def fresh(self, wanted: str) -> str:
        base = re.sub(r"\W", "_", wanted) or "v"
        if base[0].isdigit():
            base = "v" + base
        return fresh_name(base, self.taken, lambda n: n in FUNCTIONS or n in RESERVED_WORDS, self.sep)


def number(x: Any, where: str = "the imported program") -> str:
    """A number as an operand of cgtui's language (``(-2.0)`` bracketed); a graph holds
    finite numbers only."""
    value = float(x)
    if not math.isfinite(value):
        raise CgtuiError(f"{where} uses the number {value}, which a graph cannot hold")
    return operand(repr(value))


@dataclass
class Compared:
    """One number both cgtui and the framework computed."""

    name: str  # the cgtui node
    ours: float
    theirs: float

    @property
    def difference(self) -> float:
        return abs(self.ours - self.theirs)
