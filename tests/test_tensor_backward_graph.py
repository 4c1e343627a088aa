"""The backward pass of a tensor graph as a tensor graph of its own, and second
derivatives through it.

Its forward pass is the engine's gradient (bit for bit on the samples); its nodes are the
op table's vector-Jacobian products and a visible ``fit`` node where broadcasting's rule
acts; reverse mode over it gives Hessian-vector products and Hessians, checked against
PyTorch's double backward in float64 on the tensor samples, a small spiral network and
hypothesis-generated programs (to 1e-10 relative).
"""

from __future__ import annotations

import json
from typing import Any

import numpy as np
import pytest
from conftest import SAMPLES, examples
from hypothesis import given, settings
from tensor_cases import graph_text, load

from cgtui.cli import main
from cgtui.core.errors import CgtuiError
from cgtui.core.graph import Graph, Kind
from cgtui.engine.backward_graph import backward_graph, hessian, hvp
from cgtui.engine.engine import forward, gradients, leaf_values
from cgtui.lang import yamlio

torch = pytest.importorskip("torch")

from test_tensor_oracle import Program, programs  # noqa: E402  (needs torch)

RNG = np.random.default_rng(7)


def value_of(graph: Graph, name: str) -> Any:
    return graph.node(name).value


def bg_gradients(graph: Graph, output: str | None = None) -> dict[str, Any]:
    """dL/dleaf by the forward pass of the backward graph."""
    bg = backward_graph(graph, output)
    vals = forward(bg.graph, leaf_values(bg.graph))
    return {name: vals[o] for name, o in zip(bg.leaves, bg.graph.outputs, strict=True)}


def engine_gradients(graph: Graph) -> dict[str, Any]:
    r = gradients(graph)
    out: dict[str, Any] = {}
    for i, n in enumerate(graph.nodes):
        if n.op is None and n.kind is not Kind.CONST:
            p = r.partials[i]
            out[n.name] = np.zeros(np.shape(value_of(graph, n.name))) if p is None else p
    return out


def assert_close(ours: Any, theirs: Any, what: str, rtol: float = 1e-10) -> None:
    theirs = np.asarray(theirs, dtype=float)
    ours = np.asarray(ours, dtype=float)
    assert ours.shape == theirs.shape, what
    scale = float(np.max(np.abs(theirs))) if theirs.size else 0.0
    np.testing.assert_allclose(ours, theirs, rtol=rtol, atol=rtol * scale + 1e-15, err_msg=what)


# --- the graph: its outputs are the engine's gradients ----------------------------------------


def test_xor_twin_backward_graph_is_the_engines_gradient_bit_for_bit() -> None:
    graph = yamlio.load(SAMPLES / "xor_mlp_tensor.yaml")
    bg = backward_graph(graph)
    assert bg.graph.has_arrays and bg.leaves == ["X", "Y", "W1", "b1", "U", "c"]
    ours, expected = bg_gradients(graph), engine_gradients(graph)
    for name in bg.leaves:
        assert np.array_equal(ours[name], expected[name]), name
        assert np.shape(ours[name]) == np.shape(value_of(graph, name))
    g = bg.graph
    # the VJPs of the op table, as nodes: G @ transpose(b) and transpose(a) @ G
    assert g.node("dL_dU").op == "matmul"
    assert g.nodes[g.node("dL_dU").operands[0]].op == "transpose"
    # broadcasting's rule is a node where it acts: b1 (2,) was added to every row
    fit = g.node("dL_db1")
    assert fit.op == "fit" and [g.nodes[p].name for p in fit.operands] == ["dL_db1_via_v2_before_fit", "b1"]
    assert g.node("dL_dc").op == "fit"
    # the YAML round trip keeps it
    assert yamlio.loads(yamlio.dumps(g)) == g


SMALL_SPIRAL = """\
inputs:
  X: {shape: [6, 2], value: [[0.1, 0.2], [-0.3, 0.5], [0.7, -0.1], [0.0, -0.6], [-0.4, -0.2], [0.5, 0.4]]}
labels:
  y: {shape: [6], value: [0, 1, 2, 0, 1, 2]}
params:
  W1: {shape: [2, 4], init: {normal: 0.8, seed: 1}}
  b1: {shape: [1, 4], value: [[0.1, -0.2, 0.05, 0.3]]}
  W2: {shape: [4, 3], init: {normal: 0.8, seed: 2}}
  b2: {shape: [1, 3], value: [[0.0, 0.1, -0.1]]}
constants:
  reg: 0.01
expression: |
  H = relu(X @ W1 + b1)
  S = H @ W2 + b2
  data_loss = cross_entropy(S, y)
  reg_loss = 0.5 * reg * (sum(W1 * W1) + sum(W2 * W2))
  L = data_loss + reg_loss
output: L
"""


