"""The step log repaints its lines alone (not its border) when lines come, and a scrollbar
only when its thumb moves on screen (``StepLog`` in ``cgtui/app/app.py``): after every step
what the log and its scrollbars show must be what they draw when drawn afresh, through
steps forward and backward (a log not yet full, then scrolling), undo, a reset and wider
lines."""

from __future__ import annotations

from test_app import settle, sync
from test_tree_lines import styled_rows
from textual._styles_cache import StylesCache
from textual.geometry import Region
from textual.widget import Widget

from cgtui.app.app import ExplorerApp, StepLog
from cgtui.app.views import KeptRows
from cgtui.engine.engine import Stepper
from cgtui.lang.build import from_expression

#: A chain long enough that the log scrolls, with names that make some lines wider.
CHAIN = "\n".join(
    [
        "a1 = x * y",
        *(f"a{k} = tanh(a{k - 1}) + x" for k in range(2, 12)),
        "a_much_longer_name = a11 * y",
        "L = a_much_longer_name ^ 2",
    ]
)


def shown(widget: Widget) -> list[list[object]]:
    """What the widget shows now (its lines as last drawn, border included)."""
    return [list(strip) for strip in widget.render_lines(Region(0, 0, *widget.outer_size))]


def fresh(widget: Widget) -> list[list[object]]:
    """What the widget draws when drawn afresh (a repaint asked for: nothing cached)."""
    widget.refresh()
    return shown(widget)


@sync
async def test_log_and_its_scrollbars_show_what_they_draw_afresh() -> None:
    graph = from_expression(CHAIN, values={"x": 0.5, "y": -1.5})
    app = ExplorerApp(Stepper(graph), plugins=False)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        log = app.query_one("#log", StepLog)
        checked = 0
        for key in [*"fff", *"ffffffffffff", "b", "b", "b", "u", "u", "B", "u", "r", *"fff"]:
            await pilot.press(key)
            await settle(pilot)
            parts: list[Widget] = [log]
            parts += [log.vertical_scrollbar] if log.show_vertical_scrollbar else []
            parts += [log.horizontal_scrollbar] if log.show_horizontal_scrollbar else []
            for part in parts:
                before = shown(part)
                assert before == fresh(part), (key, part)
                checked += 1
        assert log.show_vertical_scrollbar and checked > 20


@sync
async def test_a_step_styles_only_the_logs_new_row_and_the_rows_are_textuals() -> None:
    """A new line scrolls every line of the full log up by one: Textual drew and styled
    every row again; the log keeps each line drawn and each styled row for its line
    (``KeptRows``), so a step styles its new line's row alone (the border is not
    repainted). The rows are what Textual's own cache makes."""
    graph = from_expression(CHAIN, values={"x": 0.5, "y": -1.5})
    app = ExplorerApp(Stepper(graph), plugins=False)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        log = app.query_one("#log", StepLog)
        assert isinstance(log._styles_cache, KeptRows)
        await pilot.press(*"ffffffff")  # the log full: it scrolls at every line
        await settle(pilot)
        content_rows = log.scrollable_content_region.height  # (a horizontal scrollbar below)
        assert log.scroll_offset.y > 0 and content_rows > 3
        with styled_rows(log) as styled:
            await pilot.press("f")
            await settle(pilot)
        assert styled == [log.styles.gutter.top + content_rows - 1]  # the new line's row alone
        ours = shown(log)
        log._styles_cache = StylesCache()  # Textual's own
        assert fresh(log) == ours
