"""A graph from a small ONNX model: every tensor element becomes a scalar node, so a layer
is shown as the multiplications and additions it stands for (a 1x2 @ 2x2 MatMul is four
products and two sums), each one an edge a learner can step through.

Supported operators: ``Add Sub Mul Div Pow Neg Exp Log Sqrt Sin Cos Tan Tanh Sigmoid Relu
Abs Identity`` elementwise with NumPy broadcasting, ``MatMul`` and ``Gemm`` on 1-D and 2-D
tensors, ``Softmax`` over an axis, ``ReduceSum``/``ReduceMean``, ``Transpose``,
``Reshape``/``Flatten`` and ``Constant``. Floating-point initializers become params (one per
element, named ``W_0_1`` for ``W[0, 1]``; one used only as the exponent of ``Pow`` stays a
constant), graph inputs become inputs (values from
``--example``, 0 otherwise), and the model's outputs are the graph's outputs. Shapes must be
static. Anything else is refused with every such node listed.

``check`` runs ONNX's own reference evaluator (``onnx.reference``) on the same inputs and
compares every tensor element with cgtui's node of that name. ONNX computes no gradients,
so only values are compared.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from cgtui.bridges.common import Compared, Names, number
from cgtui.core.errors import CgtuiError
from cgtui.core.graph import Graph, Kind
from cgtui.core.lazy import np
from cgtui.engine.engine import gradients
from cgtui.lang.build import from_expression

INSTALL = "pip install 'cgtui[onnx]'"
#: Models larger than this are refused (ONNX files of big networks are not for stepping).
MAX_MODEL_BYTES = 5 * 1024 * 1024
#: An expanded graph with more scalar statements than this is refused.
MAX_STATEMENTS = 50_000

_BINARY = {"Add": "+", "Sub": "-", "Mul": "*", "Div": "/", "Pow": "^"}
_UNARY = {
    "Exp": "exp",
    "Log": "log",
    "Sqrt": "sqrt",
    "Sin": "sin",
    "Cos": "cos",
    "Tan": "tan",
    "Tanh": "tanh",
    "Sigmoid": "sigmoid",
    "Relu": "relu",
    "Abs": "abs",
}


def _onnx() -> Any:
    try:
        import onnx
        import onnx.numpy_helper
    except ImportError:
        raise CgtuiError(f"cgtui import onnx needs the onnx package: {INSTALL}") from None
    return onnx


@dataclass
class Imported:
    graph: Graph
    program: str
    #: ONNX tensor name -> array (same shape) of cgtui node names or number literals
    tensors: dict[str, Any]
    model: Any
    inputs: dict[str, tuple[int, ...]]  # graph input -> shape
    notes: list[str] = field(default_factory=list)


class _Writer:
    """Statements in cgtui's language, one per tensor element, with unique names."""

    def __init__(self) -> None:
        self.lines: list[str] = []
        self.names = Names()

    def name(self, wanted: str) -> str:
        return self.names.fresh(wanted)

    def element_names(self, tensor: str, shape: tuple[int, ...]) -> Any:
        names = np.empty(shape, dtype=object)
        if names.size == 1:  # one element: the tensor's own name
            names.reshape(-1)[0] = self.name(tensor)
            return names
        for idx in np.ndindex(*shape):
            names[idx] = self.name(f"{tensor}_{'_'.join(map(str, idx))}")
        return names

    def assign(self, tensor: str, exprs: Any) -> Any:
        """Name every element of ``exprs`` (an object array of expression texts)."""
        if exprs.size > MAX_STATEMENTS - len(self.lines):
            raise CgtuiError(
                f"the model expands to more than {MAX_STATEMENTS:,} scalar steps; too big to step"
            )
        names = self.element_names(tensor, exprs.shape)
        for idx in np.ndindex(*exprs.shape):
            self.lines.append(f"{names[idx]} = {exprs[idx]}")
        return names


def _literal(x: float) -> str:
    return number(x, "the model")


def _literals(array: Any) -> Any:
    out = np.empty(np.shape(array), dtype=object)
    for idx in np.ndindex(*out.shape):
        out[idx] = _literal(float(np.asarray(array)[idx]))
    return out


def _paren(text: str) -> str:
    simple = re.fullmatch(r"[\w.]+|\(-[\w.]+\)", text) is not None
    return text if simple else f"({text})"


