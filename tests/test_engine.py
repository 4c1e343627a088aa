"""The full passes: faults per node, the scalar fast path against the general (numpy) path,
batches, the gradient check and the descent step."""

from __future__ import annotations

import math

import numpy as np
import pytest
from conftest import examples
from hypothesis import given, settings
from hypothesis import strategies as st

from cgtui.core.errors import CgtuiError, NumericalFault
from cgtui.core.graph import Kind
from cgtui.engine.engine import (
    Status,
    Stepper,
    _backward_checked,
    backward,
    descent_step,
    differentiable_leaves,
    forward,
    grad_check,
    gradients,
    leaf_values,
    require_values,
)
from cgtui.lang.build import from_expression


def test_differentiable_leaves_are_the_same_before_and_after_the_passes_keep_a_tape() -> None:
    g = from_expression("z = a*x + b\nL = (z - y)^2 + 2*z", values=dict(a=1.0, x=2.0, b=0.5, y=3.0))
    leaves = [i for i, n in enumerate(g.nodes) if n.op is None and n.kind is not Kind.CONST]
    assert differentiable_leaves(g) == leaves
    gradients(g)  # (keeps the graph's tape)
    assert "engine.tape" in g.cache
    assert differentiable_leaves(g) == leaves
    g.set_kind("b", Kind.CONST)
    gradients(g)
    assert differentiable_leaves(g) == [i for i in leaves if g.nodes[i].name != "b"]


# --- faults in the full passes --------------------------------------------------------------


@pytest.mark.parametrize(("text", "values", "message"), [
    ("log(x*y - 3) + 1", {"x": 1.0, "y": 2.0}, "v3 = log(v2): log of -1 is undefined"),
    ("log(x)", {"x": 0.0}, "out = log(x): log of 0 is undefined"),
    ("sqrt(x - 5)", {"x": 1.0}, "out = sqrt(v1): sqrt of -4 is undefined"),
    ("a / (b - 1)", {"a": 1.0, "b": 1.0}, "out = a / v1: division by zero"),
    ("x ^ 0.5", {"x": -4.0}, "out = x ^ 0.5: non-integer power of a negative number (-4)"),
    ("0 ^ x", {"x": -1.0}, "out = 0 ^ x: division by zero (0 to a negative power)"),
    ("exp(x)", {"x": 800.0}, "out = exp(x): overflow: the result is too large"),
    ("x * y", {"x": 1e200, "y": 1e200}, "out = x * y: overflow: the result is too large"),
    ("x ^ 2", {"x": 1e200}, "out = x ^ 2: overflow: the result is too large"),
    ("sqrt(x)", {"x": 0.0}, "out = sqrt(x): the derivative of sqrt at 0 is infinite (edge x -> out)"),
    ("x ^ y", {"x": -2.0, "y": 2.0}, "out = x ^ y: d/db of a^b needs a > 0 (a = -2) (edge y -> out)"),
    ("log(x)", {"x": 1e-310}, "out = log(x): the local derivative ∂out/∂x = 1 / x is too large here"),
    ("log(x) * 1e300", {"x": 1e-10}, "v1 = log(x): overflow: the partial dout/dx is not finite"),
])
def test_faults_name_the_node_and_its_operation(text: str, values: dict[str, float], message: str) -> None:
    g = from_expression(text, values=values)
    with pytest.raises(NumericalFault) as info:
        gradients(g)
    assert message in str(info.value)
    assert info.value.node is not None and info.value.op is not None
    # the general (array) path reports the same fault
    batch = [None if v is None else np.array([v, v]) for v in leaf_values(g)]
    with pytest.raises(NumericalFault) as again:
        vals = forward(g, batch)
        backward(g, vals, g.outputs[0])
    assert str(again.value) == str(info.value)


def test_a_nan_leaf_is_a_fault_not_a_silent_nan() -> None:
    g = from_expression("x + 1")
    with pytest.raises(NumericalFault, match="out = x \\+ 1: the result is NaN"):
        forward(g, [math.nan, 1.0, None])


def test_missing_values_name_every_leaf() -> None:
    g = from_expression("w*x + b - y", values={"w": 1.0})
    with pytest.raises(CgtuiError) as info:
        require_values(g, leaf_values(g))
    assert "x, b, y" in str(info.value) and "--at" in str(info.value)
    with pytest.raises(CgtuiError, match="no value for leaves x, b, y"):
        gradients(g)


