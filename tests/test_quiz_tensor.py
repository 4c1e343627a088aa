"""The quiz on graphs whose nodes hold arrays: every question of both tensor samples has
exactly one right answer, worked out here without the quiz (the engine's forward values
and gradients, numpy, central differences); the right answer is accepted and wrong ones
are refused."""

from __future__ import annotations

import functools
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from tensor_cases import load

from cgtui.core import arrays
from cgtui.core.graph import Graph
from cgtui.core.ops import OPS
from cgtui.engine.engine import Stepper, edge_formula, forward, gradients, leaf_values
from cgtui.lang import yamlio
from cgtui.teach.quiz import InvalidAnswer, Question, QuestionKind, Quiz, expected_text, summed_axes

K = QuestionKind
SAMPLES = Path(__file__).resolve().parent.parent / "samples"
TENSOR_SAMPLES = ["xor_mlp_tensor", "spiral_mlp"]


def all_questions(graph: Graph) -> list[tuple[Question, Quiz]]:
    """Every question of a quiz on ``graph``, each checked while it is open (right and
    wrong answers tried without moving on), then answered right."""
    quiz = Quiz(stepper=Stepper(graph))
    seen: list[tuple[Question, Quiz]] = []
    while quiz.current is not None:
        q = quiz.current
        check_one_right_answer(graph, quiz, q)
        seen.append((q, quiz))
        verdict = quiz.answer(right_answer(q))
        assert verdict.correct, (q.prompt, verdict.message)
    assert quiz.fault is None
    assert quiz.score.correct == quiz.score.asked == len(seen)
    return seen


def right_answer(q: Question) -> str:
    if q.kind is K.VJP:
        return str(q.choices.index(str(q.expected)) + 1)
    if isinstance(q.expected, float):
        return repr(q.expected)
    return str(q.expected)


def wrong_answers(q: Question) -> list[str]:
    if q.kind is K.VJP:
        return [str(k + 1) for k, c in enumerate(q.choices) if c != q.expected]
    if q.kind in (K.SHAPE, K.PARTIAL_SHAPE):
        shape = arrays_of(str(q.expected))
        return ["(7, 7)" if shape != (7, 7) else "(1,)", arrays.shape_text((*shape, 5))]
    if q.kind is K.BROADCAST_AXES:
        axes = tuple(int(k) for k in str(q.expected).split(","))
        return ["none", ", ".join(str(k + 1) for k in axes), "5"]
    if q.kind is K.LEAF_KIND:
        return [next(w for w in ("input", "label", "param") if w != q.expected and w not in q.accepted)]
    assert isinstance(q.expected, float | int)
    return [repr(float(q.expected) * 1.5 + 1.0), repr(-float(q.expected) - 0.5)]


def arrays_of(text: str) -> tuple[int, ...]:
    return tuple(int(k) for k in text.strip("()").split(",") if k.strip())


def check_one_right_answer(graph: Graph, quiz: Quiz, q: Question) -> None:
    assert quiz.check(right_answer(q))[0], q.prompt
    for wrong in wrong_answers(q):
        correct, note = quiz.check(wrong)
        assert not correct, (q.prompt, wrong)
        assert expected_text(q) in note
    if q.kind is K.VJP:  # exactly one of the options is right; each option is different
        assert len(q.choices) == len(set(q.choices)) >= 2
        assert sum(quiz.check(str(k + 1))[0] for k in range(len(q.choices))) == 1
        assert quiz.check(str(q.expected))[0]  # the formula typed out is accepted too
    assert quiz.current is q  # checking never moves on


Walked = tuple[Graph, list[tuple[Question, Quiz]]]


@functools.cache
def walk_sample(name: str) -> Walked:
    graph = yamlio.load(SAMPLES / f"{name}.yaml")
    return graph, all_questions(graph)


@pytest.fixture(params=TENSOR_SAMPLES)
def walked(request: pytest.FixtureRequest) -> Walked:
    return walk_sample(request.param)


