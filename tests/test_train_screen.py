"""The training screen on its own, in a tiny app, driven with Pilot."""

from __future__ import annotations

import asyncio
import math
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from test_app import sync
from textual.app import App
from textual.pilot import Pilot
from textual.widgets import Button, Input, Log, ProgressBar, Static, TabbedContent
from textual_plotext import PlotextPlot

from cgtui.app.training import TrainingScreen, heat_cells, param_colour, ramp_colour, thin
from cgtui.core.graph import Graph
from cgtui.engine.engine import Stepper
from cgtui.lang import yamlio
from cgtui.lang.build import from_expression
from cgtui.learn.dataset import rows_to_dataset
from cgtui.learn.train import Surface

SAMPLES = Path(__file__).resolve().parent.parent / "samples"


class Host(App[None]):
    """Pushes one training screen and keeps what it dismisses with."""

    def __init__(self, screen: TrainingScreen) -> None:
        super().__init__()
        self.training = screen
        self.results: list[dict[str, float] | None] = []

    def on_mount(self) -> None:
        self.push_screen(self.training, self.results.append)


def sample(name: str) -> TrainingScreen:
    return TrainingScreen(yamlio.load(SAMPLES / name), base_dir=SAMPLES)


async def wait_idle(pilot: Pilot[Any], screen: TrainingScreen, limit: float = 20.0) -> None:
    waited = 0.0
    while screen.running and waited < limit:
        await pilot.pause(0.05)
        waited += 0.05
    await pilot.pause()


def status(screen: TrainingScreen) -> str:
    return str(screen.query_one("#train-status", Static).render())


@sync
async def test_run_trains_in_the_background() -> None:
    screen = sample("linear_regression.yaml")
    app = Host(screen)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        assert "12 rows from linear_regression.csv" in str(screen.query_one("#train-about", Static).render())
        await pilot.press("r")
        await wait_idle(pilot, screen)
        assert screen.trainer is not None
        assert screen.trainer.steps_done == 200
        assert len(screen.trainer.losses) == 201
        assert screen.trainer.current.loss < 0.025
        assert "200 steps: loss" in status(screen)
        assert screen.query_one("#train-progress", ProgressBar).progress == 200


@sync
async def test_the_screen_answers_while_training_and_stop_works() -> None:
    rows = [{"x": float(i % 7), "y": 2.0 * (i % 7) + 1.0} for i in range(2_000)]
    g = from_expression("L = (w*x + b - y)^2", params={"w", "b"}, labels={"y"}, values={"w": 0.0, "b": 0.0})
    screen = TrainingScreen(g, dataset=rows_to_dataset(rows, g))
    app = Host(screen)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        screen.query_one("#steps", Input).value = "1000000"
        screen.query_one("#lr", Input).value = "0.01"
        await pilot.press("r")
        await asyncio.sleep(0.3)
        assert screen.running
        assert not screen.query_one("#stop", Button).disabled
        await pilot.press("2")  # the screen keeps answering keys
        await asyncio.sleep(0.2)
        assert screen.running
        assert screen.query_one("#train-tabs", TabbedContent).active == "tab-params"
        await pilot.press("s")
        await wait_idle(pilot, screen)
        assert not screen.running
        assert screen.trainer is not None
        done = screen.trainer.steps_done
        assert 0 < done < 1_000_000
        assert f"stopped after {done} steps" in status(screen)
        assert screen.query_one("#stop", Button).disabled


@sync
async def test_closing_while_training_stops_the_worker() -> None:
    rows = [{"x": float(i % 5) / 5, "y": float(i % 5)} for i in range(20_000)]
    g = from_expression("L = (w*x - y)^2", params={"w"}, labels={"y"}, values={"w": 0.0})
    screen = TrainingScreen(g, dataset=rows_to_dataset(rows, g))
    app = Host(screen)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        screen.query_one("#steps", Input).value = "1000000"
        await pilot.press("r")
        await asyncio.sleep(0.2)
        assert screen.running
        worker = screen._worker
        await pilot.press("escape")
        await pilot.pause(0.5)
        assert worker is not None and not worker.is_running
    assert app.results == [None]
    assert screen.trainer is not None and screen.trainer.steps_done < 1_000_000


