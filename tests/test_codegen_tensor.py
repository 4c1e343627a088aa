"""``cgtui export --format numpy|pytorch|jax`` on tensor graphs: the generated code runs
and gives cgtui's own loss and every leaf's gradient (arrays, in the leaves' shapes); the
NumPy module writes backprop one vector-Jacobian product (or one elementwise local
derivative) a line, with the broadcasting rule where it acts."""

from __future__ import annotations

import ast
import importlib.util
import subprocess
import sys
from itertools import count
from pathlib import Path
from types import ModuleType
from typing import Any

import numpy as np
import pytest
from conftest import SAMPLES, examples
from hypothesis import given, settings
from tensor_cases import leaf_grads, load
from test_tensor_oracle import Program, assert_close, programs

from cgtui.cli import main
from cgtui.core.graph import Graph, Kind
from cgtui.lang import yamlio
from cgtui.teach.codegen import to_jax, to_numpy, to_pytorch

TENSOR_SAMPLES = ["xor_mlp_tensor.yaml", "spiral_mlp.yaml"]
_modules = count()


def load_module(code: str, folder: Path) -> ModuleType:
    path = folder / f"exported_{next(_modules)}.py"
    path.write_text(code, encoding="utf-8")
    spec = importlib.util.spec_from_file_location(path.stem, path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def expected(graph: Graph) -> tuple[float, dict[str, Any]]:
    """cgtui's loss and every leaf's gradient (zeros in the leaf's shape where it has none)."""
    value, grads = leaf_grads(graph)
    leaves = [n for n in graph.nodes if n.op is None and n.kind is not Kind.CONST]
    return value, {n.name: zeros(graph, n.name) if grads[n.name] is None else grads[n.name] for n in leaves}


def zeros(graph: Graph, leaf: str) -> Any:
    return np.zeros(np.shape(np.asarray(graph.node(leaf).value, dtype=float)))


def check_numpy(graph: Graph, folder: Path, what: str) -> str:
    value, grads = expected(graph)
    code = to_numpy(graph)
    with np.errstate(all="ignore"):
        got_value, got = load_module(code, folder).value_and_grad()
    assert_close(got_value, value, f"value of {what}")
    assert got.keys() == grads.keys()
    for leaf, g in grads.items():
        assert np.shape(got[leaf]) == np.shape(zeros(graph, leaf)), leaf
        assert_close(got[leaf], g, f"d/d{leaf} of {what}")
    return code


def check_torch(graph: Graph, folder: Path, what: str) -> None:
    torch = pytest.importorskip("torch")
    value, grads = expected(graph)
    module = load_module(to_pytorch(graph), folder)
    leaves = {k: torch.tensor(v, dtype=torch.float64, requires_grad=True) for k, v in module.LEAVES.items()}
    out = module.forward(**leaves)
    assert_close(out.item(), value, f"value of {what}")
    out.backward()
    python = python_names(graph, module)
    for leaf, g in grads.items():
        t = leaves[python[leaf]].grad
        got = zeros(graph, leaf) if t is None else t.numpy()
        assert_close(got, g, f"d/d{leaf} of {what}")
    assert [python[n.name] for n in graph.nodes if n.op is None and n.kind is Kind.PARAM] == module.PARAMS


def check_jax(graph: Graph, folder: Path, what: str) -> None:
    jax = pytest.importorskip("jax")
    value, grads = expected(graph)
    module = load_module(to_jax(graph), folder)
    got_value, got = jax.value_and_grad(lambda leaves: module.forward(**leaves))(module.LEAVES)
    assert_close(float(got_value), value, f"value of {what}")
    python = python_names(graph, module)
    for leaf, g in grads.items():
        assert_close(np.asarray(got[python[leaf]]), g, f"d/d{leaf} of {what}")


def python_names(graph: Graph, module: ModuleType) -> dict[str, str]:
    """Each leaf's name in ``forward``'s arguments (``LEAVES`` holds them in graph order;
    a name that clashes with the code's own is renamed)."""
    leaves = [n.name for n in graph.nodes if n.op is None and n.kind is not Kind.CONST]
    return dict(zip(leaves, module.LEAVES, strict=True))


def graph_of(p: Program) -> Graph:
    params = {name: float(v) if v.ndim == 0 else v for name, v in p.leaves.items()}
    return load("\n".join(p.lines), params, labels=p.labels or None)


@pytest.mark.parametrize("sample", TENSOR_SAMPLES)
def test_numpy_export_of_a_tensor_sample_gives_cgtuis_gradients(sample: str, tmp_path: Path) -> None:
    code = check_numpy(yamlio.load(SAMPLES / sample), tmp_path, sample)
    assert "batch" not in code


@pytest.mark.parametrize("sample", TENSOR_SAMPLES)
def test_pytorch_export_of_a_tensor_sample_trains_the_same_graph(sample: str, tmp_path: Path) -> None:
    check_torch(yamlio.load(SAMPLES / sample), tmp_path, sample)


@pytest.mark.parametrize("sample", TENSOR_SAMPLES)
def test_jax_export_of_a_tensor_sample_gives_the_same_gradients(sample: str, tmp_path: Path) -> None:
    check_jax(yamlio.load(SAMPLES / sample), tmp_path, sample)


@settings(max_examples=examples(40), deadline=None)
@given(programs())
def test_numpy_export_of_random_tensor_programs(p: Program) -> None:
    import tempfile

    with tempfile.TemporaryDirectory() as folder:
        check_numpy(graph_of(p), Path(folder), "\n".join(p.lines))


@settings(max_examples=examples(20), deadline=None)
@given(programs())
def test_pytorch_and_jax_exports_of_random_tensor_programs(p: Program) -> None:
    import tempfile

    with tempfile.TemporaryDirectory() as folder:
        check_torch(graph_of(p), Path(folder), "\n".join(p.lines))
        check_jax(graph_of(p), Path(folder), "\n".join(p.lines))


def test_every_tensor_op_is_exported(tmp_path: Path) -> None:
    """One program with each op: matmul, transpose, reshape, sums and means over all and
    one axis, softmax, log_softmax and cross-entropy with both kinds of labels."""
    rng = np.random.default_rng(3)
    text = """
    Z = X @ W + b
    T = transpose(Z)
    R = reshape(T, 2, 6)
    M = R - mean(R, axis=1) + sum(R, axis=0) / 3
    S = reshape(M, 4, 3)
    a = sum(softmax(S) * P) + mean(log_softmax(S), axis=-1)
    L = cross_entropy(S, y) + cross_entropy(S, P) + mean(a) + sum(S) * 0.01
    """
    probs = rng.uniform(0.1, 1.0, (4, 3))
    graph = load(
        text, {"W": rng.normal(size=(2, 3)), "b": rng.normal(size=(3,))},
        inputs={"X": rng.normal(size=(4, 2))}, labels={"y": np.array([0.0, 2.0, 1.0, 2.0]),
                                                        "P": probs / probs.sum(axis=1, keepdims=True)},
    )
    code = check_numpy(graph, tmp_path, "every op")
    check_torch(graph, tmp_path, "every op")
    check_jax(graph, tmp_path, "every op")
    # the VJP lines carry the map and the shape of every factor; the rule shows where it acts
    assert "# G ↦ G @ transpose(b): G (4,3) @ Wᵀ (3,2) -> (4,2)" in code
    assert "# G ↦ transpose(a) @ G: Xᵀ (2,4) @ G (4,3) -> (2,3)" in code
    assert (
        "dL_db += fit(dL_dZ * local_Z_b, (3,))  # dL/db += it, broadcasting: summed over axis 0, "
        "along which the operand was broadcast: (4,3) -> (3,)"
    ) in code
    assert "class indices are not differentiated" in code


def test_export_command_writes_a_runnable_tensor_module(tmp_path: Path) -> None:
    for fmt in ("numpy", "pytorch", "jax"):
        out = tmp_path / f"xor_{fmt}.py"
        source = str(SAMPLES / "xor_mlp_tensor.yaml")
        assert main(["export", source, "--format", fmt, "-o", str(out)]) == 0
        if fmt != "numpy":
            pytest.importorskip("torch" if fmt == "pytorch" else "jax")
        run = subprocess.run([sys.executable, str(out)], capture_output=True, text=True, check=True)
        assert run.stdout.strip(), fmt
        if fmt != "numpy":  # a value, then every leaf's gradient as nested lists
            value_text, grads_text = run.stdout.split(" ", 1)
            grads = ast.literal_eval(grads_text)
            ours, expected_grads = expected(yamlio.load(SAMPLES / "xor_mlp_tensor.yaml"))
            assert float(value_text) == pytest.approx(ours, rel=1e-12)
            assert_close(np.array(grads["W1"]), expected_grads["W1"], fmt)


def test_a_leaf_without_a_value_in_a_tensor_graph_is_named(tmp_path: Path) -> None:
    from cgtui.core.errors import CgtuiError

    graph = load("L = sum(X @ W) * k", {"W": np.ones((2, 2)), "k": 2.0}, inputs={"X": np.ones((3, 2))})
    graph.node("k").value = None
    with pytest.raises(CgtuiError, match=r"needs every leaf's value.*'k'"):
        to_numpy(graph)


def test_names_that_clash_with_the_codes_own(tmp_path: Path) -> None:
    rng = np.random.default_rng(5)
    graph = load(
        "np = value_and_grad @ onehot + LEAVES\nG = cross_entropy(np, labels) + sum(np * np)",
        {
            "value_and_grad": rng.normal(size=(3, 2)), "onehot": rng.normal(size=(2, 4)),
            "LEAVES": rng.normal(size=(4,)),
        },
        labels={"labels": np.array([0.0, 3.0, 1.0])},
    )
    check_numpy(graph, tmp_path, "clashing names")
    check_torch(graph, tmp_path, "clashing names")
    check_jax(graph, tmp_path, "clashing names")


def test_leaves_too_big_to_write_as_literals_are_refused_by_size() -> None:
    from cgtui.core.errors import CgtuiError

    graph = load("L = sum(X)", {"X": np.zeros((2, 2))})
    graph.node("X").value = np.zeros((1001, 1000))  # as a leaf read from a .npy file holds it
    with pytest.raises(CgtuiError, match=r"1,001,000 numbers; .* at most 1,000,000"):
        to_numpy(graph)


def test_a_graph_whose_values_fault_is_still_exported(tmp_path: Path) -> None:
    """Export needs the shapes, not a forward pass: a log of a negative entry is NaN in
    the generated code, as NumPy computes it."""
    x = np.array([[1.0, -1.0], [2.0, 3.0]])
    graph = load("L = sum(log(X) * W)", {"W": np.ones((2, 2))}, inputs={"X": x})
    with np.errstate(all="ignore"):
        value, grads = load_module(to_numpy(graph), tmp_path).value_and_grad()
    assert np.isnan(value) and np.isnan(grads["W"][0, 1]) and grads["W"][1, 0] == pytest.approx(np.log(2.0))


def test_the_fit_op_of_a_backward_graph_is_exported(tmp_path: Path) -> None:
    """``fit(G, a)``, broadcasting's rule as an op (backward graphs are made of it)."""
    rng = np.random.default_rng(7)
    graph = load(
        "F = fit(X * W, b)\nK = fit(sum(X), W)\nL = sum(F * F) + sum(K * W) + mean(fit(b, X))",
        {"W": rng.normal(size=(4, 3)), "b": rng.normal(size=(3,))}, inputs={"X": rng.normal(size=(4, 3))},
    )
    code = check_numpy(graph, tmp_path, "fit")
    assert "fit(G, shape(a))" not in code and "np.shape(b)" in code
    check_torch(graph, tmp_path, "fit")
    check_jax(graph, tmp_path, "fit")


def test_an_array_output_is_seeded_with_ones_as_cgtui_seeds_it(tmp_path: Path) -> None:
    rng = np.random.default_rng(8)
    from cgtui.engine.engine import gradients

    graph = load("H = tanh(X @ W)", {"W": rng.normal(size=(2, 3))}, inputs={"X": rng.normal(size=(4, 2))})
    r = gradients(graph)
    got_value, got = load_module(to_numpy(graph), tmp_path).value_and_grad()
    assert np.shape(got_value) == (4, 3)
    assert_close(got_value, r.value, "H")
    assert_close(got["W"], r.partials[graph.lookup("W")], "dH/dW")


@pytest.mark.parametrize("sample", TENSOR_SAMPLES)
def test_a_backward_graph_is_exported_with_its_array_output(sample: str, tmp_path: Path) -> None:
    """A backward graph's output is an array (dL/dX) made with fit: each library's code
    gives cgtui's value and, seeding the output with ones as cgtui does, its gradients."""
    from cgtui.engine.backward_graph import backward_graph
    from cgtui.engine.engine import gradients

    graph = backward_graph(yamlio.load(SAMPLES / sample)).graph
    graph.outputs = graph.outputs[:1]
    r = gradients(graph)
    leaves = [(i, n.name) for i, n in enumerate(graph.nodes) if n.op is None and n.kind is not Kind.CONST]
    got_value, got = load_module(to_numpy(graph), tmp_path).value_and_grad()
    assert_close(got_value, r.value, "value")
    for i, name in leaves:
        assert_close(got[name], zeros(graph, name) if r.partials[i] is None else r.partials[i], name)
    torch = pytest.importorskip("torch")
    module = load_module(to_pytorch(graph), tmp_path)
    tensors = {k: torch.tensor(v, dtype=torch.float64, requires_grad=True) for k, v in module.LEAVES.items()}
    out = module.forward(**tensors)
    assert_close(out.detach().numpy(), r.value, "torch value")
    jax = pytest.importorskip("jax")
    module = load_module(to_jax(graph), tmp_path)
    assert_close(np.asarray(module.forward(**module.LEAVES)), r.value, "jax value")
    grads = jax.grad(lambda leaves: jax.numpy.sum(module.forward(**leaves)))(module.LEAVES)
    python = python_names(graph, module)
    for i, name in leaves:
        want = zeros(graph, name) if r.partials[i] is None else r.partials[i]
        assert_close(np.asarray(grads[python[name]]), want, name)
