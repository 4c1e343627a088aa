"""Training graphs of arrays: accuracy beside the loss, a classifier's decision regions
(the grid prediction against numpy, the picture, the Regions tab), slices and surfaces
along entries of array params, the Params tab's arrays, the screen against ``cgtui train``,
and the explorer's ``T`` on a tensor graph."""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pytest
from rich.color import Color
from rich.console import Console
from test_app import sync
from test_modes_app import settle
from test_train_screen import Host, status, wait_idle
from test_train_tabs import OneTab, plot_text
from textual.widgets import DataTable, Input, Log, Select, Static

from cgtui.app.app import ExplorerApp
from cgtui.app.training import ParamsTab, RegionsTab, SliceTab, SurfaceTab, TrainingScreen
from cgtui.app.training.plotting import point_colour, region_colour
from cgtui.app.training.regions_tab import picture_text, rgb
from cgtui.cli import main
from cgtui.core.errors import CgtuiError
from cgtui.core.notation import format_number
from cgtui.draw.regions import MIXED, NO_POINT, POINT, cell_of, region_picture
from cgtui.engine.engine import Stepper
from cgtui.lang import yamlio
from cgtui.learn.regions import Classifier, Regions, decision_regions, predict, regions_problem
from cgtui.learn.train import (
    Problem,
    Trainer,
    coordinate_path,
    loss_slice,
    loss_surface,
    split_coordinate,
)

SAMPLES = Path(__file__).resolve().parent.parent / "samples"


def problem(name: str) -> Problem:
    return Problem(yamlio.load(SAMPLES / name))


def spiral_trainer(steps: int = 3) -> Trainer:
    t = Trainer(problem("spiral_mlp.yaml"), 1.0)
    for _ in range(steps):
        t.step()
    return t


def spiral_scores(params: dict[str, np.ndarray], points: np.ndarray) -> np.ndarray:
    """The spiral network's scores written out in numpy, as the YAML file says."""
    hidden = np.maximum(points @ params["W1"] + params["b1"], 0.0)
    scores: np.ndarray = hidden @ params["W2"] + params["b2"]
    return scores


# --- accuracy ----------------------------------------------------------------------------


def test_the_trainer_keeps_the_accuracy_of_every_step() -> None:
    t = spiral_trainer(4)
    assert len(t.accuracies) == 5  # the start and four steps
    assert t.accuracy == t.problem.accuracy(t.current.values)
    x = t.problem.base[t.problem.graph.lookup("X")]
    labels = t.problem.base[t.problem.graph.lookup("y")]
    direct = float(np.mean(spiral_scores(t.params, x).argmax(axis=1) == labels))
    assert t.accuracy == pytest.approx(direct, abs=0)


def test_a_graph_that_is_no_classifier_has_no_accuracy() -> None:
    t = Trainer(problem("xor_mlp_tensor.yaml"), 0.3)
    t.step()
    assert t.accuracies == [] and t.accuracy is None


# --- the decision regions: numbers --------------------------------------------------------


def test_the_grid_prediction_is_numpy_s_argmax_over_the_grid() -> None:
    t = spiral_trainer(20)
    where = regions_problem(t.problem)
    assert isinstance(where, Classifier)
    regions = decision_regions(t.problem, t.params, where, cols=37, rows=11)
    assert regions.classes.shape == (11, 37) and regions.n_classes == 3
    gx, gy = np.meshgrid(regions.xs, regions.ys)
    grid = np.column_stack([gx.ravel(), gy.ravel()])
    expected = spiral_scores(t.params, grid).argmax(axis=1).reshape(11, 37)
    assert np.array_equal(regions.classes, expected)
    assert len(set(expected.ravel().tolist())) > 1  # not a blank picture
    # the cells' centres cover the data, padded
    data = t.problem.base[where.input]
    assert regions.x_span[0] < data[:, 0].min() < data[:, 0].max() < regions.x_span[1]
    assert regions.y_span[0] < data[:, 1].min() < data[:, 1].max() < regions.y_span[1]
    assert np.allclose(np.diff(regions.xs), (regions.x_span[1] - regions.x_span[0]) / 37)
    # predict() on the data rows gives the accuracy's picks
    picks = predict(t.problem, t.params, data, where)
    assert float(np.mean(picks == regions.labels)) == t.accuracy


