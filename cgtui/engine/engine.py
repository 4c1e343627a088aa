"""Forward and backward passes: all at once, or one node at a time.

:func:`forward` and :func:`backward` are the plain full passes (the CLI, training and
benchmarks use them). :class:`Stepper` is the state machine the explorer walks: each
forward step evaluates the next node in topological order; each backward step takes the
next node ``s`` in reverse topological order, whose partial ``dL/ds`` is then complete,
and pushes ``dL/ds · ∂s/∂p`` into each operand ``p``'s accumulator, one push per edge.
Every push is kept in a ledger, and every step can be undone. Both use the same
per-node rules from :mod:`cgtui.core.ops`, so they give the same numbers.

Only nodes that depend on a non-constant leaf are differentiated (constants and what is
computed from constants alone get no partial), so ``d^2`` never asks for d/d2.
"""

from __future__ import annotations

import bisect
import functools
import math
import operator
from array import array
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from itertools import compress, islice, repeat
from typing import Any

from cgtui.core import arrays, notation
from cgtui.core.errors import CgtuiError, NumericalFault, name_list, short_name
from cgtui.core.graph import Graph, Kind, LeafValue
from cgtui.core.lazy import np
from cgtui.core.notation import format_number, value_text
from cgtui.core.ops import OPS, SLOT_NAMES, Partial, Rule
from cgtui.engine import tensor

Value = Any  # float or float64 ndarray


# --- per-node rules shared by both paths --------------------------------------------


def _finite(v: Value) -> bool:
    if type(v) is float:
        return math.isfinite(v)
    # one pass: a finite sum means every entry is finite; else look entry by entry (a
    # sum of large finite entries may overflow)
    if type(v) is np.ndarray and math.isfinite(v.sum()):
        return True
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
    except ValueError:  # pragma: no cover - the domain check above names the problem first
        return None, "the result is undefined here"
    if type(v) is int:
        v = float(v)
    if not _finite(v):
        return None, _nonfinite(v)
    return v, None


def _nonfinite(v: Value) -> str:
    arr = np.asarray(v, dtype=float)
    if np.isnan(arr).any():
        return "the result is NaN"
    return "overflow: the result is too large"


def local_derivative(
    graph: Graph, i: int, slot: int, values: Sequence[Value]
) -> tuple[Value | None, str | None]:
    """``d node_i / d operand[slot]`` at the current values, or ``(None, problem)``."""
    node = graph.nodes[i]
    op = OPS[node.op]  # type: ignore[index]
    partial = op.partials[slot]
    args = [values[p] for p in node.operands]
    out = values[i]
    if partial.vjp:
        if not _all_float([*args, out]):
            return None, "a vector-Jacobian product: see its formula (dL/dout is G)"
        return _checked_local(graph, i, slot, lambda: tensor.scalar_local(partial, [*args, out]))
    if partial.domain is not None:
        problem = partial.domain(*args, out)
        if problem:
            return None, problem
    return _checked_local(graph, i, slot, lambda: partial.rule(*args, out))


def _checked_local(
    graph: Graph, i: int, slot: int, rule: Callable[[], Value]
) -> tuple[Value | None, str | None]:
    try:
        d = rule()
    except (ArithmeticError, ValueError):
        d = math.nan
    if type(d) is int:
        d = float(d)
    if not _finite(d):
        what = f"the local derivative {edge_text(graph, i, slot)}"
        return None, f"{what} is {'undefined' if np.isnan(d).any() else 'too large'} here"
    return d, None


def _unbroadcast(c: Value, like: Value) -> Value:
    """Sum a contribution over the batch when the node itself is one number; an array
    contribution is brought to its array node's shape (:func:`cgtui.core.arrays.fit`)."""
    if type(c) is not float and np.ndim(c) > np.ndim(like) and type(like) is float:
        return float(np.sum(c))
    if type(like) is not float and like is not None and np.shape(c) != np.shape(like):
        return arrays.fit(c, np.shape(like))
    return c


def edge_contribution(
    graph: Graph, s: int, slot: int, values: Sequence[Value], upstream: Value
) -> tuple[Value | None, Value | None, str | None]:
    """``(∂s/∂p, dL/ds · ∂s/∂p, problem)`` for edge ``p = operand[slot] -> s``; a tensor
    op's edge has no local derivative shown (None), only its vector-Jacobian product."""
    node = graph.nodes[s]
    if OPS[node.op].partials[slot].vjp and not _all_float([values[p] for p in node.operands]):  # type: ignore[index]
        c, problem = tensor.push(graph, s, slot, values, upstream)
        return None, c, problem
    d, problem = local_derivative(graph, s, slot, values)
    if d is None:
        return d, None, problem
    product = upstream if type(d) is float and d == 1.0 else upstream * d  # x * 1 is x, bit for bit
    return d, _unbroadcast(product, values[node.operands[slot]]), problem


# --- text (written with cgtui.core.notation) ---------------------------------------------


def application_text(graph: Graph, i: int, operand_texts: Sequence[str] | None = None) -> str:
    """``z + b``, ``-a``, ``exp(v1)``, ``(-2) ^ 0.5``: the op applied to its operands
    (names by default)."""
    node = graph.nodes[i]
    op = OPS[node.op]  # type: ignore[index]
    texts = operand_texts if operand_texts is not None else [graph.nodes[p].name for p in node.operands]
    return notation.apply(op, texts)


def arithmetic_text(graph: Graph, i: int, values: Sequence[Value | None]) -> str:
    """``yhat = z + b = 1 + 0.1 = 1.1``. Where an array takes part, ``v5 = v4 ^ 2 = (4,1)
    mean 0.5384``: an array operand has no one number to write in its place (its mean put
    there would read as arithmetic: mean 0.5384 is not (-0.3355)^2)."""
    node = graph.nodes[i]
    if node.op is None:
        return f"{node.name} = {value_text(values[i])}"
    symbolic = application_text(graph, i)
    result = values[i]
    if any(np.ndim(v) for v in map(values.__getitem__, (i, *node.operands)) if v is not None):
        return f"{node.name} = {symbolic} = {value_text(result)}"
    numeric = application_text(graph, i, [value_text(values[p]) for p in node.operands])
    return f"{node.name} = {symbolic} = {numeric} = {value_text(result)}"


