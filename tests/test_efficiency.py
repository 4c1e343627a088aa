"""Paths versus backprop, and the size of the expanded symbolic derivative."""

from __future__ import annotations

import itertools

import pytest

from cgtui.core.graph import Graph
from cgtui.engine.engine import forward, gradients, leaf_values
from cgtui.lang.build import from_expression
from cgtui.teach.efficiency import (
    derivative_sizes,
    expanded_derivative,
    format_count,
    graph_efficiency,
    graph_report,
    node_efficiency,
    node_report,
    sympy_sizes,
    tree_sizes,
)


def ladder(levels: int) -> Graph:
    text = "\n".join(f"a{k + 1} = tanh(a{k}*a{k} + a{k})" for k in range(levels))
    return from_expression(text, values={"a0": -0.3})


def walk_paths(graph: Graph, source: int, output: int) -> list[int]:
    """The length (in edges) of every path, by walking them all with a stack."""
    succ = graph.successor_lists()
    lengths: list[int] = []
    todo = [(source, 0)]
    while todo:
        i, n = todo.pop()
        if i == output:
            lengths.append(n)
            continue
        todo.extend((s, n + 1) for s, _ in succ[i] if s <= output)
    return lengths


def test_diamond_ladder_numbers() -> None:
    g = ladder(30)
    e = node_efficiency(g, "a0")
    assert e.paths == 3**30
    assert e.backprop_multiplications == 150 == g.edge_count()
    assert e.subgraph_nodes == 91 == len(g)
    assert e.multiplication_ratio > 1e13
    assert e.derivative_size > 10**15 > 10**13 * e.subgraph_nodes
    whole = graph_efficiency(g)
    assert whole.leaves == ("a0",)
    assert whole.paths == 3**30 and whole.backprop_multiplications == 150
    assert whole.derivative_size == e.derivative_size


def test_enumeration_cost_matches_walking_every_path() -> None:
    for g in (ladder(4), from_expression("s = x + y\nf = s * x * y + exp(s)", values={"x": 1, "y": 2})):
        out = g.outputs[0]
        for leaf in g.leaves():
            lengths = walk_paths(g, leaf, out)
            e = node_efficiency(g, leaf)
            assert e.paths == len(lengths)
            assert e.enumeration_multiplications == sum(n - 1 for n in lengths)


def test_growth_is_exponential_for_paths_and_size_but_linear_for_backprop() -> None:
    sizes = [node_efficiency(ladder(n), "a0") for n in range(1, 16)]
    for a, b in itertools.pairwise(sizes):
        assert b.paths == 3 * a.paths
        assert b.backprop_multiplications == a.backprop_multiplications + 5
        assert b.derivative_size > 2.5 * a.derivative_size


EXPRESSIONS = [
    "(w*x + b - y)^2",
    "(x + y) * x",
    "x*x",
    "exp(-x) / (1 + x^2) - sqrt(x*x + 1)",
    "tanh(sin(x) * cos(y)) + sigmoid(x - y) * log(x + 3)",
    "relu(x - y) + abs(x*y) - tan(0.1*x) + (x ^ y)",
    "(x + 2*y) / (y - 4) + -x",
]


@pytest.mark.parametrize("text", EXPRESSIONS)
def test_expanded_derivative_is_right_and_has_the_counted_size(text: str) -> None:
    values = {"w": 0.5, "x": 1.3, "b": 0.1, "y": 0.7}
    g = from_expression(text)
    used = {k: v for k, v in values.items() if k in g}
    g = from_expression(text, values=used)
    grads = gradients(g)
    for leaf in g.leaves():
        name = g.nodes[leaf].name
        if name not in used:
            continue
        d = expanded_derivative(g, leaf)
        sizes = derivative_sizes(g, leaf)
        assert d is not None
        # the text parses (as written, no merging) to a tree of exactly the counted size
        names = from_expression(d)
        dg = from_expression(d, values={k: v for k, v in used.items() if k in names}, merge=False)
        assert tree_sizes(dg)[dg.outputs[0]] == sizes[g.outputs[0]]
        # and it is the derivative
        value = forward(dg, leaf_values(dg))[dg.outputs[0]]
        assert value == pytest.approx(grads.partials[leaf], rel=1e-9, abs=1e-12)


def test_tree_size_of_a_shared_subexpression() -> None:
    g = from_expression("s = x + y\nt = s * s\nu = t * t")
    assert tree_sizes(g)[g.outputs[0]] == 1 + 2 * (1 + 2 * 3)
    assert len(g) == 5


def test_intermediate_node_is_a_symbol() -> None:
    g = ladder(3)
    e = node_efficiency(g, "a1")
    assert e.paths == 9
    assert e.derivative_size == derivative_sizes(ladder(2), 0)[-1]


def test_sympy_measures_small_graphs_and_refuses_big_ones() -> None:
    pytest.importorskip("sympy")
    small = sympy_sizes(ladder(2), 0)
    assert small is not None
    assert small.derivative > small.expression > 0
    assert small.derivative_shared < small.derivative
    assert sympy_sizes(ladder(30), 0) is None


def test_big_graphs_skip_the_per_leaf_sizes_but_keep_the_counts() -> None:
    terms = " + ".join(f"w{k}*x{k}" for k in range(50))
    g = from_expression(f"({terms} - y)^2")
    exact = graph_efficiency(g)
    rough = graph_efficiency(g, work_limit=10)
    assert exact.derivative_size is not None and rough.derivative_size is None
    assert exact.paths == rough.paths == 101
    assert exact.enumeration_multiplications == rough.enumeration_multiplications


def test_deep_chain_has_no_recursion() -> None:
    n = 50_000
    g = from_expression("\n".join(f"a{k + 1} = sin(a{k})" for k in range(n)), values={"a0": 0.1})
    e = node_efficiency(g, "a0")
    assert e.paths == 1 and e.backprop_multiplications == n


def test_reports_and_counts_text() -> None:
    assert format_count(205_891_132_094_649) == "205,891,132,094,649"
    assert format_count(3**100) == "5.15e+47 (48 digits)"
    lines = node_report(node_efficiency(ladder(30), "a0"))
    assert "205,891,132,094,649 paths" in lines[0]
    assert "150 multiplications" in lines[2]
    text = "\n".join(graph_report(graph_efficiency(ladder(30))))
    assert "91 nodes, 150 edges" in text


def test_format_count_of_numbers_too_long_for_str() -> None:
    import sys

    n = 3**10_000 + 12345
    old = sys.get_int_max_str_digits()
    sys.set_int_max_str_digits(0)
    try:
        exact = str(n)
    finally:
        sys.set_int_max_str_digits(old)
    text = format_count(n)  # must not need str(n)
    assert text == f"{exact[0]}.{exact[1:3]}e+{len(exact) - 1} ({len(exact)} digits)"
    assert format_count(10**40 - 1) == "1.00e+40 (41 digits)"
    e = node_efficiency(ladder(3000), "a0")
    assert "digits" in node_report(e)[0]
