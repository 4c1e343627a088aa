"""Graph structure and queries: slots, generations, ancestors, specs, size."""

from __future__ import annotations

import pytest

from cgtui.core.errors import GraphError
from cgtui.core.graph import Graph, Kind, Node, NodeSpec
from cgtui.lang.build import from_expression


def test_x_times_x_has_two_edges() -> None:
    g = from_expression("x*x")
    x, out = g.lookup("x"), g.lookup("out")
    assert g.predecessors(out) == [(0, x), (1, x)]
    assert g.successors(x) == [(out, 0), (out, 1)]
    nxg = g.to_networkx()
    assert nxg.number_of_edges("x", "out") == 2
    assert sorted(k for _, _, k in nxg.edges(keys=True)) == [0, 1]
    assert g.edge_count() == 2 == nxg.number_of_edges()


def test_networkx_attributes() -> None:
    g = from_expression("w*x", params={"w"}, values={"w": 0.5})
    nxg = g.to_networkx()
    assert nxg.nodes["w"] == {"kind": "param", "op": None, "value": 0.5, "output": False}
    assert nxg.nodes["out"]["output"] is True
    assert nxg.nodes["out"]["op"] == "mul"


def test_levels_and_generations() -> None:
    g = from_expression("s = x + y\nf = s * x")
    levels = dict(zip([n.name for n in g.nodes], g.levels(), strict=True))
    assert levels == {"x": 0, "y": 0, "s": 1, "f": 2}
    assert [[g.name(i) for i in gen] for gen in g.generations()] == [["x", "y"], ["s"], ["f"]]


def test_ancestors_and_descendants() -> None:
    g = from_expression("z = w*x\nyhat = z + b\nd = yhat - y\nL = d^2")
    name = g.name
    assert {name(i) for i in g.ancestors(g.lookup("d"))} == {"yhat", "z", "w", "x", "b", "y"}
    assert {name(i) for i in g.descendants(g.lookup("w"))} == {"z", "yhat", "d", "L"}
    assert g.descendants(g.lookup("L")) == set()
    assert g.ancestors(g.lookup("w")) == set()


def test_topological_order_holds() -> None:
    g = from_expression("a = exp(x) * sin(y)\nb = a + x\nb * a - y")
    for i, node in enumerate(g.nodes):
        assert all(p < i for p in node.operands)
    assert list(g.topological_order()) == list(range(len(g)))


def test_lookup_suggests() -> None:
    g = from_expression("yhat = w*x\nyhat^2")
    with pytest.raises(GraphError, match=r"no node named 'yht' \(did you mean 'yhat'\?\)"):
        g.lookup("yht")


def _spec(name: str, op: str | None = None, *operands: str, line: int | None = None) -> NodeSpec:
    kind = Kind.COMPUTATION if op else Kind.INPUT
    return NodeSpec(name, kind, op, tuple(operands), None, line)


def test_from_specs_sorts_any_order() -> None:
    g = Graph.from_specs(
        [_spec("L", "pow", "d", "two"), _spec("d", "sub", "a", "b"), _spec("a"), _spec("b"), _spec("two")],
        ["L"],
    )
    assert [n.name for n in g.nodes] == ["a", "b", "d", "two", "L"]
    assert g.output_names == ["L"]


@pytest.mark.parametrize(
    ("specs", "outputs", "message"),
    [
        (
            [_spec("a"), _spec("z", "mul", "a", "aa")],
            ["z"],
            "undefined name 'aa' in step 'z' (did you mean 'a'?)",
        ),
        (
            [_spec("a"), _spec("z", "mull", "a", "a")],
            ["z"],
            "unknown op 'mull' in step 'z' (did you mean 'mul'?)",
        ),
        ([_spec("a"), _spec("z", "mul", "a")], ["z"], "op 'mul' takes 2 operands, got 1 in step 'z'"),
        ([_spec("a", line=3), _spec("a", line=5)], ["a"], "duplicate name 'a' (first defined at line 3)"),
        ([_spec("a"), _spec("z", "exp", "a")], ["q"], "unknown output 'q'"),
        (
            [_spec("a"), _spec("p", "add", "q", "a"), _spec("q", "mul", "p", "a")],
            ["q"],
            "cycle: p -> q -> p",
        ),
    ],
)
def test_from_specs_validation(specs: list[NodeSpec], outputs: list[str], message: str) -> None:
    with pytest.raises(GraphError) as info:
        Graph.from_specs(specs, outputs)
    assert info.value.message == message


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
    assert len(g.generations()) == n
    assert g.to_networkx().number_of_edges() == n - 1
    specs = [
        NodeSpec(nd.name, nd.kind, nd.op, tuple(nodes[p].name for p in nd.operands), nd.value) for nd in nodes
    ]
    g2 = Graph.from_specs(list(reversed(specs)), [f"n{n - 1}"])
    assert g2 == g


def test_100k_node_cycle_is_found() -> None:
    n = 100_000
    specs = [NodeSpec(f"n{i}", Kind.COMPUTATION, "sin", (f"n{(i + 1) % n}",)) for i in range(n)]
    with pytest.raises(GraphError, match=r"^cycle: n\d+ -> "):
        Graph.from_specs(specs, ["n0"])
