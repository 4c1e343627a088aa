"""The drawing view on its own, in a tiny app: selection along edges by keys and mouse,
numbers refilled after steps, orientation, neighbourhood mode, and a snapshot."""

from __future__ import annotations

import asyncio

from textual.app import App, ComposeResult
from textual.pilot import Pilot

from cgtui.app.drawing import DrawingView
from cgtui.app.views import GraphView
from cgtui.core.graph import Graph, Kind, Node
from cgtui.engine.engine import Stepper
from cgtui.lang.build import from_expression


class DrawingApp(App[None]):
    """What the explorer does for the view, and no more: show, select, refresh."""

    def __init__(self, stepper: Stepper, *, limit: int | None = None) -> None:
        super().__init__()
        self.stepper = stepper
        self.chosen: list[str] = []
        self.limit = limit

    def compose(self) -> ComposeResult:
        if self.limit is None:
            yield DrawingView(id="drawing")
        else:
            yield DrawingView(id="drawing", limit=self.limit)

    def on_mount(self) -> None:
        view = self.query_one(DrawingView)
        view.show(self.stepper)
        view.focus()

    def on_graph_view_node_chosen(self, message: GraphView.NodeChosen) -> None:
        self.chosen.append(self.stepper.graph.nodes[message.index].name)


def chain_stepper() -> Stepper:
    graph = from_expression(
        "L = (w*x + b - y)^2", params={"w", "b"}, labels={"y"}, values=dict(w=0.5, x=2, b=0.1, y=1)
    )
    return Stepper(graph)


def name_of(view: DrawingView) -> str:
    assert view.stepper is not None and view.selected is not None
    return view.stepper.graph.nodes[view.selected].name


def test_selection_moves_along_edges() -> None:
    asyncio.run(_test_selection_moves_along_edges())


async def _test_selection_moves_along_edges() -> None:
    app = DrawingApp(chain_stepper())
    async with app.run_test(size=(100, 40)) as pilot:
        view = app.query_one(DrawingView)
        assert name_of(view) == "L"  # starts on the output
        await pilot.press("up")  # to an operand of L: v3 (straight above) or the const 2
        first = name_of(view)
        assert first in ("v3", "2")
        g = view.stepper.graph  # type: ignore[union-attr]
        assert g.lookup(first) in g.nodes[g.lookup("L")].operands
        await pilot.press("down")  # back along the edge to its result
        assert name_of(view) == "L"
        # climb to the top: each step is an edge from a result to one of its operands
        for _ in range(6):
            before = view.selected
            await pilot.press("up")
            if view.selected == before:
                break
            assert view.selected in g.nodes[before].operands  # type: ignore[index]
        assert g.nodes[view.selected].op is None  # type: ignore[index]  # reached a leaf
        # sideways: another box of the same layer
        before = view.selected
        layer = view.drawing.layout.ranks  # type: ignore[union-attr]
        item_of = view.drawing.scene.item_of  # type: ignore[union-attr]
        await pilot.press("right")
        if view.selected == before:
            await pilot.press("left")
        assert view.selected != before
        assert layer[item_of[view.selected]] == layer[item_of[before]]  # type: ignore[index]
        assert app.chosen and app.chosen[-1] == name_of(view)  # every move told the parent


def test_click_selects_the_box() -> None:
    asyncio.run(_test_click_selects_the_box())


async def _test_click_selects_the_box() -> None:
    app = DrawingApp(chain_stepper())
    async with app.run_test(size=(100, 40)) as pilot:
        view = app.query_one(DrawingView)
        assert view.drawing is not None
        g = view.stepper.graph  # type: ignore[union-attr]
        box = view.drawing.layout.boxes[view.drawing.scene.item_of[g.lookup("b")]]
        await pilot.click(DrawingView, offset=(box.left + 2, box.top + 1))
        assert name_of(view) == "b"
        assert app.chosen[-1] == "b"


def test_steps_refill_the_boxes_and_flip() -> None:
    asyncio.run(_test_steps_refill_the_boxes_and_flip())


