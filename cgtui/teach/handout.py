"""Lesson sheets: ``cgtui export SOURCE --format markdown|latex``.

A sheet walks through one graph at its values, with numbers everywhere: the expression,
the table of intermediate variables (one elementary operation each), the local
derivative on every edge, the chain-rule product along each path from every leaf to the
output, the sum over paths at each node that branches (backprop's accumulation), and
what enumerating paths would cost against backprop. :func:`lesson` gathers the content
once; :func:`to_markdown` and :func:`to_latex` only lay it out. The LaTeX needs nothing
beyond a basic TeX installation (``article``, ``amsmath``, ``longtable``, ``geometry``)
and compiles with plain ``pdflatex``.

Big graphs stay readable: tables stop after :data:`MAX_ROWS` rows, each leaf lists its
:data:`MAX_PATHS` largest path products (and how many more paths there are, and their
sum), and long paths show their first and last factors.
"""

from __future__ import annotations

import html
from dataclasses import dataclass, field

from cgtui.core import notation
from cgtui.core.errors import CgtuiError, name_list
from cgtui.core.graph import Graph, Kind
from cgtui.core.lazy import np
from cgtui.core.notation import operand, partial_name, short_shape, value_text
from cgtui.core.ops import SLOT_NAMES
from cgtui.core.text import printable
from cgtui.engine.engine import (
    Value,
    application_text,
    backward,
    differentiable,
    edge_formula,
    edge_text,
    forward,
    leaf_values,
    local_derivative,
    missing_values,
    on_path,
)
from cgtui.engine.paths import Count, Path, path_counts_to, top_paths
from cgtui.teach.efficiency import format_count, graph_efficiency
from cgtui.teach.tensor_text import averaged_text, edge_vjp, node_shapes, step_shapes, vjp_formula

MAX_ROWS = 200  # rows per table
MAX_PATHS = 4  # path products listed per leaf
MAX_CHAINS = 50  # leaves whose chain rule is worked through
MAX_FACTORS = 12  # a longer path shows its first and last factors only
MAX_BRANCHING = 12  # branching nodes worked through
MAX_EXPRESSION = 600  # characters of the nested expression
PATH_WORK_LIMIT = 2_000_000  # leaves x nodes above which paths are counted, not listed


@dataclass
class StepRow:
    name: str
    definition: str  # z = w * x
    arithmetic: str  # 0.5 * 2
    value: str


@dataclass
class EdgeRow:
    operand: str
    result: str
    slot: str  # "" unless the operand fills both slots
    formula: str  # ∂z/∂w = x
    value: str


@dataclass
class PathRow:
    nodes: list[str]
    factors: list[str]  # ∂z/∂w ... for each edge, leaf first
    formulas: list[str]  # x ...
    values: list[str]
    product: str
    hidden: int = 0  # edges left out of the middle of a long path (the lists hold the rest)


@dataclass
class LeafChain:
    leaf: str
    kind: str
    count: Count  # number of paths (exact while small)
    paths: list[PathRow]
    rest_count: Count
    rest_sum: str
    total: str  # sum over all paths
    backprop: str  # backprop's partial (the same number)


@dataclass
class Term:
    result: str
    upstream: str
    local_formula: str
    local: str
    contribution: str


@dataclass
class Branching:
    node: str
    paths: Count
    terms: list[Term]  # the first MAX_ROWS outgoing edges
    total: str
    sum_terms: list[str] = field(default_factory=list)  # the sum written out, shortened
    terms_omitted: int = 0  # outgoing edges past the table
    rest_sum: str = ""  # their contributions, added up


@dataclass
class Lesson:
    title: str
    description: str
    output: str
    expression: str | None
    leaves: list[tuple[str, str, str]]  # name, kind, value
    steps: list[StepRow]
    steps_omitted: int
    edges: list[EdgeRow]
    edges_omitted: int
    chains: list[LeafChain]
    chains_listed: bool  # False when the graph is too big to list paths
    branching: list[Branching]
    branching_omitted: int
    efficiency: list[tuple[str, str, str]] = field(default_factory=list)  # what, enumeration, backprop
    leaves_omitted: int = 0
    chains_omitted: int = 0


STEPS_TEXT = "One elementary operation per step, in topological order."
EDGES_TEXT = (
    "Each edge operand -> result contributes one elementary derivative: the op table's rule "
    "with the edge's names."
)
CHAINS_OMITTED_TEXT = "cgtui grad lists every leaf's partial"
WHY_HEADER = ("for every leaf's partial", "enumerating paths", "backprop")


