"""``cgtui paths SOURCE --from NAME [--to OUTPUT] [--top K]``: the chain rule as a sum over paths.

Prints the exact number of paths from NAME to the output, the K paths with the largest
products of local derivatives, the rest in one line, their total beside backprop's
cached partial (they are equal), what each way costs in multiplications, and what the
whole Jacobian costs by forward mode (one pass per leaf) and by reverse mode (one pass
per output), with the cheaper direction named.
"""

from __future__ import annotations

import argparse
from typing import Any

from cgtui.commands.common import add_source_arguments, dump_json, load
from cgtui.core import notation
from cgtui.core.errors import CgtuiError
from cgtui.core.graph import Graph
from cgtui.core.notation import format_number, partial_name
from cgtui.engine.engine import backward, edge_text, forward, leaf_values
from cgtui.engine.jacobian import pass_counts
from cgtui.engine.paths import MAX_TOP, Count, Path, PathReport, is_exact, top_paths
from cgtui.teach.directions import cost_json, jacobian_cost_lines
from cgtui.teach.efficiency import (
    GraphEfficiency,
    NodeEfficiency,
    format_count,
    graph_efficiency,
    graph_report,
    node_efficiency,
    node_report,
)

#: Paths longer than this many nodes are shown with their middle elided.
SHOW_NODES = 12


def add_arguments(p: argparse.ArgumentParser) -> None:
    add_source_arguments(p)
    p.add_argument("--from", dest="source_node", metavar="NAME", required=True, help="the node v of dL/dv")
    p.add_argument("--to", dest="output", metavar="OUTPUT", help="the output L (default: the graph's first)")
    p.add_argument("--top", type=int, default=5, metavar="K", help="how many paths to list (default 5)")
    p.add_argument("--json", action="store_true", help="print JSON (full precision)")


def count_text(n: Count, *, exact: bool = True) -> str:
    """``1,234``; from 10^15 on also its size, ``(about 2.66e+95)``, or only that size."""
    if n < 10**15:
        return f"{int(n):,}"
    if n >= 10**308 or not is_exact(n):  # also beyond str()'s 4,300-digit limit: never write it out
        return f"about {format_count(n)}"
    about = f"about {float(n):.3g}"
    return f"{n:,} ({about})" if exact else about


def plural(n: Count, word: str, *, exact: bool = True) -> str:
    return f"{count_text(n, exact=exact)} {word}{'' if n == 1 else 's'}"


def path_text(graph: Graph, path: Path) -> str:
    """``x -> s -> f``; ``-a->`` / ``-b->`` say which slot an edge enters when a node uses
    the same operand twice (``x*x`` has two edges from x)."""
    parts = [graph.nodes[path.nodes[0]].name]
    for k, slot in enumerate(path.slots):
        result = graph.nodes[path.nodes[k + 1]]
        twice = len(set(result.operands)) < len(result.operands)
        parts.append(f"-{'ab'[slot]}->" if twice else "->")
        parts.append(result.name)
    if len(path.nodes) > SHOW_NODES:
        hidden = len(path.nodes) - 10
        parts = [*parts[:10], f"({hidden} more nodes)", *parts[-10:]]
    return " ".join(parts)


def product_text(path: Path) -> str:
    if not path.factors:
        return "1"
    if len(path.factors) == 1:
        return format_number(path.product)
    if len(path.factors) <= 6:
        return f"{notation.product(map(format_number, path.factors))} = {format_number(path.product)}"
    return f"product of {len(path.factors)} factors = {format_number(path.product)}"


def formulas(graph: Graph, path: Path) -> list[str]:
    """Each edge's local derivative as the op table writes it: ``∂f/∂s = x``."""
    return [edge_text(graph, path.nodes[k + 1], slot) for k, slot in enumerate(path.slots)]


def efficiency_lines(node: NodeEfficiency, whole: GraphEfficiency) -> list[str]:
    """Why backprop: this node's numbers, then the whole gradient's."""
    return [
        "why backprop, for this node:",
        *(f"  {line}" for line in node_report(node)),
        "and for the whole gradient:",
        *(f"  {line}" for line in graph_report(whole)),
    ]


