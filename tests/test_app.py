"""The explorer, driven with Textual's Pilot: the numbers the screen shows for the worked
examples, undo, editing, loading a bad expression, dialogs, and the CLI's checks."""

from __future__ import annotations

import asyncio
import contextlib
import functools
import time
from collections.abc import Callable, Coroutine
from pathlib import Path
from typing import Any

import pytest
from textual.pilot import Pilot
from textual.widgets import OptionList, Static
from textual.worker import WorkerCancelled

from cgtui.app.app import ExplorerApp
from cgtui.app.dialogs import HelpScreen, InfoDialog, OpenDialog, SamplesDialog, SaveDialog
from cgtui.app.side import SidePane
from cgtui.app.views import GraphTree, NodeTable
from cgtui.core.graph import Kind
from cgtui.engine.engine import Stepper
from cgtui.lang.build import from_expression


def sync(test: Callable[..., Coroutine[Any, Any, None]]) -> Callable[..., None]:
    """Run an async test on a fresh event loop (no async pytest plugin is needed)."""

    @functools.wraps(test)
    def run(*args: Any, **kwargs: Any) -> None:
        asyncio.run(test(*args, **kwargs))

    return run


SQUARED_ERROR = "z = w * x\nyhat = z + b\nd = yhat - y\nL = d ^ 2"


def squared_error() -> Stepper:
    g = from_expression(
        SQUARED_ERROR, params={"w", "b"}, labels={"y"}, values={"w": 0.5, "x": 2, "b": 0.1, "y": 1}
    )
    return Stepper(g)


def branching() -> Stepper:
    return Stepper(from_expression("f = (x + y) * x", values={"x": 3, "y": 2}))


def regression() -> Stepper:
    g = from_expression(
        "L = (w1*x1 + w2*x2 + b - y)^2",
        params={"w1", "w2", "b"},
        labels={"y"},
        values={"w1": 1, "x1": 2, "w2": -1, "x2": 0.5, "b": 0.25, "y": 1},
    )
    return Stepper(g)


def text_of(widget: Static) -> str:
    rendered: Any = widget.render()
    return str(getattr(rendered, "plain", rendered))


def cell(app: ExplorerApp, name: str, column: str) -> str:
    table = app.query_one("#table", NodeTable)
    i = app.stepper.graph.lookup(name)
    value = table.get_cell_at(table_coordinate(table, i, column))
    return str(getattr(value, "plain", value))


def table_coordinate(table: NodeTable, row: int, column: str) -> Any:
    from textual.coordinate import Coordinate

    from cgtui.app.explain import TABLE_COLUMNS

    return Coordinate(row, TABLE_COLUMNS.index(column))


def side(app: ExplorerApp, part: str) -> str:
    """The text of the side pane's section ``part`` ('' when the pane does not show it)."""
    return app.query_one(SidePane).text(part)


#: Seconds to wait for the app to settle before the test fails (only a hang takes this long).
SETTLE_TIMEOUT = 60.0


async def settle(pilot: Pilot[None]) -> None:
    """Wait until the app has handled every key and everything it shows is up to date.

    Waits for exact conditions (no pending messages, no running workers, the side pane's
    paths computed for the current selection, the table fully loaded), never for a time
    tuned to a fast machine, so the tests pass the same on a loaded one.
    """
    app = pilot.app
    assert isinstance(app, ExplorerApp)
    deadline = time.monotonic() + SETTLE_TIMEOUT
    while True:
        await pilot.pause()
        if not app.pending_work():
            await pilot.pause()  # what the last worker posted lands
            if not app.pending_work():
                return
        if time.monotonic() > deadline:
            raise AssertionError(f"the app did not settle: {app.pending_work()}")
        if any(w.is_running for w in app.workers):
            with contextlib.suppress(WorkerCancelled):  # replaced by a newer one
                await app.workers.wait_for_complete()
        else:
            await asyncio.sleep(0.01)  # a timer is due (the paths start after a short delay)


async def jump(pilot: Pilot[None], name: str) -> None:
    await pilot.press("slash")
    await pilot.press(*name, "enter")
    await settle(pilot)


