"""What the bridge tests share: the worked examples with twins in other frameworks
(``tests/twins``), and a graph's value and leaf gradients to compare."""

from __future__ import annotations

from cgtui.core.graph import Graph, Kind
from cgtui.engine.engine import gradients

#: twin function -> (sample, example values)
TWIN_CASES = {
    "squared_error": ("squared_error.yaml", {"w": 0.5, "x": 2.0, "b": 0.1, "y": 1.0}),
    "branching": ("branching.yaml", {"x": 3.0, "y": 2.0}),
    "micrograd_sanity": ("micrograd_sanity.yaml", {"x": -4.0}),
    "micrograd_more_ops": ("micrograd_more_ops.yaml", {"a": -4.0, "b": 2.0}),
}


def leaf_grads(graph: Graph) -> tuple[float, dict[str, float]]:
    """The output's value and dL/dleaf for every leaf that is not a constant."""
    r = gradients(graph)
    leaves = [i for i, n in enumerate(graph.nodes) if n.op is None and n.kind is not Kind.CONST]
    return float(r.value), {graph.nodes[i].name: float(r.partials[i] or 0.0) for i in leaves}