def lesson(graph: Graph, output: int | str | None = None) -> Lesson:
    """Everything a sheet shows. Both passes run once, without text (the explorer's
    stepper writes a ledger line per edge: minutes and most of a gigabyte on a
    100,000-level ladder); only the rows a sheet shows are written out."""
    run = _passes(graph, output)
    g, out = graph, run.output
    out_name = g.nodes[out].name
    try:
        from cgtui.lang.printer import expression

        expr: str | None = expression(g, out, limit=MAX_EXPRESSION)
    except CgtuiError:
        expr = None
    leaves, leaves_left = _leaf_rows(run)
    steps, steps_left = _step_rows(run)
    edges, edges_left = _edge_rows(run)
    counts = path_counts_to(g, out)
    chains, chains_listed, chains_left = _leaf_chains(run, counts)
    branching, branching_left = _branchings(run, counts)
    return Lesson(
        g.title or f"The computation graph of {out_name}",
        " ".join(g.description.split()),
        out_name,
        expr,
        leaves,
        steps,
        steps_left,
        edges,
        edges_left,
        chains,
        chains_listed,
        branching,
        branching_left,
        _efficiency_rows(g, out),
        leaves_left,
        chains_left,
    )


@dataclass
class _Passes:
    """Both passes at the graph's values: what every section of a sheet reads."""

    graph: Graph
    output: int
    values: list[Value]
    partials: list[Value | None]
    needs: list[bool]  # depends on a non-constant leaf
    path: list[bool]  # has a path to the output

    def pushes(self, s: int) -> bool:
        """Whether backprop pushes along the edges into ``s`` (from ``s`` to its operands)."""
        return self.path[s] and self.needs[s] and self.graph.nodes[s].op is not None

    def local(self, s: int, slot: int) -> Value:
        d, _ = local_derivative(self.graph, s, slot, self.values)
        return d  # the backward pass succeeded, so every local derivative is finite


def _passes(graph: Graph, output: int | str | None) -> _Passes:
    """Forward and backward once; every leaf needs a value, and a fault is named by node."""
    missing = missing_values(graph, [n.value if n.op is None else None for n in graph.nodes])
    if missing:
        raise CgtuiError(
            f"a lesson sheet needs a value for every leaf; missing: {name_list(missing)} "
            f"(give them with --at {','.join(f'{m}=...' for m in missing[:3])})"
        )
    named = graph.lookup(output) if isinstance(output, str) else output
    out = graph.outputs[0] if named is None else named
    values = forward(graph, leaf_values(graph))
    partials = backward(graph, values, out)
    return _Passes(graph, out, values, partials, differentiable(graph), on_path(graph, out))


def _leaf_rows(run: _Passes) -> tuple[list[tuple[str, str, str]], int]:
    """The leaves (not literals) with their kinds and values, at most MAX_ROWS, and how
    many more there are."""
    g = run.graph
    ids = [
        i
        for i, n in enumerate(g.nodes)
        if n.op is None and (n.kind is not Kind.CONST or n.name.isidentifier())
    ]
    rows = [(g.nodes[i].name, g.nodes[i].kind.value, value_text(run.values[i])) for i in ids[:MAX_ROWS]]
    return rows, len(ids) - len(rows)


def _step_rows(run: _Passes) -> tuple[list[StepRow], int]:
    """The intermediate variables, one row a computed node (at most MAX_ROWS), and how
    many more there are."""
    g, values = run.graph, run.values
    steps: list[StepRow] = []
    total = 0
    for i in range(run.output + 1):
        node = g.nodes[i]
        if node.op is None or not run.path[i]:
            continue
        total += 1
        if len(steps) < MAX_ROWS:
            numeric = application_text(g, i, [value_text(values[p]) for p in node.operands])
            definition = f"{node.name} = {application_text(g, i)}"
            steps.append(StepRow(node.name, definition, numeric, value_text(values[i])))
    return steps, total - len(steps)


def _edge_rows(run: _Passes) -> tuple[list[EdgeRow], int]:
    """The local-derivative table, one row an edge backprop pushes along (at most
    MAX_ROWS, results in topological order), and how many more there are. Only the
    rows shown are computed."""
    g = run.graph
    edges: list[EdgeRow] = []
    total = 0
    for s in range(run.output + 1):
        if not run.pushes(s):
            continue
        node = g.nodes[s]
        for slot, p in enumerate(node.operands):
            if not run.needs[p]:
                continue
            total += 1
            if len(edges) < MAX_ROWS:
                both = node.operands.count(p) > 1
                edges.append(
                    EdgeRow(
                        g.nodes[p].name,
                        node.name,
                        SLOT_NAMES[slot] if both else "",
                        edge_text(g, s, slot),
                        value_text(run.local(s, slot)),
                    )
                )
    return edges, total - len(edges)


