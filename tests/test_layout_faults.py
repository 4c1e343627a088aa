"""Small layout faults of the explorer and big graphs (issue: a 9,999-node graph and the
samples), each found first as a failing test."""

from __future__ import annotations

from pathlib import Path

import pytest
from screen_text import screen_rows, screen_text
from test_app import jump, settle, squared_error, sync
from textual.widgets import Static

from cgtui.app import app as app_module
from cgtui.app import explain
from cgtui.app.app import ExplorerApp
from cgtui.app.side import SidePane
from cgtui.app.views import TOUCHED_MARK, GraphTree, NodeTable
from cgtui.core.graph import Graph, Kind, Node
from cgtui.engine.engine import Stepper
from cgtui.lang.build import from_expression


def chain(n: int) -> Stepper:
    """``x -> v1 -> ... -> L``: ``n`` nodes in one line, the tree as deep as the graph."""
    nodes = [Node("x", Kind.INPUT, None, (), 0.5)]
    for k in range(1, n - 1):
        nodes.append(Node(f"v{k}", Kind.COMPUTATION, "tanh" if k % 2 else "exp", (k - 1,)))
    nodes.append(Node("L", Kind.COMPUTATION, "tanh", (n - 2,)))
    return Stepper(Graph(nodes, [n - 1], title=f"a chain of {n} nodes"))


def many_params(n: int) -> Stepper:
    expr = " + ".join(f"w{i}*x{i}" for i in range(n))
    values = {**{f"w{i}": 0.123456789 * (i + 1) for i in range(n)}, **{f"x{i}": 1.0 for i in range(n)}}
    return Stepper(from_expression(f"L = {expr}", params={f"w{i}" for i in range(n)}, values=values))


@sync
async def test_the_first_switch_to_the_table_keeps_the_selection() -> None:
    app = ExplorerApp(squared_error(), plugins=False)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await jump(pilot, "w")
        await pilot.press("2")
        await settle(pilot)
        table = app.query_one("#table", NodeTable)
        assert table.cursor_row == app.stepper.graph.lookup("w")
        assert app.selected == app.stepper.graph.lookup("w")


@sync
async def test_the_first_switch_to_the_table_of_a_big_graph_keeps_the_selection() -> None:
    stepper = chain(1000)  # rows load in chunks once the table is first shown
    app = ExplorerApp(stepper, plugins=False)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await jump(pilot, "v990")
        chosen = stepper.graph.lookup("v990")
        assert app.selected == chosen
        await pilot.press("2")
        await settle(pilot)
        table = app.query_one("#table", NodeTable)
        assert table.cursor_row == chosen
        assert app.selected == chosen


@sync
async def test_after_backward_the_tree_reveals_a_deep_selected_node() -> None:
    stepper = chain(400)
    app = ExplorerApp(stepper, plugins=False)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        deep = stepper.graph.lookup("v3")  # 396 lines below the root: not opened at first
        await pilot.press("2")
        await settle(pilot)
        table = app.query_one("#table", NodeTable)
        table.move_cursor(row=deep)
        await settle(pilot)
        assert app.selected == deep
        await pilot.press("F", "B", "1")
        await settle(pilot)
        tree = app.query_one("#tree", GraphTree)
        assert app.selected == deep
        assert tree.cursor_node is not None and tree.cursor_node.data is not None
        assert tree.cursor_node.data.index == deep


@sync
async def test_the_touched_marker_is_not_the_collapsed_glyph_and_a_click_does_not_fold() -> None:
    assert "▶" not in TOUCHED_MARK and "▼" not in TOUCHED_MARK
    app = ExplorerApp(squared_error(), plugins=False)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await pilot.press("f")
        await settle(pilot)
        assert TOUCHED_MARK.strip() in screen_text(app)  # z, touched, marked in the tree
        tree = app.query_one("#tree", GraphTree)
        d = app.stepper.graph.lookup("d")
        line = tree._lines[d]
        assert line.is_expanded
        await pilot.click("#tree", offset=(12, line.line))  # on the label, not the ▼
        await settle(pilot)
        assert app.selected == d
        assert line.is_expanded  # selected, still open


@sync
async def test_the_table_marker_does_not_cut_names() -> None:
    app = ExplorerApp(squared_error(), plugins=False)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await pilot.press("2", "f", "f")  # z, then yhat touched
        await settle(pilot)
        assert f"{TOUCHED_MARK}yhat" in screen_text(app)


