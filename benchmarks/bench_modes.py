"""Forward mode against reverse mode, and the Hessian through the backward graph.

    python benchmarks/bench_modes.py [--repeat N] [--passes K] [--full]

1. One output, many inputs: the MLP of ``bench_engine.py`` (MLP(16, [32, 32, 1]), squared
   error over 8 samples, about 31,000 nodes, n leaves). The full gradient by reverse mode
   is one forward and one backward pass; by forward mode it is n tangent passes (one per
   leaf). Forward mode's time is measured over ``--passes`` K of the n passes (default
   20) and scaled to n, unless ``--full`` runs all n (minutes). The ratio printed is about
   n: the reason a loss is differentiated backward. A few forward-mode columns are checked
   against the reverse-mode gradient.
2. Many outputs, few inputs (the shape of ``samples/forward_wins.yaml``): a pendulum
   simulated for T steps from 2 starting values, with the angle at every step an output
   (m = T). The whole Jacobian by forward mode is 2 passes, by reverse mode m; the ratio
   printed is the other way round.
3. The Hessian of a graph with n = 20 leaves through the backward graph (build the
   backward graph, then one reverse pass over it per leaf); the target is well under a
   second. Also the Hessian-vector product by forward mode over the backward graph.

Times are the best of ``--repeat`` runs (default 3), in milliseconds.
"""

from __future__ import annotations

import argparse
import datetime
import os
import platform
import random
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_engine import best_of, mlp_data, mlp_text, mlp_values, ms

from cgtui.core.graph import Kind
from cgtui.engine.backward_graph import backward_graph, hessian, hvp
from cgtui.engine.engine import backward, differentiable_leaves, forward, leaf_values
from cgtui.engine.forward import tangents
from cgtui.engine.jacobian import jacobian, pass_counts
from cgtui.lang import yamlio
from cgtui.lang.build import from_expression


def bench_mlp(repeat: int, passes: int, full: bool) -> None:
    weights, biases, xs, ys = mlp_data()
    values, params, labels = mlp_values(weights, biases, xs, ys)
    g = from_expression(mlp_text(weights), params=params, labels=labels, values=values)
    leaves = differentiable_leaves(g)
    n = len(leaves)
    out = g.outputs[0]
    shape = f"{len(g.nodes):,} nodes, n = {n:,} leaves, m = 1 output"
    print(f"1. MLP(16, [32, 32, 1]) loss over 8 samples: {shape}")

    def reverse_run() -> list[float | None]:
        vals = forward(g, leaf_values(g))
        return backward(g, vals, out)

    t_rev, partials = best_of(repeat, reverse_run)
    vals = forward(g, leaf_values(g))
    k = n if full else min(passes, n)
    chosen = leaves if full else random.Random(0).sample(leaves, k)

    def forward_run() -> list[float]:
        column: list[float] = []
        for leaf in chosen:
            seeds: list[float | None] = [0.0 if j in leaves_set else None for j in range(len(g.nodes))]
            seeds[leaf] = 1.0
            t = tangents(g, vals, seeds)[out]
            column.append(0.0 if t is None else float(t))
        return column

    leaves_set = set(leaves)
    t_val, _ = best_of(repeat, lambda: forward(g, leaf_values(g)))
    t_k, column = best_of(repeat if not full else 1, forward_run)
    for leaf, got in zip(chosen, column, strict=True):
        want = partials[leaf] or 0.0
        assert abs(got - want) <= 1e-9 * max(1.0, abs(want)), (g.nodes[leaf].name, got, want)
    t_fwd = t_val + t_k * n / k
    scaled = "" if full else f" (measured {k} passes, {ms(t_k / k).strip()} each, scaled to n = {n:,})"
    print(f"   reverse mode, 1 pass (forward + backward)      {ms(t_rev)}")
    print(f"   forward mode, n = {n:,} tangent passes          {ms(t_fwd)}{scaled}")
    print(f"   forward / reverse = {t_fwd / t_rev:,.0f} (n = {n:,}); the columns checked agree with backprop")


