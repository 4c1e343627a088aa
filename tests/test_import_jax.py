"""``cgtui import jax``: a JAX function's jaxpr as a graph (calls inlined, relu and sigmoid
recognised) whose values and gradients agree with JAX's and with the worked examples, and
``cgtui export --format jax`` that imports back to the same numbers."""

from __future__ import annotations

from pathlib import Path

import pytest
from bridge_cases import TWIN_CASES, leaf_grads
from conftest import ROOT, SAMPLES

from cgtui.bridges.jax_jaxpr import check, load_function, trace
from cgtui.cli import main
from cgtui.core.errors import CgtuiError
from cgtui.core.graph import Kind
from cgtui.lang import yamlio
from cgtui.lang.source import load_source
from cgtui.teach.codegen import to_jax

TWINS = ROOT / "tests" / "twins" / "jax_twins.py"


@pytest.mark.parametrize("twin", sorted(TWIN_CASES))
def test_twins_of_the_worked_examples_give_the_samples_numbers(twin: str) -> None:
    sample, example = TWIN_CASES[twin]
    imported = trace(load_function(f"{TWINS}:{twin}"), example)
    value, grads = leaf_grads(imported.graph)
    want_value, want = leaf_grads(load_source(str(SAMPLES / sample)))
    assert value == pytest.approx(want_value, rel=1e-12)
    for leaf, g in want.items():
        assert grads[leaf] == pytest.approx(g, rel=1e-12, abs=1e-15), leaf
    values, checked = check(imported, example)
    assert values and len(checked) == len(example)
    for c in [*values, *checked]:
        assert c.ours == pytest.approx(c.theirs, rel=1e-12, abs=1e-15), c.name


def test_library_functions_are_one_node_each() -> None:
    imported = trace(load_function(f"{TWINS}:neuron"), {"w": 0.5, "b": -0.25, "x": 1.5, "y": 1.0})
    ops = [n.op for n in imported.graph.nodes if n.op is not None]
    assert "sigmoid" in ops and "tanh" in ops and "sqrt" in ops and "exp" in ops
    sanity = trace(load_function(f"{TWINS}:micrograd_sanity"), {"x": -4.0})
    assert [n.op for n in sanity.graph.nodes].count("relu") == 2  # jax.nn.relu, inlined


def test_unsupported_primitives_are_listed() -> None:
    with pytest.raises(CgtuiError) as caught:
        trace(load_function(f"{TWINS}:unsupported"), {"x": 1.0})
    assert "sort" in str(caught.value) and "floor" in str(caught.value)


def test_every_argument_needs_an_example_value() -> None:
    with pytest.raises(CgtuiError, match="give --example values for y"):
        trace(load_function(f"{TWINS}:branching"), {"x": 1.0})


@pytest.mark.parametrize("name", ["squared_error.yaml", "micrograd_more_ops.yaml", "mlp_2_2_1.yaml"])
def test_an_exported_jax_function_runs_and_imports_back(name: str, tmp_path: Path) -> None:
    graph = load_source(str(SAMPLES / name))
    path = tmp_path / "exported_jax.py"
    path.write_text(to_jax(graph), encoding="utf-8")
    forward = load_function(f"{path}:forward")
    import jax

    values = {n.name: float(n.value or 0.0) for n in graph.nodes if n.op is None and n.kind is not Kind.CONST}
    value, grads = jax.value_and_grad(lambda kw: forward(**kw))(values)
    want_value, want = leaf_grads(graph)
    assert float(value) == pytest.approx(want_value, rel=1e-12)
    assert {k: float(v) for k, v in grads.items()} == pytest.approx(want, rel=1e-12, abs=1e-15)
    back = trace(forward_positional(forward, list(values)), values)
    assert leaf_grads(back.graph)[0] == pytest.approx(want_value, rel=1e-12)


def forward_positional(forward: object, names: list[str]) -> object:
    """The exported forward takes keyword arguments; make_jaxpr traces positional ones."""
    import inspect

    def call(*args: float) -> object:
        return forward(**dict(zip(names, args, strict=True)))  # type: ignore[operator]

    call.__signature__ = inspect.Signature(  # type: ignore[attr-defined]
        [inspect.Parameter(n, inspect.Parameter.POSITIONAL_OR_KEYWORD) for n in names]
    )
    return call


def test_the_command_with_kinds_and_check(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "neuron.yaml"
    argv = ["import", "jax", f"{TWINS}:neuron", "--example", "w=0.5,b=-0.25,x=1.5,y=1", "--param", "w,b"]
    assert main([*argv, "--label", "y", "-o", str(out)]) == 0
    g = yamlio.load(out)
    assert (
        g.node("w").kind is Kind.PARAM and g.node("y").kind is Kind.LABEL and g.node("x").kind is Kind.INPUT
    )
    capsys.readouterr()
    assert main([*argv, "--check"]) == 0
    assert "agree" in capsys.readouterr().out
    assert main([*argv, "--param", "nope"]) == 2
    assert "'nope' is not a leaf" in capsys.readouterr().err


@pytest.mark.parametrize("name", [p.name for p in sorted(SAMPLES.glob("*.yaml"))])
def test_every_sample_exported_to_jax_imports_back(name: str, tmp_path: Path) -> None:
    graph = load_source(str(SAMPLES / name))
    leaves = [n for n in graph.nodes if n.op is None and n.kind is not Kind.CONST]
    if any(not isinstance(n.value, float | int) for n in leaves):
        pytest.skip(f"{name}: its leaves take their values from data rows")
    path = tmp_path / "exported_jax.py"
    path.write_text(to_jax(graph), encoding="utf-8")
    values = {n.name: float(n.value or 0.0) for n in leaves}
    back = trace(forward_positional(load_function(f"{path}:forward"), list(values)), values)
    value, grads = leaf_grads(back.graph)
    want_value, want = leaf_grads(graph)
    assert value == pytest.approx(want_value, rel=1e-12)
    assert grads == pytest.approx(want, rel=1e-12, abs=1e-300)