# --- structure shared by the passes ----------------------------------------------------


def differentiable(graph: Graph, *, params_only: bool = False) -> list[bool]:
    """Whether each node depends on a leaf that is not a constant (a param, with
    ``params_only``)."""
    needs = [False] * len(graph)
    const = Kind.CONST
    kinds = graph.kind_list()
    for i, ops in enumerate(graph.operand_list()):
        if not ops:
            needs[i] = kinds[i] is Kind.PARAM if params_only else kinds[i] is not const
        elif needs[ops[0]] or (len(ops) == 2 and needs[ops[1]]):  # reshape's others are constants
            needs[i] = True
    return needs


def differentiable_leaves(graph: Graph) -> list[int]:
    """Leaves that take a gradient: every leaf but the constants, in graph order (in loops
    that run in C: ``cgtui grad`` asks it of 100,000 leaves)."""
    ops, kinds = graph.op_list(), graph.kind_list()
    consts = Kind.CONST in kinds
    if not consts:
        tape = graph.cache.get("engine.tape")  # (its leaves, when the passes made it)
        if isinstance(tape, _Tape) and tape.key == _tape_key(graph):
            return tape.leaves.tolist()
    takes: Iterator[bool] = map(operator.not_, ops)
    if consts:
        takes = map(operator.and_, takes, map(operator.is_not, kinds, repeat(Kind.CONST)))
    return list(compress(range(len(ops)), takes))


def on_path(graph: Graph, output: int) -> list[bool]:
    """Whether each node has a path to ``output`` (the output itself included)."""
    mark = [False] * len(graph)
    mark[output] = True
    operands = graph.operand_list()
    for i in range(output, -1, -1):
        if mark[i]:
            for p in operands[i]:
                mark[p] = True
    return mark


def leaf_values(graph: Graph, overrides: Mapping[str, float] | None = None) -> list[Value | None]:
    """Values for every node: leaves' from the graph and ``overrides``, the rest None."""
    ops = graph.op_list()
    values: list[Value | None] = list(graph.value_list())
    # the common case in loops that run in C: leaves hold floats or None, computations None
    if not (
        _FLOAT_OR_NONE.issuperset(map(type, values)) and not any(map(_is_not_none, compress(values, ops)))
    ):
        values = [
            None if op is not None or v is None else v if isinstance(v, np.ndarray) else float(v)
            for op, v in zip(ops, values, strict=True)
        ]
    for name, v in (overrides or {}).items():
        i = graph.lookup(name)
        if ops[i] is not None:
            raise CgtuiError(f"'{name}' is computed by the graph; only leaves take values")
        values[i] = float(v)
    return values


def missing_values(graph: Graph, values: Sequence[Value | None]) -> list[str]:
    rows = zip(graph.name_list(), graph.op_list(), values, strict=True)
    return [name for name, op, value in rows if op is None and value is None]


def require_values(graph: Graph, values: Sequence[Value | None]) -> None:
    missing = missing_values(graph, values)
    if missing:
        example = ",".join(f"{short_name(m)}=..." for m in missing[:3])
        raise CgtuiError(
            f"no value for {'leaf' if len(missing) == 1 else 'leaves'} {name_list(missing)} "
            f"(give {'it' if len(missing) == 1 else 'them'} with --at {example})"
        )


# --- the full passes -------------------------------------------------------------------
#
# Scalars take the fast path: a flat tape (an op code and operand indices per computation,
# made once per graph) walked by one tight loop, with the common ops (+ - * / neg relu)
# computed in line and every other op's rule called from the table. The loop does not
# check each number: a rule that raises stops it, and at the end one sum of every value
# tells whether any is inf or NaN (a non-finite number makes the sum non-finite, and it is
# kept in the values). Either way the pass is run again by the checked loop below, which
# checks each node as it goes (``v - v == 0.0`` is False for inf and NaN) and names the
# first problem with :func:`evaluate_node` / :func:`local_derivative`. Both loops compute
# what the table's rules compute, in the stepper's order, so the numbers are the
# stepper's, bit for bit. Batches (numpy arrays) take the checked loop.

_ADD, _SUB, _MUL, _DIV, _NEG, _RELU, _CALL1, _CALL2 = range(8)

#: The ops the tape computes in line, and the rules (forward, then each partial) that the
#: lines repeat, as the table had them at import: an entry replaced since (a test's, say)
#: has its rules called like any other op.
_INLINE: dict[str, tuple[int, tuple[object, ...]]] = {
    name: (code, (OPS[name].forward, *(p.rule for p in OPS[name].partials)))
    for name, code in (
        ("add", _ADD), ("sub", _SUB), ("mul", _MUL), ("div", _DIV), ("neg", _NEG), ("relu", _RELU)
    )
}


class _Tape:
    """A graph's computations as flat lists, in topological order: node, op code, first
    and second operand (the first again for a one-operand op). ``rules`` holds each
    called op's forward rule and partial rules, by node; ``leaves`` the leaves' indices."""

    __slots__ = ("codes", "firsts", "key", "leaves", "order", "plans", "rules", "seconds")

    def __init__(self, graph: Graph, key: tuple[object, ...]) -> None:
        self.key = key
        self.rules: dict[int, tuple[Rule, tuple[Rule, ...]]] = {}
        self.plans: dict[int, _Plan] = {}  # by output
        inline = {
            name: code
            for name, (code, rules) in _INLINE.items()
            if (OPS[name].forward, *(p.rule for p in OPS[name].partials)) == rules
        }
        operands = graph.operand_list()
        op_names = graph.op_list()
        numbers = range(len(operands))
        # (C ints, 4 bytes each: a list would hold an int object per node besides)
        self.order = array("i", compress(numbers, operands))
        self.leaves = array("i", compress(numbers, map(operator.not_, operands)))
        computed = list(filter(None, operands))
        self.firsts = list(map(_first, computed))
        self.seconds = list(map(_last, computed))
        called: Iterator[str] = compress(op_names, operands)  # type: ignore[arg-type] # (no None)
        self.codes: list[int] = list(map(inline.get, called, repeat(-1)))
        if -1 in self.codes:  # ops whose rules are called
            for k, code in enumerate(self.codes):
                if code == -1:
                    i = self.order[k]
                    ops = operands[i]
                    if len(ops) > 2:
                        raise _NotScalar
                    op = OPS[op_names[i]]  # type: ignore[index]
                    self.codes[k] = _CALL2 if len(ops) == 2 else _CALL1
                    self.rules[i] = (op.forward, tuple(map(_scalar_rule, op.partials)))


