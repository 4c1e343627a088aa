"""Zoom: a tensor op as the scalar graph it stands for.

``zoom("matmul", [A, B])`` builds the ordinary scalar :class:`~cgtui.core.graph.Graph`
that computes ``C = A @ B`` one number at a time, with the scalar ops of the op table
only (a 2x2 @ 2x2 matmul is 8 multiplications and 4 additions). The graph loads, steps,
undoes and checks like any graph, so a learner can watch a layer's backprop happen
entry by entry.

Names (all valid names of cgtui's expression language, ``[`` and ``,`` are not):

* operand entries are leaves ``A_0_1`` (``A[0, 1]``), a 0-d operand is ``A`` itself;
* result entries are ``C_0_1``; where an entry is an operand entry itself (transpose,
  reshape, a sum over one number, fit's spreading) it is an alias of that leaf (``C_1_0``
  names ``A_0_1``), and where several entries are one sum (fit spreading a sum) they are
  aliases of it;
* intermediates are named by what they hold: ``m_i_j_k = A_i_k * B_k_j`` (matmul
  products), ``s_..._k`` the sum of the first ``k`` terms of a sum, ``M_...`` a row's
  maximum, ``z_...`` the row minus it, ``e_...`` its exponential, ``lse_...`` the
  log-sum-exp, ``nl_...`` a negative log-probability, ``t_...`` a label times it,
  ``l_...`` one row's loss;
* a name that one of the operands or the result already uses as its base gets a
  number (``L1``, ``s1_0_1``), so any operand names work.

**The loss that makes backprop give the VJP.** One scalar output ``L`` is added:
``L = Σ G[idx] · C[idx]`` over every entry of the result, where ``G`` (constant leaves
``G_idx``) is the upstream gradient ``dL/dC``: all ones unless given. Then
``dL/dC_idx = G_idx`` and backprop on the zoomed graph gives at each operand leaf
``dL/dA_idx`` = the entry of the vector-Jacobian product ``G · ∂C/∂A``, which is the
tensor op's VJP (broadcasting's sum over repeated entries happens by itself: a leaf
used by several results collects one push from each). ``L`` is the graph's first output;
the result entries follow it as outputs, so each one can be differentiated alone (a row
of the Jacobian).

**fit** (``fit(G, a)``, the backward pass's broadcasting rule) sums its first operand over
the axes ``a`` was broadcast along (``s_..._k`` partial sums, as sum's) and spreads it over
the axes a reduction removed (aliases: a spread entry is the same node). ``a`` gives only
its shape: it is no node of the zoom (its entries are ``None`` in :attr:`Zoom.operands`,
as class-index labels are), since fit's derivative with respect to it is 0.

**softmax, log_softmax and cross_entropy** subtract each row's maximum ``M`` first, as
every library does: ``softmax(a - M) = softmax(a)`` for any constant ``M``, so the values
and the gradients are those of the op, and ``exp`` never overflows. ``M`` is a constant
leaf (its value is read off the operand; no gradient flows into it, and none needs to).

Big operands are refused (:data:`MAX_ZOOM_NODES`): a zoom is for looking at, and the count
is known before anything is built. Nothing here recurses.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from cgtui.core.errors import CgtuiError
from cgtui.core.graph import Graph, Kind, Node
from cgtui.core.lazy import np
from cgtui.core.names import fresh_name
from cgtui.core.ops import OPS
from cgtui.lang.build import const_name
from cgtui.lang.parser import RESERVED_WORDS

#: The most scalar nodes a zoom builds (leaves included).
MAX_ZOOM_NODES = 2000

Index = tuple[int, ...]
if TYPE_CHECKING:
    import numpy.typing as npt

    FloatArray = npt.NDArray[np.float64]
    IntArray = npt.NDArray[np.int64]


class ZoomError(CgtuiError):
    """A tensor op that cannot be zoomed: unknown, wrong operands, or too big to show."""


@dataclass(frozen=True)
class TensorOp:
    """A tensor op that zoom knows: its name, operand count, family and what it does."""

    name: str
    arity: int
    family: str  # matmul | elementwise | unary | reduce | transpose | reshape | softmax | cross_entropy | fit
    doc: str


def _tensor_ops() -> dict[str, TensorOp]:
    ops = [
        TensorOp("matmul", 2, "matmul", "A @ B: 1-d or 2-d operands, as numpy's matmul"),
        *(
            TensorOp(name, 2, "elementwise", f"elementwise {name}, with numpy broadcasting")
            for name in ("add", "sub", "mul", "div", "pow")
        ),
        *(
            TensorOp(name, 1, "unary", f"{name} of every entry")
            for name, op in OPS.items()
            if op.arity == 1
        ),
        TensorOp("sum", 1, "reduce", "the sum over all entries, or over one axis"),
        TensorOp("mean", 1, "reduce", "the mean over all entries, or over one axis"),
        TensorOp("transpose", 1, "transpose", "the axes reversed (or permuted by axes)"),
        TensorOp("reshape", 1, "reshape", "the same entries in C order, in a new shape"),
        TensorOp("softmax", 1, "softmax", "exp(a) / sum(exp(a)) along an axis (default the last)"),
        TensorOp("log_softmax", 1, "softmax", "a - log(sum(exp(a))) along an axis (default the last)"),
        TensorOp(
            "cross_entropy", 2, "cross_entropy",
            "mean over rows of -log softmax(logits)[label]; labels are class indices, one per "
            "row, or probabilities of the logits' shape",
        ),
        TensorOp(
            "fit", 2, "fit",
            "the first operand brought to the second's shape (the backward pass's broadcasting "
            "rule): summed over the axes the second was broadcast along, spread over the axes a "
            "reduction removed",
        ),
    ]
    return {op.name: op for op in ops}


#: The tensor ops zoom can expand, by name (the names the tensor op table should use).
TENSOR_OPS: dict[str, TensorOp] = _tensor_ops()


@dataclass(frozen=True)
class Zoom:
    """A zoomed tensor op: the scalar graph and where each entry lives in it."""

    graph: Graph
    op: str
    #: for each operand, the names of its leaves, in its shape (a 0-d object array for 0-d;
    #: None for cross_entropy's class-index labels, which pick entries, and for fit's second
    #: operand, which gives only its shape: they are no nodes)
    operands: tuple[npt.NDArray[np.object_], ...]
    #: the names of the result's entries, in the result's shape
    result: npt.NDArray[np.object_]
    #: the upstream gradient G (dL/dC) the loss was built with
    upstream: FloatArray
    #: the name of the scalar loss L = Σ G·C (the graph's first output)
    loss: str

    def gather(self, names: npt.NDArray[np.object_], values: Sequence[Any]) -> FloatArray:
        """The numbers at ``names`` (an array of node names) taken from a list of per-node
        values (a forward pass's values or a backward pass's partials; no partial is 0).
        An entry that is no node (a class-index label) is NaN."""
        g = self.graph
        out = np.empty(names.shape, dtype=np.float64)
        for idx in np.ndindex(names.shape):
            name = names[idx]
            if name is None:
                out[idx] = np.nan
                continue
            v = values[g.lookup(str(name))]
            out[idx] = 0.0 if v is None else float(v)
        return out

    def result_values(self, values: Sequence[Any]) -> FloatArray:
        """The result array C, from a forward pass's values."""
        return self.gather(self.result, values)

    def operand_partials(self, partials: Sequence[Any]) -> list[FloatArray]:
        """``dL/dA`` for each operand (its VJP), from a backward pass's partials."""
        return [self.gather(names, partials) for names in self.operands]


