"""The expression language: precedence, statements, refusals with positions, size."""

from __future__ import annotations

import builtins

import pytest
from conftest import examples, structure
from hypothesis import given, settings
from hypothesis import strategies as st

from cgtui.core.errors import CgtuiError, ParseError
from cgtui.lang.build import from_expression
from cgtui.lang.parser import NAME, NUM, OP, parse


def same(a: str, b: str) -> bool:
    return from_expression(a) == from_expression(b)


@pytest.mark.parametrize(
    ("text", "explicit"),
    [
        ("-x**2", "-(x**2)"),
        ("-x^2", "-(x^2)"),
        ("2**-1", "2**(-1)"),
        ("a-b-c", "(a-b)-c"),
        ("a/b/c", "(a/b)/c"),
        ("a^b^c", "a^(b^c)"),
        ("a**b**c", "a**(b**c)"),
        ("a**b^c", "a^(b^c)"),
        ("-x*y", "(-x)*y"),
        ("a+b*c", "a+(b*c)"),
        ("a*b+c", "(a*b)+c"),
        ("a-b*c^d", "a-(b*(c^d))"),
        ("2^-x^2", "2^(-(x^2))"),
        ("+x", "x"),
        ("x*+y", "x*y"),
        ("- - x", "-(-x)"),
        ("exp(x)^2", "(exp(x))^2"),
        ("-exp(x)", "-(exp(x))"),
    ],
)
def test_precedence_and_associativity(text: str, explicit: str) -> None:
    assert same(text, explicit)


@pytest.mark.parametrize(("a", "b"), [("a-b-c", "a-(b-c)"), ("a^b^c", "(a^b)^c"), ("-x^2", "(-x)^2")])
def test_grouping_changes_the_graph(a: str, b: str) -> None:
    assert not same(a, b)


def test_unary_minus_binds_looser_than_power() -> None:
    g = from_expression("-x**2")
    out = g.node("out")
    assert out.op == "neg"
    assert g.nodes[out.operands[0]].op == "pow"


def test_negative_literal_is_one_constant() -> None:
    g = from_expression("2 * -3")
    assert structure(g) == {
        "2": ("const", None, ()),
        "-3": ("const", None, ()),
        "out": ("computation", "mul", ("2", "-3")),
    }
    # but -3**2 is -(3**2), not (-3)**2
    assert from_expression("-3**2").node("out").op == "neg"


def test_numbers() -> None:
    g = from_expression("x*0.5 + 1e-3 + 2 + .25 + 3.")
    consts = {n.name: n.value for n in g.nodes if n.kind.value == "const"}
    assert consts == {"0.5": 0.5, "0.001": 0.001, "2": 2.0, "0.25": 0.25, "3": 3.0}


def test_postfix_code() -> None:
    prog = parse("y = a + 2 * b")
    (stmt,) = prog.statements
    assert stmt.target == "y"
    assert [(i.kind, i.payload) for i in stmt.code] == [
        (NAME, "a"),
        (NUM, 2.0),
        (NAME, "b"),
        (OP, "mul"),
        (OP, "add"),
    ]


def test_statements_newlines_semicolons_comments() -> None:
    text = "z = w*x  # the product\n\nL = (z + b\n     - y)^2; L"
    g = from_expression(text)
    assert g.output_names == ["L"]
    assert g.node("L").op == "pow"
    assert same("z = w*x; L = (z + b - y)^2", text)


def test_output_is_last_bare_expression_else_last_assignment() -> None:
    assert from_expression("a = x*y\nb = x+y").output_names == ["b"]
    assert from_expression("a = x*y\na + 1").output_names == ["out"]


def test_reassignment_later_uses_see_newest() -> None:
    g = from_expression("z = w*x\nz = z + 1\nz = z * z")
    assert structure(g)["z"] == ("computation", "mul", ("z_2", "z_2"))
    assert structure(g)["z_2"] == ("computation", "add", ("z_1", "1"))
    assert structure(g)["z_1"] == ("computation", "mul", ("w", "x"))
    assert g.output_names == ["z"]


