"""``cgtui steps SOURCE``: the explicit steps, one elementary operation per line.

Like a jaxpr listing (``z = mul w x``), with each node's kind, its expression, its value
where the leaves' values are known, and the nodes that use it. Leaves come first, then
the computations in topological order.
"""

from __future__ import annotations

import argparse
import html
import sys
from collections import Counter
from typing import Any

from cgtui.commands.common import EXIT_FAULT, add_source_arguments, graph_from_args
from cgtui.core.errors import name_list
from cgtui.core.graph import Graph, Kind
from cgtui.core.notation import inline_value
from cgtui.core.text import printable
from cgtui.engine.engine import evaluate_node
from cgtui.lang import yamlio
from cgtui.teach.formats import node_records, records_json

FORMATS = ("text", "markdown", "json")
_PLURAL = {Kind.INPUT: "inputs", Kind.LABEL: "labels", Kind.PARAM: "params", Kind.CONST: "consts",
           Kind.COMPUTATION: "computations"}


def add_arguments(p: argparse.ArgumentParser) -> None:
    add_source_arguments(p)
    p.add_argument("--format", choices=FORMATS, default="text", help="text (default), markdown or json")


def compute_values(graph: Graph) -> tuple[list[Any], str | None]:
    """Every node's value as far as the leaves' values allow; the first fault, if any."""
    values: list[Any] = [n.value if n.op is None else None for n in graph.nodes]
    fault: str | None = None
    for i, node in enumerate(graph.nodes):
        if node.op is None or any(values[p] is None for p in node.operands):
            continue
        value, problem = evaluate_node(graph, i, values)
        if problem is not None:
            fault = fault or f"{node.name}: {problem}"
            continue
        values[i] = value
    return values, fault


def listing_order(graph: Graph) -> list[int]:
    """Leaves first (in graph order), then the computations: still a topological order."""
    return graph.leaves() + graph.computations()


def _value_text(v: Any) -> str:
    return "" if v is None else inline_value(v)


#: At most this many successors are named on a line; the rest are counted.
MAX_SHOWN_SUCCESSORS = 8


def _successors_text(graph: Graph, i: int) -> str:
    counts = Counter(graph.nodes[s].name for s, _ in graph.successors(i))
    parts = [name if k == 1 else f"{name}×{k}" for name, k in counts.items()]
    if len(parts) > MAX_SHOWN_SUCCESSORS:
        rest = len(parts) - MAX_SHOWN_SUCCESSORS
        parts = [*parts[:MAX_SHOWN_SUCCESSORS], f"and {rest:,} more"]
    return ", ".join(parts)


def rows(graph: Graph, values: list[Any]) -> list[list[str]]:
    """name, kind, op with operands, expression, value, used by (one row per node)."""
    outputs = set(graph.outputs)
    table: list[list[str]] = []
    for i in listing_order(graph):
        node = graph.nodes[i]
        if node.op is None:
            op_text = ""
            expr = ""
        else:
            op_text = " ".join([node.op, *(_operand(graph, p) for p in node.operands)])
            expr = yamlio.step_text(graph, i)
        used_by = _successors_text(graph, i)
        if i in outputs:
            used_by = f"{used_by}; output" if used_by else "output"
        table.append([node.name, node.kind.value, op_text, expr, _value_text(values[i]), used_by])
    return table


def _operand(graph: Graph, p: int) -> str:
    return graph.nodes[p].name


def summary(graph: Graph) -> str:
    counts = Counter(n.kind for n in graph.nodes)
    parts = [f"{counts[k]} {_PLURAL[k] if counts[k] != 1 else k.value}" for k in Kind if counts[k]]
    outs = ", ".join(graph.output_names)
    nodes, edges = len(graph), graph.edge_count()
    return (
        f"{nodes} node{'s' if nodes != 1 else ''} ({', '.join(parts)}), "
        f"{edges} edge{'s' if edges != 1 else ''}, output{'s' if len(graph.outputs) != 1 else ''} {outs}"
    )


HEADER = ["name", "kind", "op", "expression", "value", "used by"]


def render_text(graph: Graph) -> str:
    values, fault = compute_values(graph)
    table = rows(graph, values)
    widths = [max([len(HEADER[c])] + [len(r[c]) for r in table]) for c in range(len(HEADER))]
    lines: list[str] = []
    if graph.title:
        lines.append(printable(graph.title))
    lines.append(summary(graph))
    lines.append("")

    last = len(HEADER) - 1

    def fmt(cells: list[str]) -> str:
        padded = [
            cell.rjust(widths[c]) if c == 4 else (cell if c == last else cell.ljust(widths[c]))
            for c, cell in enumerate(cells)
        ]
        return "  ".join(padded).rstrip()

    lines.append(fmt(HEADER))
    lines.append(fmt(["-" * w for w in widths]))
    lines.extend(fmt(r) for r in table)
    if fault:
        lines.append("")
        lines.append(f"values stop at {fault}")
    elif any(v is None for v in values):
        missing = [n.name for n in graph.nodes if n.op is None and n.value is None]
        lines.append("")
        lines.append(f"no values: {name_list(missing)} (give them with --at NAME=VALUE)")
    return "\n".join(lines) + "\n"


def render_markdown(graph: Graph) -> str:
    values, fault = compute_values(graph)
    table = rows(graph, values)
    lines: list[str] = []
    if graph.title:
        lines.append(f"### {html.escape(' '.join(printable(graph.title).split()), quote=False)}")
        lines.append("")
    lines.append(summary(graph))
    lines.append("")
    lines.append("| " + " | ".join(HEADER) + " |")
    lines.append("|" + "|".join(["---", "---", "---", "---", "---:", "---"]) + "|")
    for r in table:
        cells = [f"`{c}`" if c and k in (0, 2, 3) else c for k, c in enumerate(r)]
        lines.append("| " + " | ".join(cells) + " |")
    if fault:
        lines.append("")
        lines.append(f"Values stop at {fault}.")
    return "\n".join(lines) + "\n"


def render_json(graph: Graph) -> str:
    values, fault = compute_values(graph)
    records = node_records(graph, values)
    order = listing_order(graph)
    return records_json(
        {"title": graph.title, "description": graph.description},
        {"steps": [records[i] for i in order]},
        {"outputs": graph.output_names, "fault": fault},
    )


RENDERERS = {"text": render_text, "markdown": render_markdown, "json": render_json}


def run(args: argparse.Namespace) -> int:
    graph = graph_from_args(args)
    print(RENDERERS[args.format](graph), end="")
    # The listing shows where values stop; the exit status says so too, as every
    # command does on a numerical fault.
    _, fault = compute_values(graph)
    if fault is not None:
        print(f"cgtui: numerical fault: {fault}", file=sys.stderr)
        return EXIT_FAULT
    return 0
