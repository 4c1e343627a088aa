"""PyTorch float64 autograd as the oracle for tensor graphs.

Hypothesis writes random programs over array leaves of random shapes that broadcast
(elementwise ops, matmul, transpose, reshape, sums and means over all or one axis,
softmax, log_softmax, cross-entropy), cgtui builds the graph from the text and runs its
passes, and PyTorch computes the same program: the loss and every leaf's gradient agree
to 1e-10 relative. The tensor samples are checked the same way.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pytest
import torch
from conftest import SAMPLES, examples
from hypothesis import given, settings
from hypothesis import strategies as st
from tensor_cases import leaf_grads, load

from cgtui.core.graph import Kind
from cgtui.engine.engine import gradients
from cgtui.lang import yamlio

Shape = tuple[int, ...]
Torch = Callable[..., torch.Tensor]

UNARY: dict[str, Torch] = {
    "tanh": torch.tanh, "sigmoid": torch.sigmoid, "sin": torch.sin, "cos": torch.cos, "exp": torch.exp,
    "relu": torch.relu, "abs": torch.abs,
}
BINARY: dict[str, tuple[str, Torch]] = {
    "+": ("{} + {}", torch.add), "-": ("{} - {}", torch.sub), "*": ("{} * {}", torch.mul),
    "/": ("{} / (1 + {} ^ 2)", lambda a, b: a / (1 + b**2)),
}


@dataclass
class Program:
    """Statements for cgtui, the same steps for PyTorch, and the leaves' values."""

    leaves: dict[str, np.ndarray] = field(default_factory=dict)
    labels: dict[str, np.ndarray] = field(default_factory=dict)
    shapes: dict[str, Shape] = field(default_factory=dict)
    lines: list[str] = field(default_factory=list)
    steps: list[tuple[str, Torch, tuple[str, ...]]] = field(default_factory=list)

    def add(self, text: str, shape: Shape, fn: Torch, *args: str) -> str:
        name = f"t{len(self.lines) + 1}"
        self.lines.append(f"{name} = {text}")
        self.steps.append((name, fn, args))
        self.shapes[name] = shape
        return name


def _reduce_shape(shape: Shape, axis: int) -> Shape:
    return tuple(1 if k == axis else n for k, n in enumerate(shape))


@st.composite
def programs(draw: st.DrawFn) -> Program:
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    n, m, k = (draw(st.integers(1, 4)) for _ in range(3))
    leaf_shapes: dict[str, Shape] = {"A": (n, m), "B": (m, k), "v": (m,), "r": (1, m), "C": (n, k), "s": ()}
    p = Program()
    for name, shape in leaf_shapes.items():
        p.leaves[name] = rng.uniform(-1.5, 1.5, shape) if shape else np.array(rng.uniform(-1.5, 1.5))
        p.shapes[name] = shape
    pool = list(leaf_shapes)
    for _ in range(draw(st.integers(1, 7))):
        kinds = ["unary", "binary", "matmul", "transpose", "reduce", "softmax", "reshape"]
        kind = draw(st.sampled_from(kinds))
        x = draw(st.sampled_from(pool[-2:] if draw(st.booleans()) else pool))  # mostly a chain
        sx = p.shapes[x]
        if kind == "binary":
            partners = [y for y in pool if _broadcasts(sx, p.shapes[y])]
            y = draw(st.sampled_from(partners))
            symbol = draw(st.sampled_from(sorted(BINARY)))
            text, fn = BINARY[symbol]
            shape = tuple(np.broadcast_shapes(sx, p.shapes[y]))
            pool.append(p.add(text.format(x, y), shape, fn, x, y))
        elif kind == "matmul" and len(sx) == 2 and _right_factors(p, pool, sx):
            y = draw(st.sampled_from(_right_factors(p, pool, sx)))
            pool.append(p.add(f"{x} @ {y}", (sx[0], p.shapes[y][1]), torch.matmul, x, y))
        elif kind == "transpose" and len(sx) == 2:
            pool.append(p.add(f"transpose({x})", sx[::-1], lambda a: a.T, x))
        elif kind == "reduce" and sx:
            mean = draw(st.booleans())
            word, fn = ("mean", torch.mean) if mean else ("sum", torch.sum)
            axis = draw(st.sampled_from([None, *range(-len(sx), len(sx))]))
            if axis is None:
                pool.append(p.add(f"{word}({x})", (), fn, x))
            else:
                pool.append(p.add(
                    f"{word}({x}, axis={axis})", _reduce_shape(sx, axis % len(sx)),
                    lambda a, f=fn, d=axis: f(a, dim=d, keepdim=True), x,
                ))
        elif kind == "softmax" and sx:
            if draw(st.booleans()):
                pool.append(p.add(f"softmax({x})", sx, lambda a: torch.softmax(a, dim=-1), x))
            else:
                pool.append(p.add(f"log_softmax({x})", sx, lambda a: torch.log_softmax(a, dim=-1), x))
        elif kind == "reshape" and len(sx) == 2:
            rows, cols = (sx[1], sx[0]) if draw(st.booleans()) else (1, sx[0] * sx[1])
            text = f"reshape({x}, {rows}, {cols})"
            pool.append(p.add(text, (rows, cols), lambda a, s=(rows, cols): a.reshape(s), x))
        else:
            name = draw(st.sampled_from(sorted(UNARY)))
            if name == "exp":  # of a tanh: no overflow
                pool.append(p.add(f"exp(tanh({x}))", sx, lambda a: torch.exp(torch.tanh(a)), x))
            else:
                pool.append(p.add(f"{name}({x})", sx, UNARY[name], x))
    last = pool[-1]
    shape = p.shapes[last]
    if len(shape) == 2 and draw(st.booleans()):
        p.labels["y"] = rng.integers(0, shape[1], shape[0]).astype(float)
        p.add(f"cross_entropy({last}, y)", (), _cross_entropy, last, "y")
    else:
        p.leaves["R"] = rng.uniform(-1.0, 1.0, shape) if shape else np.array(rng.uniform(-1.0, 1.0))
        p.shapes["R"] = shape
        p.add(f"sum({last} * R)", (), lambda a, w: torch.sum(a * w), last, "R")
    return p


