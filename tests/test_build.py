"""Building graphs from expressions: merging, naming, kinds and values."""

from __future__ import annotations

import itertools

import pytest
from conftest import examples, structure
from hypothesis import example, given, settings
from hypothesis import strategies as st

from cgtui.core.errors import CgtuiError, GraphError, ParseError
from cgtui.core.graph import Kind
from cgtui.lang import build, source
from cgtui.lang.build import Step, build_steps, const_name, from_expression
from cgtui.lang.parser import NAME, NUM, OP, Instr, parse


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
    assert sorted(g.nodes[s].name for s, _ in g.successors(g.lookup("v1"))) == ["v2", "v2", "v3"]


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


# --- steps: the same builder, for named steps in any order (YAML's 'steps:') ---------------


def _steps(**texts: str) -> list[Step]:
    return [Step(name, parse(text).statements[0].code, line=k + 1, column=1) for k, (name, text) in
            enumerate(texts.items())]


_LEAVES: dict[str, tuple[Kind, float | None]] = {
    "w": (Kind.PARAM, 0.5), "x": (Kind.INPUT, 2.0), "b": (Kind.PARAM, 0.1), "y": (Kind.LABEL, 1.0),
}


def test_steps_in_any_order_build_what_the_same_statements_build() -> None:
    steps = _steps(L="(yhat - y)^2 / 2", yhat="z + b", z="w * x")
    g = build_steps(steps, declared=_LEAVES)
    assert [n.name for n in g.nodes] == ["w", "x", "b", "y", "z", "yhat", "v1", "2", "v2", "L"]
    text = "z = w * x\nyhat = z + b\nL = (yhat - y)^2 / 2"
    values = {n: v for n, (_, v) in _LEAVES.items() if v is not None}
    same = from_expression(text, params={"w", "b"}, labels={"y"}, values=values)
    g.outputs = [g.index["L"]]
    assert g == same


def test_steps_given_order_is_kept_where_free() -> None:
    g = build_steps(_steps(L="d ^ two", d="a - b"),
                    declared={"a": (Kind.INPUT, None), "b": (Kind.INPUT, None), "two": (Kind.CONST, 2.0)})
    assert [n.name for n in g.nodes] == ["a", "b", "two", "d", "L"]
    assert g.output_names == ["L"]


def test_a_later_step_equal_to_an_intermediate_is_that_intermediate() -> None:
    declared: dict[str, tuple[Kind, float | None]] = {"x": (Kind.INPUT, 1.0), "y": (Kind.INPUT, 2.0)}
    g = build_steps(_steps(c="exp(x * y)", a="x * y", b="x * y"), declared=declared)
    s = structure(g)
    assert s["c"] == ("computation", "exp", ("a",))
    assert s["a"] == s["b"] == ("computation", "mul", ("x", "y"))  # named steps stay two nodes
    assert not any(n.startswith("v") for n in s)
    tree = build_steps(_steps(c="exp(x * y)", a="x * y"), declared=declared, merge=False)
    assert structure(tree)["c"] == ("computation", "exp", ("v1",))


def test_steps_with_a_number_or_a_negated_number() -> None:
    declared: dict[str, tuple[Kind, float | None]] = {"x": (Kind.INPUT, 1.0)}
    g = build_steps([*_steps(k="-3", z="k * x"), Step("n", [Instr(NUM, 3.0, 1, 1), Instr(OP, "neg", 1, 1)],
                                                       fold=False)], declared=declared)
    assert (g.node("k").kind, g.node("k").value) == (Kind.CONST, -3.0)
    assert structure(g)["n"] == ("computation", "neg", ("3",))


@pytest.mark.parametrize(
    ("texts", "message", "line"),
    [
        ({"z": "a * aa"}, "undefined name 'aa' in step 'z' (did you mean 'a'?)", 1),
        ({"p": "q + a", "q": "p * a"}, "cycle: p -> q -> p", 1),
        ({"q": "a + 1", "p": "r * a", "r": "p + q"}, "cycle: p -> r -> p", 2),
        ({"s": "2 * s"}, "cycle: s -> s", 1),
        ({"z": "a * 2", "y": "z"}, "step 'y' only repeats 'z'; a step must compute something", 2),
    ],
)
def test_step_errors(texts: dict[str, str], message: str, line: int) -> None:
    declared: dict[str, tuple[Kind, float | None]] = {"a": (Kind.INPUT, None)}
    with pytest.raises(GraphError) as info:
        build_steps(_steps(**texts), declared=declared, source="\n".join(texts.values()), file="f.yaml")
    assert info.value.message == message
    assert info.value.line == line
    assert info.value.file == "f.yaml"


