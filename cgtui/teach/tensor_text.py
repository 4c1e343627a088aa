"""What a lesson says about the edges of a tensor graph, as plain text: each node's
shape, each edge's vector-Jacobian product with the shape of every factor
(``G (4,3) @ W1ᵀ (3,2) -> (4,2)``), and the broadcasting rule where it acts.

The explorer's side pane (:mod:`cgtui.app.tensor_view`), the lesson sheets
(:mod:`cgtui.teach.handout`) and the exported code's comments (:mod:`cgtui.teach.codegen`)
all write a VJP through here, so they say the same thing. A VJP is the map
``G ↦ …`` from ``G = dL/d(out)`` to the operand's contribution to ``dL/d(operand)``
(:func:`cgtui.core.notation.vjp_map`); an elementwise op's edge is ``G * (∂z/∂w)``,
entry by entry.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from cgtui.core import arrays
from cgtui.core.graph import Graph, Kind
from cgtui.core.lazy import np
from cgtui.core.notation import short_shape
from cgtui.core.ops import OPS, SLOT_NAMES
from cgtui.engine.engine import edge_formula

Shape = tuple[int, ...]


def node_shapes(graph: Graph, values: Sequence[Any] = ()) -> list[Shape | None]:
    """Every node's shape: from its value when known (``values``, one per node, may be
    shorter or hold None), else from its operands' shapes by the op table's shape rules
    (None where a leaf has no value or a shape rule refuses)."""
    out: list[Shape | None] = []
    for i, node in enumerate(graph.nodes):  # topological order: operands first
        v = values[i] if i < len(values) else None
        if v is not None:
            out.append(arrays.shape_of(v))
            continue
        if node.op is None:
            out.append(None if node.value is None else arrays.shape_of(node.value))
            continue
        given = [out[p] for p in node.operands]
        if any(s is None for s in given):
            out.append(None)
            continue
        consts = [
            float(graph.nodes[p].value) if isinstance(graph.nodes[p].value, float) else None  # type: ignore[arg-type]
            for p in node.operands
        ]
        try:
            out.append(OPS[node.op].result_shape([s for s in given if s is not None], consts))
        except ValueError:
            out.append(None)
    return out


def vjp_factors(formula: str, graph: Graph, i: int, sh: Sequence[Shape | None]) -> str:
    """A VJP formula with its names and each factor's shape: ``transpose(b)`` is ``Wᵀ``,
    ``G @ transpose(b)`` is ``G (4,1) @ Uᵀ (1,2)``."""
    node = graph.nodes[i]
    names: dict[str, tuple[str, Shape | None]] = {
        SLOT_NAMES[k]: (graph.nodes[p].name, sh[p]) for k, p in enumerate(node.operands)
    }
    names["out"] = (node.name, sh[i])
    names["G"] = ("G", sh[i])
    if node.op == "cross_entropy" and node.operands:
        names["Y"] = ("Y", sh[node.operands[0]])

    def one(m: re.Match[str]) -> str:
        word = m.group(1) or m.group(2)
        if word not in names:
            return m.group(0)
        name, shape = names[word]
        if m.group(1):
            name += "ᵀ"
            shape = tuple(reversed(shape)) if shape is not None else None
        return name if shape is None else f"{name} {short_shape(shape)}"

    return re.sub(r"transpose\((\w+)\)|\b([A-Za-z_]\w*)\b(?!\s*\()", one, formula)


def vjp_shape(
    graph: Graph, i: int, slot: int, sh: Sequence[Shape | None], values: Sequence[Any] = ()
) -> Shape | None:
    """The shape of a VJP's result before the broadcasting rule fits it to its operand:
    the rule run at the node's values (ones where a value is not known)."""
    node = graph.nodes[i]
    partial = OPS[node.op].partials[slot]  # type: ignore[index]

    def value(k: int) -> Any:
        v = values[k] if k < len(values) else None
        if v is None:
            v = graph.nodes[k].value
        if v is None:
            s = sh[k]
            if s is None:
                return None
            v = 1.0 if s == () else np.ones(s)
        return v

    args = [value(p) for p in node.operands]
    out_shape = sh[i]
    out = value(i)
    if out_shape is None or out is None or any(a is None for a in args):
        return None
    upstream = 1.0 if out_shape == () else np.ones(out_shape)
    try:
        with np.errstate(all="ignore"):
            return arrays.shape_of(arrays.out(partial.rule(upstream, *args, out)))
    except (ArithmeticError, ValueError, IndexError, TypeError):
        return None


def broadcast_note(result: Shape, operand: Shape) -> str:
    """The broadcasting rule's line when it acts on a contribution of shape ``result``
    bound for an operand of shape ``operand`` (empty when the shapes agree)."""
    if result == operand:
        return ""
    lead = len(result) - len(operand)
    summed = list(range(lead)) if lead > 0 else []
    spread: list[int] = []
    tail = result[lead:] if lead >= 0 else result
    if len(tail) == len(operand):
        for k, (n, m) in enumerate(zip(operand, tail, strict=True)):
            if n == 1 and m != 1:
                summed.append(lead + k)
            elif m == 1 and n != 1:
                spread.append(k)
    text = f"{short_shape(result)} -> {short_shape(operand)}"
    if lead < 0 or (not summed and not spread):
        return f"broadcasting: spread over every entry of the operand: {text}"
    parts = []
    if summed:
        parts.append(f"summed over {_axes(summed)}, along which the operand was broadcast")
    if spread:
        parts.append(f"spread back over {_axes(spread)}")
    return f"broadcasting: {', '.join(parts)}: {text}"


