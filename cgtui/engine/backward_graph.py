"""The backward pass as a computation graph of its own.

:func:`backward_graph` writes out, as ordinary cgtui nodes, what :func:`cgtui.engine.engine.backward`
computes: for every edge ``w -> z`` on a path to the output ``L``,

* a node for the local derivative ``∂z/∂w``, built from the op table's formula text
  (``tanh``: ``1 - out^2``) by cgtui's own parser, so nothing is written twice; it is
  called ``dz_dw_local`` (a formula that is just an operand, ``mul``'s ``b``, is that
  operand's node, and a number such as ``add``'s ``1`` is a constant);
* a node for the product ``dL/dz · ∂z/∂w``, called ``dL_dw_via_z`` (the part of
  ``dL/dw`` that flows through ``z``);
* a node for each sum of such terms, the last called ``dL_dw`` (earlier partial sums
  ``dL_dw_sum1``, ...); a single term is ``dL_dw`` itself.

The seed ``dL/dL = 1`` is the constant ``dL_dL``. Names use ``_`` for ``/`` because node
names are identifiers in the expression language and the YAML format (``dL/dx`` would
read as a division). The outputs are ``dL_dx`` for every leaf that is not a constant, in
the graph's order; a leaf with no path to ``L`` gets the constant ``dL_dx = 0``.

The original values are **recomputed**: the graph's leaves (with their kinds and values)
and the computations ``L`` depends on are the first nodes of the backward graph, under
their own names. So the backward graph is a function of the same leaves as the original,
``--at`` works on it as on the original, and differentiating it again gives second
derivatives (:func:`hessian`) and Hessian-vector products (:func:`hvp`, forward mode over
this graph, without forming the Hessian).

The sums are added in the order reverse mode adds them (successors in reverse
topological order, slot by slot) and each product is ``dL/dz · ∂z/∂w`` as reverse mode
multiplies it, so the outputs equal ``cgtui grad`` to the last digit.

**Tensor graphs** (array leaves, or an array op such as ``sum``): the same walk, with each
edge's term built from the op table's vector-Jacobian product, instantiated from its
formula with ``G`` the upstream partial node (``matmul``: ``G @ transpose(b)`` and
``transpose(a) @ G``; the pieces are named ``dz_dw_vjp_1``, ...); ``n`` (the entries a
mean averages, or cross_entropy's rows) is a literal and ``Y`` (cross_entropy's labels as
rows of probabilities) the labels node, or for class indices a constant ``Y_y`` holding
them as one-hot rows, made when the backward graph is built. ``reshape(G, shape of a)``
is ``reshape(G, rows, cols)`` (a 1-D operand: ``reshape(G, 1, k)``, then fitted); a
reshape of a 3-D array and computed class indices are refused by name. An elementwise
op's term is ``G * local`` as for numbers. Where a term's shape is not its operand's,
the broadcasting rule is a node of its own, ``fit(term, operand)`` (the op table's
``fit``: summed over the axes the operand was broadcast along, spread over the axes a
reduction removed; the term before it is ``..._before_fit``). Second derivatives of a
tensor graph are by reverse mode over its backward graph (:func:`tensor_hvp`): the
backward graph with ``s = Σ sum(dL_dx * v_x)`` on top, whose gradient is ``H v``; the
Hessian is one such pass per entry.

Conventions carried over from the op table: while the formulas are instantiated,
operations on numbers alone are done at once (``2 - 1`` is the constant ``1``), and a
power with the constant exponent 1 or 0 is its base or 1, as the table defines ``a^b``'s
derivative to be exactly 1 for ``b = 1`` and 0 for ``b = 0``. Kinks stay kinks: the
derivative of ``relu`` is ``step(a)`` and of ``abs`` ``sign(a)``, whose own derivatives
are 0, so second derivatives at (and around) a kink are 0. Where the table's rule takes a
limit that its formula text does not (``a^b`` with a computed exponent at ``a = 0``), the
backward graph reports the domain fault instead.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import cache
from typing import Any

from cgtui.core import arrays
from cgtui.core.arrays import Shape
from cgtui.core.errors import CgtuiError
from cgtui.core.graph import Graph, Kind, Node
from cgtui.core.lazy import np
from cgtui.core.ops import OPS, SLOT_NAMES
from cgtui.engine.engine import backward, differentiable, forward, leaf_values, on_path
from cgtui.engine.forward import direction_vector, tangents
from cgtui.engine.jacobian import Jacobian, jacobian
from cgtui.lang.build import const_name
from cgtui.lang.parser import NAME, NUM, Instr, parse

Value = Any


@cache
def _code(op: str, slot: int) -> tuple[Instr, ...]:
    """The postfix code of an op's local-derivative formula, parsed once."""
    program = parse(OPS[op].partials[slot].formula)
    return tuple(program.statements[0].code)


