"""The warm-up thread (``cgtui/app/preload.py``) loads a lazy module while other threads
may use it: their first use waits for the load and finds the whole module, never a
half-made one (Python 3.11's lazy modules take no lock: without the guard such a use runs
the module's code a second time or reads a module whose names are not all set yet)."""

from __future__ import annotations

import asyncio
import gc
import sys
import threading
import time
import types
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from conftest import SAMPLES
from screen_text import screen_text
from test_app import regression, settle, sync
from test_tree_lines import styled_rows
from textual import events, messages
from textual.geometry import Offset, Region
from textual.selection import Selection
from textual.strip import Strip
from textual.widget import Widget
from textual.widgets import Static
from textual.widgets._footer import FooterKey

from cgtui.app import preload
from cgtui.app.app import ExplorerApp, _ExplorerScreen
from cgtui.app.footer import KeysFooter
from cgtui.app.side import SidePane
from cgtui.core.lazy import _lazy
from cgtui.engine.engine import Stepper
from cgtui.lang.source import load_source


@pytest.fixture
def slow_module(tmp_path: Path) -> Iterator[tuple[str, threading.Event, threading.Event]]:
    """A module whose code stops half way (one name set, the other not) until released."""
    name = "cgtui_slow_module_for_test"
    started, release = threading.Event(), threading.Event()
    gate = types.ModuleType("cgtui_slow_gate_for_test")
    gate.started, gate.release, gate.runs = started, release, []  # type: ignore[attr-defined]
    sys.modules[gate.__name__] = gate
    (tmp_path / f"{name}.py").write_text(
        "import cgtui_slow_gate_for_test as gate\n"
        "gate.runs.append(1)\n"
        "FIRST = 1\n"
        "gate.started.set()\n"
        "gate.release.wait()\n"
        "SECOND = 2\n"
    )
    sys.path.insert(0, str(tmp_path))
    yield name, started, release
    sys.path.remove(str(tmp_path))
    sys.modules.pop(name, None)
    sys.modules.pop(gate.__name__, None)


def test_a_use_during_the_load_waits_for_the_whole_module(
    slow_module: tuple[str, threading.Event, threading.Event],
) -> None:
    name, started, release = slow_module
    module = _lazy(name)
    assert preload.is_lazy(module)
    done: list[str] = []
    thread = preload.warm(module, [lambda: done.append("job")], done=lambda: done.append("done"))
    assert started.wait(10)  # the load is half way: FIRST is set, SECOND is not
    seen: list[int] = []
    reader = threading.Thread(target=lambda: seen.append(module.SECOND))
    reader.start()
    reader.join(0.05)
    assert reader.is_alive() and seen == []  # waits for the load, not a half-made module
    release.set()
    reader.join(10)
    thread.join(10)
    assert seen == [2]
    assert module.FIRST == 1 and module.SECOND == 2
    assert type(module) is types.ModuleType  # a plain module from now on
    assert sys.modules["cgtui_slow_gate_for_test"].runs == [1]  # its code ran once
    assert done == ["job", "done"]


def test_a_loaded_module_is_not_loaded_again_and_the_jobs_still_run() -> None:
    done: list[str] = []
    thread = preload.warm(types, [lambda: done.append("job")])
    thread.join(10)
    assert done == ["job"]
    assert not preload.is_lazy(types)


@sync
async def test_the_explorer_warms_up_the_graph_it_shows_and_freezes_what_that_made() -> None:
    app = ExplorerApp(regression(), plugins=False)
    try:
        async with app.run_test(size=(110, 36)) as pilot:
            await settle(pilot)
            for _ in range(200):
                if app._warm_thread is not None:
                    break
                await pilot.pause(0.01)
            assert app._warm_thread is not None and app._warmed is app.stepper.graph
            app._warm_thread.join(10)
            assert app.stepper.graph._succs is not None  # made by the thread, not by a step
            for _ in range(200):  # its Warmed message asks for a freeze, done when idle
                if app._heap_pending is None and gc.get_freeze_count():
                    break
                await pilot.pause(0.05)
            assert app._heap_pending is None and gc.get_freeze_count() > 0
    finally:
        gc.unfreeze()