def test_reassigning_an_input_keeps_the_input_name() -> None:
    g = from_expression("x = x + 1\nx = x * 2")
    assert structure(g)["x"] == ("input", None, ())
    assert g.output_names == ["x_2"]


def test_constant_assignment() -> None:
    g = from_expression("c = 3")
    assert structure(g) == {"c": ("const", None, ())}
    assert g.node("c").value == 3.0
    g = from_expression("c = -2\nc * x")
    assert g.node("c").value == -2.0
    assert g.node("c").kind.value == "const"


def test_constant_reassigned() -> None:
    g = from_expression("a = 1\na = a + 1")
    assert structure(g)["a"] == ("computation", "add", ("a_1", "1"))
    assert g.node("a_1").value == 1.0
    g = from_expression("y = 5\ny = 6")
    assert (g.node("y").value, g.node("y_1").value) == (6.0, 5.0)


@pytest.mark.parametrize(
    ("text", "message", "line", "column"),
    [
        ("foo(x)", "unknown function 'foo'", 1, 1),
        ("x +", "expected an operand after '+'", 1, 4),
        ("x + * y", "expected an operand after '+'", 1, 5),
        ("x.y", "attribute access is not supported", 1, 2),
        ("[1, 2]", "lists and indexing are not supported", 1, 1),
        ("x[0]", "lists and indexing are not supported", 1, 2),
        ("lambda x: x", "lambda expressions are not supported", 1, 1),
        ("(x)(y)", "only functions can be called (write '*' to multiply)", 1, 4),
        ("exp(x)(y)", "only functions can be called (write '*' to multiply)", 1, 7),
        ("A.T", "attribute access is not supported: write transpose(A), not A.T", 1, 2),
        ("'abc'", "strings are not supported", 1, 1),
        ('x + "abc"', "strings are not supported", 1, 5),
        ("x // 2", "operator '//' is not supported", 1, 3),
        ("x % 2", "operator '%' is not supported", 1, 3),
        ("{x}", "sets and dicts are not supported", 1, 1),
        ("sin()", "function 'sin' takes 1 argument, got 0", 1, 1),
        ("sin(x, y)", "function 'sin' takes 1 argument, got 2", 1, 1),
        ("2x", "a number cannot run into a name: '2x' (write '2*x'?)", 1, 1),
        ("x y", "expected an operator after 'x', found 'y'", 1, 3),
        ("(x + 1", "'(' is never closed", 1, 1),
        ("x + 1)", "unmatched ')'", 1, 6),
        ("a = b = c", "only a plain name can be assigned", 1, 7),
        ("exp = 3", "'exp' is a function and cannot be assigned", 1, 1),
        ("x = 1\ny = x +\n", "expected an operand after '+'", 2, 8),
        ("x + 1e400", "number '1e400' is too large", 1, 5),
        ("", "empty expression", 1, 1),
        ("# only a comment", "empty expression", 1, 1),
        ("x, y", "tuples are not supported (unexpected ',')", 1, 2),
        ("import os", "'import' is not supported", 1, 1),
        ("x² + 1", "'x²' is not a valid name", 1, 1),
        ("mul(x, y)", "unknown function 'mul' ('mul' is written with an operator)", 1, 1),
    ],
)
def test_refusals_name_the_problem_and_place(text: str, message: str, line: int, column: int) -> None:
    with pytest.raises(ParseError) as info:
        from_expression(text)
    err = info.value
    assert err.message == message
    assert (err.line, err.column) == (line, column)
    shown = str(err)
    assert f"{message} at {line}:{column}" in shown
    # the source line and a caret under the column
    source_line, caret = shown.split("\n")[1:3]
    assert caret.index("^") - 2 == column - 1
    assert source_line.strip() == text.split("\n")[line - 1].strip()