def partial_name(output: str, node: str) -> str:
    """``dL/dx`` as a node name: ``dL_dx``."""
    return f"d{output}_d{node}"


@dataclass
class BackwardGraph:
    graph: Graph
    output: str  # the original output L
    leaves: list[str]  # the leaves differentiated, in order; outputs[k] is dL/dleaves[k]
    forward_nodes: int  # the first nodes recompute the original values


class _Builder:
    def __init__(self, graph: Graph, keep: Sequence[bool]) -> None:
        self.nodes: list[Node] = []
        self.names: list[str | None] = []
        self.new_index: dict[int, int] = {}
        self.taken: set[str] = set()
        self.literals: dict[float, int] = {}
        for i, node in enumerate(graph.nodes):
            if not keep[i]:
                continue
            self.new_index[i] = len(self.nodes)
            ops = tuple(self.new_index[p] for p in node.operands)
            self.nodes.append(Node(node.name, node.kind, node.op, ops, node.value))
            self.names.append(node.name)
            self.taken.add(node.name)
            if node.kind is Kind.CONST and node.value is not None and not node.name.isidentifier():
                self.literals.setdefault(float(node.value) + 0.0, len(self.nodes) - 1)
        self.taken.update(n.name for n in graph.nodes)

    def unique(self, name: str) -> str:
        candidate, k = name, 1
        while candidate in self.taken:
            k += 1
            candidate = f"{name}{k}" if name[-1:].isalpha() else f"{name}_{k}"
        self.taken.add(candidate)
        return candidate

    def literal(self, value: float) -> int:
        value = float(value) + 0.0
        i = self.literals.get(value)
        if i is None:
            name = const_name(value)
            if name in self.taken:  # pragma: no cover - literal names are never identifiers
                name = self.unique(name)
            self.taken.add(name)
            self.nodes.append(Node(name, Kind.CONST, None, (), value))
            self.names.append(name)
            i = self.literals[value] = len(self.nodes) - 1
        return i

    def named_leaf(self, name: str, value: float) -> int:
        self.nodes.append(Node(self.unique(name), Kind.CONST, None, (), float(value)))
        self.names.append(self.nodes[-1].name)
        return len(self.nodes) - 1

    def apply(self, op: str, operands: tuple[int, ...], name: str | None = None) -> int:
        self.nodes.append(Node("", Kind.COMPUTATION, op, operands, None))
        self.names.append(None if name is None else self.unique(name))
        return len(self.nodes) - 1

    def literal_value(self, i: int) -> float | None:
        """The value of a constant named by its value (folded at build time), else None."""
        node = self.nodes[i]
        literal = node.kind is Kind.CONST and node.value is not None and not node.name.isidentifier()
        return float(node.value) if literal and node.value is not None else None

    def instantiate(
        self, op: str, slot: int, operands: Sequence[int], out: int, name: str,
        extra: Mapping[str, int] | None = None,
    ) -> int:
        """The local derivative ``∂out/∂operand[slot]`` as nodes, from the formula text
        (a tensor op's: its vector-Jacobian product, with ``G`` and the like in ``extra``)."""
        env = {SLOT_NAMES[k]: p for k, p in enumerate(operands)}
        env["out"] = out
        env.update(extra or {})
        exponent = self.literal_value(operands[1]) if op == "pow" else None
        if op == "pow" and slot == 0 and exponent in (0.0, 1.0):
            return self.literal(exponent)  # the table's d/da of a^1 and a^0, also at a = 0
        stack: list[int | float] = []  # a node, or a number not yet a node
        created: list[int] = []
        for ins in _code(op, slot):
            if ins.kind == NUM:
                stack.append(float(ins.payload))  # type: ignore[arg-type]
                continue
            if ins.kind == NAME:
                i = env[str(ins.payload)]
                lit = self.literal_value(i)
                stack.append(i if lit is None else lit)
                continue
            fn = OPS[str(ins.payload)]
            args = [stack.pop() for _ in range(fn.arity)][::-1]
            if all(isinstance(a, float) for a in args):
                stack.append(float(fn.forward(*args)))  # numbers alone: done at once
                continue
            if fn.name == "pow" and isinstance(args[1], float) and args[1] in (0.0, 1.0):
                stack.append(1.0 if args[1] == 0.0 else args[0])  # the table's a^1, a^0
                continue
            refs = tuple(self.literal(a) if isinstance(a, float) else a for a in args)
            i = self.apply(fn.name, refs)
            created.append(i)
            stack.append(i)
        top = stack.pop()
        if isinstance(top, float):
            return self.literal(top)
        if created and top == created[-1]:
            self.names[top] = self.unique(name)
            for k, j in enumerate(created[:-1], 1):
                self.names[j] = self.unique(f"{name}_{k}")
        return top

    def finish(self, outputs: Sequence[int], title: str, description: str) -> Graph:
        counter = 0
        for i, nm in enumerate(self.names):
            if nm is None:  # pragma: no cover - every new node is named where it is made
                counter += 1
                self.names[i] = self.unique(f"t{counter}")
        for node, nm in zip(self.nodes, self.names, strict=True):
            assert nm is not None
            node.name = nm
        return Graph(self.nodes, list(outputs), title=title, description=description)