def test_values_for_computed_nodes_are_refused() -> None:
    g = from_expression("z = w*x\nz + 1", values={"w": 1.0, "x": 2.0})
    with pytest.raises(CgtuiError, match="'z' is computed"):
        gradients(g, {"z": 3.0})


# --- fast path, general path, batches -----------------------------------------------------------

EXPRESSIONS = [
    "L = (w*x + b - y)^2",
    "tanh(x*y) + sigmoid(x - y) * exp(-x^2) / (1 + y^2)",
    "relu(x - y) + abs(y - 1) + sqrt(x^2 + 1) + log(1 + y^2) + sin(x) * cos(y) + tan(x / 4)",
    "x^y + y^x",
]

point = st.floats(min_value=0.1, max_value=2.0)


@pytest.mark.parametrize("text", EXPRESSIONS)
@settings(max_examples=examples(25), deadline=None)
@given(x=point, y=point, w=point, b=point)
def test_fast_and_general_paths_agree(text: str, x: float, y: float, w: float, b: float) -> None:
    g = from_expression(text)
    env = {"x": x, "y": y, "w": w, "b": b}
    scalars = [env.get(n.name, n.value) if n.op is None else None for n in g.nodes]
    out = g.outputs[0]
    vals = forward(g, scalars)
    grads = backward(g, vals, out)
    arrays = [None if v is None else np.array([v]) for v in scalars]
    avals = forward(g, arrays)
    agrads = backward(g, avals, out)
    for i in range(len(g.nodes)):
        assert float(avals[i][0]) == pytest.approx(vals[i], rel=1e-14)
        if grads[i] is None:
            assert agrads[i] is None
        else:
            assert float(np.asarray(agrads[i]).ravel()[0]) == pytest.approx(grads[i], rel=1e-12, abs=1e-15)


def test_a_batch_is_the_points_one_at_a_time() -> None:
    g = from_expression("L = (w*x + b - y)^2")
    xs = np.linspace(-1, 1, 7)
    ys = np.cos(xs)
    base = {"w": 0.5, "b": 0.1}
    vals = [
        {"x": xs, "y": ys}.get(n.name, base.get(n.name, n.value)) if n.op is None else None for n in g.nodes
    ]
    batch_vals = forward(g, vals)
    batch_grads = backward(g, batch_vals, g.outputs[0])
    w = g.index["w"]
    # params are single numbers: their partial is summed over the batch
    assert isinstance(batch_grads[w], float)
    total = 0.0
    for x, y in zip(xs, ys, strict=True):
        r = gradients(g, {"x": float(x), "y": float(y), **base})
        partial = r.partials[w]
        assert partial is not None
        total += partial
        assert r.value == pytest.approx(float(batch_vals[g.outputs[0]][list(xs).index(x)]))
    assert batch_grads[w] == pytest.approx(total)


def test_gradients_at_the_worked_example() -> None:
    g = from_expression("L = (w*x + b - y)^2", values={"w": 0.5, "x": 2.0, "b": 0.1, "y": 1.0})
    r = gradients(g)
    assert r.output == "L" and r.value == pytest.approx(0.01)
    # other values, and another output
    r2 = gradients(g, {"w": 1.0})
    assert r2.value == pytest.approx(1.21)


def test_constants_get_no_partial() -> None:
    g = from_expression("d = x - 1\nd^2", values={"x": 3.0})
    r = gradients(g)
    assert r.partials[g.index["2"]] is None and r.partials[g.index["1"]] is None
    assert r.partials[g.index["x"]] == 4.0


def test_a_deep_chain_and_a_wide_sum() -> None:
    n = 50_000
    g = from_expression("sin(" * n + "x" + ")" * n, values={"x": 0.5})
    r = gradients(g)
    expected = 1.0
    v = 0.5
    for _ in range(n):
        expected *= math.cos(v)
        v = math.sin(v)
    assert r.value == pytest.approx(v, rel=1e-12)
    assert r.partials[g.index["x"]] == pytest.approx(expected, rel=1e-9)
    text = " + ".join(f"x{i}*x{i}" for i in range(5000))
    wide = from_expression(text, values={f"x{i}": i for i in range(5000)})
    r = gradients(wide)
    assert r.partials[wide.index["x4999"]] == 2 * 4999


