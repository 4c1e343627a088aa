"""The step log repaints a scrollbar only when its thumb moves on screen (``StepLog`` in
``cgtui/app/app.py``): after every step what a scrollbar shows must be what it draws when
drawn afresh, through steps forward and backward, undo, a reset and wider lines."""

from __future__ import annotations

from test_app import settle, sync
from textual.geometry import Region
from textual.scrollbar import ScrollBar

from cgtui.app.app import ExplorerApp, StepLog
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


def shown(bar: ScrollBar) -> list[list[object]]:
    """What the scrollbar shows now (its lines as last drawn)."""
    return [list(strip) for strip in bar.render_lines(Region(0, 0, *bar.size))]


def fresh(bar: ScrollBar) -> list[list[object]]:
    """What the scrollbar draws when drawn afresh (a repaint asked for: nothing cached)."""
    bar.refresh()
    return shown(bar)


@sync
async def test_log_scrollbars_show_what_they_draw_afresh() -> None:
    graph = from_expression(CHAIN, values={"x": 0.5, "y": -1.5})
    app = ExplorerApp(Stepper(graph), plugins=False)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        log = app.query_one("#log", StepLog)
        checked = 0
        for key in [*"fff", *"ffffffffffff", "b", "b", "b", "u", "u", "B", "u", "r", *"fff"]:
            await pilot.press(key)
            await settle(pilot)
            bars = [log.vertical_scrollbar] if log.show_vertical_scrollbar else []
            bars += [log.horizontal_scrollbar] if log.show_horizontal_scrollbar else []
            for bar in bars:
                before = shown(bar)
                assert before == fresh(bar), key
                checked += 1
        assert log.show_vertical_scrollbar and checked > 20
