"""The quick scrollbar (``cgtui/app/scrollbars.py``) draws what Textual's draws, at every
thumb position and length, from the lines it drew before."""

from __future__ import annotations

import pytest
from conftest import SAMPLES
from test_app import settle, sync
from textual.geometry import Region
from textual.scrollbar import ScrollBar
from textual.strip import Strip

from cgtui.app.app import ExplorerApp
from cgtui.app.scrollbars import QuickScrollBar
from cgtui.app.side import SidePane
from cgtui.engine.engine import Stepper
from cgtui.lang.source import load_source


@sync
async def test_the_quick_scrollbar_draws_what_textual_draws_at_every_position() -> None:
    app = ExplorerApp(Stepper(load_source(str(SAMPLES / "messy.yaml"))), plugins=False)
    textual_draws: list[int] = []
    original = ScrollBar.render_lines

    def textual(bar: ScrollBar, crop: Region) -> list[Strip]:
        textual_draws.append(1)
        return original(bar, crop)

    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("F", "b", "b")
        await settle(pilot)
        tree = app.query_one("#tree")
        pane = app.query_one(SidePane)
        bars = [tree.vertical_scrollbar, pane.vertical_scrollbar]
        assert all(isinstance(bar, QuickScrollBar) for bar in bars)
        reused = drawn = 0
        with pytest.MonkeyPatch.context() as patch:
            patch.setattr(ScrollBar, "render_lines", textual)
            for view, bar in zip([tree, pane], bars, strict=True):
                assert bar.display and view.max_scroll_y > 2
                for y in [*range(int(view.max_scroll_y) + 1), 0, 1]:
                    view.scroll_to(y=y, animate=False, immediate=True)
                    await pilot.pause()
                    width, height = bar.size
                    for crop in (Region(0, 0, width, height), Region(0, 1, width, height - 2)):
                        textual_draws.clear()
                        quick = bar.render_lines(crop)
                        if textual_draws:
                            drawn += 1
                        else:
                            reused += 1
                        bar._styles_cache.clear()  # Textual's, from nothing it drew before
                        assert quick == original(bar, crop), (view.id, y, crop)
        assert reused > drawn  # most were drawn from the lines drawn before