_first = operator.itemgetter(0)
_last = operator.itemgetter(-1)


class _Plan:
    """The backward pass from one output on a tape, for the leaves' kinds of the moment:
    the computations that push, from the output down (those with a path to the output
    through nodes that depend on a non-constant leaf), as positions on the tape (None:
    every computation up to the output), and where each one's pushes go when that is not
    its operands: ``sink`` (one past the last node) for an operand that takes no partial."""

    __slots__ = ("count", "positions", "sink", "to_firsts", "to_seconds")

    def __init__(self, graph: Graph, tape: _Tape, output: int) -> None:
        kinds = graph.kind_list()
        n = self.sink = len(kinds)
        order, firsts, seconds = tape.order, tape.firsts, tape.seconds
        const = Kind.CONST
        m = bisect.bisect_right(order, output)  # the computations up to the output
        self.count = m
        self.positions: list[int] | None = None
        self.to_firsts: list[int] | None = None
        self.to_seconds: list[int] | None = None
        consts = const in kinds
        if not consts:
            # every node takes a partial; when every computation up to the output is the
            # output or an operand of one of them, every one reaches the output (each is
            # used by a later one, up to the output): all push, to their operands (the
            # usual case, found by set operations in C rather than the loop below)
            used = set(firsts[:m])
            used.update(seconds[:m])
            used.add(output)
            if used.issuperset(order[:m]):
                return
        if consts:
            needs = [kind is not const for kind in kinds]
            for i, a, b in zip(order, firsts, seconds, strict=True):
                needs[i] = needs[a] or needs[b]
        else:
            needs = [True] * n
        reached = bytearray(n)
        reached[output] = 1
        kept: list[int] = []
        keep = kept.append
        for k in range(m - 1, -1, -1):
            i = order[k]
            if not (reached[i] and needs[i]):
                continue
            keep(k)
            a = firsts[k]
            if needs[a]:
                reached[a] = 1
            b = seconds[k]
            if needs[b]:
                reached[b] = 1
        self.positions = None if len(kept) == m else kept
        if not all(map(needs.__getitem__, self.walk(firsts))):
            self.to_firsts = [a if needs[a] else n for a in self.walk(firsts)]
        if not all(map(needs.__getitem__, self.walk(seconds))):
            self.to_seconds = [b if needs[b] else n for b in self.walk(seconds)]

    def walk(self, column: Sequence[int]) -> Iterator[int]:
        """A tape's column (its nodes, codes, operands...) in the order of the pushes."""
        if self.positions is None:
            return islice(reversed(column), len(column) - self.count, None)
        return map(column.__getitem__, self.positions)


class _NotScalar(Exception):
    """The graph has an op the tape does not take (more than two operands)."""


def _tape_key(graph: Graph) -> tuple[object, ...]:
    """What a graph's kept tape was made for: its nodes (added ones) and the op table's
    entries (the entries themselves: compared by identity first)."""
    return (len(graph), *OPS.values())


def _tape(graph: Graph) -> _Tape:
    """The graph's tape, made once and kept with the graph (its nodes never change once
    it is built; the key notices nodes added and op table entries replaced; a change of
    a leaf's kind empties the graph's cache)."""
    key = _tape_key(graph)
    tape = graph.cache.get("engine.tape")
    if not isinstance(tape, _Tape) or tape.key != key:
        tape = _Tape(graph, key)
        graph.cache["engine.tape"] = tape
    return tape


_FLOAT_OR_NONE = {float, type(None)}
_FLOAT = {float}


def _scalar_rule(partial: Partial) -> Rule:
    """A partial's rule at scalar operands: a tensor op's VJP taken with ``G = 1``."""
    return partial.rule if not partial.vjp else functools.partial(tensor.scalar_local_rule, partial.rule)


def _all_float(values: Sequence[Value | None]) -> bool:
    return set(map(type, values)) <= _FLOAT_OR_NONE


def forward(graph: Graph, values: Sequence[Value | None]) -> list[Value]:
    """Every node's value; raises :class:`NumericalFault` at the first bad node."""
    types = set(map(type, values))
    vals = [float(v) if type(v) is int else v for v in values] if int in types else list(values)
    if types <= _FLOAT_OR_NONE or types <= {float, int, type(None)}:
        try:
            tape = _tape(graph)
        except _NotScalar:
            tape = None
        if tape is not None:
            if None in map(vals.__getitem__, tape.leaves):
                require_values(graph, values)
            try:
                if _forward_tape(tape, vals):
                    return vals
            except (ArithmeticError, ValueError):
                pass
        require_values(graph, values)
        return _forward_checked(graph, vals)
    require_values(graph, values)
    with np.errstate(all="ignore"):
        for i, node in enumerate(graph.nodes):
            if node.op is not None:
                v, problem = evaluate_node(graph, i, vals)
                if problem is not None:
                    raise NumericalFault(_fault_text(graph, i, problem), node=node.name, op=node.op)
                vals[i] = v
    return vals


