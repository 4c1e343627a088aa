"""Snapshot tests of the explorer (pytest-textual-snapshot): the main screen after a full
forward and backward pass at 80x24 and 120x40, and the help screen.

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


def test_help_screen(snap_compare: Any) -> None:
    assert snap_compare(make_app(), terminal_size=(100, 40), press=["question_mark"])
