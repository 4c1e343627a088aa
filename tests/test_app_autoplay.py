"""Autoplay: space plays the forward pass, then the backward pass, one node per tick;
[ and ] set the speed; any stepping key pauses it; it stops at the end.

The ticks are called directly where the order matters (no test waits for a time), and one
test lets the real timer run to the end, waiting for that condition."""

from __future__ import annotations

import asyncio

from test_app import settle, squared_error, sync, text_of
from textual.widgets import Input, Static

from cgtui.app.app import AUTOPLAY_SPEEDS, ExplorerApp
from cgtui.app.dialogs import OpenDialog


def slow(app: ExplorerApp) -> ExplorerApp:
    """The slowest speed: two seconds before the timer's first tick, so a test that
    pauses the timer right after space calls every tick itself."""
    app.autoplay_speed = 0
    return app


def status(app: ExplorerApp) -> str:
    return text_of(app.query_one("#status", Static))


def stop_timer(app: ExplorerApp) -> None:
    """Keep the real timer from stepping while a test calls the ticks itself."""
    assert app.autoplay_timer is not None
    app.autoplay_timer.pause()


@sync
async def test_space_plays_forward_then_backward_one_node_per_tick() -> None:
    app = slow(ExplorerApp(squared_error(), plugins=False))
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await pilot.press("space")
        assert app.autoplay_timer is not None
        stop_timer(app)
        assert "▶ playing 0.5 steps/s" in status(app)
        g = app.stepper.graph
        order = []
        while app.autoplay_timer is not None:
            app.autoplay_tick()
            order.append(g.nodes[app.touched].name if app.touched is not None else None)
        # forward z, yhat, d, L; backward from the seed L down to z
        assert order == ["z", "yhat", "d", "L", "L", "d", "yhat", "z"]
        assert app.stepper.forward_complete and app.stepper.backward_complete
        await settle(pilot)
        assert "playing" not in status(app)
        assert any("autoplay done" in line for line in app._log_view.lines)
        await pilot.press("space")  # nothing left: says so, does not start
        await settle(pilot)
        assert app.autoplay_timer is None
        assert any("nothing left to play" in str(n.message) for n in app._notifications)


@sync
async def test_a_stepping_key_pauses_and_brackets_change_the_speed() -> None:
    app = slow(ExplorerApp(squared_error(), plugins=False))
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press("space")
        stop_timer(app)
        app.autoplay_tick()
        await pilot.press("right_square_bracket")
        assert app.autoplay_timer is not None  # still playing, faster
        stop_timer(app)
        assert app.autoplay_speed == 1
        assert "▶ playing 1 step/s" in status(app)
        steps = app.stepper.forward_done
        await pilot.press("f")  # a stepping key pauses, then steps
        await settle(pilot)
        assert app.autoplay_timer is None
        assert app.stepper.forward_done == steps + 1
        assert "playing" not in status(app)
        for _ in range(10):  # the slowest speed is the floor
            await pilot.press("left_square_bracket")
        await settle(pilot)
        assert app.autoplay_speed == 0
        await pilot.press("space")
        stop_timer(app)
        assert "▶ playing 0.5 steps/s" in status(app)
        await pilot.press("space")  # space again pauses
        await settle(pilot)
        assert app.autoplay_timer is None


@sync
async def test_the_timer_plays_to_the_end_by_itself() -> None:
    app = ExplorerApp(squared_error(), plugins=False)
    app.autoplay_speed = len(AUTOPLAY_SPEEDS) - 1
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("space")
        while app.autoplay_timer is not None:  # the condition, not a time
            await asyncio.sleep(0.02)
            await pilot.pause()
        await settle(pilot)
        assert app.stepper.forward_complete and app.stepper.backward_complete
        assert "backward 4/4" in status(app)


@sync
async def test_space_types_a_space_in_a_dialog_and_a_dialog_pauses_autoplay() -> None:
    app = slow(ExplorerApp(squared_error(), plugins=False))
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press("space")
        stop_timer(app)
        await pilot.press("o")
        await settle(pilot)
        assert isinstance(app.screen, OpenDialog)
        app.autoplay_tick()  # a tick with a dialog on top pauses instead of stepping
        assert app.autoplay_timer is None and app.stepper.forward_done == 0
        await pilot.press("a", "space", "b")
        await settle(pilot)
        assert app.screen.query_one("#source", Input).value == "a b"
        assert app.autoplay_timer is None