def _forward_tape(tape: _Tape, vals: list[Value]) -> bool:
    """The forward pass on the tape, unchecked; whether every value came out a finite float."""
    rules = tape.rules
    for i, code, a, b in zip(tape.order, tape.codes, tape.firsts, tape.seconds, strict=True):
        if code == _ADD:
            vals[i] = vals[a] + vals[b]
        elif code == _MUL:
            vals[i] = vals[a] * vals[b]
        elif code == _SUB:
            vals[i] = vals[a] - vals[b]
        elif code == _RELU:
            x = vals[a]
            vals[i] = x if x > 0 else 0.0
        elif code == _NEG:
            vals[i] = -vals[a]
        elif code == _DIV:
            vals[i] = vals[a] / vals[b]
        elif code == _CALL1:
            vals[i] = rules[i][0](vals[a])
        else:
            vals[i] = rules[i][0](vals[a], vals[b])
    total = sum(vals)
    return total - total == 0.0 and set(map(type, vals)) == _FLOAT


def _forward_checked(graph: Graph, vals: list[Value]) -> list[Value]:
    """The scalar forward pass, each node checked: a fault names the first bad node."""
    for i, node in enumerate(graph.nodes):
        ops = node.operands
        if not ops:
            continue
        try:
            f = OPS[node.op].forward  # type: ignore[index]
            v = f(*map(vals.__getitem__, ops))
            ok = type(v) is float and v - v == 0.0
        except (ArithmeticError, ValueError):
            ok = False
        if not ok:
            v = _evaluate_or_raise(graph, i, vals)
        vals[i] = v
    return vals


def _evaluate_or_raise(graph: Graph, i: int, vals: Sequence[Value]) -> Value:
    with np.errstate(all="ignore"):
        v, problem = evaluate_node(graph, i, vals)
    if problem is not None:
        node = graph.nodes[i]
        raise NumericalFault(_fault_text(graph, i, problem), node=node.name, op=node.op)
    return v


def _edge_fault(
    graph: Graph, s: int, slot: int, values: Sequence[Value], output: int, problem: str | None = None
) -> None:
    """Raise the fault for edge ``operand[slot] -> s``: its local derivative or its contribution."""
    nodes = graph.nodes
    node = nodes[s]
    p = node.operands[slot]
    if problem is None and not OPS[node.op].partials[slot].vjp:  # type: ignore[index]
        with np.errstate(all="ignore"):
            _, problem = local_derivative(graph, s, slot, values)
    if problem is None:
        partial = notation.partial_name(nodes[output].name, nodes[p].name)
        problem = f"overflow: the partial {partial} is not finite"
    raise NumericalFault(
        _fault_text(graph, s, f"{problem} (edge {nodes[p].name} -> {node.name})"), node=node.name, op=node.op
    )


def _sum_fault_text(graph: Graph, p: int, old: Value, c: Value, output: int) -> str:
    """The fault of node ``p`` whose partial overflowed while its successors' terms were
    summed (each term was finite)."""
    nodes = graph.nodes
    both_scalar = type(old) is float and type(c) is float
    terms = f"{value_text(old)} + {value_text(c)}" if both_scalar else "array terms"
    return (
        f"{nodes[p].name}: overflow: the partial {notation.partial_name(nodes[output].name, nodes[p].name)} "
        "is not finite "
        f"when its terms are summed ({terms})"
    )


def _sum_fault(graph: Graph, p: int, old: Value, c: Value, output: int) -> None:
    node = graph.nodes[p]
    raise NumericalFault(_sum_fault_text(graph, p, old, c, output), node=node.name, op=node.op)


def backward(
    graph: Graph, values: Sequence[Value], output: int, *, needs: Sequence[bool] | None = None
) -> list[Value | None]:
    """``dL/dnode`` for every node (L = ``output``); None where there is no partial.

    ``needs`` (default :func:`differentiable`) says which nodes get a partial: training
    a tensor graph asks only for what the params need, as PyTorch's ``requires_grad`` does.

    Nodes are visited in reverse topological order, so when node ``s`` is reached every
    successor has pushed into it and ``dL/ds`` is complete; ``s`` then pushes
    ``dL/ds · ∂s/∂p`` into each operand ``p``, one push per edge.
    """
    seed = values[output]
    if type(seed) is float and _all_float(values):
        if needs is None:
            try:
                grads = _backward_tape(graph, values, output)
                if grads is not None:
                    return grads
            except (ArithmeticError, ValueError, _NotScalar):
                pass
        return _backward_checked(graph, values, output, needs)
    nodes = graph.nodes
    if needs is None:
        needs = differentiable(graph)
    grads_: list[Value | None] = [None] * len(nodes)
    grads_[output] = np.ones_like(seed) if type(seed) is not float else 1.0
    with np.errstate(all="ignore"):
        for s in range(output, -1, -1):
            g = grads_[s]
            node = nodes[s]
            if g is None or node.op is None or not needs[s]:
                continue
            for slot, p in enumerate(node.operands):
                if not needs[p]:
                    continue
                _, c, problem = edge_contribution(graph, s, slot, values, g)
                if problem is not None:
                    _edge_fault(graph, s, slot, values, output, problem)
                if not _finite(c):
                    _edge_fault(graph, s, slot, values, output)
                old = grads_[p]
                if old is None:
                    grads_[p] = c
                else:
                    total = old + c
                    if not _finite(total):
                        _sum_fault(graph, p, old, c, output)
                    grads_[p] = total
    return grads_