@pytest.mark.parametrize(
    ("text", "at"),
    [
        # every op the tape computes in line, and signed zeros: relu at a negative point
        # with a negative upstream pushes -0.0, and -0.0 + c must stay c
        ("relu(x) * y - (-x) / y + x * 0 - relu(-x) * (y - 3)", {"x": -1.5, "y": 2.0}),
        ("(x - y) * (x - y) + relu(x * y) - -x", {"x": 0.0, "y": -0.0}),
        # ops whose rules are called, next to the ones in line
        ("tanh(x * y) + sigmoid(x - y) * exp(-x^2) / (1 + y^2) + sqrt(x^2 + 1)", {"x": 0.3, "y": -1.2}),
    ],
)
def test_the_fast_passes_give_the_steppers_numbers_bit_for_bit(text: str, at: dict[str, float]) -> None:
    g = from_expression(text, values=at)
    out = g.outputs[0]
    vals = forward(g, leaf_values(g))
    grads = backward(g, vals, out)
    s = Stepper(g)
    assert s.run_backward().kind == "backward"
    assert [repr(v) for v in vals] == [repr(v) for v in s.values]
    assert [repr(p) for p in grads] == [repr(p) for p in s.partials]


def test_the_fast_backward_pass_follows_a_change_of_kind() -> None:
    g = from_expression("w*x + c", values={"w": 2.0, "x": 3.0, "c": 1.0})
    assert gradients(g).partials[g.index["c"]] == 1.0
    g.set_kind("c", Kind.CONST)
    assert gradients(g).partials[g.index["c"]] is None
    g.set_kind("c", Kind.PARAM)
    assert gradients(g).partials[g.index["c"]] == 1.0


_STATEMENTS = st.lists(
    st.tuples(
        st.sampled_from(["+", "-", "*", "/"]),
        st.integers(0, 12),
        st.integers(0, 12),
        st.sampled_from(["", "relu", "tanh"]),
    ),
    min_size=1,
    max_size=8,
)


@settings(max_examples=examples(200), deadline=None)
@given(_STATEMENTS, st.sets(st.sampled_from(["x", "y", "c"]), max_size=2))
def test_the_tape_pushes_what_the_checked_loop_pushes_from_every_node(
    statements: list[tuple[str, int, int, str]], consts: set[str]
) -> None:
    """Programs whose statements may go unused (dead computations), with constant leaves
    or none, differentiated from every node: the tape's plan of which computations push
    (all of them, found by sets, or those the loop keeps) gives the checked loop's partials."""
    names = ["x", "y", "c", "base"]
    lines = ["base = x * y + c"]  # (every leaf used; base itself may go unused)
    for k, (op, i, j, f) in enumerate(statements):
        a, b = names[i % len(names)], names[j % len(names)]
        rhs = f"{a} {op} ({b} + 2)" if op == "/" else f"{a} {op} {b}"
        lines.append(f"s{k} = {f}({rhs})" if f else f"s{k} = {rhs}")
        names.append(f"s{k}")
    g = from_expression("\n".join(lines), values={"x": 0.5, "y": -1.5, "c": 2.0}, consts=consts)
    try:
        vals = forward(g, leaf_values(g))
    except NumericalFault:
        return  # (a division by zero: no passes to compare)
    for out in range(len(g)):
        fast = backward(g, vals, out)
        checked = _backward_checked(g, vals, out)
        assert [repr(p) for p in fast] == [repr(p) for p in checked]


def test_the_fast_passes_from_another_output() -> None:
    g = from_expression("a = x * y\nb = a + x\nL = b * b", values={"x": 2.0, "y": 3.0})
    for name, dx in (("L", 2 * 8.0 * 4.0), ("b", 4.0), ("a", 3.0)):
        r = gradients(g, output=name)
        assert r.partials[g.index["x"]] == dx
        assert r.partials[g.index["L"]] is None or name == "L"


# --- gradient check and descent ------------------------------------------------------------------


@pytest.mark.parametrize("name", ["w", "x", "b", "y"])
def test_grad_check_agrees_at_the_worked_example(name: str) -> None:
    g = from_expression("L = (w*x + b - y)^2", values={"w": 0.5, "x": 2.0, "b": 0.1, "y": 1.0})
    analytic, numeric, rel, h = grad_check(g, name, leaf_values(g), g.outputs[0])
    assert analytic == pytest.approx({"w": 0.4, "x": 0.1, "b": 0.2, "y": -0.2}[name])
    assert numeric == pytest.approx(analytic, rel=1e-6)
    assert rel < 1e-7 and h > 0


