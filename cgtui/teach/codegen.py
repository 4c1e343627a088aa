"""A graph as Python code: backprop written out as straight-line code a learner can read
and run (``cgtui export --format numpy``), and the forward pass as a PyTorch or JAX function
whose autograd trains the same graph (``--format pytorch``, ``--format jax``).

The NumPy module defines ``value_and_grad(**leaves) -> (value, {leaf: dL/dleaf})``: the
forward pass is one line per node, the backward pass one line per local derivative
(``∂z/∂w``) and one ``+=`` per edge into a cached partial (``dL/dz``), in the explorer's
order and notation, so each line of the code is one step of ``cgtui steps`` or the
explorer's log. Every piece of maths comes from the op table: the forward rule of an op is
its syntax applied to its operands, each local derivative is the formula the explorer shows,
translated token by token (``^`` becomes ``**``, ``tanh`` becomes ``np.tanh``).

Numbers are float64 throughout. Where cgtui reports a fault (a log of a negative number, an
overflow) the generated code computes what NumPy gives (nan, inf, with NumPy's warning):
it is code to read and run, not a second engine.
"""

from __future__ import annotations

import keyword
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from functools import cache
from typing import Any

from cgtui.core import arrays
from cgtui.core.errors import CgtuiError
from cgtui.core.graph import Graph, Kind
from cgtui.core.lazy import np
from cgtui.core.names import fresh_name
from cgtui.core.notation import TIMES, local_name, operand, partial_name, short_shape, vjp_map
from cgtui.core.ops import OPS, SLOT_NAMES
from cgtui.engine.engine import application_text, differentiable, edge_formula, on_path
from cgtui.lang.parser import tokenize
from cgtui.teach.tensor_text import (
    averaged_count,
    broadcast_note,
    class_indices,
    node_shapes,
    vjp_factors,
    vjp_shape,
)

#: Python for each function of the language, per target library.
NUMPY_FUNCTIONS: dict[str, str] = {
    "exp": "np.exp",
    "log": "np.log",
    "sqrt": "np.sqrt",
    "sin": "np.sin",
    "cos": "np.cos",
    "tan": "np.tan",
    "tanh": "np.tanh",
    "abs": "np.abs",
    "sign": "np.sign",
    "sigmoid": "sigmoid",
    "relu": "relu",
    "step": "step",
}
TORCH_FUNCTIONS: dict[str, str] = {
    "exp": "torch.exp",
    "log": "torch.log",
    "sqrt": "torch.sqrt",
    "sin": "torch.sin",
    "cos": "torch.cos",
    "tan": "torch.tan",
    "tanh": "torch.tanh",
    "abs": "torch.abs",
    "sign": "torch.sign",
    "sigmoid": "torch.sigmoid",
    "relu": "torch.relu",
    "step": "step",
}
JAX_FUNCTIONS: dict[str, str] = {
    "exp": "jnp.exp",
    "log": "jnp.log",
    "sqrt": "jnp.sqrt",
    "sin": "jnp.sin",
    "cos": "jnp.cos",
    "tan": "jnp.tan",
    "tanh": "jnp.tanh",
    "abs": "jnp.abs",
    "sign": "jnp.sign",
    "sigmoid": "jax.nn.sigmoid",
    "relu": "jax.nn.relu",
    "step": "step",
}
#: Helpers the NumPy module defines when it uses them (the op table's conventions:
#: derivative 0 at the kink of relu and abs).
NUMPY_HELPERS: dict[str, str] = {
    "sigmoid": "def sigmoid(a):\n    return 1.0 / (1.0 + np.exp(-a))",
    "relu": "def relu(a):\n    return np.maximum(a, 0.0)",
    "step": "def step(a):\n    return np.where(a > 0, 1.0, 0.0)[()]",
}
TORCH_HELPERS: dict[str, str] = {
    "step": "def step(a):\n    return (a > 0).to(a.dtype)",
}
JAX_HELPERS: dict[str, str] = {
    "step": "def step(a):\n    return jnp.where(a > 0, 1.0, 0.0)",
}
_PY_OPERATORS = {"^": "**", "**": "**"}
#: Names the generated code uses for itself.
_RESERVED = {
    "np",
    "jnp",
    "jax",
    "torch",
    "value_and_grad",
    "forward",
    "float",
    "dict",
    "LEAVES",
    "PARAMS",
    "OUTPUT",
}


#: Array entries a module writes as literals at most (about 20 MB of text).
MAX_LITERAL_ENTRIES = 1_000_000


class _Namer:
    """Python identifiers for node names and for the names the code derives from them,
    never clashing with each other, with Python's keywords or with the code's own names."""

    def __init__(self, graph: Graph) -> None:
        self.taken: set[str] = set(_RESERVED) | set(NUMPY_HELPERS) | set(TORCH_HELPERS) | set(JAX_HELPERS)
        self.taken |= set(NUMPY_TENSOR_HELPERS) | set(JAX_TENSOR_HELPERS)
        self.node: list[str] = []
        for n in graph.nodes:
            self.node.append(self.fresh(n.name if n.name.isidentifier() else f"n{len(self.node)}"))

    def fresh(self, wanted: str) -> str:
        return fresh_name(wanted, self.taken, keyword.iskeyword)