def small_spiral() -> Graph:
    """samples/spiral_mlp.yaml's network at 6 points and 4 hidden units."""
    full = (SAMPLES / "spiral_mlp.yaml").read_text()
    assert "cross_entropy(S, y)" in full and "relu(X @ W1 + b1)" in full
    return yamlio.loads(SMALL_SPIRAL)


def test_small_spiral_backward_graph_is_the_engines_gradient() -> None:
    graph = small_spiral()
    ours, expected = bg_gradients(graph), engine_gradients(graph)
    assert set(ours) == {"X", "y", "W1", "b1", "W2", "b2"}
    for name, value in expected.items():
        assert_close(ours[name], value, name, rtol=1e-12)
    bg = backward_graph(graph).graph
    assert any(n.name.startswith("Y_y") and isinstance(n.value, np.ndarray) for n in bg.nodes)  # one-hot rows


@pytest.mark.parametrize(
    ("expression", "shapes"),
    [
        ("L = sum(reshape(A, 2, 3) * R)", {"A": (3, 2), "R": (2, 3)}),
        ("L = sum(reshape(v, 2, 3) * R)", {"v": (6,), "R": (2, 3)}),
        ("L = sum(softmax(A) * R) + sum(log_softmax(A) * R)", {"A": (3, 2), "R": (3, 2)}),
        ("L = cross_entropy(A, P)", {"A": (3, 4), "P": (3, 4)}),
        ("L = sum(mean(A, axis=0) * R) + mean(A * A)", {"A": (3, 2), "R": (1, 2)}),
        ("L = sum(transpose(A) @ A * s)", {"A": (3, 2), "s": ()}),
    ],
)
def test_every_tensor_op_has_its_vjp_as_nodes(expression: str, shapes: dict[str, tuple[int, ...]]) -> None:
    params: dict[str, Any] = {
        k: float(RNG.normal()) if not s else RNG.normal(size=s) for k, s in shapes.items()
    }
    if "P" in params:
        params["P"] = RNG.dirichlet(np.ones(4), size=3)  # rows of probabilities, differentiated
    graph = load(expression, params)
    ours, expected = bg_gradients(graph), engine_gradients(graph)
    for name, value in expected.items():
        assert_close(ours[name], value, f"d/d{name} of {expression}", rtol=1e-12)


def test_a_leaf_with_no_path_gets_zeros_of_its_shape() -> None:
    graph = load("L = sum(A * A)\nM = sum(B)", {"A": RNG.normal(size=(2, 2)), "B": RNG.normal(size=(3,))})
    ours = bg_gradients(graph, "L")
    assert np.array_equal(ours["B"], np.zeros(3)) and np.array_equal(ours["A"], 2 * value_of(graph, "A"))


def test_fit_is_an_op_of_the_language_with_a_shape_check() -> None:
    graph = load("L = sum(fit(A, b) * b)", {"A": RNG.normal(size=(4, 3)), "b": RNG.normal(size=(3,))})
    assert_close(engine_gradients(graph)["A"], np.broadcast_to(value_of(graph, "b"), (4, 3)), "d/dA")
    with pytest.raises(CgtuiError, match=r"fit: \(4, 3\) to \(2,\)"):
        load("L = sum(fit(A, b))", {"A": RNG.normal(size=(4, 3)), "b": RNG.normal(size=(2,))})


# --- second derivatives against PyTorch ---------------------------------------------------------


def torch_hvp(f: Any, leaves: dict[str, Any], vector: dict[str, Any]) -> dict[str, np.ndarray]:
    """H v by double backward in float64."""
    names = list(leaves)
    args = tuple(torch.tensor(np.asarray(leaves[n], dtype=float), dtype=torch.float64) for n in names)
    vs = tuple(torch.tensor(np.asarray(vector[n], dtype=float), dtype=torch.float64) for n in names)
    _, products = torch.autograd.functional.hvp(lambda *a: f(dict(zip(names, a, strict=True))), args, vs)
    return {n: p.numpy() for n, p in zip(names, products, strict=True)}


def random_vector(graph: Graph, names: list[str]) -> dict[str, Any]:
    return {n: RNG.normal(size=np.shape(value_of(graph, n))) for n in names}


def xor_torch(e: dict[str, Any]) -> Any:
    h = torch.tanh(e["X"] @ e["W1"] + e["b1"])
    return torch.mean((h @ e["U"] + e["c"] - e["Y"]) ** 2)


def test_hvp_on_the_xor_twin_agrees_with_pytorch() -> None:
    graph = yamlio.load(SAMPLES / "xor_mlp_tensor.yaml")
    names = ["X", "Y", "W1", "b1", "U", "c"]
    vector = random_vector(graph, names)
    vector["c"] = float(vector["c"])
    r = hvp(graph, vector)
    assert r.leaves == names
    expected = torch_hvp(xor_torch, {n: value_of(graph, n) for n in names}, vector)
    for name, product in zip(r.leaves, r.product, strict=True):
        assert_close(product, expected[name], f"(H v) {name}")