def _elementwise(fn: Any, *arrays: Any) -> Any:
    broadcast = np.broadcast_arrays(*arrays)
    out = np.empty(broadcast[0].shape, dtype=object)
    for idx in np.ndindex(*out.shape):
        out[idx] = fn(*(b[idx] for b in broadcast))
    return out


def _matmul(a: Any, b: Any) -> Any:
    vec_a, vec_b = a.ndim == 1, b.ndim == 1
    a2 = a.reshape(1, -1) if vec_a else a
    b2 = b.reshape(-1, 1) if vec_b else b
    if a2.ndim != 2 or b2.ndim != 2:
        raise CgtuiError(f"MatMul of {a.ndim}-D and {b.ndim}-D tensors: only 1-D and 2-D are supported")
    if a2.shape[1] != b2.shape[0]:
        raise CgtuiError(
            f"MatMul: {a.shape} @ {b.shape}: inner dimensions {a2.shape[1]} and {b2.shape[0]} differ"
        )
    out = np.empty((a2.shape[0], b2.shape[1]), dtype=object)
    for i in range(a2.shape[0]):
        for k in range(b2.shape[1]):
            out[i, k] = " + ".join(f"{_paren(a2[i, j])} * {_paren(b2[j, k])}" for j in range(a2.shape[1]))
    if vec_a and vec_b:
        return out.reshape(())
    if vec_a:
        return out.reshape(-1)
    if vec_b:
        return out.reshape(-1)
    return out


def _attrs(node: Any) -> dict[str, Any]:
    onnx = _onnx()
    return {a.name: onnx.helper.get_attribute_value(a) for a in node.attribute}


def _axes(node: Any, attrs: dict[str, Any], consts: dict[str, Any], ndim: int) -> tuple[int, ...]:
    axes = attrs.get("axes")
    if axes is None and len(node.input) > 1 and node.input[1]:
        axes = [int(v) for v in np.asarray(consts[node.input[1]]).reshape(-1)]
    if axes is None:
        return tuple(range(ndim))
    return tuple(sorted(a % ndim for a in axes))


def _reduce(x: Any, axes: tuple[int, ...], keepdims: bool, mean: bool) -> Any:
    moved = np.moveaxis(x, axes, tuple(range(x.ndim - len(axes), x.ndim)))
    kept = moved.shape[: x.ndim - len(axes)]
    flat = moved.reshape((*kept, -1))
    out = np.empty(kept, dtype=object)
    for idx in np.ndindex(*kept):
        terms = [_paren(t) for t in flat[idx]]
        total = " + ".join(terms)
        out[idx] = f"({total}) / {len(terms)}" if mean else total
    if keepdims:
        out = np.expand_dims(out, axes)
    return out


def load_model(path: str) -> Any:
    onnx = _onnx()
    p = Path(path)
    if not p.is_file():
        raise CgtuiError(f"no such file: {path}")
    size = p.stat().st_size
    if size > MAX_MODEL_BYTES:
        raise CgtuiError(f"{path} is {size:,} bytes; models over {MAX_MODEL_BYTES:,} bytes are refused")
    try:
        with p.open("rb") as f:
            data = f.read(MAX_MODEL_BYTES + 1)
        model = onnx.load_from_string(data)
    except Exception as exc:
        raise CgtuiError(f"{path} is not an ONNX model: {type(exc).__name__}: {exc}") from None
    return model


