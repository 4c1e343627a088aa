"""The op table: every operation cgtui knows, in one place.

Each entry holds the forward rule and, for each operand slot, the local derivative
twice over: as a formula in cgtui's own expression language (what the explorer and
the CLI show a learner) and as the rule that computes it, in the spirit of PyTorch's
``derivatives.yaml``. In formulas the operands are ``a`` and ``b`` and the op's own
result is ``out`` (``tanh``: ``1 - out^2``). ``tests/test_ops.py`` parses every formula
with cgtui's parser, evaluates it with the engine and checks that it agrees with its
rule, so the text shown can never drift from the numbers used. A rule computes what its
formula says, operation for operation (``b^2`` is a power, as the formula's ``^`` is, not
``b * b``, which can differ in the last bit), so the backward pass built as a graph from
the formulas (:mod:`cgtui.engine.backward_graph`) gives the same numbers to the last digit.

Rules are elementwise: they take Python floats (the fast scalar path) or float64
numpy arrays (a whole batch in one pass) and return the same kind. Outside its domain
a rule raises (``ZeroDivisionError``, ``ValueError``, ``OverflowError``) or returns a
non-finite number; the op's ``domain`` function then says what went wrong, in words.

Kinks and domains, by definition here:

* ``relu`` and ``abs`` take derivative 0 at 0 (``step(0) = 0``, ``sign(0) = 0``).
* ``a / b`` needs ``b != 0``; ``log(a)`` needs ``a > 0``; ``sqrt(a)`` needs ``a >= 0``
  and its derivative needs ``a > 0``.
* ``a ^ b`` with a non-integer ``b`` needs ``a >= 0``; ``0 ^ b`` needs ``b >= 0``.
  Its derivative with respect to ``a`` is exactly 1 for ``b = 1`` and 0 for ``b = 0``
  (also at ``a = 0``, where the formula text would divide by zero). Its derivative
  with respect to ``b`` needs ``a > 0``; at ``a = 0`` (with ``b > 0``) it is taken as
  0, as PyTorch does. The engine only asks for ``d/db`` when the
  exponent is not a constant, so ``(-2)^2`` and ``d^2`` never need it.

Adding an op is one entry in ``OPS`` plus its tests; an operator's entry also says how
it is written (symbol, other spellings, precedence, associativity), and the parser and
the printer read that from the entry (:func:`syntax`).
"""

from __future__ import annotations

import functools
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from cgtui.core import arrays
from cgtui.core.arrays import Shape
from cgtui.core.lazy import np
from cgtui.core.notation import dotted, format_number

Value = Any  # a Python float or a float64 numpy array
Rule = Callable[..., Value]
Domain = Callable[..., "str | None"]
ShapeRule = Callable[[Sequence[Shape], Sequence["float | None"]], Shape]


@dataclass(frozen=True)
class Partial:
    """The local derivative of an op's result with respect to one operand slot."""

    formula: str  # in cgtui's expression language: operands a, b; result out
    rule: Rule  # (*operands, out) -> value; a VJP's: (G, *operands, out) -> value
    domain: Domain | None = None  # (*operands, out) -> problem, or None
    #: A vector-Jacobian product (a tensor op's): the formula and rule give
    #: ``G · ∂out/∂operand`` from the upstream partial ``G`` directly.
    vjp: bool = False


@dataclass(frozen=True)
class Tangent:
    """A tensor op's Jacobian-vector product for one operand slot: forward mode's dual of
    its VJP. The formula and rule give ``∂out/∂operand · ȧ`` from the operand's tangent
    ``ȧ`` directly, an array of the result's shape."""

    formula: str  # operands a, b; result out; the slot's tangent ȧ (ḃ, ċ) (notation.dotted)
    rule: Rule  # (t, *operands, out) -> value, in the result's shape


