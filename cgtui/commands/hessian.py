"""``cgtui hessian SOURCE --at x=3,y=2``: second derivatives, by differentiating the
backward graph (one reverse pass over it per leaf). ``--json``::

    {"output": "f", "value": 15, "leaves": ["x", "y"], "gradient": [8, 3],
     "hessian": [[2, 1], [1, 0]]}

Second derivatives at a kink (``relu``, ``abs`` at 0) are 0, as their first derivatives
``step`` and ``sign`` are flat.

On a tensor graph the Hessian is by entries: every entry of every leaf that is not a
constant is a row and a column (``W1[0,1]``, ``b1[2]``, ``c``), in C order, and each
column ``H e_k`` is one reverse pass over the backward graph (:func:`cgtui.engine.backward_graph.hessian`).
The size cap counts entries, not leaves; past it, ``cgtui hvp`` gives ``H v`` in one pass.
"""

from __future__ import annotations

import argparse
import json

from cgtui.commands.common import add_source_arguments, load
from cgtui.commands.jacobian import matrix_lines
from cgtui.core.errors import CgtuiError
from cgtui.core.graph import Graph, Kind
from cgtui.core.lazy import np
from cgtui.core.notation import format_number
from cgtui.engine.backward_graph import Hessian, hessian
from cgtui.engine.engine import differentiable_leaves


def add_arguments(p: argparse.ArgumentParser) -> None:
    add_source_arguments(p)
    p.add_argument("--output", metavar="NAME", help="the output L to differentiate (default: the first)")
    p.add_argument("--json", action="store_true", help="print JSON (full precision)")


#: N leaves take N reverse passes over the backward graph (a few times the graph) and
#: print N² numbers: 100,000 params would be 10^10 of them. Past these, refused.
MAX_LEAVES = 1_000
MAX_WORK = 5_000_000  # leaves x graph nodes


def _entries(value: object) -> int:
    return int(value.size) if isinstance(value, np.ndarray) else 1


def check_size(graph: Graph, output: int) -> None:
    """Refuse a Hessian whose passes or table would not finish in reasonable time."""
    found = differentiable_leaves(graph)
    leaves = sum(_entries(graph.nodes[i].value) for i in found)
    nodes = output + 1
    if leaves > MAX_LEAVES or leaves * nodes > MAX_WORK:
        what, one = ("entries of leaves", "entry") if graph.has_arrays else ("leaves", "leaf")
        raise CgtuiError(
            f"a Hessian by {leaves:,} {what} is {leaves:,} x {leaves:,} numbers, one reverse pass per "
            f"{one} over the backward graph of {nodes:,} nodes: "
            f"more than cgtui computes (at most {MAX_LEAVES:,} leaves and {MAX_WORK:,} leaves x nodes, "
            "counting each entry of an array leaf as a leaf); use 'cgtui hvp' for the Hessian "
            "times a vector (one pass), or make leaves constants with --const"
        )


def run(args: argparse.Namespace) -> int:
    graph, output = load(args)
    check_size(graph, output)
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
    for line in newton_lines(graph, h):
        print(line)
    return 0


def newton_lines(graph: Graph, h: Hessian) -> list[str]:
    """With one param: Newton's update w - g/h beside gradient descent's w - lr*g (the
    learning rate from the file's training section)."""
    params = [n for n in graph.nodes if n.kind is Kind.PARAM]
    if len(params) != 1 or isinstance(params[0].value, np.ndarray):
        return []
    w = params[0]
    k = h.leaves.index(w.name)
    g, curvature = h.gradient[k], h.matrix[k][k]
    value = float(w.value) if w.value is not None else 0.0
    lines = [""]
    v, gt, ht = format_number(value), format_number(g), format_number(curvature)
    if curvature > 0:
        newton = format_number(value - g / curvature)
        lines.append(f"Newton step: {w.name} - g/h = {v} - ({gt})/{ht} = {newton}")
    else:
        lines.append(
            f"Newton step: h = {format_number(curvature)} is not positive, so w - g/h would not go downhill"
        )
    training = graph.extra.get("training")
    lr = training.get("lr") if isinstance(training, dict) else None
    if isinstance(lr, (int, float)) and not isinstance(lr, bool):
        lr_text, descent = format_number(lr), format_number(value - lr * g)
        lines.append(f"gradient descent: {w.name} - lr*g = {v} - {lr_text}*({gt}) = {descent}")
    return lines