@sync
async def test_divergence_is_caught_and_said() -> None:
    screen = sample("linear_regression.yaml")
    app = Host(screen)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        screen.query_one("#lr", Input).value = "10"
        screen.query_one("#steps", Input).value = "1000"
        await pilot.press("r")
        await wait_idle(pilot, screen)
        text = status(screen)
        assert "training diverged at step" in text
        assert screen.query_one("#train-status", Static).has_class("-error")
        assert screen.trainer is not None
        assert all(math.isfinite(v) for v in screen.trainer.params.values())
        await pilot.press("0")  # restart from the initial params
        await pilot.pause()
        assert screen.trainer.steps_done == 0
        assert "restarted" in status(screen)


@sync
async def test_one_step_shows_its_arithmetic_and_apply_returns_params() -> None:
    screen = sample("linear_regression.yaml")
    app = Host(screen)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        await pilot.press("n")
        await pilot.pause()
        assert screen.trainer is not None and screen.trainer.steps_done == 1
        log = "\n".join(screen.query_one("#train-log", Log).lines)
        assert "w <- w - lr * dL/dw = 0 - 0.1 * " in log
        assert "loss 19.5100416667 -> " in log
        params = dict(screen.trainer.params)
        await pilot.press("a")
        await pilot.pause()
    assert app.results == [params]


@sync
async def test_escape_closes_without_params() -> None:
    screen = sample("xor_mlp.yaml")
    app = Host(screen)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        await pilot.press("escape")
        await pilot.pause()
    assert app.results == [None]


@sync
async def test_slice_and_surface_tabs() -> None:
    screen = sample("logistic_regression.yaml")
    app = Host(screen)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        for _ in range(5):
            await pilot.press("n")
        await pilot.press("3")
        await pilot.pause()
        assert screen.trainer is not None
        s = screen.slice
        assert s is not None and s.param == "w1"
        assert s.slope == pytest.approx(screen.trainer.current.grads["w1"])
        assert s.at == screen.trainer.params["w1"]
        assert "slope dL/dw1" in str(screen.query_one("#slice-text", Static).render())
        await pilot.press("4")
        await pilot.pause()
        surf = screen.surface
        assert surf is not None and (surf.x, surf.y) == ("w1", "w2")
        # the grid covers the whole descent path
        for name, axis in (("w1", surf.xs), ("w2", surf.ys)):
            path = screen.trainer.trajectory[name]
            assert axis[0] < min(path) and axis[-1] > max(path)
        assert np.isfinite(surf.losses).all()


@sync
async def test_a_graph_that_cannot_train_says_why() -> None:
    g = from_expression("L = (w*x - y)^2", labels={"y"}, values={"w": 1.0, "x": 1.0, "y": 2.0})
    screen = TrainingScreen(g)
    app = Host(screen)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        assert "no params to learn" in status(screen)
        assert screen.query_one("#run", Button).disabled
        await pilot.press("r")  # nothing happens, nothing breaks
        await pilot.press("a")
        await pilot.pause()
    assert app.results == [None]


@sync
async def test_bad_learning_rate_in_the_box() -> None:
    screen = sample("xor_mlp.yaml")
    app = Host(screen)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        screen.query_one("#lr", Input).value = "fast"
        await pilot.press("n")
        await pilot.pause()
        assert "the learning rate must be a number, got 'fast'" in status(screen)
        assert screen.trainer is not None and screen.trainer.steps_done == 0


