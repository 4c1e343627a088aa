"""Snapshot tests of the explorer (pytest-textual-snapshot): the main screen after a full
forward and backward pass at 80x24 and 120x40, the lesson at 80x24 (after ``F``, after ``B``
with a leaf selected, with the quiz open), and the help screen.

Update after an intended change with ``pytest tests/test_app_snapshots.py --snapshot-update``
and look at the SVGs in ``tests/__snapshots__`` before committing them.
"""

from __future__ import annotations

from typing import Any

from textual.pilot import Pilot

from cgtui.app.app import ExplorerApp
from cgtui.engine.engine import Stepper
from cgtui.lang.build import from_expression


def make_app() -> ExplorerApp:
    g = from_expression(
        "z = w * x\nyhat = z + b\nd = yhat - y\nL = d ^ 2",
        params={"w", "b"},
        labels={"y"},
        values={"w": 0.5, "x": 2, "b": 0.1, "y": 1},
    )
    # the optional views of other modules are left out so these pictures change only with this app
    return ExplorerApp(Stepper(g), source="squared error", plugins=False)


async def full_pass(pilot: Pilot[Any]) -> None:
    await pilot.press("F", "B")
    await pilot.pause()
    await pilot.app.workers.wait_for_complete()
    await pilot.pause()


def test_main_screen_80x24(snap_compare: Any) -> None:
    assert snap_compare(make_app(), terminal_size=(80, 24), run_before=full_pass)


def test_main_screen_120x40(snap_compare: Any) -> None:
    assert snap_compare(make_app(), terminal_size=(120, 40), run_before=full_pass)


async def forward_pass(pilot: Pilot[Any]) -> None:
    await pilot.press("F")
    await pilot.pause()
    await pilot.app.workers.wait_for_complete()
    await pilot.pause()


async def backward_pass_on_a_leaf(pilot: Pilot[Any]) -> None:
    await pilot.press("F")
    app = pilot.app
    assert isinstance(app, ExplorerApp)
    app.selected = app.stepper.graph.lookup("w")
    await pilot.press("B")
    await pilot.pause()
    await settle(pilot)


async def quiz_open(pilot: Pilot[Any]) -> None:
    from textual.widgets import Input

    await pilot.press("Q")
    await settle(pilot)
    answer = pilot.app.query_one("#quiz-answer", Input)
    answer.cursor_blink = False  # the picture does not depend on when it is taken
    for _ in range(100):  # the panel focuses its input after a refresh
        if answer.has_focus:
            break
        await pilot.pause()
    await settle(pilot)


async def settle(pilot: Pilot[Any]) -> None:
    from test_app import settle as settle_app

    await settle_app(pilot)


def test_after_forward_80x24(snap_compare: Any) -> None:
    assert snap_compare(make_app(), terminal_size=(80, 24), run_before=forward_pass)


def test_after_backward_with_a_leaf_selected_80x24(snap_compare: Any) -> None:
    assert snap_compare(make_app(), terminal_size=(80, 24), run_before=backward_pass_on_a_leaf)


def test_quiz_open_80x24(snap_compare: Any) -> None:
    app = make_app()
    app._quiz = True  # only the quiz of the optional parts
    assert snap_compare(app, terminal_size=(80, 24), run_before=quiz_open)


def test_help_screen(snap_compare: Any) -> None:
    assert snap_compare(make_app(), terminal_size=(100, 40), press=["question_mark"])
