"""The explorer's two other modes: the backward-graph screen (G opens the backward pass of
the graph on screen as a graph of its own, it steps like any graph, and G goes back with
the progress kept) and forward mode (m: the tree, the table and the drawing show tangents
as each step happens); and the main side pane's whole-Jacobian costs."""

from __future__ import annotations

import asyncio
from typing import Any

from screen_text import screen_rows
from textual.pilot import Pilot
from textual.widgets import Static

from cgtui.app.app import ExplorerApp
from cgtui.app.drawing import DrawingView
from cgtui.app.forward_mode import ForwardModeScreen
from cgtui.app.side import SidePane
from cgtui.app.views import GraphTree, NodeTable
from cgtui.core.graph import Kind
from cgtui.engine.engine import Stepper, gradients
from cgtui.engine.jacobian import pass_counts
from cgtui.lang.build import from_expression
from cgtui.lang.samples import samples_dir
from cgtui.lang.source import load_source
from cgtui.teach.directions import jacobian_cost_lines


def run(test: object) -> None:
    assert callable(test)
    asyncio.run(test())


async def settle(pilot: Pilot[None]) -> None:
    for _ in range(200):
        await pilot.pause()
        app = pilot.app
        assert isinstance(app, ExplorerApp)
        if not app.pending_work():
            return
        if any(w.is_running for w in app.workers):
            await app.workers.wait_for_complete()
        else:
            await asyncio.sleep(0.01)
    raise AssertionError("the app did not settle")


def test_backward_graph_screen_opens_steps_and_goes_back() -> None:
    async def main() -> None:
        g = from_expression("f = (x + y) * x", values={"x": 3, "y": 2})
        app = ExplorerApp(Stepper(g), plugins=False)
        async with app.run_test(size=(120, 40)) as pilot:
            await settle(pilot)
            await pilot.press("f")  # one forward step on the original
            await settle(pilot)
            original = app.stepper
            assert original.forward_done == 1
            await pilot.press("G")
            await settle(pilot)
            bg = app.stepper.graph
            assert app.stepper is not original
            assert bg.output_names == ["df_dx", "df_dy"]
            assert "Backward pass" in app.sub_title
            await pilot.press("F")  # the forward pass of the backward graph is the gradient
            await settle(pilot)
            expected = gradients(g)
            for name in ("x", "y"):
                got = app.stepper.values[bg.lookup(f"df_d{name}")]
                assert got == expected.partials[g.index[name]]
            await pilot.press("b")  # and it steps backward like any graph
            await settle(pilot)
            assert app.stepper.backward_done == 1
            await pilot.press("G")
            await settle(pilot)
            assert app.stepper is original and original.forward_done == 1
            assert app.stepper.graph is g

    run(main)


def test_backward_graph_is_in_the_palette_and_refuses_a_constant_graph() -> None:
    async def main() -> None:
        g = from_expression("f = 2 * 3")
        app = ExplorerApp(Stepper(g), plugins=False)
        async with app.run_test(size=(120, 40)) as pilot:
            await settle(pilot)
            titles = [c.title for c in app.get_system_commands(app.screen)]
            assert "Open the backward graph, or go back" in titles
            await pilot.press("G")
            await settle(pilot)
            assert app.stepper.graph is g  # nothing to differentiate: stays, says why
            assert app.graph_stack == []

    run(main)


def forward_screen(app: ExplorerApp) -> ForwardModeScreen:
    screen = app.screen
    assert isinstance(screen, ForwardModeScreen)
    return screen