# --- building ------------------------------------------------------------------------------


def _ix(base: str, idx: Iterable[int]) -> str:
    """``A_0_1`` for ``A[0, 1]``; ``A`` for a 0-d index."""
    parts = [str(i) for i in idx]
    return "_".join([base, *parts])


def _shape_text(shape: Sequence[int]) -> str:
    return "(" + ", ".join(map(str, shape)) + (",)" if len(shape) == 1 else ")")


def _namer(base: str, prefix: Index) -> Callable[[int], str]:
    """Names of a chain's partial sums: ``s_0_1_k`` for the sum of the first ``k`` terms."""
    return lambda k: _ix(base, (*prefix, k))


def _clash(a: str, b: str) -> bool:
    """Whether names made from base ``a`` (``a_0_1``) could equal names made from ``b``:
    one is the other followed by ``_`` and digits and ``_`` only (``A_0`` and ``A``, not
    ``dL_db1_via_v`` and ``dL_db1``: an index is digits)."""
    if a == b:
        return True
    short, long = (a, b) if len(a) < len(b) else (b, a)
    rest = long[len(short) + 1 :]
    return long.startswith(short + "_") and all(c.isdigit() or c == "_" for c in rest)


class _Builder:
    """Nodes in topological order, unique names, and the room left under the limit."""

    def __init__(self, limit: int) -> None:
        self.nodes: list[Node] = []
        self.index: dict[str, int] = {}
        self.aliases: dict[str, str] = {}
        self.consts: dict[float, int] = {}
        self.limit = limit

    def _add(self, node: Node) -> int:
        if node.name in self.index or node.name in self.aliases:
            raise ZoomError(f"zoom: two entries would both be called '{node.name}'; rename an operand")
        if len(self.nodes) >= self.limit:  # the estimate is checked first; this is a backstop
            raise ZoomError(f"zoom: more than {self.limit:,} scalar nodes")
        self.nodes.append(node)
        self.index[node.name] = len(self.nodes) - 1
        return len(self.nodes) - 1

    def leaf(self, name: str, kind: Kind, value: float) -> int:
        return self._add(Node(name, kind, None, (), float(value)))

    def const(self, value: float) -> int:
        """A number written as itself (``2``): one node per value, as the builder makes."""
        value = float(value) + 0.0
        i = self.consts.get(value)
        if i is None:
            i = self.consts[value] = self.leaf(const_name(value), Kind.CONST, value)
        return i

    def op(self, name: str, op: str, *operands: int) -> int:
        return self._add(Node(name, Kind.COMPUTATION, op, tuple(operands)))

    def total(self, terms: Sequence[int], name: Callable[[int], str], final: str | None) -> int:
        """``terms[0] + terms[1] + ...`` as a chain of additions; the sum of the first ``k``
        terms is called ``name(k)``, the whole ``final`` (when given). One term is itself."""
        acc = terms[0]
        for k in range(1, len(terms)):
            last = k == len(terms) - 1
            acc = self.op(final if last and final is not None else name(k + 1), "add", acc, terms[k])
        return acc

    def name_of(self, i: int) -> str:
        return self.nodes[i].name


