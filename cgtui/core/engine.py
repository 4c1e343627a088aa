"""Forward and backward passes: all at once, or one node at a time.

:func:`forward` and :func:`backward` are the plain full passes (the CLI, training and
benchmarks use them). :class:`Stepper` is the state machine the explorer walks: each
forward step evaluates the next node in topological order; each backward step takes the
next node ``s`` in reverse topological order, whose partial ``dL/ds`` is then complete,
and pushes ``dL/ds * ds/dp`` into each operand ``p``'s accumulator, one push per edge.
Every push is kept in a ledger, and every step can be undone. Both use the same
per-node rules from :mod:`cgtui.core.ops`, so they give the same numbers.

Only nodes that depend on a non-constant leaf are differentiated (constants and what is
computed from constants alone get no partial), so ``d^2`` never asks for d/d2.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from enum import Enum
from typing import Any

import numpy as np

from cgtui.core.errors import CgtuiError, NumericalFault
from cgtui.core.graph import Graph, Kind, Node
from cgtui.core.ops import OPS, SLOT_NAMES, Op, format_number

Value = Any  # float or float64 ndarray


# --- per-node rules shared by both paths --------------------------------------------


def _finite(v: Value) -> bool:
    if type(v) is float:
        return math.isfinite(v)
    return bool(np.all(np.isfinite(v)))


def _fault_text(graph: Graph, i: int, problem: str) -> str:
    node = graph.nodes[i]
    return f"{node.name} = {application_text(graph, i)}: {problem}"


def evaluate_node(graph: Graph, i: int, values: Sequence[Value]) -> tuple[Value | None, str | None]:
    """Node ``i``'s value from its operands' values, or ``(None, problem)``."""
    node = graph.nodes[i]
    op = OPS[node.op]  # type: ignore[index]
    args = [values[p] for p in node.operands]
    if op.domain is not None:
        problem = op.domain(*args)
        if problem:
            return None, problem
    try:
        v = op.forward(*args)
    except ZeroDivisionError:
        return None, "division by zero"
    except OverflowError:
        return None, "overflow: the result is too large"
    except ValueError as exc:  # pragma: no cover - domains are checked above
        return None, f"undefined ({exc})"
    if type(v) is int:
        v = float(v)
    if not _finite(v):
        return None, _nonfinite(v)
    return v, None


def _nonfinite(v: Value) -> str:
    arr = np.asarray(v, dtype=float)
    if np.isnan(arr).any():
        return "the result is NaN"
    return "overflow: the result is infinite"


def local_derivative(
    graph: Graph, i: int, slot: int, values: Sequence[Value]
) -> tuple[Value | None, str | None]:
    """``d node_i / d operand[slot]`` at the current values, or ``(None, problem)``."""
    node = graph.nodes[i]
    op = OPS[node.op]  # type: ignore[index]
    partial = op.partials[slot]
    args = [values[p] for p in node.operands]
    out = values[i]
    if partial.domain is not None:
        problem = partial.domain(*args, out)
        if problem:
            return None, problem
    try:
        d = partial.rule(*args, out)
    except (ZeroDivisionError, OverflowError, ValueError):
        return None, f"the local derivative d/{SLOT_NAMES[slot]} is undefined here"
    if type(d) is int:
        d = float(d)
    if not _finite(d):
        return None, f"the local derivative d/{SLOT_NAMES[slot]} is not finite"
    return d, None


def _unbroadcast(c: Value, like: Value) -> Value:
    """Sum a contribution over the batch when the node itself is one number."""
    if type(c) is not float and np.ndim(c) > np.ndim(like):
        return float(np.sum(c))
    return c


# --- text ----------------------------------------------------------------------------


def application_text(graph: Graph, i: int, operand_texts: Sequence[str] | None = None) -> str:
    """``z + b``, ``-a``, ``exp(v1)``: the op applied to its operands (names by default)."""
    node = graph.nodes[i]
    op = OPS[node.op]  # type: ignore[index]
    texts = list(operand_texts) if operand_texts is not None else [graph.nodes[p].name for p in node.operands]
    return apply_text(op, texts)


def apply_text(op: Op, texts: Sequence[str]) -> str:
    if op.symbol is None:
        return f"{op.name}({', '.join(texts)})"
    if op.arity == 1:
        return f"{op.symbol}{texts[0]}"
    return f"{texts[0]} {op.symbol} {texts[1]}"


def value_text(v: Value | None) -> str:
    if v is None:
        return "?"
    if type(v) is float:
        return format_number(v)
    arr = np.asarray(v)
    if arr.ndim == 0:
        return format_number(float(arr))
    return f"[{arr.size} values, mean {format_number(float(arr.mean()))}]"


def _operand_value_text(v: Value | None) -> str:
    text = value_text(v)
    return f"({text})" if text.startswith("-") else text


def arithmetic_text(graph: Graph, i: int, values: Sequence[Value | None]) -> str:
    """``yhat = z + b = 1 + 0.1 = 1.1``."""
    node = graph.nodes[i]
    if node.op is None:
        return f"{node.name} = {value_text(values[i])}"
    symbolic = application_text(graph, i)
    numeric = application_text(graph, i, [_operand_value_text(values[p]) for p in node.operands])
    result = values[i]
    return f"{node.name} = {symbolic} = {numeric} = {value_text(result)}"


# --- structure shared by the passes ----------------------------------------------------


def differentiable(graph: Graph) -> list[bool]:
    """Whether each node depends on a leaf that is not a constant."""
    needs = [False] * len(graph.nodes)
    for i, node in enumerate(graph.nodes):
        if node.op is None:
            needs[i] = node.kind is not Kind.CONST
        else:
            needs[i] = any(needs[p] for p in node.operands)
    return needs


def on_path(graph: Graph, output: int) -> list[bool]:
    """Whether each node has a path to ``output`` (the output itself included)."""
    mark = [False] * len(graph.nodes)
    mark[output] = True
    for i in range(output, -1, -1):
        if mark[i]:
            for p in graph.nodes[i].operands:
                mark[p] = True
    return mark


def leaf_values(graph: Graph, overrides: Mapping[str, float] | None = None) -> list[Value | None]:
    """Values for every node: leaves' from the graph and ``overrides``, the rest None."""
    values: list[Value | None] = [n.value if n.op is None else None for n in graph.nodes]
    for name, v in (overrides or {}).items():
        i = graph.lookup(name)
        if graph.nodes[i].op is not None:
            raise CgtuiError(f"'{name}' is computed by the graph; only leaves take values")
        values[i] = float(v)
    return values