@sync
async def test_the_local_derivative_table_keeps_each_edge_on_one_line_at_120x40() -> None:
    app = ExplorerApp(squared_error(), plugins=False)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press("F")
        await settle(pilot)
        await jump(pilot, "L")
        rows = screen_rows(app)
        edge_rows = [r for r in rows if "d -> L" in r]
        assert edge_rows and "0.2" in edge_rows[0]  # the value is on the edge's row
        assert any("2 -> L" in r and "not needed" in r for r in rows)


def test_the_status_line_lists_params_rounded_and_counts_the_rest() -> None:
    stepper = many_params(30)
    line = explain.status_line(stepper, None, width=90)
    assert len(line) <= 90
    assert line.endswith("more") and "+28 more" in line
    assert "w1=0.2469" in line  # rounded to 4 significant digits
    assert "w0=0.1235 w1=0.2469" in explain.status_line(stepper)  # all of them without a width


@sync
async def test_the_status_line_is_never_cut_mid_list_at_80_columns() -> None:
    app = ExplorerApp(many_params(30), plugins=False)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        status = app.query_one("#status", Static)
        text = str(status.render())
        assert text.endswith("more") and len(text) <= status.content_size.width


def test_long_paths_are_shortened() -> None:
    stepper = chain(10_000)
    stepper.run_forward()
    stepper.run_backward()
    view = explain.paths_view(stepper, 0)
    assert len(view.lines) == 1
    line = view.lines[0]
    assert line.startswith("x -> v1 -> v2 -> v3 -> … (9,995 more) -> L:")
    assert "… (9,994 more) ·" in line and len(line) < 200


@sync
async def test_the_first_frame_at_80_columns_is_stacked() -> None:
    seen: list[bool] = []

    class Recording(ExplorerApp):
        CSS_PATH = str(Path(app_module.__file__).parent / "app.tcss")
        def _show_graph(self, message: str) -> None:
            seen.append(self.screen.has_class("-narrow"))  # before the big graph's first frame
            super()._show_graph(message)

    app = Recording(squared_error(), plugins=False)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
    assert seen == [True]


def test_a_partial_before_the_backward_pass_reads_not_yet() -> None:
    stepper = squared_error()
    stepper.run_forward()
    acc = explain.accumulation(stepper, stepper.graph.lookup("w"))
    assert "not yet" in acc.total and "= 0" not in acc.total


def test_a_known_local_derivative_is_shown_as_its_value() -> None:
    stepper = squared_error()  # nothing computed: z = w * x is not, but w and x are known
    rows = explain.edge_rows(stepper, stepper.graph.lookup("z"))
    assert [r.value for r in rows] == ["2", "0.5"]
    stepper.step_forward()  # z; now yhat = z + b: both operands known
    rows = explain.edge_rows(stepper, stepper.graph.lookup("yhat"))
    assert "?" not in [r.value for r in rows]


@sync
async def test_a_faulted_nodes_pane_gives_the_reason() -> None:
    g = from_expression("y = log(x)\nL = y * 2", values={"x": -1})
    app = ExplorerApp(Stepper(g), plugins=False)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press("f")
        await settle(pilot)
        assert app.stepper.fault is not None
        side = app.query_one("#side", SidePane)
        assert app.selected == app.stepper.fault.node
        assert app.stepper.fault.message in side.text("definition")


def test_two_edges_through_the_same_operand_are_told_apart_by_slot() -> None:
    stepper = Stepper(from_expression("f = a0 * a0 + b", values={"a0": 3, "b": 1}))
    stepper.run_forward()
    stepper.run_backward()
    a0 = stepper.graph.lookup("a0")
    terms = [t.text for t in explain.accumulation(stepper, a0).terms]
    assert len(terms) == 2 and terms[0] != terms[1]
    assert "-a->" in terms[0] and "-b->" in terms[1]
    lines = explain.paths_view(stepper, a0).lines
    assert any("a0 -a->" in line for line in lines) and any("a0 -b->" in line for line in lines)
    square = stepper.graph.nodes[stepper.graph.successors(a0)[0][0]]
    edges = [r.edge for r in explain.edge_rows(stepper, stepper.graph.lookup(square.name))]
    assert edges == [f"a0 -a-> {square.name}", f"a0 -b-> {square.name}"]




def test_draw_at_shows_the_values_it_was_given(capsys: pytest.CaptureFixture[str]) -> None:
    from cgtui.cli import main

    assert main(["draw", "f = (x + y) * x", "--at", "x=3,y=2", "--color", "never"]) == 0
    out = capsys.readouterr().out
    assert "= 3" in out and "= 2" in out  # the leaves' values as given
    assert "= 15" not in out  # nothing computed without --values