def test_hessian_on_the_xor_twin_counts_entries_and_agrees_with_pytorch() -> None:
    graph = yamlio.load(SAMPLES / "xor_mlp_tensor.yaml")
    h = hessian(graph)
    names = ["X", "Y", "W1", "b1", "U", "c"]
    assert h.leaves[:3] == ["X[0,0]", "X[0,1]", "X[1,0]"] and h.leaves[-1] == "c" and len(h.leaves) == 21
    assert h.passes == 21
    values = [np.asarray(value_of(graph, n), dtype=float) for n in names]
    args = tuple(torch.tensor(v, dtype=torch.float64) for v in values)
    blocks = torch.autograd.functional.hessian(lambda *a: xor_torch(dict(zip(names, a, strict=True))), args)
    sizes = [int(np.size(value_of(graph, n))) for n in names]
    expected = np.block(
        [[blocks[i][j].numpy().reshape(sizes[i], sizes[j]) for j in range(6)] for i in range(6)]
    )
    assert_close(np.array(h.matrix), expected, "Hessian")
    flat = np.concatenate([np.ravel(engine_gradients(graph)[n]) for n in names])
    assert_close(h.gradient, flat, "gradient")


def spiral_torch(e: dict[str, Any]) -> Any:
    h = torch.relu(e["X"] @ e["W1"] + e["b1"])
    s = h @ e["W2"] + e["b2"]
    data = torch.nn.functional.cross_entropy(s, torch.tensor([0, 1, 2, 0, 1, 2]))
    return data + 0.5 * 0.01 * (torch.sum(e["W1"] * e["W1"]) + torch.sum(e["W2"] * e["W2"]))


def test_hvp_on_a_small_spiral_network_agrees_with_pytorch() -> None:
    graph = small_spiral()
    names = ["X", "W1", "b1", "W2", "b2"]
    vector = random_vector(graph, names)
    r = hvp(graph, vector)
    expected = torch_hvp(spiral_torch, {n: value_of(graph, n) for n in names}, vector)
    products = dict(zip(r.leaves, r.product, strict=True))
    for name in names:
        assert_close(products[name], expected[name], f"(H v) {name}")
    assert np.array_equal(products["y"], np.zeros(6))  # class indices: not differentiated


def program_torch(p: Program) -> Any:
    def f(e: dict[str, Any]) -> Any:
        env = dict(e)
        env.update({n: torch.tensor(v, dtype=torch.float64) for n, v in p.labels.items()})
        for name, fn, args in p.steps:
            env[name] = fn(*(env[a] for a in args))
        return env[p.steps[-1][0]]

    return f


@settings(max_examples=examples(30), deadline=None)
@given(programs())
def test_random_tensor_programs_backward_graph_and_hvp_agree_with_pytorch(p: Program) -> None:
    params = {name: float(v) if v.ndim == 0 else v for name, v in p.leaves.items()}
    graph = load("\n".join(p.lines), params, labels=p.labels or None)
    program = "\n".join(p.lines)
    ours, expected = bg_gradients(graph), engine_gradients(graph)
    for name, value in expected.items():
        assert_close(ours[name], value, f"dL/d{name} of\n{program}", rtol=1e-12)
    vector = {n: RNG.uniform(-1, 1, np.shape(v)) for n, v in p.leaves.items()}
    r = hvp(graph, vector)
    theirs = torch_hvp(program_torch(p), dict(p.leaves), vector)
    products = dict(zip(r.leaves, r.product, strict=True))
    for name, value in theirs.items():
        assert_close(products[name], value, f"(H v) {name} of\n{program}")


def test_second_derivatives_need_one_number() -> None:
    graph = load("M = A * A", {"A": RNG.normal(size=(2, 2))})
    with pytest.raises(CgtuiError, match=r"M has shape \(2, 2\): second derivatives are of one number"):
        hvp(graph, {"A": 1.0})


# --- the commands -----------------------------------------------------------------------------


XOR = str(SAMPLES / "xor_mlp_tensor.yaml")