def test_graphs_without_decision_regions_say_why() -> None:
    reason = regions_problem(problem("xor_mlp_tensor.yaml"))
    assert isinstance(reason, str) and "cross_entropy(logits, labels)" in reason
    three = (SAMPLES / "spiral_mlp.yaml").read_text().replace("shape: [2, 100]", "shape: [3, 100]")
    three = three.replace("X: {shape: [300, 2], file: spiral_X.csv}", "X: {shape: [4, 3], value: 1}")
    three = three.replace("y: {shape: [300], file: spiral_y.csv}", "y: {shape: [4], value: [0, 1, 2, 0]}")
    graph = yamlio.loads(three, file=str(SAMPLES / "three.yaml"))
    reason = regions_problem(Problem(graph))
    assert isinstance(reason, str) and "input X has shape (4, 3)" in reason and "(N, 2)" in reason


def test_the_picture_puts_row_zero_at_the_top_and_bins_the_points() -> None:
    classes = np.array([[0, 0, 1], [2, 2, 1]])  # row 0: the bottom of the plane
    points = np.array([[0.1, 0.1], [0.2, 0.2], [2.9, 1.9], [2.8, 1.8], [1.5, 1.5]])
    labels = np.array([0, 0, 1, 2, 2])
    regions = Regions("X", np.array([0.5, 1.5, 2.5]), np.array([0.5, 1.5]), (0.0, 3.0), (0.0, 2.0),
                      classes, points, labels, 3)
    picture = region_picture(regions)
    assert picture.region.tolist() == [[2, 2, 1], [0, 0, 1]]
    assert picture.mark.tolist() == [[NO_POINT, 2, 1], [0, NO_POINT, NO_POINT]]
    assert picture.mixed.tolist() == [[False, False, True], [False, False, False]]
    assert picture.lines() == [f"2{POINT}{MIXED}", f"{POINT}01"]
    assert cell_of(np.array([-5.0, 0.0, 2.999, 3.0, 9.0]), (0.0, 3.0), 3).tolist() == [0, 0, 2, 2, 2]
    text = picture_text(picture)
    assert text.plain == f" {POINT}{MIXED}\n{POINT}  "
    styles = [text.get_style_at_offset(Console(), k) for k in range(len(text.plain))]
    mixed = styles[text.plain.index(MIXED)]  # the cell's points: one of class 1, one of 2
    assert mixed.color == Color.parse(rgb(point_colour(1)))
    assert mixed.bgcolor == Color.parse(rgb(region_colour(1)))
    assert styles[0].bgcolor == Color.parse(rgb(region_colour(2)))


# --- slices and surfaces along entries ----------------------------------------------------


def test_entries_of_array_params_are_coordinates() -> None:
    p = problem("xor_mlp_tensor.yaml")
    assert split_coordinate(p, "W1[1,0]") == ("W1", (1, 0))
    assert split_coordinate(p, "c") == ("c", None)
    with pytest.raises(CgtuiError, match=r"'W1' is an array \(2, 2\): pick one entry of it, e.g. W1\[0,0\]"):
        split_coordinate(p, "W1")
    with pytest.raises(CgtuiError, match=r"W1 has shape \(2, 2\), which has no entry \[2, 0\]"):
        split_coordinate(p, "W1[2,0]")
    with pytest.raises(CgtuiError, match="'Q\\[0\\]' is not a param or an entry of one"):
        split_coordinate(p, "Q[0]")


