"""The explorer's screen draws only the widgets seen in a changed region (its compositor's
shortcut, ``cgtui/app/app.py``): every frame it writes must put exactly the characters and
styles on screen that the frame Textual's own compositor writes puts there, through steps,
undo, tabs, focus changes and a dialog. (Textual's frame may also move the cursor to the
end of a changed region and write nothing there: moves alone are not compared.)"""

from __future__ import annotations

from typing import Any

from rich.cells import cell_len
from rich.console import Console
from rich.segment import ControlType, Segment
from rich.style import Style
from test_app import regression, settle, sync
from textual._compositor import ChopsUpdate, Compositor

from cgtui.app.app import ExplorerApp, _ShownCompositor


def cells(update: ChopsUpdate, console: Console) -> dict[tuple[int, int], tuple[str, Style | None]]:
    """What a frame writes: each screen cell it sets, with the character and its style."""
    written: dict[tuple[int, int], tuple[str, Style | None]] = {}
    x = y = 0
    for segment in update.__rich_console__(console, console.options):
        assert isinstance(segment, Segment)  # a frame writes segments and cursor moves only
        if segment.control:
            for control in segment.control:
                if len(control) == 3 and control[0] is ControlType.CURSOR_MOVE_TO:
                    x, y = int(control[1]), int(control[2])
            continue
        for char in segment.text:
            if char == "\n":
                x, y = 0, y + 1
                continue
            written[x, y] = (char, segment.style)
            x += cell_len(char)
    return written


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
        frames.append(cells(mine, console) == cells(textuals, console))
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