@sync
async def test_the_warm_up_waits_for_the_first_screen(monkeypatch: pytest.MonkeyPatch) -> None:
    """It starts WARM_DELAY after the screen is complete, so that no import runs beside the
    screen's last frames; until it has run, the explorer says it is warming up."""
    from cgtui.app import app as app_module

    monkeypatch.setattr(app_module, "WARM_DELAY", 60.0)  # (longer than the test)
    app = ExplorerApp(regression(), plugins=False)
    try:
        async with app.run_test(size=(110, 36)) as pilot:
            await settle(pilot)
            assert not app.pending_work() and app._heap_pending is None  # complete, frozen
            assert app._warm_thread is None and app.warming()
            app._warm_up()  # what the timer does
            assert app._warm_thread is not None
            app._warm_thread.join(10)
            assert not app.warming()
    finally:
        gc.unfreeze()


@sync
async def test_a_footer_key_that_turns_usable_is_repainted_in_the_steps_frame() -> None:
    app = ExplorerApp(regression(), plugins=False)
    async with app.run_test(size=(110, 36)) as pilot:
        await settle(pilot)
        footer = app.query_one(KeysFooter)
        undo = next(k for k in footer.query(FooterKey) if k.action.endswith("undo"))
        assert undo.has_class("-disabled")
        app.action_step_forward()  # no await: the step's frame is not drawn yet
        footer.bindings_changed(app.screen)  # what the step's refresh of bindings calls next
        assert not undo.has_class("-disabled")
        # its repaint is with the screen already (beside the step's other changes), not
        # waiting for the key's next idle moment, which may come after the step's frame
        assert not undo._repaint_required
        assert not footer._update_pending  # nothing left for after the frame


@sync
async def test_side_pane_sections_that_grow_and_shrink_lay_the_screen_out_only_for_its_scrollbar() -> None:
    """The side pane's sections are rows of one view: a step that makes a section longer
    or shorter (a term more in the partial's sum, paths that wrap) moves the rows below it,
    and the screen is laid out only when the pane's scrollbar comes or goes. What shows is
    what a layout of the whole screen shows."""
    app = ExplorerApp(Stepper(load_source(str(SAMPLES / "messy.yaml"))), plugins=False)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press("F")
        await settle(pilot)
        pane = app.query_one(SidePane)
        layouts: list[str] = []
        mark_calls(app.screen, "_refresh_layout", layouts, "layout")
        heights: set[tuple[int, int]] = set()
        for _ in range(12):
            bar = pane.show_vertical_scrollbar
            layouts.clear()
            await pilot.press("b")
            await settle(pilot)
            # (Textual's for a scrollbar that comes or goes: one for it, one for its size)
            assert len(layouts) <= 2 * (pane.show_vertical_scrollbar != bar), layouts
            accumulation, paths = pane.rows_of("accumulation"), pane.rows_of("paths")
            assert accumulation is not None and paths is not None
            heights.add((accumulation[1] - accumulation[0], paths[1] - paths[0]))
        assert len(heights) > 3  # the sections did change height
        shown = screen_text(app)
        app.screen._refresh_layout(scroll=False)  # a layout of everything, then a frame
        pane.refresh()
        await pilot.pause()
        assert screen_text(app) == shown


@sync
async def test_a_repaint_asked_for_before_a_frame_is_drawn_in_that_frame() -> None:
    """A layout updates the scrollbars of a pane whose content changed height; Textual
    hears of such repaints after the frame, and draws them in a frame of their own, later
    (the side pane's scrollbar thumb moved 40-90 ms after a backward step was on screen).
    The explorer's screen draws them in the frame being drawn."""
    app = ExplorerApp(regression(), plugins=False)
    async with app.run_test(size=(110, 36)) as pilot:
        await settle(pilot)
        bar = app.query_one(SidePane).vertical_scrollbar  # one widget of the screen
        await pilot.press("F", "b", "b")  # the pane overflows
        await settle(pilot)
        assert bar.display
        drawn: list[Widget] = []
        original = type(bar).render_lines

        def counted(self: Widget, crop: Region) -> list[Strip]:
            drawn.append(self)
            return original(self, crop)

        with pytest.MonkeyPatch.context() as patch:
            patch.setattr(type(bar), "render_lines", counted)
            bar.refresh()  # no await: the screen has not heard of it yet
            assert bar._repaint_required
            app.screen._compositor_refresh()
        assert bar in drawn
        assert not bar._repaint_required  # nothing left for a frame of its own


