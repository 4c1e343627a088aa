"""The op table: every operation cgtui knows, in one place.

Each entry holds the forward rule and, for each operand slot, the local derivative
twice over: as a formula in cgtui's own expression language (what the explorer and
the CLI show a learner) and as the rule that computes it. In formulas the operands
are ``a`` and ``b`` and the op's own result is ``out`` (``tanh``: ``1 - out^2``).
``tests/test_ops.py`` evaluates every formula with cgtui's parser and checks that it
agrees with its rule, so the text shown can never drift from the numbers used.

Rules are elementwise: they take Python floats (the fast scalar path) or float64
numpy arrays (a whole batch in one pass) and return the same kind.

Kinks and domains, by definition here:

* ``relu`` and ``abs`` take derivative 0 at 0 (``step(0) = 0``, ``sign(0) = 0``).
* ``a / b`` needs ``b != 0``; ``log(a)`` needs ``a > 0``; ``sqrt(a)`` needs ``a >= 0``
  and its derivative needs ``a > 0``.
* ``a ^ b`` with a non-integer ``b`` needs ``a >= 0``; ``0 ^ b`` needs ``b >= 0``.
  Its derivative with respect to ``b`` needs ``a > 0``; at ``a = 0`` (with ``b > 0``)
  it is taken as 0, as PyTorch does.

Adding an op is one entry in ``OPS`` plus its tests.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

Value = Any  # a Python float or a float64 numpy array
Rule = Callable[..., Value]
Domain = Callable[..., "str | None"]


@dataclass(frozen=True)
class Partial:
    """The local derivative of an op's result with respect to one operand slot."""

    formula: str  # in cgtui's expression language: operands a, b; result out
    rule: Rule  # (*operands, out) -> value
    domain: Domain | None = None  # (*operands, out) -> problem, or None


@dataclass(frozen=True)
class Op:
    name: str
    arity: int
    forward: Rule  # (*operands) -> value
    partials: tuple[Partial, ...]
    symbol: str | None = None  # infix (binary) or prefix (unary) operator symbol
    precedence: int = 9  # for printing: 1 + -, 2 * /, 3 unary -, 4 ^, 9 call
    domain: Domain | None = None  # (*operands) -> problem, or None
    doc: str = ""

    @property
    def is_function(self) -> bool:
        return self.symbol is None


# --- elementwise helpers ----------------------------------------------------


def _is_scalar(x: Value) -> bool:
    return type(x) is float or type(x) is int


def _unary(scalar: Callable[[float], float], array: Callable[[Any], Any]) -> Rule:
    def rule(a: Value) -> Value:
        return scalar(a) if _is_scalar(a) else array(a)

    return rule


def _bad(mask: Any, values: Any) -> float | None:
    """The first offending value, where ``mask`` marks the offending entries."""
    if isinstance(mask, (bool, np.bool_)):
        return float(values) if mask else None
    arr = np.asarray(mask)
    if not arr.any():
        return None
    vals = np.broadcast_to(np.asarray(values, dtype=float), arr.shape)
    return float(vals[arr][0])


def _fmt(x: float) -> str:
    return format_number(x)


def format_number(x: float) -> str:
    """Short, exact-enough text for a number: ``2``, ``0.5``, ``1e-06``."""
    if isinstance(x, np.ndarray):
        if x.ndim == 0:
            x = float(x)
        else:
            return f"[{x.size} values]"
    x = float(x)
    if x != x:
        return "nan"
    if x in (math.inf, -math.inf):
        return "inf" if x > 0 else "-inf"
    if x == int(x) and abs(x) < 1e16:
        return str(int(x))
    text = f"{x:.12g}"
    return text


def _ones(*args: Value) -> Value:
    return 1.0


def _minus_ones(*args: Value) -> Value:
    return -1.0


def _zeros(*args: Value) -> Value:
    return 0.0


# --- scalar/array rules -----------------------------------------------------


def _sigmoid_scalar(a: float) -> float:
    if a >= 0:
        return 1.0 / (1.0 + math.exp(-a))
    e = math.exp(a)
    return e / (1.0 + e)


def _sigmoid_array(a: Any) -> Any:
    out = np.empty_like(np.asarray(a, dtype=float))
    pos = a >= 0
    out[pos] = 1.0 / (1.0 + np.exp(-a[pos]))
    e = np.exp(a[~pos])
    out[~pos] = e / (1.0 + e)
    return out