class _Names:
    """The bases of generated names, numbered (``L1``, ``m1``) by the one rule for fresh
    names where an operand or the result uses them (``_`` would read as an index)."""

    def __init__(self, taken: Iterable[str]) -> None:
        self.taken = set(taken)

    def base(self, wanted: str) -> str:
        return fresh_name(wanted, self.taken, lambda n: any(_clash(n, t) for t in self.taken), sep="")


def _check_name(name: str, what: str) -> None:
    if not name.isidentifier() or name in RESERVED_WORDS:
        raise ZoomError(f"zoom: '{name}' cannot name {what} (a name is letters, digits and _)")


def _array(x: npt.ArrayLike, what: str) -> FloatArray:
    try:
        arr = np.asarray(x, dtype=np.float64)
    except (TypeError, ValueError) as exc:
        raise ZoomError(f"zoom: {what} is not an array of numbers ({exc})") from None
    if arr.size == 0:
        raise ZoomError(f"zoom: {what} has shape {_shape_text(arr.shape)}: no entries to zoom into")
    return arr


def _axis(axis: int, ndim: int, op: str) -> int:
    if not -ndim <= axis < ndim:
        raise ZoomError(f"zoom: {op}: axis {axis} is out of range for {ndim} dimensions")
    return axis % ndim


# --- the ops, one function each ------------------------------------------------------------------
#
# Each takes the builder, the operands' leaf indices (arrays of node indices in the
# operands' shapes), their values, the options and the bases of generated names, and
# returns the result as an array of node indices.


@dataclass(frozen=True)
class _Options:
    axis: int | None
    axes: tuple[int, ...] | None
    shape: tuple[int, ...] | None
    keepdims: bool


def _matmul_shapes(a: Index, b: Index) -> tuple[Index, int]:
    """numpy's matmul shape for 1-d and 2-d operands, and the inner dimension."""
    if not a or not b:
        raise ZoomError(f"zoom: matmul: {_shape_text(a)} @ {_shape_text(b)}: a 0-d operand has no rows")
    if len(a) > 2 or len(b) > 2:
        raise ZoomError(
            f"zoom: matmul: {_shape_text(a)} @ {_shape_text(b)}: zoom shows matmul of 1-d and 2-d arrays"
        )
    if a[-1] != b[0]:
        raise ZoomError(
            f"zoom: matmul: {_shape_text(a)} @ {_shape_text(b)}: inner dimensions {a[-1]} and {b[0]} differ"
        )
    shape = (a[:-1] if len(a) == 2 else ()) + (b[1:] if len(b) == 2 else ())
    return shape, a[-1]


def _matmul(bld: _Builder, leaves: list[IntArray], result: str, names: _Names) -> IntArray:
    a, b = leaves
    shape, inner = _matmul_shapes(a.shape, b.shape)
    a2 = a if a.ndim == 2 else a.reshape(1, -1)
    b2 = b if b.ndim == 2 else b.reshape(-1, 1)
    m, s = names.base("m"), names.base("s")
    out = np.empty(shape, dtype=np.int64)
    for i in range(a2.shape[0]):
        for j in range(b2.shape[1]):
            here = ((i,) if a.ndim == 2 else ()) + ((j,) if b.ndim == 2 else ())
            name = _ix(result, here)
            if inner == 1:
                out[here] = bld.op(name, "mul", int(a2[i, 0]), int(b2[0, j]))
                continue
            terms = [bld.op(_ix(m, (*here, k)), "mul", int(a2[i, k]), int(b2[k, j])) for k in range(inner)]
            out[here] = bld.total(terms, _namer(s, here), name)
    return out


def _broadcast_shape(a: Index, b: Index, op: str) -> Index:
    try:
        return tuple(np.broadcast_shapes(a, b))
    except ValueError:
        shapes = f"{_shape_text(a)} and {_shape_text(b)}"
        raise ZoomError(f"zoom: {op}: shapes {shapes} do not broadcast") from None


