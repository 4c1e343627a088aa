"""Forward mode, the whole Jacobian, the backward pass as a graph, Hessians and HVPs:
against PyTorch (float64) and SymPy on random expressions and on every sample, and
against cgtui's own reverse mode, exactly where the issue asks for it."""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

import pytest
from conftest import examples, scalar_samples
from hypothesis import HealthCheck, assume, given, settings
from test_oracle import SYMPY, TORCH, UNARY, VARS, Tree, interpret, points, program, trees

from cgtui.cli import main
from cgtui.core.errors import CgtuiError, NumericalFault
from cgtui.core.graph import Graph, Kind, Node
from cgtui.engine.backward_graph import backward_graph, hessian, hvp
from cgtui.engine.engine import backward, forward, gradients, leaf_values
from cgtui.engine.forward import TangentStepper, jvp
from cgtui.engine.jacobian import jacobian, pass_counts
from cgtui.lang import yamlio
from cgtui.lang.build import from_expression

torch = pytest.importorskip("torch")
sympy = pytest.importorskip("sympy")

ROOT = Path(__file__).resolve().parent.parent
SAMPLES = scalar_samples(sorted((ROOT / "samples").glob("*.y*ml")))  # jacobian, hessian ... take scalars
IDS = [p.stem for p in SAMPLES]
SETTINGS = settings(max_examples=examples(80), deadline=None, suppress_health_check=[HealthCheck.too_slow])

BRANCHING = "s = x + y\nf = s * x"  # f = (x + y) x: df/dx = 2x + y, df/dy = x


def cli_json(capsys: pytest.CaptureFixture[str], *argv: str) -> Any:
    assert main(list(argv)) == 0
    return json.loads(capsys.readouterr().out)


def leaf_names(g: Graph) -> list[str]:
    return [n.name for n in g.nodes if n.op is None and n.kind is not Kind.CONST]


# --- worked by hand -------------------------------------------------------------------------


def test_jvp_of_the_branching_example(capsys: pytest.CaptureFixture[str]) -> None:
    doc = cli_json(capsys, "jvp", BRANCHING, "--at", "x=3,y=2", "--tangent", "x=1,y=0", "--json")
    assert doc == {"output": "f", "value": 15.0, "tangent": {"x": 1.0, "y": 0.0}, "jvp": 8.0}
    doc = cli_json(capsys, "jvp", BRANCHING, "--at", "x=3,y=2", "--tangent", "x=2,y=-1", "--json")
    assert doc["jvp"] == 2 * 8 - 3


def test_jvp_with_several_outputs_maps_each(capsys: pytest.CaptureFixture[str]) -> None:
    path = ROOT / "samples" / "forward_wins.yaml"
    g = yamlio.load(path)
    assert len(g.outputs) > 1
    doc = cli_json(capsys, "jvp", str(path), "--tangent", f"{leaf_names(g)[0]}=1", "--json")
    assert doc["outputs"] == g.output_names
    assert set(doc["jvp"]) == set(g.output_names) == set(doc["value"])
    one = cli_json(
        capsys,
        "jvp",
        str(path),
        "--tangent",
        f"{leaf_names(g)[0]}=1",
        "--output",
        g.output_names[1],
        "--json",
    )
    assert one["output"] == g.output_names[1]
    assert one["jvp"] == doc["jvp"][g.output_names[1]]


def test_tangent_steps_write_the_rule_out() -> None:
    g = from_expression(BRANCHING, values={"x": 3, "y": 2})
    st = TangentStepper(g, {"x": 1})
    r = st.step()
    assert r.lines == ["s = x + y = 3 + 2 = 5", "ds/dx = 1 · dx/dx + 1 · dy/dx = 1 · 1 + 1 · 0 = 1"]
    r = st.step()
    assert r.lines[1] == "df/dx = x · ds/dx + s · dx/dx = 3 · 1 + 5 · 1 = 8"
    assert st.complete and st.step().kind == "none"
    assert st.undo().kind == "undo" and st.tangents[g.index["f"]] is None and not st.complete
    st.run()
    assert st.tangents[g.index["f"]] == 8.0
    st.reset()
    assert st.position == 0 and st.values[g.index["s"]] is None


def test_tangent_stepper_stops_at_a_fault_and_undo_clears_it() -> None:
    g = from_expression("f = sqrt(x)", values={"x": 0})
    st = TangentStepper(g, {"x": 1})
    r = st.step()
    assert r.kind == "fault" and "sqrt" in r.lines[0]
    assert st.step().kind == "fault"
    st.undo()
    assert st.fault is None


