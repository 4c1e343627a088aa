"""Exports: a graph as JSON, Graphviz dot, Mermaid, YAML, a lesson sheet or Python code.

:data:`FORMATS` maps a format name to a function ``graph -> str``; ``cgtui export``
offers exactly its keys, so a new format (a lesson sheet, say) is one new entry.
Every edge is one operand slot: ``x*x`` gives two edges ``x -> out`` (slots a and b).
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable, Sequence
from typing import Any

from cgtui.core.errors import CgtuiError
from cgtui.core.graph import Graph, Kind
from cgtui.core.notation import value_text
from cgtui.core.ops import SLOT_NAMES
from cgtui.lang import printer, yamlio
from cgtui.lang.build import is_literal
from cgtui.teach import codegen, handout

Exporter = Callable[[Graph], str]

#: Fill colours by kind (dot) and the Mermaid classes that use them.
KIND_COLOURS: dict[Kind, str] = {
    Kind.INPUT: "#9ecae1",  # blue
    Kind.PARAM: "#fdae6b",  # orange
    Kind.COMPUTATION: "#fff7bc",  # yellow
    Kind.LABEL: "#a1d99b",  # green
    Kind.CONST: "#d9d9d9",  # grey
}


def node_records(graph: Graph, values: Sequence[Any] | None = None) -> list[dict[str, Any]]:
    """One dict per node in topological order: the data the JSON export and
    ``cgtui steps --format json`` share. ``values`` (one per node) adds computed values."""
    succs = graph.successor_lists()
    levels = graph.levels()
    outputs = set(graph.outputs)
    records: list[dict[str, Any]] = []
    for i, node in enumerate(graph.nodes):
        value = node.value if values is None else values[i]
        records.append(
            {
                "name": node.name,
                "kind": node.kind.value,
                "op": node.op,
                "operands": [graph.nodes[p].name for p in node.operands],
                "text": yamlio.step_text(graph, i) if node.op is not None else None,
                "value": _plain(value),
                "successors": [graph.nodes[s].name for s, _ in succs[i]],
                "level": levels[i],
                "output": i in outputs,
            }
        )
    return records


def _plain(value: Any) -> Any:
    """A value as JSON data: a float, a list (a batch of values), or None."""
    if value is None:
        return None
    try:
        v = float(value)
        return v if math.isfinite(v) else str(v)  # JSON has no inf or nan
    except (TypeError, ValueError):
        return value.tolist() if hasattr(value, "tolist") else str(value)


def to_json(graph: Graph) -> str:
    """JSON with one node (and one edge) per line: readable, diffable, and each line
    written by json's C encoder (``indent`` would force the pure-Python one)."""
    return records_json(
        {"title": graph.title, "description": graph.description, "program": program_text(graph)},
        {
            "nodes": node_records(graph),
            "edges": [
                {"from": graph.nodes[p].name, "to": graph.nodes[i].name, "slot": slot}
                for p, i, slot in graph.edges()
            ],
        },
        {"outputs": graph.output_names},
    )


def program_text(graph: Graph, limit: int = 100_000) -> str | None:
    """The graph as expression statements (see :mod:`cgtui.lang.printer`), or None when
    that text would be longer than ``limit`` characters."""
    try:
        return printer.program(graph, limit=limit)
    except CgtuiError:
        return None


def records_json(head: dict[str, Any], lists: dict[str, list[Any]], tail: dict[str, Any]) -> str:
    """A JSON object: ``head`` and ``tail`` keys one per line, each list in ``lists``
    with one compact item per line."""

    # One encoder for every item: json.dumps with options builds a new one per call,
    # which tripled the time of a 100,000-term sum's export.
    dump = json.JSONEncoder(ensure_ascii=False, allow_nan=False).encode

    parts = [f"  {dump(k)}: {dump(v)}" for k, v in head.items()]
    for key, items in lists.items():
        if items:
            body = ",\n".join(f"    {dump(item)}" for item in items)
            parts.append(f"  {dump(key)}: [\n{body}\n  ]")
        else:
            parts.append(f"  {dump(key)}: []")
    parts.extend(f"  {dump(k)}: {dump(v)}" for k, v in tail.items())
    return "{\n" + ",\n".join(parts) + "\n}\n"