@sync
async def test_squared_error_forward_then_backward() -> None:
    app = ExplorerApp(squared_error(), plugins=False)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        assert cell(app, "z", "status") == "not yet computed"
        expected = {"z": "1", "yhat": "1.1", "d": "0.1", "L": "0.01"}
        for name, value in expected.items():
            await pilot.press("f")
            await settle(pilot)
            assert cell(app, name, "value") == value
            assert app.selected == app.stepper.graph.lookup(name)  # the touched node is selected
            assert side(app, "definition").endswith(f"= {value}")
        assert "forward 4/4" in text_of(app.query_one("#status", Static))
        assert "L = 0.01" in text_of(app.query_one("#status", Static))
        # backward: L (seed), d, yhat, z
        await pilot.press("b")
        await settle(pilot)
        assert cell(app, "L", "dL/dnode") == "1"
        assert cell(app, "d", "dL/dnode") == "0.2"
        assert cell(app, "d", "status") == "final"
        await pilot.press("b", "b")
        await settle(pilot)
        # z is pending until z's own step pushes into w; w has one pending term
        await jump(pilot, "w")
        assert "… pending dL/dz · ∂z/∂w" in side(app, "accumulation")
        await pilot.press("b")
        await settle(pilot)
        partials = {"w": "0.4", "x": "0.1", "b": "0.2", "y": "-0.2"}
        for name, value in partials.items():
            assert cell(app, name, "dL/dnode") == value
            assert cell(app, name, "status") == "final"
        await jump(pilot, "w")
        acc = side(app, "accumulation")
        assert "✓ done    dL/dz · ∂z/∂w = 0.2 · 2 = 0.4" in acc
        assert "dL/dw = 0.4  (final)" in acc
        paths = side(app, "paths")
        assert "w -> z -> yhat -> d -> L:  2 · 1 · 1 · 0.2 = 0.4" in paths
        assert "sum over paths = 0.4" in paths
        assert "✓ equals backprop's cached dL/dw = 0.4" in paths
        assert "1 path" in paths
        assert app.query_one(SidePane).rows_of("edges") is None  # a leaf: the section folds away
        assert "backward 4/4" in text_of(app.query_one("#status", Static))


@sync
async def test_local_derivative_table_of_l() -> None:
    from cgtui.app import explain

    stepper = squared_error()
    stepper.run_forward()
    rows = explain.edge_rows(stepper, stepper.graph.lookup("L"))
    assert rows[0].edge == "d -> L"
    assert rows[0].value == "0.2"
    assert rows[1].value == "not needed"  # d/d2 of d^2 is never asked for


@sync
async def test_branching_sum_over_two_paths() -> None:
    app = ExplorerApp(branching(), plugins=False)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press("F", "B")
        await settle(pilot)
        assert cell(app, "f", "value") == "15"
        assert cell(app, "x", "dL/dnode") == "8"
        assert cell(app, "y", "dL/dnode") == "3"
        await jump(pilot, "x")
        paths = side(app, "paths")
        assert "2 paths" in paths
        assert "x -> f:" in paths and "x -> v1 -> f:" in paths
        assert "sum over paths = 8" in paths and "✓" in paths
        acc = side(app, "accumulation")
        assert acc.count("✓ done") == 2  # one term per outgoing edge of x
        # the tree shows x once expanded, once as a reference
        tree = app.query_one("#tree")
        refs = [line for line in tree._refs.get(app.stepper.graph.lookup("x"), [])]  # type: ignore[attr-defined]
        assert len(refs) == 1


@sync
async def test_regression_partials() -> None:
    app = ExplorerApp(regression(), plugins=False)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press("F", "B")
        await settle(pilot)
        expected = {"w1": "3", "x1": "1.5", "w2": "0.75", "x2": "-1.5", "b": "1.5", "y": "-1.5"}
        for name, value in expected.items():
            assert cell(app, name, "dL/dnode") == value
        out = app.stepper.graph.nodes[app.stepper.output].name
        assert cell(app, out, "value") == "0.5625"


