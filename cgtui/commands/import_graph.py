"""``cgtui import torch FILE.py:NAME --example x=0.5,y=-1.2 [-o graph.yaml] [--check]``:
a graph traced from a PyTorch function or ``nn.Module`` with ``torch.fx``;
``cgtui import onnx MODEL.onnx [--example X_0_1=0.5]``: a small ONNX model, one scalar node
per tensor element (:mod:`cgtui.bridges.onnx_import`).

Importing from torch runs FILE.py, as tracing it must: import only code you trust. Without
``-o`` the graph is printed as YAML. ``--check`` compares every node's value (and, from
PyTorch, every leaf's gradient) with the framework on the example values, one line per node
with the difference; it exits 3 when any differs by more than the tolerance (relative).
"""

from __future__ import annotations

import argparse
from collections.abc import Sequence
from pathlib import Path
from typing import Protocol

from cgtui.bridges import onnx_import, torch_fx
from cgtui.commands.common import EXIT_FAULT, EXIT_OK
from cgtui.core.graph import Graph
from cgtui.core.ops import format_number
from cgtui.lang.source import parse_assignments
from cgtui.lang.yamlio import write_text_atomic
from cgtui.teach.formats import to_yaml

#: --check against PyTorch (float64) passes when every number agrees to this, relative.
TOLERANCE = 1e-9


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.description = (
        "Import a graph: trace a PyTorch function or nn.Module with torch.fx (this RUNS the "
        "Python file given: import only code you trust), or read a small ONNX model."
    )
    p.add_argument("framework", choices=["torch", "onnx"], help="the framework to import from")
    p.add_argument(
        "target",
        metavar="FILE.py:NAME | MODEL.onnx",
        help="a function or nn.Module (torch); a model file (onnx)",
    )
    p.add_argument(
        "--example",
        action="append",
        default=[],
        metavar="NAME=VALUE",
        help="values of the arguments (torch) or of input elements such as X_0_1 (onnx): x=0.5,y=-1.2",
    )
    p.add_argument("-o", "--output-file", dest="output_file", metavar="FILE", help="write the graph as YAML")
    p.add_argument("--force", action="store_true", help="replace FILE if it exists")
    p.add_argument(
        "--check", action="store_true", help="compare every node (and gradient) with the framework"
    )


def run(args: argparse.Namespace) -> int:
    example = parse_assignments(args.example)
    if args.framework == "torch":
        imported = torch_fx.trace(torch_fx.load_callable(args.target), example)
        graph = imported.graph
        what = f"{args.target}, traced by torch.fx"
    else:
        onnx_imported = onnx_import.convert(onnx_import.load_model(args.target), example)
        graph = onnx_imported.graph
        what = f"{Path(args.target).name}, an ONNX model"
    graph.title = graph.title or what
    text = to_yaml(graph)
    if args.output_file and args.output_file != "-":
        write_text_atomic(Path(args.output_file), text, overwrite=args.force)
        print(f"wrote {args.output_file}: {len(graph.nodes)} nodes from {args.target}")
    elif not args.check:
        print(text, end="")
    if not args.check:
        return EXIT_OK
    if args.framework == "torch":
        values, grads = torch_fx.check(imported, example)
        return report(graph, values, grads, "pytorch", TOLERANCE)
    checks = onnx_import.check(onnx_imported)
    print("ONNX computes no gradients: the values of every node are compared")
    return report(graph, checks, [], "onnx", onnx_import.tolerance(onnx_imported))


class _Compared(Protocol):
    name: str
    ours: float
    theirs: float

    @property
    def difference(self) -> float: ...


def report(
    graph: Graph, values: Sequence[_Compared], grads: Sequence[_Compared], peer: str, tolerance: float
) -> int:
    """One line per node: cgtui's number, the framework's, the difference; exit 3 past the tolerance."""
    out = graph.nodes[graph.outputs[0]].name
    worst = 0.0
    width = max((len(c.name) + len(out) + 4 for c in [*values, *grads]), default=4)
    print(f"{'node':<{width}}  {'cgtui':>22}  {peer:>22}  difference")
    for label, rows in (("value", values), ("gradient", grads)):
        for c in rows:
            rel = c.difference / max(abs(c.theirs), 1e-300) if c.difference else 0.0
            worst = max(worst, rel)
            name = c.name if label == "value" else f"d{out}/d{c.name}"
            print(f"{name:<{width}}  {c.ours:>22.17g}  {c.theirs:>22.17g}  {format_number(c.difference)}")
    verdict = "agree" if worst <= tolerance else "DISAGREE"
    counted = f"{len(values)} values" + (f" and {len(grads)} gradients" if grads else "")
    print(f"{counted} {verdict}: largest relative difference {worst:.3g} (tolerance {tolerance:g})")
    return EXIT_OK if worst <= tolerance else EXIT_FAULT