def _literal(x: float) -> str:
    return operand(repr(float(x)))


def _array_literal(value: Any, call: str, indent: str = "") -> str:
    """An array as code that rebuilds it exactly (``repr`` of each float round-trips):
    ``np.array([0.3, 0.4])``; a 2-D array one row a line. ``call`` is empty for plain
    nested lists."""
    arr = np.asarray(value, dtype=float)
    if arr.ndim == 2 and arr.shape[0] > 1:
        rows = "".join(f"\n{indent}    {row!r}," for row in arr.tolist())
        body = f"[{rows}\n{indent}]"
    else:
        body = repr(arr.tolist())
    if "{}" in call:  # a template: torch.tensor({}, dtype=torch.float64)
        return call.replace("{}", body)
    return f"{call}({body})" if call else body


def _value_literal(value: Any, call: str, indent: str = "") -> str:
    return _literal(float(value)) if isinstance(value, float | int) else _array_literal(value, call, indent)


@cache
def _tokens(formula: str) -> tuple[tuple[str, str, float], ...]:
    """A formula's tokens (kind, text, value), read once per formula: the op table has a
    few dozen, and a 100,000-level graph has 300,000 edges to write."""
    return tuple((t.kind, t.text, t.value) for t in tokenize(formula) if t.kind not in ("end", "newline"))


def _translate(
    formula: str, names: dict[str, str], functions: dict[str, str], used: set[str],
    keywords: dict[str, str] | None = None,
) -> str:
    """A formula in cgtui's language as Python, token by token (``b * a^(b - 1)`` becomes
    ``b * a ** (b - 1.0)``). ``keywords`` writes a keyword argument's name
    (``sum(G, axis=-1)`` keeps the summed axis: ``np.sum(G, keepdims=True, axis=-1)``);
    its value is a whole number, written as one."""
    code = ""
    prev = ""  # the previous token's Python text
    prev_call = False
    prev_sign = False
    keyword = False  # inside a keyword argument's value
    for kind, token, value in _tokens(formula):
        call = False
        if kind == "name":
            if keywords is not None and token in keywords:
                text, keyword = keywords[token], True
            elif token in names:
                text = names[token]
            elif token in functions:
                text, call = functions[token], True
                used.add(token)
            else:
                raise CgtuiError(f"no Python for '{token}' in the formula {formula!r}")
        elif kind == "number":
            text = str(int(value)) if keyword and float(value).is_integer() else _literal(value)
            keyword = False
        else:
            text = _PY_OPERATORS.get(token, token)
        glued = (
            not code or text in (")", ",", "=") or prev in ("(", "=") or prev_sign
            or (text == "(" and prev_call)
        )
        code += text if glued else " " + text
        prev_sign = text == "-" and (not prev or prev in ("(", ",", "+", "-", "*", "/", "**", "@", "="))
        prev, prev_call = text, call
    return code


def _application(op_name: str, operands: list[str], functions: dict[str, str], used: set[str]) -> str:
    """The op applied to its operands' Python expressions: its forward rule as code."""
    op = OPS[op_name]
    if op.symbol is not None and op.arity == 2:
        return f"{operands[0]} {_PY_OPERATORS.get(op.symbol, op.symbol)} {operands[1]}"
    if op.symbol is not None:
        return f"{op.symbol}{operands[0]}"
    if op_name not in functions:
        raise CgtuiError(f"no Python for the op '{op_name}'")
    used.add(op_name)
    return f"{functions[op_name]}({', '.join(operands)})"