def test_a_slice_along_an_entry_is_the_loss_with_that_entry_changed() -> None:
    t = Trainer(problem("xor_mlp_tensor.yaml"), 0.3)
    t.step()
    s = loss_slice(t.problem, t.params, "W1[1,0]", points=5, span=(-1.0, 1.0))
    assert s.at == t.params["W1"][1, 0]
    assert s.slope == t.current.grads["W1"][1, 0]
    for x, loss in zip(s.xs, s.losses, strict=True):
        moved = {k: np.array(v) if isinstance(v, np.ndarray) else v for k, v in t.params.items()}
        moved["W1"][1, 0] = x
        assert loss == pytest.approx(t.problem.evaluate(moved).loss, rel=1e-12)
    assert t.params["W1"][1, 0] == s.at  # the trainer's params are untouched


def test_a_surface_over_two_entries_of_one_array() -> None:
    t = Trainer(problem("xor_mlp_tensor.yaml"), 0.3)
    xs, ys = np.array([-0.5, 0.5]), np.array([0.0, 1.0, 2.0])
    surface = loss_surface(t.problem, t.params, "W1[0,0]", "W1[0,1]", xs=xs, ys=ys)
    assert surface.losses.shape == (3, 2)
    moved = dict(t.params)
    moved["W1"] = np.array(t.params["W1"])
    moved["W1"][0, 0], moved["W1"][0, 1] = 0.5, 2.0
    assert surface.losses[2, 1] == pytest.approx(t.problem.evaluate(moved).loss, rel=1e-12)
    assert coordinate_path(t, "W1[0,1]") == [t.params["W1"][0, 1]]


# --- the tabs --------------------------------------------------------------------------------


@sync
async def test_the_regions_tab_draws_the_grid_at_its_size_and_redraws_after_steps() -> None:
    t = spiral_trainer(2)
    tab = RegionsTab()
    async with OneTab(tab).run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        tab.trainer = t
        tab.draw()
        await pilot.pause()
        size = tab.query_one("#regions-map", Static).size
        assert tab.picture is not None and tab.regions is not None
        assert (tab.picture.rows, tab.picture.cols) == (size.height, size.width)
        assert size.height >= 8 and size.width >= 70  # usable at 80x24
        legend = str(tab.query_one("#regions-text", Static).render())
        assert f"step 2  accuracy {t.accuracy:.3f}" in legend and "X[:,0]" in legend
        first = tab.regions.classes.copy()
        for _ in range(30):
            t.step()
        tab.draw()
        await pilot.pause()
        legend = str(tab.query_one("#regions-text", Static).render())
        assert "step 32" in legend
        where = regions_problem(t.problem)
        assert isinstance(where, Classifier)
        now = decision_regions(t.problem, t.params, where, cols=size.width, rows=size.height)
        assert np.array_equal(tab.regions.classes, now.classes)
        assert not np.array_equal(first, now.classes)  # the picture follows the training
        shown = str(tab.query_one("#regions-map", Static).render())
        assert shown == "\n".join(line.translate(str.maketrans("012", "   ")) for line in tab.picture.lines())
        assert shown.count(POINT) > 100  # the 300 points, a few to a cell


@sync
async def test_the_regions_tab_says_in_place_why_there_is_no_picture() -> None:
    tab = RegionsTab()
    async with OneTab(tab).run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        tab.trainer = Trainer(problem("xor_mlp_tensor.yaml"), 0.3)
        tab.draw()
        await pilot.pause()
        assert tab.picture is None and tab.reason is not None
        assert "no decision regions" in str(tab.query_one("#regions-map", Static).render())


@sync
async def test_the_params_tab_shows_array_params_by_their_norm_and_whole_below() -> None:
    t = spiral_trainer(2)
    tab = ParamsTab(t.problem.param_names)
    async with OneTab(tab).run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        tab.trainer = t
        tab.draw()
        await pilot.pause()
        table = tab.query_one("#param-table", DataTable)
        assert table.get_cell("W1", "value") == f"‖‖ {np.linalg.norm(t.params['W1']):.6g}"
        assert table.get_cell("W2", "grad") == f"‖‖ {np.linalg.norm(t.current.grads['W2']):.4g}"
        arrays = str(tab.query_one("#param-array-text", Static).render())
        assert "W1:\nshape (2, 100)  200 values" in arrays and "dL/dW2:" in arrays
        assert "b2:\n" in arrays  # a (1, 3) array: a small table
        assert "an array: its norm ‖p‖" in plot_text(tab, "param-plot")