def test_cgtui_hvp_takes_a_direction_over_array_entries(capsys: pytest.CaptureFixture[str]) -> None:
    graph = yamlio.load(SAMPLES / "xor_mlp_tensor.yaml")
    assert main(["hvp", XOR, "--vector", "W1=[[1, 0], [0, 1]],b1=2", "--vector", "U[1,0]=0.5", "--json"]) == 0
    doc = json.loads(capsys.readouterr().out)
    assert doc["vector"]["W1"] == [[1.0, 0.0], [0.0, 1.0]] and doc["vector"]["b1"] == [2.0, 2.0]
    assert doc["vector"]["U"] == [[0.0], [0.5]] and doc["vector"]["c"] == 0.0
    vector = {"W1": np.eye(2), "b1": np.full(2, 2.0), "U": np.array([[0.0], [0.5]])}
    r = hvp(graph, vector)
    for name, product in zip(r.leaves, r.product, strict=True):
        assert np.array_equal(np.asarray(doc["hvp"][name]), product), name
    assert doc["gradient"]["W1"] == np.asarray(engine_gradients(graph)["W1"]).tolist()
    assert main(["hvp", XOR, "--vector", "c=1"]) == 0
    out = capsys.readouterr().out
    assert "H v (reverse mode over the backward graph" in out and "W1  (2, 2) [[" in out


@pytest.mark.parametrize(
    ("vector", "message"),
    [
        ("W1=[[1, 0]]", "the direction of 'W1' has shape (1, 2); W1 has shape (2, 2)"),
        ("W1[2,0]=1", "'W1[2,0]': index 2 is out of range for axis 0 of length 2"),
        ("W1[0]=1", "W1 has shape (2, 2); name an entry as W1[i,j]"),
        ("W1=[[1, 0], [0, x]]", "the direction of 'W1' is not a nested list of numbers"),
        ("v1=1", "'v1' is computed by the graph"),
        ("W1=1,W1=2", "'W1' is given a direction twice"),
        ("W1", "expected NAME=VALUE or NAME[i,j]=VALUE, got 'W1'"),
    ],
)
def test_cgtui_hvp_names_a_bad_direction(
    vector: str, message: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["hvp", XOR, "--vector", vector]) == 2
    assert message in capsys.readouterr().err


def test_cgtui_hessian_counts_entries_under_its_cap(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["hessian", XOR, "--json"]) == 0
    doc = json.loads(capsys.readouterr().out)
    h = hessian(yamlio.load(SAMPLES / "xor_mlp_tensor.yaml"))
    assert doc["leaves"] == h.leaves and doc["hessian"] == h.matrix
    assert main(["hessian", str(SAMPLES / "spiral_mlp.yaml")]) == 2
    err = capsys.readouterr().err
    assert "a Hessian by 1,503 entries of leaves" in err and "cgtui hvp" in err


def test_cgtui_backward_graph_writes_a_tensor_graph(
    tmp_path: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    target = tmp_path / "grad.yaml"
    assert main(["backward-graph", XOR, "-o", str(target)]) == 0
    bg = yamlio.load(target)
    vals = forward(bg, leaf_values(bg))
    expected = engine_gradients(yamlio.load(SAMPLES / "xor_mlp_tensor.yaml"))
    for o in bg.outputs:
        name = bg.nodes[o].name.removeprefix("dL_d")
        assert np.array_equal(vals[o], expected[name]), name
    assert main(["grad", str(target), "--output", "dL_dc", "--json"]) == 0  # and differentiates again
    assert json.loads(capsys.readouterr().out)["output"] == "dL_dc"


def test_vjps_with_no_op_here_are_refused_by_name(tmp_path: Any, capsys: pytest.CaptureFixture[str]) -> None:
    text = graph_text("L = sum(reshape(A, 2, 4))", {"A": np.ones((2, 2, 2))})
    with pytest.raises(CgtuiError, match=r"v1 = reshape\(A, \.\.\.\) of a 3-D array: its VJP"):
        backward_graph(yamlio.loads(text))
    (tmp_path / "cube.yaml").write_text(text)
    assert main(["hvp", str(tmp_path / "cube.yaml"), "--vector", "A=1"]) == 2
    assert "reshape(G, shape of A) has no op here" in capsys.readouterr().err
    labels = {"y": np.array([0.0, 2.0])}
    graph = load("L = cross_entropy(S, y * 1)", {"S": RNG.normal(size=(2, 3))}, labels=labels)
    with pytest.raises(CgtuiError, match=r"cross_entropy's labels v1 are computed class indices"):
        backward_graph(graph)


def test_array_ops_on_numbers_take_the_tensor_path(capsys: pytest.CaptureFixture[str]) -> None:
    from cgtui.lang.build import from_expression

    graph = from_expression("f = sum(x * x) + mean(x * y) + transpose(y)", values={"x": 2.0, "y": 3.0})
    assert not graph.has_arrays
    ours, expected = bg_gradients(graph), engine_gradients(graph)
    assert ours == expected == {"x": 7.0, "y": 3.0}
    assert hessian(graph).matrix == [[2.0, 1.0], [1.0, 0.0]]
    assert hvp(graph, {"x": 1.0}).product == [2.0, 1.0]
    assert main(["hvp", "f = sum(x * x)", "--at", "x=2", "--vector", "x=1", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["hvp"] == {"x": 2.0}
