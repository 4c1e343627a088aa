"""A graph imported with ``--check`` shows, in the explorer's side pane, what the framework
computed for the selected node, read from the file (the explorer runs no framework)."""

from __future__ import annotations

from pathlib import Path

from conftest import ROOT
from test_app import jump, settle, side, sync

from cgtui.app.app import ExplorerApp
from cgtui.cli import main
from cgtui.engine.engine import Stepper
from cgtui.lang import yamlio

TWINS = ROOT / "tests" / "twins" / "torch_twins.py"


@sync
async def test_the_side_pane_shows_the_frameworks_numbers(tmp_path: Path) -> None:
    out = tmp_path / "neuron.yaml"
    assert (
        main(["import", "torch", f"{TWINS}:Neuron", "--example", "x=1.5,y=1", "-o", str(out), "--check"]) == 0
    )
    graph = yamlio.load(out)
    app = ExplorerApp(Stepper(graph), source=str(out), plugins=False)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await pilot.press("F", "B")
        await settle(pilot)
        await jump(pilot, "w")
        text = side(app, "definition")
        assert "pytorch at import: w = 0.5  ✓ the same here" in text
        output = graph.nodes[graph.outputs[0]].name
        assert f"pytorch at import: d{output}/dw = " in text and text.count("✓ the same here") == 2
        await pilot.press("e")
        await settle(pilot)
        await pilot.press("ctrl+a", "ctrl+k", *"0.75", "enter")  # the recorded value no longer matches
        await settle(pilot)
        await pilot.press("F")
        await settle(pilot)
        await jump(pilot, "w")
        assert "✗ here 0.75" in side(app, "definition")


@sync
async def test_a_graph_without_an_import_section_shows_nothing_more() -> None:
    graph = yamlio.load(ROOT / "samples" / "branching.yaml")
    app = ExplorerApp(Stepper(graph), plugins=False)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await jump(pilot, "x")
        assert "at import" not in side(app, "definition")