@dataclass(frozen=True)
class Op:
    name: str
    arity: int
    forward: Rule  # (*operands) -> value
    partials: tuple[Partial, ...]
    # how an operator is written: parsed and printed from these (a function has no symbol)
    symbol: str | None = None  # infix (binary) or prefix (unary) operator symbol
    precedence: int = 9  # binding strength: 1 + -, 2 * /, 3 prefix -, 4 ^, 9 call
    right: bool = False  # right-associative: a ^ b ^ c is a ^ (b ^ c)
    spellings: tuple[str, ...] = ()  # other ways to write the symbol: '**' for '^'
    domain: Domain | None = None  # (*operands) -> problem, or None
    doc: str = ""
    #: (operand shapes, operand constants) -> result shape; raises ShapeMismatch.
    #: None: elementwise, numpy's broadcasting rules.
    shape: ShapeRule | None = None
    #: Written as a keyword of another function: ``("sum", "axis")`` is ``sum(a, axis=b)``.
    keyword: tuple[str, str] | None = None
    #: A tensor op's JVP per operand slot, beside its VJPs (forward mode). An elementwise
    #: op needs none: its JVP is its local derivative times the tangent, broadcast.
    jvps: tuple[Tangent, ...] = ()

    @functools.cached_property
    def tensor(self) -> bool:
        """An array op whose partials are vector-Jacobian products (asked for each op
        a graph's text applies)."""
        return any(p.vjp for p in self.partials)

    def result_shape(self, shapes: Sequence[Shape], consts: Sequence[float | None]) -> Shape:
        """The shape of the result, or :class:`ShapeMismatch` naming both shapes."""
        if self.shape is None:
            return arrays.broadcast_shape(self.name, self.symbol, shapes)
        return self.shape(shapes, consts)

    @property
    def is_function(self) -> bool:
        return self.symbol is None


# --- elementwise helpers --------------------------------------------------------------


def _is_scalar(x: Value) -> bool:
    return type(x) is float or type(x) is int


def _elementwise(scalar: Callable[[float], float], array: Callable[[Any], Any] | str) -> Rule:
    """One rule from a ``math`` function (floats) and a numpy one (arrays), the numpy
    one given by its name when it is a numpy function (numpy is imported when first used)."""

    def rule(a: Value) -> Value:
        if type(a) is float:
            return scalar(a)
        return getattr(np, array)(a) if isinstance(array, str) else array(a)

    rule.__name__ = getattr(scalar, "__name__", "rule")
    return rule


def _first_bad(mask: Any, values: Any) -> float | None:
    """The first offending value, where ``mask`` marks the offending entries."""
    if isinstance(mask, (bool, np.bool_)):
        return float(values) if mask else None
    arr = np.asarray(mask)
    if not arr.any():
        return None
    vals = np.broadcast_to(np.asarray(values, dtype=float), arr.shape)
    return float(vals[arr][0])


def _arr(x: Value) -> Any:
    return x if _is_scalar(x) else np.asarray(x, dtype=float)


def _is_integer(b: Value) -> Any:
    return float(b).is_integer() if _is_scalar(b) else np.equal(np.mod(b, 1.0), 0.0)


# --- rules that need more than one line --------------------------------------------------


def _sigmoid_scalar(a: float) -> float:
    if a >= 0:
        return 1.0 / (1.0 + math.exp(-a))
    e = math.exp(a)  # for negative a: no overflow
    return e / (1.0 + e)


def _sigmoid_array(a: Any) -> Any:
    a = np.asarray(a, dtype=float)
    e = np.exp(-np.abs(a))
    return np.where(a >= 0, 1.0 / (1.0 + e), e / (1.0 + e))


def _step_scalar(a: float) -> float:
    return 1.0 if a > 0 else 0.0


def _sign_scalar(a: float) -> float:
    return 1.0 if a > 0 else (-1.0 if a < 0 else 0.0)


step = _elementwise(_step_scalar, lambda a: (np.asarray(a) > 0).astype(float))
sign = _elementwise(_sign_scalar, "sign")


def _pow(a: Value, b: Value) -> Value:
    # math.pow raises ValueError for a negative base with a non-integer exponent
    # (where ``**`` would return a complex number) and for 0 to a negative power.
    if _is_scalar(a) and _is_scalar(b):
        return math.pow(a, b)
    return np.power(_arr(a), _arr(b))


def _pow_da(a: Value, b: Value, out: Value) -> Value:
    """b * a^(b - 1); exactly 1 when b = 1 and 0 when b = 0, also at a = 0."""
    if _is_scalar(a) and _is_scalar(b):
        if b == 1 or b == 0:
            return float(b)
        return b * math.pow(a, b - 1.0)
    a, b = _arr(a), _arr(b)
    with np.errstate(divide="ignore", invalid="ignore"):
        general = b * np.power(a, b - 1.0)
    return np.where(b == 1, 1.0, np.where(b == 0, 0.0, general))


