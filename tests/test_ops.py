"""The op table: every formula shown agrees with the rule computed, at ordinary points,
at kinks and at the edges of domains, for floats and for numpy arrays."""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pytest
from conftest import examples
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from cgtui.core.errors import NumericalFault
from cgtui.core.graph import Kind
from cgtui.core.notation import format_number
from cgtui.core.ops import FUNCTIONS, OPS, SLOT_NAMES, Op, syntax
from cgtui.engine.engine import forward
from cgtui.lang.build import from_expression
from cgtui.lang.parser import tokenize

# elementwise ops: local derivatives checked here; the tensor ops' VJPs in test_tensor_ops.py
FORMULAS = [(name, slot) for name, op in OPS.items() if not op.tensor for slot in range(op.arity)]

# Ordinary points inside every op's domain are drawn from here; the domain functions
# decide which points are skipped, and the kink/domain tests below cover the rest.
# (rounded so that no subnormal divisor overflows 1 / b: overflow has its own tests)
finite = st.floats(min_value=-4.0, max_value=4.0, allow_nan=False).map(lambda x: round(x, 6))
exponents = st.sampled_from([-2.0, -1.0, 0.0, 1.0, 2.0, 3.0, 0.5, 1.5, -0.5, 2.25])


def eval_formula(formula: str, env: dict[str, Any]) -> Any:
    """Evaluate formula text with cgtui's own parser, builder and engine."""
    g = from_expression(formula)
    values: list[Any] = []
    for node in g.nodes:
        if node.op is None and node.kind is not Kind.CONST:
            assert node.name in env, f"{formula!r} uses {node.name}, which is not a formula variable"
            values.append(env[node.name])
        else:
            values.append(node.value)
    return forward(g, values)[g.outputs[0]]


def operands_in_domain(op: Op, args: tuple[Any, ...]) -> bool:
    return op.domain is None or op.domain(*args) is None


