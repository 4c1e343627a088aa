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

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import cache
from typing import Any

from cgtui.core.errors import CgtuiError
from cgtui.core.graph import Graph, Kind, Node
from cgtui.core.ops import OPS, SLOT_NAMES
from cgtui.engine.engine import differentiable, forward, leaf_values, on_path
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

    def instantiate(self, op: str, slot: int, operands: Sequence[int], out: int, name: str) -> int:
        """The local derivative ``∂out/∂operand[slot]`` as nodes, from the formula text."""
        env = {SLOT_NAMES[k]: p for k, p in enumerate(operands)}
        env["out"] = out
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


def backward_graph(graph: Graph, output: int | str | None = None) -> BackwardGraph:
    """The gradient computation of ``output`` (default: the first) as a graph."""
    out = graph.outputs[0] if output is None else graph.lookup(output) if isinstance(output, str) else output
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
    gradient: list[float]
    product: list[float]  # H v, one entry per leaf


def hvp(
    graph: Graph,
    vector: Mapping[str, float],
    overrides: Mapping[str, float] | None = None,
    output: int | str | None = None,
) -> HVP:
    """The Hessian times ``vector`` by forward mode over the backward graph: one pass
    carrying tangents along ``vector``, the Hessian is never formed."""
    bg = backward_graph(graph, output)
    g = bg.graph
    seeds = direction_vector(g, vector)
    values = forward(g, leaf_values(g, overrides))
    tans = tangents(g, values, seeds)
    product = [0.0 if (t := tans[i]) is None else float(t) for i in g.outputs]
    gradient = [float(values[i]) for i in g.outputs]
    return HVP(bg.output, float(values[g.lookup(bg.output)]), bg.leaves, gradient, product)
