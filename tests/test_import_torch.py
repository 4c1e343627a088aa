"""``cgtui import torch``: a PyTorch function or module traced by torch.fx into a graph
whose values and gradients agree with PyTorch's and with the worked examples."""

from __future__ import annotations

from pathlib import Path

import pytest
from bridge_cases import TWIN_CASES, leaf_grads
from conftest import ROOT, SAMPLES

from cgtui.bridges.torch_fx import check, load_callable, trace
from cgtui.cli import main
from cgtui.core.errors import CgtuiError
from cgtui.core.graph import Kind
from cgtui.engine.engine import gradients
from cgtui.lang import yamlio
from cgtui.lang.source import load_source
from cgtui.teach.codegen import to_pytorch

TWINS = ROOT / "tests" / "twins" / "torch_twins.py"


@pytest.mark.parametrize("twin", sorted(TWIN_CASES))
def test_twins_of_the_worked_examples_give_the_samples_numbers(twin: str) -> None:
    sample, example = TWIN_CASES[twin]
    imported = trace(load_callable(f"{TWINS}:{twin}"), example)
    value, grads = leaf_grads(imported.graph)
    want_value, want = leaf_grads(load_source(str(SAMPLES / sample)))
    assert value == pytest.approx(want_value, rel=1e-12)
    for leaf, g in want.items():
        assert grads[leaf] == pytest.approx(g, rel=1e-12, abs=1e-15), leaf
    values, checked = check(imported, example)
    assert values and checked
    for c in [*values, *checked]:
        assert c.ours == pytest.approx(c.theirs, rel=1e-12, abs=1e-15), c.name


def test_a_modules_parameters_become_params() -> None:
    imported = trace(load_callable(f"{TWINS}:Neuron"), {"x": 1.5, "y": 1.0})
    g = imported.graph
    assert g.node("w").kind is Kind.PARAM and g.node("b").kind is Kind.PARAM
    assert g.node("x").kind is Kind.INPUT and g.node("w").value == 0.5
    values, grads = check(imported, {"x": 1.5, "y": 1.0})
    assert {c.name for c in grads} == {"x", "y", "w", "b"}
    for c in [*values, *grads]:
        assert c.ours == pytest.approx(c.theirs, rel=1e-12, abs=1e-15), c.name


def test_unsupported_operations_are_listed_never_dropped() -> None:
    with pytest.raises(CgtuiError) as caught:
        trace(load_callable(f"{TWINS}:unsupported"), {"x": 1.0})
    message = str(caught.value)
    assert "2 operation(s)" in message and "matmul" in message and "clamp" in message


def test_an_exported_pytorch_function_imports_back_to_the_same_numbers(tmp_path: Path) -> None:
    graph = load_source(str(SAMPLES / "micrograd_more_ops.yaml"))
    path = tmp_path / "exported.py"
    path.write_text(to_pytorch(graph), encoding="utf-8")
    example = {"a": -4.0, "b": 2.0}
    imported = trace(load_callable(f"{path}:forward"), example)
    value, grads = leaf_grads(imported.graph)
    want_value, want = leaf_grads(graph)
    assert value == pytest.approx(want_value, rel=1e-12)
    assert grads == pytest.approx(want, rel=1e-12)


def test_the_command_writes_a_graph_that_loads(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "g.yaml"
    assert main(["import", "torch", f"{TWINS}:branching", "--example", "x=3,y=2", "-o", str(out)]) == 0
    g = yamlio.load(out)
    assert gradients(g).value == 15.0
    assert main(["import", "torch", f"{TWINS}:branching", "--example", "x=3,y=2", "--check"]) == 0
    printed = capsys.readouterr().out
    assert "agree: largest relative difference 0" in printed
    assert "dmul/dx" in printed  # a cached partial of the output, written d, not ∂


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["nofile.py:f"], "no such file"),
        ([f"{TWINS}"], "expected FILE.py:NAME"),
        ([f"{TWINS}:nothing"], "defines no 'nothing'"),
        ([f"{TWINS}:branching", "--example", "z=1"], "not arguments"),
        ([f"{TWINS}:unsupported", "--example", "x=1"], "does not have"),
    ],
)
def test_bad_imports_are_errors(argv: list[str], message: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["import", "torch", *argv]) == 2
    assert message in capsys.readouterr().err


@pytest.mark.parametrize("name", [p.name for p in sorted(SAMPLES.glob("*.yaml"))])
def test_every_sample_exported_to_pytorch_imports_back(name: str, tmp_path: Path) -> None:
    graph = load_source(str(SAMPLES / name))
    leaves = [n for n in graph.nodes if n.op is None]
    if any(not isinstance(n.value, float | int) for n in leaves):
        pytest.skip(f"{name}: its leaves take their values from data rows")
    path = tmp_path / "exported.py"
    path.write_text(to_pytorch(graph), encoding="utf-8")
    example = {n.name: float(n.value or 0.0) for n in leaves if n.kind is not Kind.CONST}
    imported = trace(load_callable(f"{path}:forward"), example)
    value, grads = leaf_grads(imported.graph)
    want_value, want = leaf_grads(graph)
    assert value == pytest.approx(want_value, rel=1e-12)
    assert grads == pytest.approx(want, rel=1e-12, abs=1e-300)


def test_a_missing_framework_is_one_line_with_the_install_command(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    import sys

    for module in ("torch", "jax", "onnx"):
        monkeypatch.setitem(sys.modules, module, None)  # import fails as if not installed
    assert main(["import", "torch", f"{TWINS}:branching", "--example", "x=3,y=2"]) == 2
    assert "pip install 'cgtui[torch]'" in capsys.readouterr().err
    assert main(["import", "jax", f"{TWINS}:branching", "--example", "x=3,y=2"]) == 2
    assert "pip install 'cgtui[jax]'" in capsys.readouterr().err
    assert main(["import", "onnx", str(TWINS)]) == 2
    err = capsys.readouterr().err
    assert "pip install 'cgtui[onnx]'" in err and len(err.strip().splitlines()) == 1


def test_a_checked_import_records_the_frameworks_numbers_in_the_file(tmp_path: Path) -> None:
    out = tmp_path / "neuron.yaml"
    assert (
        main(["import", "torch", f"{TWINS}:Neuron", "--example", "x=1.5,y=1", "-o", str(out), "--check"]) == 0
    )
    g = yamlio.load(out)
    section = g.extra["imported"]
    assert isinstance(section, dict)
    assert section["framework"] == "pytorch" and section["source"].endswith("torch_twins.py:Neuron")
    r = gradients(g)
    for name, theirs in section["values"].items():
        assert r.values[g.index[name]] == pytest.approx(theirs, rel=1e-12, abs=1e-15)
    assert set(section["gradients"]) == {"x", "y", "w", "b"}
    assert yamlio.loads(yamlio.dumps(g)).extra["imported"] == section  # kept as written