def _source(idx: Index, shape: Index) -> Index:
    """The operand entry that broadcasting reads for result entry ``idx``."""
    tail = idx[len(idx) - len(shape) :] if shape else ()
    return tuple(0 if n == 1 else i for i, n in zip(tail, shape, strict=True))


def _elementwise(bld: _Builder, op: str, leaves: list[IntArray], result: str) -> IntArray:
    a, b = leaves
    shape = _broadcast_shape(a.shape, b.shape, op)
    out = np.empty(shape, dtype=np.int64)
    for idx in np.ndindex(shape):
        out[idx] = bld.op(_ix(result, idx), op, int(a[_source(idx, a.shape)]), int(b[_source(idx, b.shape)]))
    return out


def _unary(bld: _Builder, op: str, a: IntArray, result: str) -> IntArray:
    out = np.empty(a.shape, dtype=np.int64)
    for idx in np.ndindex(a.shape):
        out[idx] = bld.op(_ix(result, idx), op, int(a[idx]))
    return out


def _reduced_shape(shape: Index, axis: int | None, keepdims: bool) -> Index:
    if axis is None:
        return tuple(1 for _ in shape) if keepdims else ()
    return shape[:axis] + ((1,) if keepdims else ()) + shape[axis + 1 :]


def _slices(shape: Index, axis: int | None, keepdims: bool) -> list[tuple[Index, list[Index]]]:
    """For each entry of a reduction's result, its index and the operand entries it reduces."""
    if axis is None:
        return [(tuple(0 for _ in shape) if keepdims else (), list(np.ndindex(shape)))]
    rest = shape[:axis] + shape[axis + 1 :]
    out: list[tuple[Index, list[Index]]] = []
    for r in np.ndindex(rest):
        full = [(*r[:axis], k, *r[axis:]) for k in range(shape[axis])]
        out.append((r[:axis] + ((0,) if keepdims else ()) + r[axis:], full))
    return out


def _reduce(
    bld: _Builder, op: str, a: IntArray, opts: _Options, result: str, names: _Names
) -> IntArray:
    axis = None if opts.axis is None else _axis(opts.axis, a.ndim, op)
    out = np.empty(_reduced_shape(a.shape, axis, opts.keepdims), dtype=np.int64)
    s = names.base("s")
    for ridx, members in _slices(a.shape, axis, opts.keepdims):
        terms = [int(a[m]) for m in members]
        name = _ix(result, ridx)
        if op == "sum":
            out[ridx] = bld.total(terms, _namer(s, ridx), None if len(terms) == 1 else name)
        else:
            total = bld.total(terms, _namer(s, ridx), None)
            out[ridx] = bld.op(name, "div", total, bld.const(len(terms)))
    return out


def _transpose(a: IntArray, opts: _Options) -> IntArray:
    """The same leaves in another order (the axes were checked with the result's shape)."""
    return a.transpose() if opts.axes is None else a.transpose(opts.axes)


def _reshape(a: IntArray, opts: _Options) -> IntArray:
    """The same leaves in C order, in the new shape (checked with the result's shape)."""
    return a.reshape(_new_shape(a.shape, opts.shape))


def _fit_reduced(g: Index, a: Index) -> Index:
    """fit's sums: ``G``'s shape after summing over the axes ``a`` was broadcast along
    (kept as 1s), which then spreads to ``a``'s shape. Refused where ``G`` cannot reach it."""
    if len(g) >= len(a):
        tail = g[len(g) - len(a) :]
        reduced = tuple(1 if n == 1 else m for n, m in zip(a, tail, strict=True))
    else:
        reduced = g
    try:
        fits = tuple(np.broadcast_shapes(reduced, a)) == a
    except ValueError:
        fits = False
    if not fits:
        raise ZoomError(
            f"zoom: fit: G of shape {_shape_text(g)} to shape {_shape_text(a)}: "
            "G must broadcast with the operand's shape"
        )
    return reduced


def _fit(bld: _Builder, g: IntArray, shape: Index, result: str, names: _Names) -> IntArray:
    """Each entry of the sums is the chain of additions of the G entries broadcast from it
    (``s_..._k``); the result's entries are those sums, or G's leaves where nothing is
    summed, spread over ``shape`` (several entries reading one node are aliases of it)."""
    reduced = _fit_reduced(g.shape, shape)
    lead = max(g.ndim - len(shape), 0)
    members: dict[Index, list[int]] = {}
    for gidx in np.ndindex(g.shape):
        ridx = tuple(0 if n == 1 else i for i, n in zip(gidx[lead:], reduced, strict=True))
        members.setdefault(ridx, []).append(int(g[gidx]))
    readers: dict[Index, list[Index]] = {}
    for idx in np.ndindex(shape):
        readers.setdefault(_source(idx, reduced), []).append(idx)
    s = names.base("s")
    sums: dict[Index, int] = {}
    for ridx, terms in members.items():
        read = readers[ridx]
        final = _ix(result, read[0]) if len(read) == 1 and len(terms) > 1 else None
        sums[ridx] = bld.total(terms, _namer(s, ridx), final)
    out = np.empty(shape, dtype=np.int64)
    for ridx, read in readers.items():
        for idx in read:
            out[idx] = sums[ridx]
    return out