def _backward_tape(graph: Graph, values: Sequence[Value], output: int) -> list[Value | None] | None:
    """The backward pass on the tape, unchecked; None unless every partial came out a
    finite float. Each push adds what the checked loop adds (``g * 1.0`` is ``g``,
    ``g * -1.0`` is ``-g``, exactly), in the same order."""
    tape = _tape(graph)
    plan = tape.plans.get(output)
    if plan is None:
        plan = tape.plans[output] = _Plan(graph, tape, output)
    sink = plan.sink
    grads: list[Value | None] = [None] * (sink + 1)
    grads[output] = 1.0
    rules = tape.rules
    walk = plan.walk
    pushes = zip(
        walk(tape.order),
        walk(tape.codes),
        walk(tape.firsts),
        walk(tape.seconds),
        walk(tape.firsts) if plan.to_firsts is None else plan.to_firsts,
        walk(tape.seconds) if plan.to_seconds is None else plan.to_seconds,
        strict=True,
    )
    for i, code, a, b, ta, tb in pushes:
        g = grads[i]
        if code == _ADD:
            old = grads[ta]
            grads[ta] = g if old is None else old + g
            old = grads[tb]
            grads[tb] = g if old is None else old + g
        elif code == _MUL:
            c = g * values[b]
            old = grads[ta]
            grads[ta] = c if old is None else old + c
            c = g * values[a]
            old = grads[tb]
            grads[tb] = c if old is None else old + c
        elif code == _RELU:
            c = g * (1.0 if values[a] > 0 else 0.0)
            old = grads[ta]
            grads[ta] = c if old is None else old + c
        elif code == _SUB:
            old = grads[ta]
            grads[ta] = g if old is None else old + g
            c = -g
            old = grads[tb]
            grads[tb] = c if old is None else old + c
        elif code == _NEG:
            c = -g
            old = grads[ta]
            grads[ta] = c if old is None else old + c
        else:
            partials = _INLINE["div"][1][1:] if code == _DIV else rules[i][1]
            out = values[i]
            if code == _CALL1:
                c = g * partials[0](values[a], out)  # type: ignore[operator]
                old = grads[ta]
                grads[ta] = c if old is None else old + c
                continue
            va, vb = values[a], values[b]
            if ta != sink:
                c = g * partials[0](va, vb, out)  # type: ignore[operator]
                old = grads[ta]
                grads[ta] = c if old is None else old + c
            if tb != sink:
                c = g * partials[1](va, vb, out)  # type: ignore[operator]
                old = grads[tb]
                grads[tb] = c if old is None else old + c
    del grads[sink]
    total = sum(filter(_is_not_none, grads))
    if total - total == 0.0 and set(map(type, grads)) <= _FLOAT_OR_NONE:
        return grads
    return None


_is_not_none: Any = functools.partial(operator.is_not, None)


def _backward_checked(
    graph: Graph, values: Sequence[Value], output: int, needs: Sequence[bool] | None = None
) -> list[Value | None]:
    """The scalar backward pass, each push checked: a fault names the first bad edge."""
    nodes = graph.nodes
    if needs is None:
        needs = differentiable(graph)
    grads: list[Value | None] = [None] * len(nodes)
    grads[output] = 1.0
    for s in range(output, -1, -1):
        g = grads[s]
        if g is None:
            continue
        node = nodes[s]
        ops = node.operands
        if not ops or not needs[s]:
            continue
        partials = OPS[node.op].partials  # type: ignore[index]
        args = [values[p] for p in ops]  # each rule takes the operands' values, then the node's
        args.append(values[s])
        for slot, p in enumerate(ops):
            if not needs[p]:
                continue
            try:
                c = g * _scalar_rule(partials[slot])(*args)
                ok = type(c) is float and c - c == 0.0
            except (ArithmeticError, ValueError):
                ok = False
            if not ok:
                _edge_fault(graph, s, slot, values, output)
            old = grads[p]
            if old is None:
                grads[p] = c
            else:
                total = old + c
                if total - total != 0.0:
                    _sum_fault(graph, p, old, c, output)
                grads[p] = total
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
    return Gradients(graph.names_of([out])[0], vals[out], vals, partials)


# --- the stepper -----------------------------------------------------------------------