async def _test_steps_refill_the_boxes_and_flip() -> None:
    stepper = chain_stepper()
    app = DrawingApp(stepper)
    async with app.run_test(size=(100, 40)) as pilot:
        view = app.query_one(DrawingView)
        assert view.picture is not None
        assert "= 0.01" not in view.picture.text()
        stepper.run_forward()
        stepper.run_backward()
        view.refresh_nodes(None)
        view.set_touched(stepper.graph.lookup("w"))
        await pilot.pause()
        text = view.picture.text()
        assert "= 0.01" in text and "∂ 0.4" in text  # L's value; dL/dw
        rows_td = view.drawing.layout.rows  # type: ignore[union-attr]
        await pilot.press("v")
        assert view.drawing is not None and view.drawing.layout.orientation == "lr"
        assert view.drawing.layout.rows != rows_td
        assert "∂ 0.4" in view.picture.text()  # the numbers survive a new layout
        # in left-to-right, "left" goes to an operand
        view.select(stepper.graph.lookup("L"))
        await pilot.press("left")
        assert view.selected in stepper.graph.nodes[stepper.graph.lookup("L")].operands


def ladder_graph(levels: int) -> Graph:
    lines = [f"a{k + 1} = tanh(a{k}*a{k} + a{k})" for k in range(levels)]
    return from_expression("\n".join(lines), values={"a0": 0.5})


def test_big_graph_shows_a_neighbourhood_and_follows_the_selection() -> None:
    asyncio.run(_test_big_graph_shows_a_neighbourhood_and_follows_the_selection())


async def _test_big_graph_shows_a_neighbourhood_and_follows_the_selection() -> None:
    graph = ladder_graph(40)  # 161 nodes; a limit of 50 forces the neighbourhood mode
    app = DrawingApp(Stepper(graph), limit=50)
    async with app.run_test(size=(100, 40)) as pilot:
        await app.workers.wait_for_complete()
        await pilot.pause()
        view = app.query_one(DrawingView)
        assert view.drawing is not None and view.drawing.scene.partial
        assert view.drawing.scene.centre == graph.outputs[0]
        small = len(view.drawing.scene.items)
        await pilot.press("plus")
        await app.workers.wait_for_complete()
        await pilot.pause()
        assert view.k == 3 and len(view.drawing.scene.items) > small
        # walk up until the selection leaves the drawn part: it re-centres there
        for _ in range(12):
            await pilot.press("up")
            await app.workers.wait_for_complete()
            await pilot.pause()
        assert view.selected is not None
        assert view.drawing.scene.centre != graph.outputs[0]
        assert view.selected in view.drawing.scene.item_of


def test_hub_graph_never_lays_out_thousands() -> None:
    nodes = [Node("x", Kind.INPUT, value=1.0)]
    nodes += [Node(f"r{k}", Kind.COMPUTATION, "exp", (0,)) for k in range(3000)]
    graph = Graph(nodes, [1])
    view = DrawingView()
    view.stepper = Stepper(graph)
    view.selected = 0
    scene = view._scene()
    assert scene.partial and len(scene.items) < 200


def test_drawing_snapshot(snap_compare) -> None:  # type: ignore[no-untyped-def]
    stepper = chain_stepper()
    stepper.run_forward()
    for _ in range(3):
        stepper.step_backward()
    app = DrawingApp(stepper)

    async def run_before(pilot: Pilot[None]) -> None:
        view = app.query_one(DrawingView)
        view.set_touched(stepper.graph.lookup("v2"))
        view.select(stepper.graph.lookup("v1"))
        await pilot.pause()

    assert snap_compare(app, terminal_size=(70, 44), run_before=run_before)


def test_an_underlined_kind_underlines_the_name_only() -> None:
    """The explorer's theme underlines the output's kind style; the box's frame and the
    padding inside it took that style too and drew a row of underscores through the box."""
    asyncio.run(_test_an_underlined_kind_underlines_the_name_only())


async def _test_an_underlined_kind_underlines_the_name_only() -> None:
    class Themed(DrawingApp):
        CSS = ".kind--output { text-style: bold underline; }"

    app = Themed(chain_stepper())
    async with app.run_test(size=(100, 40)) as pilot:
        await pilot.pause()
        view = app.query_one(DrawingView)
        view.select(0)  # away from the output: its box shows its own styles
        await pilot.pause()
        drawing = view.drawing
        assert drawing is not None and view.stepper is not None
        out = drawing.scene.item_of[view.stepper.output]
        box = drawing.layout.boxes[out]
        name = view.stepper.graph.nodes[view.stepper.output].name
        underlined: list[str] = []
        for row in range(box.top, box.top + box.height):
            strip = view.render_line(row - int(view.scroll_offset.y))
            for segment in strip:
                if segment.style is not None and segment.style.underline:
                    underlined.append(segment.text)
        assert underlined, "the output's name keeps its underline"
        assert all(text.strip() == name for text in underlined), underlined
