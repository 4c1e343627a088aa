"""The diamond ladder: enumerating paths against backprop, counted and timed.

    python benchmarks/bench_ladder.py [--levels N] [--timed N]

The ladder is worked example 4, ``a_{k+1} = tanh(a_k*a_k + a_k)`` from the leaf ``a0``.
For each depth up to ``--levels`` (default 30) the script prints, from
:mod:`cgtui.teach.efficiency`: the number of paths from a0 to the top, the multiplications
needed to enumerate them against backprop's (one per edge), and the node count of the
fully expanded symbolic derivative against the graph's.

For depths up to ``--timed`` (default 10; 3^10 = 59,049 paths) it also measures both ways
of getting da_n/da0: walking every path with an explicit stack and multiplying its local
derivatives, against one ``engine.backward`` pass. It checks that they agree and prints
the best of three times and the ratio path-walk / backprop.
"""

from __future__ import annotations

import argparse
import time

from cgtui.core.graph import Graph
from cgtui.engine.engine import backward, forward, leaf_values, local_derivative
from cgtui.lang.build import from_expression
from cgtui.teach.efficiency import format_count, node_efficiency


def ladder(levels: int, a0: float = -0.3) -> Graph:
    text = "\n".join(f"a{k + 1} = tanh(a{k}*a{k} + a{k})" for k in range(levels))
    return from_expression(text, values={"a0": a0})


def by_paths(graph: Graph, values: list[float]) -> float:
    """The sum over every path of the product of local derivatives, one path at a time."""
    out = graph.outputs[0]
    succ = graph.successor_lists()
    local = {
        (s, slot): float(local_derivative(graph, s, slot, values)[0])  # type: ignore[arg-type]
        for p, s, slot in graph.edges()
    }
    total = 0.0
    todo: list[tuple[int, float]] = [(0, 1.0)]
    while todo:
        i, product = todo.pop()
        if i == out:
            total += product
            continue
        for s, slot in succ[i]:
            todo.append((s, product * local[(s, slot)]))
    return total


def best_of(fn, repeat: int = 3) -> tuple[float, float]:  # type: ignore[no-untyped-def]
    best = float("inf")
    result = 0.0
    for _ in range(repeat):
        t = time.perf_counter()
        result = fn()
        best = min(best, time.perf_counter() - t)
    return best, result


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--levels", type=int, default=30)
    ap.add_argument("--timed", type=int, default=10)
    args = ap.parse_args()

    print(f"{'levels':>6} {'paths':>24} {'enumeration mults':>28} {'backprop':>9} {'ratio':>10} "
          f"{'expanded d/da0 nodes':>28} {'graph':>6}")
    for n in (*range(1, min(args.levels, 10) + 1), *range(15, args.levels + 1, 5)):
        e = node_efficiency(ladder(n), "a0")
        print(
            f"{n:>6} {format_count(e.paths):>24} {format_count(e.enumeration_multiplications):>28} "
            f"{e.backprop_multiplications:>9} {e.multiplication_ratio:>10.3g} "
            f"{format_count(e.derivative_size):>28} {e.subgraph_nodes:>6}"
        )

    print()
    print(f"{'levels':>6} {'paths':>10} {'path walk ms':>13} {'backprop ms':>12} {'ratio':>10}")
    for n in range(2, args.timed + 1, 2):
        g = ladder(n)
        values = forward(g, leaf_values(g))
        t_paths, total = best_of(lambda g=g, values=values: by_paths(g, values))
        t_back, grad = best_of(lambda g=g, values=values: backward(g, values, g.outputs[0])[0])
        assert abs(total - grad) <= 1e-9 * max(1.0, abs(grad)), (n, total, grad)
        print(f"{n:>6} {3**n:>10,} {t_paths * 1e3:>13.3f} {t_back * 1e3:>12.3f} {t_paths / t_back:>10.1f}")


if __name__ == "__main__":
    main()
