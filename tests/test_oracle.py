"""The engine against independent oracles: the worked examples' numbers, PyTorch autograd
(float64), SymPy's diff, central differences, and the sum over paths enumerated by brute force.

Random expressions are drawn as trees and rendered three ways: as cgtui text (parsed by
cgtui), as a PyTorch computation and as a SymPy expression. Nothing here uses cgtui's op
table to compute an expected number.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from conftest import examples
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st
from worked_examples import MORE_OPS, SANITY

from cgtui.core.errors import NumericalFault
from cgtui.core.graph import Graph
from cgtui.engine.engine import Stepper, backward, forward, gradients, leaf_values, local_derivative
from cgtui.lang.build import from_expression

torch = pytest.importorskip("torch")
sympy = pytest.importorskip("sympy")

SAMPLES = Path(__file__).resolve().parent.parent / "samples"


def grads_of(g: Graph, output: str | None = None) -> tuple[float, dict[str, float]]:
    r = gradients(g, output=output)
    leaves = [i for i, n in enumerate(g.nodes) if n.op is None and r.partials[i] is not None]
    return r.value, {g.nodes[i].name: float(r.partials[i] or 0.0) for i in leaves}


# --- the worked examples -------------------------------------------------------------------------

WORKED = [
    (
        "1 squared error",
        "z = w*x\nyhat = z + b\nd = yhat - y\nL = d^2",
        {"w": 0.5, "x": 2, "b": 0.1, "y": 1},
        0.01,
        {"w": 0.4, "x": 0.1, "b": 0.2, "y": -0.2},
    ),
    ("2 branching", "s = x + y\nf = s * x", {"x": 3, "y": 2}, 15, {"x": 8, "y": 3}),
    (
        "3 two-feature regression",
        "L = (w1*x1 + w2*x2 + b - y)^2",
        {"w1": 1, "x1": 2, "w2": -1, "x2": 0.5, "b": 0.25, "y": 1},
        0.5625,
        {"w1": 3, "x1": 1.5, "w2": 0.75, "x2": -1.5, "b": 1.5, "y": -1.5},
    ),
    (
        "5a micrograd sanity",
        SANITY,
        {"x": -4},
        -20,
        {"x": 46},
    ),
    (
        "5b micrograd more ops",
        MORE_OPS,
        {"a": -4, "b": 2},
        24.70408163265306,
        {"a": 138.83381924198252, "b": 645.5772594752186},
    ),
]


@pytest.mark.parametrize(("title", "text", "values", "value", "grads"), WORKED, ids=[w[0] for w in WORKED])
def test_worked_examples(
    title: str, text: str, values: dict[str, float], value: float, grads: dict[str, float]
) -> None:
    text = "\n".join(line.strip() for line in text.strip().splitlines())
    g = from_expression(text, values=values)
    got_value, got = grads_of(g)
    assert got_value == pytest.approx(value, rel=1e-13, abs=1e-15)
    for name, expected in grads.items():
        assert got[name] == pytest.approx(expected, rel=1e-13, abs=1e-15), name
    # the stepper, one node at a time, gets the very same numbers
    s = Stepper(g)
    s.run_backward()
    for name in grads:
        assert s.partials[g.index[name]] == got[name]


SAMPLE_FILES: dict[str, tuple[float, dict[str, float]]] = {
    "squared_error.yaml": (0.01, {"w": 0.4, "x": 0.1, "b": 0.2, "y": -0.2}),
    "branching.yaml": (15, {"x": 8, "y": 3}),
    "two_feature_regression.yaml": (
        0.5625, {"w1": 3, "x1": 1.5, "w2": 0.75, "x2": -1.5, "b": 1.5, "y": -1.5}
    ),
    "micrograd_sanity.yaml": (-20, {"x": 46}),
    "micrograd_more_ops.yaml": (24.70408163265306, {"a": 138.83381924198252, "b": 645.5772594752186}),
}


@pytest.mark.parametrize("name", sorted(SAMPLE_FILES))
def test_worked_examples_from_the_samples(name: str) -> None:
    from cgtui.lang.source import load_source

    path = SAMPLES / name
    if not path.exists():
        pytest.skip(f"{name} is not among the samples")
    value, grads = SAMPLE_FILES[name]
    got_value, got = grads_of(load_source(str(path)))
    assert got_value == pytest.approx(value, rel=1e-13)
    for leaf, expected in grads.items():
        assert got[leaf] == pytest.approx(expected, rel=1e-13, abs=1e-15), leaf


def test_worked_example_4_ladder_counts() -> None:
    from cgtui.engine.paths import costs, count_paths

    levels = 30
    lines = [f"a{k + 1} = tanh(a{k}*a{k} + a{k})" for k in range(levels)]
    g = from_expression("\n".join(lines), values={"a0": 0.3})
    a0, out = g.index["a0"], g.outputs[0]
    assert count_paths(g, a0, out) == 3**30 == 205_891_132_094_649
    cost = costs(g, a0, out)
    assert cost.backprop_edges == 5 * levels == 150
    assert cost.paths == 3**30
    # and the partial it stands for, against PyTorch
    a = torch.tensor(0.3, dtype=torch.float64, requires_grad=True)
    v = a
    for _ in range(levels):
        v = torch.tanh(v * v + v)
    v.backward()
    assert gradients(g).partials[a0] == pytest.approx(a.grad.item(), rel=1e-12)


# --- random expressions ---------------------------------------------------------------------------

VARS = ("x", "y", "z")
Tree = tuple[Any, ...]

UNARY = (
    "neg", "tanh", "sin", "cos", "sigmoid", "exp_tanh",
    "log1p_sq", "sqrt1p_sq", "square", "cube", "relu", "abs",
)
BINARY = ("add", "sub", "mul", "div_1p_sq", "pow_pos")
SMOOTH_UNARY = tuple(u for u in UNARY if u not in ("relu", "abs"))


def trees(unary: tuple[str, ...], leaves: tuple[str, ...] = VARS) -> st.SearchStrategy[Tree]:
    leaf = st.one_of(
        st.sampled_from(leaves).map(lambda v: ("var", v)),
        st.sampled_from([0.5, 2.0, 3.0, -1.5]).map(lambda c: ("const", c)),
    )
    return st.recursive(
        leaf,
        lambda kids: st.one_of(
            st.tuples(st.just("un"), st.sampled_from(unary), kids),
            st.tuples(st.just("bin"), st.sampled_from(BINARY), kids, kids),
        ),
        max_leaves=14,
    )


def render(t: Tree) -> str:
    """cgtui text, fully parenthesised."""
    kind = t[0]
    if kind == "var":
        return str(t[1])
    if kind == "const":
        return repr(t[1]) if t[1] >= 0 else f"({t[1]!r})"
    if kind == "un":
        op, c = t[1], render(t[2])
        return {
            "neg": f"(-{c})",
            "tanh": f"tanh({c})",
            "sin": f"sin({c})",
            "cos": f"cos({c})",
            "sigmoid": f"sigmoid({c})",
            "exp_tanh": f"exp(tanh({c}))",
            "log1p_sq": f"log(1 + {c}*{c})",
            "sqrt1p_sq": f"sqrt(1 + {c}^2)",
            "square": f"(({c})^2)",
            "cube": f"({c}**3)",
            "relu": f"relu({c})",
            "abs": f"abs({c})",
        }[op]
    op, a, b = t[1], render(t[2]), render(t[3])
    return {
        "add": f"({a} + {b})",
        "sub": f"({a} - {b})",
        "mul": f"({a} * {b})",
        "div_1p_sq": f"({a} / (1 + {b}*{b}))",
        "pow_pos": f"((1 + {a}*{a}) ^ tanh({b}))",
    }[op]


def interpret(t: Tree, env: dict[str, Any], lib: dict[str, Callable[..., Any]]) -> Any:
    """Evaluate a tree with another library's functions (iteratively: no recursion)."""
    results: dict[int, Any] = {}
    stack: list[tuple[Tree, bool]] = [(t, False)]
    while stack:
        node, ready = stack.pop()
        kind = node[0]
        if kind == "var":
            results[id(node)] = env[node[1]]
        elif kind == "const":
            results[id(node)] = lib["const"](node[1])
        elif not ready:
            stack.append((node, True))
            stack.extend((kid, False) for kid in node[2:])
        elif kind == "un":
            results[id(node)] = lib[node[1]](results[id(node[2])])
        else:
            results[id(node)] = lib[node[1]](results[id(node[2])], results[id(node[3])])
    return results[id(t)]


