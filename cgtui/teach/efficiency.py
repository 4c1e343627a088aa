"""Why backprop is exponentially cheaper, in numbers.

Two measures, for one node ``v`` and for the whole graph:

* **multiplications**: enumerating every path from ``v`` to the output costs one product
  per path (``length - 1`` multiplications each); backprop multiplies once per edge between
  ``v`` and the output (``dL/ds * ds/dp``), whatever the number of paths;
* **size of the fully expanded symbolic derivative**: what a hand derivation (or a
  symbolic-algebra system that does not share subexpressions) writes down, counted in
  expression-tree nodes, against the size of the graph.

Sizes are counted by dynamic programming over the topological order, never expanded,
exactly with Python integers while they are small and then to 28 significant digits
(:func:`cgtui.engine.paths.bounded`): on the diamond ladder of worked example 4 the
derivative tree has about 10^15 nodes while the graph has 91.

The expanded derivative follows the mechanical rules a learner would apply: each node
``s = op(a, b)`` gives ``ds = sum over slots of (local derivative formula) * d(operand)``,
where the formula is the op table's own text with ``a``, ``b`` and ``out`` written out in
full; two simplifications only: terms whose operand does not depend on ``v`` are dropped,
and a local derivative that is the literal ``1`` is not multiplied. :func:`expanded_derivative`
writes that expression out for small graphs (tests evaluate it and count it) and
:func:`sympy_sizes` measures the same derivative with SymPy when it is installed.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from decimal import Decimal, localcontext
from functools import cache

from cgtui.core import notation
from cgtui.core.graph import Graph, Kind
from cgtui.core.ops import OPS, SLOT_NAMES
from cgtui.engine.engine import differentiable, on_path
from cgtui.engine.paths import COUNTING, Count, bounded, checker, costs

#: Whole-graph derivative sizes cost (leaves x nodes) steps; above this they are skipped.
WORK_LIMIT = 200_000


# --- the size of an op-table formula, with its variables written out ------------------


@dataclass(frozen=True)
class FormulaSize:
    """``size = constant + sum(uses[slot] * size(operand)) + out_uses * size(result)``."""

    constant: int
    uses: tuple[int, ...]  # per operand slot
    out_uses: int
    is_one: bool  # the formula is the literal 1: no multiplication needed
    is_zero: bool  # the formula is the literal 0: the term vanishes


@cache
def formula_size(op_name: str, slot: int) -> FormulaSize:
    """Node counts of the op table's local-derivative formula, parsed by cgtui's parser."""
    from cgtui.lang.build import from_expression

    op = OPS[op_name]
    text = op.partials[slot].formula
    g = from_expression(text, merge=False)
    names = {SLOT_NAMES[k]: k for k in range(op.arity)}
    # coefficient vectors: (constant, uses per slot..., out uses)
    width = op.arity + 2
    vec: list[list[int]] = []
    for node in g.nodes:
        v = [0] * width
        if node.op is None:
            if node.name in names:
                v[1 + names[node.name]] = 1
            elif node.name == "out":
                v[-1] = 1
            else:
                v[0] = 1
        else:
            v[0] = 1
            for p in node.operands:
                for k in range(width):
                    v[k] += vec[p][k]
        vec.append(v)
    top = vec[g.outputs[0]]
    stripped = text.strip()
    return FormulaSize(top[0], tuple(top[1:-1]), top[-1], stripped == "1", stripped == "0")


# --- tree sizes ------------------------------------------------------------------------


def tree_sizes(
    graph: Graph, symbol: int | None = None, *, cancel: Callable[[], bool] | None = None
) -> list[Count]:
    """Each node's expression written out as a tree (no sharing): leaves count 1.

    ``symbol``, if given, is treated as a leaf (its own expression is not expanded).
    """
    check = checker(cancel)
    size: list[Count] = [1] * len(graph.nodes)
    with localcontext(COUNTING):
        for i, node in enumerate(graph.nodes):
            check(i)
            ops = node.operands
            if node.op is None or i == symbol:
                continue
            if len(ops) == 2:
                size[i] = bounded(1 + size[ops[0]] + size[ops[1]])
            elif len(ops) == 1:
                size[i] = bounded(1 + size[ops[0]])
            else:
                size[i] = bounded(1 + sum(size[p] for p in ops))
    return size


def derivative_sizes(
    graph: Graph, wrt: int, upto: int | None = None, *, cancel: Callable[[], bool] | None = None
) -> list[Count]:
    """For every node ``s``, the node count of the expanded ``ds/d(wrt)`` (0: identically 0).

    ``wrt`` may be a leaf or an intermediate node (then it is a symbol of its own).
    """
    with localcontext(COUNTING):
        return _derivative_sizes(graph, wrt, upto, cancel, tree_sizes(graph, symbol=wrt, cancel=cancel))


def _derivative_sizes(
    graph: Graph,
    wrt: int,
    upto: int | None,
    cancel: Callable[[], bool] | None,
    tree: Sequence[Count],
) -> list[Count]:
    """:func:`derivative_sizes` given ``tree``, the tree sizes with ``wrt`` as a symbol."""
    check = checker(cancel)
    last = len(graph.nodes) - 1 if upto is None else upto
    d: list[Count] = [0] * len(graph.nodes)
    d[wrt] = 1  # the constant 1
    sizes: dict[str, tuple[FormulaSize, ...]] = {}  # each op's formulas, looked up once
    for i in range(wrt + 1, last + 1):
        check(i)
        node = graph.nodes[i]
        if node.op is None:
            continue
        ops = node.operands
        formulas = sizes.get(node.op)
        if formulas is None:
            formulas = sizes[node.op] = tuple(formula_size(node.op, k) for k in range(len(ops)))
        terms = 0
        total: Count = 0
        for slot, p in enumerate(ops):
            dp = d[p]
            if not dp:
                continue
            fs = formulas[slot]
            if fs.is_zero:
                continue
            terms += 1
            if fs.is_one:
                total += dp
                continue
            f: Count = fs.constant + fs.out_uses * tree[i] if fs.out_uses else fs.constant
            for u, q in zip(fs.uses, ops, strict=True):
                if u:
                    f += u * tree[q]
            total += 1 + f + dp  # (formula) * (d operand)
        if terms:
            d[i] = bounded(total + terms - 1)  # the additions joining the terms
    return d


# --- reports ---------------------------------------------------------------------------


@dataclass(frozen=True)
class NodeEfficiency:
    """dL/dnode: enumerating paths versus backprop, and the expanded derivative's size."""

    node: str
    output: str
    paths: Count
    enumeration_multiplications: Count
    enumeration_additions: Count
    backprop_multiplications: int  # one per edge between node and output
    subgraph_nodes: int  # nodes on some path from node to output
    subgraph_edges: int
    expression_size: Count  # the output written out as a tree, in terms of node
    derivative_size: Count  # the expanded symbolic dL/dnode, in tree nodes

    @property
    def multiplication_ratio(self) -> float:
        return ratio(self.enumeration_multiplications, self.backprop_multiplications)

    @property
    def size_ratio(self) -> float:
        return ratio(self.derivative_size, self.subgraph_nodes)