@sync
async def test_undo_and_reset() -> None:
    app = ExplorerApp(squared_error(), plugins=False)
    async with app.run_test(size=(120, 40)) as pilot:
        assert app.check_action("undo", ()) is None  # greyed out at the start
        await pilot.press("f", "f")
        await settle(pilot)
        assert cell(app, "yhat", "value") == "1.1"
        await pilot.press("u")
        await settle(pilot)
        assert cell(app, "yhat", "value") == ""
        assert cell(app, "yhat", "status") == "not yet computed"
        assert cell(app, "z", "value") == "1"
        await pilot.press("F", "B", "u")
        await settle(pilot)
        assert cell(app, "w", "dL/dnode") == ""  # z's pushes into w and x were undone
        assert cell(app, "z", "dL/dnode") == "0.2"
        await pilot.press("r")
        await settle(pilot)
        assert cell(app, "L", "value") == ""
        assert "forward 0/4" in text_of(app.query_one("#status", Static))
        await pilot.press("u")  # a reset is undone too, in the same history
        await settle(pilot)
        assert cell(app, "L", "value") == "0.01"
        assert cell(app, "z", "dL/dnode") == "0.2"
        assert not app.session.modified  # stepping and resetting change nothing a file keeps


@sync
async def test_edit_a_leaf_value() -> None:
    app = ExplorerApp(squared_error(), plugins=False)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press("F", "B")
        await settle(pilot)
        await jump(pilot, "x")
        await pilot.press("e")
        await settle(pilot)
        await pilot.press("ctrl+a", "ctrl+k", "3", "enter")
        await settle(pilot)
        assert cell(app, "x", "value") == "3"
        for name in ("z", "yhat", "d", "L"):  # downstream values are invalidated
            assert cell(app, name, "value") == ""
        assert cell(app, "w", "dL/dnode") == ""  # and every partial
        await pilot.press("F")
        await settle(pilot)
        assert cell(app, "z", "value") == "1.5"


@sync
async def test_edit_rejects_a_bad_number() -> None:
    app = ExplorerApp(squared_error(), plugins=False)
    async with app.run_test(size=(120, 40)) as pilot:
        await jump(pilot, "w")
        await pilot.press("e")
        await settle(pilot)
        await pilot.press("ctrl+a", "ctrl+k", *"abc", "enter")
        await settle(pilot)
        error = text_of(app.screen.query_one("#error", Static))
        assert "not a number: 'abc'" in error
        await pilot.press("escape")
        await settle(pilot)
        assert app.stepper.values[app.stepper.graph.lookup("w")] == 0.5


@sync
async def test_bad_expression_keeps_the_graph() -> None:
    app = ExplorerApp(squared_error(), plugins=False)
    async with app.run_test(size=(120, 40)) as pilot:
        graph = app.stepper.graph
        await pilot.press("o")
        await settle(pilot)
        assert isinstance(app.screen, OpenDialog)
        await pilot.press(*"(x + ", "enter")
        await settle(pilot)
        error = text_of(app.screen.query_one("#error", Static))
        assert error.startswith("error:")
        assert "at 1:" in error  # the position of the problem
        assert isinstance(app.screen, OpenDialog)  # still open
        await pilot.press("escape")
        await settle(pilot)
        assert app.stepper.graph is graph
        # a good expression replaces the graph
        await pilot.press("o")
        await settle(pilot)
        await pilot.press(*"(x + y) * x", "tab", *"x=3,y=2", "enter")
        await settle(pilot)
        assert app.stepper.graph is not graph
        await pilot.press("F")
        await settle(pilot)
        out = app.stepper.graph.nodes[app.stepper.output].name
        assert cell(app, out, "value") == "15"


@sync
async def test_mark_kind_and_descent_step() -> None:
    app = ExplorerApp(squared_error(), plugins=False)
    async with app.run_test(size=(120, 40)) as pilot:
        await jump(pilot, "x")
        await pilot.press("k")
        await settle(pilot)
        await pilot.press("down", "down", "enter")  # input, label, param
        await settle(pilot)
        assert app.stepper.graph.node("x").kind is Kind.PARAM
        assert cell(app, "x", "kind") == "param"
        await pilot.press("d")
        await settle(pilot)
        await pilot.press("enter")  # learning rate 0.1
        await settle(pilot)
        assert isinstance(app.screen, InfoDialog)
        info = text_of(app.screen.query_one("#info", Static))
        assert "w: 0.5 -> 0.46" in info  # 0.5 - 0.1 * 0.4
        assert "x: 2 -> 1.99" in info  # 2 - 0.1 * 0.1
        assert "loss L: 0.01 ->" in info
        await pilot.press("escape")
        await settle(pilot)
        assert app.stepper.values[app.stepper.graph.lookup("w")] == pytest.approx(0.46)