@sync
async def test_the_side_pane_keeps_its_width_for_text_when_its_scrollbar_comes() -> None:
    """The pane keeps room for its scrollbar: one that comes or goes leaves the width of
    its text (and its wrapped lines) as they were."""
    app = ExplorerApp(regression(), plugins=False)
    async with app.run_test(size=(110, 36)) as pilot:
        await settle(pilot)
        pane = app.query_one(SidePane)
        await pilot.press("F", "b")
        await settle(pilot)
        assert not pane.show_vertical_scrollbar
        width = pane.size.width
        await pilot.press("b")
        await settle(pilot)
        assert pane.show_vertical_scrollbar
        assert pane.size.width == width
        assert all(row.cell_length == width for row in pane._rows)


@sync
async def test_a_backward_step_scrolls_the_side_pane_to_the_partial_in_its_one_frame() -> None:
    """Once the pane does not fit down to the paths, a backward step scrolls it to the
    partial's heading, with no layout of the screen, and where it lands the rule leaves it.
    (From the second backward step: at 80x24 the first one gives the log's rows to the
    pane.)"""
    app = ExplorerApp(Stepper(load_source(str(SAMPLES / "messy.yaml"))), plugins=False)
    layouts: list[str] = []
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await pilot.press("F", "b")
        await settle(pilot)
        pane = app.query_one(SidePane)
        mark_calls(app.screen, "_refresh_layout", layouts, "layout")
        scrolled = 0
        for _ in range(12):
            layouts.clear()
            before = pane.scroll_y
            await pilot.press("b")
            await settle(pilot)
            assert not layouts
            scrolled += pane.scroll_y != before
            title = pane.rows_of("acc-title")  # (a short screen: no blank row above it)
            assert title is not None and pane.scroll_y in (0, min(title[0], pane.max_scroll_y))
            assert not pane._keep_partial_in_view()  # where it landed, the rule leaves it
        assert scrolled >= 3  # the steps did scroll the pane


@sync
async def test_a_step_styles_only_the_side_pane_rows_that_are_new() -> None:
    """A row that a step leaves as it was, or only moves (a section above it grew), is
    drawn from the row styled before; only rows made new are styled."""
    app = ExplorerApp(Stepper(load_source(str(SAMPLES / "messy.yaml"))), plugins=False)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press("F", "b", "b")
        await settle(pilot)
        pane = app.query_one(SidePane)
        made: dict[int, Strip] = {}  # every row made (kept: an id is not reused)
        make_rows = pane._make_rows

        def counted(width: int) -> None:
            make_rows(width)
            made.update((id(row), row) for row in pane._rows)

        pane._make_rows = counted  # type: ignore[method-assign]
        moved = 0
        for _ in range(6):
            before = {id(row): y for y, row in enumerate(pane._rows)}
            made.update((id(row), row) for row in pane._rows)
            known = len(made)
            with styled_rows(pane) as styled:
                await pilot.press("b")
                await settle(pilot)
            moved += sum(before.get(id(row), y) != y for y, row in enumerate(pane._rows))
            assert len(styled) <= len(made) - known
        assert moved  # rows did move


@sync
async def test_the_paths_placeholder_keeps_the_sections_rows_and_text_in_the_pane_can_be_selected() -> None:
    """While a step's paths are computed, the paths section keeps as many rows as the last
    paths took ('…' over blank rows): the sections below stay where they were. The pane's
    text can be selected and copied, row by row as it shows, as the step log's."""
    app = ExplorerApp(Stepper(load_source(str(SAMPLES / "messy.yaml"))), plugins=False)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press("F", "b", "b")
        await settle(pilot)
        pane = app.query_one(SidePane)
        held = None
        for _ in range(10):  # the next step whose paths are computed
            before = pane.rows_of("paths")
            await pilot.press("b")
            if not pane.paths_ready:
                held = pane.rows_of("paths")
                break
            await settle(pilot)
        assert held is not None and before is not None and held[1] - held[0] == before[1] - before[0] > 3
        assert pane.text("paths") == "…"
        rows = pane._plain[held[0] : held[1]]
        assert rows[0] == "…" and not any(rows[1:])
        await settle(pilot)
        assert pane.paths_ready and "…" not in pane.text("paths")
        # a selection from the start of the partial's heading to the end of its section
        title, accumulation = pane.rows_of("acc-title"), pane.rows_of("accumulation")
        assert title is not None and accumulation is not None
        selection = Selection(Offset(0, title[0]), Offset(0, accumulation[1]))
        picked = pane.get_selection(selection)
        assert picked is not None
        assert picked[0].rstrip("\n") == "\n".join(pane._plain[title[0] : accumulation[1]])  # the rows
        assert picked[0].startswith("Partial and how backprop builds it\n" + pane.text("accumulation")[:20])
        # outside a frame (where Textual looks up a selection's ends), a row says where it is
        first = next(iter(pane.render_line(0)))
        assert first.style is not None and first.style.meta["offset"] == (0, round(pane.scroll_y))


