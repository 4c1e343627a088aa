"""``cgtui jvp SOURCE --at x=3,y=2 --tangent x=1,y=0``: forward mode, one pass.

Each node carries its value and its tangent ``ż = Σ ∂z/∂a · ȧ`` (the op table's local
derivatives, as in reverse mode); the output's tangent is the Jacobian-vector product.
Leaves not named in ``--tangent`` have tangent 0. ``--steps`` prints the pass node by
node with every tangent rule written out. ``--json``::

    {"output": "f", "value": 15, "tangent": {"x": 1, "y": 0}, "jvp": 8}

With several outputs (and no ``--output``): ``"outputs": [...]``, and ``"value"`` and
``"jvp"`` map each output to its number.
"""

from __future__ import annotations

import argparse
import json
from typing import Any

from cgtui.commands.common import (
    add_source_arguments,
    differentiable_leaves,
    graph_from_args,
    scalar_graphs_only,
)
from cgtui.core.errors import CgtuiError
from cgtui.core.notation import format_number
from cgtui.engine.forward import JVP, TangentStepper, direction_label, jvp, tangent_name
from cgtui.lang.source import parse_assignments


def add_arguments(p: argparse.ArgumentParser) -> None:
    add_source_arguments(p)
    p.add_argument(
        "--tangent",
        action="append",
        default=[],
        metavar="NAME=VALUE",
        help="the direction: a tangent per leaf, x=1,y=0 (leaves not named: 0)",
    )
    p.add_argument("--output", metavar="NAME", help="only this output (default: every output)")
    p.add_argument(
        "--steps", action="store_true", help="print the pass node by node, each tangent rule in full"
    )
    p.add_argument("--json", action="store_true", help="print JSON (full precision)")


def run(args: argparse.Namespace) -> int:
    graph = graph_from_args(args)
    scalar_graphs_only(graph, "jvp")
    direction = parse_assignments(args.tangent)
    if not direction:
        raise CgtuiError("no direction given: choose one with --tangent, e.g. --tangent x=1")
    outputs = [graph.lookup(args.output)] if args.output else list(graph.outputs)
    result = jvp(graph, direction, outputs=outputs)
    if args.json:
        print(json.dumps(to_json(graph, result, direction, several=len(outputs) > 1), indent=2))
        return 0
    if args.steps:
        stepper = TangentStepper(graph, direction, outputs=outputs)
        for line in stepper.run().lines:
            print(line)
        print()
    label = direction_label(graph, direction)
    given = ", ".join(
        f"{graph.nodes[i].name} = {format_number(result.seeds[i] or 0.0)}" for i in _leaves(graph)
    )
    print(f"direction: {given}")
    for out in outputs:
        name = graph.nodes[out].name
        print(f"{name} = {format_number(float(result.values[out]))}")
        print(f"{tangent_name(name, label)} = {format_number(result.tangent(out))}   (the jvp)")
    return 0


def _leaves(graph: Any) -> list[int]:
    return differentiable_leaves(graph)


def to_json(graph: Any, result: JVP, direction: dict[str, float], *, several: bool) -> dict[str, Any]:
    tangent = {graph.nodes[i].name: float(result.seeds[i] or 0.0) for i in _leaves(graph)}
    if not several:
        out = result.outputs[0]
        return {
            "output": graph.nodes[out].name,
            "value": float(result.values[out]),
            "tangent": tangent,
            "jvp": result.tangent(out),
        }
    names = [graph.nodes[i].name for i in result.outputs]
    return {
        "outputs": names,
        "value": {graph.nodes[i].name: float(result.values[i]) for i in result.outputs},
        "tangent": tangent,
        "jvp": {graph.nodes[i].name: result.tangent(i) for i in result.outputs},
    }
