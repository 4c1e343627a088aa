"""Building graphs from expressions: merging, naming, kinds and values."""

from __future__ import annotations

import pytest
from conftest import structure

from cgtui.core.errors import GraphError, ParseError
from cgtui.core.graph import Kind
from cgtui.lang.build import const_name, from_expression


def test_one_node_per_operation_with_merged_shared_subexpressions() -> None:
    g = from_expression("(x + y) * (x + y) + exp(x + y)")
    assert structure(g) == {
        "x": ("input", None, ()),
        "y": ("input", None, ()),
        "v1": ("computation", "add", ("x", "y")),
        "v2": ("computation", "mul", ("v1", "v1")),
        "v3": ("computation", "exp", ("v1",)),
        "out": ("computation", "add", ("v2", "v3")),
    }
    assert sorted(g.name(s) for s, _ in g.successors(g.lookup("v1"))) == ["v2", "v2", "v3"]


def test_tree_option_keeps_the_expression_as_written() -> None:
    g = from_expression("(x + y) * (x + y) + exp(x + y)", merge=False)
    adds = [n.name for n in g.nodes if n.op == "add"]
    assert len(adds) == 4  # three copies of x + y, and the final sum
    assert len(g) == 2 + 3 + 1 + 1 + 1
    # every computation feeds exactly one other node: a tree
    for i in g.computations():
        assert len(g.successors(i)) == (0 if i in g.outputs else 1)


def test_intermediate_names_are_topological_and_skip_user_names() -> None:
    g = from_expression("v1 = a*b\nv1 + (a - b) * c")
    assert [n.name for n in g.nodes if n.op] == ["v1", "v2", "v3", "out"]
    assert structure(g)["v2"] == ("computation", "sub", ("a", "b"))
    g = from_expression("out = a*b\n(out + 1)")
    assert g.output_names == ["out2"]


def test_user_names_colliding_with_versions() -> None:
    g = from_expression("z_1 = a*b\nz = a + b\nz = z * 2\nz + z_1")
    names = {n.name for n in g.nodes}
    assert {"z_1", "z", "z_2"} <= names
    assert structure(g)["z"] == ("computation", "mul", ("z_2", "2"))


def test_constants_named_by_value_stay_distinct() -> None:
    # two values that print alike at 12 digits must still be two nodes with two names
    g = from_expression("x*0.1234567890123 + x*0.1234567890124")
    consts = [n for n in g.nodes if n.kind is Kind.CONST]
    assert len({n.name for n in consts}) == 2
    for n in consts:
        assert float(n.name) == n.value
    assert const_name(2.0) == "2"
    assert const_name(0.1) == "0.1"
    assert float(const_name(1 / 3)) == 1 / 3


def test_negative_zero_is_zero() -> None:
    g = from_expression("x * -0")
    assert "0" in g and "-0" not in g


def test_kinds_and_values() -> None:
    g = from_expression(
        "(w*x + b - y)^2", params={"w", "b"}, labels={"y"}, values={"w": 0.5, "x": 2, "b": 0.1, "y": 1}
    )
    kinds = {n.name: n.kind for n in g.nodes if n.op is None}
    assert kinds == {"w": Kind.PARAM, "x": Kind.INPUT, "b": Kind.PARAM, "y": Kind.LABEL, "2": Kind.CONST}
    assert g.node("w").value == 0.5 and g.node("x").value == 2.0


def test_assignment_of_a_number_gives_a_leaf_of_the_declared_kind() -> None:
    g = from_expression("w = 0.5\nw * x", params={"w"})
    assert g.node("w").kind is Kind.PARAM and g.node("w").value == 0.5
    g = from_expression("c = 3\nc * x", values={"c": 4})
    assert g.node("c").value == 4.0


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"values": {"q": 1.0}}, "a value was given for 'q', which the expression does not use"),
        ({"values": {"z": 1.0}}, "'z' is computed by the expression; only leaves take values"),
        ({"params": {"q"}}, "declared but not used in the expression: q"),
        ({"params": {"z"}}, "'z' is computed by the expression; only leaves can be params"),
        ({"params": {"x"}, "labels": {"x"}}, "'x' is declared both param and label"),
    ],
)
def test_declaration_errors(kwargs: dict[str, object], message: str) -> None:
    with pytest.raises(GraphError) as info:
        from_expression("z = x * 2\nz + 1", **kwargs)  # type: ignore[arg-type]
    assert info.value.message == message


def test_strict_mode_error_points_at_the_name() -> None:
    from cgtui.lang.build import build_program
    from cgtui.lang.parser import parse

    with pytest.raises(ParseError) as info:
        build_program(parse("c = a + b\nc * d"), declared={"a": (Kind.INPUT, 1.0), "b": (Kind.INPUT, 2.0)},
                      strict=True)
    assert info.value.message == "undefined name 'd'"
    assert (info.value.line, info.value.column) == (2, 5)
    assert info.value.source_line == "c * d"


def test_bare_leaf_or_constant_as_output() -> None:
    assert from_expression("x").output_names == ["x"]
    g = from_expression("3")
    assert g.output_names == ["3"] and g.node("3").kind is Kind.CONST