def check_formula(name: str, slot: int, args: tuple[Any, ...]) -> None:
    op = OPS[name]
    if not operands_in_domain(op, args):
        return
    out = op.forward(*args)
    partial = op.partials[slot]
    if partial.domain is not None and partial.domain(*args, out) is not None:
        return
    with np.errstate(all="ignore"):
        expected = partial.rule(*args, out)
    env = {SLOT_NAMES[k]: a for k, a in enumerate(args)}
    env["out"] = out
    try:
        got = eval_formula(partial.formula, env)
    except NumericalFault:
        # the formula text is undefined exactly where the table defines a limit, and
        # only there: d/db of a^b at a = 0, and d/da of a^0 at a = 0, both taken as 0
        assert name == "pow" and args[0] == 0 and expected == 0
        assert slot == 1 or args[1] == 0
        return
    np.testing.assert_allclose(np.broadcast_to(got, np.shape(expected)), expected, rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize(("name", "slot"), FORMULAS, ids=[f"{n}-d{SLOT_NAMES[s]}" for n, s in FORMULAS])
@settings(max_examples=examples(60), deadline=None)
@given(a=finite, b=finite, e=exponents)
def test_formula_agrees_with_rule_on_floats(name: str, slot: int, a: float, b: float, e: float) -> None:
    op = OPS[name]
    if name == "pow":
        b = e  # a spread of integer and fractional exponents
    args = (a, b)[: op.arity]
    assume(operands_in_domain(op, args))
    check_formula(name, slot, args)


@pytest.mark.parametrize(("name", "slot"), FORMULAS, ids=[f"{n}-d{SLOT_NAMES[s]}" for n, s in FORMULAS])
@settings(max_examples=examples(15), deadline=None)
@given(data=st.lists(st.tuples(finite, finite), min_size=1, max_size=6))
def test_formula_agrees_with_rule_on_arrays(name: str, slot: int, data: list[tuple[float, float]]) -> None:
    op = OPS[name]
    a = np.array([p[0] for p in data])
    b = np.array([p[1] for p in data])
    if name == "pow":
        a = np.abs(a) + 0.5  # inside every domain, so the whole batch is defined
    if name in ("log", "sqrt"):
        a = np.abs(a) + 0.1
    if name == "div":
        b = np.where(b == 0, 1.0, b)
    args = (a, b)[: op.arity]
    assert operands_in_domain(op, args)
    check_formula(name, slot, args)
    # and the array rule is the scalar rule elementwise
    out = op.forward(*args)
    with np.errstate(all="ignore"):
        rule = op.partials[slot].rule(*args, out)
    for k in range(len(a)):
        scalar_args = tuple(float(x[k]) for x in args)
        assert op.forward(*scalar_args) == pytest.approx(float(out[k]), rel=1e-14, abs=1e-300)
        one = op.partials[slot].rule(*scalar_args, op.forward(*scalar_args))
        assert float(one) == pytest.approx(float(np.broadcast_to(rule, a.shape)[k]), rel=1e-12, abs=1e-14)


def test_every_formula_uses_only_formula_variables() -> None:
    for name, op in OPS.items():
        vjp_names = {"G", "n", "Y", "shape", "of", "axis"}  # see ops.vjp
        allowed = {*SLOT_NAMES[: op.arity], "out"} | (vjp_names if op.tensor else set())
        for partial in op.partials:
            names = {t.text for t in tokenize(partial.formula) if t.kind == "name"} - set(FUNCTIONS)
            assert names <= allowed, f"{name}: {partial.formula!r} uses {names - allowed}"


def test_every_op_is_reachable_from_the_language() -> None:
    table = syntax()
    reachable = set(table.functions) | {op.name for op in (*table.infix.values(), *table.prefix.values())}
    assert reachable == set(OPS)
    for name, op in OPS.items():
        assert len(op.partials) == op.arity, name


# --- kinks ------------------------------------------------------------------------------


@pytest.mark.parametrize(("name", "x", "expected"), [
    ("relu", 0.0, 0.0), ("relu", 1e-300, 1.0), ("relu", -1e-300, 0.0), ("relu", 3.0, 1.0),
    ("abs", 0.0, 0.0), ("abs", 2.0, 1.0), ("abs", -2.0, -1.0), ("abs", -1e-300, -1.0),
])
def test_kinks_take_the_documented_derivative(name: str, x: float, expected: float) -> None:
    op = OPS[name]
    assert op.partials[0].rule(x, op.forward(x)) == expected
    arr = np.array([x, x])
    assert list(op.partials[0].rule(arr, op.forward(arr))) == [expected, expected]


def test_relu_and_abs_at_zero_through_a_graph() -> None:
    from cgtui.engine.engine import gradients

    g = from_expression("relu(x) + abs(y)", values={"x": 0.0, "y": 0.0})
    r = gradients(g)
    assert r.partials[g.index["x"]] == 0.0
    assert r.partials[g.index["y"]] == 0.0


# --- domains ------------------------------------------------------------------------------


@pytest.mark.parametrize(("name", "args", "words"), [
    ("log", (0.0,), "log of 0 is undefined"),
    ("log", (-1.0,), "log of -1 is undefined"),
    ("sqrt", (-4.0,), "sqrt of -4 is undefined"),
    ("div", (1.0, 0.0), "division by zero"),
    ("pow", (-8.0, 1 / 3), "non-integer power of a negative number (-8)"),
    ("pow", (0.0, -1.0), "division by zero"),
])
def test_forward_domains(name: str, args: tuple[float, ...], words: str) -> None:
    op = OPS[name]
    assert op.domain is not None
    problem = op.domain(*args)
    assert problem is not None and words in problem
    # the rule itself fails loudly (the engine's fast path relies on it)
    with np.errstate(all="ignore"):
        try:
            v = op.forward(*args)
        except (ArithmeticError, ValueError):
            return
    assert not (isinstance(v, float) and math.isfinite(v))


@pytest.mark.parametrize(("args", "ok"), [
    ((-2.0, 2.0), True), ((-2.0, 3.0), True), ((-2.0, -1.0), True), ((0.0, 0.0), True), ((0.0, 2.5), True),
    ((-2.0, 0.5), False), ((0.0, -0.5), False),
])
def test_pow_forward_domain(args: tuple[float, float], ok: bool) -> None:
    assert (OPS["pow"].domain(*args) is None) is ok  # type: ignore[misc]


def test_pow_d_db_needs_positive_base_and_is_zero_at_zero() -> None:
    pow_ = OPS["pow"]
    db = pow_.partials[1]
    assert db.domain is not None
    assert db.domain(-2.0, 2.0, 4.0) is not None  # (-2)^b is not differentiable in b
    assert "a > 0" in (db.domain(-2.0, 2.0, 4.0) or "")
    assert db.domain(0.0, 2.0, 0.0) is None
    assert db.rule(0.0, 2.0, 0.0) == 0.0
    assert db.domain(0.0, 0.0, 1.0) is not None  # 0^b at b = 0: no derivative in b
    assert db.rule(2.0, 3.0, 8.0) == pytest.approx(8 * math.log(2))
    arr = db.rule(np.array([0.0, 2.0, -1.0]), np.array([2.0, 3.0, 2.0]), np.array([0.0, 8.0, 1.0]))
    assert arr[0] == 0.0 and arr[1] == pytest.approx(8 * math.log(2)) and math.isnan(arr[2])


def test_pow_d_da_at_zero() -> None:
    da = OPS["pow"].partials[0]
    assert da.domain is not None
    assert da.rule(0.0, 1.0, 0.0) == 1.0  # b * a^(b-1) with b = 1: exactly 1, no 0^0
    assert da.rule(0.0, 2.0, 0.0) == 0.0
    assert da.rule(0.0, 0.0, 1.0) == 0.0
    assert da.domain(0.0, 0.5, 0.0) is not None
    with pytest.raises((ArithmeticError, ValueError)):
        da.rule(0.0, 0.5, 0.0)


def test_sqrt_derivative_at_zero_is_refused() -> None:
    d = OPS["sqrt"].partials[0]
    assert d.domain is not None and d.domain(0.0, 0.0) is not None
    with pytest.raises(ZeroDivisionError):
        d.rule(0.0, 0.0)


SPECIAL = [-3.0, -2.0, -1.0, -0.5, 0.0, 0.5, 1.0, 2.0, 1e300, -1e300]


@pytest.mark.parametrize("name", sorted(name for name, op in OPS.items() if not op.tensor))
def test_rules_fail_loudly_wherever_the_domain_says_no(name: str) -> None:
    """Outside its domain a rule raises or gives inf/NaN, so no fault goes unnoticed."""
    op = OPS[name]
    grid = [(a,) for a in SPECIAL] if op.arity == 1 else [(a, b) for a in SPECIAL for b in SPECIAL]
    with np.errstate(all="ignore"):
        for args in grid:
            try:
                out = op.forward(*args)
            except (ArithmeticError, ValueError):
                continue  # loud enough: the engine turns this into a fault
            if op.domain is not None and op.domain(*args) is not None:
                assert not math.isfinite(out), (name, args, out)
                continue
            for slot, partial in enumerate(op.partials):
                if partial.domain is not None and partial.domain(*args, out) is not None:
                    try:
                        d = partial.rule(*args, out)
                    except (ArithmeticError, ValueError):
                        continue
                    assert not math.isfinite(d), (name, slot, args, d)


def test_format_number() -> None:
    assert format_number(0.40000000000000036) == "0.4"
    assert format_number(2.0) == "2"
    assert format_number(-0.0) == "0"
    assert format_number(1e-6) == "1e-06"
    assert format_number(float("nan")) == "nan"
    assert format_number(float("-inf")) == "-inf"
    assert format_number(24.70408163265306) == "24.7040816327"


def test_formulas_with_the_edge_names() -> None:
    from cgtui.engine.engine import edge_formula
    from cgtui.lang.formula import substitute

    assert substitute("b * a^(b - 1)", {"a": "d", "b": "2"}) == "2 * d^(2 - 1)"
    assert substitute("b * a^(b - 1)", {"a": "x", "b": "-1.5"}) == "(-1.5) * x^((-1.5) - 1)"
    assert substitute("out * (1 - out)", {"a": "z", "out": "s"}) == "s * (1 - s)"
    assert substitute("1", {"a": "z"}) == "1"
    g = from_expression("s = sigmoid(z)\ns * x^(-2)")
    s, out = g.index["s"], g.outputs[0]
    assert edge_formula(g, s, 0) == "s * (1 - s)"
    v = g.nodes[out].operands[1]
    assert edge_formula(g, v, 0) == "(-2) * x^((-2) - 1)"
    # the substituted text, evaluated by cgtui at the edge's values, is the local derivative
    from cgtui.engine.engine import leaf_values, local_derivative

    g2 = from_expression("x^(-2)", values={"x": 1.5})
    vals = forward(g2, leaf_values(g2))
    node = g2.outputs[0]
    text = edge_formula(g2, node, 0)
    d, _ = local_derivative(g2, node, 0, vals)
    assert eval_formula(text, {"x": 1.5}) == pytest.approx(d, rel=1e-14)
