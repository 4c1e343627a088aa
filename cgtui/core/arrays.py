"""Rules for array-valued nodes: forward rules, vector-Jacobian products and shapes.

The op table (:mod:`cgtui.core.ops`) names these beside each tensor op's formula text.
Arrays are float64 numpy arrays; a shape ``()`` value is a Python float, so every
scalar graph runs exactly as before.

Conventions, chosen for a learner moving from scalars to layers:

* ``sum(A, axis=k)`` and ``mean(A, axis=k)`` keep the summed axis with length 1
  (numpy's ``keepdims=True``), so the result broadcasts back against ``A``
  (``A - mean(A, axis=0)``), and ``G`` broadcasts back the same way in the VJP.
* ``softmax``, ``log_softmax`` and ``cross_entropy`` work along the last axis;
  ``cross_entropy(logits, labels)`` is the mean over rows, with ``labels`` either class
  indices (shape ``(N,)``) or one row of probabilities per example (shape ``(N, C)``).
* :func:`fit` is the one broadcasting rule of the backward pass: a contribution is
  summed over the axes its operand was broadcast along, and broadcast back over the
  axes a reduction removed, so it has the operand's shape.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from cgtui.core.lazy import np

Shape = tuple[int, ...]
Value = Any  # a Python float (shape ()) or a float64 numpy array

#: The text of :func:`fit`, shown where a contribution is reduced.
BROADCAST_RULE = "G is summed over the axes its operand was broadcast along"


class ShapeMismatch(ValueError):
    """Operands whose shapes do not fit the op; the message names both shapes."""


def shape_of(v: Value) -> Shape:
    return () if type(v) is float else tuple(np.shape(v))


def shape_text(shape: Sequence[int]) -> str:
    """``(4, 2)``, ``(3,)``, ``()``: a shape as Python writes it."""
    return str(tuple(shape))


def out(v: Any) -> Value:
    """A result as the engine keeps it: a float for a shape ``()`` result."""
    arr = np.asarray(v, dtype=float)
    return float(arr) if arr.ndim == 0 else arr


# --- the broadcasting rule ------------------------------------------------------------------


def fit(c: Value, shape: Shape) -> Value:
    """``c`` brought to ``shape``: summed over broadcast axes, broadcast over reduced ones."""
    cs = shape_of(c)
    if cs == shape:
        return c
    arr = np.asarray(c, dtype=float)
    if len(cs) > len(shape):
        arr = arr.sum(axis=tuple(range(len(cs) - len(shape))))
    axes = tuple(k for k, n in enumerate(shape) if arr.ndim == len(shape) and n == 1 and arr.shape[k] != 1)
    if axes:
        arr = arr.sum(axis=axes, keepdims=True)
    if arr.shape != shape:
        arr = np.broadcast_to(arr, shape).copy()
    return out(arr)


def reduced(c: Value, shape: Shape) -> bool:
    """Whether :func:`fit` sums ``c`` to reach ``shape`` (the rule is shown when it acts)."""
    cs = shape_of(c)
    tail = cs[len(cs) - len(shape) :]
    return len(cs) > len(shape) or any(n == 1 and m != 1 for n, m in zip(shape, tail, strict=True))


# --- shapes -----------------------------------------------------------------------------------


def broadcast_shape(name: str, symbol: str | None, shapes: Sequence[Shape]) -> Shape:
    try:
        return tuple(np.broadcast_shapes(*shapes))
    except ValueError:
        joined = f" {symbol} ".join(map(shape_text, shapes)) if symbol else ", ".join(map(shape_text, shapes))
        raise ShapeMismatch(f"{name}: {joined}: shapes do not broadcast") from None


def matmul_shape(a: Shape, b: Shape) -> Shape:
    where = f"matmul: {shape_text(a)} @ {shape_text(b)}"
    if len(a) != 2 or len(b) != 2:
        raise ShapeMismatch(f"{where}: both operands must be 2-D (use reshape)")
    if a[1] != b[0]:
        raise ShapeMismatch(f"{where}: inner dimensions {a[1]} and {b[0]} differ")
    return (a[0], b[1])


def transpose_shape(a: Shape) -> Shape:
    if len(a) > 2:
        raise ShapeMismatch(f"transpose: {shape_text(a)}: transpose takes a 0-, 1- or 2-D array")
    return a[::-1]


def axis_of(name: str, shape: Shape, axis: float | None) -> int:
    """The axis a keyword names, checked against ``shape`` (``-1`` is the last)."""
    if axis is None:
        raise ShapeMismatch(f"{name}: axis must be a number written in the text (axis=0)")
    if not float(axis).is_integer() or not -len(shape) <= axis < len(shape):
        raise ShapeMismatch(f"{name}: axis {axis:g} is out of range for shape {shape_text(shape)}")
    return int(axis) % len(shape)


def reduce_shape(a: Shape, axis: int | None) -> Shape:
    if axis is None:
        return ()
    return tuple(1 if k == axis else n for k, n in enumerate(a))


def last_axis_shape(name: str, a: Shape) -> Shape:
    if not a:
        raise ShapeMismatch(f"{name}: needs an array (got shape ())")
    return a


def reshape_shape(a: Shape, rows: float | None, cols: float | None) -> Shape:
    if rows is None or cols is None:
        raise ShapeMismatch("reshape: the new shape must be numbers written in the text: reshape(A, 2, 3)")
    if not (float(rows).is_integer() and float(cols).is_integer()) or rows < 1 or cols < 1:
        raise ShapeMismatch(f"reshape: ({rows:g}, {cols:g}) is not a shape of positive whole numbers")
    if not a:
        raise ShapeMismatch("reshape: the operand has shape (); reshape takes an array")
    size = int(np.prod(a))
    if int(rows) * int(cols) != size:
        raise ShapeMismatch(
            f"reshape: {shape_text(a)} -> ({int(rows)}, {int(cols)}): "
            f"{size} entries do not fit {int(rows * cols)}"
        )
    return (int(rows), int(cols))


def cross_entropy_shape(logits: Shape, labels: Shape) -> Shape:
    where = f"cross_entropy: logits {shape_text(logits)}, labels {shape_text(labels)}"
    if len(logits) != 2:
        raise ShapeMismatch(f"{where}: logits must be 2-D (examples, classes)")
    if labels not in ((logits[0],), logits):
        raise ShapeMismatch(
            f"{where}: labels must be {shape_text(logits[:1])} (class indices) or {shape_text(logits)}"
        )
    return ()


# --- forward rules and VJPs -------------------------------------------------------------------


def matmul(a: Value, b: Value) -> Value:
    return out(np.matmul(a, b))


def transpose(a: Value) -> Value:
    return a if type(a) is float else np.transpose(a).copy()


def total(a: Value) -> Value:
    return float(np.sum(a))


def average(a: Value) -> Value:
    return float(np.mean(a))


def total_axis(a: Value, axis: float) -> Value:
    return out(np.sum(a, axis=int(axis), keepdims=True))


def average_axis(a: Value, axis: float) -> Value:
    return out(np.mean(a, axis=int(axis), keepdims=True))


def count(a: Value, result: Value) -> float:
    """``n``: how many entries of ``a`` each entry of a mean averages."""
    return float(np.size(a) // np.size(result))


def reshape(a: Value, rows: float, cols: float) -> Value:
    return np.reshape(np.asarray(a, dtype=float), (int(rows), int(cols))).copy()


def softmax(a: Value) -> Value:
    z = np.asarray(a, dtype=float)
    e = np.exp(z - z.max(axis=-1, keepdims=True))
    return e / e.sum(axis=-1, keepdims=True)


def log_softmax(a: Value) -> Value:
    z = np.asarray(a, dtype=float)
    shifted = z - z.max(axis=-1, keepdims=True)
    return shifted - np.log(np.exp(shifted).sum(axis=-1, keepdims=True))


def onehot(logits: Value, labels: Value) -> Any:
    """``Y``: the labels as rows of probabilities (class indices become one-hot rows)."""
    y = np.asarray(labels, dtype=float)
    if y.ndim == 2:
        return y
    rows = np.zeros(np.shape(logits))
    rows[np.arange(len(y)), y.astype(int)] = 1.0
    return rows


def cross_entropy(a: Value, b: Value) -> Value:
    return float(-np.sum(onehot(a, b) * log_softmax(a)) / np.shape(a)[0])


def cross_entropy_domain(a: Value, b: Value) -> str | None:
    y = np.asarray(b, dtype=float)
    if y.ndim == 1:
        classes = np.shape(a)[-1]
        bad = ~np.equal(np.mod(y, 1.0), 0.0) | (y < 0) | (y >= classes)
        if bad.any():
            return f"label {float(y[bad][0]):g} is not a class index 0 .. {classes - 1}"
    elif y.ndim == 2:
        # rows of probabilities: the VJP G * (softmax(a) - Y) / n holds only where each
        # row sums to 1 (in general it is softmax(a) * rowsum(Y) - Y)
        if (y < 0).any():
            r, c = np.argwhere(y < 0)[0]
            return f"label [{r}, {c}] is {float(y[r, c]):g}: rows of probabilities hold no negative entry"
        sums = np.sum(y, axis=-1)
        off = np.abs(sums - 1.0) > 1e-9 * np.shape(y)[-1]
        if off.any():
            r = int(np.argmax(off))
            return (
                f"label row {r} sums to {float(sums[r]):.12g}: rows of probabilities sum to 1 "
                "(or give class indices, one per row)"
            )
    return None


def cross_entropy_da(g: Value, a: Value, b: Value, result: Value) -> Value:
    return g * (softmax(a) - onehot(a, b)) / np.shape(a)[0]


def cross_entropy_db(g: Value, a: Value, b: Value, result: Value) -> Value:
    if np.ndim(b) == 1:
        return np.zeros(np.shape(b))  # class indices: not differentiable, taken as 0
    return -g * log_softmax(a) / np.shape(a)[0]


def softmax_vjp(g: Value, a: Value, result: Value) -> Value:
    return result * (g - np.sum(g * result, axis=-1, keepdims=True))


def log_softmax_vjp(g: Value, a: Value, result: Value) -> Value:
    return g - np.exp(result) * np.sum(g, axis=-1, keepdims=True)


# --- Jacobian-vector products (forward mode) ------------------------------------------------
# Each takes the operand's tangent ``t`` first, then the operands and the result, and gives
# ``∂out/∂operand · t`` in the result's shape. Linear ops (matmul in one slot, transpose,
# sums, means, reshape) apply themselves to the tangent.


def spread(t: Value, shape: Shape) -> Value:
    """A tangent contribution brought to the result's ``shape``: broadcast over the axes
    its operand was broadcast along (forward mode's side of :func:`fit`, which sums)."""
    if shape_of(t) == shape:
        return t
    return out(np.broadcast_to(np.asarray(t, dtype=float), shape).copy())


def softmax_jvp(t: Value, a: Value, result: Value) -> Value:
    return result * (t - np.sum(t * result, axis=-1, keepdims=True))


def log_softmax_jvp(t: Value, a: Value, result: Value) -> Value:
    return t - np.sum(np.exp(result) * t, axis=-1, keepdims=True)


def cross_entropy_jvp_a(t: Value, a: Value, b: Value, result: Value) -> Value:
    return float(np.sum((softmax(a) - onehot(a, b)) * t) / np.shape(a)[0])


def cross_entropy_jvp_b(t: Value, a: Value, b: Value, result: Value) -> Value:
    if np.ndim(b) == 1:
        return 0.0  # class indices: not differentiable, taken as 0
    return float(-np.sum(t * log_softmax(a)) / np.shape(a)[0])
