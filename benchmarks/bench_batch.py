"""One forward+backward pass over a dataset: vectorised over the rows vs a loop over rows.

    python benchmarks/bench_batch.py [--rows N] [--repeat N]

The graph is worked example 3, the two-feature linear regression
``L = (w1*x1 + w2*x2 + b - y)^2`` with params w1, w2, b, inputs x1, x2 and label y, over
a dataset of ``--rows`` rows (default 10,000; the mean of the per-row losses).

* vectorised: :meth:`cgtui.learn.train.Problem.evaluate`, one pass of
  ``engine.forward`` + ``engine.backward`` in which x1, x2 and y are numpy columns;
* row loop: :meth:`cgtui.learn.train.Problem.evaluate_rows`, the same engine passes on
  one row of floats at a time, summed in Python.

The script checks that both give the same loss and gradients, then prints the best of
``--repeat`` times of each (milliseconds) and the ratio loop / vectorised (the aim is 100
or more at 10,000 rows).
"""

from __future__ import annotations

import argparse
import gc
import os
import platform
import sys
import time
from collections.abc import Callable
from typing import Any

import numpy as np

from cgtui.lang.build import from_expression
from cgtui.learn.dataset import rows_to_dataset
from cgtui.learn.train import BatchResult, Problem

GRAPH = "L = (w1*x1 + w2*x2 + b - y)^2"


def best_of(repeat: int, fn: Callable[[], Any]) -> tuple[float, Any]:
    best = float("inf")
    result: Any = None
    for _ in range(repeat):
        gc.collect()
        start = time.perf_counter()
        result = fn()
        best = min(best, time.perf_counter() - start)
    return best, result


def problem(rows: int, seed: int = 0) -> Problem:
    graph = from_expression(
        GRAPH, params={"w1", "w2", "b"}, labels={"y"}, values={"w1": 1.0, "w2": -1.0, "b": 0.25}
    )
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(rows, 2))
    y = 2 * x[:, 0] - x[:, 1] + 0.5 + rng.normal(0, 0.1, rows)
    data = [{"x1": float(a), "x2": float(b), "y": float(t)} for (a, b), t in zip(x, y, strict=True)]
    return Problem(graph, rows_to_dataset(data, graph))


def agree(a: BatchResult, b: BatchResult) -> bool:
    if not np.isclose(a.loss, b.loss, rtol=1e-10):
        return False
    return all(np.isclose(a.grads[k], b.grads[k], rtol=1e-9, atol=1e-12) for k in a.grads)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=10_000)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args(argv)
    if args.rows < 1 or args.repeat < 1:
        parser.error("--rows and --repeat must be at least 1")

    p = problem(args.rows)
    print(f"graph: {GRAPH}  ({len(p.graph.nodes)} nodes), {args.rows:,} rows, mean reduction")
    print(f"python {platform.python_version()}, numpy {np.__version__}, {platform.machine()}, "
          f"{os.cpu_count()} cpus")
    fast_t, fast = best_of(args.repeat, p.evaluate)
    loop_repeat = max(1, min(args.repeat, 3))
    slow_t, slow = best_of(loop_repeat, p.evaluate_rows)
    if not agree(fast, slow):
        print("MISMATCH: the vectorised pass and the row loop disagree", file=sys.stderr)
        print(f"  loss {fast.loss!r} vs {slow.loss!r}; grads {fast.grads} vs {slow.grads}", file=sys.stderr)
        return 1
    print(f"same loss ({fast.loss:.12g}) and gradients both ways: "
          + ", ".join(f"dL/d{k} = {v:.9g}" for k, v in fast.grads.items()))
    print(f"{'vectorised forward+backward':<32}{fast_t * 1e3:>12.3f} ms  (best of {args.repeat})")
    print(f"{'loop over rows':<32}{slow_t * 1e3:>12.3f} ms  (best of {loop_repeat})")
    ratio = slow_t / fast_t
    print(f"{'ratio loop / vectorised':<32}{ratio:>12.1f} x  (aim: >= 100 x)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
