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


# --- nodes kept as columns ----------------------------------------------------------------------


def _as_node_objects(g: Graph) -> Graph:
    """The same graph, made from node objects (as a YAML file or a bridge makes one)."""
    nodes = [Node(n.name, n.kind, n.op, n.operands, n.value) for n in g.copy().nodes]
    return Graph(nodes, list(g.outputs), aliases=dict(g.aliases))


def test_a_built_graph_keeps_columns_until_its_nodes_are_read() -> None:
    g = from_expression("z = w*x + b\nL = (z - y)^2", values={"w": 0.5, "x": 2.0, "b": 0.1, "y": 1.0})
    assert g._nodes is None  # (the builder's columns; nothing has asked for node objects)
    objects = _as_node_objects(from_expression("z = w*x + b\nL = (z - y)^2"))
    # every query answers from the columns as it does from node objects
    assert g.name_list() == [n.name for n in objects.nodes]
    assert g.op_list() == [n.op for n in objects.nodes]
    assert g.operand_list() == [n.operands for n in objects.nodes]
    assert g.kind_list() == [n.kind for n in objects.nodes]
    assert len(g) == len(objects)
    assert g.output_names == objects.output_names == ["L"]
    assert g.leaves() == objects.leaves() and g.computations() == objects.computations()
    assert list(g.edges()) == list(objects.edges()) and g.edge_count() == objects.edge_count()
    assert g.levels() == objects.levels()
    assert g.successor_lists() == objects.successor_lists()
    assert g.ancestors(g.lookup("L")) == objects.ancestors(objects.lookup("L"))
    assert g.index == objects.index and "z" in g and "q" not in g
    assert not g.has_arrays
    copy = g.copy()
    assert copy._nodes is None and copy == g
    assert g._nodes is None  # still: none of the above made node objects
    # reading the nodes makes them once; from then on they are the graph
    nodes = g.nodes
    assert g.nodes is nodes and g._nodes is nodes
    assert [(n.name, n.kind, n.op, n.operands) for n in nodes] == [
        (n.name, n.kind, n.op, n.operands) for n in objects.nodes
    ]
    g.node("w").value = 3.0
    assert g.value_list()[g.lookup("w")] == 3.0
    g.set_kind("w", Kind.PARAM)
    assert g.kind_list()[g.lookup("w")] is Kind.PARAM
    assert copy.value_list()[copy.lookup("w")] == 0.5  # the copy's columns are its own


def test_grad_never_makes_node_objects() -> None:
    """cgtui grad reads the columns: a 100,000-term sum's gradients without 200,000 objects."""
    from cgtui.commands.grad import render
    from cgtui.engine.engine import gradients

    text = " + ".join(f"x{i} * w" for i in range(200))
    g = from_expression(text, values={**{f"x{i}": float(i) for i in range(200)}, "w": 0.5})
    result = gradients(g)
    rows = "".join(render(g, result))
    assert g._nodes is None
    assert g._namer is not None  # nor named the computations (v1, v2...): rows name leaves
    (row,) = [line for line in rows.splitlines() if line.startswith("dout/dw ")]
    assert row.split() == ["dout/dw", "=", str(sum(range(200))), "input"]


def test_computations_are_named_when_a_name_is_first_read() -> None:
    g = from_expression("v2 + x*y + x*y*z", values={"x": 1.0, "y": 2.0, "z": 3.0})
    assert g.names_of(g.outputs) == ["out"]
    assert g._namer is not None  # (the output and the leaves have their names from the start)
    # the others are named in order, past v2 (a leaf's name): v1, v3
    assert g.name_list() == ["v2", "x", "y", "v1", "v3", "z", "v4", "out"]
    assert g._namer is None
    h = from_expression("v2 + x*y + x*y*z")
    assert [n.name for n in h.nodes] == g.name_list()  # reading the nodes names them too
    k = from_expression("v2 + x*y + x*y*z")
    assert k.names_of([3, 1]) == ["v1", "x"] and k.copy().name_list() == g.name_list()