def test_every_answer_is_what_the_engine_computes(walked: Walked) -> None:
    """Values and shapes from a fresh forward pass, partials from the engine's gradients,
    the VJP from the op table's entry for the edge, the axes from the two shapes."""
    graph, seen = walked
    values = forward(graph, leaf_values(graph))  # the quiz's stepper never changes the leaves
    grads = gradients(graph).partials
    kinds: set[QuestionKind] = set()
    for q, _ in seen:
        kinds.add(q.kind)
        node = graph.nodes[q.node]
        if q.kind is K.SHAPE:
            assert q.expected == arrays.shape_text(np.shape(values[q.node]))
        elif q.kind is K.PARTIAL_SHAPE:
            assert q.expected == arrays.shape_text(np.shape(values[q.node]))  # the node's own shape
            assert np.asarray(grads[q.node]).shape == np.shape(values[q.node])
        elif q.kind is K.FORWARD_VALUE:
            want = np.asarray(values[q.node])[q.entry or ()]
            assert float(q.expected) == pytest.approx(float(want), rel=1e-12)
        elif q.kind is K.BACKWARD_PARTIAL:
            want = np.asarray(grads[q.node])[q.entry or ()]
            assert float(q.expected) == pytest.approx(float(want), rel=1e-9, abs=1e-12)
        elif q.kind is K.VJP:
            assert node.op is not None and q.slot is not None
            formula = edge_formula(graph, q.node, q.slot)
            if OPS[node.op].partials[q.slot].vjp:
                assert q.expected == formula  # the op table's VJP for this edge
            else:
                assert formula in str(q.expected) and str(q.expected).startswith("G * ")
        elif q.kind is K.BROADCAST_AXES:
            assert q.operand is not None
            big, small = np.shape(values[q.node]), np.shape(values[q.operand])
            axes = tuple(int(k) for k in str(q.expected).split(","))
            summed = np.ones(big).sum(axis=axes)  # summing those axes leaves the operand's entries
            assert summed.size == max(int(np.prod(small)), 1) and axes == summed_axes(big, small)
        elif q.kind is K.LOCAL_DERIVATIVE and q.entry:
            assert node.op is not None and q.slot is not None
            assert float(q.expected) == pytest.approx(local_entry(graph, values, q), rel=1e-5, abs=1e-8)
    assert {K.SHAPE, K.PARTIAL_SHAPE, K.VJP, K.BROADCAST_AXES} <= kinds


def local_entry(graph: Graph, values: list[Any], q: Question) -> float:
    """One entry of an elementwise local derivative by central differences."""
    node = graph.nodes[q.node]
    assert node.op is not None and q.slot is not None and q.entry is not None
    op = OPS[node.op]
    shape = np.shape(values[q.node])
    args = [np.broadcast_to(np.asarray(values[p], dtype=float), shape)[q.entry] for p in node.operands]
    h = 1e-6 * max(1.0, abs(float(args[q.slot])))
    hi, lo = [float(a) for a in args], [float(a) for a in args]
    hi[q.slot] += h
    lo[q.slot] -= h
    return float(op.forward(*hi) - op.forward(*lo)) / (2 * h)


def test_the_xor_twin_asks_what_the_step_to_layers_needs() -> None:
    """On the small network every array is up to 4x2: entries of values, local derivatives
    and partials are asked; the matmul's VJP options include the other operand's VJP."""
    graph, seen = walk_sample("xor_mlp_tensor")
    by_node = {(q.kind, graph.nodes[q.node].name, q.entry is not None) for q, _ in seen}
    assert (K.FORWARD_VALUE, "v1", True) in by_node  # an entry of X @ W1
    assert (K.BACKWARD_PARTIAL, "W1", True) in by_node  # an entry of dL/dW1
    assert (K.PARTIAL_SHAPE, "W1", False) in by_node  # the shape of dL/dW1
    assert (K.LOCAL_DERIVATIVE, "H", True) in by_node  # an entry of ∂H/∂v2 = 1 - H^2
    vjp_w1 = next(q for q, _ in seen if q.kind is K.VJP and graph.nodes[q.operand or 0].name == "W1")
    assert vjp_w1.expected == "transpose(X) @ G" and "G @ transpose(W1)" in vjp_w1.choices
    axes_b1 = next(
        q for q, _ in seen if q.kind is K.BROADCAST_AXES and graph.nodes[q.operand or 0].name == "b1"
    )
    assert expected_text(axes_b1) == "axis 0"
    axes_c = next(
        q for q, _ in seen if q.kind is K.BROADCAST_AXES and graph.nodes[q.operand or 0].name == "c"
    )
    assert expected_text(axes_c) == "axes 0, 1" and "all" in axes_c.accepted


