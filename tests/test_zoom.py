"""Zoom: every tensor op's scalar graph against numpy (values) and PyTorch float64
autograd (the vector-Jacobian product), on hypothesis-drawn small shapes.

The scalar graph's output L = Σ G·C, so backprop from L gives at each operand leaf the
entry of the VJP ``G · ∂C/∂A``: exactly what ``C.backward(G)`` leaves in ``A.grad``.
Nothing here uses cgtui's op table to compute an expected number, except one test that
holds fit (cgtui's own op, the backward pass's broadcasting rule) to its op-table rules too.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import pytest
from conftest import examples
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from cgtui.core.errors import CgtuiError
from cgtui.core.graph import Kind
from cgtui.core.ops import OPS
from cgtui.engine.engine import Stepper, gradients
from cgtui.engine.zoom import MAX_ZOOM_NODES, TENSOR_OPS, Zoom, ZoomError, zoom
from cgtui.lang.yamlio import dumps, loads

torch = pytest.importorskip("torch")

TOL = 1e-12
SETTINGS = settings(max_examples=examples(40), deadline=None, suppress_health_check=[HealthCheck.too_slow])


# --- the oracle ------------------------------------------------------------------------------------


def check(
    z: Zoom,
    expected: Any,
    torch_fn: Callable[..., Any],
    arrays: list[np.ndarray],
    upstream: np.ndarray,
    differentiable: list[bool] | None = None,
) -> None:
    """The zoomed graph's values equal ``expected`` (numpy) and its operand partials equal
    the VJP of ``torch_fn`` at ``upstream``, both to 1e-12; and the estimate of its size
    that the limit is checked against is exact."""
    r = gradients(z.graph)
    assert r.output == z.loss
    got = z.result_values(r.values)
    assert got.shape == np.shape(expected)
    np.testing.assert_allclose(got, expected, rtol=TOL, atol=TOL)

    diff = differentiable or [True] * len(arrays)
    tensors = [
        torch.tensor(a, dtype=torch.float64, requires_grad=d) for a, d in zip(arrays, diff, strict=True)
    ]
    out = torch_fn(*tensors)
    np.testing.assert_allclose(out.detach().numpy(), expected, rtol=1e-10, atol=1e-10)  # the oracles agree
    out.backward(torch.tensor(upstream, dtype=torch.float64))
    partials = z.operand_partials(r.partials)
    for k, (t, d) in enumerate(zip(tensors, diff, strict=True)):
        if not d:
            continue
        vjp = t.grad.numpy() if t.grad is not None else np.zeros(arrays[k].shape)
        assert partials[k].shape == vjp.shape
        np.testing.assert_allclose(partials[k], vjp, rtol=TOL, atol=TOL, err_msg=f"operand {k}")

    # the count known before building is the count built: one node fewer is refused
    n = len(z.graph)
    assert n <= MAX_ZOOM_NODES
    with pytest.raises(ZoomError, match=f"stands for {n:,} scalar nodes"):
        rebuild(z, n - 1)


_LAST: dict[str, Any] = {}


def zoomed(op: str, operands: list[Any], **kw: Any) -> Zoom:
    """zoom(), remembering the call so :func:`rebuild` can repeat it with another limit."""
    _LAST.clear()
    _LAST.update(op=op, operands=operands, kw=kw)
    return zoom(op, operands, **kw)


def rebuild(z: Zoom, limit: int) -> Zoom:
    assert _LAST["op"] == z.op
    return zoom(_LAST["op"], _LAST["operands"], **{**_LAST["kw"], "limit": limit})


def values(lo: float, hi: float) -> st.SearchStrategy[float]:
    return st.floats(lo, hi, allow_nan=False, allow_infinity=False)


def arrays_of(shape: tuple[int, ...], lo: float = -2.0, hi: float = 2.0) -> st.SearchStrategy[np.ndarray]:
    return hnp.arrays(np.float64, shape, elements=values(lo, hi))


SHAPES = hnp.array_shapes(min_dims=0, max_dims=3, min_side=1, max_side=3)


def upstream_for(data: st.DataObject, shape: tuple[int, ...]) -> np.ndarray:
    return data.draw(arrays_of(shape), label="G")


# --- matmul ----------------------------------------------------------------------------------------


@SETTINGS
@given(st.data())
def test_matmul(data: st.DataObject) -> None:
    n, k, m = (data.draw(st.integers(1, 4)) for _ in range(3))
    a_shape = data.draw(st.sampled_from([(n, k), (k,)]), label="A shape")
    b_shape = data.draw(st.sampled_from([(k, m), (k,)]), label="B shape")
    a, b = data.draw(arrays_of(a_shape)), data.draw(arrays_of(b_shape))
    expected = np.matmul(a, b)
    g = upstream_for(data, expected.shape)
    z = zoomed("matmul", [a, b], upstream=g)
    check(z, expected, torch.matmul, [a, b], g)


def test_a_2x2_matmul_is_8_multiplications_and_4_additions() -> None:
    z = zoom("matmul", [np.array([[1.0, 2.0], [3.0, 4.0]]), np.array([[5.0, 6.0], [7.0, 8.0]])])
    g = z.graph
    result = [g.lookup(str(name)) for name in z.result.flat]
    below = set(result).union(*(g.ancestors(i) for i in result))
    ops = [str(g.nodes[i].op) for i in below if g.nodes[i].op is not None]
    assert sorted(ops) == ["add"] * 4 + ["mul"] * 8
    assert g.nodes[g.lookup("C_0_1")].op == "add"
    assert [g.nodes[p].name for p in g.node("m_0_1_1").operands] == ["A_0_1", "B_1_1"]
    assert z.result_values(gradients(g).values).tolist() == [[19.0, 22.0], [43.0, 50.0]]
    assert g.output_names == ["L", "C_0_0", "C_0_1", "C_1_0", "C_1_1"]


def test_the_same_operand_twice_is_one_set_of_leaves() -> None:
    x = np.array([[1.0, 2.0], [3.0, -1.0]])
    g = np.array([[0.5, -1.0], [2.0, 1.5]])
    z = zoom("matmul", [x, x], names=["X", "X"], upstream=g)
    assert sum(1 for n in z.graph.nodes if n.kind is Kind.INPUT) == 4
    t = torch.tensor(x, requires_grad=True)
    (t @ t).backward(torch.tensor(g))
    for partial in z.operand_partials(gradients(z.graph).partials):
        np.testing.assert_allclose(partial, t.grad.numpy(), rtol=TOL, atol=TOL)


# --- elementwise, with broadcasting --------------------------------------------------------------------

BINARY: dict[str, tuple[Callable[..., Any], Callable[..., Any], tuple[float, float], tuple[float, float]]] = {
    "add": (np.add, torch.add, (-2.0, 2.0), (-2.0, 2.0)),
    "sub": (np.subtract, torch.sub, (-2.0, 2.0), (-2.0, 2.0)),
    "mul": (np.multiply, torch.mul, (-2.0, 2.0), (-2.0, 2.0)),
    "div": (np.divide, torch.div, (-2.0, 2.0), (0.5, 2.0)),
    "pow": (np.power, torch.pow, (0.5, 2.0), (-2.0, 3.0)),
}


@SETTINGS
@given(
    st.sampled_from(sorted(BINARY)),
    hnp.mutually_broadcastable_shapes(num_shapes=2, max_dims=3, max_side=3),
    st.data(),
)
def test_elementwise_with_broadcasting(op: str, shapes: Any, data: st.DataObject) -> None:
    np_fn, torch_fn, a_range, b_range = BINARY[op]
    a_shape, b_shape = shapes.input_shapes
    a = data.draw(arrays_of(a_shape, *a_range), label="A")
    b = data.draw(arrays_of(b_shape, *b_range), label="B")
    if op == "div":
        b = np.where(data.draw(st.booleans()), b, -b)  # negative divisors too
    expected = np_fn(a, b)
    g = upstream_for(data, expected.shape)
    z = zoomed(op, [a, b], upstream=g)
    check(z, expected, torch_fn, [a, b], g)


def test_a_scalar_constant_is_written_as_its_number() -> None:
    z = zoom("mul", [np.array([1.0, -2.0]), 3.0], names=["x", None], kinds=[Kind.INPUT, Kind.CONST])
    assert [z.graph.nodes[p].name for p in z.graph.node("C_1").operands] == ["x_1", "3"]
    r = gradients(z.graph)
    assert z.result_values(r.values).tolist() == [3.0, -6.0]
    assert z.operand_partials(r.partials)[0].tolist() == [3.0, 3.0]
    assert loads(dumps(z.graph)) == z.graph


# --- unary ops ---------------------------------------------------------------------------------------


def _torch_step(a: Any) -> Any:
    return (a.detach() > 0).double() + 0.0 * a  # cgtui's step: 1 where a > 0, derivative 0


UNARY: dict[str, tuple[Callable[..., Any], Callable[..., Any], tuple[float, float]]] = {
    "neg": (np.negative, torch.neg, (-3.0, 3.0)),
    "exp": (np.exp, torch.exp, (-3.0, 3.0)),
    "log": (np.log, torch.log, (0.1, 5.0)),
    "sqrt": (np.sqrt, torch.sqrt, (0.1, 5.0)),
    "sin": (np.sin, torch.sin, (-3.0, 3.0)),
    "cos": (np.cos, torch.cos, (-3.0, 3.0)),
    "tan": (np.tan, torch.tan, (-1.2, 1.2)),
    "tanh": (np.tanh, torch.tanh, (-3.0, 3.0)),
    "sigmoid": (lambda a: 1.0 / (1.0 + np.exp(-a)), torch.sigmoid, (-5.0, 5.0)),
    "relu": (lambda a: np.maximum(a, 0.0), torch.relu, (-3.0, 3.0)),
    "abs": (np.abs, torch.abs, (-3.0, 3.0)),
    "sign": (np.sign, torch.sign, (-3.0, 3.0)),
    "step": (lambda a: (a > 0).astype(float), _torch_step, (-3.0, 3.0)),
}


def test_every_unary_op_of_the_table_is_zoomable_and_tested() -> None:
    unary = {name for name, op in TENSOR_OPS.items() if op.family == "unary"}
    assert unary == set(UNARY)


@SETTINGS
@given(st.sampled_from(sorted(UNARY)), SHAPES, st.data())
def test_unary(op: str, shape: tuple[int, ...], data: st.DataObject) -> None:
    np_fn, torch_fn, (lo, hi) = UNARY[op]
    a = data.draw(arrays_of(shape, lo, hi), label="A")
    expected = np_fn(a)
    g = upstream_for(data, expected.shape)
    z = zoomed(op, [a], upstream=g)
    check(z, expected, torch_fn, [a], g)


# --- reductions, transpose, reshape -------------------------------------------------------------------


@SETTINGS
@given(st.sampled_from(["sum", "mean"]), SHAPES, st.booleans(), st.data())
def test_sum_and_mean(op: str, shape: tuple[int, ...], keepdims: bool, data: st.DataObject) -> None:
    a = data.draw(arrays_of(shape), label="A")
    axes = st.integers(-len(shape), len(shape) - 1) if shape else st.none()
    axis = data.draw(st.none() | axes, label="axis")
    expected = getattr(np, op)(a, axis=axis, keepdims=keepdims)
    g = upstream_for(data, np.shape(expected))

    def torch_fn(t: Any) -> Any:
        f = torch.sum if op == "sum" else torch.mean
        if axis is None:
            r = f(t)
            return r.reshape((1,) * t.ndim) if keepdims else r
        return f(t, dim=axis, keepdim=keepdims)

    z = zoomed(op, [a], axis=axis, keepdims=keepdims, upstream=g)
    check(z, expected, torch_fn, [a], g)


@SETTINGS
@given(SHAPES, st.data())
def test_transpose(shape: tuple[int, ...], data: st.DataObject) -> None:
    a = data.draw(arrays_of(shape), label="A")
    axes = data.draw(st.none() | st.permutations(range(len(shape))).map(tuple), label="axes")
    expected = np.transpose(a, axes)
    g = upstream_for(data, expected.shape)
    z = zoomed("transpose", [a], axes=axes, upstream=g)
    dims = tuple(reversed(range(len(shape)))) if axes is None else axes
    check(z, expected, lambda t: t.permute(dims), [a], g)
    # a transpose moves entries and computes nothing: its results are the operand's leaves
    assert all(n.op in (None, "mul", "add") for n in z.graph.nodes)


@SETTINGS
@given(SHAPES, st.data())
def test_reshape(shape: tuple[int, ...], data: st.DataObject) -> None:
    a = data.draw(arrays_of(shape), label="A")
    size = a.size
    first = data.draw(st.sampled_from([d for d in range(1, size + 1) if size % d == 0]), label="first")
    new = data.draw(st.sampled_from([(first, size // first), (first, -1), (-1,), (size,)]), label="shape")
    expected = a.reshape(new)
    g = upstream_for(data, expected.shape)
    z = zoomed("reshape", [a], shape=new, upstream=g)
    check(z, expected, lambda t: t.reshape(new), [a], g)


# --- fit: the backward pass's broadcasting rule ----------------------------------------------------------


@st.composite
def fit_shapes(draw: st.DrawFn) -> tuple[tuple[int, ...], tuple[int, ...]]:
    """``(G's shape, a's shape)`` that fit accepts: G with extra leading axes or fewer
    axes, a 1 where G has more (summed), G a 1 where a has more (spread)."""
    a = draw(SHAPES, label="a shape")
    lead = draw(st.integers(-len(a), 2), label="leading axes")
    sides = st.integers(1, 3)
    if lead >= 0:
        extra = tuple(draw(sides) for _ in range(lead))
        g = extra + tuple(draw(sides) if n == 1 else draw(st.sampled_from([n, 1])) for n in a)
    else:
        g = tuple(draw(st.sampled_from([n, 1])) for n in a[-lead:])
    return g, a


def np_fit(g: np.ndarray, shape: tuple[int, ...]) -> np.ndarray:
    if g.ndim > len(shape):
        g = g.sum(axis=tuple(range(g.ndim - len(shape))))
    if g.ndim == len(shape):
        g = g.sum(axis=tuple(k for k, n in enumerate(shape) if n == 1), keepdims=True)
    return np.broadcast_to(g, shape).copy()


def torch_fit(shape: tuple[int, ...]) -> Callable[..., Any]:
    def fn(t: Any, _a: Any) -> Any:
        if t.ndim > len(shape):
            t = t.sum(dim=tuple(range(t.ndim - len(shape))))
        dims = [k for k, n in enumerate(shape) if n == 1 and t.ndim == len(shape) and t.shape[k] != 1]
        if dims:
            t = t.sum(dim=dims, keepdim=True)
        return t.expand(shape)

    return fn


@SETTINGS
@given(fit_shapes(), st.data())
def test_fit(shapes: tuple[tuple[int, ...], tuple[int, ...]], data: st.DataObject) -> None:
    g_shape, a_shape = shapes
    g_in = data.draw(arrays_of(g_shape), label="G in")
    a = data.draw(arrays_of(a_shape), label="a")
    expected = np_fit(g_in, a_shape)
    g = upstream_for(data, a_shape)
    z = zoomed("fit", [g_in, a], upstream=g)
    check(z, expected, torch_fit(a_shape), [g_in, a], g, differentiable=[True, False])
    # a gives only its shape: no node of the zoom
    assert np.isnan(z.operand_partials(gradients(z.graph).partials)[1]).all()
    assert all(n.op in (None, "add", "mul") for n in z.graph.nodes)


def test_fit_agrees_with_the_op_table() -> None:
    """The zoom's values are fit's forward rule, its partials fit's VJP, as the engine uses them."""
    fit = OPS["fit"]
    cases = [((4, 2), (2,)), ((4, 3), (1, 3)), ((4, 1), (1, 3)), ((1, 3), (4, 3)), ((2, 3), ())]
    for g_shape, a_shape in cases:
        g_in = np.arange(float(np.prod(g_shape))).reshape(g_shape) - 2.5
        a = np.zeros(a_shape)
        up = np.linspace(-1.0, 2.0, int(np.prod(a_shape))).reshape(a_shape)
        z = zoom("fit", [g_in, a], upstream=up)
        r = gradients(z.graph)
        np.testing.assert_allclose(z.result_values(r.values), fit.forward(g_in, a), rtol=TOL, atol=TOL)
        vjp = fit.partials[0].rule(up, g_in, a, fit.forward(g_in, a))
        np.testing.assert_allclose(z.operand_partials(r.partials)[0], vjp, rtol=TOL, atol=TOL)