@dataclass(frozen=True)
class GraphEfficiency:
    """Every leaf's partial at once: all the path products versus one backward pass."""

    output: str
    leaves: tuple[str, ...]  # the differentiated leaves (not constants)
    graph_nodes: int  # nodes with a path to the output
    graph_edges: int  # edges backprop pushes along
    paths: Count  # paths from every leaf, added up
    enumeration_multiplications: Count
    backprop_multiplications: int
    expression_size: Count  # the output written out as a tree
    derivative_size: Count | None  # all leaves' expanded derivatives; None when too big to count
    per_leaf: tuple[NodeEfficiency, ...]

    @property
    def multiplication_ratio(self) -> float:
        return ratio(self.enumeration_multiplications, self.backprop_multiplications)


def node_efficiency(
    graph: Graph,
    node: int | str,
    output: int | str | None = None,
    *,
    cancel: Callable[[], bool] | None = None,
    tree: Sequence[Count] | None = None,
) -> NodeEfficiency:
    """The numbers for one node (index or name) and the output (default: the first).
    ``tree``, the graph's :func:`tree_sizes`, saves a pass when the node is a leaf."""
    v = graph.lookup(node) if isinstance(node, str) else node
    out = _output(graph, output)
    c = costs(graph, v, out, cancel=cancel)
    nodes = sum(_between(graph, v, out))
    if tree is None or graph.nodes[v].op is not None:  # a leaf's own tree is 1 either way
        tree = tree_sizes(graph, symbol=v, cancel=cancel)
    with localcontext(COUNTING):
        dsize = _derivative_sizes(graph, v, out, cancel, tree)[out] if v <= out else 0
    expr = tree[out]
    return NodeEfficiency(
        graph.nodes[v].name,
        graph.nodes[out].name,
        c.paths,
        c.enumeration_multiplications,
        c.enumeration_additions,
        c.backprop_multiplications,
        nodes,
        c.backprop_edges,
        expr,
        dsize,
    )


