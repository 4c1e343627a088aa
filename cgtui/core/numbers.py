"""One checked conversion for every number that comes from a file or the command line.

``float()`` alone accepts too much and fails badly: it reads Arabic-Indic and full-width
digits (``float("٣") == 3.0``), underscores, ``inf`` and ``nan``, and raises a bare
OverflowError on a 401-digit integer from YAML. :func:`checked_float` accepts ASCII
numbers only (``2``, ``-0.5``, ``.5``, ``1e-3``), refuses what is not finite, and says
which value was wrong.
"""

from __future__ import annotations

import math
import re

from cgtui.core.errors import CgtuiError

#: A number as cgtui reads it: ASCII digits, an optional sign, point and exponent.
NUMBER = re.compile(r"[-+]?(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][-+]?[0-9]+)?", re.ASCII)

#: Numbers are shown this long at most in messages.
_SHOWN = 40


def shown(text: str) -> str:
    """``text`` cut to a readable length for a message."""
    text = text.strip()
    if len(text) <= _SHOWN:
        return text
    return f"{text[:_SHOWN]}... ({len(text):,} characters)"


def checked_float(value: object, what: str) -> float:
    """``value`` (an int, a float or a string) as a finite float, else a :class:`CgtuiError`
    naming ``what``."""
    if isinstance(value, bool):
        raise CgtuiError(f"{what} must be a number, got {str(value).lower()}")
    if isinstance(value, int):
        try:
            number = float(value)
        except OverflowError:
            digits = len(str(abs(value))) if abs(value).bit_length() < 20_000 else None
            size = f"{digits:,} digits" if digits is not None else "too many digits"
            raise CgtuiError(f"{what} is too large to be a number ({size})") from None
    elif isinstance(value, float):
        number = value
    elif isinstance(value, str):
        text = value.strip()
        if not NUMBER.fullmatch(text):
            if text.lower().lstrip("+-") in ("inf", "infinity", "nan", ".inf", ".nan"):
                raise CgtuiError(f"{what} must be a finite number, got '{shown(text)}'")
            if any(c.isdigit() and not c.isascii() for c in text):
                raise CgtuiError(f"{what} must be written with ASCII digits 0-9, got '{shown(text)}'")
            raise CgtuiError(f"{what} must be a number, got '{shown(text)}'")
        number = float(text)
    else:
        raise CgtuiError(f"{what} must be a number, got {type(value).__name__}")
    if not math.isfinite(number):
        shown_value = shown(value) if isinstance(value, str) else repr(value)
        raise CgtuiError(f"{what} must be a finite number, got {shown_value}")
    return number + 0.0