def test_fit_sums_where_a_was_broadcast_and_aliases_where_it_spreads() -> None:
    g_in = np.arange(8.0).reshape(4, 2)
    z = zoom("fit", [g_in, np.zeros(2)], names=["dL_db1_via_v2_before_fit", "b1"], result="dL_db1")
    g = z.graph
    assert g.node("dL_db1_0").op == "add"  # a sum of the column, its partial sums s_0_k
    assert [g.nodes[p].name for p in g.node("s_0_2").operands] == [
        "dL_db1_via_v2_before_fit_0_0", "dL_db1_via_v2_before_fit_1_0",
    ]
    assert z.result_values(gradients(g).values).tolist() == [12.0, 16.0]
    assert "b1" not in {n.name for n in g.nodes} and "b1 gives only its shape (2,)" in g.description
    spread = zoom("fit", [np.array([[1.0, 2.0]]), np.zeros((3, 2))])
    assert spread.graph.aliases["C_2_1"] == "A_0_1" and len(spread.graph.aliases) == 6
    both = zoom("fit", [np.array([[1.0], [2.0]]), np.zeros((1, 3))])  # summed, then spread
    assert both.graph.aliases == {"C_0_0": "s_0_0_2", "C_0_1": "s_0_0_2", "C_0_2": "s_0_0_2"}
    assert both.result_values(gradients(both.graph).values).tolist() == [[3.0, 3.0, 3.0]]