@sync
async def test_from_a_stepper_uses_its_current_values() -> None:
    g: Graph = yamlio.load(SAMPLES / "squared_error.yaml")
    stepper = Stepper(g)
    stepper.set_value("w", 2.0)
    screen = TrainingScreen(stepper)
    app = Host(screen)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        assert screen.trainer is not None
        assert screen.trainer.params["w"] == 2.0
        assert "one example" in str(screen.query_one("#train-about", Static).render())


def test_thin_keeps_the_ends() -> None:
    steps, values = thin([float(i) for i in range(10_001)], 100)
    assert len(steps) <= 100 and steps[0] == 0 and steps[-1] == 10_000
    assert values == [float(s) for s in steps]
    assert thin([1.0, 2.0]) == ([0, 1], [1.0, 2.0])


def test_heat_cells_cover_the_canvas_and_skip_undefined_points() -> None:
    losses = np.array([[0.0, 1.0, 2.0], [3.0, np.nan, 5.0]])
    surf = Surface("a", "b", np.array([0.0, 1.0, 2.0]), np.array([0.0, 1.0]), losses)
    xs, _, colours = heat_cells(surf)
    assert len(xs) == 5  # the NaN point is left out
    assert colours[0] == ramp_colour(0.0) and colours[-1] == ramp_colour(1.0)
    fine_x, fine_y, _ = heat_cells(surf, 30, 10)
    # resampled to 30 x 10, less the cells whose nearest grid point is the NaN at (1, 1)
    fx, fy = np.linspace(0, 2, 30), np.linspace(0, 1, 10)
    near_nan = int((np.abs(fx - 1) < 0.5).sum() * (fy >= 0.5).sum())
    assert len(fine_x) == 300 - near_nan
    assert not any(abs(x - 1) < 0.5 and y >= 0.5 for x, y in zip(fine_x, fine_y, strict=True))


def braille(plot_text: str) -> int:
    """How many braille cells (plotted points) a plot's text holds."""
    return sum(1 for ch in plot_text if 0x2800 < ord(ch) <= 0x28FF)


@sync
async def test_a_diverged_run_still_draws_its_loss_curve() -> None:
    """A huge lr drives the loss towards the float limit; the loss plot must still show the
    climb (plotext's own log scale drew an empty canvas there)."""
    screen = sample("linear_regression.yaml")
    app = Host(screen)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        screen.query_one("#lr", Input).value = "5"
        await pilot.press("r")
        await wait_idle(pilot, screen)
        assert screen.trainer is not None and screen.trainer.divergence is not None
        assert max(screen.trainer.losses) > 1e200
        plot = screen.query_one("#loss-plot", PlotextPlot)
        text = plot.render().plain  # type: ignore[union-attr]
        assert braille(text) > 50, text
        assert "1e" in text  # decade labels on the log axis


@sync
async def test_controls_and_plots_fit_in_80x24() -> None:
    """In an 80x24 terminal every button shows and the plot keeps most of the height."""
    screen = sample("linear_regression.yaml")
    app = Host(screen)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        whole = screen.region
        for button in screen.query(Button):
            assert whole.contains_region(button.region), (button.id, button.region)
        plot = screen.query_one("#loss-plot", PlotextPlot)
        assert plot.size.height >= 9, plot.size
        await pilot.press("3")  # the slice tab: picker, text and plot
        await pilot.pause()
        assert screen.query_one("#slice-plot", PlotextPlot).size.height >= 6


@sync
async def test_the_slice_legend_does_not_cover_a_short_plot() -> None:
    """At 80x24 the slice plot has a few rows; a legend there hid the curve. The key to the
    lines is the text above the plot, and the plot shows the curve and the tangent."""
    screen = sample("logistic_regression.yaml")
    app = Host(screen)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        await pilot.press("3")
        await pilot.pause()
        plot = screen.query_one("#slice-plot", PlotextPlot)
        text = plot.render().plain  # type: ignore[union-attr]
        assert "tangent" not in text and "function of" not in text, text
        assert braille(text) > 30
        key = str(screen.query_one("#slice-text", Static).render())
        assert "straight line: the tangent" in key and "slope dL/dw1" in key