class Shown:
    """What forward mode's three views and side pane show for a node, read from the widgets."""

    def __init__(self, screen: ForwardModeScreen) -> None:
        self.screen = screen
        self.graph = screen.graph

    def tree(self, name: str) -> str:
        line = self.screen.query_one("#fm-tree", GraphTree).reveal(self.graph.lookup(name))
        assert line is not None
        return str(getattr(line.label, "plain", line.label))

    def table(self, name: str, column: str) -> str:
        table = self.screen.query_one("#fm-table", NodeTable)
        headings = [str(getattr(c.label, "plain", c.label)) for c in table.columns.values()]
        cell = table.get_row_at(self.graph.lookup(name))[headings.index(column)]
        return str(getattr(cell, "plain", cell))

    def headings(self) -> list[str]:
        table = self.screen.query_one("#fm-table", NodeTable)
        return [str(getattr(c.label, "plain", c.label)) for c in table.columns.values()]

    def box(self, name: str) -> list[str]:
        """The text lines inside node ``name``'s drawn box."""
        view = self.screen.query_one("#fm-drawing", DrawingView)
        drawing, picture = view.drawing, view.picture
        assert drawing is not None and picture is not None
        box = drawing.layout.boxes[drawing.scene.item_of[self.graph.lookup(name)]]
        rows = picture.lines[box.top + 1 : box.top + box.height - 1]
        return [row[box.left + 1 : box.left + box.width - 1].strip("│ ") for row in rows]

    def side(self) -> str:
        return "\n".join(text(w) for w in self.screen.query("#fm-side Static").results(Static))

    def status(self) -> str:
        return text(self.screen.query_one("#fm-status", Static))


def test_forward_mode_shows_tangents_in_the_tree_table_and_drawing_through_every_step() -> None:
    async def main() -> None:
        g = from_expression("f = (x + y) * x", values={"x": 3, "y": 2})
        app = ExplorerApp(Stepper(g))  # with the drawing tab
        async with app.run_test(size=(120, 40)) as pilot:
            await settle(pilot)
            titles = [c.title for c in app.get_system_commands(app.screen)]
            assert "Forward mode along the selected leaf" in titles
            await pilot.press("m")
            await settle(pilot)
            shown = Shown(forward_screen(app))
            assert "forward mode · direction d·/dx · 0/2 nodes" in shown.status()
            assert shown.headings()[4:6] == ["value", "dnode/dx"]
            # before any step: the seeded leaf's tangent is given, the rest unknown
            assert shown.tree("x").endswith("= 3   dx/dx 1")
            assert shown.tree("y").endswith("= 2   dy/dx 0")
            assert shown.tree("v1").endswith("= ?")
            assert shown.table("v1", "dnode/dx") == "?" and shown.table("v1", "status") == "next"
            assert shown.box("v1")[-2:] == ["= ?", "d/dx ?"]
            assert shown.box("x")[-2:] == ["= 3", "d/dx 1"]

            await pilot.press("f")  # v1 = x + y: dv1/dx = 1 · 1 + 1 · 0
            await settle(pilot)
            assert shown.tree("v1").endswith("x + y  = 5   dv1/dx 1")
            assert (shown.table("v1", "value"), shown.table("v1", "dnode/dx")) == ("5", "1")
            assert shown.table("v1", "status") == "computed" and shown.table("f", "status") == "next"
            assert shown.box("v1")[-2:] == ["= 5", "d/dx 1"]
            side = shown.side()
            assert "v1 = x + y = 3 + 2 = 5" in side
            assert "dv1/dx = 1 · dx/dx + 1 · dy/dx = 1 · 1 + 1 · 0 = 1" in side
            assert "reverse mode is cheaper for this graph" in side

            await pilot.press("F")  # f = v1 * x: df/dx = x · 1 + v1 · 1 = 8
            await settle(pilot)
            assert shown.tree("f").endswith("= 15   df/dx 8")
            assert shown.table("f", "dnode/dx") == "8"
            assert shown.box("f")[-2:] == ["= 15", "d/dx 8"]
            assert "2/2 nodes" in shown.status()

            await pilot.press("u")  # all three views forget f
            await settle(pilot)
            assert shown.tree("f").endswith("= ?")
            assert shown.table("f", "dnode/dx") == "?" and shown.table("f", "status") == "next"
            assert shown.box("f")[-2:] == ["= ?", "d/dx ?"]
            assert shown.tree("v1").endswith("dv1/dx 1")  # the step before stays

            await pilot.press("r")
            await settle(pilot)
            assert shown.tree("v1").endswith("= ?")
            assert shown.table("v1", "dnode/dx") == "?"
            assert shown.box("v1")[-2:] == ["= ?", "d/dx ?"]
            assert "0/2 nodes" in shown.status()

            await pilot.press("c", "F")  # the next leaf: y; df/dy = x · 1 = 3
            await settle(pilot)
            assert "direction d·/dy" in shown.status()
            assert shown.headings()[5] == "dnode/dy"
            assert shown.tree("f").endswith("= 15   df/dy 3")
            assert shown.tree("x").endswith("= 3   dx/dy 0")
            assert shown.table("f", "dnode/dy") == "3"
            assert shown.box("f")[-2:] == ["= 15", "d/dy 3"]

            await pilot.press("escape")
            await settle(pilot)
            assert not isinstance(app.screen, ForwardModeScreen)
            assert app.stepper.forward_done == 0  # reverse mode untouched

    run(main)