class _Code:
    """What both targets share: names, operand expressions, the leaves."""

    def __init__(self, graph: Graph, functions: dict[str, str]) -> None:
        if not graph.outputs:
            raise CgtuiError("the graph has no output")
        self.graph = graph
        self.functions = functions
        self.namer = _Namer(graph)
        self.used: set[str] = set()
        self.output = graph.outputs[0]
        self.leaves = [i for i, n in enumerate(graph.nodes) if n.op is None and n.kind is not Kind.CONST]
        #: a tensor graph: leaves hold arrays, and the code is written with array operations
        self.tensor = graph.has_arrays
        if self.tensor:
            entries = sum(int(np.size(n.value)) for n in graph.nodes if n.op is None and n.value is not None)
            if entries > MAX_LITERAL_ENTRIES:
                raise CgtuiError(
                    f"the leaves hold {entries:,} numbers; code export writes them as literals, "
                    f"at most {MAX_LITERAL_ENTRIES:,}"
                )

    def operand(self, p: int) -> str:
        node = self.graph.nodes[p]
        if node.kind is Kind.CONST and not node.name.isidentifier():
            if node.value is None:
                raise CgtuiError(f"the constant '{node.name}' has no value")
            if not isinstance(node.value, float | int):
                return _array_literal(node.value, "np.array")
            return _literal(float(node.value))
        return self.namer.node[p]

    def signature(self) -> str:
        parts = []
        for i in self.leaves:
            value = self.graph.nodes[i].value
            name = self.namer.node[i]
            if value is None:
                parts.append(name)
            elif self.tensor:
                parts.append(f"{name}=LEAVES[{self.graph.nodes[i].name!r}]")
            else:
                parts.append(f"{name}={_literal(float(value))}")
        return ", ".join(parts)

    def constants(self) -> Iterable[str]:
        for i, node in enumerate(self.graph.nodes):
            if node.op is None and node.kind is Kind.CONST and node.name.isidentifier():
                if node.value is None:
                    raise CgtuiError(f"the constant '{node.name}' has no value")
                yield f"{self.namer.node[i]} = {_value_literal(node.value, self.array_call)}  # constant"

    #: how the code writes an array constant (``np.array``, ``jnp.array``, or a template)
    array_call = "np.array"

    def forward_lines(self, cast: Callable[[str], str] | None) -> list[str]:
        """The forward pass; ``cast`` converts each leaf first (None: leaves are used as given)."""
        g = self.graph
        lines = [
            f"{self.namer.node[i]} = {cast(self.namer.node[i])}  # {g.nodes[i].kind.value}"
            for i in self.leaves
            if cast is not None
        ]
        lines += list(self.constants())
        for i, node in enumerate(g.nodes[: self.output + 1]):
            if node.op is None:
                continue
            if self.tensor_forward is not None and node.op in self.tensor_forward:
                code = self.tensor_application(i)
            else:
                operands = [self.operand(p) for p in node.operands]
                code = _application(node.op, operands, self.functions, self.used)
            lines.append(f"{self.namer.node[i]} = {code}")
        return lines

    #: a tensor op's forward code per op name (None: a scalar graph, which has none)
    tensor_forward: dict[str, str] | None = None

    def tensor_application(self, i: int) -> str:
        """A tensor op applied to its operands, from its template in :attr:`tensor_forward`:
        ``{a}`` is the array operand, ``{k}`` an axis, ``{r}, {c}`` a new shape, written
        as the whole numbers they are."""
        assert self.tensor_forward is not None
        node = self.graph.nodes[i]
        op = node.op or ""
        template = self.tensor_forward[op]
        if op == "cross_entropy" and len(self.shapes[node.operands[1]]) == 1:
            template = self.tensor_forward["cross_entropy_indices"]
        names = {"a": self.operand(node.operands[0])}
        if len(node.operands) > 1:
            names["b"] = self.operand(node.operands[1])
        if op in ("sum_axis", "mean_axis"):
            names["k"] = str(self.whole(node.operands[1]))
        if op == "reshape":
            names["r"], names["c"] = str(self.whole(node.operands[1])), str(self.whole(node.operands[2]))
        self.used.add(op)
        return template.format(**names)

    def whole(self, p: int) -> int:
        """A constant operand that is a count (an axis, a length) as an int."""
        value = self.graph.nodes[p].value
        if not isinstance(value, float | int) or not float(value).is_integer():
            raise CgtuiError(f"'{self.graph.nodes[p].name}' must be a whole number written in the text")
        return int(value)

    @property
    def shapes(self) -> list[tuple[int, ...]]:
        """Every node's shape, from the leaves' values by the op table's shape rules (no
        forward pass: a value the generated code would compute as NaN is no obstacle)."""
        if self._shapes is None:
            g = self.graph
            missing = [g.nodes[i].name for i in self.leaves if g.nodes[i].value is None]
            if missing:
                raise CgtuiError(
                    f"code export of a tensor graph needs every leaf's value (its shape); "
                    f"{', '.join(repr(m) for m in missing[:3])} {'has' if len(missing) == 1 else 'have'} none"
                )
            shapes = node_shapes(g)
            unknown = [g.nodes[i].name for i, sh in enumerate(shapes) if sh is None]
            if unknown:  # the builder checked every shape: only a graph made by hand gets here
                raise CgtuiError(f"the shape of '{unknown[0]}' does not follow from its operands'")
            self._shapes = [sh for sh in shapes if sh is not None]
        return self._shapes

    _shapes: list[tuple[int, ...]] | None = None


def _module_head(graph: Graph, what: str) -> list[str]:
    """The module's docstring, written as a literal that any title keeps valid."""
    title = " ".join((graph.title or "a cgtui graph").split())
    return [repr(f"{what}() for {title}, written by cgtui export."), ""]


