"""How cgtui writes maths: the one home of every view's and command's notation.

The convention (the README and the explorer's help screen say the same):

* ``∂z/∂w`` is the **local derivative** of one edge ``w -> z``: the op table's rule
  for that edge alone (``∂z/∂w = x`` for ``z = w * x``). It never depends on the output.
* ``dL/dz`` is the **partial of the output** ``L`` with respect to ``z``, the number
  backprop caches at ``z``: the sum, over every path from ``z`` to ``L``, of the
  products of the local derivatives along it.
* One backward push is the ledger line
  ``dL/dx += dL/ds · ∂s/∂x = 1 · 5 = 5  (3 -> 8)``: ``·`` multiplies derivatives.
* An operand that reads as a negative number is bracketed: ``x * (-3)``, ``2 · (-0.2)``.
* Numbers have at most 12 significant digits: ``0.4``, not ``0.40000000000000036``.

Where the output cannot carry ``∂`` (a terminal or pipe whose encoding is ASCII or
Latin-1), :func:`ascii_fallback` rewrites ``∂z/∂w`` as ``d_z/d_w`` and ``·`` as
``*``; the CLI installs it on stdout and stderr with :func:`use_ascii_fallback`.
LaTeX writes ``\\partial`` and ``\\cdot`` (:data:`LATEX`). JSON, Markdown and the
explorer carry Unicode as it is.

This module imports nothing of cgtui's, so every layer, the op table included, can use it.
"""

from __future__ import annotations

import codecs
import math
import re
from collections.abc import Iterable, Mapping, Sequence
from typing import Any, Protocol, TextIO

from cgtui.core.lazy import np


class Op(Protocol):
    """What writing an op needs of an op table entry (:class:`cgtui.core.ops.Op`; the op
    table imports this module, so this one names the entry's shape, not its class)."""

    @property
    def name(self) -> str: ...
    @property
    def arity(self) -> int: ...
    @property
    def symbol(self) -> str | None: ...
    @property
    def keyword(self) -> tuple[str, str] | None: ...

#: The mark of a tangent (forward mode): a dot above, ``ȧ`` is the tangent of ``a``.
DOT = "\u0307"


def dotted(name: str) -> str:
    """``ȧ``, ``Ẇ1``: the tangent of ``name``, its first letter dotted (a combining dot)."""
    return name[:1] + DOT + name[1:]


_WORD = re.compile(r"(?<![\w\u0307])([A-Za-z_])(\u0307?)(\w*)")


def substitute_tangents(formula: str, names: Mapping[str, str], tangents: Mapping[str, str]) -> str:
    """A JVP formula with its variables named: in ``ȧ @ b`` with ``a`` -> ``X`` and
    ``b`` -> ``W1``, ``a`` becomes ``X``, its tangent ``ȧ`` becomes ``tangents["a"]``
    (``Ẋ``), and words that are neither (``sum``, ``axis``) stay as they are."""

    def one(m: re.Match[str]) -> str:
        word = m.group(1) + m.group(3)
        if m.group(2):
            return tangents.get(word, m.group(0))
        return names.get(word, m.group(0))

    return _WORD.sub(one, formula)


#: The mark of a local derivative; a partial of the output is written with a plain ``d``.
LOCAL_MARK = "∂"
#: Multiplication between derivatives and their values in a chain-rule product.
TIMES = " · "
#: The drawing's mark before a node's partial dL/dz in its box (``d 0.4``), below ``= value``.
BOX_PARTIAL = "d "


def box_tangent(leaf: str) -> str:
    """Forward mode's drawing: the mark before a node's tangent ``dz/dx`` in its box
    (``d/dx 1``), below ``= value``; ``leaf`` is the seeded leaf (or ``v``, a direction)."""
    return f"d/d{leaf} "


#: The convention in a few paragraphs, for the explorer's help screen (the README says the same).
CONVENTION = (
    "Notation:",
    "∂z/∂w is the local derivative of one edge w -> z: the op table's rule for that edge "
    "alone (z = w * x: ∂z/∂w = x).",
    "dL/dz is the partial of the output L with respect to z, the number backprop caches at z: "
    "the sum over every path from z to L of the products of the local derivatives.",
    "dL/dx += dL/ds · ∂s/∂x = 1 · 5 = 5  (3 -> 8) is one backward push along the edge x -> s.",
    "A negative operand is bracketed: x * (-3). A drawn box shows = value, then d and the "
    "partial dL/dz.",
    "dz/dx (forward mode, key m) is the tangent of z along the seeded leaf x: "
    "dz/dx = Σ ∂z/∂a · da/dx over z's operands a. Its drawn boxes show = value, then d/dx "
    "and the tangent.",
)