def _rows(shape: Index, axis: int) -> list[tuple[Index, list[Index]]]:
    """The slices along ``axis``: each one's index without the axis, and its entries."""
    return _slices(shape, axis, False)


def _shifted_exps(
    bld: _Builder, a: IntArray, values: FloatArray, axis: int, names: _Names
) -> tuple[dict[Index, int], dict[Index, int], list[tuple[Index, list[Index], int]]]:
    """For softmax and its kin: ``z = a - M`` (``M`` the row's maximum, a constant),
    ``e = exp(z)`` and each row's sum of ``e`` (``s``). Returns z and e by entry, and per
    row: its index, its entries and its sum's node."""
    big_m, z_, e_, s_ = names.base("M"), names.base("z"), names.base("e"), names.base("s")
    z: dict[Index, int] = {}
    e: dict[Index, int] = {}
    rows: list[tuple[Index, list[Index], int]] = []
    for r, members in _rows(a.shape, axis):
        row_max = bld.leaf(_ix(big_m, r), Kind.CONST, float(max(values[m] for m in members)))
        for m in members:
            z[m] = bld.op(_ix(z_, m), "sub", int(a[m]), row_max)
            e[m] = bld.op(_ix(e_, m), "exp", z[m])
        total = bld.total([e[m] for m in members], _namer(s_, r), None)
        rows.append((r, members, total))
    return z, e, rows


def _softmax(
    bld: _Builder, op: str, a: IntArray, values: FloatArray, opts: _Options, result: str, names: _Names
) -> IntArray:
    if a.ndim == 0:
        raise ZoomError(f"zoom: {op} needs at least one axis; the operand is 0-d")
    axis = _axis(-1 if opts.axis is None else opts.axis, a.ndim, op)
    lse_ = names.base("lse")
    z, e, rows = _shifted_exps(bld, a, values, axis, names)
    out = np.empty(a.shape, dtype=np.int64)
    for r, members, total in rows:
        if op == "softmax":
            for m in members:
                out[m] = bld.op(_ix(result, m), "div", e[m], total)
        else:
            lse = bld.op(_ix(lse_, r), "log", total)
            for m in members:
                out[m] = bld.op(_ix(result, m), "sub", z[m], lse)
    return out


def _label_indices(labels: FloatArray, classes: int) -> npt.NDArray[np.int64]:
    ok = np.isfinite(labels) & (labels == np.round(labels)) & (labels >= 0) & (labels < classes)
    if not ok.all():
        bad = float(labels[~ok].flat[0])
        raise ZoomError(
            f"zoom: cross_entropy: label {bad:g} is not a class index 0..{classes - 1} "
            "(labels are class indices, or probabilities in the logits' shape)"
        )
    return labels.astype(np.int64)


def _cross_entropy(
    bld: _Builder,
    logits: IntArray,
    values: FloatArray,
    labels: FloatArray,
    label_leaves: IntArray | None,
    result: str,
    names: _Names,
) -> IntArray:
    lse_, nl_, t_, l_, u_, sl_ = (names.base(b) for b in ("lse", "nl", "t", "l", "u", "sl"))
    axis = logits.ndim - 1
    z, _, rows = _shifted_exps(bld, logits, values, axis, names)
    losses: list[int] = []
    for r, members, total in rows:
        lse = bld.op(_ix(lse_, r), "log", total)
        row_loss = _ix(l_, r) if logits.ndim == 2 else result
        if label_leaves is None:  # class indices: -log softmax at the label's entry
            k = int(labels[r])
            losses.append(bld.op(row_loss, "sub", lse, z[(*r, k)]))
        else:  # probabilities: -Σ_c y_c log softmax_c
            terms = []
            for m in members:
                nl = bld.op(_ix(nl_, m), "sub", lse, z[m])
                terms.append(bld.op(_ix(t_, m), "mul", int(label_leaves[m]), nl))
            losses.append(bld.total(terms, _namer(u_, r), row_loss))
    if logits.ndim == 1:
        return np.array(losses[0], dtype=np.int64)
    total_loss = bld.total(losses, _namer(sl_, ()), None)
    return np.array(bld.op(result, "div", total_loss, bld.const(len(losses))), dtype=np.int64)


# --- the count, known before building -----------------------------------------------------------