def _tensor_graph(graph: Graph) -> bool:
    """Whether the graph holds arrays or uses an array op (``sum(x)`` of a number: its
    partial is a vector-Jacobian product, with ``G``)."""
    return graph.has_arrays or any(n.op is not None and OPS[n.op].tensor for n in graph.nodes)


def backward_graph(graph: Graph, output: int | str | None = None) -> BackwardGraph:
    """The gradient computation of ``output`` (default: the first) as a graph."""
    out = graph.outputs[0] if output is None else graph.lookup(output) if isinstance(output, str) else output
    if _tensor_graph(graph):
        return _tensor_backward_graph(graph, out)
    nodes = graph.nodes
    L = nodes[out].name
    needs = differentiable(graph)
    path = on_path(graph, out)
    # every leaf named by the user (so --at works as on the original), and what L needs
    keep = [path[i] or (n.op is None and n.name.isidentifier()) for i, n in enumerate(nodes)]
    b = _Builder(graph, keep)
    forward_nodes = len(b.nodes)
    terms: list[list[tuple[int, int]]] = [[] for _ in nodes]  # per node: (term node, via node)
    partial: dict[int, int] = {}

    def total(p: int) -> int:
        """dL/dp from its terms, summed in the order reverse mode sums them."""
        items = terms[p]
        target = partial_name(L, nodes[p].name)
        if len(items) == 1:
            node, _ = items[0]
            b.names[node] = b.unique(target)
            return node
        for node, via in items:
            b.names[node] = b.unique(f"{target}_via_{nodes[via].name}")
        acc = items[0][0]
        for k, (node, _) in enumerate(items[1:], 1):
            last = k == len(items) - 1
            acc = b.apply("add", (acc, node), target if last else f"{target}_sum{k}")
        return acc

    if needs[out] and nodes[out].op is not None:
        partial[out] = b.named_leaf(partial_name(L, L), 1.0)  # the seed
        for s in range(out, -1, -1):
            node = nodes[s]
            if not (path[s] and needs[s]):
                continue
            if s != out:
                partial[s] = total(s)
            if node.op is None:
                continue
            upstream = partial[s]
            new_ops = [b.new_index[p] for p in node.operands]
            for slot, p in enumerate(node.operands):
                if not needs[p]:
                    continue
                local = b.instantiate(
                    node.op, slot, new_ops, b.new_index[s], f"d{node.name}_d{nodes[p].name}_local"
                )
                term = b.apply("mul", (upstream, local))
                terms[p].append((term, s))
    outputs: list[int] = []
    leaves: list[str] = []
    for i, node in enumerate(nodes):
        if node.op is not None or node.kind is Kind.CONST:
            continue
        leaves.append(node.name)
        if i == out:
            outputs.append(b.named_leaf(partial_name(L, L), 1.0))
        elif i in partial:
            outputs.append(partial[i])
        else:
            outputs.append(b.named_leaf(partial_name(L, node.name), 0.0))
    if not outputs:
        raise CgtuiError(f"{L} has no leaf to differentiate with respect to: every leaf is a constant")
    title = f"Backward pass of {graph.title or L}"
    description = (
        f"The gradient of {L} as a computation graph: the original values are recomputed "
        f"from the leaves, then for each edge w -> z the local derivative dz_dw_local, the "
        f"product dL_dw_via_z = dL/dz * dz/dw and the sums dL_dw. Outputs: "
        + ", ".join(partial_name(L, name) for name in leaves)
        + "."
    )
    g = b.finish(outputs, title, description.replace("dL", f"d{L}"))
    return BackwardGraph(g, L, leaves, forward_nodes)


