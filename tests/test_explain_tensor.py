"""The explorer's words and drawn boxes on tensor graphs: an array node's definition
with its shapes (never an array's mean written where an operand stands), an array op's
edge as the map ``G ↦ …`` (never a local derivative ``∂z/∂w``), and boxes with the shape
and a compact summary of the value."""

from __future__ import annotations

import re

import numpy as np
from conftest import SAMPLES

from cgtui.app import explain
from cgtui.core import notation
from cgtui.draw import draw_text
from cgtui.draw.render import array_brief, value_string
from cgtui.engine.engine import Stepper, arithmetic_text
from cgtui.lang import yamlio


def stepper(sample: str = "xor_mlp_tensor.yaml", *, forward: bool = True, backward: bool = True) -> Stepper:
    s = Stepper(yamlio.load(SAMPLES / sample))
    if forward:
        s.run_forward()
    if backward:
        s.run_backward()
    return s


def test_an_array_definition_writes_shapes_where_the_operands_stand() -> None:
    s = stepper(forward=False, backward=False)
    v2 = s.graph.lookup("v2")
    assert explain.definition(s, v2) == (
        "v2 = v1 + b1  with shapes (4,2) + (2,) -> (4,2)\nv2 = ? (not yet computed)"
    )
    s.run_forward()
    assert explain.definition(s, v2) == (
        "v2 = v1 + b1  with shapes (4,2) + (2,) -> (4,2)\nv2 = (4,2) min -0.9 max 1.4 mean 0.525"
    )
    # a literal stays a number; a result of shape () is its number
    v5 = explain.definition(s, s.graph.lookup("v5"))
    assert v5.startswith("v5 = v4 ^ 2  with shapes (4,1) ^ 2 -> (4,1)\n")
    assert explain.definition(s, s.graph.lookup("L")) == (
        "L = mean(v5)  with shapes mean((4,1)) -> ()\nL = 0.538384112027"
    )
    # a quiz that asks for the value hides it
    masked = explain.definition(s, v2, explain.Mask(values=frozenset({v2})))
    assert masked.endswith(explain.MASKED) and "0.525" not in masked


def test_no_definition_writes_an_arrays_mean_as_an_operand() -> None:
    for sample in ("xor_mlp_tensor.yaml", "spiral_mlp.yaml"):
        s = stepper(sample)
        for i in range(len(s.graph.nodes)):
            text = explain.definition(s, i)
            assert not re.search(r"mean \S+ [-+*/@^] ", text), text
    # the scalar steps of a tensor graph keep their arithmetic
    s = stepper("spiral_mlp.yaml")
    assert explain.definition(s, s.graph.lookup("v4")) == "v4 = 0.5 * reg = 0.5 * 0.001 = 0.0005"


def test_a_vjp_edge_is_a_map_not_a_local_derivative() -> None:
    s = stepper()
    [row] = explain.edge_rows(s, s.graph.lookup("L"))
    assert row.edge == "v5 -> L" and row.formula == "G ↦ G / n" and row.value == "VJP (above)"
    rows = {r.edge: r for r in explain.edge_rows(s, s.graph.lookup("v3"))}
    assert rows["U -> v3"].formula == "G ↦ transpose(H) @ G"
    # an elementwise edge keeps its local derivative ∂z/∂w, an array of numbers
    [tanh] = explain.edge_rows(s, s.graph.lookup("H"))
    assert tanh.formula == "∂H/∂v2 = 1 - H^2" and tanh.value.startswith("(4,2) mean ")
    for i in range(len(s.graph.nodes)):
        for r in explain.edge_rows(s, i):
            if "G" in r.formula:
                assert "∂" not in r.formula, r.formula


def test_a_pending_vjp_term_names_the_map_and_the_partial_it_waits_for() -> None:
    s = stepper(backward=False)
    u = s.graph.lookup("U")
    [term] = explain.accumulation(s, u).terms
    assert term.text == "G ↦ transpose(H) @ G at G = dL/dv3 = ?, gives ?" and not term.done


def test_paths_in_the_side_pane_say_why_not() -> None:
    s = stepper()
    view = explain.paths_view(s, s.graph.lookup("W1"))
    text = " ".join(view.lines)
    assert notation.TENSOR_PATHS in text and "Z zooms" in text