def pendulum(steps: int) -> str:
    """``samples/forward_wins.yaml`` with ``steps`` steps and every angle an output."""
    lines = [
        "title: Pendulum",
        "description: a pendulum simulated step by step",
        "inputs: {theta0: 1.0, omega0: 0.0}",
        "constants: {h: 0.1}",
        "steps:",
    ]
    for k in range(steps):
        lines += [
            f"  s{k}: sin(theta{k})",
            f"  hs{k}: h * s{k}",
            f"  omega{k + 1}: omega{k} - hs{k}",
            f"  hw{k + 1}: h * omega{k + 1}",
            f"  theta{k + 1}: theta{k} + hw{k + 1}",
        ]
    lines.append("output: [" + ", ".join(f"theta{k + 1}" for k in range(steps)) + "]")
    return "\n".join(lines) + "\n"


def bench_many_outputs(repeat: int, steps: int) -> None:
    g = yamlio.loads(pendulum(steps))
    counts = pass_counts(g)
    print(
        f"2. pendulum, {steps} steps: {len(g.nodes):,} nodes, n = {counts.leaves} leaves, "
        f"m = {counts.outputs} outputs (the angle after every step)"
    )
    t_f, jf = best_of(repeat, lambda: jacobian(g, mode="forward"))
    t_r, jr = best_of(repeat, lambda: jacobian(g, mode="reverse"))
    worst = max(
        abs(a - b) / max(1e-300, abs(a), abs(b))
        for rf, rr in zip(jf.matrix, jr.matrix, strict=True)
        for a, b in zip(rf, rr, strict=True)
    )
    print(f"   forward mode, {jf.passes} passes ({jf.multiplications:,} multiplications)   {ms(t_f)}")
    print(f"   reverse mode, {jr.passes} passes ({jr.multiplications:,} multiplications) {ms(t_r)}")
    print(f"   reverse / forward = {t_r / t_f:,.0f}; largest relative difference {worst:.1e}")


def twenty_leaves() -> str:
    """A smooth loss of 20 leaves, every pair coupled through a chain of tanh layers."""
    n = 20
    lines = [f"h0 = {' + '.join(f'x{i}' for i in range(n))}"]
    terms = [f"tanh(x{i} * x{(i + 1) % n} + h0 / {i + 1})" for i in range(n)]
    lines.append("h1 = " + " + ".join(terms))
    lines.append(f"L = log(1 + h1^2) + sigmoid(h1 * x0) + {' + '.join(f'x{i}^2' for i in range(n))}")
    return "\n".join(lines)


def bench_hessian(repeat: int) -> None:
    g = from_expression(twenty_leaves(), values={f"x{i}": 0.05 * (i - 10) for i in range(20)})
    n = sum(1 for node in g.nodes if node.op is None and node.kind is not Kind.CONST)
    bg = backward_graph(g).graph
    print(f"3. Hessian: {len(g.nodes)} nodes, n = {n} leaves; the backward graph has {len(bg.nodes)} nodes")
    t_build, _ = best_of(repeat, lambda: backward_graph(g))
    t_h, h = best_of(repeat, lambda: hessian(g))
    v = {f"x{i}": 1.0 for i in range(20)}
    t_v, prod = best_of(repeat, lambda: hvp(g, v))
    for k in range(n):
        expected = sum(h.matrix[k])
        assert abs(prod.product[k] - expected) <= 1e-9 * max(1.0, abs(expected))
    verdict = "met" if t_h < 1 else "NOT met"
    print(f"   build the backward graph                       {ms(t_build)}")
    print(f"   Hessian, {n} reverse passes over it            {ms(t_h)}   (target < 1000 ms: {verdict})")
    print(f"   Hessian-vector product, 1 forward-mode pass    {ms(t_v)}   (agrees with H @ v)")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--repeat", type=int, default=3, help="runs per measurement (the best counts)")
    ap.add_argument("--passes", type=int, default=20, help="forward-mode passes measured in 1 (default 20)")
    ap.add_argument("--full", action="store_true", help="run all n forward-mode passes in 1 (minutes)")
    ap.add_argument("--steps", type=int, default=200, help="pendulum steps (outputs) in 2 (default 200)")
    args = ap.parse_args()
    print(
        f"cgtui modes benchmark, {datetime.date.today().isoformat()}, Python {platform.python_version()}, "
        f"{platform.machine()}, {os.cpu_count()} cores"
    )
    bench_mlp(args.repeat, args.passes, args.full)
    bench_many_outputs(args.repeat, args.steps)
    bench_hessian(args.repeat)


if __name__ == "__main__":
    main()