def _count_op(op: TensorOp, shapes: list[Index], opts: _Options, labels_are_indices: bool) -> int:
    """How many nodes the op itself adds (leaves of the operands and the loss apart)."""
    fam = op.family
    if fam == "matmul":
        shape, inner = _matmul_shapes(shapes[0], shapes[1])
        return int(np.prod(shape)) * (2 * inner - 1)
    if fam == "elementwise":
        return int(np.prod(_broadcast_shape(shapes[0], shapes[1], op.name)))
    if fam == "unary":
        return int(np.prod(shapes[0]))
    if fam in ("transpose", "reshape"):
        return 0
    if fam == "fit":
        return int(np.prod(shapes[0])) - int(np.prod(_fit_reduced(shapes[0], shapes[1])))
    size = int(np.prod(shapes[0]))
    if fam == "reduce":
        axis = None if opts.axis is None else _axis(opts.axis, len(shapes[0]), op.name)
        out = 1 if axis is None else size // shapes[0][axis]
        return size - out + (out + 1 if op.name == "mean" else 0)
    if not shapes[0]:
        raise ZoomError(f"zoom: {op.name} needs at least one axis; the operand is 0-d")
    axis = _axis(-1 if opts.axis is None or fam == "cross_entropy" else opts.axis, len(shapes[0]), op.name)
    rows = size // shapes[0][axis]
    exps = rows + 3 * size - rows  # M, z, e per entry, the sum's additions
    if op.name == "softmax":
        return exps + size
    if op.name == "log_softmax":
        return exps + rows + size
    per_row = rows + (rows if labels_are_indices else 3 * size - rows)  # lse, then the row's loss
    return exps + per_row + (0 if len(shapes[0]) == 1 else rows - 1 + 2)  # the mean over rows


def _result_shape(op: TensorOp, shapes: list[Index], opts: _Options) -> Index:
    fam = op.family
    if fam == "matmul":
        return _matmul_shapes(shapes[0], shapes[1])[0]
    if fam == "elementwise":
        return _broadcast_shape(shapes[0], shapes[1], op.name)
    if fam == "reduce":
        axis = None if opts.axis is None else _axis(opts.axis, len(shapes[0]), op.name)
        return _reduced_shape(shapes[0], axis, opts.keepdims)
    if fam == "transpose":
        return tuple(reversed(shapes[0])) if opts.axes is None else tuple(shapes[0][a] for a in opts.axes)
    if fam == "reshape":
        return _new_shape(shapes[0], opts.shape)
    if fam == "cross_entropy":
        return ()
    if fam == "fit":
        _fit_reduced(shapes[0], shapes[1])
        return shapes[1]
    return shapes[0]


# --- the entry point --------------------------------------------------------------------------------