def _pow_db(a: Value, b: Value, out: Value) -> Value:
    """out * log(a) for a > 0; 0 at a = 0 (where out = 0 for b > 0); NaN for a < 0."""
    if _is_scalar(a) and _is_scalar(b):
        if a > 0:
            return out * math.log(a)
        return 0.0 if a == 0 and b > 0 else math.nan
    a, b = _arr(a), _arr(b)
    with np.errstate(divide="ignore", invalid="ignore"):
        inner = out * np.log(np.where(a > 0, a, 1.0))
    return np.where(a > 0, inner, np.where((a == 0) & (b > 0), 0.0, np.nan))


# --- domains: what went wrong, in words -------------------------------------------------


def _pow_domain(a: Value, b: Value) -> str | None:
    a_, b_ = _arr(a), _arr(b)
    bad = _first_bad((a_ < 0) & ~np.asarray(_is_integer(b_)), a_)
    if bad is not None:
        return f"non-integer power of a negative number ({format_number(bad)})"
    if _first_bad((a_ == 0) & (b_ < 0), a_) is not None:
        return "division by zero (0 to a negative power)"
    return None


def _pow_da_domain(a: Value, b: Value, out: Value) -> str | None:
    a_, b_ = _arr(a), _arr(b)
    if _first_bad((a_ == 0) & (b_ < 1) & (b_ != 0), a_) is not None:
        return "d/da of a^b is infinite at a = 0 when b < 1"
    return None


def _pow_db_domain(a: Value, b: Value, out: Value) -> str | None:
    a_, b_ = _arr(a), _arr(b)
    val = _first_bad((a_ < 0) | ((a_ == 0) & (b_ <= 0)), a_)
    if val is not None:
        return f"d/db of a^b needs a > 0 (a = {format_number(val)})"
    return None


def _div_domain(a: Value, b: Value) -> str | None:
    return "division by zero" if _first_bad(_arr(b) == 0, b) is not None else None


def _log_domain(a: Value) -> str | None:
    val = _first_bad(_arr(a) <= 0, a)
    return None if val is None else f"log of {format_number(val)} is undefined"


def _sqrt_domain(a: Value) -> str | None:
    val = _first_bad(_arr(a) < 0, a)
    return None if val is None else f"sqrt of {format_number(val)} is undefined"


def _sqrt_d_domain(a: Value, out: Value) -> str | None:
    if _first_bad(_arr(a) == 0, a) is not None:
        return "the derivative of sqrt at 0 is infinite"
    return None


# --- the table ------------------------------------------------------------------------------


def d(formula: str, rule: Rule, domain: Domain | None = None) -> Partial:
    """One local derivative: its formula (shown) and its rule (computed)."""
    return Partial(formula, rule, domain)


def function(name: str, forward: Rule, *partials: Partial, domain: Domain | None = None, doc: str = "") -> Op:
    """A one-operand function called by name: ``tanh(a)``."""
    return Op(name, 1, forward, partials, domain=domain, doc=doc)


def _one(*_: Value) -> Value:
    return 1.0


def _minus_one(*_: Value) -> Value:
    return -1.0


def _zero(*_: Value) -> Value:
    return 0.0


def vjp(formula: str, rule: Rule) -> Partial:
    """One vector-Jacobian product: ``G · ∂out/∂operand`` as formula (shown) and rule.

    Formula variables: operands ``a``, ``b``, result ``out``, upstream partial ``G``,
    and, where the op needs them, ``n`` (entries a mean averages) and ``Y`` (labels as
    rows of probabilities). The engine then fits the result to the operand's shape with
    the one broadcasting rule, :func:`cgtui.core.arrays.fit`.
    """
    return Partial(formula, rule, vjp=True)


def tensor(
    name: str, arity: int, forward: Rule, shape: ShapeRule, *partials: Partial, doc: str = "",
    symbol: str | None = None, precedence: int = 9, keyword: tuple[str, str] | None = None,
    domain: Domain | None = None, jvps: tuple[Tangent, ...] = (),
) -> Op:
    """An array op: forward rule, shape rule, one VJP per operand (and one JVP each)."""
    return Op(
        name, arity, forward, partials, symbol=symbol, precedence=precedence, doc=doc, shape=shape,
        keyword=keyword, domain=domain, jvps=jvps,
    )


