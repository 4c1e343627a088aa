"""Lesson sheets (``cgtui export --format markdown|latex``) and ``cgtui paths`` on tensor
graphs: every node's shape, value and partial, every edge's vector-Jacobian product with
the shape of every factor, the broadcasting rule where it acts, and paths refused with
the reason."""

from __future__ import annotations

import re

import numpy as np
import pytest
from conftest import SAMPLES
from tensor_cases import load

from cgtui.cli import main
from cgtui.core.graph import Graph
from cgtui.engine.engine import gradients
from cgtui.lang import yamlio
from cgtui.teach.handout import tensor_lesson, to_latex, to_markdown


def xor() -> Graph:
    return yamlio.load(SAMPLES / "xor_mlp_tensor.yaml")


def test_the_sheet_lists_every_node_with_its_shape_value_and_partial() -> None:
    graph = xor()
    doc = tensor_lesson(graph)
    assert [n.name for n in doc.leaves] == ["X", "Y", "W1", "b1", "U", "c"]
    assert [n.name for n in doc.steps] == ["v1", "v2", "H", "v3", "P", "v4", "v5", "L"]
    steps = {n.name: n for n in doc.steps}
    assert steps["v1"].definition == "v1 = X @ W1"
    assert steps["v1"].shapes == "(4,2) @ (2,2) -> (4,2)"
    assert steps["v2"].shapes == "(4,2) + (2,) -> (4,2)"
    assert steps["v5"].shapes == "(4,1) ^ 2 -> (4,1)"  # a literal is written as itself
    assert steps["L"].shapes == "mean((4,1)) -> ()"
    # small arrays are written out, at the values and partials backprop computes
    leaves = {n.name: n for n in doc.leaves}
    assert leaves["W1"].value == "(2,2) [[0.3, -1.3], [0.8, 0.9]]"
    w1 = np.asarray(gradients(graph).partials[graph.lookup("W1")])
    rows = ["[" + ", ".join(f"{x:.6g}" for x in row) + "]" for row in w1]
    assert leaves["W1"].partial == f"(2,2) [{', '.join(rows)}]"
    assert doc.counts == ["L = mean(v5): n = 4 (entries averaged)"]


def test_each_edge_is_its_vjp_with_the_shape_of_every_factor() -> None:
    edges = {(e.operand, e.result): e for e in tensor_lesson(xor()).edges}
    assert edges["X", "v1"].vjp == "G ↦ G @ transpose(W1)"
    assert edges["X", "v1"].shapes == "G (4,2) @ W1ᵀ (2,2) -> (4,2)"
    assert edges["U", "v3"].shapes == "Hᵀ (2,4) @ G (4,1) -> (2,1)"
    # an elementwise edge: G times the local derivative ∂z/∂w, entry by entry
    assert edges["v2", "H"].vjp == "G ↦ G * (1 - H^2)  (∂H/∂v2 = 1 - H^2, entry by entry)"
    # the broadcasting rule, where it acts, with the axes
    assert edges["b1", "v2"].note == (
        "broadcasting: summed over axis 0, along which the operand was broadcast: (4,2) -> (2,)"
    )
    assert edges["v5", "L"].note == "broadcasting: spread over every entry of the operand: () -> (4,1)"
    assert edges["X", "v1"].note == ""


def test_the_markdown_sheet_of_a_tensor_graph() -> None:
    text = to_markdown(xor())
    assert "| `X -> v1` | `G ↦ G @ transpose(W1)` | `G (4,2) @ W1ᵀ (2,2) -> (4,2)` |" in text
    assert "| `v1 = X @ W1` | `(4,2) @ (2,2) -> (4,2)` |" in text
    assert "## Broadcasting in the backward pass" in text
    assert "- `b1 -> v2`: `broadcasting: summed over axis 0" in text
    assert "vector-Jacobian product (a map G ↦ …), not one number" in text
    # the local-derivative symbol appears only as an elementwise edge's ∂z/∂w
    for mark in re.findall(r"∂\w+/∂\w+", text):
        assert mark in ("∂z/∂w",) or re.fullmatch(r"∂\w+/∂\w+", mark)
    assert "∂L/∂v5" not in text  # mean's edge is a VJP, never a local derivative


def test_a_big_array_is_summarised_and_class_indices_are_not_differentiated() -> None:
    doc = tensor_lesson(yamlio.load(SAMPLES / "spiral_mlp.yaml"))
    leaves = {n.name: n for n in doc.leaves}
    assert re.fullmatch(r"\(300,2\) min \S+ max \S+ mean \S+", leaves["X"].value)
    assert leaves["b2"].value == "(1,3) [[0, 0, 0]]"
    edges = {(e.operand, e.result): e for e in doc.edges}
    assert edges["y", "data_loss"].vjp == "G ↦ 0 (class indices are not differentiated)"
    assert edges["S", "data_loss"].shapes == "G () * (softmax(S (300,3)) - Y (300,3)) / n -> (300,3)"
    assert "data_loss = cross_entropy(S, y): n = 300 (rows averaged)" in doc.counts


def test_every_tensor_op_has_a_row() -> None:
    rng = np.random.default_rng(0)
    graph = load(
        "T = transpose(X)\nR = reshape(T, 1, 6)\n"
        "S = softmax(R) + log_softmax(R) + mean(R, axis=0) + sum(R, axis=1)\nL = sum(S * S)",
        {"X": rng.normal(size=(3, 2))},
    )
    edges = {(e.operand, e.result): e for e in tensor_lesson(graph).edges}
    assert edges["X", "T"].shapes == "Gᵀ (3,2) -> (3,2)"
    assert edges["T", "R"].shapes == "reshape(G (1,6), shape of T (2,3)) -> (2,3)"
    assert edges["R", "v4"].vjp == "G ↦ G / n"  # mean(R, axis=0)
    assert edges["R", "v6"].note == "broadcasting: spread back over axis 1: (1,1) -> (1,6)"  # sum(R, axis=1)
    assert edges["R", "v1"].shapes == "v1 (1,6) * (G (1,6) - sum(G (1,6) * v1 (1,6), axis=-1)) -> (1,6)"


def test_the_latex_sheet_of_a_tensor_graph_has_no_raw_unicode() -> None:
    text = to_latex(xor())
    assert r"\texttt{G $\mapsto$ G @ transpose(W1)}" in text
    assert "W1$^{T}$ (2,2)" in text
    assert "U+" not in text and text.rstrip().endswith(r"\end{document}")


@pytest.mark.parametrize("fmt", ["markdown", "latex"])
def test_export_command_writes_a_tensor_sheet(fmt: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["export", str(SAMPLES / "spiral_mlp.yaml"), "--format", fmt]) == 0
    assert "Vector-Jacobian products" in capsys.readouterr().out


def test_paths_on_a_tensor_graph_says_why_not_and_where_to_look(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["paths", str(SAMPLES / "xor_mlp_tensor.yaml"), "--from", "W1"]) == 2
    err = capsys.readouterr().err
    assert "each edge is a vector-Jacobian product" in err and "not one number" in err
    assert "--format markdown" in err and "Z zooms" in err
    assert "Traceback" not in err