# --- softmax, log_softmax, cross_entropy -------------------------------------------------------------


def np_log_softmax(a: np.ndarray, axis: int) -> np.ndarray:
    shifted = a - a.max(axis=axis, keepdims=True)
    out: np.ndarray = shifted - np.log(np.exp(shifted).sum(axis=axis, keepdims=True))
    return out


@SETTINGS
@given(st.sampled_from(["softmax", "log_softmax"]), SHAPES.filter(lambda s: len(s) > 0), st.data())
def test_softmax_and_log_softmax(op: str, shape: tuple[int, ...], data: st.DataObject) -> None:
    a = data.draw(arrays_of(shape, -30.0, 30.0), label="A")
    axis = data.draw(st.none() | st.integers(-len(shape), len(shape) - 1), label="axis")
    dim = -1 if axis is None else axis
    log = np_log_softmax(a, dim)
    expected = log if op == "log_softmax" else np.exp(log)
    g = upstream_for(data, expected.shape)
    fn = torch.log_softmax if op == "log_softmax" else torch.softmax
    z = zoomed(op, [a], axis=axis, upstream=g)
    check(z, expected, lambda t: fn(t, dim=dim), [a], g)


def test_softmax_of_large_logits_does_not_overflow() -> None:
    z = zoom("softmax", [np.array([1000.0, 1001.0])])
    got = z.result_values(gradients(z.graph).values)
    np.testing.assert_allclose(got, [1 / (1 + np.e), np.e / (1 + np.e)], rtol=TOL)
    assert z.graph.node("M").kind is Kind.CONST and z.graph.node("M").value == 1001.0


