"""The worked examples' graphs, exactly: nodes, kinds, edges, names, and the values
given in worked-examples.md, from the expression and from the sample file."""

from __future__ import annotations

import pytest
from conftest import SAMPLES, structure
from worked_examples import MORE_OPS, SANITY

from cgtui.core.graph import Graph
from cgtui.engine import engine
from cgtui.lang import yamlio
from cgtui.lang.build import from_expression


def edges(g: Graph) -> list[tuple[str, str, int]]:
    return sorted((g.nodes[p].name, g.nodes[i].name, slot) for p, i, slot in g.edges())


def values(g: Graph) -> dict[str, float]:
    vals = engine.forward(g, engine.leaf_values(g))
    return {n.name: vals[i] for i, n in enumerate(g.nodes)}


def grads(g: Graph, output: str) -> dict[str, float]:
    vals = engine.forward(g, engine.leaf_values(g))
    gr = engine.backward(g, vals, g.lookup(output))
    return {g.nodes[i].name: float(p) for i in g.leaves() if (p := gr[i]) is not None}


# --- 1. squared error: a straight chain --------------------------------------------------

SQUARED = {
    "w": ("param", None, ()),
    "x": ("input", None, ()),
    "b": ("param", None, ()),
    "y": ("label", None, ()),
    "2": ("const", None, ()),
    "z": ("computation", "mul", ("w", "x")),
    "yhat": ("computation", "add", ("z", "b")),
    "d": ("computation", "sub", ("yhat", "y")),
    "L": ("computation", "pow", ("d", "2")),
}


def test_example_1_from_the_sample() -> None:
    g = yamlio.load(SAMPLES / "squared_error.yaml")
    assert structure(g) == SQUARED
    assert len(g) == 9 and g.edge_count() == 8
    assert edges(g) == sorted(
        [("w", "z", 0), ("x", "z", 1), ("z", "yhat", 0), ("b", "yhat", 1), ("yhat", "d", 0), ("y", "d", 1),
         ("d", "L", 0), ("2", "L", 1)]
    )
    assert g.output_names == ["L"]
    v = values(g)
    assert v["z"] == 1.0 and v["yhat"] == pytest.approx(1.1) and v["d"] == pytest.approx(0.1)
    assert v["L"] == pytest.approx(0.01)
    assert grads(g, "L") == pytest.approx({"w": 0.4, "x": 0.1, "b": 0.2, "y": -0.2})


def test_example_1_from_the_expression() -> None:
    text = "(w*x + b - y)^2"
    g = from_expression(text, params={"w", "b"}, labels={"y"}, values={"w": 0.5, "x": 2, "b": 0.1, "y": 1})
    renamed = {"v1": "z", "v2": "yhat", "v3": "d", "out": "L"}
    shape = {renamed.get(k, k): (kind, op, tuple(renamed.get(o, o) for o in ops))
             for k, (kind, op, ops) in structure(g).items()}
    assert shape == SQUARED
    assert [n.name for n in g.nodes] == ["w", "x", "v1", "b", "v2", "y", "v3", "2", "out"]
    named = from_expression("z = w*x\nyhat = z + b\nd = yhat - y\nL = d^2", params={"w", "b"}, labels={"y"},
                            values={"w": 0.5, "x": 2, "b": 0.1, "y": 1})
    assert named == yamlio.load(SAMPLES / "squared_error.yaml")


# --- 2. branching --------------------------------------------------------------------------


def test_example_2_branching() -> None:
    g = yamlio.load(SAMPLES / "branching.yaml")
    assert structure(g) == {
        "x": ("input", None, ()),
        "y": ("input", None, ()),
        "s": ("computation", "add", ("x", "y")),
        "f": ("computation", "mul", ("s", "x")),
    }
    assert edges(g) == [("s", "f", 0), ("x", "f", 1), ("x", "s", 0), ("y", "s", 1)]
    assert len(g.successors(g.lookup("x"))) == 2
    assert values(g)["f"] == 15.0
    assert grads(g, "f") == {"x": 8.0, "y": 3.0}
    expr = from_expression("(x + y) * x", values={"x": 3, "y": 2})
    assert edges(expr) == [("v1", "out", 0), ("x", "out", 1), ("x", "v1", 0), ("y", "v1", 1)]
    assert structure(expr) == {
        "x": ("input", None, ()),
        "y": ("input", None, ()),
        "v1": ("computation", "add", ("x", "y")),
        "out": ("computation", "mul", ("v1", "x")),
    }


# --- 3. two-feature regression ---------------------------------------------------------------


