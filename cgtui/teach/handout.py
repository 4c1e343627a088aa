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

from dataclasses import dataclass, field

from cgtui.core.errors import CgtuiError, NumericalFault, name_list
from cgtui.core.graph import Graph, Kind
from cgtui.core.ops import OPS, SLOT_NAMES
from cgtui.engine.engine import Stepper, apply_text, edge_formula, missing_values, value_text
from cgtui.engine.paths import path_counts_to, top_paths
from cgtui.teach.efficiency import format_count, graph_efficiency

MAX_ROWS = 200  # rows per table
MAX_PATHS = 4  # path products listed per leaf
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


@dataclass
class LeafChain:
    leaf: str
    kind: str
    count: int  # exact number of paths
    paths: list[PathRow]
    rest_count: int
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
    paths: int
    terms: list[Term]
    total: str


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


STEPS_TEXT = "One elementary operation per step, in topological order."
EDGES_TEXT = (
    "Each edge operand -> result contributes one elementary derivative: the op table's rule "
    "with the edge's names."
)
WHY_HEADER = ("for every leaf's partial", "enumerating paths", "backprop")


def _d(num: str, den: str) -> str:
    return f"∂{num}/∂{den}"


def lesson(graph: Graph, output: int | str | None = None) -> Lesson:
    """Everything a sheet shows, computed with the stepper the explorer uses."""
    missing = missing_values(graph, [n.value if n.op is None else None for n in graph.nodes])
    if missing:
        raise CgtuiError(
            f"a lesson sheet needs a value for every leaf; missing: {name_list(missing)} "
            f"(give them with --at {','.join(f'{m}=...' for m in missing[:3])})"
        )
    st = Stepper(graph, output)
    for run in (st.run_forward, st.run_backward):
        r = run()
        if r.kind == "fault":
            raise NumericalFault("; ".join(r.lines))
    g = graph
    out = st.output
    out_name = g.nodes[out].name
    values = st.values

    try:
        from cgtui.lang.printer import expression

        expr: str | None = expression(g, out, limit=MAX_EXPRESSION)
    except CgtuiError:
        expr = None

    leaves = [
        (n.name, n.kind.value, value_text(values[i]))
        for i, n in enumerate(g.nodes)
        if n.op is None and (n.kind is not Kind.CONST or n.name.isidentifier())  # not literals
    ]

    steps: list[StepRow] = []
    comps = [i for i in st.forward_order if i <= out and st.path[i]]
    for i in comps[:MAX_ROWS]:
        node = g.nodes[i]
        op = OPS[node.op]  # type: ignore[index]
        numeric = apply_text(op, [_paren(value_text(values[p])) for p in node.operands])
        steps.append(
            StepRow(node.name, f"{node.name} = {apply_text(op, [g.nodes[p].name for p in node.operands])}",
                    numeric, value_text(values[i]))
        )

    edges: list[EdgeRow] = []
    all_edges = [
        (s, slot, p)
        for s in st.backward_order[::-1]
        for slot, p in enumerate(g.nodes[s].operands)
        if st.needs[p]
    ]
    # one pass over the ledgers (a search per edge was quadratic: x used 20,000 times
    # has 20,000 pushes)
    pushed: dict[tuple[int, int], str] = {}
    for p in {p for _, _, p in all_edges}:
        for push in st.ledger[p]:
            pushed.setdefault((push.result, push.slot), value_text(push.local))
    locals_ = {(s, slot): pushed.get((s, slot), "?") for s, slot, _ in all_edges}
    for s, slot, p in all_edges[:MAX_ROWS]:
        node = g.nodes[s]
        both = node.operands.count(p) > 1
        edges.append(
            EdgeRow(
                g.nodes[p].name,
                node.name,
                SLOT_NAMES[slot] if both else "",
                f"{_d(node.name, g.nodes[p].name)} = {edge_formula(g, s, slot)}",
                locals_[(s, slot)],
            )
        )

    leaf_ids = [i for i, n in enumerate(g.nodes) if n.op is None and st.partials[i] is not None]
    chains_listed = len(leaf_ids) * (out + 1) <= PATH_WORK_LIMIT
    counts = path_counts_to(g, out)
    chains: list[LeafChain] = []
    for i in leaf_ids:
        node = g.nodes[i]
        partial = value_text(st.partials[i])
        if not chains_listed:
            chains.append(
                LeafChain(node.name, node.kind.value, counts[i], [], counts[i], "", partial, partial)
            )
            continue
        report = top_paths(g, values, i, out, k=MAX_PATHS)
        rows = []
        for path in report.paths:
            names = [g.nodes[k].name for k in path.nodes]
            factors = [_d(names[k + 1], names[k]) for k in range(len(names) - 1)]
            formulas = [
                edge_formula(g, path.nodes[k + 1], path.slots[k]) for k in range(len(path.slots))
            ]
            numbers = [value_text(v) for v in path.factors]
            rows.append(PathRow(names, factors, formulas, numbers, value_text(path.product)))
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

    branching: list[Branching] = []
    branch_nodes = [
        i
        for i in range(out - 1, -1, -1)
        if st.partials[i] is not None and len(st.accumulation(i)) > 1
    ]
    for i in branch_nodes[:MAX_BRANCHING]:
        name = g.nodes[i].name
        terms = [
            Term(
                g.nodes[push.result].name,
                value_text(push.upstream),
                f"{_d(g.nodes[push.result].name, name)} = {push.formula}",
                value_text(push.local),
                value_text(push.contribution),
            )
            for _, _, push in st.accumulation(i)
            if push is not None
        ]
        branching.append(Branching(name, counts[i], terms, value_text(st.partials[i])))

    eff = graph_efficiency(g, out)
    efficiency = [
        ("paths from the leaves to " + out_name, format_count(eff.paths), "not needed"),
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
    return Lesson(
        g.title or f"The computation graph of {out_name}",
        " ".join(g.description.split()),
        out_name,
        expr,
        leaves,
        steps,
        len(comps) - len(steps),
        edges,
        len(all_edges) - len(edges),
        chains,
        chains_listed,
        branching,
        len(branch_nodes) - len(branching),
        efficiency,
    )


def _paren(text: str) -> str:
    return f"({text})" if text.startswith("-") else text


def _shorten(items: list[str]) -> list[str]:
    if len(items) <= MAX_FACTORS:
        return items
    return [*items[:4], f"... ({len(items) - 6} more) ...", *items[-2:]]


def _chain_text(row: PathRow) -> tuple[str, str, str, str]:
    """(the path, its factors, their formulas, the numbers) for one path, output end first."""
    nodes = row.nodes if len(row.nodes) <= MAX_FACTORS + 1 else [*row.nodes[:4], "...", *row.nodes[-2:]]
    factors = " * ".join(_shorten(row.factors[::-1]))
    formulas = " * ".join(_shorten([f"({f})" for f in row.formulas[::-1]]))
    numbers = " * ".join(_shorten([_paren(v) for v in row.values[::-1]]))
    result = f"= {numbers}" if len(row.values) == 1 else f"= {numbers} = {row.product}"
    return " -> ".join(nodes), factors, f"= {formulas}", result


# --- Markdown ----------------------------------------------------------------------------------


def _md(text: str) -> str:
    """A code span, safe in a table cell."""
    text = text.replace("|", "\\|")
    tick = "``" if "`" in text else "`"
    return f"{tick}{text}{tick}"


def to_markdown(graph: Graph, output: int | str | None = None) -> str:
    doc = lesson(graph, output)
    out = doc.output
    lines: list[str] = [f"# {doc.title}", ""]
    if doc.description:
        lines += [doc.description, ""]
    lines += ["## The expression", ""]
    if doc.expression is not None:
        lines += [f"    {out} = {doc.expression}", ""]
    else:
        lines += [f"Written out in full, {out} is too long to print: the steps below are its graph.", ""]
    lines += ["Leaves:", "", "| leaf | kind | value |", "|---|---|---|"]
    lines += [f"| {_md(n)} | {k} | {_md(v)} |" for n, k, v in doc.leaves]
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
    lines += ["", "## The chain rule, leaf by leaf", "",
              f"d{out}/dleaf is the sum, over every path from the leaf to {out}, of the product of the local",
              "derivatives along the path.", ""]
    for c in doc.chains:
        plural = "path" if c.count == 1 else "paths"
        lines += [f"### d{out}/d{c.leaf} ({c.kind}, {format_count(c.count)} {plural})", ""]
        for row in c.paths:
            path, factors, formulas, numbers = _chain_text(row)
            lines += [f"- {_md(path)}: {_md(factors)}", f"  {_md(formulas)}", f"  {_md(numbers)}"]
        if c.rest_count and c.paths:
            lines.append(f"- ... {format_count(c.rest_count)} more paths, adding up to {_md(c.rest_sum)}")
        if c.paths:
            total = _md(f"d{out}/d{c.leaf} = {c.total}")
            lines += ["", f"Sum over paths: {total}; backprop: {_md(c.backprop)}.", ""]
        else:
            lines += [f"Backprop: {_md(f'd{out}/d{c.leaf} = {c.backprop}')} (too many paths to list).", ""]
    lines += ["## Where paths meet: branching nodes", ""]
    if doc.branching:
        lines += ["A node used more than once adds one contribution per outgoing edge (backprop's",
                  "accumulation): this is the sum over paths, computed once per node.", ""]
        for b in doc.branching:
            lines += [f"### d{out}/d{b.node} ({format_count(b.paths)} paths to {out})", ""]
            lines += ["| via | upstream | local derivative | contribution |", "|---|---|---|---|"]
            for t in b.terms:
                lines.append(
                    f"| {_md(t.result)} | {_md(f'd{out}/d{t.result} = {t.upstream}')} | "
                    f"{_md(t.local_formula)} = {_md(t.local)} | {_md(t.contribution)} |"
                )
            total = " + ".join(_paren(t.contribution) for t in b.terms)
            lines += ["", f"{_md(f'd{out}/d{b.node} = {total} = {b.total}')}", ""]
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
    "∂": r"$\partial$",
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
    doc = lesson(graph, output)
    out = doc.output
    p = r"p{%s\linewidth}"
    lines: list[str] = [_PREAMBLE, f"\\title{{{tex(doc.title)}}}", r"\date{}", r"\begin{document}"]
    lines.append(r"\maketitle")
    if doc.description:
        lines += [tex(doc.description), ""]
    lines += [r"\section*{The expression}"]
    if doc.expression is not None:
        lines += [r"\begin{quote}", tt(f"{out} = {doc.expression}"), r"\end{quote}"]
    else:
        lines += [f"Written out in full, {tt(out)} is too long to print: the steps below are its graph.", ""]
    lines += _table(
        f"{p % '0.3'}{p % '0.2'}{p % '0.3'}",
        ["leaf", "kind", "value"],
        [[tt(n), tex(k), tt(v)] for n, k, v in doc.leaves],
    )
    lines += [r"\section*{Intermediate variables}", tex(STEPS_TEXT), ""]
    rows = [[tt(s.definition), tt(s.arithmetic), tt(s.value)] for s in doc.steps]
    if doc.steps_omitted:
        rows.append([f"\\dots{{}} {doc.steps_omitted} more steps", "", ""])
    lines += _table(f"{p % '0.35'}{p % '0.32'}{p % '0.18'}", ["step", "with numbers", "value"], rows)
    lines += [r"\section*{Local derivatives}", tex(EDGES_TEXT), ""]
    rows = [
        [tt(f"{e.operand} -> {e.result}" + (f" (slot {e.slot})" if e.slot else "")), tt(e.formula),
         tt(e.value)]
        for e in doc.edges
    ]
    if doc.edges_omitted:
        rows.append([f"\\dots{{}} {doc.edges_omitted} more edges", "", ""])
    lines += _table(f"{p % '0.22'}{p % '0.45'}{p % '0.18'}", ["edge", "local derivative", "value"], rows)
    lines += [r"\section*{The chain rule, leaf by leaf}",
              f"{tt(f'd{out}/dleaf')} is the sum, over every path from the leaf to {tt(out)}, of the product "
              "of the local derivatives along the path.", ""]
    for c in doc.chains:
        plural = "path" if c.count == 1 else "paths"
        heading = f"d{out}/d{c.leaf} ({c.kind}, {format_count(c.count)} {plural})"
        lines.append(f"\\subsection*{{{tex(heading)}}}")
        if c.paths:
            lines.append(r"\begin{itemize}")
            for row in c.paths:
                path, factors, formulas, numbers = _chain_text(row)
                lines.append(f"\\item {tt(path)}: {tt(factors)}\\\\ {tt(formulas)}\\\\ {tt(numbers)}")
            if c.rest_count:
                more = tex(f"... {format_count(c.rest_count)} more paths, adding up to")
                lines.append(f"\\item {more} {tt(c.rest_sum)}")
            total = tt(f"d{out}/d{c.leaf} = {c.total}")
            lines += [r"\end{itemize}", f"Sum over paths: {total}; backprop: {tt(c.backprop)}.", ""]
        else:
            lines += [f"Backprop: {tt(f'd{out}/d{c.leaf} = {c.backprop}')} (too many paths to list).", ""]
    lines += [r"\section*{Where paths meet: branching nodes}"]
    if doc.branching:
        lines += ["A node used more than once adds one contribution per outgoing edge (backprop's "
                  "accumulation): this is the sum over paths, computed once per node.", ""]
        for b in doc.branching:
            heading = f"d{out}/d{b.node} ({format_count(b.paths)} paths to {out})"
            lines.append(f"\\subsection*{{{tex(heading)}}}")
            rows = [
                [tt(t.result), tt(f"d{out}/d{t.result} = {t.upstream}"), tt(f"{t.local_formula} = {t.local}"),
                 tt(t.contribution)]
                for t in b.terms
            ]
            lines += _table(
                f"{p % '0.12'}{p % '0.23'}{p % '0.32'}{p % '0.18'}",
                ["via", "upstream", "local derivative", "contribution"],
                rows,
            )
            total = " + ".join(_paren(t.contribution) for t in b.terms)
            lines += [tt(f"d{out}/d{b.node} = {total} = {b.total}"), ""]
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

