"""The explorer keeps a graph's long-lived objects out of the garbage collector's full
passes (``cgtui/app/heap.py``): they are frozen once the graph is on screen and after a
whole pass, and given back when another graph is opened (so that reference cycles the old
graph leaves are freed, not kept for good) and when the explorer closes."""

from __future__ import annotations

import gc
import weakref

from test_app import SQUARED_ERROR, regression, settle, sync
from textual.pilot import Pilot

from cgtui.app.app import ExplorerApp
from cgtui.lang.build import from_expression


async def frozen(pilot: Pilot[None]) -> None:
    """Settle, then wait until the explorer has frozen what it means to (it does so once
    no worker runs, in the background: the screen does not wait for it)."""
    app = pilot.app
    assert isinstance(app, ExplorerApp)
    await settle(pilot)
    for _ in range(200):  # the freeze retries every HEAP_RETRY while work is pending
        if app._heap_pending is None:
            return
        await pilot.pause(0.05)
    raise AssertionError("the long-lived objects were never frozen")


class Cycle:
    """An object in a reference cycle: only a full pass of the collector frees it."""

    def __init__(self) -> None:
        self.me = self


@sync
async def test_a_graph_is_frozen_on_screen_and_its_cycles_freed_when_another_opens() -> None:
    app = ExplorerApp(regression(), plugins=True)
    try:
        async with app.run_test(size=(110, 36)) as pilot:
            await frozen(pilot)
            assert gc.get_freeze_count() > 0  # the first graph's objects, out of the passes
            cycle = Cycle()
            probe = weakref.ref(cycle)
            setattr(app.stepper, "probe", cycle)  # noqa: B010 - lives as long as the stepper
            del cycle
            await pilot.press("F")  # a whole pass: what is alive now is frozen, the probe too
            await frozen(pilot)
            gc.collect()
            assert probe() is not None
            app._open(from_expression(SQUARED_ERROR, values={"w": 1, "x": 2, "b": 0, "y": 1}), "other")
            await frozen(pilot)
            assert probe() is None  # the old stepper went, and its cycle with it
            assert gc.get_freeze_count() > 0  # the new graph's objects, frozen in turn
            assert "opened other" in "\n".join(app._log_view.lines)
        assert gc.get_freeze_count() == 0  # closed: nothing of the app's is kept frozen
    finally:
        gc.unfreeze()  # the next tests start with nothing frozen


@sync
async def test_the_collector_paused_for_the_launch_runs_again_once_the_graph_is_frozen() -> None:
    from cgtui.app import heap

    assert gc.isenabled()
    heap.pause()  # as `cgtui FILE` does before it imports the app and loads the graph
    try:
        assert not gc.isenabled()
        app = ExplorerApp(regression(), plugins=True)
        async with app.run_test(size=(110, 36)) as pilot:
            await frozen(pilot)
            assert gc.isenabled()  # the first screen is drawn and frozen: passes run again
            heap.pause()
            assert not gc.isenabled()
        assert gc.isenabled()  # closing gives everything back, the collector on
        gc.disable()
        heap.pause()  # someone else turned it off: theirs to turn on
        heap.freeze()
        assert not gc.isenabled()
    finally:
        gc.enable()
        gc.unfreeze()


def test_a_source_the_explorer_refuses_leaves_the_collector_on() -> None:
    """`cgtui SOURCE` turns the collector off before it loads the graph: a graph it
    refuses (an error message, status 2) must not leave it off."""
    from cgtui.cli import main

    assert gc.isenabled()
    try:
        assert main(["(x + * y)"]) == 2
        assert main(["x * y", "--output", "nope"]) == 2
        assert gc.isenabled()
    finally:
        gc.enable()


@sync
async def test_single_steps_are_frozen_every_few_steps_after_their_cycles_are_freed() -> None:
    """What single steps leave alive is frozen every FREEZE_STEPS steps, at a quiet moment
    and after a full pass (which frees the cycles they left as garbage first, rather than
    keeping them frozen): the collector's later full passes stay short (without it, 100
    steps into a 10,000-node graph's backward pass one took 80 ms)."""
    from cgtui.app import heap
    from cgtui.app.app import FREEZE_STEPS

    app = ExplorerApp(regression(), plugins=False)
    freezes: list[bool] = []
    original = heap.freeze

    def counted(collect: bool = False) -> None:
        freezes.append(collect)
        original(collect)

    try:
        async with app.run_test(size=(110, 36)) as pilot:
            await pilot.press("F")
            await frozen(pilot)
            while app.warming():  # (its end freezes what it made)
                await pilot.pause(0.05)
            await frozen(pilot)
            heap.freeze = counted
            for k in range(3 * FREEZE_STEPS):  # single steps (an undo is not one)
                if app._steps_unfrozen == FREEZE_STEPS - 1:
                    break
                await pilot.press("u" if k % 2 else "b")
                await settle(pilot)
            assert app._steps_unfrozen == FREEZE_STEPS - 1
            assert app._heap_pending is None
            assert freezes == []
            await pilot.press("b")
            await frozen(pilot)
            assert app._steps_unfrozen == 0
            assert freezes == [True]  # after a full pass
    finally:
        heap.freeze = original
        gc.unfreeze()
