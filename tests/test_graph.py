"""Graph structure and queries: slots, levels, ancestors, size."""

from __future__ import annotations

import pytest

from cgtui.core.errors import GraphError
from cgtui.core.graph import Graph, Kind, Node
from cgtui.lang.build import from_expression


def test_x_times_x_has_two_edges() -> None:
    g = from_expression("x*x")
    x, out = g.lookup("x"), g.lookup("out")
    assert g.nodes[out].operands == (x, x)
    assert g.successors(x) == [(out, 0), (out, 1)]
    assert list(g.edges()) == [(x, out, 0), (x, out, 1)]
    assert g.edge_count() == 2


def test_levels() -> None:
    g = from_expression("s = x + y\nf = s * x")
    levels = dict(zip([n.name for n in g.nodes], g.levels(), strict=True))
    assert levels == {"x": 0, "y": 0, "s": 1, "f": 2}


def test_ancestors_and_descendants() -> None:
    g = from_expression("z = w*x\nyhat = z + b\nd = yhat - y\nL = d^2")
    def name(i: int) -> str:
        return g.nodes[i].name

    assert {name(i) for i in g.ancestors(g.lookup("d"))} == {"yhat", "z", "w", "x", "b", "y"}
    assert {name(i) for i in g.descendants(g.lookup("w"))} == {"z", "yhat", "d", "L"}
    assert g.descendants(g.lookup("L")) == set()
    assert g.ancestors(g.lookup("w")) == set()


def test_topological_order_holds() -> None:
    g = from_expression("a = exp(x) * sin(y)\nb = a + x\nb * a - y")
    for i, node in enumerate(g.nodes):
        assert all(p < i for p in node.operands)


def test_lookup_suggests() -> None:
    g = from_expression("yhat = w*x\nyhat^2")
    with pytest.raises(GraphError, match=r"no node named 'yht' \(did you mean 'yhat'\?\)"):
        g.lookup("yht")


def test_graph_checks_its_order() -> None:
    with pytest.raises(GraphError, match="not defined before it"):
        Graph([Node("z", Kind.COMPUTATION, "exp", (1,)), Node("x", Kind.INPUT)], [0])
    with pytest.raises(GraphError, match="duplicate node name 'x'"):
        Graph([Node("x", Kind.INPUT), Node("x", Kind.INPUT)], [0])


def test_equality_ignores_listing_order_but_not_structure() -> None:
    a = Graph([Node("x", Kind.INPUT), Node("y", Kind.INPUT), Node("z", Kind.COMPUTATION, "mul", (0, 1))], [2])
    b = Graph([Node("y", Kind.INPUT), Node("x", Kind.INPUT), Node("z", Kind.COMPUTATION, "mul", (1, 0))], [2])
    c = Graph([Node("y", Kind.INPUT), Node("x", Kind.INPUT), Node("z", Kind.COMPUTATION, "mul", (0, 1))], [2])
    assert a == b
    assert a != c  # operand slots swapped
    d = a.copy()
    d.nodes[0].value = 1.0
    assert a != d


def test_set_kind() -> None:
    g = from_expression("w*x")
    g.set_kind("w", Kind.PARAM)
    assert g.node("w").kind is Kind.PARAM
    with pytest.raises(GraphError):
        g.set_kind("out", Kind.PARAM)


def test_100k_node_chain_queries_without_recursion() -> None:
    n = 100_000
    nodes = [Node("x", Kind.INPUT, value=0.5)]
    for i in range(1, n):
        nodes.append(Node(f"n{i}", Kind.COMPUTATION, "sin", (i - 1,)))
    g = Graph(nodes, [n - 1])
    assert len(g.ancestors(n - 1)) == n - 1
    assert len(g.descendants(0)) == n - 1
    assert g.levels()[-1] == n - 1
    assert g.edge_count() == n - 1
