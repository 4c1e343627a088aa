"""Forward mode: each node carries its value and its tangent, one node at a time.

Choose a direction: one leaf ``x`` (then every tangent is ``dz/dx``) or a tangent vector
``v`` over the leaves (then it is the directional derivative ``dz/dv``). Walking the graph
in topological order, each computation ``z`` gets

    ż = Σ ∂z/∂a · ȧ      (over its operand slots a)

with the local derivatives ``∂z/∂a`` of the op table, the very ones reverse mode uses
(:func:`cgtui.engine.engine.local_derivative` and the same rules), so nothing is written
twice. One forward-mode pass gives one column of the Jacobian (every output's derivative
along ``v``); reverse mode gives one row (one output's derivative with respect to every
leaf). :func:`jvp` is the full pass; :class:`TangentStepper` the pass one node at a time,
with undo, for the explorer.

On a tensor graph a tangent is an array of its node's shape. A tensor op's term is its
Jacobian-vector product from the op table (``ȧ @ b`` for ``a @ b``: ``Op.jvps``, beside
its VJPs); an elementwise op's is its local derivative times the tangent, broadcast to
the result's shape (a broadcast operand's tangent is spread with it). The direction
names leaves or single entries of array leaves (``W1[0,1]``: 1 there, 0 elsewhere, so
every tangent is ``dz/dW1[0,1]``), or gives an array leaf a number for every entry.

Which nodes carry a tangent: those that depend on a leaf that is not a constant, as in
reverse mode (constants, and what is computed from them alone, have tangent 0 and no
local derivative is asked of them, so ``d^2`` never needs d/d2). Leaves not named in the
direction have tangent 0. Kinks and domains are the op table's: ``relu`` and ``abs`` have
derivative 0 at 0; a local derivative that is undefined is a :class:`NumericalFault`
naming the edge, as in reverse mode.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from cgtui.core import arrays
from cgtui.core.arrays import Shape
from cgtui.core.errors import CgtuiError, NumericalFault, name_list
from cgtui.core.graph import Graph, Kind
from cgtui.core.lazy import np
from cgtui.core.notation import dotted, substitute_tangents, value_text
from cgtui.core.ops import OPS, SLOT_NAMES
from cgtui.engine.engine import (
    StepResult,
    _all_float,
    _fault_text,
    _finite,
    arithmetic_text,
    differentiable,
    edge_formula,
    evaluate_node,
    forward,
    leaf_values,
    local_derivative,
)

Value = Any  # float or float64 ndarray

_PARTIALS = {name: tuple(p.rule for p in op.partials) for name, op in OPS.items()}
_TENSOR = {name: bool(op.jvps) for name, op in OPS.items()}


# --- the direction ----------------------------------------------------------------------

#: A direction: leaf name -> tangent (a number; an array leaf's every entry takes it, or an
#: array of the leaf's shape), or one entry ``W1[0,1]`` -> a number (the rest of W1: 0).
Direction = Mapping[str, Value]

_ENTRY = re.compile(r"\s*([^\[\]\s]+)\s*(?:\[\s*(-?\d+(?:\s*,\s*-?\d+)*)?\s*\])?\s*")


def parse_entry(text: str) -> tuple[str, tuple[int, ...] | None]:
    """``W1[0,1]`` -> ``("W1", (0, 1))``; ``x`` -> ``("x", None)``."""
    m = _ENTRY.fullmatch(text)
    if m is None:
        raise CgtuiError(f"'{text}' is neither a leaf's name nor one of its entries, W1[0,1]")
    index = m.group(2)
    if index is None:
        if "[" in text:
            raise CgtuiError(f"'{text}': write the entry's index, W1[0,1]")
        return m.group(1), None
    return m.group(1), tuple(int(k) for k in index.split(","))


def entry_name(name: str, index: Sequence[int]) -> str:
    """``W1[0,1]``: one entry of an array leaf, as a direction names it."""
    return f"{name}[{','.join(str(k) for k in index)}]"


def _leaf_value(graph: Graph, i: int, values: Sequence[Value | None] | None) -> Value | None:
    v = values[i] if values is not None else None
    return v if v is not None else graph.nodes[i].value


def direction_vector(
    graph: Graph, tangent: Direction, values: Sequence[Value | None] | None = None
) -> list[Value | None]:
    """Per node: the tangent of each non-constant leaf (0 where none is given; an array
    leaf's tangent is an array of its shape), None for constants and computations. Names
    must be leaves that are not constants; an entry ``W1[0,1]`` must be in the leaf's
    shape. ``values``: the leaves' values, when they are not the graph's own."""
    seeds: list[Value | None] = [None] * len(graph.nodes)
    for i, node in enumerate(graph.nodes):
        if node.op is None and node.kind is not Kind.CONST:
            v = _leaf_value(graph, i, values)
            seeds[i] = 0.0 if v is None or np.ndim(v) == 0 else np.zeros(np.shape(v))
    for key, t in tangent.items():
        name, index = parse_entry(key)
        i = graph.lookup(name)
        node = graph.nodes[i]
        if node.op is not None:
            raise CgtuiError(f"'{name}' is computed by the graph; a tangent is given to leaves only")
        if node.kind is Kind.CONST:
            raise CgtuiError(f"'{name}' is a constant; it has no tangent (mark it --param or --input)")
        shape = arrays.shape_of(seeds[i])
        if index is not None:
            seeds[i] = _seed_entry(name, shape, index, seeds[i], t)
        elif np.ndim(t) == 0:
            seeds[i] = float(t) if not shape else np.full(shape, float(t))
        elif np.shape(t) != shape:
            raise CgtuiError(
                f"the tangent of '{name}' has shape {arrays.shape_text(np.shape(t))}; "
                f"{name} has shape {arrays.shape_text(shape)}"
            )
        else:
            seeds[i] = np.array(t, dtype=float)
    return seeds


def _seed_entry(name: str, shape: Shape, index: tuple[int, ...], seed: Value, t: Value) -> Value:
    if not shape:
        raise CgtuiError(f"'{name}' is one number, not an array: write {name}, not {entry_name(name, index)}")
    if len(index) != len(shape) or not all(0 <= k < n for k, n in zip(index, shape, strict=False)):
        raise CgtuiError(
            f"{entry_name(name, index)} is not an entry of {name}, shape {arrays.shape_text(shape)} "
            f"(the first is {entry_name(name, (0,) * len(shape))}, the last "
            f"{entry_name(name, tuple(n - 1 for n in shape))})"
        )
    if np.ndim(t) != 0:
        raise CgtuiError(f"the tangent of {entry_name(name, index)} is one number")
    seeded = np.array(seed, dtype=float)
    seeded[index] = float(t)
    return seeded


def direction_label(graph: Graph, tangent: Direction) -> str:
    """``x`` when the direction is one scalar leaf with tangent 1 (tangents are ``dz/dx``),
    ``W1[0,1]`` when it is one entry of an array leaf; else ``v`` (tangents are
    directional derivatives ``dz/dv``)."""
    nonzero = [key for key, t in tangent.items() if np.any(np.asarray(t) != 0)]
    if len(nonzero) != 1 or np.ndim(tangent[nonzero[0]]) != 0 or float(tangent[nonzero[0]]) != 1:
        return "v"
    name, index = parse_entry(nonzero[0])
    if index is not None:
        return entry_name(name, index)
    value = graph.nodes[graph.lookup(name)].value
    return name if value is None or np.ndim(value) == 0 else "v"


def tangent_name(node: str, label: str) -> str:
    """How the tangent of ``node`` is written: ``dz/dx``, ``dH/dW1[0,1]`` or ``dz/dv``."""
    return f"d{node}/d{label}"


# --- one edge's term ----------------------------------------------------------------------


def tangent_term(
    graph: Graph, i: int, slot: int, values: Sequence[Value], t: Value
) -> tuple[Value | None, Value | None, str | None]:
    """``(∂z/∂a, ∂z/∂a · ȧ, problem)`` for edge ``a = operand[slot] -> z`` and the
    operand's tangent ``t``. A tensor op's edge has no local derivative shown (None): its
    term is the op table's Jacobian-vector product. An elementwise term is brought to
    ``z``'s shape by broadcasting (:func:`cgtui.core.arrays.spread`)."""
    node = graph.nodes[i]
    op = OPS[node.op]  # type: ignore[index]
    out = values[i]
    args = [values[p] for p in node.operands]
    if op.jvps and not _all_float([*args, out]):
        try:
            c = arrays.out(op.jvps[slot].rule(t, *args, out))
        except (ArithmeticError, ValueError):
            return None, None, "the Jacobian-vector product is undefined here"
        if not _finite(c):
            return None, None, f"overflow: the tangent of {node.name} is not finite"
        return None, arrays.spread(c, arrays.shape_of(out)), None
    d, problem = local_derivative(graph, i, slot, values)
    if d is None:
        return None, None, problem
    c = d * t
    if type(out) is not float and graph.has_arrays:
        c = arrays.spread(c, arrays.shape_of(out))
    if not _finite(c):
        return d, None, f"overflow: the tangent of {node.name} is not finite"
    return d, c, None


def jvp_formula(graph: Graph, i: int, slot: int) -> str:
    """A tensor op's JVP formula with the edge's names, each operand's tangent dotted:
    ``X @ Ẇ1`` for ``v1 = X @ W1`` (``Ẇ1`` is ``dW1/dx`` along the direction ``x``)."""
    node = graph.nodes[i]
    formula = OPS[node.op].jvps[slot].formula  # type: ignore[index]
    names = {SLOT_NAMES[k]: graph.nodes[p].name for k, p in enumerate(node.operands)}
    names["out"] = node.name
    dots = {SLOT_NAMES[k]: dotted(graph.nodes[p].name) for k, p in enumerate(node.operands)}
    return substitute_tangents(formula, names, dots)


# --- the full pass ----------------------------------------------------------------------


def _edge_fault(
    graph: Graph, i: int, slot: int, values: Sequence[Value], problem: str | None = None
) -> NumericalFault:
    node = graph.nodes[i]
    p = node.operands[slot]
    if problem is None:
        with np.errstate(all="ignore"):
            _, problem = local_derivative(graph, i, slot, values)
    if problem is None:
        problem = f"overflow: the tangent of {node.name} is not finite"
    message = _fault_text(graph, i, f"{problem} (edge {graph.nodes[p].name} -> {node.name})")
    return NumericalFault(message, node=node.name, op=node.op)


def tangents(
    graph: Graph,
    values: Sequence[Value],
    seeds: Sequence[Value | None],
    wanted: Sequence[bool] | None = None,
) -> list[Value | None]:
    """Every node's tangent, given the forward ``values`` and the leaves' ``seeds``
    (:func:`direction_vector`). ``wanted`` limits the work to the nodes marked (the
    ancestors of the outputs asked for); others get None, as do constants."""
    nodes = graph.nodes
    needs = differentiable(graph)
    tans: list[Value | None] = [None] * len(nodes)
    scalar = all(type(v) is float for v in values if v is not None)
    for i, node in enumerate(nodes):
        ops = node.operands
        if not ops:
            tans[i] = seeds[i] if needs[i] else None
            continue
        if not needs[i] or (wanted is not None and not wanted[i]):
            continue
        rules = _PARTIALS[node.op]  # type: ignore[index]
        total: Value | None = None
        if scalar and not _TENSOR[node.op]:  # type: ignore[index]
            # the fast path: the rule called directly, one comparison for inf and NaN
            a = values[ops[0]]
            for slot, p in enumerate(ops):
                tp = tans[p]
                if tp is None:
                    continue
                try:
                    d = rules[slot](a, values[ops[1]], values[i]) if len(ops) == 2 else rules[0](a, values[i])
                    c = d * tp
                    ok = c - c == 0.0
                except (ArithmeticError, ValueError):
                    ok = False
                if not ok:
                    raise _edge_fault(graph, i, slot, values)
                total = c if total is None else total + c
            tans[i] = total
            continue
        with np.errstate(all="ignore"):
            for slot, p in enumerate(ops):
                tp = tans[p]
                if tp is None:
                    continue
                _, c, problem = tangent_term(graph, i, slot, values, tp)
                if c is None:
                    raise _edge_fault(graph, i, slot, values, problem)
                total = c if total is None else total + c
        tans[i] = total
    return tans


@dataclass
class JVP:
    """One forward-mode pass: values and tangents of every node, and the outputs'."""

    outputs: list[int]
    values: list[Value]
    tangents: list[Value | None]
    seeds: list[Value | None]

    def tangent(self, i: int) -> Value:
        """Node ``i``'s tangent: a number, or an array of its shape (0 where none)."""
        t = self.tangents[i]
        if t is None:
            v = self.values[i]
            return 0.0 if v is None or np.ndim(v) == 0 else np.zeros(np.shape(v))
        return float(t) if np.ndim(t) == 0 else t


def wanted_for(graph: Graph, outputs: Sequence[int]) -> list[bool]:
    """Nodes on a path to any of ``outputs`` (one sweep, whatever their number)."""
    mark = [False] * len(graph.nodes)
    for out in outputs:
        mark[out] = True
    for i in range(len(graph.nodes) - 1, -1, -1):
        if mark[i]:
            for p in graph.nodes[i].operands:
                mark[p] = True
    return mark


def jvp(
    graph: Graph,
    tangent: Direction,
    overrides: Mapping[str, float] | None = None,
    outputs: Sequence[int] | None = None,
) -> JVP:
    """Values and tangents along ``tangent`` (:data:`Direction`) at the graph's values."""
    outs = list(graph.outputs if outputs is None else outputs)
    base = leaf_values(graph, overrides)
    seeds = direction_vector(graph, tangent, base)
    values = forward(graph, base)
    tans = tangents(graph, values, seeds, wanted_for(graph, outs))
    return JVP(outs, values, tans, seeds)


# --- one node at a time -----------------------------------------------------------------


@dataclass
class TangentTerm:
    """One term ``∂z/∂a · ȧ`` of a node's tangent."""

    slot: int
    operand: int
    formula: str  # ∂z/∂a with the edge's names; a tensor op's: its JVP (``X @ Ẇ1``)
    local: Value | None  # ∂z/∂a; None for a tensor op's edge (its JVP is the term)
    operand_tangent: Value
    product: Value


@dataclass
class TangentStep:
    node: int
    value: Value
    tangent: Value | None
    terms: list[TangentTerm] = field(default_factory=list)
    lines: list[str] = field(default_factory=list)


class TangentStepper:
    """The forward-mode pass one node at a time: each step computes the next node's value
    and tangent, with every term of the tangent rule written out; any number of steps can
    be undone."""

    def __init__(
        self,
        graph: Graph,
        tangent: Direction,
        values: Mapping[str, float] | None = None,
        outputs: Sequence[int] | None = None,
    ) -> None:
        self.graph = graph
        self.needs = differentiable(graph)
        self.order = [i for i, n in enumerate(graph.nodes) if n.op is not None]
        self.base_values = leaf_values(graph, values)
        self.outputs = list(graph.outputs if outputs is None else outputs)
        self.set_direction(tangent)

    def set_direction(self, tangent: Direction) -> None:
        """Start again along a new direction (:data:`Direction`)."""
        self.direction = dict(tangent)
        self.seeds = direction_vector(self.graph, tangent, self.base_values)
        self.label = direction_label(self.graph, tangent)
        self.reset()

    def reset(self) -> StepResult:
        g = self.graph
        self.values: list[Value | None] = list(self.base_values)
        self.tangents: list[Value | None] = [
            self.seeds[i] if n.op is None and self.needs[i] else None for i, n in enumerate(g.nodes)
        ]
        self.history: list[TangentStep] = []
        self.fault: str | None = None
        return StepResult("reset", None, ["reset: no values or tangents computed"])

    @property
    def position(self) -> int:
        return len(self.history)

    @property
    def complete(self) -> bool:
        return self.position == len(self.order)

    def next_node(self) -> int | None:
        return self.order[self.position] if self.position < len(self.order) else None

    def tangent_name(self, i: int) -> str:
        return tangent_name(self.graph.nodes[i].name, self.label)

    def rule_text(self, i: int) -> str:
        """``dz/dx = ∂z/∂a · da/dx + ∂z/∂b · db/dx`` in names, for node ``i``."""
        g = self.graph
        node = g.nodes[i]
        if node.op is None:
            given = self.seeds[i]
            return f"{self.tangent_name(i)} = {value_text(given) if given is not None else 0} (given)"
        terms = [
            self._symbolic(i, slot)
            for slot, p in enumerate(node.operands)
            if self.tangents[p] is not None or self.needs[p]
        ]
        return f"{self.tangent_name(i)} = {' + '.join(terms) if terms else '0'}"

    def step(self) -> StepResult:
        """Compute the next node's value and tangent."""
        if self.fault is not None:
            return StepResult("fault", None, [f"stopped: {self.fault} (undo or edit a value)"])
        i = self.next_node()
        if i is None:
            return StepResult("none", None, ["the forward-mode pass is complete"])
        g = self.graph
        node = g.nodes[i]
        missing = [g.nodes[p].name for p in node.operands if self.values[p] is None]
        if missing:
            return StepResult("none", None, [f"no value for {name_list(missing)}: set it first"])
        with np.errstate(all="ignore"):
            v, problem = evaluate_node(g, i, self.values)
        if problem is not None:
            self.fault = f"{node.name}: {problem}"
            return StepResult("fault", i, [self.fault])
        self.values[i] = v
        terms: list[TangentTerm] = []
        total: Value | None = None
        if self.needs[i]:
            for slot, p in enumerate(node.operands):
                tp = self.tangents[p]
                if tp is None:
                    continue
                with np.errstate(all="ignore"):
                    d, c, problem = tangent_term(g, i, slot, self.values, tp)
                if c is None:
                    self.values[i] = None
                    why = problem or f"overflow: the tangent of {node.name} is not finite"
                    self.fault = f"{node.name}: {why} (edge {g.nodes[p].name} -> {node.name})"
                    return StepResult("fault", i, [self.fault])
                formula = edge_formula(g, i, slot) if d is not None else jvp_formula(g, i, slot)
                terms.append(TangentTerm(slot, p, formula, d, tp, c))
                total = c if total is None else total + c
        self.tangents[i] = total
        step = TangentStep(i, v, total, terms, self._lines(i, v, total, terms))
        self.history.append(step)
        return StepResult("forward", i, step.lines)

    def _symbolic(self, i: int, slot: int) -> str:
        """One term of node ``i``'s tangent rule in names: ``∂z/∂a · da/dx``, or a tensor
        op's JVP with the operand's tangent dotted, ``X @ Ẇ1``."""
        g = self.graph
        node = g.nodes[i]
        p = node.operands[slot]
        if OPS[node.op].jvps and self._arrays(i):  # type: ignore[index]
            return jvp_formula(g, i, slot)
        return f"∂{node.name}/∂{g.nodes[p].name} · {self.tangent_name(p)}"

    def _arrays(self, i: int) -> bool:
        """Whether node ``i`` or an operand holds an array (a tensor op's JVP applies)."""
        g = self.graph
        vals = [self.values[i], *(self.values[p] for p in g.nodes[i].operands)]
        if any(v is not None and type(v) is not float for v in vals):
            return True
        leaves = [g.nodes[p].value for p in g.nodes[i].operands]
        return any(v is not None and type(v) is not float for v in leaves)

    def legend(self, i: int) -> str:
        """What the dotted names in node ``i``'s JVP stand for: ``Ẇ1 = dW1/dx``."""
        g = self.graph
        node = g.nodes[i]
        if node.op is None or not OPS[node.op].jvps:
            return ""
        named = [p for p in dict.fromkeys(node.operands) if self.needs[p]]
        return ", ".join(f"{dotted(g.nodes[p].name)} = {self.tangent_name(p)}" for p in named)

    def _lines(self, i: int, v: Value, total: Value | None, terms: list[TangentTerm]) -> list[str]:
        lines = [arithmetic_text(self.graph, i, self.values)]
        if total is None:
            lines.append(f"{self.tangent_name(i)} = 0 (depends on constants only)")
            return lines
        if all(t.local is not None for t in terms):
            symbolic = " + ".join(f"{_group(t.formula)} · {self.tangent_name(t.operand)}" for t in terms)
            if any(np.ndim(x) for t in terms for x in (t.local, t.operand_tangent) if x is not None):
                # arrays: the factors' means in their place would read as false arithmetic
                # (the mean of a product is not the product of the means); each term's
                # product is written instead
                products = " + ".join(_paren(value_text(t.product)) for t in terms)
                numbers = f"{products} = {value_text(total)}" if len(terms) > 1 else value_text(total)
                lines.append(f"{self.tangent_name(i)} = {symbolic} = {numbers}")
                return lines
            numeric = " + ".join(
                f"{_paren(value_text(t.local))} · {_paren(value_text(t.operand_tangent))}" for t in terms
            )
            lines.append(f"{self.tangent_name(i)} = {symbolic} = {numeric} = {value_text(total)}")
            return lines
        # a tensor op: each term is its JVP, the operand's tangent dotted
        symbolic = " + ".join(t.formula for t in terms)
        numeric = " + ".join(_paren(value_text(t.product)) for t in terms)
        numbers = f"{numeric} = {value_text(total)}" if len(terms) > 1 else value_text(total)
        legend = self.legend(i)
        lines.append(f"{self.tangent_name(i)} = {symbolic} = {numbers}" + (f"  ({legend})" if legend else ""))
        return lines

    def run(self) -> StepResult:
        lines: list[str] = []
        last: int | None = None
        while self.next_node() is not None:
            r = self.step()
            lines.extend(r.lines)
            if r.kind != "forward":
                return StepResult(r.kind, r.node, lines)
            last = r.node
        return StepResult("forward", last, lines or ["the forward-mode pass is complete"])

    def undo(self) -> StepResult:
        if self.fault is not None:
            self.fault = None
            return StepResult("undo", None, ["cleared the fault"])
        if not self.history:
            return StepResult("none", None, ["nothing to undo"])
        step = self.history.pop()
        self.values[step.node] = None
        self.tangents[step.node] = None
        return StepResult("undo", step.node, [f"undid forward-mode step {self.graph.nodes[step.node].name}"])


def _group(formula: str) -> str:
    """A formula as a factor: bracketed unless it is one name or number."""
    return formula if formula.isidentifier() or formula.replace(".", "").isdigit() else f"({formula})"


def _paren(text: str) -> str:
    return f"({text})" if text.startswith("-") else text