def missing_values(graph: Graph, values: Sequence[Value | None]) -> list[str]:
    return [n.name for i, n in enumerate(graph.nodes) if n.op is None and values[i] is None]


def require_values(graph: Graph, values: Sequence[Value | None]) -> None:
    missing = missing_values(graph, values)
    if missing:
        example = ",".join(f"{m}=..." for m in missing[:3])
        raise CgtuiError(
            f"no value for {'leaf' if len(missing) == 1 else 'leaves'} {', '.join(missing)} "
            f"(give {'it' if len(missing) == 1 else 'them'} with --at {example})"
        )


# --- the full passes -------------------------------------------------------------------


def forward(graph: Graph, values: Sequence[Value | None]) -> list[Value]:
    """Every node's value; raises :class:`NumericalFault` at the first bad node."""
    require_values(graph, values)
    vals = list(values)
    nodes = graph.nodes
    with np.errstate(all="ignore"):
        for i, node in enumerate(nodes):
            if node.op is None:
                continue
            v, problem = evaluate_node(graph, i, vals)
            if problem is not None:
                raise NumericalFault(_fault_text(graph, i, problem), node=node.name, op=node.op)
            vals[i] = v
    return vals


def backward(graph: Graph, values: Sequence[Value], output: int) -> list[Value | None]:
    """``dL/dnode`` for every node (L = ``output``); None where there is no partial."""
    nodes = graph.nodes
    needs = differentiable(graph)
    grads: list[Value | None] = [None] * len(nodes)
    seed = values[output]
    grads[output] = 1.0 if type(seed) is float else np.ones_like(seed)
    with np.errstate(all="ignore"):
        for s in range(output, -1, -1):
            g = grads[s]
            node = nodes[s]
            if g is None or node.op is None or not needs[s]:
                continue
            for slot, p in enumerate(node.operands):
                if not needs[p]:
                    continue
                d, problem = local_derivative(graph, s, slot, values)
                if problem is not None:
                    raise NumericalFault(
                        _fault_text(graph, s, f"{problem} (edge {nodes[p].name} -> {node.name})"),
                        node=node.name,
                        op=node.op,
                    )
                c = _unbroadcast(g * d, values[p])
                old = grads[p]
                grads[p] = c if old is None else old + c
    return grads