def test_a_big_layer_is_asked_by_shape_and_vjp_not_by_entry() -> None:
    """On the spiral MLP (300 x 100 layers) no entry of an array is asked; every array
    node's partial is asked by shape, every matmul edge by its VJP."""
    graph, seen = walk_sample("spiral_mlp")
    assert not any(q.entry for q, _ in seen)
    shapes = {graph.nodes[q.node].name for q, _ in seen if q.kind is K.PARTIAL_SHAPE}
    assert {"W1", "b1", "W2", "b2", "H", "S"} <= shapes
    vjps = {(graph.nodes[q.node].name, graph.nodes[q.operand or 0].name) for q, _ in seen if q.kind is K.VJP}
    assert {("v1", "W1"), ("v3", "H"), ("v3", "W2"), ("data_loss", "S"), ("H", "v2")} <= vjps
    assert ("data_loss", "y") not in vjps  # class indices: not differentiated, never asked


def test_answers_are_read_as_a_learner_types_them() -> None:
    graph = yamlio.load(SAMPLES / "xor_mlp_tensor.yaml")
    quiz = Quiz(stepper=Stepper(graph), kinds={K.SHAPE, K.VJP, K.BROADCAST_AXES})
    q = quiz.current
    assert q is not None and q.kind is K.SHAPE and q.expected == "(4, 2)"
    for typed in ("(4, 2)", "4,2", "4x2", "[4, 2]", " 4 2 "):
        assert quiz.check(typed)[0], typed
    assert not quiz.check("(2, 4)")[0]
    with pytest.raises(InvalidAnswer, match="not a shape"):
        quiz.check("rows")
    while quiz.current is not None and quiz.current.kind is not K.VJP:
        quiz.reveal()
    q = quiz.current
    assert q is not None
    with pytest.raises(InvalidAnswer, match="from 1 to"):
        quiz.check("9")
    with pytest.raises(InvalidAnswer, match="number of an option"):
        quiz.check("G times something")
    assert quiz.check(str(q.expected).replace(" ", ""))[0]  # spacing does not matter
    quiz = Quiz(stepper=Stepper(graph), kinds={K.BROADCAST_AXES})
    q = quiz.current
    assert q is not None and graph.nodes[q.operand or 0].name == "c"
    assert quiz.check("0, 1")[0] and quiz.check("axes 0 and 1")[0] and quiz.check("all")[0]
    assert not quiz.check("0")[0]
    with pytest.raises(InvalidAnswer, match="count the axes from 0"):
        quiz.check("-1")
    with pytest.raises(InvalidAnswer, match="not a list of axes"):
        quiz.check("rows")
    quiz.reveal()
    q = quiz.current
    assert q is not None and graph.nodes[q.operand or 0].name == "b1" and "all" not in q.accepted
    assert quiz.check("axis 0")[0] and not quiz.check("all")[0]


@pytest.mark.parametrize(
    "expression",
    [
        "L = sum(softmax(X @ W) * T)",
        "L = mean(log_softmax(transpose(X) @ W2))",
        "L = sum(sum(X * W2, axis=0) + mean(X, axis=1) * W2)",
        "L = cross_entropy(X @ W, T)",
        "L = sum(reshape(X, 2, 3) * 3) + sum(exp(W) / 2)",
    ],
)
def test_every_tensor_op_gets_questions_with_one_right_answer(expression: str) -> None:
    """Small graphs through the other tensor ops: the quiz runs to the end, every question
    answerable, VJP options unique."""
    rng = np.random.default_rng(0)
    params = {"W": rng.normal(size=(2, 3)).round(2), "W2": rng.normal(size=(3, 2)).round(2)}
    used = {k: v for k, v in params.items() if k in expression}
    labels = {"T": np.eye(3)[[0, 2, 1]]} if "T" in expression else None
    graph = load(expression, used, inputs={"X": rng.normal(size=(3, 2)).round(2)}, labels=labels)
    seen = all_questions(graph)
    assert any(q.kind is K.VJP for q, _ in seen)
    assert any(q.kind is K.SHAPE for q, _ in seen)