def to_numpy(graph: Graph) -> str:
    """A self-contained module with ``value_and_grad(**leaves)``: the forward pass and
    backprop written out line by line."""
    if graph.has_arrays:
        return _tensor_numpy(graph)
    c = _Code(graph, NUMPY_FUNCTIONS)
    g, namer, out = graph, c.namer, c.output
    out_name = g.nodes[out].name
    body = _Body()
    body.extend(c.forward_lines(lambda name: f"np.float64({name})"))
    needs = differentiable(g)
    path = on_path(g, out)
    partial = {
        i: namer.fresh(f"d{namer.node[out]}_d{namer.node[i]}") for i in range(out + 1) if needs[i] and path[i]
    }
    body.append("")
    seed_name = partial_name(out_name, out_name)
    body.append(f"# backward: {partial_name(out_name, 'node')} for every node, from the seed {seed_name} = 1")
    edges = sum(1 for s in partial for p in g.nodes[s].operands if p in partial)
    explained = edges <= MAX_EXPLAINED_EDGES
    if not explained:
        body.append(
            f"# ({edges:,} edges: past {MAX_EXPLAINED_EDGES:,}, the local derivatives' formulas are not "
            "repeated in comments)"
        )
    for i in sorted(partial, reverse=True):
        seed = "1.0" if i == out else "0.0"
        body.append(f"{partial[i]} = {seed}  # {partial_name(out_name, g.nodes[i].name)}")
    for s in range(out, -1, -1):
        node = g.nodes[s]
        if node.op is None or s not in partial:
            continue
        op = OPS[node.op]
        repeated = len(set(node.operands)) < len(node.operands)
        body.append(f"# {node.name} = {application_text(g, s)}")
        names = {SLOT_NAMES[k]: c.operand(p) for k, p in enumerate(node.operands)}
        names["out"] = namer.node[s]
        for slot, p in enumerate(node.operands):
            if p not in partial:
                continue
            tag = f"_{SLOT_NAMES[slot]}" if repeated else ""
            local = namer.fresh(f"local_{namer.node[s]}_{namer.node[p]}{tag}")
            code = _translate(op.partials[slot].formula, names, c.functions, c.used)
            slot_tag = f" (slot {SLOT_NAMES[slot]})" if repeated else ""
            edge = local_name(node.name, g.nodes[p].name) + slot_tag
            upstream = partial_name(out_name, node.name)
            if not explained:
                body.append(f"{local} = {code}")
                body.append(f"{partial[p]} += {partial[s]} * {local}")
                continue
            body.append(f"{local} = {code}  # {edge} = {edge_formula(g, s, slot)}")
            body.append(
                f"{partial[p]} += {partial[s]} * {local}"
                f"  # {partial_name(out_name, g.nodes[p].name)} += {upstream}{TIMES}{edge}"
            )
    grads = ", ".join(
        f"{g.nodes[i].name!r}: {f'float({partial[i]})' if i in partial else '0.0'}" for i in c.leaves
    )
    body.append("")
    body.append(f"return float({namer.node[out]}), {{{grads}}}")
    helpers = [NUMPY_HELPERS[h] for h in NUMPY_HELPERS if h in c.used]
    lines = _module_head(g, "value_and_grad")
    lines += ["import numpy as np", ""]
    for h in helpers:
        lines += ["", h, ""]
    lines += [
        "",
        f"def value_and_grad({'*, ' if c.leaves else ''}{c.signature()}) -> tuple[float, dict[str, float]]:",
    ]
    lines.append(
        f'    """{out_name} and d{out_name}/dleaf for every leaf: the forward pass, then backprop, '
        'one edge a line."""'
    )
    lines += body.done()
    lines += [
        "",
        "",
        'if __name__ == "__main__":',
        "    print(value_and_grad())" if _all_valued(c) else "    pass",
    ]
    lines.append("")  # the last newline (adding it to the joined text copied 100 MB)
    return "\n".join(lines)