def test_hessian_of_the_branching_example(capsys: pytest.CaptureFixture[str]) -> None:
    doc = cli_json(capsys, "hessian", BRANCHING, "--at", "x=3,y=2", "--json")
    assert doc == {
        "output": "f",
        "value": 15.0,
        "leaves": ["x", "y"],
        "gradient": [8.0, 3.0],
        "hessian": [[2.0, 1.0], [1.0, 0.0]],
    }


def test_hvp_of_the_branching_example(capsys: pytest.CaptureFixture[str]) -> None:
    doc = cli_json(capsys, "hvp", BRANCHING, "--at", "x=3,y=2", "--vector", "x=1,y=2", "--json")
    assert doc["hvp"] == {"x": 2 + 2, "y": 1.0}
    assert doc["gradient"] == {"x": 8.0, "y": 3.0}
    assert doc["vector"] == {"x": 1.0, "y": 2.0}


def test_jacobian_json_counts_the_passes(capsys: pytest.CaptureFixture[str]) -> None:
    path = ROOT / "samples" / "forward_wins.yaml"
    fw = cli_json(capsys, "jacobian", str(path), "--mode", "forward", "--json")
    rv = cli_json(capsys, "jacobian", str(path), "--mode", "reverse", "--json")
    n, m = len(fw["leaves"]), len(fw["outputs"])
    assert m > n
    assert fw["passes"] == n and rv["passes"] == m
    assert fw["cost"]["cheaper"] == "forward"
    assert cli_json(capsys, "jacobian", str(path), "--json")["mode"] == "forward"
    for row_f, row_r in zip(fw["jacobian"], rv["jacobian"], strict=True):
        assert row_f == pytest.approx(row_r, rel=1e-12, abs=1e-300)


def test_pass_counts_for_a_loss_prefer_reverse() -> None:
    g = yamlio.load(ROOT / "samples" / "mlp_2_2_1.yaml")
    c = pass_counts(g)
    assert (c.forward_passes, c.reverse_passes) == (len(leaf_names(g)), 1)
    assert c.cheaper == "reverse"
    assert c.forward_multiplications == c.reverse_multiplications * c.forward_passes


def test_bad_input_exit_codes(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["jvp", BRANCHING, "--at", "x=3,y=2"]) == 2  # no direction
    assert "--tangent" in capsys.readouterr().err
    assert main(["jvp", BRANCHING, "--at", "x=3,y=2", "--tangent", "q=1"]) == 2
    assert "no node named 'q'" in capsys.readouterr().err
    assert main(["jvp", BRANCHING, "--at", "x=3,y=2", "--tangent", "s=1"]) == 2
    assert main(["hvp", BRANCHING, "--at", "x=3,y=2"]) == 2
    assert main(["jacobian", BRANCHING, "--at", "x=3,y=2", "--mode", "sideways"]) == 2
    assert main(["jvp", "sqrt(x)", "--at", "x=0", "--tangent", "x=1"]) == 3
    assert "sqrt" in capsys.readouterr().err
    assert main(["hessian", "log(x)", "--at", "x=0"]) == 3
    assert main(["hessian", "2 * 3"]) == 2  # no leaf to differentiate


def test_backward_graph_names_and_shape() -> None:
    g = from_expression("z = w*x\nyhat = z + b\nd = yhat - y\nL = d^2")
    bg = backward_graph(g).graph
    assert bg.output_names == ["dL_dw", "dL_dx", "dL_db", "dL_dy"]
    assert bg.node("dL_dL").kind is Kind.CONST and bg.node("dL_dL").value == 1.0
    # ∂L/∂d = 2 * d from the formula b * a^(b - 1) with b = 2
    local = bg.node("dL_dd_local")
    assert local.op == "mul" and [bg.nodes[p].name for p in local.operands] == ["2", "d"]
    # a product per edge: dL/dd = dL/dL * ∂L/∂d
    assert [bg.nodes[p].name for p in bg.node("dL_dd").operands] == ["dL_dL", "dL_dd_local"]
    # the forward values are recomputed under their own names
    assert bg.node("z").op == "mul"
    # a leaf used twice gets a sum of two terms
    g2 = from_expression(BRANCHING)
    bg2 = backward_graph(g2).graph
    assert bg2.node("df_dx").op == "add"
    assert {"df_dx_via_s", "df_dx_via_f"} <= set(bg2.index)