TORCH: dict[str, Callable[..., Any]] = {
    "const": lambda c: torch.tensor(c, dtype=torch.float64),
    "neg": lambda a: -a,
    "tanh": torch.tanh,
    "sin": torch.sin,
    "cos": torch.cos,
    "sigmoid": torch.sigmoid,
    "exp_tanh": lambda a: torch.exp(torch.tanh(a)),
    "log1p_sq": lambda a: torch.log(1 + a * a),
    "sqrt1p_sq": lambda a: torch.sqrt(1 + a**2),
    "square": lambda a: a**2,
    "cube": lambda a: a**3,
    "relu": torch.relu,
    "abs": torch.abs,
    "add": lambda a, b: a + b,
    "sub": lambda a, b: a - b,
    "mul": lambda a, b: a * b,
    "div_1p_sq": lambda a, b: a / (1 + b * b),
    "pow_pos": lambda a, b: (1 + a * a) ** torch.tanh(b),
}

SYMPY: dict[str, Callable[..., Any]] = {
    "const": lambda c: sympy.Float(c) if c != int(c) else sympy.Integer(int(c)),
    "neg": lambda a: -a,
    "tanh": sympy.tanh,
    "sin": sympy.sin,
    "cos": sympy.cos,
    "sigmoid": lambda a: 1 / (1 + sympy.exp(-a)),
    "exp_tanh": lambda a: sympy.exp(sympy.tanh(a)),
    "log1p_sq": lambda a: sympy.log(1 + a * a),
    "sqrt1p_sq": lambda a: sympy.sqrt(1 + a**2),
    "square": lambda a: a**2,
    "cube": lambda a: a**3,
    "relu": lambda a: sympy.Piecewise((a, a > 0), (0, True)),
    "abs": sympy.Abs,
    "add": lambda a, b: a + b,
    "sub": lambda a, b: a - b,
    "mul": lambda a, b: a * b,
    "div_1p_sq": lambda a, b: a / (1 + b * b),
    "pow_pos": lambda a, b: (1 + a * a) ** sympy.tanh(b),
}