def test_duplicate_step_names() -> None:
    with pytest.raises(GraphError, match="duplicate name 'a'"):
        build_steps([*_steps(a="x + 1"), *_steps(a="x * 2")], declared={"x": (Kind.INPUT, None)})
    with pytest.raises(GraphError, match="duplicate name 'x'"):
        build_steps(_steps(x="x + 1"), declared={"x": (Kind.INPUT, None)})


def _chain(n: int) -> list[Step]:
    """n{i} = sin(n{i-1}), n0 = sin(x), listed last step first."""
    return [
        Step(f"n{i}", [Instr(NAME, f"n{i - 1}" if i else "x", 1, 1), Instr(OP, "sin", 1, 1)])
        for i in reversed(range(n))
    ]


def test_100k_steps_in_reverse_order_build_without_recursion() -> None:
    n = 100_000
    g = build_steps(_chain(n), declared={"x": (Kind.INPUT, 0.5)})
    assert [nd.name for nd in g.nodes[:3]] == ["x", "n0", "n1"]
    assert g.output_names == [f"n{n - 1}"]
    assert all(nd.operands == (i - 1,) for i, nd in enumerate(g.nodes) if i)


def test_100k_step_cycle_is_found() -> None:
    n = 100_000
    steps = _chain(n)
    steps[-1] = Step("n0", [Instr(NAME, f"n{n - 1}", 1, 1), Instr(OP, "sin", 1, 1)])  # closes the ring
    with pytest.raises(GraphError, match=r"^cycle: n\d+ -> "):
        build_steps(steps, declared={"x": (Kind.INPUT, 0.5)})


# --- the one-loop fast path of from_expression ----------------------------------------------


def _built(text: str, fast: bool, monkeypatch: pytest.MonkeyPatch, **kw: object) -> object:
    """Everything from_expression makes of ``text`` (nodes in order, outputs, aliases), or
    the error it raises, with the fast path on or off."""
    monkeypatch.setattr(build, "FAST_PATH", fast)
    try:
        g = from_expression(text, **kw)  # type: ignore[arg-type]
    except CgtuiError as exc:
        return (type(exc).__name__, str(exc))
    nodes = [(n.name, n.kind.value, n.op, n.operands, n.value) for n in g.nodes]
    return nodes, g.outputs, g.aliases, g.title


_PIECES = st.sampled_from(
    [
        *"xyab0123456789.eE+-*/^()=,;#\n \t'\"[]{}@:!%<>&|~$?`\\_",
        *("exp(", "sin(", "sum_axis(", "**", "lambda", "relu", "foo(", "1e400", "=", "\r\n", "x = ", "2x"),
        *("sum(", "axis=", "v1", "out", "x_1", "ｘ", "x²", "neg(", "3", "-3", "(x + y)", "x * x", "1.5"),
        *("2_0", "1_", " if ", "in", "1.e5", "é", "\r", "\f", "# c\n", "==", "//", "x\\\ny"),
    ]
)


def _expressions() -> st.SearchStrategy[str]:
    """Well-formed expression text (often with statements), to reach the fast path's
    successes as often as its refusals."""
    leaf = st.sampled_from(["x", "y", "a", "b", "v1", "out", "2", "0.5", "3", "-1", "1e-3", "exp"])
    functions = st.sampled_from(["exp", "sin", "tanh", "relu", "log"])
    expr = st.recursive(
        leaf,
        lambda inner: st.one_of(
            st.tuples(inner, st.sampled_from(["+", "-", "*", "/", "^", "**"]), inner).map(" ".join),
            inner.map(lambda e: f"-{e}"),
            inner.map(lambda e: f"+{e}"),
            inner.map(lambda e: f"({e})"),
            inner.map(lambda e: f"(\n{e}\n)"),
            st.tuples(functions, inner).map("{0[0]}({0[1]})".format),
            st.tuples(inner, inner).map(lambda t: f"sum_axis({t[0]}, {t[1]})"),  # an op on arrays
        ),
        max_leaves=12,
    )
    target = st.sampled_from(["x", "y", "z", "v1", "c", "out"])
    statement = st.one_of(expr, st.tuples(target, expr).map(" = ".join))
    separator = st.sampled_from(["\n", "; ", "\n\n", "  # note\n"])
    return st.tuples(st.lists(statement, min_size=1, max_size=4), separator).map(lambda t: t[1].join(t[0]))


