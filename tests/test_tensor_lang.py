"""Array-valued nodes in the language and the YAML format: leaves with shapes, the
tensor ops' syntax, shape errors at build time, and each VJP formula against its rule."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pytest
from tensor_cases import central_difference, graph_text, leaf_grads, load

from cgtui.core.errors import CgtuiError, GraphError, ParseError
from cgtui.core.graph import Kind
from cgtui.core.ops import OPS, SLOT_NAMES
from cgtui.engine.engine import forward
from cgtui.lang import printer, yamlio
from cgtui.lang.build import from_expression
from cgtui.lang.parser import parse

RNG = np.random.default_rng(7)

XOR = """\
inputs:  {X: {shape: [4, 2], value: [[0,0],[0,1],[1,0],[1,1]]}}
labels:  {Y: {shape: [4, 1], value: [[0],[1],[1],[0]]}}
params:  {W1: {shape: [2, 3], init: {normal: 0.5, seed: 1}}, b1: {shape: [3], value: 0}}
expression: |
  H = tanh(X @ W1 + b1)
  L = mean((sum(H, axis=1) - Y)^2)
"""


# --- leaves ---------------------------------------------------------------------------------


def test_leaves_take_nested_lists_a_broadcast_number_and_a_seeded_init() -> None:
    g = yamlio.loads(XOR)
    x, b1, w1 = g.node("X").value, g.node("b1").value, g.node("W1").value
    assert isinstance(x, np.ndarray) and x.shape == (4, 2) and x[3, 0] == 1.0
    assert isinstance(b1, np.ndarray) and b1.shape == (3,) and not b1.any()
    expected = np.random.default_rng(1).normal(0.0, 0.5, (2, 3))
    assert isinstance(w1, np.ndarray) and np.array_equal(w1, expected)
    assert g.node("Y").kind is Kind.LABEL and g.node("W1").kind is Kind.PARAM


def test_a_shape_of_nothing_is_a_scalar() -> None:
    g = yamlio.loads("params: {w: {shape: [], value: 2.5}}\ninputs: {x: 2}\nexpression: L = w * x\n")
    assert g.node("w").value == 2.5 and type(g.node("w").value) is float
    assert leaf_grads(g) == (5.0, {"w": 2.0, "x": 2.5})


def test_values_from_csv_and_npy_files_next_to_the_yaml(tmp_path: Path) -> None:
    (tmp_path / "x.csv").write_text("1,2\n3,4\n5,6\n")
    np.save(tmp_path / "w.npy", np.array([[1.0], [-1.0]]))
    (tmp_path / "g.yaml").write_text(
        "inputs: {X: {file: x.csv}}\nparams: {W: {shape: [2, 1], file: w.npy}}\nexpression: L = sum(X @ W)\n"
    )
    g = yamlio.load(tmp_path / "g.yaml")
    assert leaf_grads(g)[0] == -3.0
    (tmp_path / "bad.yaml").write_text("inputs: {X: {file: ../x.csv}}\nexpression: L = sum(X)\n")
    with pytest.raises(CgtuiError, match="must be in the graph file's folder"):
        yamlio.load(tmp_path / "bad.yaml")


def test_array_leaves_round_trip_through_yaml() -> None:
    g = yamlio.loads(XOR)
    again = yamlio.loads(yamlio.dumps(g))
    assert again == g
    assert np.array_equal(again.node("W1").value, g.node("W1").value)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("leaf", "words"),
    [
        ("{shape: [2, 2], value: [1, 2, 3]}", "the value has shape (3,), not (2, 2)"),
        ("{shape: [2], value: [[1], [2, 3]]}", "the rows have different lengths"),
        ("{shape: [2, x]}", "shape must be a list of positive whole numbers"),
        ("{shape: [2], init: {normal: 1}}", "init is {normal: STDDEV, seed: N}"),
        ("{shape: [2], value: 1, init: {normal: 1, seed: 0}}", "exactly one of value, init and file"),
        ("{shape: [2], colour: red}", "unknown key 'colour'"),
        ("{value: [1, .nan]}", "finite number"),
    ],
)
def test_bad_array_leaves_are_named_with_their_place(leaf: str, words: str) -> None:
    with pytest.raises(CgtuiError, match="A") as info:
        yamlio.loads(f"params: {{A: {leaf}}}\nexpression: L = sum(A)\n")
    assert words in str(info.value) and info.value.line == 1


# --- syntax -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        "X @ W + b",
        "sum(A, axis=0) + mean(B, axis=-1)",
        "transpose(A) @ B",
        "reshape(A, 2, 3)",
        "softmax(Z) * log_softmax(Z)",
        "cross_entropy(Z, y)",
        "sum(A @ B @ C)",
    ],
)
def test_tensor_ops_print_as_they_are_written(text: str) -> None:
    g = from_expression(text)
    assert printer.expression(g) == text
    assert from_expression(printer.expression(g)) == g


def test_matmul_binds_like_multiplication_and_groups_from_the_left() -> None:
    code = [str(i.payload) for i in parse("a + b @ c * d").statements[0].code]
    assert code == ["a", "b", "c", "matmul", "d", "mul", "add"]


@pytest.mark.parametrize(
    ("text", "words", "column"),
    [
        ("A.T", "attribute access is not supported: write transpose(A), not A.T", 2),
        ("sum(A, axis=k)", "axis must be a number written in the text (axis=0)", 13),
        ("sum(axis=0)", "'axis=' comes after the array: sum(A, axis=0)", 5),
        ("tanh(A, axis=0)", "function 'tanh' takes no keyword argument 'axis'", 9),
        ("sum(A, keep=1)", "function 'sum' takes no keyword argument 'keep'", 8),
        ("sum(A, axis=0, 1)", "a keyword argument comes last", 14),
        ("f(x=1)", "unknown function 'f'", 1),
    ],
)
def test_refused_tensor_syntax(text: str, words: str, column: int) -> None:
    with pytest.raises(ParseError) as info:
        parse(text)
    assert info.value.message == words and info.value.column == column


# --- shapes at build time -----------------------------------------------------------------------


def test_the_issue_s_shape_error_names_both_shapes_and_the_place() -> None:
    text = (
        "inputs: {X: {shape: [4, 2], value: 1}}\nparams: {W: {shape: [3, 3], value: 0}}\n"
        "expression: |\n  L = sum(X @ W)\n"
    )
    with pytest.raises(GraphError) as info:
        yamlio.loads(text)
    assert info.value.message == "matmul: (4, 2) @ (3, 3): inner dimensions 2 and 3 differ"
    assert (info.value.line, info.value.column) == (4, 13)


@pytest.mark.parametrize(
    ("expression", "words"),
    [
        ("L = sum(A + B)", "add: (2, 3) + (3, 2): shapes do not broadcast"),
        ("L = sum(A @ A)", "inner dimensions 3 and 2 differ"),
        ("L = sum(A, axis=2)", "sum: axis 2 is out of range for shape (2, 3)"),
        ("L = sum(reshape(A, 4, 2))", "reshape: (2, 3) -> (4, 2): 6 entries do not fit 8"),
        ("L = cross_entropy(A, B)", "cross_entropy: logits (2, 3), labels (3, 2): labels must be (2,)"),
        ("L = sum(softmax(c))", "softmax: needs an array (got shape ())"),
        ("L = sum(X @ A)", "matmul: (3,) @ (2, 3): both operands must be 2-D"),
    ],
)
def test_shape_errors_are_found_when_the_graph_is_built(expression: str, words: str) -> None:
    params = {"A": RNG.normal(size=(2, 3)), "B": RNG.normal(size=(3, 2)), "X": np.ones(3), "c": 2.0}
    with pytest.raises(GraphError) as info:
        load(expression, params)
    assert words in info.value.message and info.value.line is not None


def test_steps_check_shapes_too() -> None:
    text = "params: {A: {value: [[1, 2]]}}\nsteps:\n  P: A @ A\n  L: sum(P)\noutput: L\n"
    with pytest.raises(GraphError, match=r"matmul: \(1, 2\) @ \(1, 2\)") as info:
        yamlio.loads(text)
    assert (info.value.line, info.value.column) == (3, 8)


# --- each VJP formula is its rule ---------------------------------------------------------------

#: Operands of each tensor op, and the extra formula variables n and Y where it has them.
CASES: dict[str, tuple[Any, ...]] = {
    "matmul": (RNG.normal(size=(3, 2)), RNG.normal(size=(2, 4))),
    "transpose": (RNG.normal(size=(3, 2)),),
    "sum": (RNG.normal(size=(3, 2)),),
    "mean": (RNG.normal(size=(3, 2)),),
    "sum_axis": (RNG.normal(size=(3, 2)), 1.0),
    "mean_axis": (RNG.normal(size=(3, 2)), 0.0),
    "reshape": (RNG.normal(size=(3, 2)), 2.0, 3.0),
    "softmax": (RNG.normal(size=(3, 4)),),
    "log_softmax": (RNG.normal(size=(3, 4)),),
    "cross_entropy": (RNG.normal(size=(3, 4)), RNG.dirichlet(np.ones(4), size=3)),
    "fit": (RNG.normal(size=(3, 4)), RNG.normal(size=(4,))),
}
TENSOR_OPS = sorted(name for name, op in OPS.items() if op.tensor)


def test_every_tensor_op_has_a_case() -> None:
    assert set(CASES) == set(TENSOR_OPS)


def _evaluate(formula: str, env: dict[str, Any]) -> Any:
    g = from_expression(formula)
    values = [env[n.name] if n.op is None and n.kind is not Kind.CONST else n.value for n in g.nodes]
    return forward(g, values)[g.outputs[0]]


@pytest.mark.parametrize("name", TENSOR_OPS)
def test_vjp_formula_agrees_with_its_rule(name: str) -> None:
    op = OPS[name]
    args = CASES[name]
    out = op.forward(*args)
    g = RNG.normal(size=np.shape(out)) if np.ndim(out) else 0.7
    for slot, partial in enumerate(op.partials):
        assert partial.vjp
        if isinstance(args[slot], float):
            assert partial.formula == "0"  # an axis or a shape: a constant, never differentiated
            continue
        expected = partial.rule(g, *args, out)
        if name == "reshape":  # 'reshape(G, shape of a)': the shape is said in words
            assert partial.formula == "reshape(G, shape of a)"
            assert np.array_equal(expected, np.reshape(g, np.shape(args[0])))
            continue
        env: dict[str, Any] = {SLOT_NAMES[k]: a for k, a in enumerate(args)}
        env.update(out=out, G=g, n=float(np.size(args[0]) // np.size(out)))
        if name == "cross_entropy":
            env["Y"], env["n"] = args[1], float(len(args[0]))
        got = _evaluate(partial.formula, env)
        np.testing.assert_allclose(np.broadcast_to(got, np.shape(args[slot])),
                                   np.broadcast_to(expected, np.shape(args[slot])), rtol=1e-12, atol=1e-14)


# --- central differences on every tensor op ------------------------------------------------------

#: An expression using each op, with the leaves it needs; R weights the result so that
#: every entry of the gradient differs.
DIFFERENCES: dict[str, tuple[str, dict[str, Any]]] = {
    "matmul": ("L = sum((A @ B) * R)", {"A": (3, 2), "B": (2, 4), "R": (3, 4)}),
    "transpose": ("L = sum(transpose(A) * R)", {"A": (3, 2), "R": (2, 3)}),
    "sum": ("L = sum(A * A)", {"A": (3, 2)}),
    "mean": ("L = mean(A * A * A)", {"A": (3, 2)}),
    "sum_axis": ("L = sum(sum(A, axis=0) * R)", {"A": (3, 2), "R": (1, 2)}),
    "mean_axis": ("L = sum(mean(A, axis=-1) * R)", {"A": (3, 2), "R": (3, 1)}),
    "reshape": ("L = sum(reshape(A, 2, 3) * R)", {"A": (3, 2), "R": (2, 3)}),
    "softmax": ("L = sum(softmax(A) * R)", {"A": (3, 4), "R": (3, 4)}),
    "log_softmax": ("L = sum(log_softmax(A) * R)", {"A": (3, 4), "R": (3, 4)}),
    "cross_entropy": ("L = cross_entropy(A * R, y)", {"A": (3, 4), "R": (3, 4)}),
    "fit": ("L = sum(fit(A, b) * b) + sum(fit(b, A) * A)", {"A": (3, 2), "b": (2,)}),
}


@pytest.mark.parametrize("name", TENSOR_OPS)
def test_gradient_of_every_tensor_op_matches_central_differences(name: str) -> None:
    expression, shapes = DIFFERENCES[name]
    params = {leaf: RNG.normal(size=shape) for leaf, shape in shapes.items()}
    g = load(expression, params, labels={"y": np.array([0.0, 3.0, 1.0])} if "y" in expression else None)
    assert any(g.nodes[i].op == name for i in range(len(g.nodes)))
    _, grads = leaf_grads(g)
    for leaf in shapes:
        numeric = central_difference(g, leaf)
        np.testing.assert_allclose(grads[leaf], numeric, rtol=1e-6, atol=1e-8)


def test_broadcasting_sums_the_partial_over_broadcast_axes() -> None:
    a, b, c = RNG.normal(size=(4, 3)), RNG.normal(size=3), 1.5
    g = load("L = sum((A + b) * (A * c))", {"A": a, "b": b, "c": c})
    _, grads = leaf_grads(g)
    assert grads["b"].shape == (3,) and type(grads["c"]) is float
    np.testing.assert_allclose(grads["b"], (a * c).sum(axis=0), rtol=1e-14)
    np.testing.assert_allclose(grads["c"], ((a + b) * a).sum(), rtol=1e-14)
    for leaf in ("A", "b", "c"):
        np.testing.assert_allclose(grads[leaf], central_difference(g, leaf), rtol=1e-6)


def test_class_index_labels_must_be_classes() -> None:
    text = graph_text("L = cross_entropy(Z, y)", {"Z": np.zeros((2, 3))}, labels={"y": np.array([0.0, 3.0])})
    g = yamlio.loads(text)
    with pytest.raises(CgtuiError, match=r"label 3 is not a class index 0 \.\. 2"):
        leaf_grads(g)