#: A tensor op's forward code in NumPy (``{a}`` its array operand, ``{b}`` its second,
#: ``{k}`` an axis, ``{r}, {c}`` a new shape); cgtui's sums and means over one axis keep it.
NUMPY_TENSOR_FORWARD: dict[str, str] = {
    "transpose": "np.transpose({a})",
    "sum": "np.sum({a})",
    "mean": "np.mean({a})",
    "sum_axis": "np.sum({a}, axis={k}, keepdims=True)",
    "mean_axis": "np.mean({a}, axis={k}, keepdims=True)",
    "reshape": "np.reshape({a}, ({r}, {c}))",
    "softmax": "softmax({a})",
    "log_softmax": "log_softmax({a})",
    "cross_entropy": "cross_entropy({a}, {b})",
    "cross_entropy_indices": "cross_entropy({a}, {b})",
    "fit": "fit({a}, np.shape({b}))",
}
TORCH_TENSOR_FORWARD: dict[str, str] = {
    "transpose": "torch.t({a})",
    "sum": "torch.sum({a})",
    "mean": "torch.mean({a})",
    "sum_axis": "torch.sum({a}, dim={k}, keepdim=True)",
    "mean_axis": "torch.mean({a}, dim={k}, keepdim=True)",
    "reshape": "torch.reshape({a}, ({r}, {c}))",
    "softmax": "torch.softmax({a}, dim=-1)",
    "log_softmax": "torch.log_softmax({a}, dim=-1)",
    # labels as rows of probabilities, or class indices (not differentiated: .long())
    "cross_entropy": "torch.nn.functional.cross_entropy({a}, {b})",
    "cross_entropy_indices": "torch.nn.functional.cross_entropy({a}, {b}.long())",
    "fit": "fit({a}, tuple(torch.as_tensor({b}).shape))",
}
JAX_TENSOR_FORWARD: dict[str, str] = {
    "transpose": "jnp.transpose({a})",
    "sum": "jnp.sum({a})",
    "mean": "jnp.mean({a})",
    "sum_axis": "jnp.sum({a}, axis={k}, keepdims=True)",
    "mean_axis": "jnp.mean({a}, axis={k}, keepdims=True)",
    "reshape": "jnp.reshape({a}, ({r}, {c}))",
    "softmax": "jax.nn.softmax({a}, axis=-1)",
    "log_softmax": "jax.nn.log_softmax({a}, axis=-1)",
    "cross_entropy": "cross_entropy({a}, {b})",
    "cross_entropy_indices": "cross_entropy({a}, {b})",
    "fit": "fit({a}, jnp.shape({b}))",
}
#: Functions a VJP formula calls, in NumPy (``shape of a`` is read as ``shape(a)``).
NUMPY_VJP_FUNCTIONS: dict[str, str] = {
    **NUMPY_FUNCTIONS,
    "transpose": "np.transpose",
    "sum": "np.sum",
    "softmax": "softmax",
    "log_softmax": "log_softmax",
    "reshape": "np.reshape",
    "shape": "np.shape",
    "fit": "fit",
}
#: ``sum(G, axis=-1)`` in a VJP keeps the summed axis, as cgtui's sums do.
NUMPY_KEYWORDS = {"axis": "keepdims=True, axis"}
#: The helpers of a NumPy module for a tensor graph, in the order they are written; each
#: computes what the op table's rule computes, operation for operation.
NUMPY_TENSOR_HELPERS: dict[str, str] = {
    "softmax": (
        "def softmax(a):\n"
        '    """Along the last axis (the largest entry of a row subtracted first)."""\n'
        "    e = np.exp(a - np.max(a, axis=-1, keepdims=True))\n"
        "    return e / np.sum(e, axis=-1, keepdims=True)"
    ),
    "log_softmax": (
        "def log_softmax(a):\n"
        '    """Along the last axis."""\n'
        "    shifted = a - np.max(a, axis=-1, keepdims=True)\n"
        "    return shifted - np.log(np.sum(np.exp(shifted), axis=-1, keepdims=True))"
    ),
    "onehot": (
        "def onehot(logits, labels):\n"
        '    """Y: the labels as rows of probabilities (class indices become one-hot rows)."""\n'
        "    if np.ndim(labels) == 2:\n"
        "        return labels\n"
        "    return np.eye(np.shape(logits)[-1])[labels.astype(int)]"
    ),
    "cross_entropy": (
        "def cross_entropy(logits, labels):\n"
        '    """The mean over rows of -sum(Y * log_softmax(logits))."""\n'
        "    return -np.sum(onehot(logits, labels) * log_softmax(logits)) / np.shape(logits)[0]"
    ),
    "fit": (
        "def fit(c, shape):\n"
        f'    """The broadcasting rule: {arrays.BROADCAST_RULE}\n'
        '    (and spread back over the axes a reduction removed), so that it has the operand\'s shape."""\n'
        "    c = np.asarray(c, dtype=float)\n"
        "    if c.ndim > len(shape):\n"
        "        c = c.sum(axis=tuple(range(c.ndim - len(shape))))\n"
        "    axes = tuple(\n"
        "        k for k, n in enumerate(shape) if c.ndim == len(shape) and n == 1 and c.shape[k] != 1\n"
        "    )\n"
        "    if axes:\n"
        "        c = c.sum(axis=axes, keepdims=True)\n"
        "    return np.broadcast_to(c, shape).copy()"
    ),
}
TORCH_TENSOR_HELPERS: dict[str, str] = {
    "fit": (
        "def fit(c, shape):\n"
        f'    """The broadcasting rule: {arrays.BROADCAST_RULE}\n'
        '    (and spread back over the axes a reduction removed), so that it has the operand\'s shape."""\n'
        "    c = torch.as_tensor(c, dtype=torch.float64)\n"
        "    if c.dim() > len(shape):\n"
        "        c = c.sum(dim=tuple(range(c.dim() - len(shape))))\n"
        "    axes = tuple(\n"
        "        k for k, n in enumerate(shape) if c.dim() == len(shape) and n == 1 and c.shape[k] != 1\n"
        "    )\n"
        "    if axes:\n"
        "        c = c.sum(dim=axes, keepdim=True)\n"
        "    return c if tuple(c.shape) == tuple(shape) else c.expand(shape)"
    ),
}
JAX_TENSOR_HELPERS: dict[str, str] = {
    "fit": (
        "def fit(c, shape):\n"
        f'    """The broadcasting rule: {arrays.BROADCAST_RULE}\n'
        '    (and spread back over the axes a reduction removed), so that it has the operand\'s shape."""\n'
        "    c = jnp.asarray(c)\n"
        "    if c.ndim > len(shape):\n"
        "        c = c.sum(axis=tuple(range(c.ndim - len(shape))))\n"
        "    axes = tuple(\n"
        "        k for k, n in enumerate(shape) if c.ndim == len(shape) and n == 1 and c.shape[k] != 1\n"
        "    )\n"
        "    if axes:\n"
        "        c = c.sum(axis=axes, keepdims=True)\n"
        "    return jnp.broadcast_to(c, shape)"
    ),
    "cross_entropy": (
        "def cross_entropy(logits, labels):\n"
        '    """The mean over rows of -sum(Y * log_softmax(logits)); class indices become\n'
        '    one-hot rows and are not differentiated."""\n'
        "    if labels.ndim == 1:\n"
        "        indices = jax.lax.stop_gradient(labels).astype(int)\n"
        "        labels = jax.nn.one_hot(indices, logits.shape[-1], dtype=logits.dtype)\n"
        "    return -jnp.sum(labels * jax.nn.log_softmax(logits, axis=-1)) / logits.shape[0]"
    ),
}
_HELPER_NEEDS = {"cross_entropy": ("onehot", "log_softmax")}