def graph_efficiency(
    graph: Graph,
    output: int | str | None = None,
    *,
    work_limit: int = WORK_LIMIT,
    cancel: Callable[[], bool] | None = None,
) -> GraphEfficiency:
    """The numbers for the whole gradient: every non-constant leaf with a path to the output."""
    out = _output(graph, output)
    needs = differentiable(graph)
    path = on_path(graph, out)
    leaves = [i for i, n in enumerate(graph.nodes) if n.op is None and needs[i] and path[i]]
    nodes = sum(path)
    edges = sum(
        1
        for i in range(out + 1)
        if path[i] and graph.nodes[i].op is not None and needs[i]
        for p in graph.nodes[i].operands
        if needs[p]
    )
    per_leaf: list[NodeEfficiency] = []
    exact = len(leaves) * (out + 1) <= work_limit
    tree = tree_sizes(graph, cancel=cancel)
    for leaf in leaves:
        if exact:
            per_leaf.append(node_efficiency(graph, leaf, out, cancel=cancel, tree=tree))
    paths: Count
    mults: Count
    dsize: Count | None
    if exact:
        with localcontext(COUNTING):
            paths = bounded(sum(e.paths for e in per_leaf))
            mults = bounded(sum(e.enumeration_multiplications for e in per_leaf))
            dsize = bounded(sum(e.derivative_size for e in per_leaf))
    else:
        paths, mults, dsize = _paths_and_lengths(graph, out, leaves, cancel)
    return GraphEfficiency(
        graph.nodes[out].name,
        tuple(graph.nodes[i].name for i in leaves),
        nodes,
        edges,
        paths,
        mults,
        edges,
        tree[out],
        dsize,
        tuple(per_leaf),
    )


def _paths_and_lengths(
    graph: Graph, out: int, leaves: Sequence[int], cancel: Callable[[], bool] | None = None
) -> tuple[Count, Count, None]:
    """Path counts and enumeration cost for all leaves in one reverse sweep (big graphs)."""
    check = checker(cancel)
    count: list[Count] = [0] * len(graph.nodes)
    length: list[Count] = [0] * len(graph.nodes)
    count[out] = 1
    with localcontext(COUNTING):
        for i in range(out, -1, -1):
            check(i)
            if count[i]:
                for p in graph.nodes[i].operands:
                    count[p] = bounded(count[p] + count[i])
                    length[p] = bounded(length[p] + length[i] + count[i])
        paths = bounded(sum(count[i] for i in leaves))
        mults = bounded(sum(max(length[i] - count[i], 0) for i in leaves))
    return paths, mults, None


def _output(graph: Graph, output: int | str | None) -> int:
    if output is None:
        return graph.outputs[0]
    return graph.lookup(output) if isinstance(output, str) else output


def _between(graph: Graph, source: int, output: int) -> list[bool]:
    n = len(graph.nodes)
    down = [False] * n
    if source > output:
        return down
    down[source] = True
    for i in range(source + 1, output + 1):
        if any(down[p] for p in graph.nodes[i].operands):
            down[i] = True
    up = on_path(graph, output)
    return [a and b for a, b in zip(down, up, strict=True)]


# --- text --------------------------------------------------------------------------------


def ratio(a: Count, b: Count) -> float:
    """``a / b`` as a float (inf when it is beyond floats: counts can have 10,000 digits)."""
    try:
        with localcontext(COUNTING):
            return float(a / max(b, 1))
    except OverflowError:
        return math.inf


def _quotient(a: Count, b: Count) -> Count:
    """``a // b`` for counts of any size (a rounded count divides as a decimal)."""
    if isinstance(a, Decimal) or isinstance(b, Decimal):
        with localcontext(COUNTING):
            return Decimal(a) / max(b, 1)
    return a // max(b, 1)