@SETTINGS
@given(st.integers(1, 4), st.integers(1, 4), st.booleans(), st.booleans(), st.data())
def test_cross_entropy(rows: int, classes: int, batched: bool, indices: bool, data: st.DataObject) -> None:
    shape = (rows, classes) if batched else (classes,)
    logits = data.draw(arrays_of(shape, -5.0, 5.0), label="logits")
    if indices:
        classes_drawn = data.draw(hnp.arrays(np.int64, shape[:-1], elements=st.integers(0, classes - 1)))
        labels = np.array(classes_drawn, dtype=float)
        picked = np.take_along_axis(np_log_softmax(logits, -1), labels.astype(int)[..., None], -1)[..., 0]
        target = torch.tensor(labels.astype(np.int64))
    else:
        labels = data.draw(arrays_of(shape, 0.0, 1.0), label="probabilities")
        picked = (labels * np_log_softmax(logits, -1)).sum(axis=-1)
        target = None
    expected = -picked.mean()
    g = np.array(data.draw(values(-2.0, 2.0), label="G"))

    def torch_fn(x: Any, y: Any) -> Any:
        return torch.nn.functional.cross_entropy(x, target if indices else y)

    z = zoomed("cross_entropy", [logits, labels], upstream=g)
    check(z, expected, torch_fn, [logits, labels], g, differentiable=[True, not indices])
    if indices:
        assert np.isnan(z.operand_partials(gradients(z.graph).partials)[1]).all()  # indices are no nodes
        assert "Class labels" in z.graph.description