def _step_scalar(a: float) -> float:
    return 1.0 if a > 0 else 0.0


def _sign_scalar(a: float) -> float:
    return 1.0 if a > 0 else (-1.0 if a < 0 else 0.0)


def _pow_forward(a: Value, b: Value) -> Value:
    if _is_scalar(a) and _is_scalar(b):
        return float(a) ** float(b)
    return np.power(a, b)


def _is_integer(b: Value) -> Any:
    if _is_scalar(b):
        return float(b).is_integer()
    return np.equal(np.mod(b, 1.0), 0.0)


def _pow_domain(a: Value, b: Value) -> str | None:
    neg = (np.asarray(a) < 0) & ~np.asarray(_is_integer(b)) if not (_is_scalar(a) and _is_scalar(b)) else (
        a < 0 and not float(b).is_integer()
    )
    bad = _bad(neg, a)
    if bad is not None:
        return f"non-integer power of a negative number ({_fmt(bad)})"
    if _is_scalar(a) and _is_scalar(b):
        zero = a == 0 and b < 0
    else:
        zero = (np.asarray(a) == 0) & (np.asarray(b) < 0)
    if _bad(zero, a) is not None:
        return "division by zero (0 to a negative power)"
    return None


def _pow_da(a: Value, b: Value, out: Value) -> Value:
    if _is_scalar(a) and _is_scalar(b):
        if b == 1.0:
            return 1.0
        return float(b) * float(a) ** (float(b) - 1.0)
    return np.asarray(b) * np.power(a, np.asarray(b) - 1.0)


def _pow_da_domain(a: Value, b: Value, out: Value) -> str | None:
    if _is_scalar(a) and _is_scalar(b):
        zero = a == 0 and b < 1 and b != 0
    else:
        zero = (np.asarray(a) == 0) & (np.asarray(b) < 1) & (np.asarray(b) != 0)
    if _bad(zero, a) is not None:
        return "d/da of a^b is infinite at a = 0 when b < 1"
    return None


def _pow_db(a: Value, b: Value, out: Value) -> Value:
    if _is_scalar(a) and _is_scalar(b):
        if a > 0:
            return out * math.log(a)
        return 0.0  # a == 0, b > 0 (the domain check refuses the rest)
    a = np.asarray(a, dtype=float)
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(a > 0, out * np.log(np.where(a > 0, a, 1.0)), 0.0)


def _pow_db_domain(a: Value, b: Value, out: Value) -> str | None:
    if _is_scalar(a) and _is_scalar(b):
        bad = a < 0 or (a == 0 and b <= 0)
    else:
        a_, b_ = np.asarray(a), np.asarray(b)
        bad = (a_ < 0) | ((a_ == 0) & (b_ <= 0))
    val = _bad(bad, a)
    if val is not None:
        return f"d/db of a^b needs a > 0 (a = {_fmt(val)})"
    return None


def _div_domain(a: Value, b: Value) -> str | None:
    if _bad(np.asarray(b) == 0 if not _is_scalar(b) else b == 0, b) is not None:
        return "division by zero"
    return None


def _log_domain(a: Value) -> str | None:
    val = _bad(np.asarray(a) <= 0 if not _is_scalar(a) else a <= 0, a)
    return None if val is None else f"log of {_fmt(val)} is undefined"


def _sqrt_domain(a: Value) -> str | None:
    val = _bad(np.asarray(a) < 0 if not _is_scalar(a) else a < 0, a)
    return None if val is None else f"sqrt of {_fmt(val)} is undefined"


def _sqrt_d_domain(a: Value, out: Value) -> str | None:
    val = _bad(np.asarray(a) == 0 if not _is_scalar(a) else a == 0, a)
    return None if val is None else "the derivative of sqrt at 0 is infinite"


def _binary(
    name: str,
    symbol: str,
    precedence: int,
    forward: Rule,
    da: tuple[str, Rule],
    db: tuple[str, Rule],
    *,
    domain: Domain | None = None,
    doc: str = "",
) -> Op:
    return Op(
        name,
        2,
        forward,
        (Partial(*da), Partial(*db)),
        symbol=symbol,
        precedence=precedence,
        domain=domain,
        doc=doc,
    )


