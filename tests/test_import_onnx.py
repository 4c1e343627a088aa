"""``cgtui import onnx``: a small ONNX model as a scalar graph, one node per tensor element,
whose values agree with ONNX's reference evaluator and, for the twin of the 2-2-1 network
sample, whose gradients are the sample's."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import onnx
import pytest
from conftest import SAMPLES
from onnx import TensorProto, helper, numpy_helper

from cgtui.bridges.onnx_import import check, convert
from cgtui.cli import main
from cgtui.core.errors import CgtuiError
from cgtui.core.graph import Kind
from cgtui.engine.engine import gradients
from cgtui.lang import yamlio
from cgtui.lang.source import load_source

DOUBLE = TensorProto.DOUBLE


def mlp_twin(*, gemm: bool = False) -> onnx.ModelProto:
    """samples/mlp_2_2_1.yaml as ONNX: h = tanh(X @ W1 + B1), yhat = tanh(h @ W2 + B2),
    L = (yhat - Y)^2, with the sample's numbers (W1[j, i] is w_ij of hidden unit i)."""
    w1 = np.array([[0.4, 0.7], [-0.6, 0.2]])
    b1 = np.array([0.1, -0.3])
    w2 = np.array([[0.9], [-0.5]])
    b2 = np.array([0.05])
    inits = [numpy_helper.from_array(a, n) for a, n in ((w1, "W1"), (b1, "B1"), (w2, "W2"), (b2, "B2"))]
    inits.append(numpy_helper.from_array(np.array(2.0), "two"))
    if gemm:
        first = [helper.make_node("Gemm", ["X", "W1", "B1"], ["z1"], name="layer1")]
    else:
        first = [
            helper.make_node("MatMul", ["X", "W1"], ["m1"], name="matmul1"),
            helper.make_node("Add", ["m1", "B1"], ["z1"], name="add1"),
        ]
    nodes = [
        *first,
        helper.make_node("Tanh", ["z1"], ["h"], name="tanh1"),
        helper.make_node("MatMul", ["h", "W2"], ["m2"], name="matmul2"),
        helper.make_node("Add", ["m2", "B2"], ["z2"], name="add2"),
        helper.make_node("Tanh", ["z2"], ["yhat"], name="tanh2"),
        helper.make_node("Sub", ["yhat", "Y"], ["d"], name="sub"),
        helper.make_node("Pow", ["d", "two"], ["L"], name="square"),
    ]
    graph = helper.make_graph(
        nodes,
        "mlp_2_2_1",
        [
            helper.make_tensor_value_info("X", DOUBLE, [1, 2]),
            helper.make_tensor_value_info("Y", DOUBLE, [1, 1]),
        ],
        [helper.make_tensor_value_info("L", DOUBLE, [1, 1])],
        inits,
    )
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
    onnx.checker.check_model(model)
    return model


EXAMPLE = {"X_0_0": 0.5, "X_0_1": -1.0, "Y": 0.8}
#: sample name -> ONNX element name
PARAMS = {
    "w11": "W1_0_0", "w21": "W1_0_1", "w12": "W1_1_0", "w22": "W1_1_1",
    "b1": "B1_0", "b2": "B1_1", "v1": "W2_0_0", "v2": "W2_1_0", "c": "B2",
}  # fmt: skip


@pytest.mark.parametrize("gemm", [False, True])
def test_the_twin_of_the_mlp_sample_has_its_loss_and_gradients(gemm: bool) -> None:
    imported = convert(mlp_twin(gemm=gemm), EXAMPLE)
    g = imported.graph
    assert g.output_names == ["L"]
    assert g.node("W1_0_1").kind is Kind.PARAM and g.node("X_0_0").kind is Kind.INPUT
    ours = gradients(g)
    sample = load_source(str(SAMPLES / "mlp_2_2_1.yaml"))
    want = gradients(sample)
    assert ours.value == pytest.approx(want.value, rel=1e-12)
    for name, element in PARAMS.items():
        got = ours.partials[g.index[element]]
        assert got == pytest.approx(want.partials[sample.index[name]], rel=1e-12), name
    assert ours.partials[g.index["X_0_1"]] == pytest.approx(want.partials[sample.index["x2"]], rel=1e-12)