def _leaf_chains(run: _Passes, counts: list[Count]) -> tuple[list[LeafChain], bool, int]:
    """Each leaf's chain-rule products along its largest paths (at most MAX_CHAINS
    leaves), when listing them is within the work limit (else only the counts), whether
    they were listed, and how many leaves were left out."""
    g, out = run.graph, run.output
    leaf_ids = [i for i, n in enumerate(g.nodes) if n.op is None and run.partials[i] is not None]
    shown = leaf_ids[:MAX_CHAINS]
    listed = len(shown) * (out + 1) <= PATH_WORK_LIMIT
    chains: list[LeafChain] = []
    for i in shown:
        node = g.nodes[i]
        partial = value_text(run.partials[i])
        if not listed:
            chains.append(
                LeafChain(node.name, node.kind.value, counts[i], [], counts[i], "", partial, partial)
            )
            continue
        report = top_paths(g, run.values, i, out, k=MAX_PATHS)
        rows = [_path_row(g, path) for path in report.paths]
        chains.append(
            LeafChain(
                node.name,
                node.kind.value,
                report.count,
                rows,
                report.rest_count,
                value_text(report.rest_sum),
                value_text(report.total),
                partial,
            )
        )
    return chains, listed, len(leaf_ids) - len(shown)


def _path_row(g: Graph, path: Path) -> PathRow:
    """One path's product of local derivatives. A long path keeps only the edges a sheet
    shows, its first 2 and last 4 (the whole of a 100,000-level path, four times per leaf,
    did not fit in memory)."""
    length = len(path.slots)
    hidden = length - 6 if length > MAX_FACTORS else 0
    kept = [*range(2), *range(length - 4, length)] if hidden else list(range(length))
    shown_nodes = [*path.nodes[:4], *path.nodes[-2:]] if hidden else path.nodes
    names = [g.nodes[k].name for k in shown_nodes]
    factors = [
        notation.local_name(g.nodes[path.nodes[k + 1]].name, g.nodes[path.nodes[k]].name) for k in kept
    ]
    formulas = [edge_formula(g, path.nodes[k + 1], path.slots[k]) for k in kept]
    numbers = [value_text(path.factors[k]) for k in kept]
    return PathRow(names, factors, formulas, numbers, value_text(path.product), hidden)


def _branchings(run: _Passes, counts: list[Count]) -> tuple[list[Branching], int]:
    """Backprop's sum over the outgoing edges at each node with several (at most
    MAX_BRANCHING, nearest the output first), and how many more there are."""
    g, out = run.graph, run.output
    terms_at = [0] * (out + 1)  # the edges backprop pushes into each node
    for s in range(out + 1):
        if run.pushes(s):
            for p in g.nodes[s].operands:
                if run.needs[p]:
                    terms_at[p] += 1
    branch_nodes = [
        i for i in range(out - 1, -1, -1) if run.partials[i] is not None and terms_at[i] > 1
    ]
    shown = branch_nodes[:MAX_BRANCHING]
    into: dict[int, list[tuple[int, int]]] = {i: [] for i in shown}  # (result, slot), in order
    for s in range(min(shown, default=out + 1), out + 1):
        if run.pushes(s):
            for slot, p in enumerate(g.nodes[s].operands):
                if p in into and run.needs[p]:
                    into[p].append((s, slot))
    branching: list[Branching] = []
    for i in shown:
        name = g.nodes[i].name
        terms: list[Term] = []
        contributions: list[Value] = []
        for s, slot in into[i]:
            upstream, local = run.partials[s], run.local(s, slot)
            contributions.append(upstream * local)
            if len(terms) < MAX_ROWS:  # x used 100,000 times: a table of 100,000 rows
                result = g.nodes[s].name
                terms.append(
                    Term(
                        result,
                        value_text(upstream),
                        notation.local_formula(result, name, edge_formula(g, s, slot)),
                        value_text(local),
                        value_text(contributions[-1]),
                    )
                )
        sum_terms = [operand(value_text(c)) for c in contributions[:MAX_FACTORS]]
        if len(contributions) > MAX_FACTORS:
            rest = sum(contributions[MAX_FACTORS:])
            sum_terms.append(f"(the other {len(contributions) - MAX_FACTORS} terms: {value_text(rest)})")
        rest_sum = value_text(sum(contributions[MAX_ROWS:])) if len(contributions) > MAX_ROWS else ""
        branching.append(
            Branching(
                name,
                counts[i],
                terms,
                value_text(run.partials[i]),
                sum_terms,
                len(contributions) - len(terms),
                rest_sum,
            )
        )
    return branching, len(branch_nodes) - len(branching)


def _efficiency_rows(g: Graph, out: int) -> list[tuple[str, str, str]]:
    """What enumerating paths would cost against backprop, for the whole gradient."""
    eff = graph_efficiency(g, out)
    return [
        ("paths from the leaves to " + g.nodes[out].name, format_count(eff.paths), "not needed"),
        (
            "multiplications",
            format_count(eff.enumeration_multiplications),
            format_count(eff.backprop_multiplications),
        ),
        (
            "nodes: expanded symbolic derivatives vs the graph",
            format_count(eff.derivative_size) if eff.derivative_size is not None else "not counted",
            f"{eff.graph_nodes}",
        ),
    ]


def _shorten(items: list[str], hidden: int = 0) -> list[str]:
    """A long chain's first 4 and last 2 items; ``hidden`` were left out of ``items`` already."""
    if not hidden and len(items) <= MAX_FACTORS:
        return items
    return [*items[:4], f"... ({len(items) - 6 + hidden} more) ...", *items[-2:]]