# --- the zoomed graph is a graph like any other ----------------------------------------------------------


CASES: list[tuple[str, list[Any], dict[str, Any]]] = [
    ("matmul", [np.array([[1.0, 2.0, 0.5]]), np.array([[1.0], [-1.0], [2.0]])], {}),
    ("add", [np.array([[1.0, 2.0], [3.0, 4.0]]), np.array([10.0, 20.0])], {}),
    ("tanh", [np.array([0.5, -0.25])], {}),
    ("transpose", [np.array([[1.0, 2.0, 3.0]])], {}),
    ("reshape", [np.array([1.0, 2.0, 3.0, 4.0])], {"shape": (2, 2)}),
    ("sum", [np.array([[1.0, 2.0], [3.0, 5.0]])], {"axis": 0}),
    ("mean", [np.array([[1.0, 2.0], [3.0, 5.0]])], {"axis": 1}),
    ("softmax", [np.array([[1.0, 2.0, 0.5]])], {}),
    ("log_softmax", [np.array([1.0, 2.0])], {}),
    ("cross_entropy", [np.array([[1.0, 2.0], [0.0, 1.0]]), np.array([1.0, 0.0])], {}),
    ("cross_entropy", [np.array([[1.0, 2.0], [0.0, 1.0]]), np.array([[0.2, 0.8], [1.0, 0.0]])], {}),
    ("fit", [np.array([[1.0, 2.0], [3.0, 4.0], [5.0, 6.0]]), np.zeros(2)], {}),
    ("fit", [np.array([[1.0], [2.0]]), np.zeros((1, 3))], {}),
]