coordinate = st.floats(min_value=-2.0, max_value=2.0).map(lambda x: round(x, 4))
points = st.fixed_dictionaries({v: coordinate for v in VARS})


def program(t1: Tree, t2: Tree) -> str:
    """Two statements, the second using the first (a shared intermediate ``t``)."""
    return f"t = {render(t1)}\nL = {render(t2)}"


def cgtui_grads(text: str, env: dict[str, float]) -> tuple[Graph, float, dict[str, float]] | None:
    g = from_expression(text)
    used = {v: env[v] for v in VARS if v in g}
    try:
        r = gradients(g, used)  # the output: L, or what L names when it is a bare leaf
    except NumericalFault:
        return None
    return g, r.value, {v: (r.partials[g.index[v]] or 0.0) for v in used}


ORACLE_SETTINGS = settings(
    max_examples=examples(150), deadline=None, suppress_health_check=[HealthCheck.too_slow]
)


def test_rendering_brackets_a_square_inside_a_power() -> None:
    """cube(square(x)) is (x^2)^3 = x^6, not x^(2^3): render() must bracket the square
    (it once wrote ``((x)^2**3)``, which parses as x^8, and hypothesis hit it at random)."""
    tree = ("un", "cube", ("un", "square", ("var", "x")))
    got = cgtui_grads(program(("var", "x"), tree), {"x": 1.5, "y": 0.0, "z": 0.0})
    assert got is not None
    _, value, grads = got
    assert value == pytest.approx(1.5**6, rel=1e-12)
    assert grads["x"] == pytest.approx(6 * 1.5**5, rel=1e-12)


@ORACLE_SETTINGS
@given(t1=trees(UNARY), t2=trees(UNARY, (*VARS, "t")), env=points)
def test_random_expressions_against_pytorch(t1: Tree, t2: Tree, env: dict[str, float]) -> None:
    text = program(t1, t2)
    got = cgtui_grads(text, env)
    assume(got is not None)
    assert got is not None
    _, value, grads = got
    tenv = {v: torch.tensor(env[v], dtype=torch.float64, requires_grad=True) for v in VARS}
    tenv["t"] = interpret(t1, tenv, TORCH)
    out = interpret(t2, tenv, TORCH)
    assert value == pytest.approx(out.item(), rel=1e-12, abs=1e-12)
    if not out.requires_grad:
        return  # the expression is a constant
    out.backward()
    for v, grad in grads.items():
        expected = 0.0 if tenv[v].grad is None else tenv[v].grad.item()
        assert grad == pytest.approx(expected, rel=1e-9, abs=1e-9), (text, v)