# --- numbers -----------------------------------------------------------------------------


def format_number(x: float) -> str:
    """Short, exact-enough text for a number: ``2``, ``0.5``, ``1e-06``, ``0.4`` for
    ``0.40000000000000036`` (12 significant digits)."""
    if type(x) is not float and isinstance(x, np.ndarray):
        if x.ndim == 0:
            x = float(x)
        else:
            return f"[{x.size} values]"
    x = float(x)
    if x != x:
        return "nan"
    if x in (math.inf, -math.inf):
        return "inf" if x > 0 else "-inf"
    if x == int(x) and abs(x) < 1e16:
        return str(int(x))
    return f"{x:.12g}"


def value_text(v: Any) -> str:
    """A node's value or partial: a number, ``?`` when unknown, an array (or a batch) by
    its shape and its mean to 4 significant digits, ``(4,3) mean 0.1235``."""
    if v is None:
        return "?"
    if type(v) is float:
        return format_number(v)
    arr = np.asarray(v)
    if arr.ndim == 0:
        return format_number(float(arr))
    shape = ",".join(str(n) for n in arr.shape) + ("," if arr.ndim == 1 else "")
    if arr.size == 0:
        return f"({shape}) empty"
    mean = float(arr.mean())
    brief = format_number(float(f"{mean:.4g}")) if math.isfinite(mean) else format_number(mean)
    return f"({shape}) mean {brief}"


def inline_value(v: Any) -> str:
    """A value on one line: a number, or an array with its shape first,
    ``(2, 3) [[1, 2, 3], [4, 5, 6]]`` (past 40 entries numpy's ``...`` stands for the
    middle ones), for listings whose rows hold one value each."""
    if type(v) is float or type(v) is int:
        return format_number(float(v))
    if np.ndim(v) == 0:
        return format_number(float(v))
    arr = np.asarray(v, dtype=float)
    body = np.array2string(arr, precision=6, separator=", ", max_line_width=10**6, threshold=40)
    return f"{arr.shape!s} {' '.join(body.split())}"


# --- operands and operations -----------------------------------------------------------------


def operand(text: str) -> str:
    """An operand as written inside a larger expression: a negative number is bracketed,
    ``-3`` -> ``(-3)``, so ``x * (-3)`` never reads as ``x * -3``."""
    return f"({text})" if text.startswith("-") else text


def apply(op: Op, texts: Sequence[str]) -> str:
    """``z + b``, ``-a``, ``x * (-3)``, ``exp(-1)``: ``op`` applied to operand texts
    (names or numbers; a negative one is bracketed where an operator stands before it)."""
    if op.keyword is not None:
        return f"{op.keyword[0]}({texts[0]}, {op.keyword[1]}={texts[1]})"
    if op.symbol is None:
        return f"{op.name}({', '.join(texts)})"
    args = [operand(t) for t in texts]
    if op.arity == 1:
        return f"{op.symbol}{args[0]}"
    return f"{args[0]} {op.symbol} {args[1]}"


def apply_bracketed(op: Op, texts: Sequence[str]) -> str:
    """``((a) * (b))``: every operand and the whole bracketed, for text that is parsed
    back or measured (the expanded symbolic derivative), not for reading."""
    if op.keyword is not None:
        return f"{op.keyword[0]}({texts[0]}, {op.keyword[1]}={texts[1]})"
    if op.symbol is None:
        return f"{op.name}({', '.join(texts)})"
    if op.arity == 1:
        return f"({op.symbol}({texts[0]}))"
    return f"(({texts[0]}) {op.symbol} ({texts[1]}))"


# --- derivatives -------------------------------------------------------------------------------


def local_name(result: str, operand_name: str) -> str:
    """``∂z/∂w``: the local derivative of the edge ``operand -> result``."""
    return f"{LOCAL_MARK}{result}/{LOCAL_MARK}{operand_name}"