@sync
async def test_nudge_check_agrees() -> None:
    app = ExplorerApp(branching(), plugins=False)
    async with app.run_test(size=(120, 40)) as pilot:
        await jump(pilot, "x")
        await pilot.press("n")
        await settle(pilot)
        assert isinstance(app.screen, InfoDialog)
        info = text_of(app.screen.query_one("#info", Static))
        assert "df/dx = 8" in info
        assert "✓ agree" in info


@sync
async def test_save_never_overwrites_silently(tmp_path: Path) -> None:
    from cgtui.lang import yamlio

    target = tmp_path / "g.yaml"
    kept = yamlio.dumps(branching().graph)  # written by cgtui (a hand-written one is asked about)
    target.write_text(kept)
    app = ExplorerApp(squared_error(), plugins=False)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press("s")
        await settle(pilot)
        assert isinstance(app.screen, SaveDialog)
        await pilot.press("ctrl+a", "ctrl+k", *str(target), "enter")
        await settle(pilot)
        assert "exists" in text_of(app.screen.query_one("#error", Static))
        assert target.read_text() == kept
        await pilot.press("enter")  # the explicit confirmation
        await settle(pilot)
        assert not isinstance(app.screen, SaveDialog)
    saved = yamlio.load(target)
    assert saved.node("w").value == 0.5
    assert saved.node("w").kind is Kind.PARAM


@sync
async def test_help_lists_every_key_and_palette_has_actions() -> None:
    app = ExplorerApp(squared_error(), plugins=False)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press("question_mark")
        await settle(pilot)
        assert isinstance(app.screen, HelpScreen)
        keys = text_of(app.screen.query_one("#help-keys", Static))
        for description in ("Step forward", "Run the backward pass", "Undo", "Jump", "Edit", "Save", "Quit"):
            assert description in keys
        await pilot.press("escape")
        await settle(pilot)
        titles = [c.title for c in app.get_system_commands(app.screen)]
        assert any("Step forward" in t for t in titles)
        assert any("Open a YAML file" in t for t in titles)
        assert not any("Undo" in t for t in titles)  # nothing to undo yet


@sync
async def test_fault_is_shown_and_undone() -> None:
    stepper = Stepper(from_expression("out = log(x - 1)", values={"x": 1}))
    app = ExplorerApp(stepper, plugins=False)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press("F")
        await settle(pilot)
        assert "FAULT at" in text_of(app.query_one("#status", Static))
        assert cell(app, "out", "status") == "fault"
        await pilot.press("u")
        await settle(pilot)
        assert "FAULT" not in text_of(app.query_one("#status", Static))


@sync
async def test_narrow_screen_stacks_the_panes() -> None:
    app = ExplorerApp(squared_error(), plugins=False)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        assert app.screen.has_class("-narrow")
        views, side_column = app.query_one("#views"), app.query_one("#side-column")
        assert side_column.region.y > views.region.y  # below, not beside
        assert side_column.region.width >= 78


def test_cli_bad_source_exits_2_before_the_app(capsys: pytest.CaptureFixture[str]) -> None:
    from cgtui.cli import main

    assert main(["(x + * y)"]) == 2
    err = capsys.readouterr().err
    assert "error" in err and "1:" in err
    assert main(["x * y", "--output", "nope"]) == 2
    assert "nope" in capsys.readouterr().err


@sync
async def test_every_part_of_the_explorer_is_there() -> None:
    app = ExplorerApp(squared_error())
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        assert app.query("#tab-drawing")
        assert app.check_action("training", ()) and app.check_action("quiz", ())
    light = ExplorerApp(squared_error(), plugins=False)
    async with light.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        assert not light.query("#tab-drawing")
        assert not light.check_action("training", ()) and not light.check_action("quiz", ())