def _helpers(table: dict[str, str], used: set[str]) -> list[str]:
    """The helpers ``used`` needs, with the helpers they call, in table order."""
    wanted = set(used)
    for name in used:
        wanted.update(_HELPER_NEEDS.get(name, ()))
    return [code for name, code in table.items() if name in wanted]


def _zeros(shape: tuple[int, ...]) -> str:
    return "0.0" if shape == () else f"np.zeros({shape!r})"


def _leaves_table(c: _Code, call: str) -> list[str]:
    """``LEAVES = {...}``: each leaf's value as a literal, by its node name."""
    g = c.graph
    lines = ["#: the leaves' values (cgtui's), by node name", "LEAVES = {"]
    for i in c.leaves:
        value = g.nodes[i].value
        text = "None" if value is None else _value_literal(value, call, "    ")
        lines.append(f"    {g.nodes[i].name!r}: {text},")
    lines.append("}")
    return lines


def _tensor_numpy(graph: Graph) -> str:
    """:func:`to_numpy` for a tensor graph: backprop one vector-Jacobian product a line."""
    c = _Code(graph, NUMPY_FUNCTIONS)
    c.tensor_forward = NUMPY_TENSOR_FORWARD
    g, namer, out = graph, c.namer, c.output
    out_name = g.nodes[out].name
    shape = c.shapes
    body = _Body()
    body.extend(c.forward_lines(None))
    needs = differentiable(g)
    path = on_path(g, out)
    partial = {
        i: namer.fresh(f"d{namer.node[out]}_d{namer.node[i]}") for i in range(out + 1) if needs[i] and path[i]
    }
    body.append("")
    body.append(
        f"# backward: {partial_name(out_name, 'node')} for every node, in the node's shape, "
        f"from the seed {partial_name(out_name, out_name)} = 1"
    )
    body.append(
        "# an array op's edge is a vector-Jacobian product (VJP): the map G ↦ ... from "
        f"G = {partial_name(out_name, 'out')} to the operand's contribution"
    )
    for i in sorted(partial, reverse=True):
        # an array output is seeded with ones, as cgtui seeds it: its entries' sum is differentiated
        seed = ("1.0" if shape[i] == () else f"np.ones({shape[i]!r})") if i == out else _zeros(shape[i])
        shown = f"{partial_name(out_name, g.nodes[i].name)} {short_shape(shape[i])}"
        body.append(f"{partial[i]} = {seed}  # {shown}")
    vjp_functions = {**NUMPY_VJP_FUNCTIONS}
    for s in range(out, -1, -1):
        node = g.nodes[s]
        if node.op is None or s not in partial:
            continue
        op = OPS[node.op]
        repeated = len(set(node.operands)) < len(node.operands)
        body.append(f"# {node.name} = {application_text(g, s)}")
        names = {SLOT_NAMES[k]: c.operand(p) for k, p in enumerate(node.operands)}
        names["out"] = namer.node[s]
        names["G"] = partial[s]
        upstream = partial_name(out_name, node.name)
        for slot, p in enumerate(node.operands):
            if p not in partial:
                continue
            tag = f"_{SLOT_NAMES[slot]}" if repeated else ""
            target = partial_name(out_name, g.nodes[p].name)
            rule = op.partials[slot]
            result: tuple[int, ...] | None  # the contribution's shape before the broadcasting rule
            if rule.vjp:
                name = namer.fresh(f"vjp_{namer.node[s]}_{namer.node[p]}{tag}")
                # in the code, fit takes the shape to reach, and reshape the shape it names
                formula = rule.formula.replace("shape of a", "shape(a)")
                formula = formula.replace("fit(G, a)", "fit(G, shape(a))")
                if class_indices(g, s, slot, shape):
                    code = _zeros(shape[p])
                    comment = "class indices are not differentiated: taken as 0"
                    result = shape[p]
                else:
                    extra = dict(names)
                    n = averaged_count(g, s, list(shape))
                    if n is not None:
                        extra["n"] = _literal(float(n))
                    if node.op == "cross_entropy":
                        extra["Y"] = f"onehot({names['a']}, {names['b']})"
                        c.used.add("onehot")
                    code = _translate(formula, extra, vjp_functions, c.used, NUMPY_KEYWORDS)
                    result = vjp_shape(g, s, slot, list(shape))
                    factors = vjp_factors(rule.formula, g, s, list(shape))
                    arrow = "" if result is None else f" -> {short_shape(result)}"
                    comment = f"{vjp_map(rule.formula)}: {factors}{arrow}  (G = {upstream})"
                    if "n" in extra:
                        comment += f", n = {extra['n'].removesuffix('.0')}"
                body.append(f"{name} = {code}  # {comment}")
                pushed = name
            else:
                name = namer.fresh(f"local_{namer.node[s]}_{namer.node[p]}{tag}")
                code = _translate(rule.formula, names, c.functions, c.used)
                edge = local_name(node.name, g.nodes[p].name)
                edge += f" (slot {SLOT_NAMES[slot]})" if repeated else ""
                body.append(f"{name} = {code}  # {edge} = {edge_formula(g, s, slot)}")
                pushed = f"{partial[s]} * {name}"
                result = shape[s]
            if result is None:  # the rule would not run on ones: fit, which keeps a fitting shape
                c.used.add("fit")
                body.append(f"{partial[p]} += fit({pushed}, {shape[p]!r})  # {target} += it, in its shape")
            elif result != shape[p]:
                c.used.add("fit")
                note = broadcast_note(result, shape[p])
                body.append(f"{partial[p]} += fit({pushed}, {shape[p]!r})  # {target} += it, {note}")
            elif rule.vjp:
                body.append(f"{partial[p]} += {pushed}  # {target} += the VJP's result")
            else:
                product = f"{upstream}{TIMES}{edge}"
                body.append(f"{partial[p]} += {pushed}  # {target} += {product}, entry by entry")
    grads = ", ".join(
        f"{g.nodes[i].name!r}: "
        + (_zeros(shape[i]) if i not in partial else f"float({partial[i]})" if shape[i] == () else partial[i])
        for i in c.leaves
    )
    body.append("")
    value = f"float({namer.node[out]})" if shape[out] == () else namer.node[out]
    body.append(f"return {value}, {{{grads}}}")
    lines = _module_head(g, "value_and_grad")
    lines += ["import numpy as np", ""]
    lines += _leaves_table(c, "np.array")
    used = set(c.used)
    for h in _helpers(NUMPY_HELPERS, used) + _helpers(NUMPY_TENSOR_HELPERS, used):
        lines += ["", "", h]
    lines += [
        "",
        "",
        f"def value_and_grad({'*, ' if c.leaves else ''}{c.signature()}):",
        f'    """{out_name} and d{out_name}/dleaf for every leaf (each in its leaf\'s shape): the forward '
        'pass, then backprop, one edge a line."""',
    ]
    lines += body.done()
    lines += ["", "", 'if __name__ == "__main__":', "    print(value_and_grad())", ""]
    return "\n".join(lines)


