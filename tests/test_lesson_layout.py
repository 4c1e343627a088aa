"""The whole lesson at 80x24 (the size of an SSH demo): the backward pass's story on screen
without scrolling, ``z`` for any pane, and the keys that matter always in the footer."""

from __future__ import annotations

from typing import Any

from screen_text import screen_rows, screen_text
from test_app import branching, jump, settle, squared_error, sync
from textual.widgets import Log

from cgtui.app.app import ExplorerApp
from cgtui.app.side import SidePane


@sync
async def test_after_backward_a_leafs_partial_terms_and_paths_are_on_screen_at_80x24() -> None:
    app = ExplorerApp(squared_error(), plugins=False)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("F")
        await settle(pilot)
        await jump(pilot, "w")
        await pilot.press("B")
        await settle(pilot)
        assert app.selected == app.stepper.graph.lookup("w")  # B keeps the selection
        side = app.query_one("#side", SidePane)
        # nothing of the node's story below the fold: only the whole Jacobian's cost (the
        # graph's, not the node's) follows with a scroll
        assert side.scroll_y == 0
        paths, jacobian = side.rows_of("paths"), side.rows_of("jacobian")
        assert paths is not None and paths[1] <= side.size.height
        assert jacobian is not None and jacobian[0] >= side.size.height
        text = screen_text(app)
        assert "dL/dw = 0.4  (final)" in text  # the partial
        assert "✓ done" in text and "= 0.2 · 2 = 0.4" in text  # its += term
        assert "sum over paths = 0.4" in text
        assert "✓ equals backprop's cached dL/dw = 0.4" in text


@sync
async def test_a_node_with_more_terms_keeps_its_partial_in_view_at_80x24() -> None:
    app = ExplorerApp(branching(), plugins=False)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("F")
        await settle(pilot)
        await jump(pilot, "x")
        await pilot.press("B")
        await settle(pilot)
        text = screen_text(app)
        assert text.count("✓ done") == 2  # x's two terms
        assert "dL/dx = 8  (final)" in text or "df/dx = 8  (final)" in text
        assert "sum over paths = 8" in text and "✓ equals" in text


@sync
async def test_z_maximises_whichever_pane_has_focus() -> None:
    app = ExplorerApp(squared_error(), plugins=False)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        for pane, expected in (("#side", "side-column"), ("#log", "log"), ("#tree", "views")):
            app.query_one(pane).focus()
            await pilot.press("z")
            await pilot.pause()
            maximized = app.screen.maximized
            assert maximized is not None and maximized.id == expected, pane
            await pilot.press("z")
            await pilot.pause()
            assert app.screen.maximized is None


@sync
async def test_tab_moves_between_the_panes() -> None:
    app = ExplorerApp(squared_error(), plugins=False)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        seen = set()
        for _ in range(6):
            await pilot.press("tab")
            focused = app.focused
            while focused is not None and focused.id not in ("views", "side", "log"):
                focused = focused.parent  # type: ignore[assignment]
            if focused is not None:
                seen.add(focused.id)
        assert {"views", "side", "log"} <= seen
        assert isinstance(app.query_one("#log"), Log)


async def footer_row(pilot: Any) -> str:
    """The footer's row once it has been rebuilt for the focused widget."""
    for _ in range(200):  # the footer rebuilds after a focus change; a hang fails the test
        await pilot.pause()
        row = screen_rows(pilot.app)[-1]
        if row.strip():
            return row
    raise AssertionError("the footer stayed empty")


@sync
async def test_the_footer_keeps_help_quit_and_the_pane_key_at_80_columns() -> None:
    app = ExplorerApp(squared_error())
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        for pane in ("#tree", "#side", "#log"):
            app.query_one(pane).focus()
            assert (await footer_row(pilot)).startswith("? Help q Quit tab Pane"), pane
        for key in ("2", "3"):  # the table, the drawing
            await pilot.press(key)
            assert (await footer_row(pilot)).startswith("? Help q Quit tab Pane"), key
        await pilot.press("Q")  # the quiz's answer box takes ? and q as text
        await settle(pilot)
        footer = await footer_row(pilot)
        assert footer.startswith("f1 Help ^q Quit tab Pane"), footer
        await pilot.press("f1")
        await pilot.pause()
        assert type(app.screen).__name__ == "HelpScreen"