@dataclass
class Gradients:
    output: str
    value: Value
    values: list[Value]
    partials: list[Value | None]


def gradients(
    graph: Graph, overrides: Mapping[str, float] | None = None, output: str | None = None
) -> Gradients:
    """Forward then backward at the graph's values (with ``overrides``)."""
    out = graph.lookup(output) if output is not None else graph.outputs[0]
    vals = forward(graph, leaf_values(graph, overrides))
    partials = backward(graph, vals, out)
    return Gradients(graph.nodes[out].name, vals[out], vals, partials)


# --- the stepper -----------------------------------------------------------------------


class Status(str, Enum):
    UNCOMPUTED = "not yet computed"
    PENDING = "pending"
    FINAL = "final"
    NO_PATH = "no path to output"
    CONSTANT = "constant"  # computed from constants alone: not differentiated
    FAULT = "fault"


@dataclass
class ForwardStep:
    node: int
    value: Value
    text: str  # yhat = z + b = 1 + 0.1 = 1.1


@dataclass
class Push:
    """One edge's contribution: dL/ds * ds/dp added into p's accumulator."""

    result: int  # s
    slot: int
    operand: int  # p
    upstream: Value  # dL/ds
    formula: str  # ds/dp in cgtui's language, with the edge's names
    local: Value  # ds/dp
    contribution: Value
    before: Value | None
    after: Value

    def text(self, graph: Graph) -> str:
        s, p = graph.nodes[self.result].name, graph.nodes[self.operand].name
        return (
            f"dL/d{p} += dL/d{s} * d{s}/d{p} = {value_text(self.upstream)} * "
            f"{_operand_value_text(self.local)} = {value_text(self.contribution)}"
            f"  ({value_text(self.before) if self.before is not None else '0'} -> {value_text(self.after)})"
        )


@dataclass
class BackwardStep:
    node: int
    partial: Value  # dL/ds, complete
    pushes: list[Push]
    seed: bool = False
    text: str = ""


@dataclass
class StepFault:
    node: int
    message: str
    backward: bool


@dataclass
class StepResult:
    """What one key press did, for the log."""

    kind: str  # forward, backward, undo, reset, none, fault
    node: int | None
    lines: list[str] = field(default_factory=list)


