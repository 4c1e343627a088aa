"""The chain rule as a sum over paths: exact counts, the top K paths, totals, costs."""

from __future__ import annotations

import itertools
import math

import pytest

from cgtui.core.graph import Graph
from cgtui.engine.engine import backward, forward, gradients, leaf_values, local_derivative
from cgtui.engine.paths import costs, count_paths, path_counts_to, path_sum, top_paths
from cgtui.lang.build import from_expression


def ladder(levels: int, a0: float = 0.3) -> Graph:
    lines = [f"a{k + 1} = tanh(a{k}*a{k} + a{k})" for k in range(levels)]
    return from_expression("\n".join(lines), values={"a0": a0})


def all_paths(g: Graph, source: int, output: int) -> list[list[tuple[int, int]]]:
    """Brute force: every path as its edges (result, slot)."""
    found: list[list[tuple[int, int]]] = []
    stack: list[tuple[int, list[tuple[int, int]]]] = [(source, [])]
    while stack:
        node, edges = stack.pop()
        if node == output:
            found.append(edges)
            continue
        for s, slot in g.successors(node):
            stack.append((s, [*edges, (s, slot)]))
    return found


def test_branching_example() -> None:
    g = from_expression("s = x + y\nf = s * x", values={"x": 3.0, "y": 2.0})
    vals = forward(g, leaf_values(g))
    x, y, f = g.index["x"], g.index["y"], g.index["f"]
    assert count_paths(g, x, f) == 2 and count_paths(g, y, f) == 1
    report = top_paths(g, vals, x, f, k=5)
    assert report.count == 2 and report.rest_count == 0
    assert [[g.nodes[i].name for i in p.nodes] for p in report.paths] == [["x", "f"], ["x", "s", "f"]]
    assert [p.product for p in report.paths] == [5.0, 3.0]
    assert [p.factors for p in report.paths] == [[5.0], [1.0, 3.0]]
    assert report.total == 8.0 == backward(g, vals, f)[x]


def test_counts_are_exact_for_huge_numbers() -> None:
    g = ladder(200)
    a0, out = g.index["a0"], g.outputs[0]
    assert count_paths(g, a0, out) == 3**200
    assert path_counts_to(g, out)[a0] == 3**200
    assert path_counts_to(g, out)[g.index["a199"]] == 3
    cost = costs(g, a0, out)
    assert cost.paths == 3**200
    assert cost.backprop_edges == 1000
    # one product of 1000 factors per path: 999 multiplications each, at least
    assert cost.enumeration_multiplications >= 3**200 * 399


def test_costs_against_brute_force() -> None:
    g = ladder(3)
    a0, out = g.index["a0"], g.outputs[0]
    paths = all_paths(g, a0, out)
    assert len(paths) == 27
    cost = costs(g, a0, out)
    assert cost.paths == 27
    assert cost.enumeration_multiplications == sum(len(p) - 1 for p in paths)
    assert cost.enumeration_additions == 26
    assert cost.backprop_edges == cost.backprop_multiplications == 15
    chain = from_expression("sin(" * 10 + "x" + ")" * 10)
    c = costs(chain, chain.index["x"], chain.outputs[0])
    assert (c.paths, c.enumeration_multiplications, c.backprop_multiplications) == (1, 9, 10)


@pytest.mark.parametrize("k", [1, 3, 10, 100])
def test_top_paths_are_the_largest_by_brute_force(k: int) -> None:
    g = ladder(4, a0=0.7)
    vals = forward(g, leaf_values(g))
    a0, out = g.index["a0"], g.outputs[0]
    products = []
    for path in all_paths(g, a0, out):
        product = 1.0
        for result, slot in path:
            d, _ = local_derivative(g, result, slot, vals)
            assert d is not None
            product *= d
        products.append(product)
    expected = sorted((abs(p) for p in products), reverse=True)[:k]
    report = top_paths(g, vals, a0, out, k=k)
    assert [abs(p.product) for p in report.paths] == pytest.approx(expected, rel=1e-12)
    assert report.count == 81 and report.rest_count == 81 - min(k, 81)
    assert report.total == pytest.approx(math.fsum(products), rel=1e-12)
    assert report.total == pytest.approx(gradients(g).partials[a0], rel=1e-12)
    listed = sum(p.product for p in report.paths)
    assert report.rest_sum == pytest.approx(report.total - listed, abs=1e-12)
    for p in report.paths:  # each listed path is a real path with its own factors
        assert len(p.nodes) == len(p.slots) + 1 == len(p.factors) + 1
        for (a, b), slot in zip(itertools.pairwise(p.nodes), p.slots, strict=True):
            assert g.nodes[b].operands[slot] == a
        assert math.prod(p.factors) == pytest.approx(p.product, rel=1e-12)


def test_no_path_and_the_output_itself() -> None:
    g = from_expression("a = x * 2\nb = y + 1\nL = a * a", values={"x": 1.0, "y": 1.0})
    vals = forward(g, leaf_values(g))
    y, out = g.index["y"], g.outputs[0]
    assert count_paths(g, y, out) == 0
    report = top_paths(g, vals, y, out)
    assert report.count == 0 and report.paths == [] and report.total == 0.0
    assert costs(g, y, out).paths == 0
    itself = top_paths(g, vals, out, out)
    assert itself.count == 1 and itself.total == 1.0
    x = g.index["x"]
    assert count_paths(g, x, out) == 2  # a*a: two edges from a
    assert path_sum(g, vals, x, out) == gradients(g).partials[x] == 8.0


def test_large_ladder_top_paths_is_quick_and_consistent() -> None:
    g = ladder(300)
    vals = forward(g, leaf_values(g))
    a0, out = g.index["a0"], g.outputs[0]
    report = top_paths(g, vals, a0, out, k=5)
    assert report.count == 3**300
    assert len(report.paths) == 5
    assert report.total == pytest.approx(backward(g, vals, out)[a0], rel=1e-9, abs=1e-300)