def test_a_drawn_box_shows_an_arrays_shape_and_summary() -> None:
    s = stepper()
    text = draw_text(s.graph, values=s.values, partials=s.partials)
    assert "(4,2)" in text and "(2,1)" in text
    assert "= μ 0.175 [-1.3, 0.9]" in text  # W1: mean and range
    # narrow boxes keep the mean alone; every box is one number's or an array's summary
    assert array_brief(np.array([[-0.000128, 0.0004]]), 12) == "μ 0.000136"
    assert array_brief(np.array([0.0, 1.0]), 12) == "μ 0.5 [0, 1]"
    assert array_brief(np.array([np.nan]), 12) == "no finite e…"
    assert value_string(2.5) == "2.5"


def test_a_scalar_graph_draws_as_before() -> None:
    s = Stepper(yamlio.load(SAMPLES / "squared_error.yaml"))
    s.run_forward()
    text = draw_text(s.graph, values=s.values)
    assert "μ" not in text and "= 0.5" in text


def test_notation_of_arrays() -> None:
    assert notation.vjp_map("G @ transpose(b)") == "G ↦ G @ transpose(b)"
    assert notation.vjp_contribution("L", "H", "G (4,1) @ Uᵀ (1,2) -> (4,2)") == (
        "dL/dH += G (4,1) @ Uᵀ (1,2) -> (4,2)"
    )
    assert notation.vjp_at("L", "v3", "G @ transpose(U)") == "G ↦ G @ transpose(U) at G = dL/dv3"
    assert notation.small_array(np.array([[0.3, -1.3], [0.8, 0.9]])) == "(2,2) [[0.3, -1.3], [0.8, 0.9]]"
    assert notation.small_array(np.array([1 / 3])) == "(1,) [0.333333]"
    assert notation.array_summary(np.array([[1.0, 2.0], [3.0, np.nan]])) == "(2,2) min 1 max 3 mean 2"
    assert notation.ascii_fallback("G ↦ Wᵀ") == "G |-> W^T"


def test_class_indices_are_not_differentiated_in_every_view() -> None:
    from cgtui.app.tensor_view import vjp_lines

    s = stepper("spiral_mlp.yaml")
    i = s.graph.lookup("data_loss")
    rows = {r.edge: r for r in explain.edge_rows(s, i)}
    assert rows["y -> data_loss"].formula == "G ↦ 0 (class indices are not differentiated)"
    lines = vjp_lines(s, i)
    assert "  dL/dy += 0 (class indices are not differentiated) -> (300,)" in lines
    assert lines[-1] == "  n = 300 (rows averaged)"
    [term] = explain.accumulation(s, s.graph.lookup("y")).terms
    assert term.text.startswith("G ↦ 0 (class indices are not differentiated) at G = dL/ddata_loss = 1")


def test_a_quiz_on_a_shape_is_not_answered_by_the_next_nodes_definition() -> None:
    """The quiz asks the shape of v1 before the forward pass reaches it; v2 = v1 + b1,
    selected meanwhile, must not give it away: under a quiz's mask the shape of a node not
    yet computed is ?. Without a quiz the shapes are worked out ahead, from the operands."""
    stepper = Stepper(yamlio.load(SAMPLES / "xor_mlp_tensor.yaml"))
    v1, v2 = stepper.graph.lookup("v1"), stepper.graph.lookup("v2")
    asked = explain.Mask(values=frozenset({v1}))
    head = "v2 = v1 + b1  with shapes"
    assert explain.definition(stepper, v2, asked).splitlines()[0] == f"{head} ? + (2,) -> ?"
    assert explain.definition(stepper, v2).splitlines()[0] == f"{head} (4,2) + (2,) -> (4,2)"
    stepper.step_forward()
    assert explain.definition(stepper, v2, asked).splitlines()[0] == f"{head} (4,2) + (2,) -> ?"


def test_a_step_with_arrays_writes_no_mean_in_an_operand_s_place() -> None:
    """``v5 = v4 ^ 2 = (4,1) mean -0.3355 ^ 2 = …`` read as arithmetic that is false (the
    mean of the squares is not the square of the mean): where an array takes part, the step
    goes from the op straight to its result; numbers alone keep their arithmetic."""
    stepper = Stepper(yamlio.load(SAMPLES / "xor_mlp_tensor.yaml"))
    stepper.run_forward()
    g, values = stepper.graph, stepper.values
    assert arithmetic_text(g, g.lookup("v5"), values) == "v5 = v4 ^ 2 = (4,1) mean 0.5384"
    assert arithmetic_text(g, g.lookup("L"), values) == "L = mean(v5) = 0.538384112027"
    scalar = Stepper(yamlio.load(SAMPLES / "squared_error.yaml"))
    scalar.run_forward()
    yhat = scalar.graph.lookup("yhat")
    assert arithmetic_text(scalar.graph, yhat, scalar.values) == "yhat = z + b = 1 + 0.1 = 1.1"