def render_text(
    graph: Graph, report: PathReport, partial: float | None, node: NodeEfficiency, whole: GraphEfficiency
) -> str:
    v, out = graph.nodes[report.source].name, graph.nodes[report.output].name
    lines: list[str] = []
    if report.count == 0:
        lines.append(f"no path from {v} to {out}: {partial_name(out, v)} = 0")
        return "\n".join(lines) + "\n"
    counted = "(exact)" if is_exact(report.count) else "(rounded: too many to count exactly)"
    lines.append(f"{plural(report.count, 'path')} from {v} to {out} {counted}")
    shown = [(path_text(graph, p), product_text(p), p) for p in report.paths]
    width = max((len(s) for s, _, _ in shown), default=0)  # --top 0 lists none
    width_product = max((len(s) for _, s, _ in shown), default=0)
    for k, (route, product, path) in enumerate(shown, 1):
        line = f"  #{k:<3} {route.ljust(width)}   {product}"
        if 0 < len(path.factors) <= 4:
            pad = " " * (width_product - len(product))
            line = f"{line}{pad}   ({', '.join(formulas(graph, path))})"
        lines.append(line)
    if len(report.paths) < min(report.asked, report.count):
        lines.append(
            f"  (listing {len(report.paths):,} of the {report.asked:,} asked for: "
            "each node keeps that many candidates, within a memory budget)"
        )
    if report.rest_count:
        rest = plural(report.rest_count, "more path", exact=False)
        lines.append(f"  ... and {rest}, contributing {format_number(report.rest_sum)}")
    lines.append(f"sum over all paths:           {partial_name(out, v)} = {format_number(report.total)}")
    cached = "none (a constant)" if partial is None else format_number(partial)
    lines.append(f"cached partial from backprop: {partial_name(out, v)} = {cached}")
    lines.extend(efficiency_lines(node, whole))
    return "\n".join(lines) + "\n"


def json_count(n: Count) -> int | str:
    """An exact integer, or one too large to count exactly, its size as text."""
    return n if isinstance(n, int) and n.bit_length() < 13_000 else format_count(n)


def to_json(
    graph: Graph, report: PathReport, partial: float | None, node: NodeEfficiency, whole: GraphEfficiency
) -> dict[str, Any]:
    return {
        "from": graph.nodes[report.source].name,
        "to": graph.nodes[report.output].name,
        "count": json_count(report.count),
        "paths": [
            {
                "nodes": [graph.nodes[i].name for i in p.nodes],
                "slots": ["ab"[slot] for slot in p.slots],
                "formulas": formulas(graph, p),
                "factors": p.factors,
                "product": p.product,
            }
            for p in report.paths
        ],
        "rest": {"count": json_count(report.rest_count), "sum": report.rest_sum},
        "total": report.total,
        "partial": partial,
        "costs": {
            "paths": json_count(node.paths),
            "enumeration_multiplications": json_count(node.enumeration_multiplications),
            "enumeration_additions": json_count(node.enumeration_additions),
            "backprop_multiplications": node.backprop_multiplications,
            "backprop_edges": node.subgraph_edges,
            "subgraph_nodes": node.subgraph_nodes,
            "expanded_derivative_size": json_count(node.derivative_size),
        },
        "whole_gradient": {
            "leaves": list(whole.leaves),
            "graph_nodes": whole.graph_nodes,
            "graph_edges": whole.graph_edges,
            "paths": json_count(whole.paths),
            "enumeration_multiplications": json_count(whole.enumeration_multiplications),
            "backprop_multiplications": whole.backprop_multiplications,
            "expression_size": json_count(whole.expression_size),
            "expanded_derivative_size": None
            if whole.derivative_size is None
            else json_count(whole.derivative_size),
        },
    }


def run(args: argparse.Namespace) -> int:
    if not 0 <= args.top <= MAX_TOP:
        raise CgtuiError(f"--top must be from 0 to {MAX_TOP:,}, got {args.top:,}")
    graph, output = load(args)
    if graph.has_arrays:
        raise CgtuiError(
            "cgtui paths lists and sums the products of local derivatives along paths: "
            f"{notation.TENSOR_PATHS}. "
            "Each edge's VJP with the shape of every factor is in cgtui export SOURCE --format markdown; "
            "in the explorer, Z zooms a node into the scalar graph it stands for, whose paths are numbers"
        )
    source = graph.lookup(args.source_node)
    values = forward(graph, leaf_values(graph))
    partials = backward(graph, values, output)
    report = top_paths(graph, values, source, output, k=args.top)
    node = node_efficiency(graph, source, output)
    whole = graph_efficiency(graph, output)
    g = partials[source]
    partial = None if g is None else float(g)
    counts = pass_counts(graph)  # both directions, for the graph's outputs
    if args.json:
        doc = to_json(graph, report, partial, node, whole)
        doc["jacobian"] = {"outputs": counts.outputs, "leaves": counts.leaves, **cost_json(counts)}
        print(dump_json(doc))
    else:
        print(render_text(graph, report, partial, node, whole), end="")
        if report.count:
            print("\n".join(jacobian_cost_lines(counts)))
    return 0
