"""Exports (json, dot, mermaid, yaml) and the printer (graph -> expression text)."""

from __future__ import annotations

import json

import pytest
from conftest import examples
from hypothesis import given, settings
from hypothesis import strategies as st

from cgtui.core.errors import CgtuiError
from cgtui.core.graph import Graph, Kind, Node
from cgtui.lang import printer, yamlio
from cgtui.lang.build import from_expression
from cgtui.teach import formats


def _squared() -> Graph:
    return from_expression(
        "z = w*x\nyhat = z + b\nd = yhat - y\nL = d^2",
        params={"w", "b"},
        labels={"y"},
        values={"w": 0.5, "x": 2.0, "b": 0.1, "y": 1.0},
    )


def test_registry() -> None:
    assert {"yaml", "json", "dot", "mermaid"} <= set(formats.FORMATS)
    g = _squared()
    for name in formats.FORMATS:
        assert formats.export(g, name) == formats.FORMATS[name](g)
    with pytest.raises(CgtuiError, match="unknown format 'pdf'"):
        formats.export(g, "pdf")


def test_json() -> None:
    g = from_expression("x*x + y", values={"x": 3.0})
    data = json.loads(formats.to_json(g))
    nodes = {n["name"]: n for n in data["nodes"]}
    assert nodes["x"] == {
        "name": "x", "kind": "input", "op": None, "operands": [], "text": None, "value": 3.0,
        "successors": ["v1", "v1"], "level": 0, "output": False,
    }
    assert nodes["v1"]["operands"] == ["x", "x"] and nodes["v1"]["text"] == "x * x"
    assert nodes["out"]["output"] is True and nodes["y"]["value"] is None
    assert data["outputs"] == ["out"]
    assert data["program"] == "x * x + y\n"
    long_sum = from_expression("+".join(f"x{i}" for i in range(20_000)))
    assert json.loads(formats.to_json(long_sum))["program"] is None
    assert {(e["from"], e["to"], e["slot"]) for e in data["edges"]} == {
        ("x", "v1", 0), ("x", "v1", 1), ("v1", "out", 0), ("y", "out", 1),
    }
    assert len(data["edges"]) == g.edge_count()


def test_dot_colours_and_one_edge_per_slot() -> None:
    g = _squared()
    text = formats.to_dot(formats_graph := g)
    assert text.startswith("digraph cgtui {") and text.rstrip().endswith("}")
    colour = formats.KIND_COLOURS
    assert f'"x" [label="x = 2\\ninput", fillcolor="{colour[Kind.INPUT]}"' in text
    assert f'fillcolor="{colour[Kind.PARAM]}"' in text.split('"w" [')[1].split("\n")[0]
    assert f'fillcolor="{colour[Kind.LABEL]}"' in text.split('"y" [')[1].split("\n")[0]
    assert f'fillcolor="{colour[Kind.COMPUTATION]}"' in text.split('"z" [')[1].split("\n")[0]
    assert "peripheries=2" in text.split('"L" [')[1].split("\n")[0]
    assert len(set(colour.values())) == 5
    edges = [line for line in text.splitlines() if " -> " in line]
    assert len(edges) == formats_graph.edge_count()
    assert '  "w" -> "z" [label="a"];' in edges and '  "x" -> "z" [label="b"];' in edges
    twice = formats.to_dot(from_expression("exp(x*x)"))
    assert twice.count('"x" -> "v1"') == 2
    assert '"v1" -> "out";' in twice  # one operand: no slot label


def test_dot_quotes_names_and_titles() -> None:
    g = from_expression("x * -3")
    g.title = 'a "quoted" title\\'
    text = formats.to_dot(g)
    assert 'label="a \\"quoted\\" title\\\\"' in text
    assert '"-3" -> "out" [label="b"]' in text


def test_mermaid() -> None:
    g = from_expression("x*x")
    text = formats.to_mermaid(g)
    lines = text.splitlines()
    assert lines[0] == "flowchart LR"
    assert lines.count("  n0 -->|a| n1") == 1 and lines.count("  n0 -->|b| n1") == 1
    assert '  n1[["out = x * x"]]:::computation' in lines
    assert any(line.startswith("  classDef input fill:") for line in lines)


def test_yaml_export_is_yamlio() -> None:
    g = _squared()
    assert formats.to_yaml(g) == yamlio.dumps(g)
    assert yamlio.loads(formats.to_yaml(g)) == g


