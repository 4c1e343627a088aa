"""The explorer's backward-graph screen: G opens the backward pass of the graph on screen
as a graph of its own, it steps like any graph, and G goes back with the progress kept."""

from __future__ import annotations

import asyncio

from textual.pilot import Pilot

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