@sync
async def test_the_slice_tab_starts_at_the_steepest_entry_and_takes_an_index() -> None:
    t = Trainer(problem("xor_mlp_tensor.yaml"), 0.3)
    t.step()
    tab = SliceTab(t.problem.param_names)
    async with OneTab(tab).run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        tab.trainer = t
        tab.draw()
        await pilot.pause()
        grad = np.abs(t.current.grads["W1"])
        steepest = np.unravel_index(np.argmax(grad), grad.shape)
        box = tab.query_one("#slice-param-entry", Input)
        assert box.display and box.value == ",".join(str(int(k)) for k in steepest)
        assert tab.slice is not None and tab.slice.param == f"W1[{box.value}]"
        tab.query_one("#slice-param", Select).value = "U"
        await pilot.pause()
        u_row = int(np.argmax(np.abs(t.current.grads["U"][:, 0])))
        assert tab.slice.param == f"U[{u_row},0]"  # a new param: its steepest entry
        box.value = f"{1 - u_row}, 0"
        await pilot.click("#slice-param-entry")
        await pilot.press("enter")
        await pilot.pause()
        assert tab.slice.param == f"U[{1 - u_row},0]"
        assert tab.slice.slope == t.current.grads["U"][1 - u_row, 0]
        assert f"dL/dU[{1 - u_row},0]" in str(tab.query_one("#slice-text", Static).render())
        box.value = "5,5"
        await pilot.press("enter")
        await pilot.pause()
        assert tab.slice is None
        said = str(tab.query_one("#slice-text", Static).render())
        assert "U has shape (2, 1), which has no entry [5, 5]" in said
        tab.query_one("#slice-param", Select).value = "c"  # a scalar: no entry box
        await pilot.pause()
        assert tab.slice is not None and tab.slice.param == "c" and not box.display


@sync
async def test_the_surface_tab_maps_two_entries() -> None:
    t = Trainer(problem("xor_mlp_tensor.yaml"), 0.3)
    tab = SurfaceTab(t.problem.param_names)
    async with OneTab(tab).run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        tab.trainer = t
        tab.query_one("#surface-y", Select).value = "c"
        await pilot.pause()
        assert tab.surface is not None
        x_entry = tab.query_one("#surface-x-entry", Input).value
        assert (tab.surface.x, tab.surface.y) == (f"W1[{x_entry}]", "c")
        assert np.isfinite(tab.surface.losses).all()
        assert not tab.query_one("#surface-y-entry", Input).display


# --- the screen ------------------------------------------------------------------------------


@sync
async def test_n_steps_in_the_screen_give_the_loss_and_accuracy_of_cgtui_train(
    capsys: pytest.CaptureFixture[str],
) -> None:
    steps = 6
    assert main(["train", str(SAMPLES / "spiral_mlp.yaml"), "--steps", str(steps)]) == 0
    out = capsys.readouterr().out
    cli = re.search(rf"step {steps}  loss (\S+)  accuracy (\S+)", out)
    assert cli is not None
    screen = TrainingScreen(yamlio.load(SAMPLES / "spiral_mlp.yaml"), base_dir=SAMPLES)
    app = Host(screen)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        assert "accuracy" in status(screen)
        screen.query_one("#steps", Input).value = str(steps)
        await pilot.press("r")
        await wait_idle(pilot, screen)
        assert screen.trainer is not None and screen.trainer.steps_done == steps
        assert f"-> {cli[1]}  accuracy {cli[2]}" in status(screen)
        assert format_number(screen.trainer.losses[-1]) == cli[1]
        await pilot.press("5")
        await pilot.pause()
        assert screen.query_one(RegionsTab).picture is not None
        await pilot.press("n")  # one step: the arrays' arithmetic in the log, briefly
        await pilot.pause()
        assert screen.trainer.steps_done == steps + 1
        log = "\n".join(screen.query_one("#train-log", Log).lines)
        assert "W1 <- W1 - lr * dL/dW1  (entry by entry):" in log
        assert "  W2 is now (100,3) mean " in log and "  b2 was (1, 3) [[" in log
        assert "step 7" in str(screen.query_one(RegionsTab).query_one("#regions-text", Static).render())


