"""Adding an operator is one entry in the op table: the entry alone makes it parsed,
printed, read and written in YAML, and differentiated.

The tests add an entry to ``OPS`` for the length of one test (``monkeypatch``) and use
the ordinary front ends; nothing else is told about the new operator.
"""

from __future__ import annotations

import dataclasses
import math

import pytest

from cgtui.core.errors import ParseError
from cgtui.core.ops import OPS, Op, d, syntax
from cgtui.engine.engine import Stepper, gradients
from cgtui.lang import printer, yamlio
from cgtui.lang.build import from_expression
from cgtui.lang.parser import NAME, NUM, parse

#: ``a % b``, Python's remainder, which has the sign of ``b``: ``a - b * floor(a / b)``.
#: Away from its jumps, d/da = 1 and d/db = -floor(a / b) = (out - a) / b.
MOD = Op(
    "mod", 2, lambda a, b: a % b,
    (d("1", lambda a, b, out: 1.0), d("(out - a) / b", lambda a, b, out: (out - a) / b)),
    symbol="%", precedence=2,
)


@pytest.fixture
def with_mod(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(OPS, "mod", MOD)


def postfix(text: str) -> list[str]:
    """The parsed code of one expression: names, numbers and op names, in postfix order."""
    code = parse(text).statements[0].code
    return [f"{ins.payload:g}" if ins.kind == NUM else str(ins.payload) for ins in code]


def test_without_the_entry_the_operator_is_refused() -> None:
    with pytest.raises(ParseError, match="operator '%' is not supported"):
        parse("x % y")


@pytest.mark.usefixtures("with_mod")
@pytest.mark.parametrize(
    ("text", "code"),
    [
        ("x % y", ["x", "y", "mod"]),
        ("x % y * 2", ["x", "y", "mod", "2", "mul"]),  # as tight as '*', grouping from the left
        ("2 * x % y", ["2", "x", "mul", "y", "mod"]),
        ("x % y % z", ["x", "y", "mod", "z", "mod"]),
        ("x + y % z", ["x", "y", "z", "mod", "add"]),
        ("x % y ^ 2", ["x", "y", "2", "pow", "mod"]),
        ("-x % y", ["x", "neg", "y", "mod"]),
        ("x % -y", ["x", "y", "neg", "mod"]),
        ("(x %\n y)", ["x", "y", "mod"]),  # a newline inside brackets continues the line
    ],
)
def test_an_added_operator_is_parsed_with_its_precedence(text: str, code: list[str]) -> None:
    assert postfix(text) == code


@pytest.mark.usefixtures("with_mod")
def test_an_added_operator_is_tokenized_and_reported_like_the_others() -> None:
    names = [str(ins.payload) for ins in parse("x%y").statements[0].code if ins.kind == NAME]
    assert names == ["x", "y"]
    with pytest.raises(ParseError, match=r"expected an operand after '%'") as info:
        parse("x % * y")
    assert (info.value.line, info.value.column) == (1, 5)


@pytest.mark.usefixtures("with_mod")
@pytest.mark.parametrize(
    ("text", "printed"),
    [
        ("x % (y % z)", "x % (y % z)"),
        ("(x % y) % z", "x % y % z"),
        ("(x + 1) % y * 2", "(x + 1) % y * 2"),
        ("x * (y % z)", "x * (y % z)"),
        ("(-x) % y", "-x % y"),
        ("x % (-2)", "x % (-2)"),
        ("(x % y) ^ 2", "(x % y) ^ 2"),
    ],
)
def test_an_added_operator_is_printed_with_as_few_brackets_as_needed(text: str, printed: str) -> None:
    g = from_expression(text)
    assert printer.expression(g) == printed
    assert from_expression(printed) == g


@pytest.mark.usefixtures("with_mod")
def test_an_added_operator_in_yaml_steps_and_program_text() -> None:
    text = """\
inputs: {x: 7, y: 3}
steps:
  r: x % y
  s: {op: '%', args: [r, 2]}
  t: {op: mod, args: [s, y]}
output: t
"""
    g = yamlio.loads(text)
    assert [(n.name, n.op) for n in g.nodes if n.op] == [("r", "mod"), ("s", "mod"), ("t", "mod")]
    saved = yamlio.dumps(g)
    assert "  r: x % y\n" in saved and "  s: r % 2\n" in saved
    assert yamlio.loads(saved) == g
    assert from_expression(printer.program(g)) == from_expression("r = x % y\ns = r % 2\nt = s % y")


@pytest.mark.usefixtures("with_mod")
def test_an_added_operator_is_differentiated_from_its_entry() -> None:
    text = "m = x % y\nL = m * x"
    at = {"x": 7.0, "y": 3.0}
    s = Stepper(from_expression(text, values=at))
    s.run_backward()
    g = s.graph
    assert s.values[g.index["L"]] == 7.0  # (7 % 3) * 7
    dx, dy = s.partials[g.index["x"]], s.partials[g.index["y"]]
    assert (dx, dy) == (8.0, -14.0)  # m + x * 1, x * (m - x) / y

    def loss(x: float, y: float) -> float:
        stepper = Stepper(from_expression(text, values={"x": x, "y": y}))
        stepper.run_forward()
        value = stepper.values[stepper.graph.index["L"]]
        assert isinstance(value, float)
        return value

    h = 1e-6
    assert dx == pytest.approx((loss(7 + h, 3) - loss(7 - h, 3)) / (2 * h), rel=1e-6)
    assert dy == pytest.approx((loss(7, 3 + h) - loss(7, 3 - h)) / (2 * h), rel=1e-6)


@pytest.mark.usefixtures("with_mod")
def test_an_added_operator_takes_the_whole_graph_passes() -> None:
    g = from_expression("m = x % y\nL = m * x", values={"x": 7.0, "y": 3.0})
    r = gradients(g)
    assert r.value == 7.0
    assert (r.partials[g.index["x"]], r.partials[g.index["y"]]) == (8.0, -14.0)


def test_a_new_symbol_is_tokenized_from_its_entry(monkeypatch: pytest.MonkeyPatch) -> None:
    with pytest.raises(ParseError, match="operator '%' is not supported"):
        parse("a % b")
    rem = Op("rem", 2, lambda a, b: a * b, (d("b", lambda a, b, out: b), d("a", lambda a, b, out: a)),
             symbol="%", precedence=2)
    monkeypatch.setitem(OPS, "rem", rem)
    assert postfix("a % b + c") == ["a", "b", "rem", "c", "add"]
    assert postfix("a + b % -c") == ["a", "b", "c", "neg", "rem", "add"]


def test_grouping_and_spellings_come_from_the_entry(monkeypatch: pytest.MonkeyPatch) -> None:
    assert postfix("a ^ b ^ c") == ["a", "b", "c", "pow", "pow"]
    assert postfix("a ** b") == ["a", "b", "pow"]
    monkeypatch.setitem(OPS, "pow", dataclasses.replace(OPS["pow"], right=False, spellings=()))
    assert postfix("a ^ b ^ c") == ["a", "b", "pow", "c", "pow"]
    assert printer.expression(from_expression("(a ^ b) ^ c")) == "a ^ b ^ c"
    assert printer.expression(from_expression("a ^ (b ^ c)")) == "a ^ (b ^ c)"
    with pytest.raises(ParseError, match="expected an operand after '\\*'"):
        parse("a ** b")  # now just two '*'


def test_two_operators_with_one_spelling_are_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(OPS, "mod", dataclasses.replace(MOD, symbol="^"))
    with pytest.raises(ValueError, match="ops 'pow' and 'mod' are both written '\\^'"):
        syntax()


def test_mod_rule_is_python_remainder() -> None:
    # the entry's own rules, checked once so that the tests above test the front ends
    assert MOD.forward(7.0, 3.0) == 1.0 and MOD.forward(-7.0, 3.0) == 2.0
    assert MOD.partials[1].rule(7.0, 3.0, 1.0) == -2.0 == -math.floor(7 / 3)