def _axes(axes: Sequence[int]) -> str:
    return f"axis {axes[0]}" if len(axes) == 1 else "axes " + ", ".join(str(a) for a in axes)


#: The VJP of cross-entropy's labels when they are class indices (the op table's rule gives 0).
NOT_DIFFERENTIATED = "0 (class indices are not differentiated)"


def class_indices(graph: Graph, i: int, slot: int, sh: Sequence[Shape | None]) -> bool:
    """Whether edge ``operand[slot] -> i`` brings cross-entropy its labels as class indices."""
    node = graph.nodes[i]
    if node.op != "cross_entropy" or slot != 1:
        return False
    shape = sh[node.operands[1]]
    return shape is not None and len(shape) == 1


def vjp_formula(graph: Graph, i: int, slot: int, sh: Sequence[Shape | None]) -> str:
    """An array op's VJP with the edge's names (``G @ transpose(W1)``), as the map takes it."""
    from cgtui.engine.engine import edge_formula

    return NOT_DIFFERENTIATED if class_indices(graph, i, slot, sh) else edge_formula(graph, i, slot)


@dataclass(frozen=True)
class EdgeVjp:
    """One edge ``operand[slot] -> node`` of a tensor graph, as a lesson writes it."""

    formula: str  # the op table's: "G @ transpose(b)", or the local derivative "1 - out^2"
    vjp: bool  # a tensor op's VJP (else an elementwise op: G * ∂z/∂w, entry by entry)
    factors: str  # with names and shapes: "G (4,1) @ Uᵀ (1,2)" or "G (4,2) * (1 - H^2)"
    result: Shape | None  # the contribution's shape before the broadcasting rule
    operand: Shape | None
    note: str  # the broadcasting rule's line, or ""

    @property
    def text(self) -> str:
        """``G (4,1) @ Uᵀ (1,2) -> (4,2)``."""
        return self.factors if self.result is None else f"{self.factors} -> {short_shape(self.result)}"


def edge_vjp(
    graph: Graph, i: int, slot: int, sh: Sequence[Shape | None], values: Sequence[Any] = ()
) -> EdgeVjp:
    """Edge ``operand[slot] -> i`` with the shape of every factor."""
    node = graph.nodes[i]
    partial = OPS[node.op].partials[slot]  # type: ignore[index]
    p = node.operands[slot]
    out_shape = sh[i]
    if class_indices(graph, i, slot, sh):
        return EdgeVjp(NOT_DIFFERENTIATED, True, NOT_DIFFERENTIATED, sh[p], sh[p], "")
    if partial.vjp:
        factors = vjp_factors(partial.formula, graph, i, sh)
        result = vjp_shape(graph, i, slot, sh, values)
        formula = partial.formula
    else:
        formula = edge_formula(graph, i, slot)
        g = "G" if out_shape is None else f"G {short_shape(out_shape)}"
        factors = f"{g} * ({formula})"
        result = out_shape
    operand = sh[p]
    note = broadcast_note(result, operand) if result is not None and operand is not None else ""
    return EdgeVjp(formula, partial.vjp, factors, result, operand, note)


def step_shapes(graph: Graph, i: int, sh: Sequence[Shape | None]) -> str:
    """``(4,2) @ (2,2) -> (4,2)``: computed node ``i`` with its operands' shapes in the place
    of their names, and its result's shape; a literal number is written as itself
    (``(4,1) ^ 2 -> (4,1)``), and an unknown shape as ``?``."""
    from cgtui.engine.engine import application_text

    texts = [
        graph.nodes[p].name if _literal(graph, p) else "?" if sh[p] is None else short_shape(sh[p] or ())
        for p in graph.nodes[i].operands
    ]
    result = "?" if sh[i] is None else short_shape(sh[i] or ())
    return f"{application_text(graph, i, texts)} -> {result}"


def _literal(graph: Graph, p: int) -> bool:
    node = graph.nodes[p]
    return node.op is None and node.kind is Kind.CONST and not node.name.isidentifier()


def averaged_count(graph: Graph, i: int, sh: Sequence[Shape | None]) -> int | None:
    """``n``, where node ``i``'s VJPs name it: how many entries (cross-entropy: rows) each
    result entry averages."""
    node = graph.nodes[i]
    if node.op is None or not node.operands:
        return None
    formulas = " ".join(p.formula for p in OPS[node.op].partials)
    if "n" not in re.findall(r"\w+", formulas):
        return None
    size, out_shape = sh[node.operands[0]], sh[i]
    if size is None or out_shape is None:
        return None
    if node.op == "cross_entropy":  # the mean over rows
        return size[0] if size else None
    return int(np.prod(size)) // max(int(np.prod(out_shape)), 1)


def averaged_text(graph: Graph, i: int, sh: Sequence[Shape | None]) -> str | None:
    """``n = 4 (entries averaged)``, ``n = 300 (rows averaged)``, or None where no VJP of
    node ``i`` names ``n``."""
    n = averaged_count(graph, i, sh)
    if n is None:
        return None
    return f"n = {n} ({'rows' if graph.nodes[i].op == 'cross_entropy' else 'entries'} averaged)"