@sync
async def test_the_regions_picture_fills_its_tab_when_first_shown_and_after_a_resize() -> None:
    screen = TrainingScreen(yamlio.load(SAMPLES / "spiral_mlp.yaml"), base_dir=SAMPLES)
    async with Host(screen).run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        await pilot.press("5")
        await pilot.pause()
        tab = screen.query_one(RegionsTab)
        shown = tab.query_one("#regions-map", Static)
        assert tab.picture is not None and (tab.picture.rows, tab.picture.cols) == (shown.size.height, 120)
        await pilot.resize_terminal(80, 24)
        await pilot.pause()
        await pilot.pause()
        assert (tab.picture.rows, tab.picture.cols) == (shown.size.height, 80)
        assert shown.size.height >= 8


def test_the_explorer_trains_a_tensor_graph_and_applies_its_arrays() -> None:
    async def main_() -> None:
        graph = yamlio.load(SAMPLES / "xor_mlp_tensor.yaml")
        app = ExplorerApp(Stepper(graph))
        async with app.run_test(size=(80, 24)) as pilot:
            await settle(pilot)
            await pilot.press("T")
            await pilot.pause()
            screen = app.screen
            assert isinstance(screen, TrainingScreen) and screen.trainer is not None
            screen.query_one("#steps", Input).value = "5"
            await pilot.press("r")
            await wait_idle(pilot, screen)
            start = {k: np.array(v) for k, v in screen.trainer.problem.initial_params().items()}
            trained = {k: np.array(v) for k, v in screen.trainer.params.items()}
            await pilot.press("a")
            await settle(pilot)
            stepper = app.stepper
            for name, value in trained.items():
                now = stepper.values[stepper.graph.lookup(name)]
                assert now is not None and np.array_equal(now, value)
            await pilot.press("u")  # the trained params came in as one change: one undo
            await settle(pilot)
            for name, value in start.items():
                assert np.array_equal(np.asarray(app.stepper.graph.node(name).value), value)

    import asyncio

    asyncio.run(main_())


def test_a_grid_bigger_than_one_batch_gives_the_same_classes(monkeypatch: pytest.MonkeyPatch) -> None:
    import cgtui.learn.regions as regions_module

    t = spiral_trainer(20)
    where = regions_problem(t.problem)
    assert isinstance(where, Classifier)
    whole = decision_regions(t.problem, t.params, where, cols=30, rows=7)
    monkeypatch.setattr(regions_module, "GRID_POINTS", 16)  # 210 points in 14 batches
    batched = decision_regions(t.problem, t.params, where, cols=30, rows=7)
    assert np.array_equal(whole.classes, batched.classes) and batched.n_classes == 3


def test_an_array_output_is_refused_by_name_not_with_a_traceback() -> None:
    text = (SAMPLES / "xor_mlp_tensor.yaml").read_text().replace("output: L", "output: P")
    graph = yamlio.loads(text, file=str(SAMPLES / "xor_p.yaml"))
    with pytest.raises(CgtuiError, match=r"the output P holds an array of shape \(4, 1\)"):
        Trainer(Problem(graph), 0.3)
    screen = TrainingScreen(graph)
    assert screen.trainer is None and screen.setup_error is not None and "mean(" in screen.setup_error