#: Past this many edges, generated backprop leaves out the comment that repeats each
#: edge's formula in the notation: the module for a 100,000-level ladder (500,000 edges)
#: was 100 MB, twice that in memory (``∂`` is not Latin-1), and went past 1 GB.
MAX_EXPLAINED_EDGES = 50_000


class _Body:
    """A function body's lines, indented and joined every :attr:`CHUNK` lines as they
    come. A module for 100,000 levels is 100 MB of text (200 MB in memory: its comments
    are not Latin-1): held as 2 million separate lines, then copied, it went past 1 GB."""

    CHUNK = 4096

    def __init__(self) -> None:
        self.chunks: list[str] = []
        self.lines: list[str] = []

    def append(self, line: str) -> None:
        self.lines.append(f"    {line}" if line else "")
        if len(self.lines) >= self.CHUNK:
            self.chunks.append("\n".join(self.lines))
            self.lines = []

    def extend(self, lines: Iterable[str]) -> None:
        for line in lines:
            self.append(line)

    def done(self) -> list[str]:
        """The body as a few long strings, to be joined with the module's other lines."""
        if self.lines:
            self.chunks.append("\n".join(self.lines))
            self.lines = []
        chunks, self.chunks = self.chunks, []
        return chunks


@dataclass(frozen=True)
class _Framework:
    """How a forward-pass module is written for one autodiff framework."""

    what: str  # for the docstring
    imports: tuple[str, ...]
    functions: dict[str, str]
    helpers: dict[str, str]
    main: tuple[str, ...]  # the body of ``if __name__ == "__main__":``
    # for a tensor graph:
    tensor_forward: dict[str, str]  # a tensor op's forward code
    tensor_helpers: dict[str, str]
    array_call: str  # a leaf's array in LEAVES: ``jnp.array([...])``; "" for nested lists
    tensor_main: tuple[str, ...]
    constant_call: str  # an array constant in the code (``{}``: the nested lists)


