"""The whole Jacobian, by either direction, with the passes counted.

For a graph with ``n`` leaves (that are not constants) and ``m`` outputs, the Jacobian
``J[k][j] = d output_k / d leaf_j`` is ``m × n``. Forward mode fills one *column* per pass
(seed leaf ``j`` with tangent 1, every output's tangent is ``J[·][j]``): ``n`` passes.
Reverse mode fills one *row* per pass (seed output ``k`` with 1, every leaf's partial is
``J[k][·]``): ``m`` passes. Each pass costs about one multiplication per edge, so the
cheaper direction is the one with fewer passes: reverse for a loss (``m = 1``), forward
for few inputs and many outputs. :func:`pass_counts` gives the counts without computing.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from cgtui.core.errors import CgtuiError
from cgtui.core.graph import Graph, Kind
from cgtui.engine.engine import backward, differentiable, forward, leaf_values
from cgtui.engine.forward import tangents, wanted_for

Value = Any

MODES = ("forward", "reverse")


@dataclass
class Jacobian:
    outputs: list[int]
    leaves: list[int]
    values: list[Value]
    matrix: list[list[float]]  # one row per output, one column per leaf
    mode: str
    passes: int
    multiplications: int  # local derivative × partial/tangent products made


@dataclass(frozen=True)
class PassCounts:
    """What the whole Jacobian costs in each direction."""

    leaves: int  # n
    outputs: int  # m
    forward_passes: int  # n
    reverse_passes: int  # m
    forward_multiplications: int  # per pass: one per edge that carries a tangent
    reverse_multiplications: int  # per pass: one per edge on a path to that output

    @property
    def cheaper(self) -> str:
        """``forward``, ``reverse`` or ``either`` (same number of multiplications)."""
        if self.forward_multiplications < self.reverse_multiplications:
            return "forward"
        if self.reverse_multiplications < self.forward_multiplications:
            return "reverse"
        return "either"


def differentiable_leaves(graph: Graph) -> list[int]:
    return [i for i, n in enumerate(graph.nodes) if n.op is None and n.kind is not Kind.CONST]


def pass_counts(graph: Graph, outputs: Sequence[int] | None = None) -> PassCounts:
    """The passes and multiplications of the whole Jacobian by forward and by reverse mode."""
    outs = list(graph.outputs if outputs is None else outputs)
    leaves = differentiable_leaves(graph)
    needs = differentiable(graph)
    nodes = graph.nodes
    # which outputs each node reaches, as a bit set: one sweep up the graph
    reach = [0] * len(nodes)
    for k, out in enumerate(outs):
        reach[out] |= 1 << k
    for i in range(len(nodes) - 1, -1, -1):
        r = reach[i]
        if r:
            for p in nodes[i].operands:
                reach[p] |= r
    # every forward pass makes a tangent term for each edge a -> z with both ends
    # depending on a non-constant leaf, among the nodes the outputs need; the reverse
    # pass of output k one for each such edge on a path to k
    fwd = rev = 0
    for i, node in enumerate(nodes):
        if not (reach[i] and needs[i]):
            continue
        for p in node.operands:
            if needs[p]:
                fwd += 1
                rev += reach[i].bit_count()
    return PassCounts(len(leaves), len(outs), len(leaves), len(outs), fwd * len(leaves), rev)


def jacobian(
    graph: Graph,
    overrides: Mapping[str, float] | None = None,
    outputs: Sequence[int] | None = None,
    mode: str = "reverse",
) -> Jacobian:
    """The Jacobian of ``outputs`` (default: the graph's) with respect to every leaf that
    is not a constant, by ``mode`` (``forward``: one pass per leaf; ``reverse``: one per
    output)."""
    if mode not in MODES:
        raise CgtuiError(f"unknown mode '{mode}' (choose forward or reverse)")
    outs = list(graph.outputs if outputs is None else outputs)
    leaves = differentiable_leaves(graph)
    values = forward(graph, leaf_values(graph, overrides))
    matrix = [[0.0] * len(leaves) for _ in outs]
    counts = pass_counts(graph, outs)
    if mode == "forward":
        wanted = wanted_for(graph, outs)
        for col, leaf in enumerate(leaves):
            seeds: list[float | None] = [None] * len(graph.nodes)
            for j in leaves:
                seeds[j] = 0.0
            seeds[leaf] = 1.0
            tans = tangents(graph, values, seeds, wanted)
            for row, out in enumerate(outs):
                t = tans[out]
                matrix[row][col] = 0.0 if t is None else float(t)
        passes, mults = len(leaves), counts.forward_multiplications
    else:
        for row, out in enumerate(outs):
            partials = backward(graph, values, out)
            for col, leaf in enumerate(leaves):
                p = partials[leaf]
                matrix[row][col] = 0.0 if p is None else float(p)
        passes, mults = len(outs), counts.reverse_multiplications
    return Jacobian(outs, leaves, values, matrix, mode, passes, mults)