def _chain_text(row: PathRow) -> tuple[str, str, str, str]:
    """(the path, its factors, their formulas, the numbers) for one path, output end first."""
    long = row.hidden or len(row.nodes) > MAX_FACTORS + 1
    nodes = [*row.nodes[:4], "...", *row.nodes[-2:]] if long else row.nodes
    factors = notation.TIMES.join(_shorten(row.factors[::-1], row.hidden))
    formulas = notation.TIMES.join(_shorten([f"({f})" for f in row.formulas[::-1]], row.hidden))
    numbers = notation.TIMES.join(_shorten([operand(v) for v in row.values[::-1]], row.hidden))
    result = f"= {numbers}" if len(row.values) == 1 else f"= {numbers} = {row.product}"
    return " -> ".join(nodes), factors, f"= {formulas}", result


# --- tensor graphs ------------------------------------------------------------------------------

#: Arrays with at most this many entries are written out in a sheet; larger ones are summarised.
SMALL_ARRAY = 16

TENSOR_STEPS_TEXT = (
    "One operation per step, in topological order; each node holds an array (shape () is a "
    "number). The shapes column shows how the operands' shapes give the result's."
)
TENSOR_EDGES_TEXT = (
    "Backprop pushes G = dL/d(result) back along each edge. An array op's edge is a "
    "vector-Jacobian product (VJP): the map G ↦ ... that gives the operand's contribution to "
    "dL/d(operand) directly; an elementwise op's edge multiplies G by its local derivative ∂z/∂w, "
    "entry by entry. The shapes column writes each factor with its shape (Wᵀ is transpose(W))."
)
TENSOR_BROADCAST_TEXT = (
    "Where an operand was broadcast in the forward pass (a bias (3,) added to every row of a "
    "(4,3) array), its contribution has the result's shape and is summed over the broadcast axes "
    "to get the operand's shape; where a sum or mean removed axes, G is spread back over them. "
    "This is the one broadcasting rule of the backward pass."
)
TENSOR_PATHS_TEXT = f"The chain rule as a sum over paths is not listed: {notation.TENSOR_PATHS}."


@dataclass
class TensorNode:
    name: str
    kind: str  # a leaf's kind, or "computation"
    definition: str  # "v1 = X @ W1" (a leaf: "")
    shapes: str  # "(4,2) @ (2,2) -> (4,2)" (a leaf: its shape)
    value: str  # written out when small, else summarised
    partial: str  # dL/dnode, the same way; "-" where backprop never reaches


@dataclass
class TensorEdge:
    operand: str
    result: str
    slot: str  # "" unless the operand fills both slots
    vjp: str  # "G ↦ G @ transpose(W1)", or "G ↦ G * (1 - H^2)  (∂H/∂v2 = 1 - H^2)"
    shapes: str  # "G (4,3) @ W1ᵀ (3,2) -> (4,2)"
    note: str  # the broadcasting rule where it acts, else ""


@dataclass
class TensorLesson:
    title: str
    description: str
    output: str
    expression: str | None
    leaves: list[TensorNode]
    steps: list[TensorNode]
    edges: list[TensorEdge]
    counts: list[str]  # "L = mean(v5): n = 4 (entries averaged)"
    leaves_omitted: int = 0
    steps_omitted: int = 0
    edges_omitted: int = 0

    @property
    def broadcasts(self) -> list[TensorEdge]:
        return [e for e in self.edges if e.note]


def array_cell(v: Value | None) -> str:
    """An array written out when it has at most :data:`SMALL_ARRAY` entries
    (``(2,2) [[0.3, -1.3], [0.8, 0.9]]``), else its shape, min, max and mean."""
    if v is None:
        return "-"
    if type(v) is float or np.ndim(v) == 0:
        return value_text(float(v))
    if np.size(v) <= SMALL_ARRAY:
        return notation.small_array(v)
    return notation.array_summary(v)