def test_serve_runs_the_same_command_line() -> None:
    import shlex

    from cgtui.app.serve import app_command
    from cgtui.cli import build_parser

    argv_in = ["serve", "(x + y) * x", "--at", "x=3,y=2", "--param", "x", "--port", "9000"]
    args = build_parser().parse_args(argv_in)
    argv = shlex.split(app_command(args))
    # every option first, then SOURCE after '--' (so '-x' or 'steps' is read as SOURCE)
    assert argv[1:] == ["-m", "cgtui", "--at=x=3,y=2", "--param=x", "--", "(x + y) * x"]
    assert args.host == "localhost"


def test_serve_bad_source_exits_2(capsys: pytest.CaptureFixture[str]) -> None:
    from cgtui.cli import main

    assert main(["serve", "(x +"]) == 2
    assert "1:" in capsys.readouterr().err
    assert main(["serve", "x", "--port", "70000"]) == 2


@sync
async def test_choose_another_output() -> None:
    from cgtui.core.graph import Graph, Node

    nodes = [
        Node("x", Kind.INPUT, None, (), 3.0),
        Node("y", Kind.INPUT, None, (), 2.0),
        Node("p", Kind.COMPUTATION, "mul", (0, 1)),
        Node("q", Kind.COMPUTATION, "add", (0, 1)),
    ]
    app = ExplorerApp(Stepper(Graph(nodes, [2, 3])), plugins=False)
    async with app.run_test(size=(120, 40)) as pilot:
        assert app.check_action("choose_output", ()) is True
        await pilot.press("t")
        await settle(pilot)
        await pilot.press("down", "enter")
        await settle(pilot)
        assert app.stepper.output == 3
        assert app.query_one("#tree").root.data.index == 3  # type: ignore[attr-defined]
        await pilot.press("F", "B")
        await settle(pilot)
        assert cell(app, "x", "dL/dnode") == "1"  # dq/dx, not dp/dx = 2
        assert cell(app, "p", "status") == "no path to output"


@sync
async def test_enter_on_a_reference_jumps_to_the_expanded_line() -> None:
    app = ExplorerApp(branching(), plugins=False)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        tree = app.query_one("#tree")
        x = app.stepper.graph.lookup("x")
        ref = tree._refs[x][0]  # type: ignore[attr-defined]
        tree.move_cursor(ref)  # type: ignore[attr-defined]
        await settle(pilot)
        assert tree.cursor_node is ref  # type: ignore[attr-defined]
        await pilot.press("enter")
        await settle(pilot)
        assert tree.cursor_node is tree._lines[x]  # type: ignore[attr-defined]


@sync
async def test_quiz_answers_step_the_explorer_views() -> None:
    app = ExplorerApp(branching(), plugins=True)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press("Q")
        await settle(pilot)
        assert app.screen.has_class("-quiz")
        # the first question asks for the value of v1 = x + y at x = 3, y = 2
        await pilot.press("5", "enter")
        await settle(pilot)
        assert app.stepper.forward_done == 1
        assert cell(app, "v1", "value") == "5"
        assert app.touched == app.stepper.graph.lookup("v1")


class CountingApp(ExplorerApp):
    """Counts selection changes."""

    CSS_PATH = str(Path(__file__).resolve().parent.parent / "cgtui" / "app" / "app.tcss")
    changes = 0

    def watch_selected(self, index: int) -> None:
        self.changes += 1
        super().watch_selected(index)


@sync
async def test_views_do_not_chase_stale_cursor_messages() -> None:
    # Keys faster than the app answers leave several "cursor moved" messages in flight;
    # passed up as they were, each moved the selection back, the app moved the cursor
    # again, and an idle explorer changed its selection hundreds of times a second.
    app = CountingApp(squared_error(), plugins=False)
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        tree = app.query_one("#tree", GraphTree)
        tree.focus()
        await settle(pilot)
        g = app.stepper.graph
        for name in ("d", "yhat", "z"):
            tree.move_cursor(tree._lines[g.lookup(name)], animate=False)
        for _ in range(5):
            await pilot.pause()
        before = app.changes
        for _ in range(10):
            await pilot.pause()
        assert app.changes == before  # idle: nothing moves
        await settle(pilot)
        assert app.selected == g.lookup("z")  # the last key wins
        table = app.query_one("#table", NodeTable)
        table.focus()
        await settle(pilot)
        for row in (1, 2, 3):
            table.move_cursor(row=row, animate=False)
        for _ in range(5):
            await pilot.pause()
        before = app.changes
        for _ in range(10):
            await pilot.pause()
        assert app.changes == before
        await settle(pilot)
        assert app.selected == 3


