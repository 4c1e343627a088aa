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

from cgtui.bridges import jax_jaxpr, onnx_import, torch_fx
from cgtui.commands.common import EXIT_FAULT, EXIT_OK
from cgtui.core.errors import CgtuiError
from cgtui.core.graph import Graph, Kind
from cgtui.core.ops import format_number
from cgtui.lang.source import parse_assignments, parse_names
from cgtui.lang.yamlio import write_text_atomic
from cgtui.teach.formats import to_yaml

#: --check against PyTorch or JAX (float64) passes when every number agrees to this, relative.
TOLERANCE = 1e-9


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.description = (
        "Import a graph: trace a PyTorch function or nn.Module with torch.fx, or a JAX function "
        "with jax.make_jaxpr (both RUN the Python file given: import only code you trust), or "
        "read a small ONNX model."
    )
    p.add_argument("framework", choices=["torch", "jax", "onnx"], help="the framework to import from")
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
    p.add_argument(
        "--param", action="append", default=[], metavar="NAMES", help="leaves that are params: w,b"
    )
    p.add_argument("--label", action="append", default=[], metavar="NAMES", help="leaves that are labels: y")
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
    elif args.framework == "jax":
        jax_imported = jax_jaxpr.trace(jax_jaxpr.load_function(args.target), example)
        graph = jax_imported.graph
        what = f"{args.target}, traced by jax.make_jaxpr"
    else:
        onnx_imported = onnx_import.convert(onnx_import.load_model(args.target), example)
        graph = onnx_imported.graph
        what = f"{Path(args.target).name}, an ONNX model"
    graph.title = graph.title or what
    for names, kind in ((args.param, Kind.PARAM), (args.label, Kind.LABEL)):
        for name in parse_names(names):
            if name not in graph.index or graph.node(name).op is not None:
                raise CgtuiError(f"'{name}' is not a leaf of the imported graph")
            graph.set_kind(name, kind)
    values: Sequence[_Compared] = []
    grads: Sequence[_Compared] = []
    tolerance = TOLERANCE
    if args.check:
        if args.framework == "torch":
            values, grads = torch_fx.check(imported, example)
        elif args.framework == "jax":
            values, grads = jax_jaxpr.check(jax_imported, example)
        else:
            values, tolerance = onnx_import.check(onnx_imported), onnx_import.tolerance(onnx_imported)
    graph.extra["imported"] = provenance(args.framework, args.target, values, grads, tolerance, args.check)
    text = to_yaml(graph)
    if args.output_file and args.output_file != "-":
        write_text_atomic(Path(args.output_file), text, overwrite=args.force)
        print(f"wrote {args.output_file}: {len(graph.nodes)} nodes from {args.target}")
    elif not args.check:
        print(text, end="")
    if not args.check:
        return EXIT_OK
    if args.framework == "onnx":
        print("ONNX computes no gradients: the values of every node are compared")
    return report(graph, values, grads, PEERS[args.framework], tolerance)


#: How each framework is named beside cgtui's numbers.
PEERS = {"torch": "pytorch", "jax": "jax", "onnx": "onnx"}


def provenance(
    framework: str,
    target: str,
    values: Sequence[_Compared],
    grads: Sequence[_Compared],
    tolerance: float,
    checked: bool,
) -> dict[str, object]:
    """The graph file's ``imported:`` section: where the graph came from and, after
    ``--check``, what the framework computed for each node (the explorer's side pane shows
    it beside cgtui's number without running anything)."""
    section: dict[str, object] = {"framework": PEERS[framework], "source": target}
    if checked:
        section["tolerance"] = tolerance
        section["values"] = {c.name: c.theirs for c in values}
        if grads:
            section["gradients"] = {c.name: c.theirs for c in grads}
    return section


class _Compared(Protocol):
    """One number cgtui and the framework both computed (each bridge's check rows)."""

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