def partial_name(output: str, node: str) -> str:
    """``dL/dz``: the partial of the output with respect to a node (backprop's cached number)."""
    return partial_prefix(output) + node


def partial_prefix(output: str) -> str:
    """``dL/d``: what comes before the node's name in :func:`partial_name` (100,000 rows
    of partials write it beside each name, without a string made for each)."""
    return f"d{output}/d"


def local_formula(result: str, operand_name: str, formula: str) -> str:
    """``∂z/∂w = x``: an edge's local derivative with the op table's formula."""
    return f"{local_name(result, operand_name)} = {formula}"


def product(texts: Iterable[str]) -> str:
    """``2 · (-0.2)``: factors of a chain-rule product, negatives bracketed."""
    return TIMES.join(operand(t) for t in texts)


def ledger_line(
    output: str,
    result: str,
    operand_name: str,
    upstream: Any,
    local: Any,
    contribution: Any,
    before: Any,
    after: Any,
) -> str:
    """``dL/dx += dL/ds · ∂s/∂x = 1 · 5 = 5  (3 -> 8)``: one backward push."""
    was = "0" if before is None else value_text(before)
    return (
        f"{partial_name(output, operand_name)} += {partial_name(output, result)}{TIMES}"
        f"{local_name(result, operand_name)} = {product([value_text(upstream), value_text(local)])}"
        f" = {value_text(contribution)}  ({was} -> {value_text(after)})"
    )


def chain_term(output: str, result: str, operand_name: str) -> str:
    """``dL/ds · ∂s/∂x``: one term of a node's partial, symbolically."""
    return f"{partial_name(output, result)}{TIMES}{local_name(result, operand_name)}"


# --- outputs that cannot carry the marks -----------------------------------------------------

#: LaTeX for the marks (in text mode).
LATEX = {LOCAL_MARK: r"$\partial$", "·": r"$\cdot$"}

#: ASCII for the characters cgtui writes: the marks, the drawing's lines and arrows, and
#: the shades of an array's block map.
ASCII = {
    LOCAL_MARK: "d_",
    "·": "*",
    DOT: "'",
    "±": "+-",
    "…": "...",
    "✓": "ok",
    "✗": "x",
    "─": "-", "╌": "-", "│": "|", "╎": "|",
    "┌": "+", "┐": "+", "└": "+", "┘": "+", "┼": "+", "┬": "+", "┴": "+", "├": "+", "┤": "+",
    "▼": "v", "▲": "^", "▶": ">", "◀": "<", "→": "->", "←": "<-",
    # an array's block map, light to dark: one character each, so the map keeps its shape
    "░": ".", "▒": ":", "▓": "=", "█": "#",
}


def ascii_fallback(text: str) -> str:
    """``∂z/∂w`` -> ``d_z/d_w``, ``·`` -> ``*``, box lines -> ``+-|``; other non-ASCII -> ``?``."""
    return "".join(ch if ord(ch) < 128 else ASCII.get(ch, "?") for ch in text)


def _encode_fallback(exc: UnicodeError) -> tuple[str, int]:
    if not isinstance(exc, UnicodeEncodeError):
        raise exc
    return ascii_fallback(exc.object[exc.start : exc.end]), exc.end


ERRORS = "cgtui-notation"
codecs.register_error(ERRORS, _encode_fallback)


def can_carry(stream: TextIO) -> bool:
    """Whether ``stream``'s encoding can write ``∂`` and ``·``."""
    encoding = getattr(stream, "encoding", None) or "utf-8"
    try:
        f"{LOCAL_MARK}·".encode(encoding)
    except (UnicodeEncodeError, LookupError):
        return False
    return True


def use_ascii_fallback(stream: TextIO) -> None:
    """Write ``stream`` with :func:`ascii_fallback` for what its encoding cannot carry."""
    if not can_carry(stream) and hasattr(stream, "reconfigure"):
        stream.reconfigure(errors=ERRORS)


# --- arrays: shapes and vector-Jacobian products ------------------------------------------------

#: The arrow of a map: a VJP is ``G ↦ G @ transpose(b)``.
MAPS_TO = " ↦ "


def short_shape(shape: Sequence[int]) -> str:
    """``(4,3)``, ``(3,)``, ``()``: a shape without spaces."""
    inner = ",".join(str(n) for n in shape)
    return f"({inner},)" if len(shape) == 1 else f"({inner})"