def _dot_string(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n") + '"'


def _label(graph: Graph, i: int) -> str:
    node = graph.nodes[i]
    if node.op is None:
        if is_literal(node):
            return node.name
        value = "" if node.value is None else f" = {value_text(node.value)}"
        return f"{node.name}{value}\n{node.kind.value}"
    return f"{node.name}\n= {yamlio.step_text(graph, i)}"


def to_dot(graph: Graph) -> str:
    """Graphviz: leaves on the left, the output on the right, colours by kind, one edge
    per operand slot (labelled a and b where an op has two)."""
    lines = ["digraph cgtui {", "  rankdir=LR;"]
    if graph.title:
        lines.append(f"  label={_dot_string(graph.title)}; labelloc=t;")
    lines.append('  node [style=filled, fontname="Helvetica"];')
    outputs = set(graph.outputs)
    for i, node in enumerate(graph.nodes):
        shape = "ellipse" if node.op is None else "box"
        attrs = [
            f"label={_dot_string(_label(graph, i))}",
            f'fillcolor="{KIND_COLOURS[node.kind]}"',
            f"shape={shape}",
        ]
        if i in outputs:
            attrs.append("peripheries=2")
        lines.append(f"  {_dot_string(node.name)} [{', '.join(attrs)}];")
    for p, i, slot in graph.edges():
        label = f" [label={_dot_string(SLOT_NAMES[slot])}]" if len(graph.nodes[i].operands) == 2 else ""
        lines.append(f"  {_dot_string(graph.nodes[p].name)} -> {_dot_string(graph.nodes[i].name)}{label};")
    lines.append("}")
    return "\n".join(lines) + "\n"


def _mermaid_text(text: str) -> str:
    out = text.replace("&", "#amp;").replace('"', "#quot;").replace("<", "#lt;").replace(">", "#gt;")
    return out.replace("\n", "<br/>")


def to_mermaid(graph: Graph) -> str:
    """A Mermaid flowchart (node ids n0, n1, ... so any name is safe)."""
    lines = []
    if graph.title:
        lines.append(f"%% {graph.title.splitlines()[0]}")
    lines.append("flowchart LR")
    outputs = set(graph.outputs)
    for i, node in enumerate(graph.nodes):
        text = _mermaid_text(_label(graph, i).replace("\n= ", " = ").replace("\n", " · "))
        shape = ('(["', '"])') if node.op is None else (('[["', '"]]') if i in outputs else ('["', '"]'))
        lines.append(f"  n{i}{shape[0]}{text}{shape[1]}:::{node.kind.value}")
    for p, i, slot in graph.edges():
        label = f"|{SLOT_NAMES[slot]}|" if len(graph.nodes[i].operands) == 2 else ""
        lines.append(f"  n{p} -->{label} n{i}")
    for kind, colour in KIND_COLOURS.items():
        lines.append(f"  classDef {kind.value} fill:{colour},stroke:#555,color:#000")
    return "\n".join(lines) + "\n"


def to_yaml(graph: Graph) -> str:
    return yamlio.dumps(graph)


#: Format name -> exporter. Other modules may add entries.
FORMATS: dict[str, Exporter] = {
    "yaml": to_yaml,
    "json": to_json,
    "dot": to_dot,
    "mermaid": to_mermaid,
    "markdown": handout.to_markdown,  # lesson sheets
    "latex": handout.to_latex,
    "numpy": codegen.to_numpy,  # backprop as straight-line Python
    "pytorch": codegen.to_pytorch,  # the forward pass for PyTorch's autograd
    "jax": codegen.to_jax,  # ... and for JAX's
}


def export(graph: Graph, fmt: str) -> str:
    try:
        exporter = FORMATS[fmt]
    except KeyError:
        raise CgtuiError(f"unknown format '{fmt}' (one of: {', '.join(FORMATS)})") from None
    return exporter(graph)