# --- tensor graphs -------------------------------------------------------------------------


class _TensorBuilder(_Builder):
    """A builder that knows every node's shape, from the leaves' by the op table's rules."""

    def __init__(self, graph: Graph, keep: Sequence[bool]) -> None:
        super().__init__(graph, keep)
        for node in self.nodes:  # the backward graph's leaves are its own
            if isinstance(node.value, np.ndarray):
                node.value = node.value.copy()
        self.shapes: list[Shape] = []
        for i in range(len(self.nodes)):
            self.shapes.append(self._shape(i))

    def _shape(self, i: int) -> Shape:
        node = self.nodes[i]
        if node.op is None:
            return () if node.value is None else arrays.shape_of(node.value)
        consts = [
            float(n.value) if n.kind is Kind.CONST and type(n.value) is float else None
            for n in (self.nodes[p] for p in node.operands)
        ]
        return OPS[node.op].result_shape([self.shapes[p] for p in node.operands], consts)

    def literal(self, value: float) -> int:
        i = super().literal(value)
        while len(self.shapes) < len(self.nodes):
            self.shapes.append(())
        return i

    def named_leaf(self, name: str, value: Any) -> int:
        if type(value) is float:
            return self.grow(super().named_leaf(name, value))
        self.nodes.append(Node(self.unique(name), Kind.CONST, None, (), np.asarray(value, dtype=float)))
        self.names.append(self.nodes[-1].name)
        return self.grow(len(self.nodes) - 1)

    def apply(self, op: str, operands: tuple[int, ...], name: str | None = None) -> int:
        return self.grow(super().apply(op, operands, name))

    def grow(self, i: int) -> int:
        self.shapes.append(self._shape(i))
        return i

    def rename(self, i: int, name: str) -> None:
        """Give node ``i`` (new, named) another name, freeing the one it had."""
        old = self.names[i]
        if old is not None:
            self.taken.discard(old)
        self.names[i] = self.unique(name)

    def fit(self, c: int, operand: int, name: str) -> int:
        """Broadcasting's rule as a node: ``fit(c, operand)`` has the operand's shape."""
        return self.apply("fit", (c, operand), name)