@settings(max_examples=examples(60), deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(t1=trees(UNARY), t2=trees(UNARY, (*VARS, "t")), env=points)
def test_random_expressions_against_sympy(t1: Tree, t2: Tree, env: dict[str, float]) -> None:
    text = program(t1, t2)
    got = cgtui_grads(text, env)
    assume(got is not None)
    assert got is not None
    _, value, grads = got
    syms = {v: sympy.Symbol(v, real=True) for v in VARS}
    senv: dict[str, Any] = dict(syms)
    senv["t"] = interpret(t1, senv, SYMPY)
    expr = interpret(t2, senv, SYMPY)
    subs = {syms[v]: sympy.Float(env[v], 30) for v in VARS}
    assert value == pytest.approx(float(expr.evalf(30, subs=subs)), rel=1e-11, abs=1e-11)
    for v, grad in grads.items():
        expected = sympy.diff(expr, syms[v]).evalf(30, subs=subs)
        assume(expected.is_real)  # sign(0) etc. are fine; nan from 0/0 limits is not
        assert grad == pytest.approx(float(expected), rel=1e-9, abs=1e-9), (text, v)


@ORACLE_SETTINGS
@given(t1=trees(SMOOTH_UNARY), t2=trees(SMOOTH_UNARY, (*VARS, "t")), env=points)
def test_random_expressions_against_central_differences(t1: Tree, t2: Tree, env: dict[str, float]) -> None:
    text = program(t1, t2)
    got = cgtui_grads(text, env)
    assume(got is not None)
    assert got is not None
    g, _, grads = got
    for v, grad in grads.items():
        h = 1e-5
        trial = dict(env)
        trial[v] = env[v] + h
        up = gradients(g, {k: trial[k] for k in grads}).value
        trial[v] = env[v] - h
        down = gradients(g, {k: trial[k] for k in grads}).value
        numeric = (up - down) / (2 * h)
        assert grad == pytest.approx(numeric, rel=1e-4, abs=1e-5), (text, v)


@settings(max_examples=examples(100), deadline=None)
@given(t1=trees(UNARY), t2=trees(UNARY, (*VARS, "t")), env=points)
def test_stepper_and_full_pass_give_identical_numbers(t1: Tree, t2: Tree, env: dict[str, float]) -> None:
    g = from_expression(program(t1, t2))
    values = leaf_values(g, {v: env[v] for v in VARS if v in g})
    out = g.outputs[0]
    try:
        vals = forward(g, values)
        grads = backward(g, vals, out)
    except NumericalFault as fault:
        s = Stepper(g, None, {v: env[v] for v in VARS if v in g})
        r = s.run_backward()
        assert r.kind == "fault"
        assert str(fault) in r.lines
        return
    s = Stepper(g, None, {v: env[v] for v in VARS if v in g})
    s.run_backward()
    assert s.values == vals
    on_path = [grads[i] for i in range(len(g.nodes))]
    assert s.partials == on_path


# --- the ledger and the sum over paths ----------------------------------------------------------


Edges = list[tuple[int, int]]


def enumerate_paths(g: Graph, source: int, output: int, limit: int = 20_000) -> list[Edges] | None:
    """Every path source -> output as a list of edges (result, slot), by brute force."""
    succs: list[list[tuple[int, int]]] = [[] for _ in g.nodes]
    for i, n in enumerate(g.nodes):
        for slot, p in enumerate(n.operands):
            succs[p].append((i, slot))
    paths: list[list[tuple[int, int]]] = []
    stack: list[tuple[int, list[tuple[int, int]]]] = [(source, [])]
    while stack:
        node, edges = stack.pop()
        if node == output:
            paths.append(edges)
            if len(paths) > limit:
                return None
            continue
        for s, slot in succs[node]:
            stack.append((s, [*edges, (s, slot)]))
    return paths


@settings(max_examples=examples(80), deadline=None)
@given(t1=trees(SMOOTH_UNARY), t2=trees(SMOOTH_UNARY, (*VARS, "t")), env=points)
def test_each_partial_is_the_sum_over_paths_and_the_sum_of_its_ledger(
    t1: Tree, t2: Tree, env: dict[str, float]
) -> None:
    from cgtui.engine.paths import count_paths, top_paths

    g = from_expression(program(t1, t2))
    s = Stepper(g, None, {v: env[v] for v in VARS if v in g})
    r = s.run_backward()
    assume(r.kind == "backward")
    out = g.outputs[0]
    for i in range(len(g.nodes)):
        if not s.ledger[i]:
            continue
        total = 0.0
        for push in s.ledger[i]:
            total += push.contribution
        assert s.partials[i] == total
        paths = enumerate_paths(g, i, out)
        if paths is None:
            continue
        by_paths = 0.0
        for path in paths:
            product = 1.0
            for result, slot in path:
                d, problem = local_derivative(g, result, slot, s.values)
                assert problem is None and d is not None
                product *= d
            by_paths += product
        assert s.partials[i] == pytest.approx(by_paths, rel=1e-9, abs=1e-12)
        assert count_paths(g, i, out) == len(paths)
        report = top_paths(g, s.values, i, out, k=3)
        assert report.count == len(paths)
        assert report.total == pytest.approx(by_paths, rel=1e-9, abs=1e-12)
        listed = sum(p.product for p in report.paths)
        assert math.isclose(listed + report.rest_sum, report.total, rel_tol=1e-9, abs_tol=1e-12)