@pytest.mark.parametrize(("op", "operands", "kw"), CASES, ids=[f"{c[0]}-{i}" for i, c in enumerate(CASES)])
def test_the_zoomed_graph_saves_loads_and_steps(op: str, operands: list[Any], kw: dict[str, Any]) -> None:
    z = zoom(op, operands, upstream=None, **kw)
    g = z.graph
    assert loads(dumps(g)) == g  # the YAML file of a zoom reads back as the same graph
    stepper = Stepper(g)
    while stepper.next_forward() is not None:
        stepper.step_forward()
    while stepper.next_backward() is not None:
        stepper.step_backward()
    want = gradients(g)
    assert stepper.values == want.values
    for i in g.leaves():
        assert stepper.partials[i] == want.partials[i]
    while stepper.can_undo():
        stepper.undo()
    assert stepper.forward_done == 0


def test_result_entries_that_are_leaves_are_aliases() -> None:
    z = zoom("transpose", [np.arange(6.0).reshape(2, 3)])
    assert z.graph.aliases["C_2_1"] == "A_1_2"
    assert z.graph.lookup("C_2_1") == z.graph.lookup("A_1_2")
    assert z.result.shape == (3, 2)
    one = zoom("sum", [np.array([4.0])])
    assert one.graph.aliases == {"C": "A_0"}


def test_generated_names_step_aside_for_the_operands_names() -> None:
    z = zoom("matmul", [np.ones((2, 2)), np.ones((2, 2))], names=["m", "G"], result="L")
    names = {n.name for n in z.graph.nodes}
    assert {"m_0_0", "G_1_1", "L_0_1", "m1_0_1_1", "G1_0_0", "GL_0_0", "L1"} <= names
    assert z.loss == "L1" and z.graph.output_names[0] == "L1"


def test_the_loss_of_a_0d_result_is_one_product() -> None:
    z = zoom("sum", [np.array([1.0, 2.0, 3.0])], upstream=2.0)
    assert z.graph.node("L").op == "mul"
    r = gradients(z.graph)
    assert r.value == 12.0
    assert z.operand_partials(r.partials)[0].tolist() == [2.0, 2.0, 2.0]


# --- refusals, with the problem named ------------------------------------------------------------------