@settings(max_examples=examples(400), deadline=None)
@given(
    st.one_of(_expressions(), st.lists(_PIECES, max_size=30).map("".join)),
    st.booleans(),
    st.sampled_from([1, 5, 1 << 16]),
)
def test_the_fast_path_builds_what_the_parser_and_builder_build(text: str, merge: bool, block: int) -> None:
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(build, "_BLOCK", block)  # the text scanned a few characters at a time, or at once
        assert _built(text, True, mp, merge=merge) == _built(text, False, mp, merge=merge)


def _runs() -> st.SearchStrategy[str]:
    """Statements that are runs of one op over names (``a + b + c + d``), often new names,
    sometimes a name again, a number, a reserved word or another op in the middle; often
    one run again, so that merging finds it."""
    plain = st.integers(0, 40).map("n{}".format)
    odd = st.sampled_from(["a", "sin", "if", "é", "2", "v1", "(a)", "c*d", "-e", "1e400"])
    names = st.one_of(plain, plain, plain, odd)
    op = st.sampled_from([" + ", " - ", " * ", "+", " +\n", " # c\n+ "])
    terms = st.one_of(
        st.lists(names, min_size=2, max_size=16), st.lists(names, min_size=4, max_size=16, unique=True)
    )
    run = st.tuples(terms, op).map(lambda t: t[1].join(t[0]))
    statement = st.one_of(run, st.tuples(st.sampled_from(["s", "t", "a"]), run).map(" = ".join))
    return st.lists(statement, min_size=1, max_size=3).flatmap(
        lambda found: st.sampled_from([found, found + found[:1], found[:1] * 2]).map("\n".join)
    )


@settings(max_examples=examples(300), deadline=None)
@given(_runs(), st.booleans(), st.sampled_from([1, 2, 8]), st.sampled_from([7, 1 << 16]))
@example("n0 + n1 + n2 + n3 + n2 + n4", True, 1, 1 << 16)  # a name twice in one run
@example("n0 + n1 + n2 + if + n3", True, 1, 1 << 16)  # a reserved word
@example("n0 + n1 + n2 + ｘ + n3", True, 1, 1 << 16)  # a name the parser writes as 'x'
@example("n0 + n1 + n2 + n3 + n4\nn0 + n1 + n2 + n3 + n4", True, 1, 1 << 16)  # merged again
def test_runs_made_at_once_build_what_the_parser_and_builder_build(
    text: str, merge: bool, shortest: int, block: int
) -> None:
    """The fast path makes a run of one op over new names in one go (and a merged run's
    memo entries only when the run is met again): node for node what the builder makes."""
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(build, "_RUN", shortest)
        mp.setattr(build, "_BLOCK", block)
        assert _built(text, True, mp, merge=merge) == _built(text, False, mp, merge=merge)


@settings(max_examples=examples(200), deadline=None)
@given(
    st.lists(st.sampled_from(["+", "+", "+", "*", "x"]), max_size=300),
    st.integers(0, 20),
    st.integers(0, 320),
    st.sampled_from([1, 2, 8]),
)
def test_a_run_is_measured_in_doubling_slices_as_one_slice_would(
    pieces: list[str], start: int, limit: int, shortest: int
) -> None:
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(build, "_RUN", shortest)
        found = build._run_length(pieces, start, limit, "+")
    assert found == len(list(itertools.takewhile("+".__eq__, pieces[start:limit:2])))


@pytest.mark.parametrize(
    "kw",
    [
        {"params": {"n3", "n7"}, "labels": {"n5"}, "consts": {"n9"}, "values": {"n1": 1.5, "n9": 2.0}},
        {"values": {f"n{i}": float(i) for i in range(20)}},
        {"values": {"n4": 1.0, "q": 2.0}},  # a value for a name the text does not use: refused
    ],
)
def test_a_run_made_at_once_takes_kinds_and_values_as_the_builder_does(kw: dict[str, object]) -> None:
    text = "s = " + " + ".join(f"n{i}" for i in range(20)) + "\ns * n3"
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(build, "_RUN", 2)
        assert _built(text, True, mp, **kw) == _built(text, False, mp, **kw)