def test_forward_mode_views_follow_the_selection_and_keep_the_main_screen_s() -> None:
    async def main() -> None:
        g = from_expression("f = (x + y) * x", values={"x": 3, "y": 2})
        app = ExplorerApp(Stepper(g))
        async with app.run_test(size=(120, 40)) as pilot:
            await settle(pilot)
            main_selected = app.selected
            await pilot.press("m")
            await settle(pilot)
            screen = forward_screen(app)
            await pilot.press("2")  # the table: move to the row of y
            await settle(pilot)
            table = screen.query_one("#fm-table", NodeTable)
            assert table.has_focus
            y = g.lookup("y")
            key = "up" if table.cursor_row > y else "down"
            for _ in range(abs(table.cursor_row - y)):
                await pilot.press(key)
            await settle(pilot)
            assert screen.selected == g.lookup("y")
            assert "dy/dx = 0 (given)" in Shown(screen).side()
            await pilot.press("3")
            await settle(pilot)
            drawing = screen.query_one("#fm-drawing", DrawingView)
            assert drawing.has_focus and drawing.selected == g.lookup("y")
            await pilot.press("escape")
            await settle(pilot)
            assert app.selected == main_selected  # the forward screen's choice stays there

    run(main)


def test_forward_mode_at_80x24_stacks_the_views_and_the_side_pane(snap_compare: Any) -> None:
    """The forward-mode screen at 80x24 after two steps along x, the tree shown."""

    async def two_steps(pilot: Pilot[Any]) -> None:
        await pilot.press("m", "f", "f")
        await pilot.pause()
        await pilot.app.workers.wait_for_complete()
        await pilot.pause()

    g = from_expression("f = (x + y) * x", values={"x": 3, "y": 2})
    assert snap_compare(ExplorerApp(Stepper(g), plugins=False), terminal_size=(80, 24), run_before=two_steps)


def test_forward_mode_at_80x24_shows_every_part() -> None:
    async def main() -> None:
        g = load_source(str(samples_dir() / "forward_wins.yaml"))
        app = ExplorerApp(Stepper(g))
        async with app.run_test(size=(80, 24)) as pilot:
            await settle(pilot)
            await pilot.press("m", "f", "f")
            await settle(pilot)
            screen = forward_screen(app)
            assert screen.has_class("-narrow") and screen.has_class("-short")
            rows = screen_rows(app)
            page = "\n".join(rows)
            assert "Tree" in rows[0] and "Drawing" in rows[0]
            assert "= 0.0841470984808   dhs0/dtheta0 0" in page  # the tree: a tangent beside its value
            assert "hs0  (comp, mul)  computed" in page  # the side pane below the views
            assert "forward mode · direction d·/dtheta0 · 2/26 nodes" in rows[-2]
            assert "Fwd" in rows[-1] and "Direction" in rows[-1]
            for view in ("tree", "table", "drawing"):
                widget = screen.query_one(f"#fm-{view}")
                await pilot.press({"tree": "1", "table": "2", "drawing": "3"}[view])
                await settle(pilot)
                assert widget.region.height >= 5 and widget.region.width >= 78

    run(main)


def test_forward_mode_fault_is_shown_in_the_views_and_side_pane_and_undone() -> None:
    async def main() -> None:
        g = from_expression("f = log(x - 5) * x", values={"x": 3})
        app = ExplorerApp(Stepper(g))
        async with app.run_test(size=(80, 24)) as pilot:
            await settle(pilot)
            await pilot.press("m", "f", "f")  # v1 = x - 5 = -2, then log(-2)
            await settle(pilot)
            shown = Shown(forward_screen(app))
            assert shown.table("v2", "status") == "fault" and shown.table("v2", "dnode/dx") == "?"
            assert shown.tree("v1").endswith("= -2   dv1/dx 1")
            assert "stopped here: v2: log of -2 is undefined" in shown.side()
            assert "fault: v2: log of -2 is undefined" in shown.status()
            await pilot.press("u")  # clears the fault; v1 stays
            await settle(pilot)
            assert shown.table("v2", "status") == "next" and "fault" not in shown.status()
            assert shown.box("v1")[-2:] == ["= -2", "d/dx 1"]

    run(main)


