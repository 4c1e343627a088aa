"""``cgtui jacobian SOURCE --at ... [--mode forward|reverse]``: every output's derivative
with respect to every leaf, with the passes counted.

Forward mode fills one column per pass (n passes for n leaves), reverse mode one row per
pass (m passes for m outputs); the default is the cheaper one for the graph. ``--json``::

    {"outputs": ["u", "v"], "leaves": ["x", "y"], "jacobian": [[..], [..]],
     "mode": "forward", "passes": 2, "multiplications": 8,
     "cost": {"forward": {"passes": 2, "multiplications": 8},
              "reverse": {"passes": 3, "multiplications": 9}, "cheaper": "forward"}}

Constants are not differentiated; a leaf with no path to an output has derivative 0.

On a tensor graph the Jacobian counts entries: each entry of an array leaf is a column
(``"leaves": ["W1[0,0]", "W1[0,1]", ...]``) and each entry of an array output a row, so
``n`` is the number of input entries and ``m`` of output entries. A Jacobian of more than
a million entries is refused, naming its size (choose outputs with ``--output``).
"""

from __future__ import annotations

import argparse
import json
from collections.abc import Sequence

from cgtui.commands.common import add_source_arguments, graph_from_args
from cgtui.core.graph import Graph
from cgtui.core.notation import format_number
from cgtui.engine.jacobian import MODES, jacobian, pass_counts
from cgtui.teach.directions import cost_json, cost_lines


def add_arguments(p: argparse.ArgumentParser) -> None:
    add_source_arguments(p)
    p.add_argument("--mode", choices=MODES, help="the direction (default: the cheaper for this graph)")
    p.add_argument(
        "--output", action="append", default=[], metavar="NAME", help="only these outputs (repeatable)"
    )
    p.add_argument("--json", action="store_true", help="print JSON (full precision)")


def matrix_lines(rows: Sequence[str], cols: Sequence[str], matrix: Sequence[Sequence[float]]) -> list[str]:
    """A labelled table of numbers."""
    cells = [[format_number(x) for x in row] for row in matrix]
    widths = [max([len(c), *(len(r[k]) for r in cells)]) for k, c in enumerate(cols)]
    w0 = max((len(r) for r in rows), default=0)
    head = " " * w0 + "   " + "  ".join(c.rjust(w) for c, w in zip(cols, widths, strict=True))
    body = [
        r.ljust(w0) + "   " + "  ".join(x.rjust(w) for x, w in zip(row, widths, strict=True))
        for r, row in zip(rows, cells, strict=True)
    ]
    return [head, *body]


def run(args: argparse.Namespace) -> int:
    graph: Graph = graph_from_args(args)
    outputs = [graph.lookup(name) for name in args.output] if args.output else list(graph.outputs)
    counts = pass_counts(graph, outputs)
    mode = args.mode or ("forward" if counts.cheaper == "forward" else "reverse")
    jac = jacobian(graph, outputs=outputs, mode=mode)
    out_names, leaf_names = jac.output_names, jac.leaf_names
    if args.json:
        doc = {
            "outputs": out_names,
            "leaves": leaf_names,
            "jacobian": jac.matrix,
            "mode": jac.mode,
            "passes": jac.passes,
            "multiplications": jac.multiplications,
            "cost": cost_json(counts),
        }
        print(json.dumps(doc, indent=2))
        return 0
    print(
        f"Jacobian d(output)/d(leaf) by {jac.mode} mode: {jac.passes} pass{'' if jac.passes == 1 else 'es'}"
    )
    for line in matrix_lines(out_names, leaf_names, jac.matrix):
        print(line)
    print()
    for line in cost_lines(counts):
        print(line)
    return 0