def test_a_refused_token_anywhere_comes_before_a_misplaced_one() -> None:
    # as if the whole text were tokenized first: the string on line 2 is reported, not
    # the missing operand on line 1
    with pytest.raises(ParseError) as info:
        from_expression("x + * y\n'a'")
    assert (info.value.message, info.value.line, info.value.column) == ("strings are not supported", 2, 1)
    with pytest.raises(ParseError) as info:
        from_expression("(x + 1\ny = x // 2")
    err = info.value
    assert (err.message, err.line, err.column) == ("operator '//' is not supported", 2, 7)


def test_instructions_know_their_lines_and_columns() -> None:
    prog = parse("a = 1\n# note\nb = (a +\n  exp(x)) * 2; c = -b")
    got = [[(i.payload, i.line, i.column) for i in s.code] for s in prog.statements]
    assert got == [
        [(1.0, 1, 5)],
        [("a", 3, 6), ("x", 4, 7), ("exp", 4, 3), ("add", 3, 8), (2.0, 4, 13), ("mul", 4, 11)],
        [("b", 4, 21), ("neg", 4, 20)],
    ]
    assert [(s.target, s.line, s.column) for s in prog.statements] == [("a", 1, 1), ("b", 3, 1), ("c", 4, 16)]


def test_newline_after_operator_outside_parentheses_is_an_error() -> None:
    with pytest.raises(ParseError, match="expected an operand after '\\+'"):
        from_expression("x +\ny")
    assert same("(x +\ny)", "x + y")
    assert same("exp(\nx\n)", "exp(x)")


def test_nothing_is_evaluated(monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(*args: object, **kwargs: object) -> None:
        raise AssertionError("eval/exec/compile must not be used")

    for name in ("eval", "exec", "compile"):
        monkeypatch.setattr(builtins, name, refuse)
    g = from_expression("z = __import__ + 1; z * exp(x)")
    assert "__import__" in g  # just a name, an input
    with pytest.raises(ParseError):
        from_expression("__import__('os').system('true')")


def test_100000_term_sum() -> None:
    n = 100_000
    g = from_expression(" + ".join(f"x{i}" for i in range(n)))
    assert len(g) == 2 * n - 1
    assert g.edge_count() == 2 * (n - 1)


@pytest.mark.parametrize("depth", [1_000, 5_000])
def test_deep_parentheses(depth: int) -> None:
    g = from_expression("(" * depth + "x + 1" + ")" * depth)
    assert len(g) == 3
    g = from_expression("(" * depth + "x" + " + 1)" * depth)
    assert len(g) == depth + 2  # x, the constant 1, one add per level


def test_deep_prefix_and_calls_and_powers() -> None:
    assert len(from_expression("-" * 5000 + "x")) == 5001
    assert len(from_expression("tanh(" * 5000 + "x" + ")" * 5000)) == 5001
    assert len(from_expression("x" + "^x" * 5000)) == 5001


_ALPHABET = st.sampled_from(
    [
        *"xyab0123456789.eE+-*/^()=,;#\n \t'\"[]{}@:!%<>&|~$?`\\_",
        *("exp(", "sin(", "**", "lambda", "relu", "foo(", "1e400", "=", "\r\n"),
    ]
)


@settings(max_examples=examples(400), deadline=None)
@given(st.lists(_ALPHABET, max_size=40).map("".join))
def test_random_text_parses_or_raises_our_error(text: str) -> None:
    try:
        from_expression(text)
    except CgtuiError as exc:
        assert str(exc)  # the message renders
    # anything else (RecursionError, IndexError, ...) fails the test


@settings(max_examples=examples(200), deadline=None)
@given(st.text(max_size=60))
def test_any_unicode_text_parses_or_raises_our_error(text: str) -> None:
    try:
        g = from_expression(text)
    except CgtuiError:
        return
    assert len(g) >= 1