def tensor_lesson(graph: Graph, output: int | str | None = None) -> TensorLesson:
    """What a sheet shows of a tensor graph: every node's shape, value and partial, every
    edge's VJP with the shape of every factor, and where the broadcasting rule acts."""
    run = _passes(graph, output)
    g, out = graph, run.output
    out_name = g.nodes[out].name
    sh = node_shapes(g, run.values)
    try:
        from cgtui.lang.printer import expression

        expr: str | None = expression(g, out, limit=MAX_EXPRESSION)
    except CgtuiError:
        expr = None

    def partial(i: int) -> str:
        return array_cell(run.partials[i]) if run.path[i] and run.needs[i] else "-"

    leaves: list[TensorNode] = []
    steps: list[TensorNode] = []
    counts: list[str] = []
    leaves_left = steps_left = 0
    for i, node in enumerate(g.nodes[: out + 1]):
        shape = short_shape(sh[i] or ())
        if node.op is None:
            if node.kind is Kind.CONST and not node.name.isidentifier():
                continue
            if len(leaves) >= MAX_ROWS:
                leaves_left += 1
                continue
            value = array_cell(run.values[i])
            leaves.append(TensorNode(node.name, node.kind.value, "", shape, value, partial(i)))
            continue
        if not run.path[i]:
            continue
        if len(steps) >= MAX_ROWS:
            steps_left += 1
            continue
        shapes = step_shapes(g, i, sh)
        definition = f"{node.name} = {application_text(g, i)}"
        value = array_cell(run.values[i])
        steps.append(TensorNode(node.name, "computation", definition, shapes, value, partial(i)))
        n = averaged_text(g, i, sh)
        if n is not None:
            counts.append(f"{definition}: {n}")
    edges: list[TensorEdge] = []
    edges_left = 0
    for s in range(out + 1):
        if not run.pushes(s):
            continue
        node = g.nodes[s]
        for slot, p in enumerate(node.operands):
            if not run.needs[p]:
                continue
            if len(edges) >= MAX_ROWS:
                edges_left += 1
                continue
            e = edge_vjp(g, s, slot, sh, run.values)
            formula = edge_formula(g, s, slot)
            if e.vjp:
                vjp = notation.vjp_map(vjp_formula(g, s, slot, sh))
            else:
                local = notation.local_formula(node.name, g.nodes[p].name, formula)
                vjp = f"{notation.vjp_map(f'G * ({formula})')}  ({local}, entry by entry)"
            twice = node.operands.count(p) > 1
            edges.append(
                TensorEdge(g.nodes[p].name, node.name, SLOT_NAMES[slot] if twice else "", vjp, e.text, e.note)
            )
    return TensorLesson(
        g.title or f"The computation graph of {out_name}",
        " ".join(g.description.split()),
        out_name,
        expr,
        leaves,
        steps,
        edges,
        counts,
        leaves_left,
        steps_left,
        edges_left,
    )


def _markdown_head(title: str, description: str | None, expression: str | None, out: str) -> list[str]:
    """A sheet's title, description and expression (or why it is not printed)."""
    lines: list[str] = [f"# {_md_prose(title)}", ""]
    if description:
        lines += [_md_prose(description), ""]
    lines += ["## The expression", ""]
    if expression is not None:
        lines += [f"    {out} = {expression}", ""]
    else:
        lines += [f"Written out in full, {out} is too long to print: the steps below are its graph.", ""]
    return lines


def _tensor_markdown(doc: TensorLesson) -> str:
    out = doc.output
    lines = _markdown_head(doc.title, doc.description, doc.expression, out)
    lines += [
        f"Leaves, with backprop's {partial_name(out, 'leaf')} in the leaf's shape:", "",
        f"| leaf | kind | shape | value | {partial_name(out, 'leaf')} |", "|---|---|---|---|---|",
    ]
    for n in doc.leaves:
        lines.append(f"| {_md(n.name)} | {n.kind} | {_md(n.shapes)} | {_md(n.value)} | {_md(n.partial)} |")
    if doc.leaves_omitted:
        lines.append(f"| ... {doc.leaves_omitted} more leaves | | | | |")
    lines += ["", "## Intermediate variables", "", TENSOR_STEPS_TEXT, ""]
    lines += [f"| step | shapes | value | {partial_name(out, 'step')} |", "|---|---|---|---|"]
    for n in doc.steps:
        lines.append(f"| {_md(n.definition)} | {_md(n.shapes)} | {_md(n.value)} | {_md(n.partial)} |")
    if doc.steps_omitted:
        lines.append(f"| ... {doc.steps_omitted} more steps | | | |")
    if doc.counts:
        lines += [""] + [f"- {_md(c)}" for c in doc.counts]
    lines += ["", "## Vector-Jacobian products", "", TENSOR_EDGES_TEXT, ""]
    lines += ["| edge | G = dL/d(result) maps to | with shapes |", "|---|---|---|"]
    for e in doc.edges:
        slot = f" (slot {e.slot})" if e.slot else ""
        lines.append(f"| {_md(f'{e.operand} -> {e.result}')}{slot} | {_md(e.vjp)} | {_md(e.shapes)} |")
    if doc.edges_omitted:
        lines.append(f"| ... {doc.edges_omitted} more edges | | |")
    lines += ["", "## Broadcasting in the backward pass", "", TENSOR_BROADCAST_TEXT, ""]
    if doc.broadcasts:
        lines += [f"- {_md(f'{e.operand} -> {e.result}')}: {_md(e.note)}" for e in doc.broadcasts]
    else:
        lines.append("No edge of this graph broadcasts: every contribution already has its operand's shape.")
    lines += ["", "## Paths", "", TENSOR_PATHS_TEXT, ""]
    return "\n".join(lines)