def test_example_3_two_feature_regression() -> None:
    g = yamlio.load(SAMPLES / "two_feature_regression.yaml")
    assert structure(g) == {
        "x1": ("input", None, ()),
        "x2": ("input", None, ()),
        "y": ("label", None, ()),
        "w1": ("param", None, ()),
        "w2": ("param", None, ()),
        "b": ("param", None, ()),
        "v1": ("computation", "mul", ("w1", "x1")),
        "v2": ("computation", "mul", ("w2", "x2")),
        "v3": ("computation", "add", ("v1", "v2")),
        "yhat": ("computation", "add", ("v3", "b")),
        "d": ("computation", "sub", ("yhat", "y")),
        "2": ("const", None, ()),
        "L": ("computation", "pow", ("d", "2")),
    }
    assert g.edge_count() == 12
    assert values(g)["L"] == pytest.approx(0.5625)
    assert grads(g, "L") == pytest.approx(
        {"w1": 3.0, "x1": 1.5, "w2": 0.75, "x2": -1.5, "b": 1.5, "y": -1.5}
    )
    expr = from_expression(
        "(w1*x1 + w2*x2 + b - y)^2", params={"w1", "w2", "b"}, labels={"y"},
        values={"w1": 1, "x1": 2, "w2": -1, "x2": 0.5, "b": 0.25, "y": 1},
    )
    renamed = {"v3": "v3", "v4": "yhat", "v5": "d", "out": "L"}
    shape = {renamed.get(k, k): (kind, op, tuple(renamed.get(o, o) for o in ops))
             for k, (kind, op, ops) in structure(expr).items()}
    assert shape == structure(g)
    assert values(expr)["out"] == pytest.approx(0.5625)


# --- 4. the ladder ---------------------------------------------------------------------------


def test_example_4_ladder() -> None:
    text = "".join(f"a{k + 1} = tanh(a{k}*a{k} + a{k})\n" for k in range(30))
    g = from_expression(text)
    assert len(g) == 1 + 3 * 30 and g.edge_count() == 150
    assert g.output_names == ["a30"]
    for k in range(30):
        mul = g.nodes[g.node(f"a{k + 1}").operands[0]]
        assert mul.op == "add"
        a = g.lookup(f"a{k}")
        # a_k feeds both slots of a_k*a_k and the add: three edges out
        assert len(g.successors(a)) == 3
    assert sorted(g.levels()) == list(range(91))  # one node per level: a chain


# --- 5. micrograd's tests --------------------------------------------------------------------



def test_example_5_sanity_check() -> None:
    g = yamlio.load(SAMPLES / "micrograd_sanity.yaml")
    assert g == from_expression(SANITY, values={"x": -4.0})
    s = structure(g)
    assert s["z"] == ("computation", "add", ("v2", "x"))
    assert s["q"] == ("computation", "add", ("v3", "v4"))
    assert s["h"] == ("computation", "relu", ("v5",))
    assert s["v5"] == ("computation", "mul", ("z", "z"))
    assert s["y"] == ("computation", "add", ("v6", "v7"))
    assert len(g) == 13 and g.edge_count() == 20
    assert sorted(g.nodes[i].name for i, _ in g.successors(g.lookup("z"))) == ["v3", "v4", "v5", "v5"]
    assert values(g)["y"] == -20.0
    assert grads(g, "y")["x"] == pytest.approx(46.0)


def test_example_5_more_ops() -> None:
    g = yamlio.load(SAMPLES / "micrograd_more_ops.yaml")
    assert g == from_expression(MORE_OPS, values={"a": -4.0, "b": 2.0})
    s = structure(g)
    assert s["c_1"] == ("computation", "add", ("a", "b"))
    assert s["c_2"] == ("computation", "add", ("v3", "1"))
    assert s["v3"] == ("computation", "add", ("c_1", "c_1"))
    assert s["c"] == ("computation", "add", ("v5", "v6"))
    assert s["v6"] == ("computation", "neg", ("a",))
    assert s["g_1"] == ("computation", "div", ("f", "2"))
    assert s["g"] == ("computation", "add", ("g_1", "v15"))
    assert len(g) == 31 and g.edge_count() == 47
    assert sum(1 for n in g.nodes if n.kind.value == "const") == 4  # 1, 2, 3, 10 (2.0 is 2)
    assert values(g)["g"] == pytest.approx(24.70408163265306, rel=1e-12)
    assert grads(g, "g") == pytest.approx({"a": 138.83381924198252, "b": 645.5772594752186}, rel=1e-12)