def jvp(formula: str, rule: Rule) -> Tangent:
    """One Jacobian-vector product: ``∂out/∂operand · ȧ`` as formula (shown) and rule.

    Formula variables: operands ``a``, ``b``, result ``out``, the slot's tangent written
    with a dot (``ȧ``, ``ḃ``: :func:`cgtui.core.notation.dotted`), and, where the op needs
    them, ``n`` and ``Y`` as in its VJP. The result has the op's result shape.
    """
    return Tangent(formula, rule)


def _no_jvp(t: Value, *_: Value) -> Value:
    return 0.0  # a constant operand (an axis, a shape): never differentiated


def _no_vjp(g: Value, *_: Value) -> Value:
    return 0.0  # a constant operand (an axis, a shape): never differentiated


def _single(rule: Callable[[Shape], Shape]) -> ShapeRule:
    return lambda shapes, consts: rule(shapes[0])


def _axis_shape(name: str) -> ShapeRule:
    def rule(shapes: Sequence[Shape], consts: Sequence[float | None]) -> Shape:
        return arrays.reduce_shape(shapes[0], arrays.axis_of(name, shapes[0], consts[1]))

    return rule



def _fit_shape(shapes: Sequence[Shape], consts: Sequence[float | None]) -> Shape:
    """``fit(G, a)`` has ``a``'s shape, where :func:`cgtui.core.arrays.fit` can bring ``G`` to it."""
    g, a = shapes[0], shapes[1]
    tail = g[len(g) - len(a) :] if len(g) > len(a) else g
    if len(tail) == len(a):
        tail = tuple(1 if n == 1 and m != 1 else m for n, m in zip(a, tail, strict=True))
    try:
        fits = tuple(np.broadcast_shapes(tail, a)) == a
    except ValueError:
        fits = False
    if not fits:
        raise arrays.ShapeMismatch(
            f"fit: {arrays.shape_text(g)} to {arrays.shape_text(a)}: "
            "G must broadcast with the operand's shape"
        )
    return a


def _fit(g: Value, a: Value) -> Value:
    """``g`` brought to ``a``'s shape, as the backward pass does it (a number: the sum)."""
    shape = arrays.shape_of(a)
    if not shape and not _is_scalar(g):
        return float(np.sum(g))
    return arrays.fit(g, shape)


_cos = _elementwise(math.cos, "cos")
_A, _B = dotted("a"), dotted("b")  # the tangents of operands a and b in a JVP's formula
_sin = _elementwise(math.sin, "sin")