def _latex_head(title: str, description: str | None, expression: str | None, out: str) -> list[str]:
    """A sheet's preamble, title, description and expression (or why it is not printed)."""
    lines: list[str] = [_PREAMBLE, f"\\title{{{tex(title)}}}", r"\date{}", r"\begin{document}"]
    lines.append(r"\maketitle")
    if description:
        lines += [tex(description), ""]
    lines += [r"\section*{The expression}"]
    if expression is not None:
        lines += [r"\begin{quote}", tt(f"{out} = {expression}"), r"\end{quote}"]
    else:
        lines += [f"Written out in full, {tt(out)} is too long to print: the steps below are its graph.", ""]
    return lines


def _tensor_latex(doc: TensorLesson) -> str:
    out = doc.output
    p = r"p{%s\linewidth}"
    lines = _latex_head(doc.title, doc.description, doc.expression, out)
    rows = [[tt(n.name), tex(n.kind), tt(n.shapes), tt(n.value), tt(n.partial)] for n in doc.leaves]
    if doc.leaves_omitted:
        rows.append([f"\\dots{{}} {doc.leaves_omitted} more leaves", "", "", "", ""])
    lines += _table(
        f"{p % '0.1'}{p % '0.1'}{p % '0.1'}{p % '0.3'}{p % '0.3'}",
        ["leaf", "kind", "shape", "value", tex(partial_name(out, "leaf"))], rows,
    )
    lines += [r"\section*{Intermediate variables}", tex(TENSOR_STEPS_TEXT), ""]
    rows = [[tt(n.definition), tt(n.shapes), tt(n.value), tt(n.partial)] for n in doc.steps]
    if doc.steps_omitted:
        rows.append([f"\\dots{{}} {doc.steps_omitted} more steps", "", "", ""])
    lines += _table(
        f"{p % '0.2'}{p % '0.22'}{p % '0.25'}{p % '0.25'}",
        ["step", "shapes", "value", tex(partial_name(out, "step"))], rows,
    )
    if doc.counts:
        lines += [r"\begin{itemize}", *(f"\\item {tt(c)}" for c in doc.counts), r"\end{itemize}"]
    lines += [r"\section*{Vector-Jacobian products}", tex(TENSOR_EDGES_TEXT), ""]
    rows = [
        [tt(f"{e.operand} -> {e.result}" + (f" (slot {e.slot})" if e.slot else "")), tt(e.vjp), tt(e.shapes)]
        for e in doc.edges
    ]
    if doc.edges_omitted:
        rows.append([f"\\dots{{}} {doc.edges_omitted} more edges", "", ""])
    lines += _table(
        f"{p % '0.15'}{p % '0.4'}{p % '0.35'}", ["edge", tex("G = dL/d(result) maps to"), "with shapes"], rows
    )
    lines += [r"\section*{Broadcasting in the backward pass}", tex(TENSOR_BROADCAST_TEXT), ""]
    if doc.broadcasts:
        lines.append(r"\begin{itemize}")
        lines += [f"\\item {tt(f'{e.operand} -> {e.result}')}: {tt(e.note)}" for e in doc.broadcasts]
        lines.append(r"\end{itemize}")
    else:
        lines.append("No edge of this graph broadcasts: every contribution already has its operand's shape.")
    lines += [r"\section*{Paths}", tex(TENSOR_PATHS_TEXT), "", r"\end{document}", ""]
    return "\n".join(lines)


# --- Markdown ----------------------------------------------------------------------------------


def _md(text: str) -> str:
    """A code span, safe in a table cell."""
    text = text.replace("|", "\\|")
    tick = "``" if "`" in text else "`"
    return f"{tick}{text}{tick}"


def _md_prose(text: str) -> str:
    """A title or description as one paragraph of Markdown text: raw HTML in it is shown,
    never passed to the page (``<script>`` becomes ``&lt;script&gt;``)."""
    return html.escape(" ".join(printable(text).split()), quote=False)


