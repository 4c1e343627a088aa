"""The whole Jacobian, by either direction, with the passes counted.

For a graph with ``n`` leaves (that are not constants) and ``m`` outputs, the Jacobian
``J[k][j] = d output_k / d leaf_j`` is ``m × n``. Forward mode fills one *column* per pass
(seed leaf ``j`` with tangent 1, every output's tangent is ``J[·][j]``): ``n`` passes.
Reverse mode fills one *row* per pass (seed output ``k`` with 1, every leaf's partial is
``J[k][·]``): ``m`` passes. Each pass costs about one multiplication per edge, so the
cheaper direction is the one with fewer passes: reverse for a loss (``m = 1``), forward
for few inputs and many outputs. :func:`pass_counts` gives the counts without computing.

On a tensor graph ``n`` and ``m`` count entries: every entry of an array leaf is a column
(``W1[0,1]``) and every entry of an array output a row, and a pass's multiplications count
the scalar products each array edge stands for (:func:`edge_products`).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from cgtui.core import arrays
from cgtui.core.arrays import Shape
from cgtui.core.errors import CgtuiError, NumericalFault
from cgtui.core.graph import Graph
from cgtui.core.lazy import np
from cgtui.core.ops import OPS
from cgtui.engine.engine import (
    backward,
    differentiable,
    differentiable_leaves,
    edge_contribution,
    forward,
    leaf_values,
)
from cgtui.engine.forward import direction_vector, entry_name, tangents, wanted_for

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
    #: the rows' and columns' names: a node's name, or ``W1[0,1]`` for an array's entry
    output_names: list[str] = field(default_factory=list)
    leaf_names: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class PassCounts:
    """What the whole Jacobian costs in each direction."""

    leaves: int  # n
    outputs: int  # m
    forward_passes: int  # n
    reverse_passes: int  # m
    forward_multiplications: int  # per pass: one per edge that carries a tangent
    reverse_multiplications: int  # per pass: one per edge on a path to that output
    entries: bool = False  # a tensor graph: n and m count entries of arrays

    @property
    def cheaper(self) -> str:
        """``forward``, ``reverse`` or ``either`` (same number of multiplications)."""
        if self.forward_multiplications < self.reverse_multiplications:
            return "forward"
        if self.reverse_multiplications < self.forward_multiplications:
            return "reverse"
        return "either"


def node_shapes(graph: Graph) -> list[Shape]:
    """Every node's shape by the op table's shape rules, without computing a value (a leaf
    without a value, or a node whose rule fails, counts as one number)."""
    nodes = graph.nodes
    shapes: list[Shape] = []
    for node in nodes:
        if node.op is None:
            shapes.append(() if node.value is None else arrays.shape_of(node.value))
            continue
        consts: list[float | None] = [
            v if type(v) is float else None for v in (nodes[p].value for p in node.operands)
        ]
        try:
            shapes.append(OPS[node.op].result_shape([shapes[p] for p in node.operands], consts))
        except ValueError:
            shapes.append(())
    return shapes


def _size(shape: Shape) -> int:
    return int(np.prod(shape)) if shape else 1


def edge_products(op: str, slot: int, operands: Sequence[Shape], result: Shape) -> int:
    """The scalar products ``∂z/∂a · ȧ`` one pass makes along an edge: 1 for scalars; an
    array edge counts the scalar edges it stands for (its zoom): one per entry of the
    result for an elementwise op, ``N·K·M`` for a ``(N, K) @ (K, M)`` matmul, ``rows·C²``
    for a softmax over ``C`` classes, one per entry of the operand for the rest."""
    entry = OPS[op]
    if not entry.jvps:
        return _size(result)
    if op == "matmul" and len(operands[0]) == 2 and len(operands[1]) == 2:
        return operands[0][0] * operands[0][1] * operands[1][1]
    if op in ("softmax", "log_softmax") and operands[0]:
        return _size(operands[0]) * operands[0][-1]
    return _size(operands[slot])


def pass_counts(graph: Graph, outputs: Sequence[int] | None = None) -> PassCounts:
    """The passes and multiplications of the whole Jacobian by forward and by reverse mode.

    On a tensor graph the Jacobian has one column per *entry* of the leaves and one row per
    entry of the outputs: ``n`` is the number of input entries and ``m`` the number of
    output entries, so a loss over a layer's weights W1 (2, 3) has n = 6 from W1 alone."""
    outs = list(graph.outputs if outputs is None else outputs)
    leaves = differentiable_leaves(graph)
    needs = differentiable(graph)
    operands, ops = graph.operand_list(), graph.op_list()
    tensor = graph.has_arrays
    shapes = node_shapes(graph) if tensor else []
    # which outputs each node reaches, as a bit set: one sweep up the graph
    reach = [0] * len(operands)
    for k, out in enumerate(outs):
        reach[out] |= 1 << k
    for i in range(len(operands) - 1, -1, -1):
        r = reach[i]
        if r:
            for p in operands[i]:
                reach[p] |= r
    out_sizes = [_size(shapes[out]) for out in outs] if tensor else [1] * len(outs)
    n = sum(_size(shapes[i]) for i in leaves) if tensor else len(leaves)
    m = sum(out_sizes)
    # every forward pass makes a tangent term for each edge a -> z with both ends
    # depending on a non-constant leaf, among the nodes the outputs need; the reverse
    # pass of output k one for each such edge on a path to k
    fwd = rev = 0
    for i, ps in enumerate(operands):
        if not (reach[i] and needs[i]):
            continue
        for slot, p in enumerate(ps):
            if not needs[p]:
                continue
            if not tensor:
                fwd += 1
                rev += reach[i].bit_count()
                continue
            cost = edge_products(ops[i], slot, [shapes[q] for q in ps], shapes[i])  # type: ignore[arg-type]
            fwd += cost
            rev += cost * sum(size for k, size in enumerate(out_sizes) if reach[i] >> k & 1)
    return PassCounts(n, m, n, m, fwd * n, rev, entries=tensor)