OPS: dict[str, Op] = {
    op.name: op
    for op in (
        # operators: name, arity, forward rule, (d/da, d/db), how it is written
        Op("add", 2, lambda a, b: a + b, (d("1", _one), d("1", _one)), symbol="+", precedence=1),
        Op("sub", 2, lambda a, b: a - b, (d("1", _one), d("-1", _minus_one)), symbol="-", precedence=1),
        Op(
            "mul", 2, lambda a, b: a * b,
            (d("b", lambda a, b, out: b), d("a", lambda a, b, out: a)),
            symbol="*", precedence=2,
        ),
        Op(
            "div", 2, lambda a, b: a / b,
            (d("1 / b", lambda a, b, out: 1.0 / b), d("-a / b^2", lambda a, b, out: -a / _pow(b, 2.0))),
            symbol="/", precedence=2, domain=_div_domain, doc="b must not be 0",
        ),
        Op(
            "pow", 2, _pow,
            (d("b * a^(b - 1)", _pow_da, _pow_da_domain), d("out * log(a)", _pow_db, _pow_db_domain)),
            symbol="^", precedence=4, right=True, spellings=("**",), domain=_pow_domain,
            doc="a >= 0 unless b is an integer; d/db needs a > 0 (0 at a = 0)",
        ),
        Op("neg", 1, lambda a: -a, (d("-1", _minus_one),), symbol="-", precedence=3),
        # functions, called by name: name, forward rule, d/da
        function("exp", _elementwise(math.exp, "exp"), d("out", lambda a, out: out)),
        function(
            "log", _elementwise(math.log, "log"), d("1 / a", lambda a, out: 1.0 / a),
            domain=_log_domain, doc="natural logarithm; a > 0",
        ),
        function(
            "sqrt", _elementwise(math.sqrt, "sqrt"),
            d("1 / (2 * out)", lambda a, out: 0.5 / out, _sqrt_d_domain),
            domain=_sqrt_domain, doc="a >= 0; the derivative needs a > 0",
        ),
        function("sin", _sin, d("cos(a)", lambda a, out: _cos(a))),
        function("cos", _cos, d("-sin(a)", lambda a, out: -_sin(a))),
        function("tan", _elementwise(math.tan, "tan"), d("1 + out^2", lambda a, out: 1.0 + _pow(out, 2.0))),
        function(
            "tanh", _elementwise(math.tanh, "tanh"), d("1 - out^2", lambda a, out: 1.0 - _pow(out, 2.0))
        ),
        function(
            "sigmoid", _elementwise(_sigmoid_scalar, _sigmoid_array),
            d("out * (1 - out)", lambda a, out: out * (1.0 - out)), doc="1 / (1 + exp(-a))",
        ),
        function(
            "relu", _elementwise(lambda a: a if a > 0 else 0.0, lambda a: np.maximum(a, 0.0)),
            d("step(a)", lambda a, out: step(a)), doc="max(a, 0); derivative 0 at a = 0",
        ),
        function(
            "abs", _elementwise(abs, "abs"), d("sign(a)", lambda a, out: sign(a)),
            doc="derivative 0 at a = 0",
        ),
        function("step", step, d("0", _zero), doc="1 where a > 0, else 0 (relu's derivative)"),
        function("sign", sign, d("0", _zero), doc="-1, 0 or 1 (abs's derivative)"),
        # array ops: name, arity, forward rule, shape rule, one VJP per operand (G: dL/dout)
        tensor(
            "matmul", 2, arrays.matmul, lambda s, c: arrays.matmul_shape(s[0], s[1]),
            vjp("G @ transpose(b)", lambda g, a, b, out: g @ arrays.transpose(b)),
            vjp("transpose(a) @ G", lambda g, a, b, out: arrays.transpose(a) @ g),
            symbol="@", precedence=2, doc="matrix product of 2-D arrays",
            jvps=(jvp(f"{_A} @ b", lambda t, a, b, out: t @ b), jvp(f"a @ {_B}", lambda t, a, b, out: a @ t)),
        ),
        tensor(
            "transpose", 1, arrays.transpose, _single(arrays.transpose_shape),
            vjp("transpose(G)", lambda g, a, out: arrays.transpose(g)), doc="rows become columns",
            jvps=(jvp(f"transpose({_A})", lambda t, a, out: arrays.transpose(t)),),
        ),
        tensor(
            "sum", 1, arrays.total, _single(lambda a: ()),
            vjp("G", lambda g, a, out: g), doc="the sum of every entry",
            jvps=(jvp(f"sum({_A})", lambda t, a, out: arrays.total(t)),),
        ),
        tensor(
            "mean", 1, arrays.average, _single(lambda a: ()),
            vjp("G / n", lambda g, a, out: g / arrays.count(a, out)), doc="the mean of every entry",
            jvps=(jvp(f"mean({_A})", lambda t, a, out: arrays.average(t)),),
        ),
        tensor(
            "sum_axis", 2, arrays.total_axis, _axis_shape("sum"),
            vjp("G", lambda g, a, b, out: g), vjp("0", _no_vjp), keyword=("sum", "axis"),
            doc="sum(a, axis=k): the sum along axis k, kept with length 1",
            jvps=(jvp(f"sum({_A}, axis=b)", lambda t, a, b, out: arrays.total_axis(t, b)), jvp("0", _no_jvp)),
        ),
        tensor(
            "mean_axis", 2, arrays.average_axis, _axis_shape("mean"),
            vjp("G / n", lambda g, a, b, out: g / arrays.count(a, out)), vjp("0", _no_vjp),
            keyword=("mean", "axis"), doc="mean(a, axis=k): the mean along axis k, kept with length 1",
            jvps=(
                jvp(f"mean({_A}, axis=b)", lambda t, a, b, out: arrays.average_axis(t, b)), jvp("0", _no_jvp)
            ),
        ),
        tensor(
            "reshape", 3, arrays.reshape, lambda s, c: arrays.reshape_shape(s[0], c[1], c[2]),
            vjp("reshape(G, shape of a)", lambda g, a, b, c, out: np.reshape(g, arrays.shape_of(a))),
            vjp("0", _no_vjp), vjp("0", _no_vjp), doc="reshape(a, rows, cols)",
            jvps=(
                jvp(f"reshape({_A}, b, c)", lambda t, a, b, c, out: arrays.reshape(t, b, c)),
                jvp("0", _no_jvp), jvp("0", _no_jvp),
            ),
        ),
        tensor(
            "softmax", 1, arrays.softmax, _single(lambda a: arrays.last_axis_shape("softmax", a)),
            vjp("out * (G - sum(G * out, axis=-1))", arrays.softmax_vjp), doc="along the last axis",
            jvps=(jvp(f"out * ({_A} - sum({_A} * out, axis=-1))", arrays.softmax_jvp),),
        ),
        tensor(
            "log_softmax", 1, arrays.log_softmax, _single(lambda a: arrays.last_axis_shape("log_softmax", a)),
            vjp("G - exp(out) * sum(G, axis=-1)", arrays.log_softmax_vjp), doc="along the last axis",
            jvps=(jvp(f"{_A} - sum(exp(out) * {_A}, axis=-1)", arrays.log_softmax_jvp),),
        ),
        tensor(
            "cross_entropy", 2, arrays.cross_entropy, lambda s, c: arrays.cross_entropy_shape(s[0], s[1]),
            vjp("G * (softmax(a) - Y) / n", arrays.cross_entropy_da),
            vjp("-G * log_softmax(a) / n", arrays.cross_entropy_db),
            domain=arrays.cross_entropy_domain,
            doc="cross_entropy(logits, labels): mean over rows; labels are class indices or rows of "
            "probabilities (Y); d/dlabels is 0 for class indices",
            jvps=(
                jvp(f"sum((softmax(a) - Y) * {_A}) / n", arrays.cross_entropy_jvp_a),
                jvp(f"-sum({_B} * log_softmax(a)) / n", arrays.cross_entropy_jvp_b),
            ),
        ),
        tensor(
            "fit", 2, _fit, _fit_shape,
            vjp("fit(G, a)", lambda g, a, b, out: _fit(g, a)), vjp("0", _no_vjp),
            doc="fit(G, a): G brought to the shape of a, the backward pass's broadcasting rule: summed "
            "over the axes a was broadcast along, spread over the axes a reduction removed",
            jvps=(jvp(f"fit({_A}, b)", lambda t, a, b, out: _fit(t, b)), jvp("0", _no_jvp)),
        ),
    )
}

