"""Backward pushes along the edges of array-valued nodes.

One push along edge ``operand -> s`` adds ``dL/ds · ∂s/∂operand`` into the operand's
partial. For a tensor op the op table gives that product directly, as a
vector-Jacobian product of the upstream partial ``G = dL/ds``; for an elementwise op it
is ``G * local derivative``, entry by entry. Either way the result then goes through the
one broadcasting rule, :func:`cgtui.core.arrays.fit`: summed over the axes the operand
was broadcast along (a bias ``b`` of shape ``(3,)`` added to every row of a ``(4, 3)``
array gets the column sums of ``G``), so every partial has its node's shape.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from typing import Any

from cgtui.core import arrays
from cgtui.core.graph import Graph
from cgtui.core.lazy import np
from cgtui.core.notation import value_text
from cgtui.core.ops import OPS, Partial

Value = Any


def vjp(partial: Partial, g: Value, args: Sequence[Value], out: Value) -> tuple[Value | None, str | None]:
    """``G · ∂out/∂operand`` from a VJP entry, or ``(None, problem)``."""
    try:
        c = partial.rule(g, *args, out)
    except (ArithmeticError, ValueError):
        return None, "the vector-Jacobian product is undefined here"
    return arrays.out(c), None


def push(
    graph: Graph, s: int, slot: int, values: Sequence[Value], g: Value
) -> tuple[Value | None, str | None]:
    """The contribution of VJP edge ``operand[slot] -> s`` in its operand's shape."""
    node = graph.nodes[s]
    partial = OPS[node.op].partials[slot]  # type: ignore[index]
    args = [values[p] for p in node.operands]
    c, problem = vjp(partial, g, args, values[s])  # the passes ignore numpy's warnings
    if c is None:
        return None, problem
    return arrays.fit(c, arrays.shape_of(values[node.operands[slot]])), None


def scalar_local(partial: Partial, args: Sequence[Value]) -> Value:
    """A VJP entry's local derivative at scalar operands: its product with ``G = 1``
    (a VJP is linear in ``G``, so ``G · that`` is the product for any ``G``)."""
    return partial.rule(1.0, *args)


def scalar_local_rule(rule: Callable[..., Value], *args: Value) -> Value:
    """:func:`scalar_local` for the engine's fast scalar pass, which holds rules only."""
    return rule(1.0, *args)


def broadcast_note(c: Value, operand: Value) -> str:
    """The note a push carries when the broadcasting rule sums its contribution."""
    if not arrays.reduced(c, arrays.shape_of(operand)):
        return ""
    shapes = f"{arrays.shape_text(arrays.shape_of(c))} -> {arrays.shape_text(arrays.shape_of(operand))}"
    return f"{arrays.BROADCAST_RULE}: {shapes}"


def finite(v: Value) -> bool:
    return math.isfinite(v) if type(v) is float else bool(np.all(np.isfinite(v)))


def vjp_line(partial: str, upstream: str, formula: str, c: Value, before: Value, after: Value) -> str:
    """``dL/dW += transpose(X) @ G (G = dL/dv1) = [6 values ...]  (0 -> ...)``."""
    was = "0" if before is None else value_text(before)
    return f"{partial} += {formula} (G = {upstream}) = {value_text(c)}  ({was} -> {value_text(after)})"
