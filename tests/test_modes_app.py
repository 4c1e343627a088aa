"""The explorer's backward-graph screen: G opens the backward pass of the graph on screen
as a graph of its own, it steps like any graph, and G goes back with the progress kept."""

from __future__ import annotations

import asyncio

from textual.pilot import Pilot
from textual.widgets import Static

from cgtui.app.app import ExplorerApp
from cgtui.engine.engine import Stepper, gradients
from cgtui.lang.build import from_expression


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


def test_forward_mode_screen_steps_tangents_with_undo_reset_and_direction() -> None:
    from textual.widgets import DataTable

    from cgtui.app.forward_mode import ForwardModeScreen

    async def main() -> None:
        g = from_expression("f = (x + y) * x", values={"x": 3, "y": 2})
        app = ExplorerApp(Stepper(g), plugins=False)
        async with app.run_test(size=(120, 40)) as pilot:
            await settle(pilot)
            titles = [c.title for c in app.get_system_commands(app.screen)]
            assert "Forward mode along the selected leaf" in titles
            await pilot.press("m")
            await settle(pilot)
            screen = app.screen
            assert isinstance(screen, ForwardModeScreen)
            table = screen.query_one("#fm-table", DataTable)
            status = screen.query_one("#fm-status", Static)

            def tangent(name: str) -> str:
                return str(table.get_cell(str(g.lookup(name)), "tangent"))

            assert "forward mode · direction d·/dx · 0/2 nodes" in text(status)
            await pilot.press("f")
            await settle(pilot)
            assert tangent("v1") == "1"  # ds/dx for s = x + y
            side = text(screen.query_one("#fm-side", Static))
            assert "dv1/dx = 1 · dx/dx + 1 · dy/dx = 1 · 1 + 1 · 0 = 1" in side
            assert "reverse mode is cheaper for this graph" in side
            await pilot.press("F")
            await settle(pilot)
            assert tangent("f") == "8" and "2/2 nodes" in text(status)
            await pilot.press("u")
            await settle(pilot)
            assert tangent("f") == "?"
            await pilot.press("r")
            await settle(pilot)
            assert tangent("v1") == "?"
            await pilot.press("c", "F")  # the next leaf: y
            await settle(pilot)
            assert tangent("f") == "3" and "direction d·/dy" in text(status)
            await pilot.press("escape")
            await settle(pilot)
            assert not isinstance(app.screen, ForwardModeScreen)
            assert app.stepper.forward_done == 0  # reverse mode untouched

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