#: The most entries ``jacobian`` fills (rows × columns): past it, fewer outputs or grad/jvp.
MAX_ENTRIES = 1_000_000


def _entries(graph: Graph, i: int, value: Value) -> list[tuple[str, tuple[int, ...] | None]]:
    """Node ``i``'s rows or columns: its name for a number, ``W1[0,1]`` for each entry."""
    name = graph.nodes[i].name
    if value is None or np.ndim(value) == 0:
        return [(name, None)]
    return [(entry_name(name, k), k) for k in np.ndindex(np.shape(value))]


def jacobian(
    graph: Graph,
    overrides: Mapping[str, float] | None = None,
    outputs: Sequence[int] | None = None,
    mode: str = "reverse",
) -> Jacobian:
    """The Jacobian of ``outputs`` (default: the graph's) with respect to every leaf that
    is not a constant, by ``mode`` (``forward``: one pass per leaf; ``reverse``: one per
    output). On a tensor graph each entry of an array leaf is a column and each entry of
    an array output a row (``Jacobian.leaf_names``, ``Jacobian.output_names``)."""
    if mode not in MODES:
        raise CgtuiError(f"unknown mode '{mode}' (choose forward or reverse)")
    outs = list(graph.outputs if outputs is None else outputs)
    leaves = differentiable_leaves(graph)
    base = leaf_values(graph, overrides)
    values = forward(graph, base)
    columns = [(leaf, k, name) for leaf in leaves for name, k in _entries(graph, leaf, values[leaf])]
    rows = [(out, k, name) for out in outs for name, k in _entries(graph, out, values[out])]
    if len(rows) * len(columns) > MAX_ENTRIES:
        raise CgtuiError(
            f"the whole Jacobian has {len(rows):,} × {len(columns):,} entries (output entries × leaf "
            f"entries); cgtui jacobian fills at most {MAX_ENTRIES:,}: choose outputs with --output, "
            "or use cgtui grad (one row) or cgtui jvp (one column)"
        )
    matrix = [[0.0] * len(columns) for _ in rows]
    counts = pass_counts(graph, outs)
    if mode == "forward":
        wanted = wanted_for(graph, outs)
        zero = direction_vector(graph, {}, base)
        for col, (leaf, k, _) in enumerate(columns):
            seeds = list(zero)
            if k is None:
                seeds[leaf] = 1.0
            else:
                seed = np.zeros(np.shape(values[leaf]))
                seed[k] = 1.0
                seeds[leaf] = seed
            tans = tangents(graph, values, seeds, wanted)
            for row, (out, j, _) in enumerate(rows):
                t = tans[out]
                matrix[row][col] = 0.0 if t is None else float(t if j is None else np.asarray(t)[j])
        passes, mults = len(columns), counts.forward_multiplications
    else:
        for row, (out, j, _) in enumerate(rows):
            partials = backward(graph, values, out) if j is None else _backward_entry(graph, values, out, j)
            for col, (leaf, k, _) in enumerate(columns):
                p = partials[leaf]
                matrix[row][col] = 0.0 if p is None else float(p if k is None else np.asarray(p)[k])
        passes, mults = len(rows), counts.reverse_multiplications
    return Jacobian(
        outs, leaves, values, matrix, mode, passes, mults,
        output_names=[name for _, _, name in rows], leaf_names=[name for _, _, name in columns],
    )


def _backward_entry(
    graph: Graph, values: Sequence[Value], output: int, entry: tuple[int, ...]
) -> list[Value | None]:
    """Reverse mode seeded at one entry of an array output: the partials of
    ``output[entry]`` (the seed is 1 there and 0 elsewhere), by the engine's pushes."""
    nodes = graph.nodes
    needs = differentiable(graph)
    grads: list[Value | None] = [None] * len(nodes)
    seed = np.zeros(np.shape(values[output]))
    seed[entry] = 1.0
    grads[output] = seed
    with np.errstate(all="ignore"):
        for s in range(output, -1, -1):
            g = grads[s]
            if g is None or nodes[s].op is None or not needs[s]:
                continue
            for slot, p in enumerate(nodes[s].operands):
                if not needs[p]:
                    continue
                _, c, problem = edge_contribution(graph, s, slot, values, g)
                if c is None or problem is not None:
                    why = problem or "a partial is not finite"
                    raise NumericalFault(f"{nodes[s].name}: {why}", node=nodes[s].name)
                old = grads[p]
                grads[p] = c if old is None else old + c
    return grads