def _cross_entropy(logits: torch.Tensor, labels: torch.Tensor) -> torch.Tensor:
    return torch.nn.functional.cross_entropy(logits, labels.long())


def _right_factors(p: Program, pool: list[str], left: Shape) -> list[str]:
    """The names that can stand right of ``left @``."""
    return [y for y in pool if len(p.shapes[y]) == 2 and p.shapes[y][0] == left[1]]


def _broadcasts(a: Shape, b: Shape) -> bool:
    try:
        np.broadcast_shapes(a, b)
    except ValueError:
        return False
    return True


def torch_run(p: Program) -> tuple[float, dict[str, np.ndarray]]:
    env: dict[str, torch.Tensor] = {
        name: torch.tensor(value, dtype=torch.float64, requires_grad=True) for name, value in p.leaves.items()
    }
    env.update({name: torch.tensor(value, dtype=torch.float64) for name, value in p.labels.items()})
    for name, fn, args in p.steps:
        env[name] = fn(*(env[a] for a in args))
    loss = env[p.steps[-1][0]]
    loss.backward()  # type: ignore[no-untyped-call]
    grads = {}
    for name in p.leaves:
        g = env[name].grad
        grads[name] = np.zeros(np.shape(p.leaves[name])) if g is None else g.numpy()
    return float(loss.detach()), grads


def assert_close(ours: Any, theirs: Any, what: str) -> None:
    """Equal to 1e-10 relative to the largest entry; a gradient that is 0 in exact
    arithmetic (cross-entropy's summed over the classes) may be rounding noise, 1e-15."""
    theirs = np.asarray(theirs, dtype=float)
    ours = np.broadcast_to(np.asarray(0.0 if ours is None else ours, dtype=float), theirs.shape)
    scale = float(np.max(np.abs(theirs))) if theirs.size else 0.0
    np.testing.assert_allclose(ours, theirs, rtol=1e-10, atol=1e-10 * scale + 1e-15, err_msg=what)


@settings(max_examples=examples(120), deadline=None)
@given(programs())
def test_random_tensor_programs_agree_with_pytorch(p: Program) -> None:
    params = {name: float(v) if v.ndim == 0 else v for name, v in p.leaves.items()}
    g = load("\n".join(p.lines), params, labels=p.labels or None)
    value, grads = leaf_grads(g)
    expected_value, expected = torch_run(p)
    program = "\n".join(p.lines)
    assert_close(value, expected_value, f"L of\n{program}")
    for name, grad in expected.items():
        assert_close(grads[name], grad, f"dL/d{name} of\n{program}")


@pytest.mark.parametrize("sample", ["spiral_mlp.yaml", "xor_mlp_tensor.yaml"])
def test_tensor_samples_agree_with_pytorch(sample: str) -> None:
    graph = yamlio.load(SAMPLES / sample)
    result = gradients(graph)
    env: dict[str, torch.Tensor] = {}
    for node in graph.nodes:
        if node.op is None:
            learned = node.kind is Kind.PARAM
            env[node.name] = torch.tensor(node.value, dtype=torch.float64, requires_grad=learned)
    ops: dict[str, Torch] = {
        "matmul": torch.matmul, "add": torch.add, "sub": torch.sub, "mul": torch.mul, "pow": torch.pow,
        "tanh": torch.tanh, "relu": torch.relu, "sum": torch.sum, "mean": torch.mean,
        "cross_entropy": _cross_entropy,
    }
    for node in graph.nodes:
        if node.op is not None:
            env[node.name] = ops[node.op](*(env[graph.nodes[q].name] for q in node.operands))
    out = graph.nodes[graph.outputs[0]].name
    env[out].backward()  # type: ignore[no-untyped-call]
    assert_close(result.value, float(env[out].detach()), "L")
    for name, i in graph.index.items():
        if graph.nodes[i].kind is Kind.PARAM:
            grad = env[name].grad
            assert grad is not None
            assert_close(result.partials[i], grad.numpy(), f"dL/d{name}")