def _function(
    name: str,
    scalar: Callable[[float], float],
    array: Callable[[Any], Any],
    formula: str,
    rule: Rule,
    *,
    domain: Domain | None = None,
    partial_domain: Domain | None = None,
    doc: str = "",
) -> Op:
    return Op(
        name,
        1,
        _unary(scalar, array),
        (Partial(formula, rule, partial_domain),),
        domain=domain,
        doc=doc,
    )


OPS: dict[str, Op] = {
    op.name: op
    for op in (
        _binary("add", "+", 1, lambda a, b: a + b, ("1", _ones), ("1", _ones)),
        _binary("sub", "-", 1, lambda a, b: a - b, ("1", _ones), ("-1", _minus_ones)),
        _binary("mul", "*", 2, lambda a, b: a * b, ("b", lambda a, b, out: b), ("a", lambda a, b, out: a)),
        _binary(
            "div",
            "/",
            2,
            lambda a, b: a / b,
            ("1 / b", lambda a, b, out: 1.0 / b),
            ("-a / b^2", lambda a, b, out: -a / (b * b)),
            domain=_div_domain,
            doc="b must not be 0",
        ),
        Op(
            "pow",
            2,
            _pow_forward,
            (
                Partial("b * a^(b - 1)", _pow_da, _pow_da_domain),
                Partial("out * log(a)", _pow_db, _pow_db_domain),
            ),
            symbol="^",
            precedence=4,
            domain=_pow_domain,
            doc="a >= 0 unless b is an integer; d/db needs a > 0 (0 at a = 0)",
        ),
        Op("neg", 1, lambda a: -a, (Partial("-1", _minus_ones),), symbol="-", precedence=3),
        _function("exp", math.exp, np.exp, "out", lambda a, out: out),
        _function(
            "log",
            math.log,
            np.log,
            "1 / a",
            lambda a, out: 1.0 / a,
            domain=_log_domain,
            doc="natural logarithm; a > 0",
        ),
        _function(
            "sqrt",
            math.sqrt,
            np.sqrt,
            "1 / (2 * out)",
            lambda a, out: 0.5 / out,
            domain=_sqrt_domain,
            partial_domain=_sqrt_d_domain,
            doc="a >= 0; derivative needs a > 0",
        ),
        _function("sin", math.sin, np.sin, "cos(a)", lambda a, out: _unary(math.cos, np.cos)(a)),
        _function("cos", math.cos, np.cos, "-sin(a)", lambda a, out: -_unary(math.sin, np.sin)(a)),
        _function("tan", math.tan, np.tan, "1 + out^2", lambda a, out: 1.0 + out * out),
        _function("tanh", math.tanh, np.tanh, "1 - out^2", lambda a, out: 1.0 - out * out),
        _function(
            "sigmoid",
            _sigmoid_scalar,
            _sigmoid_array,
            "out * (1 - out)",
            lambda a, out: out * (1.0 - out),
            doc="1 / (1 + exp(-a))",
        ),
        _function(
            "relu",
            lambda a: a if a > 0 else 0.0,
            lambda a: np.maximum(a, 0.0),
            "step(a)",
            lambda a, out: _unary(_step_scalar, lambda x: (x > 0).astype(float))(a),
            doc="max(a, 0); derivative 0 at a = 0",
        ),
        _function(
            "abs",
            abs,
            np.abs,
            "sign(a)",
            lambda a, out: _unary(_sign_scalar, np.sign)(a),
            doc="derivative 0 at a = 0",
        ),
        _function(
            "step",
            _step_scalar,
            lambda a: (a > 0).astype(float),
            "0",
            _zeros,
            doc="1 where a > 0, else 0 (relu's derivative)",
        ),
        _function("sign", _sign_scalar, np.sign, "0", _zeros, doc="-1, 0 or 1 (abs's derivative)"),
    )
}

#: Functions callable by name in the expression language.
FUNCTIONS: dict[str, Op] = {name: op for name, op in OPS.items() if op.is_function}

#: Infix operator symbol -> op name (``**`` is another spelling of ``^``).
BINARY_SYMBOLS: dict[str, str] = {"+": "add", "-": "sub", "*": "mul", "/": "div", "^": "pow", "**": "pow"}

#: Formula variables for operand slots.
SLOT_NAMES = ("a", "b")