def test_forward_mode_run_over_a_big_graph_writes_a_shortened_log() -> None:
    from textual.widgets import Log

    from cgtui.app.forward_mode import LOG_LINES_PER_ACTION

    async def main() -> None:
        n = 150  # 300 computations: 600 lines of tangent rules
        values = {"w": 2.0, **{f"x{i}": 1.0 for i in range(n)}}
        g = from_expression("f = " + " + ".join(f"x{i} * w" for i in range(n)), values=values)
        app = ExplorerApp(Stepper(g), plugins=False)
        async with app.run_test(size=(80, 24)) as pilot:
            await settle(pilot)
            await pilot.press("m", "F")
            await settle(pilot)
            screen = forward_screen(app)
            log = screen.query_one("#fm-log", Log)
            written = [str(line) for line in log.lines]
            assert len(written) <= LOG_LINES_PER_ACTION + 2  # the opening line, the run
            assert any("more lines ..." in line for line in written)
            assert written[-1].startswith("df/dx0 = ")  # the last step is there
            assert Shown(screen).tree("f").endswith("df/dx0 2")

    run(main)


def test_main_side_pane_shows_the_whole_jacobian_s_cost_in_both_directions() -> None:
    async def main() -> None:
        g = load_source(str(samples_dir() / "forward_wins.yaml"))
        app = ExplorerApp(Stepper(g), plugins=False)
        async with app.run_test(size=(120, 40)) as pilot:
            await settle(pilot)
            shown = app.query_one(SidePane).text("jacobian")
            assert shown == "\n".join(jacobian_cost_lines(pass_counts(g)))
            assert "the whole Jacobian (5 outputs × 2 leaves):" in shown
            assert "forward mode: 2 passes (one per leaf, n = 2), 70 multiplications" in shown
            assert "reverse mode: 5 passes (one per output, m = 5), 145 multiplications" in shown
            assert "forward mode is cheaper for this graph" in shown
            # with omega0 a constant, one leaf is left: one forward pass
            app.selected = g.lookup("omega0")
            await pilot.press("k")
            await settle(pilot)
            await pilot.press("down", "down", "down", "enter")  # input, label, param, const
            await settle(pilot)
            assert g.node("omega0").kind is Kind.CONST
            shown = app.query_one(SidePane).text("jacobian")
            assert "forward mode: 1 pass (one per leaf, n = 1)" in shown
            assert "forward mode is cheaper for this graph" in shown
            await pilot.press("u")  # and back
            await settle(pilot)
            assert "n = 2" in app.query_one(SidePane).text("jacobian")

    run(main)


def test_main_side_pane_names_reverse_mode_for_a_loss() -> None:
    async def main() -> None:
        g = from_expression("f = (x + y) * x", values={"x": 3, "y": 2})
        app = ExplorerApp(Stepper(g), plugins=False)
        async with app.run_test(size=(120, 40)) as pilot:
            await settle(pilot)
            shown = app.query_one(SidePane).text("jacobian")
            assert "the whole Jacobian (1 output × 2 leaves):" in shown
            assert "reverse mode is cheaper for this graph" in shown

    run(main)


def text(widget: Static) -> str:
    rendered = widget.render()
    return str(getattr(rendered, "plain", rendered))


def test_reverse_mode_keys_do_not_act_behind_the_forward_mode_screen() -> None:
    async def main() -> None:
        g = from_expression("f = (x + y) * x", values={"x": 3, "y": 2})
        app = ExplorerApp(Stepper(g), plugins=False)
        async with app.run_test(size=(120, 40)) as pilot:
            await settle(pilot)
            await pilot.press("m", "b", "B")
            await settle(pilot)
            assert app.stepper.backward_done == 0 and app.stepper.forward_done == 0
            await pilot.press("escape")

    run(main)
