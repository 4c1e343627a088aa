"""``cgtui hessian SOURCE --at x=3,y=2``: second derivatives, by differentiating the
backward graph (one reverse pass over it per leaf). ``--json``::

    {"output": "f", "value": 15, "leaves": ["x", "y"], "gradient": [8, 3],
     "hessian": [[2, 1], [1, 0]]}

Second derivatives at a kink (``relu``, ``abs`` at 0) are 0, as their first derivatives
``step`` and ``sign`` are flat.
"""

from __future__ import annotations

import argparse
import json

from cgtui.commands.common import add_source_arguments, load
from cgtui.commands.jacobian import matrix_lines
from cgtui.core.ops import format_number
from cgtui.engine.backward_graph import hessian


def add_arguments(p: argparse.ArgumentParser) -> None:
    add_source_arguments(p)
    p.add_argument("--output", metavar="NAME", help="the output L to differentiate (default: the first)")
    p.add_argument("--json", action="store_true", help="print JSON (full precision)")


def run(args: argparse.Namespace) -> int:
    graph, output = load(args)
    h = hessian(graph, output=output)
    if args.json:
        doc = {
            "output": h.output,
            "value": h.value,
            "leaves": h.leaves,
            "gradient": h.gradient,
            "hessian": h.matrix,
        }
        print(json.dumps(doc, indent=2))
        return 0
    L = h.output
    print(f"{L} = {format_number(h.value)}")
    print(
        "gradient: "
        + ", ".join(f"d{L}/d{n} = {format_number(g)}" for n, g in zip(h.leaves, h.gradient, strict=True))
    )
    print(f"Hessian d2{L}/(d row d column), {h.passes} reverse passes over the backward graph:")
    for line in matrix_lines(h.leaves, h.leaves, h.matrix):
        print(line)
    return 0
