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

from cgtui.core.errors import CgtuiError
from cgtui.core.graph import Graph, Kind
from cgtui.core.names import fresh_name
from cgtui.core.notation import TIMES, local_name, operand, partial_name
from cgtui.core.ops import OPS, SLOT_NAMES
from cgtui.engine.engine import application_text, differentiable, edge_formula, on_path
from cgtui.lang.parser import tokenize

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


class _Namer:
    """Python identifiers for node names and for the names the code derives from them,
    never clashing with each other, with Python's keywords or with the code's own names."""

    def __init__(self, graph: Graph) -> None:
        self.taken: set[str] = set(_RESERVED) | set(NUMPY_HELPERS) | set(TORCH_HELPERS) | set(JAX_HELPERS)
        self.node: list[str] = []
        for n in graph.nodes:
            self.node.append(self.fresh(n.name if n.name.isidentifier() else f"n{len(self.node)}"))

    def fresh(self, wanted: str) -> str:
        return fresh_name(wanted, self.taken, keyword.iskeyword)


def _literal(x: float) -> str:
    return operand(repr(float(x)))


@cache
def _tokens(formula: str) -> tuple[tuple[str, str, float], ...]:
    """A formula's tokens (kind, text, value), read once per formula: the op table has a
    few dozen, and a 100,000-level graph has 300,000 edges to write."""
    return tuple((t.kind, t.text, t.value) for t in tokenize(formula) if t.kind not in ("end", "newline"))


def _translate(formula: str, names: dict[str, str], functions: dict[str, str], used: set[str]) -> str:
    """A formula in cgtui's language as Python, token by token (``b * a^(b - 1)`` becomes
    ``b * a ** (b - 1.0)``)."""
    code = ""
    prev = ""  # the previous token's Python text
    prev_call = False
    prev_sign = False
    for kind, token, value in _tokens(formula):
        call = False
        if kind == "name":
            if token in names:
                text = names[token]
            elif token in functions:
                text, call = functions[token], True
                used.add(token)
            else:
                raise CgtuiError(f"no Python for '{token}' in the formula {formula!r}")
        elif kind == "number":
            text = _literal(value)
        else:
            text = _PY_OPERATORS.get(token, token)
        glued = not code or text in (")", ",") or prev == "(" or prev_sign or (text == "(" and prev_call)
        code += text if glued else " " + text
        prev_sign = text == "-" and (not prev or prev in ("(", ",", "+", "-", "*", "/", "**"))
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
        for i in self.leaves:
            value = graph.nodes[i].value
            if value is not None and not isinstance(value, float | int):
                raise CgtuiError(
                    f"'{graph.nodes[i].name}' holds a batch of values; code export takes one value per leaf"
                )

    def operand(self, p: int) -> str:
        node = self.graph.nodes[p]
        if node.kind is Kind.CONST and not node.name.isidentifier():
            if node.value is None:
                raise CgtuiError(f"the constant '{node.name}' has no value")
            return _literal(float(node.value))
        return self.namer.node[p]

    def signature(self) -> str:
        parts = []
        for i in self.leaves:
            value = self.graph.nodes[i].value
            name = self.namer.node[i]
            parts.append(name if value is None else f"{name}={_literal(float(value))}")
        return ", ".join(parts)

    def constants(self) -> Iterable[str]:
        for i, node in enumerate(self.graph.nodes):
            if node.op is None and node.kind is Kind.CONST and node.name.isidentifier():
                if node.value is None:
                    raise CgtuiError(f"the constant '{node.name}' has no value")
                yield f"{self.namer.node[i]} = {_literal(float(node.value))}  # constant"

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
            operands = [self.operand(p) for p in node.operands]
            code = _application(node.op, operands, self.functions, self.used)
            lines.append(f"{self.namer.node[i]} = {code}")
        return lines


def _module_head(graph: Graph, what: str) -> list[str]:
    """The module's docstring, written as a literal that any title keeps valid."""
    title = " ".join((graph.title or "a cgtui graph").split())
    return [repr(f"{what}() for {title}, written by cgtui export."), ""]


def to_numpy(graph: Graph) -> str:
    """A self-contained module with ``value_and_grad(**leaves)``: the forward pass and
    backprop written out line by line."""
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
)


def _forward_module(graph: Graph, framework: _Framework) -> str:
    c = _Code(graph, framework.functions)
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
    lines.append(
        "LEAVES = {"
        + ", ".join(f"{k!r}: {None if v is None else _literal(float(v))}" for k, v in values.items())
        + "}"
    )
    lines.append(f"PARAMS = {params!r}")
    for h in (framework.helpers[h] for h in framework.helpers if h in c.used):
        lines += ["", "", h]
    lines += [
        "",
        "",
        f"def forward({'*, ' if c.leaves else ''}{', '.join(namer.node[i] for i in c.leaves)}):",
    ]
    lines.append(f'    """{g.nodes[out].name}, as {framework.what}."""')
    lines += body.done()
    lines += ["", "", 'if __name__ == "__main__":', *(f"    {line}" for line in framework.main)]
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
