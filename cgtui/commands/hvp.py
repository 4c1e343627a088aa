"""``cgtui hvp SOURCE --at ... --vector x=1,y=0``: the Hessian times a vector, by forward
mode over the backward graph (one pass carrying tangents along the vector; the Hessian is
never formed). ``--json``::

    {"output": "f", "value": 15, "vector": {"x": 1, "y": 0},
     "gradient": {"x": 8, "y": 3}, "hvp": {"x": 2, "y": 1}}
"""

from __future__ import annotations

import argparse
import json

from cgtui.commands.common import add_source_arguments, load, scalar_graphs_only
from cgtui.core.errors import CgtuiError
from cgtui.core.notation import format_number
from cgtui.engine.backward_graph import hvp
from cgtui.lang.source import parse_assignments


def add_arguments(p: argparse.ArgumentParser) -> None:
    add_source_arguments(p)
    p.add_argument(
        "--vector", action="append", default=[], metavar="NAME=VALUE", help="v: x=1,y=0 (others 0)"
    )
    p.add_argument("--output", metavar="NAME", help="the output L to differentiate (default: the first)")
    p.add_argument("--json", action="store_true", help="print JSON (full precision)")


def run(args: argparse.Namespace) -> int:
    graph, output = load(args)
    scalar_graphs_only(graph, "hvp")
    vector = parse_assignments(args.vector)
    if not vector:
        raise CgtuiError("no vector given: choose one with --vector, e.g. --vector x=1")
    r = hvp(graph, vector, output=output)
    full = {name: vector.get(name, 0.0) for name in r.leaves}
    if args.json:
        doc = {
            "output": r.output,
            "value": r.value,
            "vector": full,
            "gradient": dict(zip(r.leaves, r.gradient, strict=True)),
            "hvp": dict(zip(r.leaves, r.product, strict=True)),
        }
        print(json.dumps(doc, indent=2))
        return 0
    L = r.output
    print(f"{L} = {format_number(r.value)}")
    print("v: " + ", ".join(f"{n} = {format_number(v)}" for n, v in full.items()))
    print("H v (forward mode over the backward graph):")
    w = max(len(n) for n in r.leaves)
    for name, value in zip(r.leaves, r.product, strict=True):
        print(f"  {name.ljust(w)}  {format_number(value)}")
    return 0
