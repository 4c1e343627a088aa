"""Drawing the graph: how long a layout takes, and that big graphs stay bounded.

    python benchmarks/bench_draw.py [--repeat N]

* full layout + render of worked example 1, the 30-level diamond ladder
  ``a_{k+1} = tanh(a_k*a_k + a_k)`` (91 nodes, 150 edges) and a 500-node random DAG
  (operands drawn from the 20 nodes before), top-down and left-to-right;
* the neighbourhood mode (the explorer's view above a few hundred nodes) on a 5,000-node
  random DAG, centred on the output and on a node in the middle, k = 2 and 3: scene,
  layout and render together. The aim is well under a second each (the explorer lays
  out in a worker thread anyway, so it never freezes).

Every drawing is checked for lines that meet other than by crossing straight (clashes)
before it is timed. Prints the best of ``--repeat`` runs in milliseconds, and the ratio
of the full 5,000-node graph's size to the neighbourhood's, which is what the bound buys.
"""

from __future__ import annotations

import argparse
import platform
import random
import sys
import time
from collections.abc import Callable
from functools import partial
from typing import Any

from cgtui.core.graph import Graph, Kind, Node
from cgtui.draw import LEFT_RIGHT, TOP_DOWN, Drawing, full_scene, neighbourhood_scene
from cgtui.lang.build import from_expression

AIM_SECONDS = 1.0


def best_of(repeat: int, fn: Callable[[], Any]) -> tuple[float, Any]:
    best = float("inf")
    result = None
    for _ in range(repeat):
        t0 = time.perf_counter()
        result = fn()
        best = min(best, time.perf_counter() - t0)
    return best, result


def ladder(levels: int) -> Graph:
    lines = [f"a{k + 1} = tanh(a{k}*a{k} + a{k})" for k in range(levels)]
    return from_expression("\n".join(lines), values={"a0": 0.5})


def random_dag(n: int, seed: int, back: int) -> Graph:
    """Every tenth node or so a leaf, the rest add/mul of two nodes among the `back`
    before (so the leaves are used and the graph is one piece, with long edges too)."""
    rng = random.Random(seed)
    nodes: list[Node] = []
    for i in range(n):
        if i < 2 or rng.random() < 0.1:
            nodes.append(Node(f"n{i}", Kind.INPUT, value=1.0))
            continue
        lo = max(0, i - back)
        a, b = rng.randrange(lo, i), rng.randrange(lo, i)
        nodes.append(Node(f"n{i}", Kind.COMPUTATION, rng.choice(["add", "mul"]), (a, b)))
    return Graph(nodes, [n - 1])


def full(graph: Graph, orientation: str) -> Any:
    drawing = Drawing.build(graph, orientation, scene=full_scene(graph))
    picture = drawing.picture()
    if picture.clashes:
        sys.exit(f"FAIL: {picture.clashes} clashing cells in the drawing")
    return drawing


def around(graph: Graph, centre: int, k: int) -> Any:
    scene = neighbourhood_scene(graph, centre, k)
    drawing = Drawing.build(graph, TOP_DOWN, scene=scene)
    picture = drawing.picture()
    if picture.clashes:
        sys.exit(f"FAIL: {picture.clashes} clashing cells in the drawing")
    return drawing


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--repeat", type=int, default=3)
    args = ap.parse_args()
    print(f"python {platform.python_version()} on {platform.machine()}, best of {args.repeat}")
    print()
    print("full layout + render               nodes  edges   boxes  grid (rows x cols)       ms")
    cases = [
        ("worked example 1", from_expression("L = (w*x + b - y)^2")),
        ("diamond ladder, 30 levels", ladder(30)),
        ("random DAG, 500 nodes", random_dag(500, 1, 20)),
    ]
    for name, graph in cases:
        for orientation in (TOP_DOWN, LEFT_RIGHT):
            seconds, drawing = best_of(args.repeat, partial(full, graph, orientation))
            lay = drawing.layout
            print(
                f"{name + ' ' + orientation:34} {len(graph):5} {graph.edge_count():6} "
                f"{len(drawing.scene.items):7}  {lay.rows:6} x {lay.cols:<6}  {seconds * 1000:12.1f}"
            )
    print()
    big = random_dag(5000, 2, 20)
    print(f"neighbourhood mode, random DAG of {len(big)} nodes, {big.edge_count()} edges")
    print("centre              k   boxes  edges        ms   graph/boxes")
    worst = 0.0
    for label, centre in (("output", big.outputs[0]), ("middle node", 2500)):
        for k in (2, 3):
            seconds, drawing = best_of(args.repeat, partial(around, big, centre, k))
            worst = max(worst, seconds)
            items = len(drawing.scene.items)
            print(
                f"{label:18} {k:2} {items:7} {len(drawing.scene.edges):6} {seconds * 1000:9.1f}"
                f"   {len(big) / items:8.1f}x"
            )
    verdict = "ok" if worst < AIM_SECONDS else "TOO SLOW"
    print()
    print(f"slowest neighbourhood: {worst * 1000:.0f} ms (aim < {AIM_SECONDS * 1000:.0f} ms): {verdict}")
    return 0 if worst < AIM_SECONDS else 1


if __name__ == "__main__":
    sys.exit(main())
