"""The explorer's first screen: complete as soon as the app is up (the focused tree, the
footer's keys, the log's width, the output's paths, the whole Jacobian's cost), and the
drawing tab's view, made when the tab is first shown, in the state the other views are in."""

from __future__ import annotations

import pytest
from rich.cells import cell_len
from screen_text import screen_rows
from test_app import jump, settle, squared_error, sync
from textual.pilot import Pilot
from textual.widgets import Log
from textual.widgets._footer import FooterKey

from cgtui.app import side
from cgtui.app.app import ExplorerApp
from cgtui.app.drawing import DrawingView
from cgtui.app.views import GraphTree
from cgtui.core.graph import Graph


@sync
async def test_the_first_screen_has_the_focus_the_keys_and_the_log_at_once() -> None:
    source = "a graph whose name is much longer than the step log is wide " * 2
    app = ExplorerApp(squared_error(), source=source)
    async with app.run_test(size=(80, 24)):
        # no pause: what the first frame shows, with nothing waited for
        assert app.focused is app.query_one("#tree", GraphTree)
        keys = list(app.query(FooterKey))
        assert keys and all(key.has_class("-compact") for key in keys)
        assert screen_rows(app)[-1].startswith("? Help q Quit tab Pane")
        log = app.query_one("#log", Log)
        assert log.lines[0] == f"opened {source}"
        # as wide as its longest line: the log scrolls sideways to the end of the name
        assert log.virtual_size.width == max(cell_len(line) for line in log.lines)
        assert log.virtual_size.width > log.size.width
        assert JACOBIAN in app.query_one(side.SidePane).text("jacobian")
        # the output has no paths to follow: its paths section needs no worker either
        assert app.query_one(side.SidePane).text("paths") == "L is the output: dL/dL = 1"
        assert not app.pending_work()


#: The last line of the whole Jacobian's cost for the squared error (1 output, 4 leaves).
JACOBIAN = "reverse mode is cheaper for this graph"


@sync
async def test_a_graph_above_the_limit_has_its_jacobian_counted_in_a_worker(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(side, "JACOBIAN_AT_ONCE", 3)
    workers: list[int] = []
    count = side.SidePane.count_jacobian

    def counted(pane: side.SidePane, graph: Graph, needs: list[bool]) -> object:
        workers.append(len(graph.nodes))
        return count(pane, graph, needs)

    monkeypatch.setattr(side.SidePane, "count_jacobian", counted)
    app = ExplorerApp(squared_error())
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        assert workers == [len(app.stepper.graph.nodes)]
        assert JACOBIAN in app.query_one(side.SidePane).text("jacobian")


@sync
async def test_the_drawing_view_is_made_when_its_tab_is_first_shown() -> None:
    app = ExplorerApp(squared_error())
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        assert app.query("#tab-drawing") and not app.query(DrawingView)
        await pilot.press("F", "b", "b")
        await jump(pilot, "w")
        await settle(pilot)
        await pilot.press("3")
        await settle(pilot)
        drawing = app.query_one("#drawing", DrawingView)
        assert drawing in list(app.views()) and app.focused is drawing
        assert drawing.stepper is app.stepper
        assert (drawing.selected, drawing.touched) == (app.selected, app.touched)
        assert drawing.picture is not None
        box = drawing._box_of(app.stepper.graph.index["d"])
        assert box is not None
        rows = drawing.picture.lines[box.top + 1 : box.bottom]
        lines = [row[box.left + 1 : box.right].strip() for row in rows]
        assert lines == ["d", "yhat - y", "= 0.1", "d 0.2"]  # d = 0.5*2 + 0.1 - 1, dL/dd = 2d
        # from now on it is one of the views: a step reaches it
        await pilot.press("1", "b")
        await settle(pilot)
        assert drawing.touched == app.touched and drawing.touched is not None
        await pilot.press("3")
        await settle(pilot)
        assert len(app.query(DrawingView)) == 1


@sync
async def test_a_click_on_the_drawing_tab_makes_the_view_too() -> None:
    app = ExplorerApp(squared_error())
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await pilot.click("#--content-tab-tab-drawing")
        await settle(pilot)
        drawing = app.query_one("#drawing", DrawingView)
        assert drawing.picture is not None and drawing.selected == app.selected


@sync
async def test_without_plugins_there_is_no_drawing_tab_to_make() -> None:
    app = ExplorerApp(squared_error(), plugins=False)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await pilot.press("3")
        await settle(pilot)
        assert not app.query("#tab-drawing") and not app.query(DrawingView)


@sync
async def test_the_tree_after_a_resize_is_the_tree_opened_at_that_size() -> None:
    """The tree keeps the lines it drew when a resize keeps its width, and draws them
    again for a new width: either way the screen is the one opened at the new size."""

    async def rows(app: ExplorerApp, pilot: Pilot[None]) -> list[str]:
        await settle(pilot)
        return screen_rows(app)

    app = ExplorerApp(squared_error())
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        for size in ((120, 30), (90, 40), (120, 40)):
            await pilot.resize_terminal(*size)
            shown = await rows(app, pilot)
            fresh = ExplorerApp(squared_error())
            async with fresh.run_test(size=size) as fresh_pilot:
                assert shown == await rows(fresh, fresh_pilot), size


@sync
async def test_the_palette_key_leaves_the_footer_below_100_columns_at_once() -> None:
    app = ExplorerApp(squared_error())
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        assert "^p palette" in screen_rows(app)[-1]
        await pilot.resize_terminal(90, 40)
        await settle(pilot)
        assert "^p" not in screen_rows(app)[-1]
        await pilot.resize_terminal(120, 40)
        await settle(pilot)
        assert "^p palette" in screen_rows(app)[-1]


@sync
async def test_a_node_with_no_paths_to_follow_has_its_paths_section_at_once() -> None:
    app = ExplorerApp(squared_error())
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        pane = app.query_one(side.SidePane)
        app.selected = app.stepper.graph.index["2"]  # the exponent: a constant
        assert pane.text("paths") == "2 is constant: no paths are followed" and not app.pending_work()
        app.selected = app.stepper.graph.index["w"]  # paths to follow: a worker finds them
        assert pane.text("paths") == "…" and app.pending_work() == ["side pane paths"]
        await settle(pilot)
        assert pane.text("paths").startswith("paths from w to L")


@sync
async def test_the_first_screen_is_styled_once_as_its_widgets_mount(monkeypatch: pytest.MonkeyPatch) -> None:
    """Textual restyles a whole screen when it is first shown, and its first focusable
    widget (the log) takes the focus before the tree does; every widget was just styled as
    it was mounted, so the explorer's screen skips both (on a 10,000-node graph, about
    40 ms of the launch)."""
    restyled: list[object] = []
    update = ExplorerApp.update_styles

    def spy(app: ExplorerApp, node: object, animate: bool = True) -> None:
        restyled.append(node)
        update(app, node, animate)  # type: ignore[arg-type]

    monkeypatch.setattr(ExplorerApp, "update_styles", spy)
    app = ExplorerApp(squared_error())
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        assert restyled and app.screen not in restyled and app.query_one("#log") not in restyled
        assert app.focused is app.query_one("#tree", GraphTree)
        await pilot.press("question_mark")  # the help, over the explorer, and back
        await settle(pilot)
        await pilot.press("escape")
        await settle(pilot)
        assert app.screen.id == "_default" and app.focused is app.query_one("#tree", GraphTree)