class Status(StrEnum):
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
    """One edge's contribution: dL/ds · ∂s/∂p added into p's accumulator."""

    result: int  # s
    slot: int
    operand: int  # p
    upstream: Value  # dL/ds
    formula: str  # ∂s/∂p in cgtui's language, with the edge's names
    local: Value  # ∂s/∂p
    contribution: Value
    before: Value | None
    after: Value
    note: str = ""  # the broadcasting rule, when it summed the contribution

    def text(self, graph: Graph, output: str = "L") -> str:
        """``dL/dz += dL/dyhat · ∂yhat/∂z = 0.2 · 1 = 0.2  (0 -> 0.2)``; a tensor op's
        push shows its vector-Jacobian product, ``G`` being ``dL/ds``."""
        s, p = graph.nodes[self.result].name, graph.nodes[self.operand].name
        if self.local is None:
            line = tensor.vjp_line(
                notation.partial_name(output, p), notation.partial_name(output, s), self.formula,
                self.contribution, self.before, self.after,
            )
        else:
            line = notation.ledger_line(
                output, s, p, self.upstream, self.local, self.contribution, self.before, self.after
            )
        return f"{line}  [{self.note}]" if self.note else line


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
    """Forward and backward passes one node at a time, with a ledger and undo.

    Forward steps evaluate computation nodes in topological order. Backward steps
    visit, in reverse topological order, the nodes on a path to the output that depend
    on a non-constant leaf; the first is the output itself (the seed, dL/dL = 1). Every
    step is kept in ``history`` so any number of them can be undone. Each operation is
    O(1) or O(size of the node), so stepping through 100,000 nodes is linear.
    """

    def __init__(
        self, graph: Graph, output: str | int | None = None, values: Mapping[str, float] | None = None
    ) -> None:
        self.graph = graph
        self.values: list[Value | None] = leaf_values(graph, values)
        self.needs = differentiable(graph)
        self.arrays = graph.has_arrays  # a tensor graph: pushes say when they are broadcast
        n = len(graph)
        self.forward_order = list(compress(range(n), graph.op_list()))
        self._forward_pos = [-1] * n
        for k, i in enumerate(self.forward_order):
            self._forward_pos[i] = k
        self._cursor = 0  # no forward node before this position is uncomputed
        self._computed = 0
        self.history: list[ForwardStep | BackwardStep] = []
        self.fault: StepFault | None = None
        self.output = 0
        self.set_output(graph.outputs[0] if output is None else output)

    # ---- configuration -------------------------------------------------

    def set_output(self, output: str | int) -> None:
        """Differentiate ``output`` from now on (forward values are kept, partials dropped)."""
        g = self.graph
        out = g.lookup(output) if isinstance(output, str) else output
        if not 0 <= out < len(g.nodes):
            raise CgtuiError(f"no node number {out}")
        self.output = out
        self.path = on_path(g, out)
        ops, operands, needs = g.op_list(), g.operand_list(), self.needs
        self.backward_order = [out] + [
            i for i in range(out - 1, -1, -1) if self.path[i] and ops[i] is not None and needs[i]
        ]
        # the pushes each node receives before its partial is final
        need = [0] * len(g)
        for s in self.backward_order:
            if needs[s]:
                for p in operands[s]:
                    if needs[p]:
                        need[p] += 1
        self.pushes_needed = need
        self._reset_backward()

    def _reset_backward(self) -> None:
        n = len(self.graph.nodes)
        self.partials: list[Value | None] = [None] * n
        self.pushes_done = [0] * n
        self.ledger: list[list[Push]] = [[] for _ in range(n)]
        self.backward_pos = 0
        self.history = [s for s in self.history if isinstance(s, ForwardStep)]
        if self.fault is not None and self.fault.backward:
            self.fault = None

    def _store(self, i: int, v: Value | None) -> None:
        """Set or clear a computation node's value, keeping the forward cursor right."""
        was = self.values[i] is not None
        self.values[i] = v
        if v is None:
            if was:
                self._computed -= 1
            self._cursor = min(self._cursor, self._forward_pos[i])
        elif not was:
            self._computed += 1

    # ---- state ---------------------------------------------------------

    @property
    def output_name(self) -> str:
        return self.graph.nodes[self.output].name

    @property
    def forward_done(self) -> int:
        return self._computed

    @property
    def forward_total(self) -> int:
        return len(self.forward_order)

    @property
    def forward_complete(self) -> bool:
        return self._computed == len(self.forward_order)

    @property
    def backward_done(self) -> int:
        return self.backward_pos

    @property
    def backward_total(self) -> int:
        return len(self.backward_order)

    @property
    def backward_complete(self) -> bool:
        return self.backward_pos == len(self.backward_order)

    def next_forward(self) -> int | None:
        order = self.forward_order
        k = self._cursor
        while k < len(order) and self.values[order[k]] is not None:
            k += 1
        self._cursor = k
        return order[k] if k < len(order) else None

    def next_backward(self) -> int | None:
        if self.backward_pos < len(self.backward_order):
            return self.backward_order[self.backward_pos]
        return None

    def status(self, i: int) -> Status:
        """Where node ``i``'s partial stands: final, pending, no path to the output ..."""
        if self.fault is not None and self.fault.node == i:
            return Status.FAULT
        if not self.path[i]:
            return Status.NO_PATH
        if i == self.output:
            if self.partials[i] is not None:
                return Status.FINAL
            return Status.PENDING if self.values[i] is not None else Status.UNCOMPUTED
        if not self.needs[i]:
            return Status.CONSTANT
        if self.values[i] is None:
            return Status.UNCOMPUTED
        if self.pushes_done[i] == self.pushes_needed[i]:
            return Status.FINAL
        return Status.PENDING

    def can_undo(self) -> bool:
        return bool(self.history) or self.fault is not None

    def params(self) -> list[tuple[str, Value | None]]:
        return [(n.name, self.values[i]) for i, n in enumerate(self.graph.nodes) if n.kind is Kind.PARAM]

    def _stopped(self) -> StepResult:
        assert self.fault is not None
        return StepResult("fault", self.fault.node, [f"stopped: {self.fault.message} (undo or edit a value)"])

    # ---- forward -------------------------------------------------------

    def step_forward(self) -> StepResult:
        """Evaluate the next node in topological order."""
        if self.fault is not None:
            return self._stopped()
        i = self.next_forward()
        if i is None:
            return StepResult("none", None, ["the forward pass is complete"])
        g = self.graph
        if any(self.values[p] is None for p in g.nodes[i].operands):
            # computations before i are computed, so only leaves can be missing
            missing = sorted(g.nodes[p].name for p in g.ancestors(i) if self.values[p] is None)
            return StepResult("none", None, [f"no value for {name_list(missing)}: set it first"])
        with np.errstate(all="ignore"):
            v, problem = evaluate_node(g, i, self.values)
        if problem is not None:
            msg = _fault_text(g, i, problem)
            self.fault = StepFault(i, msg, backward=False)
            return StepResult("fault", i, [msg])
        self._store(i, v)
        step = ForwardStep(i, v, arithmetic_text(g, i, self.values))
        self.history.append(step)
        return StepResult("forward", i, [step.text])

    def run_forward(self) -> StepResult:
        """Step forward to the end of the forward pass (or to a fault)."""
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
        """Take the next node s in reverse topological order, whose partial is now final,
        and push dL/ds · ∂s/∂p into each operand p, one push per edge."""
        if self.fault is not None:
            return self._stopped()
        prefix: list[str] = []
        if not self.forward_complete:
            r = self.run_forward()
            if r.kind != "forward" or not self.forward_complete:
                return StepResult(r.kind, r.node, [*r.lines, "the backward pass needs the forward pass"])
            prefix = [f"forward pass completed first ({len(r.lines)} steps)", *r.lines]
        s = self.next_backward()
        if s is None:
            return StepResult("none", None, [*prefix, "the backward pass is complete"])
        g = self.graph
        out = self.output_name
        node = g.nodes[s]
        seed = s == self.output
        if seed:
            out_val = self.values[s]
            self.partials[s] = 1.0 if type(out_val) is float else np.ones_like(out_val)
        upstream = self.partials[s]
        assert upstream is not None
        if seed:
            head = f"{notation.partial_name(out, out)} = 1 (the seed)"
        else:
            head = f"{notation.partial_name(out, node.name)} = {value_text(upstream)} is final"
        lines = [*prefix, head]
        pushes: list[Push] = []
        with np.errstate(all="ignore"):
            for slot, p in enumerate(node.operands):
                if not (self.needs[p] and self.needs[s]):
                    continue
                d, c, problem = edge_contribution(g, s, slot, self.values, upstream)
                if problem is None and not _finite(c):
                    partial = notation.partial_name(out, g.nodes[p].name)
                    problem = f"overflow: the partial {partial} is not finite"
                if problem is not None:
                    for push in reversed(pushes):  # this step never happened
                        self._unpush(push)
                    if seed:
                        self.partials[s] = None
                    msg = _fault_text(g, s, f"{problem} (edge {g.nodes[p].name} -> {node.name})")
                    self.fault = StepFault(s, msg, backward=True)
                    return StepResult("fault", s, [*lines, msg])
                before = self.partials[p]
                after = c if before is None else before + c
                if before is not None and not _finite(after):
                    for push in reversed(pushes):  # this step never happened
                        self._unpush(push)
                    if seed:
                        self.partials[s] = None
                    msg = _sum_fault_text(g, p, before, c, self.output)
                    self.fault = StepFault(p, msg, backward=True)
                    return StepResult("fault", p, [*lines, msg])
                broadcast = self.arrays and d is not None
                note = tensor.broadcast_note(upstream, self.values[p]) if broadcast else ""
                push = Push(s, slot, p, upstream, edge_formula(g, s, slot), d, c, before, after, note)
                self.partials[p] = after
                self.pushes_done[p] += 1
                self.ledger[p].append(push)
                pushes.append(push)
                lines.append(push.text(g, out))
        step = BackwardStep(s, upstream, pushes, seed, head)
        self.history.append(step)
        self.backward_pos += 1
        return StepResult("backward", s, lines)

    def _unpush(self, push: Push) -> None:
        p = push.operand
        self.partials[p] = push.before
        self.pushes_done[p] -= 1
        self.ledger[p].pop()

    def run_backward(self) -> StepResult:
        """Step backward to the end (completing the forward pass first if needed)."""
        lines: list[str] = []
        last: int | None = None
        while True:
            r = self.step_backward()
            if r.kind == "none" and last is not None:
                break
            lines.extend(r.lines)
            if r.kind != "backward":
                return StepResult(r.kind, r.node if r.kind != "none" else last, lines)
            last = r.node
        return StepResult("backward", last, lines)

    # ---- undo / reset / edit -------------------------------------------

    def undo(self) -> StepResult:
        """Clear a fault, or take back the last step (forward or backward)."""
        if self.fault is not None:
            node = self.fault.node
            self.fault = None
            return StepResult("undo", node, [f"cleared the fault at {self.graph.nodes[node].name}"])
        if not self.history:
            return StepResult("none", None, ["nothing to undo"])
        step = self.history.pop()
        name = self.graph.nodes[step.node].name
        if isinstance(step, ForwardStep):
            self._store(step.node, None)
            return StepResult("undo", step.node, [f"undid forward step {name}"])
        for push in reversed(step.pushes):
            self._unpush(push)
        if step.seed:
            self.partials[step.node] = None
        self.backward_pos -= 1
        return StepResult("undo", step.node, [f"undid backward step {name}"])

    def reset(self) -> StepResult:
        for i in self.forward_order:
            self._store(i, None)
        self.history = []
        self.fault = None
        self._reset_backward()
        return StepResult("reset", None, ["reset: no values computed, no partials"])

    def set_value(self, name: str, value: LeafValue) -> list[int]:
        """Give a leaf a new value (an array leaf: an array of its shape, as a descent
        step gives): the forward values downstream of it and every partial are
        invalidated (other forward values and their steps are kept). Returns the nodes
        whose values were invalidated."""
        i = self.graph.lookup(name)
        node = self.graph.nodes[i]
        if node.op is not None:
            raise CgtuiError(f"'{name}' is computed; only leaves take values")
        if isinstance(node.value, np.ndarray):
            shape = arrays.shape_text(node.value.shape)
            if not isinstance(value, np.ndarray) or value.shape != node.value.shape:
                message = f"'{name}' holds an array {shape}; edit it in the YAML file (not one number)"
                raise CgtuiError(message)
            if not bool(np.all(np.isfinite(value))):
                raise CgtuiError(f"every entry of '{name}' must be a finite number")
            new = np.array(value, dtype=np.float64)  # a copy: the caller's array stays theirs
            self.values[i] = new
            node.value = new
        elif isinstance(value, np.ndarray):
            raise CgtuiError(f"'{name}' holds one number, not an array")
        else:
            if not math.isfinite(value):
                raise CgtuiError(f"the value of '{name}' must be a finite number")
            self.values[i] = float(value)
            node.value = float(value)
        stale = sorted(d for d in self.graph.descendants(i) if self.values[d] is not None)
        for k in stale:
            self._store(k, None)
        dropped = set(stale)
        self.history = [s for s in self.history if isinstance(s, ForwardStep) and s.node not in dropped]
        self.fault = None
        self._reset_backward()
        return stale

    def set_kind(self, name: str, kind: Kind) -> None:
        """Mark a leaf as input, label, param or constant (partials start again)."""
        self.graph.set_kind(name, kind)
        self.needs = differentiable(self.graph)
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
    node = graph.nodes[i]
    nodes = graph.nodes
    names = tuple(nodes[p].name for p in node.operands)
    return _named_formula(node.op, slot, names, node.name)