def _vjp_term(
    b: _TensorBuilder, graph: Graph, s: int, slot: int, upstream: int, base: str
) -> int:
    """``dL/ds · ∂s/∂operand[slot]`` as nodes of the backward graph, in the operand's shape.

    A tensor op's VJP is instantiated from its formula with ``G`` the upstream partial;
    an elementwise op's local derivative from its formula, times ``G``. Where the result's
    shape is not the operand's, a ``fit`` node applies the broadcasting rule."""
    nodes = graph.nodes
    node = nodes[s]
    op = OPS[node.op]  # type: ignore[index]
    partial = op.partials[slot]
    p = node.operands[slot]
    new_ops = [b.new_index[q] for q in node.operands]
    operand = new_ops[slot]
    z, w = node.name, nodes[p].name
    start = len(b.nodes)
    if not partial.vjp:
        local = b.instantiate(node.op, slot, new_ops, b.new_index[s], f"d{z}_d{w}_local")  # type: ignore[arg-type]
        c = b.apply("mul", (upstream, local), base)
    elif partial.formula == "0":
        c = b.literal(0.0)  # an axis or a shape: fit spreads the zero over the operand
    elif node.op == "reshape":
        c = _reshape_vjp(b, upstream, operand, base, z, w)
    else:
        extra = {"G": upstream}
        if node.op in ("mean", "mean_axis"):
            size = max(math.prod(b.shapes[b.new_index[s]]), 1)
            extra["n"] = b.literal(float(math.prod(b.shapes[operand]) // size))
        elif node.op == "cross_entropy":
            extra["n"] = b.literal(float(b.shapes[new_ops[0]][0]))
            if slot == 1 and len(b.shapes[new_ops[1]]) == 1:
                extra = {}  # class indices: d/dlabels is 0, as the table's rule says
            else:
                extra["Y"] = _one_hot(b, graph, node.operands[1], new_ops)
        if extra:  # the pieces are d{z}_d{w}_vjp_1, ...; the last is the term
            c = b.instantiate(node.op, slot, new_ops, b.new_index[s], f"d{z}_d{w}_vjp", extra)  # type: ignore[arg-type]
            if c >= start:
                b.rename(c, base)
        else:
            c = b.literal(0.0)
    fresh = c >= start and b.nodes[c].op is not None  # made here: it can be the term itself
    if fresh and b.shapes[c] == b.shapes[operand]:
        return c
    if fresh:
        b.rename(c, f"{base}_before_fit")
    return b.fit(c, operand, base)


def _reshape_vjp(b: _TensorBuilder, upstream: int, operand: int, base: str, z: str, w: str) -> int:
    """``reshape(G, shape of a)`` with the existing ``reshape`` op: ``reshape(G, rows, cols)``
    for a 2-D operand, ``reshape(G, 1, k)`` (then summed over its one row by ``fit``) for
    a 1-D one."""
    shape = b.shapes[operand]
    if len(shape) == 2:
        rows, cols = shape
    elif len(shape) == 1:
        rows, cols = 1, shape[0]
    else:
        raise CgtuiError(
            f"backward graph: {z} = reshape({w}, ...) of a {len(shape)}-D array: its VJP "
            f"reshape(G, shape of {w}) has no op here (reshape makes 2-D arrays)"
        )
    return b.apply("reshape", (upstream, b.literal(float(rows)), b.literal(float(cols))), base)


def _one_hot(b: _TensorBuilder, graph: Graph, labels: int, new_ops: Sequence[int]) -> int:
    """``Y`` of cross_entropy: the labels node for rows of probabilities; for class
    indices (a leaf) a constant holding them as one-hot rows."""
    if len(b.shapes[new_ops[1]]) == 2:
        return new_ops[1]
    node = graph.nodes[labels]
    if node.op is not None or node.value is None:
        raise CgtuiError(
            f"backward graph: cross_entropy's labels {node.name} are computed class indices; "
            "the one-hot rows Y of its VJP are made from given labels only"
        )
    rows = arrays.onehot(np.zeros(b.shapes[new_ops[0]]), node.value)
    return b.named_leaf(f"Y_{node.name}", rows)


def _tensor_backward_graph(graph: Graph, out: int) -> BackwardGraph:
    """:func:`backward_graph` of a graph with array-valued nodes: the same walk, with the
    op table's vector-Jacobian products and the broadcasting rule as nodes."""
    nodes = graph.nodes
    L = nodes[out].name
    needs = differentiable(graph)
    path = on_path(graph, out)
    keep = [path[i] or (n.op is None and n.name.isidentifier()) for i, n in enumerate(nodes)]
    try:
        b = _TensorBuilder(graph, keep)
    except arrays.ShapeMismatch as exc:  # pragma: no cover - the graph's builder checked its shapes
        raise CgtuiError(str(exc)) from None
    forward_nodes = len(b.nodes)
    terms: list[list[tuple[int, int]]] = [[] for _ in nodes]
    partial: dict[int, int] = {}

    def ones(shape: Shape, value: float) -> Any:
        return value if not shape else np.full(shape, value)

    def total(p: int) -> int:
        items = terms[p]
        target = partial_name(L, nodes[p].name)
        if len(items) == 1:
            b.rename(items[0][0], target)
            return items[0][0]
        for node, via in items:
            b.rename(node, f"{target}_via_{nodes[via].name}")
        acc = items[0][0]
        for k, (node, _) in enumerate(items[1:], 1):
            last = k == len(items) - 1
            acc = b.apply("add", (acc, node), target if last else f"{target}_sum{k}")
        return acc

    if needs[out] and nodes[out].op is not None:
        partial[out] = b.named_leaf(partial_name(L, L), ones(b.shapes[b.new_index[out]], 1.0))
        for s in range(out, -1, -1):
            node = nodes[s]
            if not (path[s] and needs[s]):
                continue
            if s != out:
                partial[s] = total(s)
            if node.op is None:
                continue
            for slot, p in enumerate(node.operands):
                if not needs[p]:
                    continue
                base = f"{partial_name(L, nodes[p].name)}_via_{node.name}"
                terms[p].append((_vjp_term(b, graph, s, slot, partial[s], base), s))
    outputs: list[int] = []
    leaves: list[str] = []
    for i, node in enumerate(nodes):
        if node.op is not None or node.kind is Kind.CONST:
            continue
        leaves.append(node.name)
        shape = b.shapes[b.new_index[i]]
        if i == out:
            outputs.append(b.named_leaf(partial_name(L, L), ones(shape, 1.0)))
        elif i in partial:
            outputs.append(partial[i])
        else:
            outputs.append(b.named_leaf(partial_name(L, node.name), ones(shape, 0.0)))
    if not outputs:
        raise CgtuiError(f"{L} has no leaf to differentiate with respect to: every leaf is a constant")
    title = f"Backward pass of {graph.title or L}"
    description = (
        f"The gradient of {L} as a computation graph of arrays: the original values are recomputed "
        "from the leaves, then for each edge w -> z its vector-Jacobian product from the op table "
        "(G = dL/dz), named dL_dw_via_z, with fit(..., w) where broadcasting's rule brings it to w's "
        "shape, and the sums dL_dw. Outputs: "
        + ", ".join(partial_name(L, name) for name in leaves)
        + "."
    )
    g = b.finish(outputs, title, description.replace("dL", f"d{L}"))
    return BackwardGraph(g, L, leaves, forward_nodes)


# --- second derivatives --------------------------------------------------------------------


@dataclass
class Hessian:
    output: str
    value: float
    leaves: list[str]
    gradient: list[float]
    matrix: list[list[float]]
    passes: int


def hessian(
    graph: Graph, overrides: Mapping[str, float] | None = None, output: int | str | None = None
) -> Hessian:
    """Second derivatives by differentiating the backward graph (reverse over reverse:
    one reverse pass over the backward graph per leaf)."""
    if _tensor_graph(graph):
        return _tensor_hessian(graph, overrides, output)
    bg = backward_graph(graph, output)
    jac: Jacobian = jacobian(bg.graph, overrides, mode="reverse")
    g = bg.graph
    cols = {g.nodes[leaf].name: k for k, leaf in enumerate(jac.leaves)}
    order = [cols[name] for name in bg.leaves]
    matrix = [[row[k] for k in order] for row in jac.matrix]
    gradient = [float(jac.values[i]) for i in jac.outputs]
    value = float(jac.values[g.lookup(bg.output)]) if bg.output in g else 0.0
    return Hessian(bg.output, value, bg.leaves, gradient, matrix, jac.passes)


@dataclass
class HVP:
    output: str
    value: float
    leaves: list[str]
    gradient: list[Value]  # a float, or an array for an array leaf
    product: list[Value]  # H v, one entry per leaf (in the leaf's shape)


def hvp(
    graph: Graph,
    vector: Mapping[str, Value],
    overrides: Mapping[str, float] | None = None,
    output: int | str | None = None,
) -> HVP:
    """The Hessian times ``vector`` by forward mode over the backward graph: one pass
    carrying tangents along ``vector``, the Hessian is never formed. On a tensor graph,
    reverse mode over it (:func:`tensor_hvp`): ``vector`` then holds arrays."""
    if _tensor_graph(graph):
        return tensor_hvp(graph, vector, overrides, output)
    bg = backward_graph(graph, output)
    g = bg.graph
    seeds = direction_vector(g, vector)
    values = forward(g, leaf_values(g, overrides))
    tans = tangents(g, values, seeds)
    product = [0.0 if (t := tans[i]) is None else float(t) for i in g.outputs]
    gradient = [float(values[i]) for i in g.outputs]
    return HVP(bg.output, float(values[g.lookup(bg.output)]), bg.leaves, gradient, product)


# --- second derivatives of tensor graphs: reverse mode over the backward graph --------------


@dataclass
class _Directional:
    """The backward graph with ``s = Σ sum(dL_dx * v_x)`` on top: the gradient of ``s`` with
    respect to the leaves is ``H v`` (the Hessian is symmetric), one reverse pass."""

    bg: BackwardGraph
    graph: Graph
    directions: dict[str, int]  # leaf -> the constant v_x
    s: int


def _directional(bg: BackwardGraph) -> _Directional:
    g = bg.graph
    nodes = [Node(n.name, n.kind, n.op, n.operands, n.value) for n in g.nodes]
    taken = {n.name for n in nodes}

    def add(name: str, kind: Kind, op: str | None, operands: tuple[int, ...], value: Any = None) -> int:
        candidate, k = name, 1
        while candidate in taken:
            k += 1
            candidate = f"{name}_{k}"
        taken.add(candidate)
        nodes.append(Node(candidate, kind, op, operands, value))
        return len(nodes) - 1

    directions: dict[str, int] = {}
    acc: int | None = None
    for name, o in zip(bg.leaves, g.outputs, strict=True):
        if g.nodes[o].op is None:
            continue  # a constant partial (no path, or L itself): no second derivative
        value = g.nodes[g.lookup(name)].value
        v = add(f"v_{name}", Kind.CONST, None, (), _zeros_like(value))
        directions[name] = v
        term = add(f"dL_d{name}_times_v", Kind.COMPUTATION, "mul", (o, v))
        if isinstance(value, np.ndarray):
            term = add(f"dL_d{name}_dot_v", Kind.COMPUTATION, "sum", (term,))
        acc = term if acc is None else add("s", Kind.COMPUTATION, "add", (acc, term))
    if acc is None:
        acc = add("s", Kind.CONST, None, (), 0.0)
    return _Directional(bg, Graph(nodes, [acc]), directions, acc)


def _zeros_like(value: Any) -> Any:
    return np.zeros(np.shape(value)) if isinstance(value, np.ndarray) else 0.0


def _direction_value(name: str, leaf: Any, given: Value) -> Value:
    """A leaf's direction: an array of its shape, or one number for every entry."""
    shape = arrays.shape_of(leaf) if leaf is not None else ()
    arr = np.asarray(given, dtype=float)
    if arr.shape == shape:
        return float(arr) if not shape else arr.copy()
    if arr.ndim == 0:
        return np.full(shape, float(arr))
    raise CgtuiError(
        f"the direction for {name} has shape {arrays.shape_text(arr.shape)}; {name} has shape "
        f"{arrays.shape_text(shape)} (give an array of that shape, or one number for every entry)"
    )


def _reverse_hvp(d: _Directional, values: list[Value | None], vector: Mapping[str, Value]) -> list[Value]:
    """``H v`` per leaf of ``d.bg`` for the directions in ``vector`` (by leaf name)."""
    g = d.graph
    for name, i in d.directions.items():
        leaf = g.nodes[g.lookup(name)].value
        values[i] = _direction_value(name, leaf, vector.get(name, 0.0))
    vals = forward(g, values)
    grads = backward(g, vals, d.s)
    product: list[Value] = []
    for name in d.bg.leaves:
        i = g.lookup(name)
        p = grads[i]
        product.append(_zeros_like(vals[i]) if p is None else p)
    return product


def tensor_hvp(
    graph: Graph,
    vector: Mapping[str, Value],
    overrides: Mapping[str, float] | None = None,
    output: int | str | None = None,
) -> HVP:
    """``H v`` of a tensor graph by reverse mode over its backward graph: the backward graph
    with ``s = Σ sum(dL_dx * v_x)`` on top, one reverse pass (the Hessian is never formed).
    ``vector`` gives each leaf's direction as an array of its shape (or one number for every
    entry); leaves not named have direction 0."""
    bg = backward_graph(graph, output)
    for name in vector:
        i = bg.graph.lookup(name)
        node = bg.graph.nodes[i]
        if name not in bg.leaves:
            what = "a constant" if node.kind is Kind.CONST else "computed by the graph"
            raise CgtuiError(f"'{name}' is {what}; a direction is given to leaves that are not constants")
    vals = forward(bg.graph, leaf_values(bg.graph, overrides))
    _one_number(bg, vals)
    d = _directional(bg)
    product = _reverse_hvp(d, leaf_values(d.graph, overrides), vector)
    gradient = [vals[i] for i in bg.graph.outputs]
    return HVP(bg.output, vals[bg.graph.lookup(bg.output)], bg.leaves, gradient, product)


def _one_number(bg: BackwardGraph, values: Sequence[Value]) -> None:
    """Refuse second derivatives of an output that holds an array."""
    L = bg.output
    shape = arrays.shape_of(values[bg.graph.lookup(L)])
    if shape:
        raise CgtuiError(
            f"{L} has shape {arrays.shape_text(shape)}: second derivatives are of one number; "
            f"choose an output of shape () with --output, or sum it first (sum({L}))"
        )


def entry_names(name: str, value: Any) -> list[str]:
    """``W[0,1]``, ...: a leaf's entries in C order (a number: its name)."""
    if not isinstance(value, np.ndarray) or value.ndim == 0:
        return [name]
    return [f"{name}[{','.join(map(str, idx))}]" for idx in np.ndindex(value.shape)]


def _tensor_hessian(
    graph: Graph, overrides: Mapping[str, float] | None = None, output: int | str | None = None
) -> Hessian:
    """The Hessian of a tensor graph by its entries: one reverse pass over the backward
    graph per entry (its column ``H e_k``)."""
    bg = backward_graph(graph, output)
    d = _directional(bg)
    g = bg.graph
    base = forward(g, leaf_values(g, overrides))
    _one_number(bg, base)
    names: list[str] = []
    sizes: list[int] = []
    for name in bg.leaves:
        value = base[g.lookup(name)]
        names += entry_names(name, value)
        sizes.append(int(np.size(value)))
    n = len(names)
    matrix = [[0.0] * n for _ in range(n)]
    col = 0
    for k, name in enumerate(bg.leaves):
        value = base[g.lookup(name)]
        for e in range(sizes[k]):
            direction: Any = 1.0
            if isinstance(value, np.ndarray):
                direction = np.zeros(value.shape)
                direction.flat[e] = 1.0
            product = _reverse_hvp(d, leaf_values(d.graph, overrides), {name: direction})
            flat = np.concatenate([np.ravel(np.asarray(p, dtype=float)) for p in product])
            for r in range(n):
                matrix[r][col] = float(flat[r])
            col += 1
    gradient = [float(x) for o in g.outputs for x in np.ravel(np.asarray(base[o], dtype=float))]
    value = base[g.lookup(bg.output)]
    return Hessian(bg.output, float(value), names, gradient, matrix, n)
