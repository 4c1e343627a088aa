"""What the explorer shows of an array-valued node, as plain text (no textual here).

* :func:`tensor_lines`: the selected node's value and its partial ``dL/dnode`` as small
  tables or summaries (:mod:`cgtui.draw.arrays`), then the vector-Jacobian product of
  each incoming edge from the op table with the shape of every factor
  (``∂/∂v1: G (4,3) @ W1ᵀ (3,2) -> (4,2)``), and the broadcasting rule where it acts
  (which axes ``G`` is summed over).
* :func:`zoom_node`: the scalar graph a tensor node stands for (:mod:`cgtui.engine.zoom`),
  at the node's operand values and its upstream partial ``G`` (ones before backprop has
  reached it).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, cast

import numpy as np

from cgtui.core import arrays
from cgtui.core.graph import Graph, Kind
from cgtui.core.notation import partial_name
from cgtui.core.ops import OPS, SLOT_NAMES
from cgtui.draw.arrays import array_lines
from cgtui.engine.engine import Status, Stepper, edge_formula
from cgtui.engine.zoom import Zoom, ZoomError, zoom
from cgtui.lang.build import is_literal

Shape = tuple[int, ...]

#: Lines a value's or a partial's block map takes at most in the side pane.
MAP_HEIGHT = 6


def short_shape(shape: Sequence[int]) -> str:
    """``(4,3)``, ``(3,)``, ``()``: a shape without spaces."""
    inner = ",".join(str(n) for n in shape)
    return f"({inner},)" if len(shape) == 1 else f"({inner})"


def is_array(v: Any) -> bool:
    return v is not None and type(v) is not float and np.ndim(v) > 0


def shapes(graph: Graph, values: Sequence[Any]) -> list[Shape | None]:
    """Every node's shape: from its value when known, else from its operands' shapes by
    the op table's shape rules (None where a leaf has no value)."""
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


# --- the side pane's section ------------------------------------------------------------------


def tensor_lines(stepper: Stepper, i: int, width: int = 40) -> list[str]:
    """The value, the partial and the VJPs of node ``i`` when it or an operand holds an
    array; empty for a scalar node of a scalar graph."""
    g = stepper.graph
    node = g.nodes[i]
    sh = shapes(g, stepper.values)
    shape = sh[i]
    operand_arrays = any(sh[p] not in (None, ()) for p in node.operands)
    if shape in (None, ()) and not operand_arrays:
        return []
    width = max(width - 2, 12)
    lines: list[str] = []
    value: Any = stepper.values[i] if node.op is not None else node.value
    if is_array(value):
        lines.append(f"{node.name} {short_shape(np.shape(value))}:")
        lines += ["  " + line for line in array_lines(value, width=width, height=MAP_HEIGHT)]
    dname = partial_name(stepper.output_name, node.name)
    partial: Any = stepper.partials[i]
    if is_array(partial):
        done = "" if stepper.status(i) is Status.FINAL else " (so far)"
        lines.append(f"{dname} {short_shape(np.shape(partial))}{done}:")
        lines += ["  " + line for line in array_lines(partial, width=width, height=MAP_HEIGHT)]
    elif shape not in (None, ()):
        lines.append(f"{dname} {short_shape(shape or ())}: not yet computed")
    lines += vjp_lines(stepper, i, sh)
    return lines


def vjp_lines(stepper: Stepper, i: int, sh: Sequence[Shape | None] | None = None) -> list[str]:
    """``G`` and each incoming edge's vector-Jacobian product with the shape of every
    factor, and the broadcasting rule where it sums ``G`` (which axes)."""
    g = stepper.graph
    node = g.nodes[i]
    if node.op is None:
        return []
    sh = sh if sh is not None else shapes(g, stepper.values)
    out_shape = sh[i]
    if out_shape is None:
        return []
    op = OPS[node.op]
    gname = partial_name(stepper.output_name, node.name)
    lines = [f"VJP of each incoming edge, G = {gname} {short_shape(out_shape)}:"]
    for slot, p in enumerate(node.operands):
        operand = g.nodes[p]
        if not stepper.needs[p]:
            continue
        op_shape = sh[p]
        partial = op.partials[slot]
        if partial.vjp:
            formula = _with_shapes(partial.formula, g, i, sh)
            result = _vjp_shape(stepper, i, slot, sh)
        else:
            local = edge_formula(g, i, slot)
            formula = f"G {short_shape(out_shape)} * ({local})"
            result = out_shape
        if result is None:
            lines.append(f"  ∂/∂{operand.name}: {formula}")
            continue
        lines.append(f"  ∂/∂{operand.name}: {formula} -> {short_shape(result)}")
        if op_shape is not None:
            note = broadcast_note(result, op_shape)
            if note:
                lines.append(f"    {note}")
    if len(lines) == 1:
        return []
    if any(t == "n" for t in re.findall(r"\w+", " ".join(p.formula for p in op.partials))):
        size = sh[node.operands[0]]
        if size is not None:
            lines.append(f"  n = {int(np.prod(size)) // max(int(np.prod(out_shape)), 1)} (entries averaged)")
    return lines


