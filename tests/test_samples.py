"""Every bundled sample loads, has a description, is listed, and its gradients are right."""

from __future__ import annotations

import math
from pathlib import Path

import pytest
from conftest import scalar_samples

from cgtui.cli import main
from cgtui.core.graph import Graph, Kind
from cgtui.engine.engine import forward, grad_check, leaf_values
from cgtui.lang.samples import first_sentence, list_samples, one_line

ROOT = Path(__file__).resolve().parent.parent
SAMPLES = sorted((ROOT / "samples").glob("*.y*ml"))


def load(path: Path) -> Graph:
    yamlio = pytest.importorskip("cgtui.lang.yamlio")
    graph: Graph = yamlio.load(path)
    return graph


def test_there_are_samples() -> None:
    names = {p.name for p in SAMPLES}
    assert {"sigmoid_neuron.yaml", "mlp_2_2_1.yaml", "diamond_ladder.yaml", "messy.yaml"} <= names


@pytest.mark.parametrize("path", scalar_samples(SAMPLES), ids=[p.stem for p in scalar_samples(SAMPLES)])
def test_gradients_match_central_differences(path: Path) -> None:
    # (the tensor samples: against PyTorch in test_tensor_oracle.py, by entry in test_tensor_samples.py)
    graph = load(path)
    assert graph.description.strip(), f"{path.name} has no description"
    values = leaf_values(graph)
    out = graph.outputs[0]
    assert math.isfinite(forward(graph, values)[out])
    checked = 0
    for i in graph.leaves():
        node = graph.nodes[i]
        if node.kind is Kind.CONST:
            continue
        analytic, numeric, rel, _ = grad_check(graph, node.name, values, out)
        assert rel < 1e-5 or abs(analytic - numeric) < 1e-8, (path.name, node.name, analytic, numeric)
        checked += 1
    assert checked > 0


def test_samples_command_lists_every_sample(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["samples"]) == 0
    out = capsys.readouterr().out
    listed = [line for line in out.splitlines() if line.strip() and not line.startswith("open")]
    lines = {line.split()[0]: line for line in listed}
    for path in SAMPLES:
        assert path.stem in lines, f"{path.name} is not listed"
        description = lines[path.stem][len(path.stem) :].strip()
        assert description and not description.startswith("("), f"{path.name}: {description}"
    assert "cgtui samples/NAME.yaml" in out or "NAME.yaml" in out


def test_list_samples_reports_broken_files(tmp_path: Path) -> None:
    (tmp_path / "good.yaml").write_text("title: Good\ndescription: A fine one.  Then more.\nsteps: {}\n")
    (tmp_path / "bad.yaml").write_text("title: [unclosed\n")
    (tmp_path / "list.yaml").write_text("- 1\n- 2\n")
    (tmp_path / "bare.yaml").write_text("title: Bare\n")
    (tmp_path / "notes.txt").write_text("not a sample")
    infos = {i.name: i for i in list_samples(tmp_path)}
    assert set(infos) == {"good.yaml", "bad.yaml", "list.yaml", "bare.yaml"}
    assert infos["good.yaml"].problem is None
    assert first_sentence(infos["good.yaml"].description) == "A fine one."
    assert infos["bad.yaml"].problem is not None and "cannot be read" in infos["bad.yaml"].problem
    assert infos["list.yaml"].problem == "is not a YAML mapping"
    assert infos["bare.yaml"].problem == "has no description"
    assert list_samples(tmp_path / "missing") == []


def test_one_line() -> None:
    assert one_line("a\n  b\tc") == "a b c"
    assert one_line("alpha beta gamma delta", 14) == "alpha beta..."


def test_diamond_ladder_is_the_worked_example() -> None:
    from cgtui.engine.paths import count_paths

    g = load(ROOT / "samples" / "diamond_ladder.yaml")
    assert g.edge_count() == 150
    assert count_paths(g, g.lookup("a0"), g.outputs[0]) == 3**30
    assert g.output_names == ["a30"]


def test_messy_is_messy() -> None:
    g = load(ROOT / "samples" / "messy.yaml")
    assert len(g.computations()) >= 50
    assert len({n.op for n in g.nodes if n.op}) >= 10


def test_mlp_and_sigmoid_neuron_shapes() -> None:
    mlp = load(ROOT / "samples" / "mlp_2_2_1.yaml")
    assert sum(1 for n in mlp.nodes if n.kind is Kind.PARAM) == 9
    assert sum(1 for n in mlp.nodes if n.op == "tanh") == 3
    neuron = load(ROOT / "samples" / "sigmoid_neuron.yaml")
    assert {n.op for n in neuron.nodes} >= {"sigmoid", "log"}
    assert [n.name for n in neuron.nodes if n.kind is Kind.LABEL] == ["y"]


def test_samples_width_must_leave_room_for_words(capsys: pytest.CaptureFixture[str]) -> None:
    from cgtui.cli import main

    for width in ("-1", "0", "5"):
        assert main(["samples", "--width", width]) == 2
        assert f"--width must be at least 10, got {width}" in capsys.readouterr().err
    assert main(["samples", "--width", "40"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert all(len(line.split("  ", 1)[-1].strip()) <= 40 for line in lines if line.strip())