def test_backward_graph_of_a_leaf_without_a_path_is_zero() -> None:
    g = from_expression("f = x * 2", values={"x": 1})
    g.nodes.append(Node("y", Kind.INPUT, None, (), 5.0))
    g = Graph(g.nodes, g.outputs)
    bg = backward_graph(g).graph
    assert bg.node("df_dy").kind is Kind.CONST and bg.node("df_dy").value == 0.0
    assert gradients(g).partials[g.index["y"]] is None


def test_kinks_take_second_derivative_zero() -> None:
    for text, at in (("relu(x) * x", 0.0), ("abs(x) * x", 0.0), ("relu(x)^2", 0.0), ("abs(x)", 0.0)):
        g = from_expression(text, values={"x": at})
        h = hessian(g)
        t = torch.tensor([at], dtype=torch.float64)
        fn = {
            "relu(x) * x": lambda v: torch.relu(v) * v,
            "abs(x) * x": lambda v: torch.abs(v) * v,
            "relu(x)^2": lambda v: torch.relu(v) ** 2,
            "abs(x)": torch.abs,
        }[text]
        expected = torch.autograd.functional.hessian(lambda v, fn=fn: fn(v).sum(), t)
        assert h.matrix == [[float(expected[0, 0])]], text
    g = from_expression("relu(x) * x", values={"x": 0.0})
    assert hessian(g).matrix == [[0.0]]  # d/dx (step(x) x + relu(x)) = 0 + 0 + step(0) = 0


def test_pow_with_exponents_one_and_zero_follows_the_table() -> None:
    for text, expected in (("x^1 * y", [[0.0, 1.0], [1.0, 0.0]]), ("x^0 + y^2", [[0.0, 0.0], [0.0, 2.0]])):
        g = from_expression(text, values={"x": 0.0, "y": 1.0})
        assert hessian(g).matrix == expected, text
        grads = gradients(g)
        bg = backward_graph(g).graph
        vals = forward(bg, leaf_values(bg))
        assert [vals[i] for i in bg.outputs] == [grads.partials[g.index[n]] or 0.0 for n in ("x", "y")]


# --- random expressions: PyTorch and SymPy --------------------------------------------------


def cgtui_graph(t1: Tree, t2: Tree, env: dict[str, float]) -> tuple[Graph, list[str]] | None:
    text = program(t1, t2)
    graph = from_expression(text)
    used = [v for v in VARS if v in graph]
    for v in used:
        graph.node(v).value = env[v]
    if not used:
        return None
    return graph, used


def torch_function(t1: Tree, t2: Tree, used: list[str], env: dict[str, float]) -> Any:
    def f(vec: Any) -> Any:
        tenv = {v: torch.tensor(env[v], dtype=torch.float64) for v in VARS}
        for k, v in enumerate(used):
            tenv[v] = vec[k]
        tenv["t"] = interpret(t1, tenv, TORCH)
        return interpret(t2, tenv, TORCH)

    return f


def close(a: float, b: float, tol: float = 1e-8) -> bool:
    return abs(a - b) <= tol * max(1.0, abs(a), abs(b))


@SETTINGS
@given(t1=trees(UNARY), t2=trees(UNARY, (*VARS, "t")), env=points, data=points)
def test_random_expressions_jvp_jacobian_hessian_against_pytorch(
    t1: Tree, t2: Tree, env: dict[str, float], data: dict[str, float]
) -> None:
    got = cgtui_graph(t1, t2, env)
    assume(got is not None)
    assert got is not None
    g, used = got
    try:
        h = hessian(g)
        direction = {v: data[v] for v in used}
        j = jvp(g, direction)
        fwd = jacobian(g, mode="forward")
        prod = hvp(g, direction)
    except NumericalFault:
        assume(False)
        return
    f = torch_function(t1, t2, used, env)
    x0 = torch.tensor([env[v] for v in used], dtype=torch.float64)
    tangent = torch.tensor([data[v] for v in used], dtype=torch.float64)
    value, tjvp = torch.func.jvp(f, (x0,), (tangent,))
    assume(math.isfinite(float(value)))
    tjac = torch.autograd.functional.jacobian(f, x0)
    thess = torch.autograd.functional.hessian(f, x0)
    order = [h.leaves.index(v) for v in used]
    assert close(j.tangent(g.outputs[0]), float(tjvp)), program(t1, t2)
    for k, v in enumerate(used):
        assert close(fwd.matrix[0][order[k]], float(tjac[k])), (program(t1, t2), v)
        for m, w in enumerate(used):
            got_vw = h.matrix[order[k]][order[m]]
            if not close(got_vw, float(thess[k, m]), 1e-7):
                # PyTorch masks d/da of a^b where b == 0 (pow_backward's masked_fill), which
                # zeroes its second derivatives there: SymPy has the last word
                assert close(got_vw, sympy_second(t1, t2, env, v, w), 1e-7), (program(t1, t2), v, w)
    hessian_v = [
        sum(h.matrix[order[k]][order[m]] * data[w] for m, w in enumerate(used)) for k in range(len(used))
    ]
    for k, v in enumerate(used):
        assert close(prod.product[order[k]], hessian_v[k], 1e-7), (program(t1, t2), v)