def test_every_element_agrees_with_onnx_reference_evaluator() -> None:
    checks = check(convert(mlp_twin(), EXAMPLE))
    names = {c.name for c in checks}
    assert {"m1_0_0", "m1_0_1", "h_0_1", "yhat", "L"} <= names
    for c in checks:
        assert c.ours == pytest.approx(c.theirs, rel=1e-12, abs=1e-15), c.name


def test_softmax_reductions_and_gemm_options() -> None:
    x = helper.make_tensor_value_info("X", DOUBLE, [2, 3])
    w = numpy_helper.from_array(np.array([[0.5, -1.0], [0.25, 2.0], [1.5, 0.0]]), "W")
    c = numpy_helper.from_array(np.array([0.1, -0.2]), "C")
    nodes = [
        helper.make_node("Gemm", ["X", "W", "C"], ["z"], alpha=0.5, beta=2.0),
        helper.make_node("Softmax", ["z"], ["p"], axis=1),
        helper.make_node("Neg", ["p"], ["q"]),
        helper.make_node("Transpose", ["q"], ["qt"], perm=[1, 0]),
        helper.make_node("ReduceMean", ["qt"], ["m"], keepdims=0),
    ]
    graph = helper.make_graph(nodes, "mix", [x], [helper.make_tensor_value_info("m", DOUBLE, [])], [w, c])
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
    values = {f"X_{i}_{j}": 0.1 * (i + 1) * (j - 1) for i in range(2) for j in range(3)}
    checks = check(convert(model, values))
    assert len(checks) > 10
    for ch in checks:
        assert ch.ours == pytest.approx(ch.theirs, rel=1e-12, abs=1e-15), ch.name


def test_unsupported_operators_are_listed() -> None:
    x = helper.make_tensor_value_info("X", DOUBLE, [2])
    nodes = [
        helper.make_node("Clip", ["X"], ["c"], name="clip"),
        helper.make_node("Conv", ["c", "c"], ["y"], name="conv"),
    ]
    graph = helper.make_graph(nodes, "bad", [x], [helper.make_tensor_value_info("y", DOUBLE, [2])])
    with pytest.raises(CgtuiError) as caught:
        convert(helper.make_model(graph), {})
    assert "2 part(s)" in str(caught.value) and "'clip' (Clip)" in str(caught.value)


def test_the_command_writes_a_graph_and_checks_it(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    model_path = tmp_path / "mlp.onnx"
    onnx.save(mlp_twin(), model_path)
    out = tmp_path / "mlp.yaml"
    argv = ["import", "onnx", str(model_path), "--example", "X_0_0=0.5,X_0_1=-1,Y=0.8"]
    assert main([*argv, "-o", str(out)]) == 0
    assert gradients(yamlio.load(out)).value == pytest.approx(
        gradients(load_source(str(SAMPLES / "mlp_2_2_1.yaml"))).value
    )
    capsys.readouterr()
    assert main([*argv, "--check"]) == 0
    printed = capsys.readouterr().out
    assert "values agree" in printed and "ONNX computes no gradients" in printed


def test_bad_model_files(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    junk = tmp_path / "junk.onnx"
    junk.write_bytes(b"\xff\x00 not a model")
    assert main(["import", "onnx", str(junk)]) == 2
    assert "not an ONNX model" in capsys.readouterr().err
    assert main(["import", "onnx", str(tmp_path / "missing.onnx")]) == 2
    assert "no such file" in capsys.readouterr().err
    with pytest.raises(CgtuiError, match="not input elements"):
        convert(mlp_twin(), {"X_9_9": 1.0})