def convert(model: Any, example: Mapping[str, float]) -> Imported:
    """The scalar graph of an ONNX model, with ``example`` values on its input elements."""
    onnx = _onnx()
    g = model.graph
    w = _Writer()
    tensors: dict[str, Any] = {}
    consts: dict[str, Any] = {}  # numeric values known at conversion time (for attributes)
    params: dict[str, float] = {}
    inputs: dict[str, tuple[int, ...]] = {}
    problems: list[str] = []
    exponents = _exponents_only(g)
    for init in g.initializer:
        array = onnx.numpy_helper.to_array(init)
        consts[init.name] = array
        if array.dtype.kind == "f" and init.name not in exponents:
            names = w.element_names(init.name, tuple(array.shape))
            for idx in np.ndindex(*array.shape):
                params[names[idx]] = float(array[idx])
            tensors[init.name] = names
    initialized = {i.name for i in g.initializer}
    for inp in g.input:
        if inp.name in initialized:
            continue
        dims = inp.type.tensor_type.shape.dim
        if any(not d.HasField("dim_value") for d in dims):
            problems.append(f"input '{inp.name}' has a dynamic shape; give the model static shapes")
            continue
        shape = tuple(int(d.dim_value) for d in dims)
        inputs[inp.name] = shape
        tensors[inp.name] = w.element_names(inp.name, shape)
    for node in g.node:
        try:
            _convert_node(node, w, tensors, consts, problems)
        except CgtuiError as exc:
            problems.append(f"node '{node.name or node.output[0]}' ({node.op_type}): {exc}")
    if problems:
        raise CgtuiError(
            f"{len(problems)} part(s) of the model cgtui cannot import:\n  " + "\n  ".join(problems)
        )
    outputs: list[str] = []
    for out in g.output:
        if out.name not in tensors:
            raise CgtuiError(f"the model's output '{out.name}' is not computed by any node")
        outputs.extend(str(n) for n in np.asarray(tensors[out.name]).reshape(-1))
    if not w.lines:
        raise CgtuiError("the model computes nothing")
    leaf_names = {str(n) for a in tensors.values() for n in np.asarray(a).reshape(-1)}
    unknown = sorted(set(example) - leaf_names)
    if unknown:
        raise CgtuiError(
            f"--example names {', '.join(unknown[:10])}, which are not input elements of the model"
        )
    program = "\n".join(w.lines) + "\n"
    input_names = [str(n) for name in inputs for n in np.asarray(tensors[name]).reshape(-1)]
    values = {n: 0.0 for n in input_names} | {k: float(v) for k, v in example.items()} | params
    used = _names_used(program)
    graph = from_expression(
        program,
        params={p for p in params if p in used},
        values={k: v for k, v in values.items() if k in used},
        merge=False,
    )
    graph.outputs = [graph.index[n] for n in outputs if n in graph.index]
    for n in input_names:
        if n in graph:
            graph.set_kind(n, Kind.INPUT)
    return Imported(graph, program, tensors, model, inputs)


def _exponents_only(g: Any) -> set[str]:
    """Initializers used only as the exponent of ``Pow`` (the 2 of a square): constants,
    not params (a learnable exponent would need d/db, which a negative base does not have)."""
    as_exponent = {n.input[1] for n in g.node if n.op_type == "Pow" and len(n.input) > 1}
    elsewhere = {
        name for n in g.node for k, name in enumerate(n.input) if not (n.op_type == "Pow" and k == 1)
    }
    return as_exponent - elsewhere


def _names_used(program: str) -> set[str]:
    return set(re.findall(r"[^\W\d]\w*", program))