@functools.lru_cache(maxsize=1 << 16)
def _named_formula(op: str, slot: int, operands: tuple[str, ...], out: str) -> str:
    """An op's local-derivative formula with the edge's names, parsed once per edge: a
    backward pass writes every edge's formula, often more than once."""
    from cgtui.lang.formula import substitute

    names = {SLOT_NAMES[k]: name for k, name in enumerate(operands)}
    names["out"] = out
    return substitute(OPS[op].partials[slot].formula, names)


def edge_text(graph: Graph, i: int, slot: int) -> str:
    """``∂z/∂w = x``: the local derivative of edge ``operand[slot] -> i`` with its formula."""
    node = graph.nodes[i]
    operand = graph.nodes[node.operands[slot]].name
    return notation.local_formula(node.name, operand, edge_formula(graph, i, slot))


def grad_check(
    graph: Graph,
    node: str,
    values: Sequence[Value | None],
    output: int,
    h: float | None = None,
    *,
    passes: tuple[Sequence[Value], Sequence[Value | None]] | None = None,
) -> tuple[float, float, float, float]:
    """Nudge ``node`` by ±h and compare the central difference of L with dL/dnode.

    ``h`` defaults to ``1e-6 * max(1, |v|)``, or ``1e-3 * |v|`` when the default step
    leaves an op's domain (``log`` at 1e-9). ``passes`` (forward values, partials) saves
    recomputing them when checking many nodes. Returns ``(analytic, numeric,
    relative_error, h)``; the relative error is ``|a - n| / max(|a|, |n|, 1e-12)``.
    """
    i = graph.lookup(node)
    if passes is None:
        vals = forward(graph, values)
        partials = backward(graph, vals, output)
    else:
        vals, partials = list(passes[0]), list(passes[1])
    analytic = partials[i]
    base = vals[i]
    if type(base) is not float and graph.has_arrays:
        return grad_check_entries(graph, i, vals, analytic, output, h)[1:]
    if type(base) is not float:
        raise CgtuiError("the gradient check works on one point, not a batch")
    default_h = h is None
    if h is None:
        h = 1e-6 * max(1.0, abs(base))
    desc = sorted(graph.descendants(i))
    if not _step_resolves(base, h):
        raise NumericalFault(
            f"gradient check of {node}: the step h = {format_number(h)} is lost against "
            f"{node} = {format_number(base)} ({node} + h rounds to {format_number(base + h)}); "
            "use a larger step",
            node=node,
        )

    def loss_at(v: float) -> float:
        where = f"gradient check of {node}: at {node} = {format_number(v)}, "
        return _loss_with(graph, vals, i, v, desc, output, where)

    try:
        numeric = (loss_at(base + h) - loss_at(base - h)) / (2 * h)
    except NumericalFault:
        # near the edge of a domain (log at 1e-9) the default step leaves it: retry with a
        # step scaled to the value itself before reporting a fault
        small = 1e-3 * abs(base)
        if not default_h or not 0.0 < small < h:
            raise
        h = small
        numeric = (loss_at(base + h) - loss_at(base - h)) / (2 * h)
    a = 0.0 if analytic is None else float(analytic)
    scale = max(abs(a), abs(numeric), 1e-12)
    return a, numeric, abs(a - numeric) / scale, h