def format_count(n: Count) -> str:
    """``205,891,132,094,649``; beyond 10^18 ``5.15e+47 (48 digits)``. Works for numbers of
    any size (never converts a huge integer to decimal text)."""
    if n < 10**18:
        return f"{int(n):,}"
    if isinstance(n, Decimal):
        log10 = n.adjusted() + math.log10(float(n.scaleb(-n.adjusted())))
    else:
        shift = max(n.bit_length() - 64, 0)
        log10 = math.log10(n >> shift) + shift * math.log10(2)
    exponent = math.floor(log10)
    mantissa = 10 ** (log10 - exponent)
    if round(mantissa, 2) >= 10:
        mantissa /= 10
        exponent += 1
    return f"{mantissa:.2f}e+{exponent} ({exponent + 1} digits)"


def format_ratio(x: float) -> str:
    if math.isinf(x):
        return "more than 1e+308"
    if x >= 1e6:
        return f"{x:.3g}"
    return f"{x:,.1f}"


def ratio_text(a: Count, b: Count) -> str:
    """``a / b`` for a reader: ``1.08e+14``, or for huge counts ``1.63e+4771 (4772 digits)``."""
    x = ratio(a, b)
    return format_ratio(x) if math.isfinite(x) else format_count(_quotient(a, b))


def _counted(n: Count, word: str) -> str:
    return f"{format_count(n)} {word}{'' if n == 1 else 's'}"


def _fewer(enumeration: Count, backprop: Count) -> str:
    """How many times fewer multiplications backprop needs; on a graph with few paths
    enumerating can be cheaper, and the line says so rather than "0.3x fewer"."""
    if enumeration < backprop:
        return "enumerating is cheaper here: too few paths for reuse to pay"
    return f"{ratio_text(enumeration, backprop)}x fewer"


def node_report(e: NodeEfficiency) -> list[str]:
    """Lines for the CLI and the explorer's side pane."""
    return [
        f"{notation.partial_name(e.output, e.node)}: {_counted(e.paths, 'path')} "
        f"through {_counted(e.subgraph_nodes, 'node')} and {_counted(e.subgraph_edges, 'edge')}",
        f"  enumerating paths: {_counted(e.enumeration_multiplications, 'multiplication')} "
        f"(+ {_counted(e.enumeration_additions, 'addition')})",
        f"  backprop:          {_counted(e.backprop_multiplications, 'multiplication')} "
        f"(one per edge)  -> {_fewer(e.enumeration_multiplications, e.backprop_multiplications)}",
        f"  expanded symbolic derivative: {_counted(e.derivative_size, 'tree node')} "
        f"vs {e.subgraph_nodes} graph nodes ({ratio_text(e.derivative_size, e.subgraph_nodes)}x)",
    ]


def graph_report(e: GraphEfficiency) -> list[str]:
    size = (
        f"{_counted(e.derivative_size, 'tree node')} "
        f"vs {e.graph_nodes} graph nodes ({ratio_text(e.derivative_size, e.graph_nodes)}x)"
        if e.derivative_size is not None
        else "not counted (graph too large)"
    )
    return [
        f"gradient of {e.output} w.r.t. {len(e.leaves)} lea{'f' if len(e.leaves) == 1 else 'ves'}: "
        f"{_counted(e.graph_nodes, 'node')}, {_counted(e.graph_edges, 'edge')}",
        f"  enumerating paths: {_counted(e.paths, 'path')}, "
        f"{_counted(e.enumeration_multiplications, 'multiplication')}",
        f"  backprop:          {_counted(e.backprop_multiplications, 'multiplication')} "
        f"(one pass)  -> {_fewer(e.enumeration_multiplications, e.backprop_multiplications)}",
        f"  {e.output} written out as a tree: {_counted(e.expression_size, 'node')}",
        f"  expanded derivatives: {size}",
    ]


# --- the expanded derivative, written out (small graphs only) -------------------------------


