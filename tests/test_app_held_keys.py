"""A held key: step keys that queue up faster than the screen is drawn all step, and the
screen shows where they got as if each had been pressed in turn (one update for the lot)."""

from __future__ import annotations

from typing import Any

from test_app import regression, settle, sync, text_of
from textual import events
from textual.widgets import Static

from cgtui.app.app import ExplorerApp
from cgtui.app.views import GraphTree


def screen_state(app: ExplorerApp) -> dict[str, Any]:
    tree = app.query_one("#tree", GraphTree)
    return {
        "log": list(app._log_view.lines),
        "positions": (app.stepper.forward_done, app.stepper.backward_pos),
        "selected": app.selected,
        "touched": app.touched,
        "cursor": tree.cursor_node.data if tree.cursor_node is not None else None,
        "labels": {i: str(line.label) for i, line in tree._lines.items()},
        "side": {w.id: text_of(w) for w in app.query("#side Static").results(Static)},
        "status": text_of(app.query_one("#status", Static)),
    }


async def pressed_in_turn(keys: str) -> dict[str, Any]:
    app = ExplorerApp(regression(), plugins=False)
    async with app.run_test(size=(100, 40)) as pilot:
        await settle(pilot)
        for key in keys:
            await pilot.press(key)
            await settle(pilot)
        return screen_state(app)


async def held(keys: str) -> tuple[dict[str, Any], int]:
    """Every key queued at once, before the app handles the first; and how many screen
    updates the steps took."""
    app = ExplorerApp(regression(), plugins=False)
    updates = 0
    after = app._after

    def counted(*args: Any, **kwargs: Any) -> None:
        nonlocal updates
        updates += 1
        after(*args, **kwargs)

    async with app.run_test(size=(100, 40)) as pilot:
        await settle(pilot)
        app._after = counted  # type: ignore[method-assign]
        for key in keys:
            app.post_message(events.Key(key, key))
        await settle(pilot)
        return screen_state(app), updates


@sync
async def test_held_forward_key_steps_each_press_and_updates_the_screen_once() -> None:
    keys = "fffff"
    state, updates = await held(keys)
    assert state == await pressed_in_turn(keys)
    assert state["positions"][0] == 5
    assert updates < len(keys)


@sync
async def test_held_keys_mixed_with_undo_and_backward_steps() -> None:
    keys = "FbbbubbB"[0] + "bbbubb"  # F, then single steps and an undo held together
    state, updates = await held(keys)
    assert state == await pressed_in_turn(keys)
    assert updates < len(keys)


@sync
async def test_held_key_that_cannot_act_still_shows_the_steps_before_it() -> None:
    # the forward pass has 6 steps: the seventh f says why it cannot act
    keys = "ffffffff"
    state, _ = await held(keys)
    assert state == await pressed_in_turn(keys)
    assert state["positions"][0] == 6