def test_grad_check_sees_a_wrong_derivative_at_a_kink() -> None:
    g = from_expression("abs(x)", values={"x": 0.0})
    analytic, numeric, rel, _ = grad_check(g, "x", leaf_values(g), g.outputs[0])
    assert analytic == 0.0 and numeric == 0.0  # symmetric difference of |x| at 0
    g = from_expression("relu(x)", values={"x": 0.0})
    analytic, numeric, rel, _ = grad_check(g, "x", leaf_values(g), g.outputs[0])
    assert analytic == 0.0 and numeric == pytest.approx(0.5) and rel == pytest.approx(1.0)


def test_grad_check_fault_is_reported() -> None:
    g = from_expression("log(x)", values={"x": 1e-7})
    with pytest.raises(NumericalFault, match="gradient check of x"):
        grad_check(g, "x", leaf_values(g), g.outputs[0], h=1e-6)


def test_descent_step_moves_only_params() -> None:
    values = {"w": 0.5, "x": 2.0, "b": 0.1, "y": 1.0}
    g = from_expression("L = (w*x + b - y)^2", values=values, params={"w", "b"}, labels={"y"})
    vals = leaf_values(g)
    changes, before, after = descent_step(g, vals, g.outputs[0], lr=0.1)
    assert dict((n, new) for n, _, new in changes) == pytest.approx({"w": 0.5 - 0.04, "b": 0.1 - 0.02})
    assert [n for n, _, _ in changes] == ["w", "b"]
    assert before == pytest.approx(0.01) and after < before
    assert g.node("x").kind is Kind.INPUT and vals[g.index["x"]] == 2.0


# --- anything goes: never an unhandled exception ----------------------------------------------

_ANY_UNARY = ("-", "exp", "log", "sqrt", "sin", "cos", "tan", "tanh", "sigmoid", "relu", "abs", "step")
_ANY_BINARY = ("+", "-", "*", "/", "^")
_wild = st.sampled_from([0.0, -0.0, 1.0, -1.0, 0.5, -2.5, 3.0, 1e-310, 1e300, -1e300, 700.0, 1e-8])


def _wild_text() -> st.SearchStrategy[str]:
    leaf = st.sampled_from(["x", "y", "0", "2", "0.5", "x"])
    return st.recursive(
        leaf,
        lambda kids: st.one_of(
            st.tuples(st.sampled_from(_ANY_UNARY), kids).map(
                lambda t: f"(-{t[1]})" if t[0] == "-" else f"{t[0]}({t[1]})"
            ),
            st.tuples(kids, st.sampled_from(_ANY_BINARY), kids).map(lambda t: f"({t[0]} {t[1]} {t[2]})"),
        ),
        max_leaves=8,
    )


@settings(max_examples=examples(300), deadline=None)
@given(text=_wild_text(), x=_wild, y=_wild)
def test_any_expression_at_any_point_gives_numbers_or_a_named_fault(text: str, x: float, y: float) -> None:
    g = from_expression(f"x + y + {text}")
    overrides = {"x": x, "y": y}
    try:
        r = gradients(g, overrides)
    except NumericalFault as fault:
        message = str(fault)
        assert fault.node is not None and fault.node in g and message.startswith(f"{fault.node} = ")
        s = Stepper(g, None, overrides)
        outcome = s.run_backward()
        assert outcome.kind == "fault" and message in outcome.lines
        assert s.status(g.index[fault.node]) is Status.FAULT
        return
    assert math.isfinite(r.value)
    assert all(p is None or math.isfinite(p) for p in r.partials)
    s = Stepper(g, None, overrides)
    assert s.run_backward().kind == "backward"
    assert s.partials == r.partials


def test_a_negative_constant_operand_is_parenthesised_in_step_text() -> None:
    """``(-2)^0.5`` must not read as ``-2 ^ 0.5``, which is -(2^0.5) to a reader."""
    from cgtui.engine.engine import application_text

    graph = from_expression("(-2)^0.5 + x*-3", values={"x": 1.0})
    texts = {graph.nodes[i].name: application_text(graph, i) for i in graph.computations()}
    assert "(-2) ^ 0.5" in texts.values() and "x * (-3)" in texts.values()
    with pytest.raises(NumericalFault, match=r"= \(-2\) \^ 0\.5: non-integer power"):
        forward(graph, leaf_values(graph))