def expanded_derivative(
    graph: Graph, wrt: int, output: int | None = None, *, limit: int = 20_000
) -> str | None:
    """The expanded ``d output / d wrt`` as cgtui expression text, or None if larger than
    ``limit`` tree nodes (or identically 0). Every operation is parenthesised, so parsing it
    back with ``merge=False`` gives a tree of exactly :func:`derivative_sizes` nodes."""
    out = graph.outputs[0] if output is None else output
    sizes = derivative_sizes(graph, wrt, out)
    tree = tree_sizes(graph, symbol=wrt)
    if not sizes[out] or sizes[out] > limit or any(t > limit for t in tree[: out + 1] if t):
        return None
    from cgtui.lang.formula import substitute

    text: list[str] = []
    for i, node in enumerate(graph.nodes[: out + 1]):
        if node.op is None or i == wrt:
            text.append(_leaf_text(graph, i))
        else:
            text.append(notation.apply_bracketed(OPS[node.op], [text[p] for p in node.operands]))
    dtext: list[str | None] = [None] * (out + 1)
    dtext[wrt] = "1"
    for i in range(wrt + 1, out + 1):
        node = graph.nodes[i]
        if node.op is None:
            continue
        terms: list[str] = []
        for slot, p in enumerate(node.operands):
            dp = dtext[p]
            if dp is None:
                continue
            fs = formula_size(node.op, slot)
            if fs.is_zero:
                continue
            if fs.is_one:
                terms.append(dp)
                continue
            names = {SLOT_NAMES[k]: f"({text[q]})" for k, q in enumerate(node.operands)}
            names["out"] = f"({text[i]})"
            formula = substitute(OPS[node.op].partials[slot].formula, names)
            terms.append(f"(({formula}) * ({dp}))")
        if terms:
            joined = terms[0]
            for t in terms[1:]:
                joined = f"({joined} + {t})"
            dtext[i] = joined
    return dtext[out]


def _leaf_text(graph: Graph, i: int) -> str:
    node = graph.nodes[i]
    if node.kind is Kind.CONST and node.value is not None:
        return repr(float(node.value)) if node.value >= 0 else f"({node.value!r})"
    return node.name


# --- SymPy, when installed ------------------------------------------------------------------------


@dataclass(frozen=True)
class SympySizes:
    expression: int  # the output, as SymPy writes it (tree nodes)
    derivative: int  # SymPy's derivative, unsimplified beyond its automatic rules
    derivative_shared: int  # distinct subexpressions of that derivative (a DAG)


def sympy_sizes(
    graph: Graph, wrt: int, output: int | None = None, *, limit: int = 20_000
) -> SympySizes | None:
    """Measure the derivative with SymPy; None if SymPy is missing or the tree is too large."""
    out = graph.outputs[0] if output is None else output
    if tree_sizes(graph, symbol=wrt)[out] > limit or derivative_sizes(graph, wrt, out)[out] > limit:
        return None
    try:
        import sympy
    except ImportError:  # pragma: no cover - sympy is a test dependency
        return None
    functions = {
        "exp": sympy.exp,
        "log": sympy.log,
        "sqrt": sympy.sqrt,
        "sin": sympy.sin,
        "cos": sympy.cos,
        "tan": sympy.tan,
        "tanh": sympy.tanh,
        "sigmoid": lambda a: 1 / (1 + sympy.exp(-a)),
        "relu": lambda a: sympy.Max(a, 0),
        "abs": sympy.Abs,
        "step": sympy.Heaviside,
        "sign": sympy.sign,
    }
    expr: list[object] = []
    for i, node in enumerate(graph.nodes[: out + 1]):
        if node.op is None or i == wrt:
            if node.kind is Kind.CONST and node.value is not None and i != wrt:
                v = node.value
                expr.append(sympy.Integer(int(v)) if v == int(v) else sympy.Float(v))
            else:
                expr.append(sympy.Symbol(node.name))
            continue
        a = expr[node.operands[0]]
        b = expr[node.operands[1]] if len(node.operands) > 1 else None
        match node.op:
            case "add":
                e = a + b  # type: ignore[operator]
            case "sub":
                e = a - b  # type: ignore[operator]
            case "mul":
                e = a * b  # type: ignore[operator]
            case "div":
                e = a / b  # type: ignore[operator]
            case "pow":
                e = a**b  # type: ignore[operator]
            case "neg":
                e = -a  # type: ignore[operator]
            case _:
                e = functions[node.op](a)
        expr.append(e)
    target = sympy.Symbol(graph.nodes[wrt].name)
    f = expr[out]
    d = sympy.diff(f, target)
    return SympySizes(_sympy_tree(f), _sympy_tree(d), _sympy_dag(d))


def _sympy_tree(e: object) -> int:
    from sympy import preorder_traversal

    return sum(1 for _ in preorder_traversal(e))


def _sympy_dag(e: object) -> int:
    seen: set[object] = set()
    todo = [e]
    while todo:
        x = todo.pop()
        if x in seen:
            continue
        seen.add(x)
        todo.extend(getattr(x, "args", ()))
    return len(seen)