def _with_shapes(formula: str, g: Graph, i: int, sh: Sequence[Shape | None]) -> str:
    """A VJP formula with its names and each factor's shape: ``transpose(b)`` is ``Wᵀ``."""
    node = g.nodes[i]
    names: dict[str, tuple[str, Shape | None]] = {
        SLOT_NAMES[k]: (g.nodes[p].name, sh[p]) for k, p in enumerate(node.operands)
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


def _vjp_shape(stepper: Stepper, i: int, slot: int, sh: Sequence[Shape | None]) -> Shape | None:
    """The shape of a VJP's result before the broadcasting rule fits it to its operand:
    the rule run at the node's values (ones where not yet computed)."""
    g = stepper.graph
    node = g.nodes[i]
    partial = OPS[node.op].partials[slot]  # type: ignore[index]
    args: list[Any] = []
    for p in node.operands:
        v = stepper.values[p] if stepper.values[p] is not None else g.nodes[p].value
        if v is None:
            s = sh[p]
            if s is None:
                return None
            v = 1.0 if s == () else np.ones(s)
        args.append(v)
    out_shape = sh[i]
    if out_shape is None:
        return None
    out = stepper.values[i]
    if out is None:
        out = 1.0 if out_shape == () else np.ones(out_shape)
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


# --- zoom --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Zoomed:
    """A node's zoom and how its upstream partial G was chosen."""

    zoom: Zoom
    node: str
    upstream_note: str  # "G = dL/dH, the partial backprop computed" or "G = ones: ..."


_SAME_NAME = {"matmul", "transpose", "sum", "mean", "softmax", "log_softmax", "cross_entropy"}


def zoom_node(stepper: Stepper, i: int) -> Zoomed:
    """The scalar graph node ``i`` stands for, at its operands' values; raises
    :class:`ZoomError` with a one-line reason where there is none to show."""
    g = stepper.graph
    node = g.nodes[i]
    if node.op is None:
        raise ZoomError(f"{node.name} is a leaf: select a computed node to zoom into")
    values: list[Any] = [stepper.values[p] for p in node.operands]
    if any(v is None for v in values):
        raise ZoomError(f"{node.name}'s operands have no values yet: run the forward pass (F) first")
    if not any(is_array(v) for v in values) and not is_array(stepper.values[i]):
        raise ZoomError(f"{node.name} is one number already: it is its own scalar graph")
    op = node.op
    operands = list(node.operands)
    options: dict[str, Any] = {}
    if op in ("sum_axis", "mean_axis"):
        op = op.removesuffix("_axis")
        options = {"axis": int(values[1]), "keepdims": True}
        operands, values = operands[:1], values[:1]
    elif op == "reshape":
        options = {"shape": (int(values[1]), int(values[2]))}
        operands, values = operands[:1], values[:1]
    elif op not in _SAME_NAME and op not in OPS:
        raise ZoomError(f"{node.name}: zoom does not know the op {op}")
    names: list[str | None] = []
    kinds: list[Kind] = []
    for p in operands:
        n = g.nodes[p]
        literal = n.op is None and is_literal(n) and not is_array(n.value)
        names.append(None if literal else n.name)
        computed = Kind.INPUT if n.op is not None else n.kind
        kinds.append(Kind.CONST if literal or n.kind is Kind.CONST else computed)
    partial: Any = stepper.partials[i]
    dname = partial_name(stepper.output_name, node.name)
    if stepper.status(i) is Status.FINAL and partial is not None:
        upstream = np.broadcast_to(np.asarray(partial, dtype=float), np.shape(cast(Any, stepper.values[i])))
        note = f"G = {dname}, the partial backprop computed"
    else:
        upstream = None
        note = f"G = ones: backprop has not reached {node.name} yet ({dname} unknown)"
    z = zoom(op, values, names=names, kinds=kinds, result=node.name, upstream=upstream, **options)
    return Zoomed(z, node.name, note)