def to_markdown(graph: Graph, output: int | str | None = None) -> str:
    if graph.has_arrays:
        return _tensor_markdown(tensor_lesson(graph, output))
    doc = lesson(graph, output)
    out = doc.output
    lines = _markdown_head(doc.title, doc.description, doc.expression, out)
    lines += ["Leaves:", "", "| leaf | kind | value |", "|---|---|---|"]
    lines += [f"| {_md(n)} | {k} | {_md(v)} |" for n, k, v in doc.leaves]
    if doc.leaves_omitted:
        lines.append(f"| ... {doc.leaves_omitted} more leaves | | |")
    lines += ["", "## Intermediate variables", "", STEPS_TEXT, ""]
    lines += ["| step | with numbers | value |", "|---|---|---|"]
    lines += [f"| {_md(s.definition)} | {_md(s.arithmetic)} | {_md(s.value)} |" for s in doc.steps]
    if doc.steps_omitted:
        lines.append(f"| ... {doc.steps_omitted} more steps | | |")
    lines += ["", "## Local derivatives", "", EDGES_TEXT, ""]
    lines += ["| edge | local derivative | value |", "|---|---|---|"]
    for e in doc.edges:
        slot = f" (slot {e.slot})" if e.slot else ""
        lines.append(f"| {_md(f'{e.operand} -> {e.result}')}{slot} | {_md(e.formula)} | {_md(e.value)} |")
    if doc.edges_omitted:
        lines.append(f"| ... {doc.edges_omitted} more edges | | |")
    lines += [
        "",
        "## The chain rule, leaf by leaf",
        "",
        f"{partial_name(out, 'leaf')} is the sum, over every path from the leaf to {out}, "
        "of the product of the local",
        "derivatives along the path.",
        "",
    ]
    for c in doc.chains:
        plural = "path" if c.count == 1 else "paths"
        lines += [f"### {partial_name(out, c.leaf)} ({c.kind}, {format_count(c.count)} {plural})", ""]
        for row in c.paths:
            path, factors, formulas, numbers = _chain_text(row)
            lines += [f"- {_md(path)}: {_md(factors)}", f"  {_md(formulas)}", f"  {_md(numbers)}"]
        if c.rest_count and c.paths:
            lines.append(f"- ... {format_count(c.rest_count)} more paths, adding up to {_md(c.rest_sum)}")
        if c.paths:
            total = _md(f"{partial_name(out, c.leaf)} = {c.total}")
            lines += ["", f"Sum over paths: {total}; backprop: {_md(c.backprop)}.", ""]
        else:
            backprop = _md(f"{partial_name(out, c.leaf)} = {c.backprop}")
            lines += [f"Backprop: {backprop} (too many paths to list).", ""]
    if doc.chains_omitted:
        lines += [f"... and {doc.chains_omitted} more leaves ({CHAINS_OMITTED_TEXT}).", ""]
    lines += ["## Where paths meet: branching nodes", ""]
    if doc.branching:
        lines += [
            "A node used more than once adds one contribution per outgoing edge (backprop's",
            "accumulation): this is the sum over paths, computed once per node.",
            "",
        ]
        for b in doc.branching:
            lines += [f"### {partial_name(out, b.node)} ({format_count(b.paths)} paths to {out})", ""]
            lines += ["| via | upstream | local derivative | contribution |", "|---|---|---|---|"]
            for t in b.terms:
                lines.append(
                    f"| {_md(t.result)} | {_md(f'{partial_name(out, t.result)} = {t.upstream}')} | "
                    f"{_md(t.local_formula)} = {_md(t.local)} | {_md(t.contribution)} |"
                )
            if b.terms_omitted:
                lines.append(f"| ... {b.terms_omitted} more terms, adding up to {_md(b.rest_sum)} | | | |")
            total = " + ".join(b.sum_terms)
            lines += ["", f"{_md(f'{partial_name(out, b.node)} = {total} = {b.total}')}", ""]
        if doc.branching_omitted:
            lines += [f"... and {doc.branching_omitted} more branching nodes.", ""]
    else:
        lines += ["No node is used twice: every leaf reaches the output by a single path.", ""]
    lines += ["## Why backprop", "", "| " + " | ".join(WHY_HEADER) + " |", "|---|---|---|"]
    lines += [f"| {what} | {a} | {b} |" for what, a, b in doc.efficiency]
    lines.append("")
    return "\n".join(lines)


# --- LaTeX ---------------------------------------------------------------------------------------

_TEX = {
    "\\": r"\textbackslash{}",
    "{": r"\{",
    "}": r"\}",
    "$": r"\$",
    "&": r"\&",
    "#": r"\#",
    "%": r"\%",
    "_": r"\_",
    "^": r"\^{}",
    "~": r"\~{}",
    "<": r"\textless{}",
    ">": r"\textgreater{}",
    "|": r"\textbar{}",
    **notation.LATEX,
}


def tex(text: str) -> str:
    """Plain text for pdflatex: specials escaped, other non-ASCII as <U+XXXX>."""
    out: list[str] = []
    for ch in text:
        if ch in _TEX:
            out.append(_TEX[ch])
        elif ord(ch) < 128:
            out.append(ch)
        else:
            out.append(f"\\textless{{}}U+{ord(ch):04X}\\textgreater{{}}")
    return "".join(out)


def tt(text: str) -> str:
    return f"\\texttt{{{tex(text)}}}"


_PREAMBLE = r"""\documentclass[11pt]{article}
\usepackage[margin=2cm]{geometry}
\usepackage{amsmath}
\usepackage{longtable}
\setlength{\parindent}{0pt}
\setlength{\parskip}{4pt}
\sloppy
"""


def _table(spec: str, header: list[str], rows: list[list[str]]) -> list[str]:
    head = " & ".join(f"\\textbf{{{h}}}" for h in header) + r" \\ \hline"
    lines = [f"\\begin{{longtable}}{{{spec}}}", head, r"\endhead"]
    lines += [" & ".join(r) + r" \\" for r in rows]
    lines.append(r"\end{longtable}")
    return lines


