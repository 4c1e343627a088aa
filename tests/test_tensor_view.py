"""What the explorer shows of array-valued nodes (cgtui.app.tensor_view): the one-line
form of an array, the side pane's tables and VJP lines with shapes, and the zoom of a
tensor node, whose scalar partials equal the entries of the node's VJPs for every op."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

from cgtui.app.tensor_view import broadcast_note, is_array, short_shape, tensor_lines, zoom_node
from cgtui.core.notation import value_text
from cgtui.engine.engine import Stepper, edge_contribution, gradients
from cgtui.engine.zoom import ZoomError
from cgtui.lang.samples import samples_dir
from cgtui.lang.source import load_source
from cgtui.lang.yamlio import loads

#: One node per tensor op (and elementwise ops that broadcast), small enough to zoom.
EVERY_OP = """
inputs:
  X: {shape: [3, 2], value: [[0.5, -1], [2, 0.25], [-0.75, 1.5]]}
labels:
  y: {shape: [3], value: [0, 2, 1]}
  Yp: {shape: [3, 3], value: [[0.2, 0.3, 0.5], [1, 0, 0], [0.1, 0.8, 0.1]]}
params:
  W: {shape: [2, 3], value: [[0.3, -0.2, 0.5], [0.1, 0.4, -0.6]]}
  b: {shape: [3], value: [0.1, -0.1, 0.2]}
  s: 0.7
expression: |
  Z = X @ W + b
  T = transpose(Z) * s
  R = reshape(T, 1, 9)
  H = tanh(R) / (1 + exp(-R))
  A = sum(H, axis=0) - mean(H, axis=1) ^ 2
  P = softmax(Z) + log_softmax(Z)
  E = cross_entropy(Z, y) + cross_entropy(Z, Yp)
  L = mean(A) + sum(P) * 0.1 + E + sum(W @ transpose(Z)) * 0.01