#: Functions callable by name in the expression language.
FUNCTIONS: dict[str, Op] = {name: op for name, op in OPS.items() if op.is_function}


def keyword_op(function: str, keyword: str) -> Op | None:
    """The op ``function(a, keyword=b)`` is written as: ``sum(a, axis=0)`` is ``sum_axis``."""
    for op in OPS.values():
        if op.keyword == (function, keyword):
            return op
    return None



@dataclass(frozen=True, eq=False)
class Syntax:
    """How the table's operators and functions are written, derived from its entries."""

    infix: dict[str, Op]  # every spelling of a binary operator ('^' and '**') -> its op
    prefix: dict[str, Op]  # prefix operator symbol ('-') -> its op
    functions: dict[str, Op]  # function name -> its op


_syntax: tuple[tuple[int, ...], Syntax] | None = None


def syntax() -> Syntax:
    """The syntax of the op table as it is now (an entry added or replaced shows at once)."""
    global _syntax
    key = tuple(map(id, OPS.values()))
    if _syntax is None or _syntax[0] != key:
        _syntax = key, _derive_syntax(OPS)
    return _syntax[1]


def _derive_syntax(table: dict[str, Op]) -> Syntax:
    infix: dict[str, Op] = {}
    prefix: dict[str, Op] = {}
    for op in table.values():
        if op.symbol is None:
            continue
        if op.arity not in (1, 2):
            raise ValueError(f"op '{op.name}': an operator takes one operand (prefix) or two (infix)")
        spellings = prefix if op.arity == 1 else infix
        for spelling in (op.symbol, *op.spellings):
            other = spellings.get(spelling)
            if other is not None:
                raise ValueError(f"ops '{other.name}' and '{op.name}' are both written '{spelling}'")
            spellings[spelling] = op
    return Syntax(infix, prefix, {name: op for name, op in table.items() if op.is_function})


#: Formula variables for operand slots.
SLOT_NAMES = ("a", "b", "c")