def to_latex(graph: Graph, output: int | str | None = None) -> str:
    if graph.has_arrays:
        return _tensor_latex(tensor_lesson(graph, output))
    doc = lesson(graph, output)
    out = doc.output
    p = r"p{%s\linewidth}"
    lines = _latex_head(doc.title, doc.description, doc.expression, out)
    lines += _table(
        f"{p % '0.3'}{p % '0.2'}{p % '0.3'}",
        ["leaf", "kind", "value"],
        [[tt(n), tex(k), tt(v)] for n, k, v in doc.leaves]
        + ([[f"\\dots{{}} {doc.leaves_omitted} more leaves", "", ""]] if doc.leaves_omitted else []),
    )
    lines += [r"\section*{Intermediate variables}", tex(STEPS_TEXT), ""]
    rows = [[tt(s.definition), tt(s.arithmetic), tt(s.value)] for s in doc.steps]
    if doc.steps_omitted:
        rows.append([f"\\dots{{}} {doc.steps_omitted} more steps", "", ""])
    lines += _table(f"{p % '0.35'}{p % '0.32'}{p % '0.18'}", ["step", "with numbers", "value"], rows)
    lines += [r"\section*{Local derivatives}", tex(EDGES_TEXT), ""]
    rows = [
        [
            tt(f"{e.operand} -> {e.result}" + (f" (slot {e.slot})" if e.slot else "")),
            tt(e.formula),
            tt(e.value),
        ]
        for e in doc.edges
    ]
    if doc.edges_omitted:
        rows.append([f"\\dots{{}} {doc.edges_omitted} more edges", "", ""])
    lines += _table(f"{p % '0.22'}{p % '0.45'}{p % '0.18'}", ["edge", "local derivative", "value"], rows)
    lines += [
        r"\section*{The chain rule, leaf by leaf}",
        f"{tt(partial_name(out, 'leaf'))} is the sum, over every path from the leaf to {tt(out)}, "
        "of the product "
        "of the local derivatives along the path.",
        "",
    ]
    for c in doc.chains:
        plural = "path" if c.count == 1 else "paths"
        heading = f"{partial_name(out, c.leaf)} ({c.kind}, {format_count(c.count)} {plural})"
        lines.append(f"\\subsection*{{{tex(heading)}}}")
        if c.paths:
            lines.append(r"\begin{itemize}")
            for row in c.paths:
                path, factors, formulas, numbers = _chain_text(row)
                lines.append(f"\\item {tt(path)}: {tt(factors)}\\\\ {tt(formulas)}\\\\ {tt(numbers)}")
            if c.rest_count:
                more = tex(f"... {format_count(c.rest_count)} more paths, adding up to")
                lines.append(f"\\item {more} {tt(c.rest_sum)}")
            total = tt(f"{partial_name(out, c.leaf)} = {c.total}")
            lines += [r"\end{itemize}", f"Sum over paths: {total}; backprop: {tt(c.backprop)}.", ""]
        else:
            backprop = tt(f"{partial_name(out, c.leaf)} = {c.backprop}")
            lines += [f"Backprop: {backprop} (too many paths to list).", ""]
    if doc.chains_omitted:
        lines += [f"\\dots{{}} and {doc.chains_omitted} more leaves ({tex(CHAINS_OMITTED_TEXT)}).", ""]
    lines += [r"\section*{Where paths meet: branching nodes}"]
    if doc.branching:
        lines += [
            "A node used more than once adds one contribution per outgoing edge (backprop's "
            "accumulation): this is the sum over paths, computed once per node.",
            "",
        ]
        for b in doc.branching:
            heading = f"{partial_name(out, b.node)} ({format_count(b.paths)} paths to {out})"
            lines.append(f"\\subsection*{{{tex(heading)}}}")
            rows = [
                [
                    tt(t.result),
                    tt(f"{partial_name(out, t.result)} = {t.upstream}"),
                    tt(f"{t.local_formula} = {t.local}"),
                    tt(t.contribution),
                ]
                for t in b.terms
            ]
            if b.terms_omitted:
                more = f"\\dots{{}} {b.terms_omitted} more terms, adding up to {tt(b.rest_sum)}"
                rows.append([more, "", "", ""])
            lines += _table(
                f"{p % '0.12'}{p % '0.23'}{p % '0.32'}{p % '0.18'}",
                ["via", "upstream", "local derivative", "contribution"],
                rows,
            )
            total = " + ".join(b.sum_terms)
            lines += [tt(f"{partial_name(out, b.node)} = {total} = {b.total}"), ""]
        if doc.branching_omitted:
            lines += [f"\\dots{{}} and {doc.branching_omitted} more branching nodes.", ""]
    else:
        lines += ["No node is used twice: every leaf reaches the output by a single path.", ""]
    lines += [r"\section*{Why backprop}"]
    lines += _table(
        f"{p % '0.4'}{p % '0.25'}{p % '0.2'}",
        list(WHY_HEADER),
        [[tex(w), tex(a), tex(b)] for w, a, b in doc.efficiency],
    )
    lines += [r"\end{document}", ""]
    return "\n".join(lines)