output: L
"""


def stepped(text: str) -> Stepper:
    s = Stepper(loads(text))
    s.run_forward()
    s.run_backward()
    return s


def spiral() -> Stepper:
    s = Stepper(load_source(str(samples_dir() / "spiral_mlp.yaml")))
    s.run_forward()
    s.run_backward()
    return s


def test_an_array_in_one_line_is_its_shape_and_its_mean() -> None:
    assert value_text(np.full((4, 3), 0.123456)) == "(4,3) mean 0.1235"
    assert value_text(np.array([1.0, 2.0, 4.0])) == "(3,) mean 2.333"
    assert value_text(np.zeros((0, 3))) == "(0,3) empty"
    assert value_text(2.5) == "2.5"
    assert short_shape((4, 3)) == "(4,3)" and short_shape((3,)) == "(3,)" and short_shape(()) == "()"


def test_the_side_pane_shows_tables_and_each_vjp_with_shapes() -> None:
    s = stepped((samples_dir() / "xor_mlp_tensor.yaml").read_text())
    g = s.graph
    matmul = next(i for i, n in enumerate(g.nodes) if n.op == "matmul" and g.nodes[n.operands[1]].name == "U")
    lines = tensor_lines(s, matmul, 60)
    name = g.nodes[matmul].name
    assert f"{name} (4,1):" in lines
    assert f"dL/d{name} (4,1):" in lines
    assert "  dL/dH += G (4,1) @ Uᵀ (1,2) -> (4,2)" in lines
    assert "  dL/dU += Hᵀ (2,4) @ G (4,1) -> (2,1)" in lines
    # the table holds the numbers themselves, row by row
    value: Any = s.values[matmul]
    row = lines[lines.index(f"{name} (4,1):") + 2].split()
    assert row[0] == "0" and float(row[1]) == pytest.approx(value[0, 0], rel=1e-11)
    # b1 (2,) added to every row of a (4,2) array: G is summed over axis 0
    add = next(i for i, n in enumerate(g.nodes) if n.op == "add" and g.nodes[n.operands[1]].name == "b1")
    text = "\n".join(tensor_lines(s, add, 80))
    assert "dL/db1 += G (4,2) * (1) -> (4,2)" in text
    assert "broadcasting: summed over axis 0, along which the operand was broadcast: (4,2) -> (2,)" in text
    # c, a number added to a (4,1) array: summed over both axes
    p = g.lookup("P")
    assert "summed over axes 0, 1" in "\n".join(tensor_lines(s, p, 80))


def test_the_broadcasting_note_names_the_axes() -> None:
    assert broadcast_note((4, 3), (4, 3)) == ""
    assert "summed over axis 0" in broadcast_note((4, 3), (1, 3))
    assert "summed over axis 1" in broadcast_note((4, 3), (4, 1))
    assert "spread back over axis 0" in broadcast_note((1, 3), (4, 3))
    assert "spread over every entry" in broadcast_note((), (4, 3))


def test_every_line_fits_the_width_and_a_big_array_is_a_summary() -> None:
    s = spiral()
    h = s.graph.lookup("H")
    lines = tensor_lines(s, h, 40)
    assert "H (300,100):" in lines
    assert any(line.startswith("  shape (300, 100)") or "min" in line for line in lines)
    assert all(len(line) <= 40 for line in lines if "+=" not in line and "VJP" not in line)


def _cases() -> list[tuple[str, int]]:
    s = stepped(EVERY_OP)
    g = s.graph
    return [
        (n.name, i) for i, n in enumerate(g.nodes)
        if n.op is not None and any(is_array(s.values[p]) for p in (i, *n.operands))
    ]


@pytest.mark.parametrize(("name", "index"), _cases())
def test_the_zoom_of_every_node_gives_its_vjp_entries(name: str, index: int) -> None:
    s = stepped(EVERY_OP)
    g = s.graph
    node = g.nodes[index]
    zoomed = zoom_node(s, index)
    z = zoomed.zoom
    assert zoomed.upstream_note.startswith(f"G = dL/d{name}")
    r = gradients(z.graph)
    np.testing.assert_allclose(z.result_values(r.values), np.asarray(s.values[index]), rtol=1e-12, atol=1e-12)
    partials = z.operand_partials(r.partials)
    zoomed_operands = [p for p in node.operands if g.nodes[p].kind.value != "const" or g.nodes[p].op]
    for k, p in enumerate(node.operands[: len(z.operands)]):
        if not s.needs[p] or node.operands.count(p) > 1 or p not in zoomed_operands:
            continue
        if z.operands[k].size and all(n is None for n in z.operands[k].ravel()):
            continue  # class-index labels pick entries: no nodes, no partial
        _, vjp, problem = edge_contribution(g, index, k, s.values, s.partials[index])
        assert problem is None
        expected: Any = np.broadcast_to(np.asarray(vjp), np.shape(partials[k]))
        np.testing.assert_allclose(partials[k], expected, rtol=1e-10, atol=1e-12, err_msg=f"{name} slot {k}")


def test_before_backprop_the_zoom_uses_ones_and_says_so() -> None:
    s = Stepper(loads(EVERY_OP))
    z = s.graph.lookup("Z")
    with pytest.raises(ZoomError, match="run the forward pass"):
        zoom_node(s, z)  # X @ W is not computed yet
    s.run_forward()
    zoomed = zoom_node(s, s.graph.nodes[z].operands[0])
    assert zoomed.upstream_note.startswith("G = ones: backprop has not reached")
    assert np.all(zoomed.zoom.upstream == 1.0)


def test_zoom_refuses_leaves_scalars_and_big_nodes_in_one_line() -> None:
    s = stepped(EVERY_OP)
    with pytest.raises(ZoomError, match="X is a leaf"):
        zoom_node(s, s.graph.lookup("X"))
    with pytest.raises(ZoomError, match="one number already"):
        zoom_node(s, s.graph.lookup("L"))
    big = spiral()
    h = big.graph.lookup("H")
    with pytest.raises(ZoomError) as info:
        zoom_node(big, h)
    assert "\n" not in str(info.value)



def test_the_status_line_never_cuts_a_param_mid_number() -> None:
    from cgtui.app import explain

    s = stepped((samples_dir() / "xor_mlp_tensor.yaml").read_text())
    params = [i for i, n in enumerate(s.graph.nodes) if n.kind.value == "param"]
    for width in (78, 90, 100, 140):
        line = explain.status_line(s, params, width=width)
        assert len(line) <= width, (width, line)
    assert explain.status_line(s, params, width=78).endswith("params +4 more")
    assert "W1=(2,2) mean 0.175" in explain.status_line(s, params, width=140)


def test_an_array_leaf_takes_an_array_of_its_shape_only() -> None:
    from cgtui.core.errors import CgtuiError

    s = stepped((samples_dir() / "xor_mlp_tensor.yaml").read_text())
    w1 = s.graph.lookup("W1")
    new = np.array([[0.25, -1.0], [0.5, 0.75]])
    stale = s.set_value("W1", new)
    assert s.graph.lookup("L") in stale and s.values[s.output] is None
    new[0, 0] = 9.0  # the caller's array stays the caller's
    assert s.graph.nodes[w1].value[0, 0] == 0.25  # type: ignore[index]
    with pytest.raises(CgtuiError, match=r"'W1' holds an array \(2, 2\)"):
        s.set_value("W1", np.zeros((3, 2)))
    with pytest.raises(CgtuiError, match="every entry of 'W1' must be a finite number"):
        s.set_value("W1", np.array([[np.nan, 0.0], [0.0, 0.0]]))
    with pytest.raises(CgtuiError, match="'c' holds one number, not an array"):
        s.set_value("c", np.zeros(2))


def test_a_term_that_broadcasting_summed_says_so() -> None:
    from cgtui.app import explain

    s = stepped((samples_dir() / "xor_mlp_tensor.yaml").read_text())
    [term] = explain.accumulation(s, s.graph.lookup("b1")).terms
    assert term.text.endswith("[G is summed over the axes its operand was broadcast along: (4, 2) -> (2,)]")
    [vjp] = explain.accumulation(s, s.graph.lookup("U")).terms
    # a VJP's term is the map at G = dL/dv3, not a product with a local derivative ∂v3/∂U
    assert vjp.text.startswith("G ↦ transpose(H) @ G at G = dL/dv3 = (4,1) mean ")
    assert ", gives (2,1) mean " in vjp.text and "∂" not in vjp.text