PYTORCH = _Framework(
    "a float64 tensor that PyTorch can differentiate",
    ("import torch",),
    TORCH_FUNCTIONS,
    TORCH_HELPERS,
    (
        "leaves = {k: torch.tensor(v, dtype=torch.float64, requires_grad=True) for k, v in LEAVES.items()}",
        "value = forward(**leaves)",
        "value.backward()",
        "grads = {k: (0.0 if t.grad is None else t.grad.item()) for k, t in leaves.items()}",
        "print(value.item(), grads)",
    ),
    TORCH_TENSOR_FORWARD,
    TORCH_TENSOR_HELPERS,
    "",
    (
        "leaves = {k: torch.tensor(v, dtype=torch.float64, requires_grad=True) for k, v in LEAVES.items()}",
        "value = forward(**leaves)",
        "value.backward(torch.ones_like(value))  # an array output: its entries' sum, as cgtui seeds it",
        "grads = {",
        "    k: (torch.zeros_like(t) if t.grad is None else t.grad).tolist() for k, t in leaves.items()",
        "}",
        "print(value.tolist(), grads)",
    ),
    "torch.tensor({}, dtype=torch.float64)",
)
JAX = _Framework(
    "a float64 number that jax.grad can differentiate",
    ("import jax", "import jax.numpy as jnp", "", 'jax.config.update("jax_enable_x64", True)'),
    JAX_FUNCTIONS,
    JAX_HELPERS,
    (
        "value, grads = jax.value_and_grad(lambda leaves: forward(**leaves))(LEAVES)",
        "print(float(value), {k: float(v) for k, v in grads.items()})",
    ),
    JAX_TENSOR_FORWARD,
    JAX_TENSOR_HELPERS,
    "jnp.array",
    (
        "value = forward(**LEAVES)",
        "# an array output: the sum of its entries is differentiated, as cgtui seeds it",
        "grads = jax.grad(lambda leaves: jnp.sum(forward(**leaves)))(LEAVES)",
        "print(jnp.asarray(value).tolist(), {k: jnp.asarray(v).tolist() for k, v in grads.items()})",
    ),
    "jnp.array({})",
)


def _forward_module(graph: Graph, framework: _Framework) -> str:
    c = _Code(graph, framework.functions)
    if c.tensor:
        c.tensor_forward = framework.tensor_forward
        c.array_call = framework.constant_call
        _ = c.shapes  # every leaf needs its value: its shape, and the cross-entropy's kind of labels
    g, namer, out = graph, c.namer, c.output
    body = _Body()
    body.extend(c.forward_lines(None))
    body.append(f"return {namer.node[out]}")
    values = {namer.node[i]: g.nodes[i].value for i in c.leaves}
    params = [namer.node[i] for i in c.leaves if g.nodes[i].kind is Kind.PARAM]
    lines = _module_head(g, "forward")
    lines += [*framework.imports, ""]
    lines.append(f"OUTPUT = {g.nodes[out].name!r}")
    lines.append("#: the leaves' values, by the (Python) names of forward's arguments")
    if c.tensor:
        lines.append("LEAVES = {")
        lines += [
            f"    {k!r}: {'None' if v is None else _value_literal(v, framework.array_call, '    ')},"
            for k, v in values.items()
        ]
        lines.append("}")
    else:
        lines.append(
            "LEAVES = {"
            + ", ".join(f"{k!r}: {None if v is None else _literal(float(v))}" for k, v in values.items())
            + "}"
        )
    lines.append(f"PARAMS = {params!r}")
    for h in (framework.helpers[h] for h in framework.helpers if h in c.used):
        lines += ["", "", h]
    if c.tensor:
        for h in _helpers(framework.tensor_helpers, c.used):
            lines += ["", "", h]
    lines += [
        "",
        "",
        f"def forward({'*, ' if c.leaves else ''}{', '.join(namer.node[i] for i in c.leaves)}):",
    ]
    lines.append(f'    """{g.nodes[out].name}, as {framework.what}."""')
    lines += body.done()
    main = framework.tensor_main if c.tensor else framework.main
    lines += ["", "", 'if __name__ == "__main__":', *(f"    {line}" for line in main)]
    lines.append("")  # the last newline (adding it to the joined text copied 100 MB)
    return "\n".join(lines)


def to_pytorch(graph: Graph) -> str:
    """A module with ``forward(**leaves)``, the graph's forward pass in PyTorch, so that
    PyTorch's autograd differentiates and trains the same graph (give it float64 tensors);
    ``LEAVES`` holds the leaves' values and ``PARAMS`` names the params. The function uses
    only operations that ``torch.fx`` traces back into the same graph."""
    return _forward_module(graph, PYTORCH)


def to_jax(graph: Graph) -> str:
    """The same for JAX: ``forward(**leaves)`` in ``jax.numpy`` with float64 enabled, for
    ``jax.grad`` and ``jax.value_and_grad``."""
    return _forward_module(graph, JAX)


def _all_valued(c: _Code) -> bool:
    return all(c.graph.nodes[i].value is not None for i in c.leaves)