class Stepper:
    """Forward and backward passes one node at a time, with a ledger and undo."""

    def __init__(self, graph: Graph, output: str | int | None = None, values: Mapping[str, float] | None = None) -> None:
        self.graph = graph
        self._base = leaf_values(graph, values)
        self.values: list[Value | None] = list(self._base)
        self.needs = differentiable(graph)
        self.output = 0
        self.set_output(graph.outputs[0] if output is None else output, _init=True)

    # ---- configuration -------------------------------------------------

    def set_output(self, output: str | int, *, _init: bool = False) -> None:
        out = self.graph.lookup(output) if isinstance(output, str) else output
        self.output = out
        self.path = on_path(self.graph, out)
        g = self.graph
        self.forward_order = [i for i in range(len(g.nodes)) if g.nodes[i].op is not None]
        self.backward_order = [
            i
            for i in range(out, -1, -1)
            if self.path[i] and g.nodes[i].op is not None and self.needs[i]
        ]
        # pushes each node must receive before its partial is final
        need = [0] * len(g.nodes)
        for s in self.backward_order:
            for p in g.nodes[s].operands:
                if self.needs[p]:
                    need[p] += 1
        self.pushes_needed = need
        self._reset_backward()
        if _init:
            self.history: list[ForwardStep | BackwardStep] = []
            self.fault: StepFault | None = None

    def _reset_backward(self) -> None:
        n = len(self.graph.nodes)
        self.partials: list[Value | None] = [None] * n
        self.pushes_done = [0] * n
        self.ledger: list[list[Push]] = [[] for _ in range(n)]
        self.backward_pos = 0
        if hasattr(self, "history"):
            self.history = [s for s in self.history if isinstance(s, ForwardStep)]
            if self.fault is not None and self.fault.backward:
                self.fault = None

    # ---- state ---------------------------------------------------------

    @property
    def forward_done(self) -> int:
        return sum(1 for i in self.forward_order if self.values[i] is not None)

    @property
    def forward_total(self) -> int:
        return len(self.forward_order)

    @property
    def forward_complete(self) -> bool:
        return all(self.values[i] is not None for i in self.forward_order)

    @property
    def backward_total(self) -> int:
        return len(self.backward_order)

    @property
    def backward_complete(self) -> bool:
        return self.backward_pos == len(self.backward_order)

    def next_forward(self) -> int | None:
        for i in self.forward_order:
            if self.values[i] is None:
                return i
        return None

    def next_backward(self) -> int | None:
        if self.backward_pos < len(self.backward_order):
            return self.backward_order[self.backward_pos]
        return None

    def status(self, i: int) -> Status:
        if self.fault is not None and self.fault.node == i:
            return Status.FAULT
        if not self.path[i]:
            return Status.NO_PATH
        if not self.needs[i]:
            return Status.CONSTANT
        if i == self.output:
            return Status.FINAL if self.partials[i] is not None else (
                Status.PENDING if self.values[i] is not None else Status.UNCOMPUTED
            )
        if self.values[i] is None:
            return Status.UNCOMPUTED
        if self.pushes_done[i] == self.pushes_needed[i] and self.pushes_needed[i] > 0:
            return Status.FINAL
        return Status.PENDING

    def can_undo(self) -> bool:
        return bool(self.history)

    def leaf_value(self, name: str) -> Value | None:
        return self.values[self.graph.lookup(name)]

    def params(self) -> list[tuple[str, Value | None]]:
        return [(n.name, self.values[i]) for i, n in enumerate(self.graph.nodes) if n.kind is Kind.PARAM]

    # ---- forward -------------------------------------------------------

    def step_forward(self) -> StepResult:
        if self.fault is not None:
            return StepResult("fault", self.fault.node, [f"stopped: {self.fault.message} (undo or edit a value)"])
        i = self.next_forward()
        if i is None:
            return StepResult("none", None, ["the forward pass is complete"])
        missing = [self.graph.nodes[p].name for p in self.graph.ancestors(i) if self.values[p] is None]
        if missing:
            return StepResult("none", None, [f"no value for {', '.join(sorted(missing))}: set it first"])
        with np.errstate(all="ignore"):
            v, problem = evaluate_node(self.graph, i, self.values)
        if problem is not None:
            msg = _fault_text(self.graph, i, problem)
            self.fault = StepFault(i, msg, backward=False)
            return StepResult("fault", i, [msg])
        self.values[i] = v
        step = ForwardStep(i, v, arithmetic_text(self.graph, i, self.values))
        self.history.append(step)
        return StepResult("forward", i, [step.text])

    def run_forward(self) -> StepResult:
        lines: list[str] = []
        last: int | None = None
        while self.next_forward() is not None:
            r = self.step_forward()
            lines.extend(r.lines)
            if r.kind != "forward":
                return StepResult(r.kind, r.node, lines)
            last = r.node
        if not lines:
            lines = ["the forward pass is complete"]
        return StepResult("forward", last, lines)

    # ---- backward ------------------------------------------------------

    def step_backward(self) -> StepResult:
        if self.fault is not None:
            return StepResult("fault", self.fault.node, [f"stopped: {self.fault.message} (undo or edit a value)"])
        prefix: list[str] = []
        if not self.forward_complete:
            r = self.run_forward()
            if r.kind == "fault" or self.next_forward() is not None:
                return StepResult(r.kind, r.node, [*r.lines, "the backward pass needs the forward pass"])
            prefix = [f"forward pass completed first ({len(r.lines)} steps)", *r.lines]
        s = self.next_backward()
        if s is None:
            return StepResult("none", None, [*prefix, "the backward pass is complete"])
        g = self.graph
        seed = False
        lines = list(prefix)
        if s == self.output:
            out_val = self.values[s]
            self.partials[s] = 1.0 if type(out_val) is float else np.ones_like(out_val)
            seed = True
            lines.append(f"dL/d{g.nodes[s].name} = 1 (seed: L = {g.nodes[s].name})")
        upstream = self.partials[s]
        assert upstream is not None
        pushes: list[Push] = []
        node = g.nodes[s]
        with np.errstate(all="ignore"):
            for slot, p in enumerate(node.operands):
                if not self.needs[p]:
                    continue
                d, problem = local_derivative(g, s, slot, self.values)
                if problem is not None:
                    # undo the pushes made so far in this step
                    for push in reversed(pushes):
                        self._unpush(push)
                    if seed:
                        self.partials[s] = None
                    msg = _fault_text(g, s, f"{problem} (edge {g.nodes[p].name} -> {node.name})")
                    self.fault = StepFault(s, msg, backward=True)
                    return StepResult("fault", s, [*lines, msg])
                c = _unbroadcast(upstream * d, self.values[p])
                before = self.partials[p]
                after = c if before is None else before + c
                push = Push(s, slot, p, upstream, edge_formula(g, s, slot), d, c, before, after)
                self.partials[p] = after
                self.pushes_done[p] += 1
                self.ledger[p].append(push)
                pushes.append(push)
                lines.append(push.text(g))
        step = BackwardStep(s, upstream, pushes, seed, f"dL/d{node.name} = {value_text(upstream)} is final")
        self.history.append(step)
        self.backward_pos += 1
        return StepResult("backward", s, [step.text, *lines] if not seed else [*lines])

    def _unpush(self, push: Push) -> None:
        p = push.operand
        self.partials[p] = push.before
        self.pushes_done[p] -= 1
        self.ledger[p].pop()

    def run_backward(self) -> StepResult:
        lines: list[str] = []
        last: int | None = None
        while True:
            r = self.step_backward()
            if r.kind == "none" and lines:
                break
            lines.extend(r.lines)
            if r.kind != "backward":
                return StepResult(r.kind, r.node if r.kind != "none" else last, lines)
            last = r.node
        return StepResult("backward", last, lines)

    # ---- undo / reset / edit -------------------------------------------

    def undo(self) -> StepResult:
        if self.fault is not None:
            node = self.fault.node
            self.fault = None
            return StepResult("undo", node, [f"cleared the fault at {self.graph.nodes[node].name}"])
        if not self.history:
            return StepResult("none", None, ["nothing to undo"])
        step = self.history.pop()
        name = self.graph.nodes[step.node].name
        if isinstance(step, ForwardStep):
            self.values[step.node] = None
            return StepResult("undo", step.node, [f"undid forward step {name}"])
        for push in reversed(step.pushes):
            self._unpush(push)
        if step.seed:
            self.partials[step.node] = None
        self.backward_pos -= 1
        return StepResult("undo", step.node, [f"undid backward step {name}"])

    def reset(self) -> StepResult:
        for i in self.forward_order:
            self.values[i] = None
        self.history = []
        self.fault = None
        self._reset_backward()
        return StepResult("reset", None, ["reset: no values computed, no partials"])

    def set_value(self, name: str, value: float) -> list[int]:
        """Give a leaf a new value; returns the nodes whose values were invalidated."""
        i = self.graph.lookup(name)
        node = self.graph.nodes[i]
        if node.op is not None:
            raise CgtuiError(f"'{name}' is computed; only leaves take values")
        if not math.isfinite(value):
            raise CgtuiError(f"the value of '{name}' must be a finite number")
        self.values[i] = float(value)
        self._base[i] = float(value)
        node.value = float(value)
        stale = sorted(d for d in self.graph.descendants(i) if self.values[d] is not None)
        for d in stale:
            self.values[d] = None
        self.history = []
        self.fault = None
        self._reset_backward()
        return stale

    def set_kind(self, name: str, kind: Kind) -> None:
        self.graph.set_kind(name, kind)
        self.needs = differentiable(self.graph)
        self.history = [s for s in self.history if isinstance(s, ForwardStep)]
        self.set_output(self.output)

    # ---- explanations --------------------------------------------------

    def edges_in(self, i: int) -> list[tuple[int, int, str, Value | None]]:
        """For each operand slot of ``i``: (slot, operand, formula, value or None)."""
        g = self.graph
        node = g.nodes[i]
        rows: list[tuple[int, int, str, Value | None]] = []
        for slot, p in enumerate(node.operands):
            value: Value | None = None
            if self.values[i] is not None:
                with np.errstate(all="ignore"):
                    value, _ = local_derivative(g, i, slot, self.values)
            rows.append((slot, p, edge_formula(g, i, slot), value))
        return rows

    def accumulation(self, i: int) -> list[tuple[int, int, Push | None]]:
        """One term per outgoing edge that backprop pushes along: (result, slot, push or None)."""
        g = self.graph
        done = {(p.result, p.slot): p for p in self.ledger[i]}
        terms: list[tuple[int, int, Push | None]] = []
        for s, slot in g.successors(i):
            if self.path[s] and self.needs[s] and self.needs[i]:
                terms.append((s, slot, done.get((s, slot))))
        return terms


