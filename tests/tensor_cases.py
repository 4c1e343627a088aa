"""Helpers for the tensor tests: graphs written as YAML with array leaves."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np

from cgtui.core.graph import Graph
from cgtui.engine.engine import gradients
from cgtui.lang import yamlio
from cgtui.lang.tensor_leaves import flow_text


def graph_text(
    expression: str, params: Mapping[str, object], inputs: Mapping[str, object] | None = None,
    labels: Mapping[str, object] | None = None,
) -> str:
    """A YAML graph: each leaf an array (or a float), the expression as statements."""
    lines = []
    for section, leaves in (("inputs", inputs), ("labels", labels), ("params", params)):
        if leaves:
            lines.append(f"{section}:")
            for name, value in leaves.items():
                array = np.asarray(value, dtype=float)
                text = repr(float(value)) if isinstance(value, float) else flow_text(array)
                lines.append(f"  {name}: {text}")
    lines.append("expression: |")
    lines.extend(f"  {line}" for line in expression.strip().split("\n"))
    return "\n".join(lines) + "\n"


def load(
    expression: str, params: Mapping[str, object], inputs: Mapping[str, object] | None = None,
    labels: Mapping[str, object] | None = None,
) -> Graph:
    return yamlio.loads(graph_text(expression, params, inputs, labels))


def leaf_grads(graph: Graph) -> tuple[float, dict[str, Any]]:
    r = gradients(graph)
    return float(r.value), {n.name: r.partials[i] for i, n in enumerate(graph.nodes) if n.op is None}


def central_difference(graph: Graph, name: str, h: float = 1e-6) -> np.ndarray:
    """dL/dname by central differences, one entry at a time."""
    node = graph.node(name)
    base = np.array(node.value, dtype=float)
    grad = np.zeros_like(base)
    for k in np.ndindex(base.shape):
        vals = []
        for step in (h, -h):
            trial = base.copy()
            trial[k] += step
            node.value = trial if trial.ndim else float(trial)
            vals.append(float(gradients(graph).value))
        grad[k] = (vals[0] - vals[1]) / (2 * h)
    node.value = base if base.ndim else float(base)
    return grad
