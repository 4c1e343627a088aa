"""What the explorer shows of an array-valued node, as plain text (no textual here).

* :func:`tensor_lines`: the selected node's value and its partial ``dL/dnode`` as small
  tables or summaries (:mod:`cgtui.draw.arrays`), then the vector-Jacobian product of
  each incoming edge from the op table with the shape of every factor
  as what it adds to the operand's partial (``dL/dv1 += G (4,3) @ W1ᵀ (3,2) -> (4,2)``), and
  the broadcasting rule where it acts (which axes ``G`` is summed over). The texts are
  :mod:`cgtui.teach.tensor_text`'s, which the lesson sheets and exported code share.
* :func:`zoom_node`: the scalar graph a tensor node stands for (:mod:`cgtui.engine.zoom`),
  at the node's operand values and its upstream partial ``G`` (ones before backprop has
  reached it).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, cast

from cgtui.core.graph import Kind
from cgtui.core.lazy import np
from cgtui.core.notation import partial_name, short_shape, vjp_contribution, vjp_map
from cgtui.core.ops import OPS
from cgtui.draw.arrays import array_lines
from cgtui.engine.engine import Status, Stepper
from cgtui.engine.zoom import Zoom, ZoomError, zoom
from cgtui.lang.build import is_literal
from cgtui.teach.tensor_text import averaged_text, broadcast_note, edge_vjp
from cgtui.teach.tensor_text import node_shapes as shapes

__all__ = ["broadcast_note", "is_array", "shapes", "short_shape", "tensor_lines", "vjp_lines", "zoom_node"]

Shape = tuple[int, ...]

#: Lines a value's or a partial's block map takes at most in the side pane.
MAP_HEIGHT = 6


def is_array(v: Any) -> bool:
    return v is not None and type(v) is not float and np.ndim(v) > 0


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
    """``G`` and what each incoming edge's vector-Jacobian product adds to its operand's
    partial, with the shape of every factor (``dL/dH += G (4,1) @ Uᵀ (1,2) -> (4,2)``),
    and the broadcasting rule where it sums ``G`` (which axes)."""
    g = stepper.graph
    node = g.nodes[i]
    if node.op is None:
        return []
    sh = sh if sh is not None else shapes(g, stepper.values)
    out_shape = sh[i]
    if out_shape is None:
        return []
    gname = partial_name(stepper.output_name, node.name)
    lines = [f"VJP of each incoming edge ({vjp_map('…')}), G = {gname} {short_shape(out_shape)}:"]
    for slot, p in enumerate(node.operands):
        if not stepper.needs[p]:
            continue
        edge = edge_vjp(g, i, slot, sh, stepper.values)
        lines.append(f"  {vjp_contribution(stepper.output_name, g.nodes[p].name, edge.text)}")
        if edge.note:
            lines.append(f"    {edge.note}")
    if len(lines) == 1:
        return []
    n = averaged_text(g, i, sh)
    if n is not None:
        lines.append(f"  {n}")
    return lines


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