def sympy_second(t1: Tree, t2: Tree, env: dict[str, float], a: str, b: str) -> float:
    symbols = {v: sympy.Symbol(v, real=True) for v in VARS}
    senv: dict[str, Any] = dict(symbols)
    senv["t"] = interpret(t1, senv, SYMPY)
    expr = interpret(t2, senv, SYMPY)
    subs = {symbols[v]: sympy.Rational(str(env[v])) for v in VARS}
    return float(no_deltas(sympy.diff(expr, symbols[a], symbols[b])).evalf(30, subs=subs))


def no_deltas(e: Any) -> Any:
    """Second derivatives at a kink are 0 by cgtui's convention: SymPy's DiracDelta there
    (from ``d sign(x)/dx``) is taken as 0."""
    return e.replace(lambda sub: isinstance(sub, sympy.DiracDelta), lambda sub: sympy.Integer(0))


@settings(max_examples=examples(25), deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(t1=trees(UNARY), t2=trees(UNARY, (*VARS, "t")), env=points)
def test_random_expressions_second_derivatives_against_sympy(
    t1: Tree, t2: Tree, env: dict[str, float]
) -> None:
    got = cgtui_graph(t1, t2, env)
    assume(got is not None)
    assert got is not None
    g, used = got
    try:
        h = hessian(g)
    except NumericalFault:
        assume(False)
        return
    # at a kink cgtui (as PyTorch) takes the derivative 0, where SymPy may know better
    # (abs(log(1 + x^2)) is log(1 + x^2) to it): tested on its own above
    vals = forward(g, leaf_values(g))
    assume(not any(n.op in ("relu", "abs") and vals[n.operands[0]] == 0 for n in g.nodes))
    symbols = {v: sympy.Symbol(v, real=True) for v in VARS}
    senv: dict[str, Any] = dict(symbols)
    senv["t"] = interpret(t1, senv, SYMPY)
    expr = interpret(t2, senv, SYMPY)
    subs = {symbols[v]: sympy.Rational(str(env[v])) for v in VARS}
    for a in used:
        for b in used:
            second = no_deltas(sympy.diff(expr, symbols[a], symbols[b]))
            expected = complex(second.evalf(30, subs=subs))
            assume(math.isfinite(expected.real) and expected.imag == 0)
            got_ab = h.matrix[h.leaves.index(a)][h.leaves.index(b)]
            assert close(got_ab, expected.real, 1e-7), (program(t1, t2), a, b)


@SETTINGS
@given(t1=trees(UNARY), t2=trees(UNARY, (*VARS, "t")), env=points)
def test_random_backward_graphs_equal_grad_to_the_last_digit(
    t1: Tree, t2: Tree, env: dict[str, float]
) -> None:
    got = cgtui_graph(t1, t2, env)
    assume(got is not None)
    assert got is not None
    g, _ = got
    try:
        r = gradients(g)
    except NumericalFault:
        assume(False)
        return
    bg = backward_graph(g).graph
    vals = forward(bg, leaf_values(bg))
    for i, name in zip(bg.outputs, leaf_names(g), strict=True):
        assert vals[i] == (r.partials[g.index[name]] or 0.0), (program(t1, t2), name)


# --- every sample ---------------------------------------------------------------------------


@pytest.mark.parametrize("path", SAMPLES, ids=IDS)
def test_forward_equals_reverse_on_every_sample(path: Path) -> None:
    g = yamlio.load(path)
    fw = jacobian(g, mode="forward")
    rv = jacobian(g, mode="reverse")
    assert fw.passes == len(fw.leaves) and rv.passes == len(g.outputs)
    for row_f, row_r in zip(fw.matrix, rv.matrix, strict=True):
        scale = max(abs(x) for x in row_r) if row_r else 1.0
        for a, b in zip(row_f, row_r, strict=True):
            assert abs(a - b) <= 1e-12 * max(abs(a), abs(b)) or abs(a - b) <= 1e-15 * scale, (a, b)


@pytest.mark.parametrize("path", SAMPLES, ids=IDS)
def test_every_sample_against_pytorch(path: Path) -> None:
    g = yamlio.load(path)
    leaves = [i for i, n in enumerate(g.nodes) if n.op is None and n.kind is not Kind.CONST]
    base = leaf_values(g)
    out = g.outputs[0]

    def f(vec: Any) -> Any:
        vals: list[Any] = [None if v is None else torch.tensor(v, dtype=torch.float64) for v in base]
        for k, i in enumerate(leaves):
            vals[i] = vec[k]
        for i, node in enumerate(g.nodes):
            if node.op is not None:
                vals[i] = TORCH_OPS[node.op](*(vals[p] for p in node.operands))
        return vals[out]

    x0 = torch.tensor([base[i] for i in leaves], dtype=torch.float64)
    thess = torch.autograd.functional.hessian(f, x0)
    tjac = torch.autograd.functional.jacobian(f, x0)
    h = hessian(g)
    fw = jacobian(g, outputs=[out], mode="forward")
    for k in range(len(leaves)):
        assert close(fw.matrix[0][k], float(tjac[k]), 1e-10)
        assert close(h.gradient[k], float(tjac[k]), 1e-10)
        for m in range(len(leaves)):
            assert close(h.matrix[k][m], float(thess[k, m]), 1e-9), (
                g.nodes[leaves[k]].name,
                g.nodes[leaves[m]].name,
            )
    # the Hessian is symmetric and hvp agrees with it without forming it
    v = {g.nodes[i].name: 0.5 + k for k, i in enumerate(leaves)}
    prod = hvp(g, v)
    for k in range(len(leaves)):
        expected = sum(h.matrix[k][m] * (0.5 + m) for m in range(len(leaves)))
        assert close(prod.product[k], expected, 1e-10)
        for m in range(len(leaves)):
            assert close(h.matrix[k][m], h.matrix[m][k], 1e-12)


TORCH_OPS: dict[str, Any] = {
    "add": lambda a, b: a + b,
    "sub": lambda a, b: a - b,
    "mul": lambda a, b: a * b,
    "div": lambda a, b: a / b,
    "pow": lambda a, b: a**b,
    "neg": lambda a: -a,
    "exp": lambda a: torch.exp(a),
    "log": lambda a: torch.log(a),
    "sqrt": lambda a: torch.sqrt(a),
    "sin": lambda a: torch.sin(a),
    "cos": lambda a: torch.cos(a),
    "tan": lambda a: torch.tan(a),
    "tanh": lambda a: torch.tanh(a),
    "sigmoid": lambda a: torch.sigmoid(a),
    "relu": lambda a: torch.relu(a),
    "abs": lambda a: torch.abs(a),
    "step": lambda a: (a > 0).to(torch.float64),
    "sign": lambda a: torch.sign(a),
}


@pytest.mark.parametrize("path", SAMPLES, ids=IDS)
def test_every_samples_backward_graph_equals_grad_and_loads_everywhere(
    path: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    g = yamlio.load(path)
    out_file = tmp_path / "grad.yaml"
    assert main(["backward-graph", str(path), "-o", str(out_file)]) == 0
    original = cli_json(capsys, "grad", str(path), "--json")
    first = f"d{original['output']}_d{leaf_names(g)[0]}"
    back = cli_json(capsys, "grad", str(out_file), "--output", first, "--all", "--json")
    for name, partial in original["grad"].items():
        node = next(n for n in back["nodes"] if n["name"] == f"d{original['output']}_d{name}")
        assert node["value"] == partial, name  # to the last digit
    loaded = yamlio.load(out_file)
    assert loaded == backward_graph(g).graph
    leaf = leaf_names(g)[0]
    has_params = any(n.kind is Kind.PARAM for n in g.nodes)
    for argv in (
        ["steps", str(out_file)],
        ["check", str(out_file)],
        ["paths", str(out_file), "--from", leaf],
        ["export", str(out_file), "--format", "json"],
        ["draw", str(out_file)],
        ["jvp", str(out_file), "--tangent", f"{leaf}=1", "--json"],
        ["jacobian", str(out_file), "--json"],
        ["hessian", str(out_file), "--output", first],
        ["hvp", str(out_file), "--output", first, "--vector", f"{leaf}=1"],
        ["backward-graph", str(out_file), "--output", first],
        *([["train", str(out_file), "--output", first, "--steps", "1"]] if has_params else []),
    ):
        code = main(argv)
        assert code in (0, 3), (argv, capsys.readouterr().err)
        err = capsys.readouterr().err
        assert "Traceback" not in err
        if code == 3:  # only a numerical fault, named, is allowed (a kink's derivative, say)
            assert "numerical fault" in err, argv
    # and the app's loader takes it too
    from cgtui.lang.source import load_source

    assert load_source(str(out_file)) == loaded


def test_hessian_through_the_backward_graph_of_a_backward_graph() -> None:
    """Third derivatives: the backward graph is a graph like any other."""
    g = from_expression("f = x^4", values={"x": 2})
    bg = backward_graph(g).graph  # df_dx = 4 x^3
    h = hessian(bg)  # d/dx of d(df_dx)/dx: 24 x = 48
    assert h.gradient == [48.0]  # d(4x^3)/dx = 12 x^2 = 48 at x = 2
    assert h.matrix == [[48.0]]


def test_backward_graph_needs_a_leaf() -> None:
    with pytest.raises(CgtuiError):
        backward_graph(from_expression("2 * 3"))


def test_reverse_backward_of_one_output_matches_jacobian_row() -> None:
    g = yamlio.load(ROOT / "samples" / "forward_wins.yaml")
    vals = forward(g, leaf_values(g))
    rv = jacobian(g, mode="reverse")
    for row, out in enumerate(g.outputs):
        partials = backward(g, vals, out)
        assert rv.matrix[row] == [partials[i] or 0.0 for i in rv.leaves]


def test_paths_prints_both_directions_and_the_cheaper(capsys: pytest.CaptureFixture[str]) -> None:
    path = str(ROOT / "samples" / "forward_wins.yaml")
    assert main(["paths", path, "--from", "theta0"]) == 0
    out = capsys.readouterr().out
    assert "the whole Jacobian (5 outputs × 2 leaves):" in out
    assert "forward mode: 2 passes (one per leaf, n = 2), 70 multiplications" in out
    assert "reverse mode: 5 passes (one per output, m = 5), 145 multiplications" in out
    assert "forward mode is cheaper for this graph" in out
    doc = cli_json(capsys, "paths", str(ROOT / "samples" / "mlp_2_2_1.yaml"), "--from", "w11", "--json")
    assert doc["jacobian"]["cheaper"] == "reverse"
    assert doc["jacobian"]["forward"]["passes"] == 12 and doc["jacobian"]["reverse"]["passes"] == 1


def test_newton_step_sample(capsys: pytest.CaptureFixture[str]) -> None:
    path = str(ROOT / "samples" / "newton_step.yaml")
    assert main(["hessian", path]) == 0
    out = capsys.readouterr().out
    assert "Newton step: w - g/h = 0.5 - (-20)/8 = 3" in out
    assert "gradient descent: w - lr*g = 0.5 - 0.05*(-20) = 1.5" in out
    # the Newton step lands on the minimum: the gradient there is 0
    doc = cli_json(capsys, "grad", path, "--at", "w=3", "--json")
    assert doc["grad"]["w"] == 0.0 and doc["value"] == 0.0


@pytest.mark.parametrize("path", SAMPLES, ids=IDS)
def test_json_of_every_sample_follows_the_schemas(path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    jsonschema = pytest.importorskip("jsonschema")

    def check(name: str, doc: Any) -> None:
        schema = json.loads((ROOT / "schemas" / f"{name}.schema.json").read_text(encoding="utf-8"))
        jsonschema.Draft202012Validator.check_schema(schema)
        errors = list(jsonschema.Draft202012Validator(schema).iter_errors(doc))
        assert not errors, [e.message for e in errors[:3]]

    g = yamlio.load(path)
    leaf = leaf_names(g)[0]
    src = str(path)
    check("jvp", cli_json(capsys, "jvp", src, "--tangent", f"{leaf}=1", "--json"))
    check(
        "jvp", cli_json(capsys, "jvp", src, "--tangent", f"{leaf}=1", "--output", g.output_names[0], "--json")
    )
    for mode in ("forward", "reverse"):
        check("jacobian", cli_json(capsys, "jacobian", src, "--mode", mode, "--json"))
    check("hessian", cli_json(capsys, "hessian", src, "--json"))
    check("hvp", cli_json(capsys, "hvp", src, "--vector", f"{leaf}=1", "--json"))
