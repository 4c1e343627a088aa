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
from test_app import regression, settle, sync
from textual import events, messages
from textual.geometry import Region, Size
from textual.strip import Strip
from textual.widget import Widget
from textual.widgets import Static
from textual.widgets._footer import FooterKey

from cgtui.app import preload
from cgtui.app.app import ExplorerApp, _ExplorerScreen
from cgtui.app.footer import KeysFooter
from cgtui.app.side import Section, SidePane
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
async def test_the_side_pane_and_its_parts_ask_for_no_second_layout_when_their_content_changes() -> None:
    """A layout that gives the side pane new content (a section grew after a step) sets the
    virtual sizes of the pane, its sections and its headings; none of them asks for another
    layout of the whole screen for it (the first one placed everything)."""
    app = ExplorerApp(regression(), plugins=False)
    async with app.run_test(size=(110, 36)) as pilot:
        await settle(pilot)
        pane = app.query_one(SidePane)
        parts: list[Widget] = [pane, *pane.query(Section)]
        assert {"side-edges-title", "side-acc-title", "side-paths-title"} <= {w.id for w in parts}
        for widget in parts:
            virtual = widget.virtual_size
            # the pane's new content keeps its scrollbars as they were (one that comes or
            # goes does ask for the layout it needs)
            grown = Size(virtual.width + 1, virtual.height + 3)
            if widget is pane:
                grown = Size(virtual.width - 1, virtual.height)
            assert widget._size_updated(widget.size, grown, widget.container_size)
            assert widget.virtual_size == grown
            assert not widget._layout_required, widget.id


@sync
async def test_a_step_whose_side_pane_comes_to_overflow_lays_the_screen_out_once() -> None:
    """At 110x36 the second backward step's paths make the side pane overflow: its
    scrollbar is shown at once, and the sections placed at their narrower width, in one
    layout of the screen (left to Textual: one for the new heights, one for the scrollbar
    that came, one for the scrollbar's own size). The step before the paths: one too."""
    app = ExplorerApp(regression(), plugins=False)
    layouts: list[int] = []
    async with app.run_test(size=(110, 36)) as pilot:
        await settle(pilot)
        for key in "Fb":
            await pilot.press(key)
            await settle(pilot)
        pane = app.query_one(SidePane)
        assert not pane.show_vertical_scrollbar
        screen = app.screen
        original = screen._refresh_layout

        def counted(size: Size | None = None, scroll: bool = False) -> None:
            layouts.append(1)
            original(size, scroll)

        screen._refresh_layout = counted  # type: ignore[method-assign]
        await pilot.press("b")
        await pilot.pause()
        await pilot.pause()
        assert not pane.paths_ready  # the paths come 0.2 s after the step
        step = len(layouts)
        await settle(pilot)
        paths = len(layouts) - step
        assert pane.show_vertical_scrollbar
        assert pane.virtual_size.height > pane.container_size.height  # as Textual would have it
        assert (step, paths) == (1, 1)
        # what shows is what a full layout from scratch shows
        shown = [(w.id, w.region) for w in pane.query(Section)]
        screen._refresh_layout = original
        screen._layout_required = True
        screen._refresh_layout(scroll=False)
        await pilot.pause()
        assert [(w.id, w.region) for w in pane.query(Section)] == shown


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
    """The pane keeps room for its scrollbar: one that comes or goes leaves the sections'
    width (and their wrapped lines) as they were, and the screen is not laid out for it."""
    app = ExplorerApp(regression(), plugins=False)
    async with app.run_test(size=(110, 36)) as pilot:
        await settle(pilot)
        pane = app.query_one(SidePane)
        await pilot.press("F", "b")
        await settle(pilot)
        assert not pane.show_vertical_scrollbar
        widths = {w.id: w.size.width for w in pane.query(Section) if w.display}
        await pilot.press("b")
        await settle(pilot)
        assert pane.show_vertical_scrollbar
        assert {w.id: w.size.width for w in pane.query(Section) if w.display} == widths


@sync
async def test_a_backward_step_scrolls_the_side_pane_to_the_partial_in_its_one_frame() -> None:
    """Once the pane does not fit down to the paths, a backward step scrolls it to the
    partial's section. The scroll is set before the step's layout, which places the
    sections scrolled: the screen is laid out (or scrolled) once for the step and once
    for its paths, never again after a frame; and where it lands is where scrolling
    after the frame would have taken it (or where Textual brings back a scroll beyond
    shorter content). (From the second backward step: at 80x24 the first one gives the
    log's rows to the pane, whose new height only that layout finds.)"""
    app = ExplorerApp(Stepper(load_source(str(SAMPLES / "messy.yaml"))), plugins=False)
    refreshes: list[str] = []
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await pilot.press("F", "b")
        await settle(pilot)
        pane = app.query_one(SidePane)
        screen = app.screen
        original = screen._refresh_layout

        def counted(size: Size | None = None, scroll: bool = False) -> None:
            refreshes.append("scroll" if scroll else "layout")
            original(size, scroll)

        screen._refresh_layout = counted  # type: ignore[method-assign]
        scrolled = 0
        for _ in range(12):
            refreshes.clear()
            before = pane.scroll_y
            await pilot.press("b")
            await pilot.pause()
            await pilot.pause()
            if not pane.paths_ready:  # the paths come 0.2 s after the step (if any)
                assert len(refreshes) <= 1, refreshes
                refreshes.clear()
            await settle(pilot)
            assert len(refreshes) <= 1, refreshes
            scrolled += pane.scroll_y != before
            landed = pane.scroll_y
            pane._keep_partial_in_view()
            await pilot.pause()
            assert pane.scroll_y == landed
            assert pane.scroll_y <= pane.max_scroll_y
        assert scrolled >= 3  # the steps did scroll the pane


def cells(strips: list[Strip]) -> list[list[tuple[str, object, object]]]:
    """What strips draw, cell by cell: the character, its colour (none for a blank) and
    its background."""
    return [
        [
            (char, None if char == " " else style.color, style.bgcolor)
            for text, style, _ in strip
            if style is not None  # (every segment of a line drawn has one)
            for char in text
        ]
        for strip in strips
    ]


@sync
async def test_the_paths_placeholder_keeps_the_sections_height_and_draws_one_line_of_text() -> None:
    """While a step's paths are computed, the paths section holds its height (no layout of
    the screen) and shows '…' over blank lines: what a text of '…' and newlines drew, for
    one line of text rendered (the rest are Textual's blank lines)."""
    app = ExplorerApp(Stepper(load_source(str(SAMPLES / "messy.yaml"))), plugins=False)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press("F", "b", "b")
        await settle(pilot)
        paths = app.query_one("#side-paths", Section)
        held = None
        for _ in range(10):  # the next step whose paths are computed
            await pilot.press("b")
            if paths._held_lines:
                held = paths._held_lines
                break
            await settle(pilot)
        assert held is not None and held > 3
        assert paths.size.height == held  # the last paths' height
        assert str(paths.render()) == "…"
        assert not paths._layout_required and not app.screen._layout_required
        await pilot.pause()
        width = paths.size.width
        ours = paths.render_lines(Region(0, 0, width, held))
        assert ours[0].text.startswith("…") and all(not strip.text.strip() for strip in ours[1:])
        paths.update("…" + "\n" * (held - 1), layout=False)  # the text it stands for
        assert paths.get_content_height(paths.size, app.size, width) == held
        assert cells(ours) == cells(paths.render_lines(Region(0, 0, width, held)))
        await settle(pilot)
        assert not paths._held_lines  # the paths came
        assert "…" not in str(paths.render())


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