def vjp_map(formula: str) -> str:
    """``G ↦ G @ transpose(b)``: a vector-Jacobian product as the map it is, from the
    upstream partial ``G = dL/d(out)`` to the operand's contribution to ``dL/d(operand)``."""
    return f"G{MAPS_TO}{formula}"


def vjp_contribution(output: str, operand_name: str, factors: str) -> str:
    """``dL/dH += G (4,1) @ Uᵀ (1,2) -> (4,2)``: what a VJP adds to the operand's cached
    partial, its factors written with their shapes."""
    return f"{partial_name(output, operand_name)} += {factors}"


def vjp_at(output: str, result: str, formula: str) -> str:
    """``G ↦ G @ transpose(U) at G = dL/dv3``: one backward push along an array edge,
    symbolically (the map, and the cached partial it is applied to)."""
    return f"{vjp_map(formula)} at G = {partial_name(output, result)}"


def with_shapes(definition: str, shapes: str) -> str:
    """``v2 = v1 + b1  with shapes (4,2) + (2,) -> (4,2)``: a step of a tensor graph, its
    operands' shapes in the place of their values (an array has no one number to write)."""
    return f"{definition}  with shapes {shapes}"


def array_summary(v: Any) -> str:
    """An array value in a few words: ``(4,2) min -0.5 max 1 mean 0.25``; a number or
    ``?`` as :func:`value_text` writes them."""
    if v is None or type(v) is float or np.ndim(v) == 0:
        return value_text(v)
    arr = np.asarray(v, dtype=float)
    if arr.size == 0:
        return f"{short_shape(arr.shape)} empty"
    finite = arr[np.isfinite(arr)]
    if finite.size == 0:
        return f"{short_shape(arr.shape)} no finite entries"

    def brief(x: float) -> str:
        return format_number(float(f"{x:.4g}"))

    return (
        f"{short_shape(arr.shape)} min {brief(float(finite.min()))} max {brief(float(finite.max()))} "
        f"mean {brief(float(finite.mean()))}"
    )


#: Why ``cgtui paths`` and the explorer's paths section do not sum over paths in a tensor graph.
TENSOR_PATHS = (
    "in a tensor graph each edge is a vector-Jacobian product (a map G ↦ …), not one number, "
    "so a path has no single product to list and sum"
)

#: ASCII for the marks of arrays: a VJP's arrow and a transpose.
ASCII.update({"↦": "|->", "ᵀ": "^T"})
#: LaTeX for the same marks.
LATEX.update({"↦": r"$\mapsto$", "ᵀ": r"$^{T}$", "…": r"\dots{}"})


def small_array(v: Any, digits: int = 6) -> str:
    """A small array written out on one line, shape first, numbers as :func:`format_number`
    writes them (to ``digits`` significant digits): ``(2,2) [[0.3, -1.3], [0.8, 0.9]]``."""
    arr = np.asarray(v, dtype=float)
    if arr.ndim == 0:
        return format_number(float(arr))

    def number(x: float) -> str:
        return format_number(float(f"{x:.{digits}g}")) if math.isfinite(x) else format_number(x)

    flat = [number(x) for x in arr.ravel().tolist()]
    for n in reversed(arr.shape):  # innermost axis first: join groups of n, level by level
        flat = ["[" + ", ".join(flat[k : k + n]) + "]" for k in range(0, len(flat), n)] if n else ["[]"]
    return f"{short_shape(arr.shape)} {flat[0] if flat else '[]'}"


# --- entries and vector-Jacobian products ----------------------------------------------------


def entry(text: str, index: Sequence[int]) -> str:
    """``H[1, 0]``, ``dL/dW1[0, 1]``, ``∂H/∂v2[3, 1]``: one entry of an array (counted from
    0, numpy's order); an empty index is the whole (one-number) quantity."""
    if not index:
        return text
    return f"{text}[{', '.join(str(k) for k in index)}]"


def vjp_push(output: str, result: str, operand_name: str, formula: str) -> str:
    """``dL/dW1 += transpose(X) @ G  (G = dL/dv1)``: a vector-Jacobian product, a map
    applied to the incoming partial ``G``, adding into the operand's partial."""
    return f"{partial_name(output, operand_name)} += {formula}  (G = {partial_name(output, result)})"