@sync
async def test_samples_picker_opens_a_sample() -> None:
    app = ExplorerApp(squared_error(), plugins=False)
    async with app.run_test(size=(80, 24)) as pilot:
        assert any(b.action == "samples" for b in app._actions())  # listed in help and palette
        await pilot.press("p")
        await settle(pilot)
        assert isinstance(app.screen, SamplesDialog)
        names = [s.name for s in app.screen.samples]
        assert "branching.yaml" in names and "squared_error.yaml" in names
        await pilot.press(*["down"] * names.index("branching.yaml"))
        await settle(pilot)
        assert "x reaches f by two paths" in text_of(app.screen.query_one("#sample-description", Static))
        await pilot.press("enter")
        await settle(pilot)
        assert not isinstance(app.screen, SamplesDialog)
        assert app.stepper.graph.title.startswith("Branching")
        await pilot.press("F", "B")
        await settle(pilot)
        assert cell(app, "x", "dL/dnode") == "8"


@sync
async def test_samples_picker_keeps_the_graph_when_a_sample_fails(tmp_path: Path) -> None:
    (tmp_path / "a_broken.yaml").write_text(
        "title: Broken\ndescription: does not parse\ninputs: {x: 1}\nsteps:\n  f: x +\noutput: f\n"
    )
    (tmp_path / "b_list.yaml").write_text("- 1\n- 2\n")
    app = ExplorerApp(squared_error(), plugins=False)
    app.samples_directory = tmp_path
    async with app.run_test(size=(120, 40)) as pilot:
        graph = app.stepper.graph
        await pilot.press("p")
        await settle(pilot)
        assert isinstance(app.screen, SamplesDialog)
        options = app.screen.query_one("#samples", OptionList)
        assert options.get_option_at_index(1).disabled  # not a mapping: listed, greyed out
        assert "is not a YAML mapping" in str(options.get_option_at_index(1).prompt)
        await pilot.press("enter")  # the broken one
        await settle(pilot)
        assert isinstance(app.screen, SamplesDialog)  # still open
        error = text_of(app.screen.query_one("#error", Static))
        assert error.startswith("cannot open a_broken.yaml:") and "f" in error
        await pilot.press("escape")
        await settle(pilot)
        assert app.stepper.graph is graph


@sync
async def test_dialog_prompts_wrap_at_80_columns() -> None:
    from textual.widgets import Label

    app = ExplorerApp(squared_error(), plugins=False)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("o")
        await settle(pilot)
        prompt = next(
            label for label in app.screen.query(Label) if "an expression such as" in str(label.render())
        )
        assert prompt.size.height >= 2  # wrapped, not cut at the dialog's edge
        await pilot.press("escape")
        await settle(pilot)
        await jump(pilot, "x")
        await pilot.press("k")
        await settle(pilot)
        options = app.screen.query_one(OptionList)
        assert [str(options.get_option_at_index(i).prompt) for i in range(2)] == ["input  (now)", "label"]


@sync
async def test_quiz_selects_the_node_it_asks_about() -> None:
    app = ExplorerApp(branching(), plugins=True)
    async with app.run_test(size=(120, 40)) as pilot:
        app.selected = app.stepper.graph.lookup("x")
        await settle(pilot)
        await pilot.press("Q")
        await settle(pilot)
        # the first question is the value of v1 = x + y
        assert app.selected == app.stepper.graph.lookup("v1")
        await pilot.press("5", "enter")
        await settle(pilot)
        # the next is the value of f = v1 * x
        assert app.selected == app.stepper.graph.lookup("f")