def _convert_node(
    node: Any, w: _Writer, tensors: dict[str, Any], consts: dict[str, Any], problems: list[str]
) -> None:
    onnx = _onnx()
    op = node.op_type
    attrs = _attrs(node)

    def arg(k: int) -> Any:
        name = node.input[k]
        if name in tensors:
            return tensors[name]
        if name in consts:
            return _literals(consts[name])
        raise CgtuiError(f"its input '{name}' is not computed before it")

    out_name = node.output[0]
    if op == "Constant":
        value = attrs.get("value")
        if value is None:
            raise CgtuiError("only Constant with a tensor 'value' is supported")
        array = onnx.numpy_helper.to_array(value)
        consts[out_name] = array
        tensors[out_name] = _literals(array)
        return
    if op in _BINARY:
        sym = _BINARY[op]
        exprs = _elementwise(lambda a, b: f"{_paren(a)} {sym} {_paren(b)}", arg(0), arg(1))
    elif op in _UNARY:
        fn = _UNARY[op]
        exprs = _elementwise(lambda a: f"{fn}({a})", arg(0))
    elif op == "Neg":
        exprs = _elementwise(lambda a: f"-{_paren(a)}", arg(0))
    elif op == "Identity":
        tensors[out_name] = arg(0)
        return
    elif op == "MatMul":
        exprs = _matmul(arg(0), arg(1))
    elif op == "Gemm":
        a, b = arg(0), arg(1)
        a = a.T if attrs.get("transA", 0) else a
        b = b.T if attrs.get("transB", 0) else b
        alpha, beta = float(attrs.get("alpha", 1.0)), float(attrs.get("beta", 1.0))
        prod = _matmul(a, b)
        if alpha != 1.0:
            prod = _elementwise(lambda t: f"{_literal(alpha)} * ({t})", prod)
        if len(node.input) > 2 and node.input[2]:
            c = arg(2)
            if beta != 1.0:
                c = _elementwise(lambda t: f"{_literal(beta)} * {_paren(t)}", c)
            prod = _elementwise(lambda p, q: f"{p} + {_paren(q)}", prod, c)
        exprs = prod
    elif op == "Softmax":
        x = arg(0)
        axis = int(attrs.get("axis", -1)) % x.ndim
        exps = w.assign(f"{out_name}_exp", _elementwise(lambda t: f"exp({t})", x))
        total = w.assign(f"{out_name}_sum", _reduce(exps, (axis,), True, mean=False))
        exprs = _elementwise(lambda e, s: f"{e} / {s}", exps, total)
    elif op in ("ReduceSum", "ReduceMean"):
        x = arg(0)
        axes = _axes(node, attrs, consts, x.ndim)
        exprs = _reduce(x, axes, bool(attrs.get("keepdims", 1)), mean=op == "ReduceMean")
    elif op == "Transpose":
        x = arg(0)
        tensors[out_name] = np.transpose(x, attrs.get("perm"))
        return
    elif op == "Reshape":
        shape = [int(v) for v in np.asarray(consts.get(node.input[1], [])).reshape(-1)]
        if not shape:
            raise CgtuiError("Reshape needs its shape as a constant")
        x = arg(0)
        shape = [x.shape[k] if s == 0 else s for k, s in enumerate(shape)]
        tensors[out_name] = x.reshape(shape)
        return
    elif op == "Flatten":
        x = arg(0)
        axis = int(attrs.get("axis", 1))
        tensors[out_name] = x.reshape(int(np.prod(x.shape[:axis])), -1)
        return
    else:
        raise CgtuiError("cgtui's op table has no such operator")
    tensors[out_name] = w.assign(out_name, exprs)


def check(imported: Imported) -> list[Compared]:
    """Every named tensor element, cgtui against ONNX's reference evaluator (float64)."""
    onnx = _onnx()
    from onnx.reference import ReferenceEvaluator

    graph = imported.graph
    result = gradients(graph)
    feeds: dict[str, Any] = {}
    for name, shape in imported.inputs.items():
        names = np.asarray(imported.tensors[name])
        dtype = _input_dtype(imported.model, name, onnx)
        feeds[name] = np.array([_leaf_value(graph, str(n)) for n in names.reshape(-1)], dtype=dtype).reshape(
            shape
        )
    wanted = [o for n in imported.model.graph.node for o in n.output if o in imported.tensors]
    model = onnx.helper.make_model(imported.model.graph, opset_imports=imported.model.opset_import)
    del model.graph.output[:]
    model.graph.output.extend(onnx.helper.make_empty_tensor_value_info(o) for o in wanted)
    evaluator = ReferenceEvaluator(model)
    results = evaluator.run(None, feeds)
    checks: list[Compared] = []
    for tensor, array in zip(wanted, results, strict=True):
        names = np.asarray(imported.tensors[tensor])
        for idx in np.ndindex(*names.shape):
            n = str(names[idx])
            if n in graph.index:
                ours = result.values[graph.index[n]]
                checks.append(Compared(n, float(ours), float(np.asarray(array)[idx])))
    return checks


def _leaf_value(graph: Graph, name: str) -> float:
    if name not in graph.index:
        return 0.0
    value = graph.node(name).value
    return 0.0 if value is None else float(value)


def _input_dtype(model: Any, name: str, onnx: Any) -> Any:
    for inp in model.graph.input:
        if inp.name == name:
            return onnx.helper.tensor_dtype_to_np_dtype(inp.type.tensor_type.elem_type)
    return np.float64


def tolerance(imported: Imported) -> float:
    """How close ONNX's reference evaluator must come: float64 models to 1e-9 (relative),
    float32 ones to 1e-5, as they compute in single precision."""
    onnx = _onnx()
    types = [i.type.tensor_type.elem_type for i in imported.model.graph.input]
    types += [t.data_type for t in imported.model.graph.initializer]
    return 1e-9 if all(t == onnx.TensorProto.DOUBLE for t in types) else 1e-5
