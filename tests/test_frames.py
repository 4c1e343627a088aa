"""The explorer's screen draws only the widgets under a changed region (its compositor's
shortcut, ``cgtui/app/app.py``): every frame it writes must be exactly the frame Textual's
own compositor writes, through steps, undo, tabs, focus changes and a dialog."""

from __future__ import annotations

from typing import Any

from test_app import regression, settle, sync
from textual._compositor import Compositor

from cgtui.app.app import ExplorerApp, _ShownCompositor


@sync
async def test_every_frame_is_the_one_textual_draws(monkeypatch: Any) -> None:
    frames: list[bool] = []

    def checked(compositor: _ShownCompositor) -> Any:
        changed = set(compositor._dirty_regions)
        mine = original(compositor)
        compositor._dirty_regions.update(changed)
        textuals = Compositor.render_partial_update(compositor)
        if mine is None or textuals is None:
            frames.append(mine is None and textuals is None)
            return mine
        console = compositor.root.app.console if compositor.root is not None else None
        assert console is not None
        frames.append(mine.render_segments(console) == textuals.render_segments(console))
        return mine

    original = _ShownCompositor.render_partial_update
    monkeypatch.setattr(_ShownCompositor, "render_partial_update", checked)
    app = ExplorerApp(regression(), plugins=True)
    async with app.run_test(size=(110, 36)) as pilot:
        await settle(pilot)
        # steps, undo, the table and drawing tabs, focus on the side pane, the log hidden, Jump
        for key in [*"ffFbbu2b1", "tab", *"b31lblB", "slash"]:
            await pilot.press(key)
            await settle(pilot)
        await pilot.press("escape")
        await settle(pilot)
    assert len(frames) > 20
    assert all(frames), [k for k, same in enumerate(frames) if not same]