@pytest.mark.parametrize("merge", [True, False])
def test_a_long_run_met_again_merges_node_for_node(merge: bool) -> None:
    terms = [f"x{i}" for i in range(3000)]
    text = f"a = {' + '.join(terms)}\nb = {' + '.join(terms[:2000])}\nc = {' + '.join(terms)} + y\na * b * c"
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(build, "_BLOCK", 1 << 10)  # (runs cut at the ends of blocks)
        fast = _built(text, True, mp, merge=merge)
        assert fast == _built(text, False, mp, merge=merge)
    nodes = fast[0]  # type: ignore[index]
    assert len(nodes) == (3000 + 2999 + 1 + 1 + 2 if merge else 3000 + 2999 + 1999 + 3000 + 1 + 2)


@pytest.mark.parametrize(
    "kw",
    [
        {"values": {"x": 1.5, "y": 2}},
        {"values": {"c": 4.0}},  # an assigned constant's value
        {"params": {"x"}, "consts": {"y"}},
        {"labels": {"b"}, "values": {"b": -0.0}},
        {"values": {"z": 1.0}},  # assigned: refused
        {"values": {"q": 1.0}},  # unused: refused
        {"params": {"q"}},
    ],
)
def test_the_fast_path_takes_kinds_and_values_as_the_builder_does(kw: dict[str, object]) -> None:
    text = "c = 3\nz = x*y + c\nz - exp(b) + sigmoid(x / 2)"
    with pytest.MonkeyPatch.context() as mp:
        assert _built(text, True, mp, **kw) == _built(text, False, mp, **kw)


@pytest.mark.parametrize(
    "text",
    ["x + y*z", "a = x*y\nb = a + 3\n-b", "exp(-x) + 2*3", "x = x + 1\nx*2", "-3", "relu(x); z = y\nz + 1"],
)
def test_the_fast_path_takes_the_common_texts(text: str, monkeypatch: pytest.MonkeyPatch) -> None:
    assert build._fast_program(text, {}, {}, True) is not None
    monkeypatch.setattr(build, "_BLOCK", 1)
    assert build._fast_program(text, {}, {}, True) is not None


@pytest.mark.parametrize(
    "text",
    [
        *("x +", "2x", "2_0 + x", "x²", "lambda", "x + if", "if = 2"),
        *("sum(A, axis=0)", "(x", "x)", "f(x)", "x = "),
    ],
)
def test_the_fast_path_leaves_the_rest_to_the_parser(text: str) -> None:
    assert build._fast_program(text, {}, {}, True) is None


# --- --at values: plain pairs are read in one split ---------------------------------------------


_AT_NAMES = st.sampled_from(["x", "y1", "_a", "lambda", "1x", "", "é", "x y", "ｘ"])
_AT_NUMBERS = st.sampled_from(
    [
        *("1", "-0", ".5", "1.", "1e5", "1E-3", "+2", "-", ".", "1e", "1e999", "1e308", "1_0", "inf", "-nan"),
        *("--1", "1.2.3", "", " 1", "0x1", "٣"),
    ]
)
_AT_PAIR = st.tuples(_AT_NAMES, st.sampled_from(["=", "=", "==", ""]), _AT_NUMBERS).map("".join)
_AT_ITEM = st.tuples(st.sampled_from([",", ",", ",,"]), st.lists(_AT_PAIR, min_size=1, max_size=3)).map(
    lambda t: t[0].join(t[1])
)


@settings(max_examples=examples(400), deadline=None)
@given(st.lists(_AT_ITEM, min_size=1, max_size=3))
def test_plain_at_values_read_as_the_general_loop_reads_them(items: list[str]) -> None:
    def read(plain: bool) -> object:
        with pytest.MonkeyPatch.context() as mp:
            if not plain:
                mp.setattr(source, "_plain_assignments", lambda items: None)
            try:
                return repr(source.parse_assignments(items))
            except CgtuiError as exc:
                return str(exc)

    assert read(True) == read(False)


def test_plain_at_values_take_the_fast_way() -> None:
    items = ["x0=0.5,x1=-0,x2=1e-3", "y=2"]
    assert source._plain_assignments(items) == {"x0": 0.5, "x1": 0.0, "x2": 0.001, "y": 2.0}
    assert source._plain_assignments(["x=1,x=2"]) is None  # the loop names the name given twice