def mark_calls(owner: object, name: str, marks: list[str], mark: str, *, after: bool = False) -> None:
    """Put ``mark`` in ``marks`` at each call of ``owner``'s method ``name`` (as it is
    called, or ``after`` it returns)."""
    original = getattr(owner, name)

    def marked(*args: Any, **kwargs: Any) -> Any:
        if not after:
            marks.append(mark)
        result = original(*args, **kwargs)
        if after:
            marks.append(mark)
        return result

    setattr(owner, name, marked)


@sync
async def test_a_steps_frame_is_drawn_when_the_screen_is_idle_not_at_the_timers_tick() -> None:
    """Textual draws a frame at its update timer's next tick after the screen goes idle
    (0-17 ms later); a step's frame is drawn as soon as the screen is idle. With the timer
    stopped, a step is still drawn, once; a change that is not a step waits for the timer."""
    app = ExplorerApp(regression(), plugins=False)
    async with app.run_test(size=(110, 36)) as pilot:
        await settle(pilot)
        screen = app.screen
        frames: list[str] = []
        mark_calls(screen, "_compositor_refresh", frames, "frame")
        screen._update_timer.resume = lambda: None  # type: ignore[method-assign] # the tick never comes
        # (not pilot.pause(), which draws a frame itself)
        await pilot.press("f")
        deadline = time.monotonic() + 10  # (a loaded machine: waits for the frame, not a time)
        while not frames and time.monotonic() < deadline:
            await asyncio.sleep(0.01)
        await asyncio.sleep(0.05)
        assert frames == ["frame"]
        assert not screen._dirty_widgets and not screen._repaint_required
        frames.clear()
        status = app.query_one("#status", Static)
        status.update("a change that is not a step's")
        await asyncio.sleep(0.1)
        assert frames == []  # left to the timer


@sync
async def test_a_steps_collector_passes_come_after_its_frame() -> None:
    """The collector is held off from a step's key to its drawn frame (its young passes,
    five to ten a step, and now and then an older one, fell inside the frame), and its
    passes run after it: with passes due every few allocations, none falls in between."""
    app = ExplorerApp(regression(), plugins=False)
    events: list[str] = []

    def seen(phase: str, info: dict[str, int]) -> None:
        if phase == "start":
            events.append("pass")

    thresholds = gc.get_threshold()
    async with app.run_test(size=(110, 36)) as pilot:
        await settle(pilot)
        mark_calls(app.screen, "_compositor_refresh", events, "frame", after=True)
        mark_calls(app.stepper, "step_forward", events, "step")
        mark_calls(app.stepper, "step_backward", events, "step")
        gc.callbacks.append(seen)
        gc.set_threshold(20)  # a young pass every 20 allocations
        try:
            for key in "fb":
                events.clear()
                await pilot.press(key)
                await settle(pilot)
                assert gc.isenabled()
                step = events.index("step")
                frame = events.index("frame", step)  # the step's (one before it may be a key's)
                assert "pass" in events[frame:]
                assert "pass" not in events[step:frame]  # none from the step to its frame
        finally:
            gc.set_threshold(*thresholds)
            gc.callbacks.remove(seen)


@sync
async def test_a_steps_frame_waits_for_a_message_taken_from_the_queue() -> None:
    """Textual sends Idle when the queue is empty, even while a message taken from it (to
    see whether it replaces the one handled) waits: a widget's repaint, say. The step's
    frame waits for it, or the widget is drawn in a frame of its own after the step's."""
    app = ExplorerApp(regression(), plugins=False)
    async with app.run_test(size=(110, 36)) as pilot:
        await settle(pilot)
        screen = app.screen
        assert isinstance(screen, _ExplorerScreen)
        frames: list[str] = []
        mark_calls(screen, "_on_timer_update", frames, "frame")
        status = app.query_one("#status", Static)
        screen.frame_when_idle()
        screen._pending_message = messages.Update(status)
        await screen._on_idle(events.Idle())
        assert frames == [] and screen._frame_when_idle  # not yet
        screen._pending_message = None
        await screen._on_idle(events.Idle())
        assert frames == ["frame"] and not screen._frame_when_idle
