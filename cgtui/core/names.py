"""Fresh names: the one rule for naming something without clashing with names in use.

Generated code (:mod:`cgtui.teach.codegen`) and imported programs
(:mod:`cgtui.bridges.common`) both need names that are not yet taken and are not words
their language reserves; both number a clash the same way (``exp`` becomes ``exp_1``).
"""

from __future__ import annotations

from collections.abc import Callable


def fresh_name(wanted: str, taken: set[str], reserved: Callable[[str], bool], sep: str = "_") -> str:
    """``wanted``, or ``wanted`` + ``sep`` + the first number that makes it new, when it is
    taken or ``reserved`` says it cannot be used; the name returned is added to ``taken``."""
    name = wanted
    if reserved(name) or name in taken:
        k = 1
        while f"{wanted}{sep}{k}" in taken:
            k += 1
        name = f"{wanted}{sep}{k}"
    taken.add(name)
    return name