def zoom(
    op: str,
    operands: Sequence[npt.ArrayLike],
    *,
    names: Sequence[str | None] | None = None,
    kinds: Sequence[Kind] | None = None,
    result: str = "C",
    upstream: npt.ArrayLike | None = None,
    axis: int | None = None,
    axes: Sequence[int] | None = None,
    shape: Sequence[int] | None = None,
    keepdims: bool = False,
    limit: int = MAX_ZOOM_NODES,
) -> Zoom:
    """The scalar graph of tensor op ``op`` applied to ``operands`` (see the module's text).

    ``names`` name the operands' leaves (default ``A``, ``B``; the same name twice is one
    operand used twice, as in ``X @ X``; ``None`` for a 0-d constant writes it as its
    number); ``kinds`` are their kinds (default input, and label for cross_entropy's
    labels); ``upstream`` is G = dL/dC (default all ones); ``axis`` is the axis of
    sum, mean, softmax and log_softmax, ``axes`` transpose's permutation, ``shape``
    reshape's new shape (one entry may be -1).
    """
    top = TENSOR_OPS.get(op)
    if top is None:
        known = ", ".join(TENSOR_OPS)
        raise ZoomError(f"zoom: unknown tensor op '{op}' (known: {known})")
    if len(operands) != top.arity:
        plural = "s" if top.arity > 1 else ""
        raise ZoomError(f"zoom: {op} takes {top.arity} operand{plural}, got {len(operands)}")
    default_names = ("A", "B")
    names_ = list(names) if names is not None else list(default_names[: top.arity])
    if len(names_) != top.arity:
        raise ZoomError(f"zoom: {op} takes {top.arity} operand names, got {len(names_)}")
    default_kinds = [Kind.INPUT, Kind.LABEL if top.family == "cross_entropy" else Kind.INPUT]
    kinds_ = list(kinds) if kinds is not None else default_kinds[: top.arity]
    if len(kinds_) != top.arity:
        raise ZoomError(f"zoom: {op} takes {top.arity} operand kinds, got {len(kinds_)}")
    arrays = [_array(x, f"operand {n or 'number'}") for x, n in zip(operands, names_, strict=True)]
    for k, (name, arr, kind) in enumerate(zip(names_, arrays, kinds_, strict=True)):
        if name is None:
            if arr.ndim != 0 or kind is not Kind.CONST:
                raise ZoomError(
                    f"zoom: operand {k + 1} needs a name (only a 0-d constant is written as its number)"
                )
        else:
            _check_name(name, "an operand")
    _check_name(result, "the result")
    if result in names_:
        raise ZoomError(f"zoom: the result cannot be called '{result}' like an operand")
    if names_[0] is not None and names_[-1] == names_[0] and len(names_) == 2:
        if arrays[0].shape != arrays[1].shape or not np.array_equal(arrays[0], arrays[1], equal_nan=True):
            raise ZoomError(f"zoom: both operands are called '{names_[0]}' but hold different arrays")
        if kinds_[0] is not kinds_[1]:
            raise ZoomError(f"zoom: both operands are called '{names_[0]}' but have different kinds")
    bases = [n for n in names_ if n is not None]
    for k, a in enumerate(bases):
        for b in bases[k + 1 :]:
            if a != b and _clash(a, b):
                raise ZoomError(f"zoom: the operand names '{a}' and '{b}' would give entries the same names")
        if _clash(a, result):
            raise ZoomError(
                f"zoom: the operand '{a}' and the result '{result}' would give entries the same names"
            )
    opts = _Options(
        axis,
        None if axes is None else tuple(int(x) for x in axes),
        None if shape is None else tuple(int(x) for x in shape),
        keepdims,
    )

    # cross_entropy's labels: class indices are no nodes (they pick entries)
    labels_are_indices = False
    if top.family == "cross_entropy":
        logits, labels = arrays
        if logits.ndim not in (1, 2):
            raise ZoomError(
                f"zoom: cross_entropy: logits of shape {_shape_text(logits.shape)}; they are (classes,) "
                "or (rows, classes)"
            )
        if labels.shape == logits.shape[:-1]:
            labels_are_indices = True
            _label_indices(labels, logits.shape[-1])
        elif labels.shape != logits.shape:
            raise ZoomError(
                f"zoom: cross_entropy: labels of shape {_shape_text(labels.shape)} for logits of shape "
                f"{_shape_text(logits.shape)}: give one class index per row {_shape_text(logits.shape[:-1])} "
                f"or probabilities {_shape_text(logits.shape)}"
            )

    # the count, before anything is built
    shapes = [tuple(a.shape) for a in arrays]
    out_shape = _checked_result_shape(top, shapes, opts)
    same = len(names_) == 2 and names_[0] is not None and names_[0] == names_[1]
    shape_only = top.family == "fit"  # fit's second operand gives its shape alone
    leaf_count = sum(a.size for a in arrays[: 1 if same else None])
    if (labels_are_indices or shape_only) and not same:
        leaf_count -= arrays[1].size
    out_size = int(np.prod(out_shape))
    count = leaf_count + _count_op(top, shapes, opts, labels_are_indices) + 3 * out_size - 1
    if count > limit:
        shown = " and ".join(_shape_text(s) for s in shapes)
        raise ZoomError(
            f"zoom: {op} of {shown} stands for {count:,} scalar nodes; zoom shows at most {limit:,} "
            "(it is for looking at small examples: try smaller operands)"
        )

    g = np.ones(out_shape) if upstream is None else np.asarray(upstream, dtype=np.float64)
    if g.shape != out_shape:
        raise ZoomError(
            f"zoom: the upstream gradient G has shape {_shape_text(g.shape)}, "
            f"the result {_shape_text(out_shape)}"
        )

    bld = _Builder(limit)
    leaves: list[IntArray] = []
    leaf_names: list[npt.NDArray[np.object_]] = []
    for k, (name, arr, kind) in enumerate(zip(names_, arrays, kinds_, strict=True)):
        if k == 1 and shape_only:
            leaves.append(np.empty(arr.shape, dtype=np.int64))
            leaf_names.append(np.full(arr.shape, None, dtype=object))
            continue
        if k == 1 and same:
            leaves.append(leaves[0])
            leaf_names.append(leaf_names[0])
            continue
        if k == 1 and labels_are_indices:
            leaves.append(np.empty(arr.shape, dtype=np.int64))
            leaf_names.append(np.empty(arr.shape, dtype=object))
            continue
        ids = np.empty(arr.shape, dtype=np.int64)
        for idx in np.ndindex(arr.shape):
            v = float(arr[idx])
            ids[idx] = bld.const(v) if name is None else bld.leaf(_ix(name, idx), kind, v)
        leaves.append(ids)
        leaf_names.append(_names_of(bld, ids))

    gen = _Names([*bases, result])
    fam = top.family
    if fam == "matmul":
        out = _matmul(bld, leaves, result, gen)
    elif fam == "elementwise":
        out = _elementwise(bld, op, leaves, result)
    elif fam == "unary":
        out = _unary(bld, op, leaves[0], result)
    elif fam == "reduce":
        out = _reduce(bld, op, leaves[0], opts, result, gen)
    elif fam == "transpose":
        out = _transpose(leaves[0], opts)
    elif fam == "reshape":
        out = _reshape(leaves[0], opts)
    elif fam == "fit":
        out = _fit(bld, leaves[0], out_shape, result, gen)
    elif fam == "softmax":
        out = _softmax(bld, op, leaves[0], arrays[0], opts, result, gen)
    else:
        out = _cross_entropy(
            bld, leaves[0], arrays[0], arrays[1], None if labels_are_indices else leaves[1], result, gen
        )

    # result entries that are other nodes (transpose, reshape, one-term sums) are aliases
    result_names = np.empty(out.shape, dtype=object)
    for idx in np.ndindex(out.shape):
        want = _ix(result, idx)
        have = bld.name_of(int(out[idx]))
        if have != want:
            bld.aliases[want] = have
        result_names[idx] = want

    # L = Σ G·C: backprop from L gives G·∂C/∂(operand), the VJP
    g_base, gc_base, loss_base = gen.base("G"), gen.base("G" + result), gen.base("L")
    products = []
    for idx in np.ndindex(out.shape):
        gi = bld.leaf(_ix(g_base, idx), Kind.CONST, float(g[idx]))
        name = loss_base if out.size == 1 else _ix(gc_base, idx)
        products.append(bld.op(name, "mul", gi, int(out[idx])))
    loss = bld.total(products, lambda k: _ix(loss_base, (k,)), loss_base if out.size > 1 else None)

    outputs = [loss, *(int(out[idx]) for idx in np.ndindex(out.shape))]
    shown = " and ".join(_shape_text(s) for s in shapes)
    graph = Graph(
        bld.nodes,
        list(dict.fromkeys(outputs)),
        title=f"zoom: {op} of {shown}",
        description=_description(
            top, names_, result, loss_base, g_base, out_shape, arrays, labels_are_indices
        ),
        aliases=dict(bld.aliases),
    )
    return Zoom(graph, op, tuple(leaf_names), result_names, g, bld.name_of(loss))