def _loss_with(
    graph: Graph, vals: Sequence[Value], i: int, value: Value, desc: Sequence[int], output: int, where: str
) -> float:
    """The output's value with node ``i`` set to ``value`` (its descendants ``desc``
    recomputed in order); a fault is raised with ``where`` before its text."""
    trial = list(vals)
    trial[i] = value
    with np.errstate(all="ignore"):
        for d in desc:
            val, problem = evaluate_node(graph, d, trial)
            if problem is not None:
                raise NumericalFault(where + _fault_text(graph, d, problem))
            trial[d] = val
    return float(trial[output])


#: An array node's gradient check nudges at most this many of its entries (evenly spread).
CHECKED_ENTRIES = 64


def grad_check_entries(
    graph: Graph, i: int, vals: Sequence[Value], analytic: Value | None, output: int, h: float | None
) -> tuple[tuple[int, ...], float, float, float, float]:
    """:func:`grad_check` of an array node, entry by entry: ``(index, analytic, numeric,
    relative error, h)`` of the worst entry. An entry's error is relative to the larger of its two
    derivatives and a thousandth of the largest analytic entry (an entry near 0 is
    otherwise all rounding noise)."""
    base = np.asarray(vals[i], dtype=float)
    given = np.zeros_like(base) if analytic is None else np.asarray(analytic, dtype=float)
    grad = np.broadcast_to(given, base.shape)
    desc = sorted(graph.descendants(i))
    scale = 1e-3 * float(np.max(np.abs(grad))) if grad.size else 0.0
    picks = np.unique(np.linspace(0, base.size - 1, min(base.size, CHECKED_ENTRIES)).astype(int))
    worst: tuple[tuple[int, ...], float, float, float, float] = ((), 0.0, 0.0, -1.0, 0.0)

    def loss_at(trial_value: Value) -> float:
        where = f"gradient check of {graph.nodes[i].name}: "
        return _loss_with(graph, vals, i, trial_value, desc, output, where)

    for flat in picks.tolist():
        k = np.unravel_index(flat, base.shape)
        step = h if h is not None else 1e-6 * max(1.0, abs(float(base[k])))
        up, down = base.copy(), base.copy()
        up[k] += step
        down[k] -= step
        numeric = (loss_at(up) - loss_at(down)) / (2 * step)
        a = float(grad[k])
        rel = abs(a - numeric) / max(abs(a), abs(numeric), scale, 1e-12)
        if rel > worst[3]:
            worst = (tuple(int(n) for n in k), a, numeric, rel, step)
    return worst


def _step_resolves(base: float, h: float) -> bool:
    """Whether ``base ± h`` are 2h apart in floating point (to 0.1%): a step that
    rounds away makes a central difference of 0 or noise, never an agreement."""
    with np.errstate(all="ignore"):
        spread = (base + h) - (base - h)
    return math.isfinite(spread) and spread > 0 and abs(spread - 2 * h) <= 1e-3 * 2 * h


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
            with np.errstate(all="ignore"):
                step = 0.0 if g is None else lr * g
                updated = old - step
            if not _finite(updated):
                raise NumericalFault(
                    f"descent step: {n.name} - {format_number(lr)} * d{graph.nodes[output].name}/d{n.name} "
                    "is not finite (the learning rate is too large)",
                    node=n.name,
                )
            new[i] = updated
            changes.append((n.name, old, updated))
    after = forward(graph, new)[output]
    return changes, vals[output], after