# --- formulas with names ---------------------------------------------------------------


def edge_formula(graph: Graph, i: int, slot: int) -> str:
    """The op table's formula for ``d node_i / d operand[slot]`` with the edge's names."""
    from cgtui.core.formula import substitute

    node = graph.nodes[i]
    op = OPS[node.op]  # type: ignore[index]
    names = {SLOT_NAMES[k]: graph.nodes[p].name for k, p in enumerate(node.operands)}
    names["out"] = node.name
    return substitute(op.partials[slot].formula, names)


def grad_check(
    graph: Graph,
    node: str,
    values: Sequence[Value | None],
    output: int,
    h: float | None = None,
) -> tuple[float, float, float, float]:
    """Nudge ``node`` by ±h and compare the central difference of L with dL/dnode.

    Returns ``(analytic, numeric, relative_error, h)``.
    """
    i = graph.lookup(node)
    vals = forward(graph, values)
    partials = backward(graph, vals, output)
    analytic = partials[i]
    base = vals[i]
    if type(base) is not float:
        raise CgtuiError("the gradient check works on one point, not a batch")
    if h is None:
        h = 1e-6 * max(1.0, abs(base))
    desc = sorted(graph.descendants(i))

    def loss_at(v: float) -> float:
        trial = list(vals)
        trial[i] = v
        with np.errstate(all="ignore"):
            for d in desc:
                val, problem = evaluate_node(graph, d, trial)
                if problem is not None:
                    raise NumericalFault(
                        f"gradient check of {node}: at {node} = {format_number(v)}, "
                        + _fault_text(graph, d, problem)
                    )
                trial[d] = val
        return float(trial[output])

    numeric = (loss_at(base + h) - loss_at(base - h)) / (2 * h)
    a = 0.0 if analytic is None else float(analytic)
    scale = max(abs(a), abs(numeric), 1e-12)
    return a, numeric, abs(a - numeric) / scale, h


def descent_step(
    graph: Graph, values: Sequence[Value | None], output: int, lr: float
) -> tuple[list[tuple[str, float, float]], float, float]:
    """p <- p - lr * dL/dp for every param. Returns (changes, loss before, loss after)."""
    vals = forward(graph, values)
    partials = backward(graph, vals, output)
    new = list(values)
    changes: list[tuple[str, float, float]] = []
    for i, n in enumerate(graph.nodes):
        if n.kind is Kind.PARAM:
            g = partials[i]
            old = vals[i]
            step = 0.0 if g is None else lr * g
            new[i] = old - step
            changes.append((n.name, old, new[i]))
    after = forward(graph, new)[output]
    return changes, vals[output], after


def is_leaf(node: Node) -> bool:
    return node.op is None
