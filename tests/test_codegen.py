"""``cgtui export --format numpy|pytorch``: the generated code runs and gives cgtui's own
value and gradients, backprop written one local derivative and one ``+=`` a line."""

from __future__ import annotations

import ast
import importlib.util
import subprocess
import sys
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
import torch
from conftest import SAMPLES

from cgtui.cli import main
from cgtui.core.graph import Graph, Kind
from cgtui.engine.engine import differentiable, gradients, on_path
from cgtui.lang.build import from_expression
from cgtui.lang.source import load_source
from cgtui.teach.codegen import to_numpy, to_pytorch


def load_module(code: str, path: Path) -> ModuleType:
    path.write_text(code, encoding="utf-8")
    spec = importlib.util.spec_from_file_location(path.stem, path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def valued(graph: Graph) -> bool:
    return all(n.value is not None and isinstance(n.value, float | int) for n in graph.nodes if n.op is None)


SAMPLE_GRAPHS = [p.name for p in sorted(SAMPLES.glob("*.yaml")) if valued(load_source(str(p)))]


def expected(graph: Graph) -> tuple[float, dict[str, float]]:
    r = gradients(graph)
    leaves = [i for i, n in enumerate(graph.nodes) if n.op is None and n.kind is not Kind.CONST]
    return float(r.value), {graph.nodes[i].name: float(r.partials[i] or 0.0) for i in leaves}


def test_every_valued_sample_is_covered() -> None:
    assert {"squared_error.yaml", "branching.yaml", "micrograd_more_ops.yaml", "diamond_ladder.yaml"} <= set(
        SAMPLE_GRAPHS
    )


@pytest.mark.parametrize("name", SAMPLE_GRAPHS)
def test_numpy_export_gives_cgtuis_value_and_gradients(name: str, tmp_path: Path) -> None:
    graph = load_source(str(SAMPLES / name))
    value, grads = expected(graph)
    module = load_module(to_numpy(graph), tmp_path / "exported.py")
    got_value, got = module.value_and_grad()
    assert got_value == pytest.approx(value, rel=1e-12, abs=1e-300)
    assert got.keys() == grads.keys()
    for leaf, g in grads.items():
        assert got[leaf] == pytest.approx(g, rel=1e-12, abs=1e-300), leaf


@pytest.mark.parametrize("name", SAMPLE_GRAPHS)
def test_pytorch_export_trains_the_same_graph(name: str, tmp_path: Path) -> None:
    graph = load_source(str(SAMPLES / name))
    value, grads = expected(graph)
    module = load_module(to_pytorch(graph), tmp_path / "exported_torch.py")
    leaves: dict[str, Any] = {
        k: torch.tensor(v, dtype=torch.float64, requires_grad=True) for k, v in module.LEAVES.items()
    }
    out = module.forward(**leaves)
    assert out.item() == pytest.approx(value, rel=1e-12, abs=1e-300)
    out.backward()
    for leaf, g in grads.items():
        t = leaves[leaf].grad
        assert (0.0 if t is None else t.item()) == pytest.approx(g, rel=1e-12, abs=1e-300), leaf
    assert [n.name for n in graph.nodes if n.op is None and n.kind is Kind.PARAM] == module.PARAMS


def test_one_line_per_local_derivative_and_per_push(tmp_path: Path) -> None:
    graph = from_expression("s = x + y; f = s * x", values={"x": 3, "y": 2})
    code = to_numpy(graph)
    needs = differentiable(graph)
    path = on_path(graph, graph.outputs[0])
    edges = [
        (s, p) for s, n in enumerate(graph.nodes) for p in n.operands if needs[p] and needs[s] and path[s]
    ]
    pushes = [line.strip() for line in code.splitlines() if "+=" in line]
    locals_ = [line.strip() for line in code.splitlines() if line.strip().startswith("local_")]
    assert len(pushes) == len(locals_) == len(edges) == 4
    # the local derivative is written ∂, the cached partial d, never the other way round
    assert "local_f_x = s  # ∂f/∂x = s" in locals_
    assert "df_dx += df_df * local_f_x  # df/dx += df/df · ∂f/∂x" in pushes
    assert load_module(code, tmp_path / "branching.py").value_and_grad(x=3.0, y=2.0) == (
        15.0,
        {"x": 8.0, "y": 3.0},
    )


def test_names_that_clash_with_python_or_the_code_itself(tmp_path: Path) -> None:
    text = "None = 2; np = None * value_and_grad; out = np + local_out_np - (-3) * np ^ 2 + float * print"
    values = {"value_and_grad": 1.5, "local_out_np": 0.25, "float": 2.0, "print": -1.0}
    graph = from_expression(text, values=values)
    value, grads = expected(graph)
    got_value, got = load_module(to_numpy(graph), tmp_path / "clash.py").value_and_grad()
    assert got_value == pytest.approx(value, rel=1e-12)
    assert got == pytest.approx(grads, rel=1e-12)


def test_a_slot_fed_twice_is_told_apart(tmp_path: Path) -> None:
    graph = from_expression("y = a0 * a0", values={"a0": 3})
    code = to_numpy(graph)
    assert "(slot a)" in code and "(slot b)" in code
    assert load_module(code, tmp_path / "sq.py").value_and_grad() == (9.0, {"a0": 6.0})


def test_leaves_without_values_are_required_arguments(tmp_path: Path) -> None:
    graph = from_expression("L = (w*x - y)^2", params={"w"}, labels={"y"})
    module = load_module(to_numpy(graph), tmp_path / "needs.py")
    with pytest.raises(TypeError):
        module.value_and_grad()
    value, grads = module.value_and_grad(w=0.5, x=2.0, y=1.0)
    assert value == 0.0 and grads == {"w": 0.0, "x": 0.0, "y": -0.0}


def test_export_command_writes_a_runnable_module(tmp_path: Path) -> None:
    out = tmp_path / "f.py"
    assert main(["export", str(SAMPLES / "squared_error.yaml"), "--format", "numpy", "-o", str(out)]) == 0
    run = subprocess.run([sys.executable, str(out)], capture_output=True, text=True, check=True)
    value, grads = ast.literal_eval(run.stdout)  # the module printed a tuple literal
    assert value == pytest.approx(0.01) and grads["w"] == pytest.approx(0.4)


def test_a_hostile_title_stays_inside_the_docstring(tmp_path: Path) -> None:
    graph = from_expression("x * 2", values={"x": 1.5})
    graph.title = 'a """ title\\ with \'quotes\' and\x1b[31m escapes'
    module = load_module(to_numpy(graph), tmp_path / "title.py")
    assert module.value_and_grad() == (3.0, {"x": 2.0})
    assert "written by cgtui export" in (module.__doc__ or "")
