"""Each tab of the training screen on its own: a tiny app holds one tab in a
TabbedContent, the test gives it a trainer and reads what it drew."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from rich.text import Text
from test_app import sync
from textual.app import App, ComposeResult
from textual.widgets import DataTable, Select, Static, TabbedContent
from textual_plotext import PlotextPlot

from cgtui.app.training import (
    LossTab,
    ParamsTab,
    SliceTab,
    SurfaceTab,
    TrainingTab,
    decade_ticks,
    param_colour,
)
from cgtui.lang import yamlio
from cgtui.lang.build import from_expression
from cgtui.learn.dataset import dataset_from_graph
from cgtui.learn.train import Problem, Trainer

SAMPLES = Path(__file__).resolve().parent.parent / "samples"


class OneTab(App[None]):
    """One training tab, alone in a TabbedContent, as on the training screen."""

    def __init__(self, tab: TrainingTab) -> None:
        super().__init__()
        self.tab = tab

    def compose(self) -> ComposeResult:
        with TabbedContent():
            yield self.tab


def trainer(name: str = "logistic_regression.yaml", steps: int = 5, lr: float = 0.1) -> Trainer:
    graph = yamlio.load(SAMPLES / name)
    t = Trainer(Problem(graph, dataset_from_graph(graph, SAMPLES)), lr)
    for _ in range(steps):
        t.step()
    return t


def plot_text(tab: TrainingTab, plot_id: str) -> str:
    rendered = tab.query_one(f"#{plot_id}", PlotextPlot).render()
    assert isinstance(rendered, Text)
    return rendered.plain


def braille(text: str) -> int:
    return sum(1 for ch in text if 0x2800 < ord(ch) <= 0x28FF)


# --- Loss ------------------------------------------------------------------------------


@sync
async def test_loss_tab_draws_the_curve_of_its_trainer() -> None:
    tab = LossTab()
    async with OneTab(tab).run_test(size=(100, 30)) as pilot:
        await pilot.pause()
        tab.draw()  # no trainer yet: nothing to draw, nothing breaks
        assert braille(plot_text(tab, "loss-plot")) == 0
        t = trainer(steps=20)
        tab.trainer = t
        tab.draw()
        await pilot.pause()
        text = plot_text(tab, "loss-plot")
        assert "loss after each step (20 steps, now " in text
        assert braille(text) > 20
        assert "log scale" not in text


@sync
async def test_loss_tab_turns_to_a_log_scale_when_the_loss_spans_decades() -> None:
    g = from_expression("L = (w - 3)^2", params={"w"}, values={"w": 1000.0})
    t = Trainer(Problem(g), 0.45)
    for _ in range(10):
        t.step()
    assert max(t.losses) / min(t.losses) > 100
    tab = LossTab()
    async with OneTab(tab).run_test(size=(100, 30)) as pilot:
        await pilot.pause()
        tab.trainer = t
        tab.draw()
        await pilot.pause()
        text = plot_text(tab, "loss-plot")
        assert "L (log scale)" in text
        assert "1e5" in text and "1e-" in text  # decade labels, from the start's 1e6 down


def test_decade_ticks_are_whole_and_at_most_the_limit() -> None:
    assert decade_ticks(-1.5, 2.2) == [-2, -1, 0, 1, 2, 3]
    ticks = decade_ticks(-300.0, 300.0, most=6)
    assert len(ticks) <= 7 and ticks[0] == -300 and ticks[-1] >= 300


# --- Params ----------------------------------------------------------------------------


@sync
async def test_params_tab_lists_each_param_in_its_colour_and_fills_the_table() -> None:
    t = trainer(steps=3)
    names = t.problem.param_names
    tab = ParamsTab(names)
    async with OneTab(tab).run_test(size=(120, 30)) as pilot:
        await pilot.pause()
        table = tab.query_one("#param-table", DataTable)
        assert [table.get_cell(n, "param").plain for n in names] == names
        colours = [table.get_cell(n, "param").style.color.triplet for n in names]
        assert colours == [param_colour(i) for i in range(len(names))]
        assert all(table.get_cell(n, "value") == "" for n in names)  # no trainer yet
        tab.trainer = t
        tab.draw_plot()  # the plot alone: the table waits
        await pilot.pause()
        assert all(table.get_cell(n, "value") == "" for n in names)
        assert braille(plot_text(tab, "param-plot")) > 10
        tab.draw()
        await pilot.pause()
        for n in names:
            assert table.get_cell(n, "value") == f"{t.params[n]:.6g}"
            assert table.get_cell(n, "grad") == f"{t.current.grads[n]:.4g}"


@sync
async def test_params_tab_without_params_shows_an_empty_table() -> None:
    tab = ParamsTab([])
    async with OneTab(tab).run_test(size=(100, 30)) as pilot:
        await pilot.pause()
        tab.draw()  # no trainer: nothing drawn
        table = tab.query_one("#param-table", DataTable)
        assert table.row_count == 0 and len(table.columns) == 3


# --- Slice -----------------------------------------------------------------------------


@sync
async def test_slice_tab_draws_the_picked_param_and_redraws_when_another_is_picked() -> None:
    t = trainer(steps=5)
    tab = SliceTab(t.problem.param_names)
    async with OneTab(tab).run_test(size=(120, 30)) as pilot:
        await pilot.pause()
        assert tab.slice is None
        tab.trainer = t
        tab.draw()
        await pilot.pause()
        s = tab.slice
        assert s is not None and s.param == "w1"
        assert s.at == t.params["w1"] and s.slope == pytest.approx(t.current.grads["w1"])
        assert "slope dL/dw1" in str(tab.query_one("#slice-text", Static).render())
        assert braille(plot_text(tab, "slice-plot")) > 30
        tab.query_one("#slice-param", Select).value = "b"  # the tab redraws on its own
        await pilot.pause()
        s = tab.slice
        assert s is not None and s.param == "b"
        assert s.slope == pytest.approx(t.current.grads["b"])
        assert "slope dL/db" in str(tab.query_one("#slice-text", Static).render())


@sync
async def test_slice_tab_waits_while_a_descent_runs() -> None:
    t = trainer(steps=2)
    tab = SliceTab(t.problem.param_names)
    async with OneTab(tab).run_test(size=(120, 30)) as pilot:
        await pilot.pause()
        tab.trainer = t
        tab.running = True
        tab.draw()
        tab.query_one("#slice-param", Select).value = "w2"
        await pilot.pause()
        assert tab.slice is None
        tab.running = False
        tab.draw()
        assert tab.slice is not None and tab.slice.param == "w2"


# --- Surface ---------------------------------------------------------------------------


@sync
async def test_surface_tab_maps_the_loss_around_the_whole_path() -> None:
    t = trainer(steps=30, lr=0.5)
    tab = SurfaceTab(t.problem.param_names)
    async with OneTab(tab).run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        tab.trainer = t
        tab.draw()
        await pilot.pause()
        surf = tab.surface
        assert surf is not None and (surf.x, surf.y) == ("w1", "w2")
        for name, axis in (("w1", surf.xs), ("w2", surf.ys)):
            path = t.trajectory[name]
            assert axis[0] < min(path) and axis[-1] > max(path)
        assert np.isfinite(surf.losses).all()
        text = plot_text(tab, "surface-plot")
        assert text.count("█") > 1000 and "over (w1, w2)" in text
        tab.query_one("#surface-y", Select).value = "b"  # redraws on its own
        await pilot.pause()
        assert tab.surface is not None and (tab.surface.x, tab.surface.y) == ("w1", "b")


@sync
async def test_surface_tab_asks_for_two_different_params() -> None:
    t = trainer(steps=1)
    tab = SurfaceTab(t.problem.param_names)
    async with OneTab(tab).run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        tab.trainer = t
        tab.query_one("#surface-y", Select).value = "w1"
        await pilot.pause()
        assert "pick two different params for x and y" in plot_text(tab, "surface-plot")
        assert tab.surface is None


@sync
async def test_surface_tab_with_one_param_picks_it_twice_and_says_so() -> None:
    g = from_expression("L = (w - 3)^2", params={"w"}, values={"w": 0.0})
    t = Trainer(Problem(g), 0.1)
    tab = SurfaceTab(t.problem.param_names)
    async with OneTab(tab).run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        tab.trainer = t
        tab.draw()
        await pilot.pause()
        assert "pick two different params" in plot_text(tab, "surface-plot")