def _checked_result_shape(top: TensorOp, shapes: list[Index], opts: _Options) -> Index:
    """The result's shape, with transpose's axes checked (reshape's shape, matmul's and
    broadcasting's shapes and the axes of reductions are checked on the way)."""
    if top.family == "transpose" and opts.axes is not None:
        ndim = len(shapes[0])
        if sorted(_axis(x, ndim, "transpose") for x in opts.axes) != list(range(ndim)):
            raise ZoomError(f"zoom: transpose: axes {list(opts.axes)} are not a permutation of {ndim} axes")
        opts = _Options(opts.axis, tuple(x % ndim for x in opts.axes), opts.shape, opts.keepdims)
    return _result_shape(top, shapes, opts)


def _new_shape(old: Index, shape: Index | None) -> Index:
    """reshape's result shape (one entry may be -1: what the others leave), checked."""
    if shape is None:
        raise ZoomError("zoom: reshape needs the new shape")
    size = int(np.prod(old))
    known = int(np.prod([n for n in shape if n != -1]))
    unknown = [n for n in shape if n == -1]
    fits = all(n >= 0 or n == -1 for n in shape) and len(unknown) <= 1
    if fits and unknown:
        fits = known > 0 and size % known == 0
        shape = tuple(size // known if n == -1 else n for n in shape)
    if not fits or int(np.prod(shape)) != size:
        raise ZoomError(
            f"zoom: reshape: the {size} entries of {_shape_text(old)} do not fit shape {_shape_text(shape)}"
        )
    return shape


def _names_of(bld: _Builder, ids: IntArray) -> npt.NDArray[np.object_]:
    out = np.empty(ids.shape, dtype=object)
    for idx in np.ndindex(ids.shape):
        out[idx] = bld.name_of(int(ids[idx]))
    return out


def _description(
    top: TensorOp,
    names: Sequence[str | None],
    result: str,
    loss: str,
    g: str,
    out_shape: Index,
    arrays: Sequence[FloatArray],
    labels_are_indices: bool,
) -> str:
    args = ", ".join(n if n is not None else const_name(float(a)) for n, a in zip(names, arrays, strict=True))
    lines = [
        f"{result} = {top.name}({args}), one scalar operation per node: {top.doc}.",
        f"{loss} = the sum of {g}·{result} over the {int(np.prod(out_shape))} entries of {result}, with "
        f"{g} the upstream gradient d{loss}/d{result}, so backprop from {loss} gives each operand entry "
        f"its entry of the vector-Jacobian product.",
    ]
    if labels_are_indices:
        picked = ", ".join(str(int(v)) for v in np.asarray(arrays[1]).reshape(-1))
        lines.append(f"Class labels (one per row): {picked}.")
    if top.family == "fit":
        lines.append(
            f"{names[1] or const_name(float(arrays[1]))} gives only its shape {_shape_text(out_shape)}: "
            "it is no node here (fit's derivative with respect to it is 0)."
        )
    if top.family in ("softmax", "cross_entropy"):
        lines.append(
            "Each row's maximum M is subtracted first (a constant: the result and its gradients "
            "do not change, and exp cannot overflow)."
        )
    return "\n".join(lines)