# --- the printer -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "printed"),
    [
        ("-x**2", "-x ^ 2"),
        ("(-x)**2", "(-x) ^ 2"),
        ("(-3)**2", "(-3) ^ 2"),
        ("2**-1", "2 ^ (-1)"),
        ("a-(b-c)", "a - (b - c)"),
        ("((a-b))-c", "a - b - c"),
        ("a/(b*c)", "a / (b * c)"),
        ("a^b^c", "a ^ b ^ c"),
        ("(a^b)^c", "(a ^ b) ^ c"),
        ("-(a+b)*c", "-(a + b) * c"),
        ("-(a*b)", "-(a * b)"),
        ("x*-3", "x * (-3)"),
        ("exp(-x)+sin(x*y)", "exp(-x) + sin(x * y)"),
        ("--x", "-(-x)"),
        ("(x + y) * (x + y)", "(x + y) * (x + y)"),
    ],
)
def test_expression_minimal_parentheses(text: str, printed: str) -> None:
    g = from_expression(text)
    assert printer.expression(g) == printed
    assert from_expression(printed) == g


def test_program_keeps_user_names_and_inlines_the_rest() -> None:
    g = from_expression("z = w*x\nz = z + 1\nc = 3\n(z * c - y)^2")
    text = printer.program(g)
    assert text == "z_1 = w * x\nz = z_1 + 1\nc = 3\n(z * c - y) ^ 2\n"
    assert from_expression(text) == g


def test_printing_is_iterative() -> None:
    depth = 20_000
    nodes = [Node("x", Kind.INPUT)]
    for i in range(1, depth):
        nodes.append(Node(f"v{i}", Kind.COMPUTATION, "exp" if i % 2 else "neg", (i - 1,)))
    g = Graph(nodes, [depth - 1])
    text = printer.expression(g)
    assert text.count("exp(") == depth // 2
    assert len(from_expression(text)) == depth


def test_exponential_text_is_refused() -> None:
    text = "a0 = x\n" + "".join(f"a{k + 1} = tanh(a{k}*a{k} + a{k})\n" for k in range(30))
    g = from_expression(text.replace("a0 = x\n", "").replace("a0", "x"))
    with pytest.raises(CgtuiError, match="longer than 1,000 characters"):
        printer.expression(g, limit=1000)
    assert from_expression(printer.program(g)) == g  # statements stay linear


_UNARY = ("neg", "exp", "tanh", "sigmoid")
_names = st.sampled_from(["a", "b", "x", "y", "w1"])
_numbers = st.sampled_from([0.0, 1.0, 2.0, 0.5, 3.25, 1e-7, 1e20, 0.1, 1 / 3, 123456.789])


@st.composite
def _trees(draw: st.DrawFn) -> str:
    """A random expression tree, printed fully parenthesised (so its shape is certain)."""
    todo = [0]  # depths still to draw, in prefix order
    pieces: list[str] = []
    budget = draw(st.integers(1, 25))
    while todo:
        depth = todo.pop()
        if budget <= 0 or depth > 6 or draw(st.integers(0, 2)) == 0:
            if draw(st.booleans()):
                pieces.append(draw(_names))
            else:
                v = draw(_numbers)
                pieces.append(f"(-{v!r})" if draw(st.booleans()) else repr(v))
        else:
            budget -= 1
            op = draw(st.sampled_from(["+", "-", "*", "/", "^", "**", "neg", "exp", "tanh", "sigmoid"]))
            pieces.append(f"<{op}>")
            todo.extend([depth + 1] * (1 if op in _UNARY else 2))
    stack: list[str] = []
    for item in reversed(pieces):  # prefix order, folded from the right
        if item.startswith("<"):
            op = item[1:-1]
            if op in _UNARY:
                a = stack.pop()
                stack.append(f"-({a})" if op == "neg" else f"{op}({a})")
            else:
                a, b = stack.pop(), stack.pop()
                stack.append(f"({a}) {op} ({b})")
        else:
            stack.append(item)
    return stack[0]


@settings(max_examples=examples(300), deadline=None)
@given(_trees())
def test_printed_random_trees_parse_back_to_the_same_graph(text: str) -> None:
    g = from_expression(text)
    printed = printer.expression(g)
    assert from_expression(printed) == g
    again = printer.program(g)
    assert from_expression(again) == g
    # printing is stable: no parentheses are added or lost on a second pass
    assert printer.expression(from_expression(printed)) == printed
    # and the tree form round-trips as a tree
    tree = from_expression(text, merge=False)
    assert from_expression(printer.expression(tree), merge=False) == tree