@sync
async def test_the_keys_of_the_app_beneath_do_not_act() -> None:
    """The explorer binds f, F, b, ... to steps of its own graph: pressing them on the
    training screen stepped the graph out of sight (and the footer listed them)."""
    from textual.binding import Binding

    class Explorer(Host):
        BINDINGS = [Binding("f", "step", "Fwd")]  # noqa: RUF012 - Textual's API

        def __init__(self, screen: TrainingScreen) -> None:
            super().__init__(screen)
            self.steps = 0

        def action_step(self) -> None:
            self.steps += 1

    screen = sample("linear_regression.yaml")
    app = Explorer(screen)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        assert app.screen is screen
        await pilot.press("f")
        await pilot.pause()
        assert app.steps == 0
        assert "step" not in {b.binding.action for b in screen.active_bindings.values()}
        await pilot.press("escape")  # back on the app's own screen its keys act again
        await pilot.pause()
        await pilot.press("f")
        assert app.steps == 1


@sync
async def test_the_descent_path_does_not_blank_the_heat_map() -> None:
    """A braille path blanked the heat colour of every cell it touched (dark boxes along
    the path); the path is drawn in whole cells over the map."""
    screen = sample("xor_mlp.yaml")
    app = Host(screen)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        screen.query_one("#steps", Input).value = "100"
        await pilot.press("r")
        await wait_idle(pilot, screen)
        await pilot.press("4")
        await pilot.pause()
        text = screen.query_one("#surface-plot", PlotextPlot).render().plain  # type: ignore[union-attr]
        assert text.count("█") > 1000  # the heat map
        assert braille(text) == 0, text


@sync
async def test_each_param_line_has_its_own_colour_named_in_the_table() -> None:
    """xor_mlp has nine params: the plot's legend covered the start of the lines and gave
    two params the same colour; now each line's colour is its name's colour in the table."""
    from rich.text import Text
    from textual.widgets import DataTable

    screen = sample("xor_mlp.yaml")
    app = Host(screen)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        screen.query_one("#steps", Input).value = "150"
        await pilot.press("r")
        await wait_idle(pilot, screen)
        await pilot.press("2")
        await pilot.pause()
        assert screen.problem is not None
        names = screen.problem.param_names
        assert len(names) == 9
        text = screen.query_one("#param-plot", PlotextPlot).render().plain  # type: ignore[union-attr]
        assert braille(text) > 100
        assert not any(f" {name}\n" in text or f" {name} " in text for name in names), text  # no legend
        table = screen.query_one("#param-table", DataTable)
        colours = []
        for name in names:
            cell = table.get_cell(name, "param")
            assert isinstance(cell, Text) and cell.plain == name
            assert cell.style and not isinstance(cell.style, str) and cell.style.color is not None
            colours.append(cell.style.color.triplet)
        assert len(set(colours)) == len(names)  # nine lines, nine colours
        assert colours == [param_colour(i) for i in range(len(names))]  # the lines' colours


@sync
async def test_the_slice_shows_the_valley_not_a_straight_piece_of_it() -> None:
    """At step 0 of linear_regression the loss along w falls all the way across w ± 1: the
    slice drew a nearly straight line with the tangent lying on it. It now spans the lowest
    loss along w too, so the learner sees the valley, the tangent on its side."""
    screen = sample("linear_regression.yaml")
    app = Host(screen)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        await pilot.press("3")
        await pilot.pause()
        s = screen.slice
        assert s is not None and s.at == 0.0 and s.slope < 0
        lowest = int(np.argmin(s.losses))
        assert 0.1 * len(s.xs) < lowest < 0.9 * len(s.xs)  # the bottom of the valley, inside
        assert s.losses[-1] > s.losses[lowest] + 1.0  # and its far wall
