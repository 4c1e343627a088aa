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

Which nodes carry a tangent: those that depend on a leaf that is not a constant, as in
reverse mode (constants, and what is computed from them alone, have tangent 0 and no
local derivative is asked of them, so ``d^2`` never needs d/d2). Leaves not named in the
direction have tangent 0. Kinks and domains are the op table's: ``relu`` and ``abs`` have
derivative 0 at 0; a local derivative that is undefined is a :class:`NumericalFault`
naming the edge, as in reverse mode.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from cgtui.core.errors import CgtuiError, NumericalFault, name_list
from cgtui.core.graph import Graph, Kind
from cgtui.core.notation import value_text
from cgtui.core.ops import OPS
from cgtui.engine.engine import (
    StepResult,
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


# --- the direction ----------------------------------------------------------------------


def direction_vector(graph: Graph, tangent: Mapping[str, float]) -> list[float | None]:
    """Per node: the given tangent of each non-constant leaf (0 where none is given), None
    for constants and computations. Names must be leaves that are not constants."""
    seeds: list[float | None] = [None] * len(graph.nodes)
    for i, node in enumerate(graph.nodes):
        if node.op is None and node.kind is not Kind.CONST:
            seeds[i] = 0.0
    for name, t in tangent.items():
        i = graph.lookup(name)
        node = graph.nodes[i]
        if node.op is not None:
            raise CgtuiError(f"'{name}' is computed by the graph; a tangent is given to leaves only")
        if node.kind is Kind.CONST:
            raise CgtuiError(f"'{name}' is a constant; it has no tangent (mark it --param or --input)")
        seeds[i] = float(t)
    return seeds


def direction_label(graph: Graph, tangent: Mapping[str, float]) -> str:
    """``x`` when the direction is one leaf with tangent 1 (tangents are ``dz/dx``), else
    ``v`` (tangents are directional derivatives ``dz/dv``)."""
    nonzero = [name for name, t in tangent.items() if t != 0]
    if len(nonzero) == 1 and tangent[nonzero[0]] == 1:
        return nonzero[0]
    return "v"


def tangent_name(node: str, label: str) -> str:
    """How the tangent of ``node`` is written: ``dz/dx`` or ``dz/dv``."""
    return f"d{node}/d{label}"


# --- the full pass ----------------------------------------------------------------------


def _edge_fault(graph: Graph, i: int, slot: int, values: Sequence[Value]) -> NumericalFault:
    node = graph.nodes[i]
    p = node.operands[slot]
    with np.errstate(all="ignore"):
        _, problem = local_derivative(graph, i, slot, values)
    if problem is None:
        problem = f"overflow: the tangent of {node.name} is not finite"
    message = _fault_text(graph, i, f"{problem} (edge {graph.nodes[p].name} -> {node.name})")
    return NumericalFault(message, node=node.name, op=node.op)


def tangents(
    graph: Graph,
    values: Sequence[Value],
    seeds: Sequence[float | None],
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
        if scalar:
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
        args = [values[p] for p in ops]
        with np.errstate(all="ignore"):
            for slot, p in enumerate(ops):
                tp = tans[p]
                if tp is None:
                    continue
                try:
                    c = rules[slot](*args, values[i]) * tp
                    ok = _finite(c)
                except (ArithmeticError, ValueError):
                    ok = False
                if not ok:
                    raise _edge_fault(graph, i, slot, values)
                total = c if total is None else total + c
        tans[i] = total
    return tans


@dataclass
class JVP:
    """One forward-mode pass: values and tangents of every node, and the outputs'."""

    outputs: list[int]
    values: list[Value]
    tangents: list[Value | None]
    seeds: list[float | None]

    def tangent(self, i: int) -> float:
        t = self.tangents[i]
        return 0.0 if t is None else float(t)


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
    tangent: Mapping[str, float],
    overrides: Mapping[str, float] | None = None,
    outputs: Sequence[int] | None = None,
) -> JVP:
    """Values and tangents along ``tangent`` (leaf -> number) at the graph's values."""
    outs = list(graph.outputs if outputs is None else outputs)
    seeds = direction_vector(graph, tangent)
    values = forward(graph, leaf_values(graph, overrides))
    tans = tangents(graph, values, seeds, wanted_for(graph, outs))
    return JVP(outs, values, tans, seeds)


# --- one node at a time -----------------------------------------------------------------


@dataclass
class TangentTerm:
    """One term ``∂z/∂a · ȧ`` of a node's tangent."""

    slot: int
    operand: int
    formula: str  # ∂z/∂a with the edge's names
    local: Value
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
        tangent: Mapping[str, float],
        values: Mapping[str, float] | None = None,
        outputs: Sequence[int] | None = None,
    ) -> None:
        self.graph = graph
        self.needs = differentiable(graph)
        self.order = [i for i, n in enumerate(graph.nodes) if n.op is not None]
        self.base_values = leaf_values(graph, values)
        self.outputs = list(graph.outputs if outputs is None else outputs)
        self.set_direction(tangent)

    def set_direction(self, tangent: Mapping[str, float]) -> None:
        """Start again along a new direction (leaf -> tangent)."""
        self.direction = dict(tangent)
        self.seeds = direction_vector(self.graph, tangent)
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
            f"∂{node.name}/∂{g.nodes[p].name} · {self.tangent_name(p)}"
            for p in node.operands
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
                    d, problem = local_derivative(g, i, slot, self.values)
                if problem is not None or not _finite(d * tp):
                    self.values[i] = None
                    why = problem or f"overflow: the tangent of {node.name} is not finite"
                    self.fault = f"{node.name}: {why} (edge {g.nodes[p].name} -> {node.name})"
                    return StepResult("fault", i, [self.fault])
                c = d * tp
                terms.append(TangentTerm(slot, p, edge_formula(g, i, slot), d, tp, c))
                total = c if total is None else total + c
        self.tangents[i] = total
        step = TangentStep(i, v, total, terms, self._lines(i, v, total, terms))
        self.history.append(step)
        return StepResult("forward", i, step.lines)

    def _lines(self, i: int, v: Value, total: Value | None, terms: list[TangentTerm]) -> list[str]:
        lines = [arithmetic_text(self.graph, i, self.values)]
        if total is None:
            lines.append(f"{self.tangent_name(i)} = 0 (depends on constants only)")
            return lines
        symbolic = " + ".join(f"{_group(t.formula)} · {self.tangent_name(t.operand)}" for t in terms)
        numeric = " + ".join(
            f"{_paren(value_text(t.local))} · {_paren(value_text(t.operand_tangent))}" for t in terms
        )
        lines.append(f"{self.tangent_name(i)} = {symbolic} = {numeric} = {value_text(total)}")
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
