"""``cgtui import torch FILE.py:NAME --example x=0.5,y=-1.2 [-o graph.yaml] [--check]``:
a graph traced from a PyTorch function or ``nn.Module`` with ``torch.fx``.

This runs FILE.py, as tracing it must: import only code you trust. Without ``-o`` the graph
is printed as YAML. ``--check`` compares every node's value and every leaf's gradient with
PyTorch (float64) on the example values and prints the largest difference per node; it
exits 3 when any differs by more than 1e-9 (relative).
"""

from __future__ import annotations

import argparse
from pathlib import Path

from cgtui.bridges import torch_fx
from cgtui.commands.common import EXIT_FAULT, EXIT_OK
from cgtui.core.ops import format_number
from cgtui.lang.source import parse_assignments
from cgtui.lang.yamlio import write_text_atomic
from cgtui.teach.formats import to_yaml

#: --check passes when every value and gradient agrees to this, relative.
TOLERANCE = 1e-9


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.description = (
        "Trace a PyTorch function or nn.Module with torch.fx into a cgtui graph. "
        "This RUNS the Python file given: import only code you trust."
    )
    p.add_argument("framework", choices=["torch"], help="the framework to import from")
    p.add_argument("target", metavar="FILE.py:NAME", help="a function, or an nn.Module class or instance")
    p.add_argument(
        "--example", action="append", default=[], metavar="NAME=VALUE", help="argument values: x=0.5,y=-1.2"
    )
    p.add_argument("-o", "--output-file", dest="output_file", metavar="FILE", help="write the graph as YAML")
    p.add_argument("--force", action="store_true", help="replace FILE if it exists")
    p.add_argument("--check", action="store_true", help="compare every node and gradient with PyTorch")


def run(args: argparse.Namespace) -> int:
    example = parse_assignments(args.example)
    imported = torch_fx.trace(torch_fx.load_callable(args.target), example)
    graph = imported.graph
    graph.title = graph.title or f"{args.target}, traced by torch.fx"
    text = to_yaml(graph)
    if args.output_file and args.output_file != "-":
        write_text_atomic(Path(args.output_file), text, overwrite=args.force)
        print(f"wrote {args.output_file}: {len(graph.nodes)} nodes from {args.target}")
    elif not args.check:
        print(text, end="")
    if not args.check:
        return EXIT_OK
    values, grads = torch_fx.check(imported, example)
    out = graph.nodes[graph.outputs[0]].name
    worst = 0.0
    width = max((len(c.name) for c in [*values, *grads]), default=4)
    print(f"{'node':<{width}}  {'cgtui':>22}  {'pytorch':>22}  difference")
    for label, rows in (("value", values), ("gradient", grads)):
        for c in rows:
            rel = c.difference / max(abs(c.theirs), 1e-300) if c.difference else 0.0
            worst = max(worst, rel)
            name = c.name if label == "value" else f"d{out}/d{c.name}"
            print(f"{name:<{width}}  {c.ours:>22.17g}  {c.theirs:>22.17g}  {format_number(c.difference)}")
    verdict = "agree" if worst <= TOLERANCE else "DISAGREE"
    print(
        f"{len(values)} values and {len(grads)} gradients {verdict}: largest relative difference {worst:.3g}"
    )
    return EXIT_OK if worst <= TOLERANCE else EXIT_FAULT