REFUSED: list[tuple[str, list[Any], dict[str, Any], str]] = [
    ("conv", [np.ones(2)], {}, "unknown tensor op 'conv'"),
    ("matmul", [np.ones(2)], {}, "matmul takes 2 operands, got 1"),
    ("matmul", [np.ones((4, 2)), np.ones((3, 3))], {}, r"\(4, 2\) @ \(3, 3\): inner dimensions 2 and 3"),
    ("matmul", [np.ones(()), np.ones(2)], {}, "0-d operand"),
    ("matmul", [np.ones((2, 2, 2)), np.ones((2, 2))], {}, "1-d and 2-d arrays"),
    ("add", [np.ones((2, 3)), np.ones(2)], {}, r"shapes \(2, 3\) and \(2,\) do not broadcast"),
    ("sum", [np.ones((2, 3))], {"axis": 2}, "axis 2 is out of range for 2 dimensions"),
    ("softmax", [np.ones(())], {}, "needs at least one axis"),
    ("reshape", [np.ones((2, 3))], {"shape": (4, -1)}, r"6 entries of \(2, 3\) do not fit"),
    ("reshape", [np.ones((2, 3))], {}, "reshape needs the new shape"),
    ("transpose", [np.ones((2, 3))], {"axes": (0, 0)}, "not a permutation"),
    ("tanh", [np.ones((0, 3))], {}, "no entries"),
    ("tanh", [[["a"]]], {}, "not an array of numbers"),
    ("tanh", [np.ones(2)], {"names": ["A[0]"]}, "'A\\[0\\]' cannot name an operand"),
    ("tanh", [np.ones(2)], {"names": ["lambda"]}, "cannot name an operand"),
    ("tanh", [np.ones(2)], {"result": "A"}, "cannot be called 'A'"),
    ("add", [np.ones(2), np.ones(2)], {"names": ["A", "A_0"]}, "'A' and 'A_0' would give entries the same"),
    ("add", [np.ones(2), np.zeros(2)], {"names": ["X", "X"]}, "both operands are called 'X'"),
    ("add", [np.ones(2), 2.0], {"names": ["X", None]}, "needs a name"),
    ("tanh", [np.ones(2)], {"upstream": np.ones(3)}, r"G has shape \(3,\), the result \(2,\)"),
    ("cross_entropy", [np.ones((2, 3)), np.array([0.0, 3.0])], {}, "label 3 is not a class index 0..2"),
    ("cross_entropy", [np.ones((2, 3)), np.array([0.5, 1.0])], {}, "label 0.5 is not a class index"),
    ("cross_entropy", [np.ones((2, 3)), np.ones(3)], {}, r"labels of shape \(3,\) for logits of shape"),
    ("cross_entropy", [np.ones(()), np.ones(())], {}, "logits of shape"),
    ("fit", [np.ones((2, 3)), np.ones(2)], {}, r"fit: G of shape \(2, 3\) to shape \(2,\): G must broadcast"),
    ("fit", [np.ones(3), np.ones((4, 1))], {}, r"G of shape \(3,\) to shape \(4, 1\)"),
]


@pytest.mark.parametrize(("op", "operands", "kw", "message"), REFUSED, ids=[r[3][:40] for r in REFUSED])
def test_bad_zooms_are_refused_with_the_problem_named(
    op: str, operands: list[Any], kw: dict[str, Any], message: str
) -> None:
    with pytest.raises(ZoomError, match=message) as info:
        zoom(op, operands, **kw)
    assert isinstance(info.value, CgtuiError)


def test_big_operands_are_refused_before_anything_is_built() -> None:
    a = np.zeros((1000, 1000))
    with pytest.raises(ZoomError, match=r"matmul of \(1000, 1000\) and \(1000, 1000\) stands for [\d,]+ "):
        zoom("matmul", [a, a])
    with pytest.raises(ZoomError, match="scalar nodes; zoom shows at most 2,000"):
        zoom("reshape", [np.zeros(10**6)], shape=(1000, 1000))
    # tanh of n entries: n leaves, n tanh, n G, n products G·C and n - 1 additions
    assert len(zoom("tanh", [np.zeros(400)]).graph) == 5 * 400 - 1 <= MAX_ZOOM_NODES
    with pytest.raises(ZoomError, match="tanh of \\(401,\\) stands for 2,004 scalar nodes"):
        zoom("tanh", [np.zeros(401)])
