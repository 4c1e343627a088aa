"""The explorer: walk a computation graph and step backpropagation node by node.

Layout: graph views in a :class:`TabbedContent` (tree, table) beside the side pane for the
selected node; below them the step log, the legend and the status line; the footer lists
the keys. Below 100 columns the views and the side pane stack (``Screen.-narrow``).

State lives in one :class:`~cgtui.engine.engine.Stepper` owned by the app. Attributes go
down, messages come up: after every change the app calls each view's ``refresh_nodes`` /
``set_touched`` / ``select`` and the side pane's ``show``; a view posts
:class:`~cgtui.app.views.GraphView.NodeChosen` when the user moves to a node, and the app
sets :attr:`ExplorerApp.selected`, whose watcher tells everyone else.

The other parts of the explorer, each in its own module:

* ``cgtui/app/drawing.py`` (drawn DAG) defines ``DrawingView``, a widget that mixes in
  :class:`~cgtui.app.views.GraphView`: ``DrawingView(id="drawing")`` is added to the
  third tab, "Drawing" (key ``3``), when that tab is first shown (its module and its
  widget would cost start-up time for a tab that is not on the first screen), and from
  then on gets the same calls as the tree and the table:
  ``show(stepper)``, ``refresh_nodes(changed)`` (``None`` means all), ``set_touched(i)``,
  ``select(i)``; it posts ``GraphView.NodeChosen(i)`` when the user picks a node.
* ``cgtui/app/training.py`` (training / loss landscape) defines ``TrainingScreen``, a
  ``Screen[dict[str, float] | None]`` built as ``TrainingScreen(stepper)``; key ``T``
  pushes it, and the params it returns (name -> value) are set as the new leaf values.
* ``cgtui/app/quiz.py`` (quiz mode) defines ``QuizPanel``, a widget built as
  ``QuizPanel(id="quiz")`` with ``show(stepper)`` and ``on_step(stepper, result)``
  (``result`` a :class:`~cgtui.engine.engine.StepResult` or None); key ``Q`` toggles it
  above the side pane and sets the class ``-quiz`` on the screen (the panel's CSS may use
  it to hide answers).

Every action is a binding (listed by the help screen from :attr:`ExplorerApp.BINDINGS`)
and a command palette entry (:meth:`ExplorerApp.get_system_commands`). A key that cannot
act now is greyed out in the footer and, when pressed, says why in a notification
(:meth:`ExplorerApp.why_not`).

What is open and whether it is modified is a :class:`~cgtui.app.session.Session`, shown
on the title line (the legend's row). Edits, kind changes, descent steps, params from
training, output changes and resets are recorded there, so ``u`` takes back steps and
changes in one history; quitting or replacing a modified graph asks Save / Discard /
Cancel first.

Autoplay (``space``) steps the forward pass, then the backward pass, one node per tick of
a Textual timer (a tick that comes late is skipped, never queued); ``[`` and ``]`` change
the speed, and any stepping key pauses it.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar, cast

from rich.cells import cell_len
from rich.style import Style
from rich.text import Text
from textual import events
from textual._compositor import ChopsUpdate, Compositor
from textual.actions import parse as parse_action
from textual.app import App, ComposeResult, SystemCommand
from textual.binding import Binding, BindingType
from textual.containers import Horizontal
from textual.geometry import Size
from textual.message import Message
from textual.reactive import var
from textual.screen import ModalScreen, Screen
from textual.strip import Strip
from textual.timer import Timer
from textual.widget import Widget
from textual.widgets import Footer, Input, Log, Static, TabbedContent, TabPane

from cgtui.app import explain, heap, safety
from cgtui.app.footer import KeysFooter
from cgtui.app.layout import breakpoint_classes, lesson_changes
from cgtui.app.scrollbars import QuietBars
from cgtui.app.session import Session, beside, constant_value, hand_written
from cgtui.app.side import SideColumn, SidePane
from cgtui.app.views import (
    KIND_CLASSES,
    TOUCHED_MARK,
    GraphTree,
    GraphView,
    KeptRows,
    NodeTable,
    SteadyScroll,
)
from cgtui.core.errors import CgtuiError
from cgtui.core.graph import Graph, Kind
from cgtui.core.lazy import np
from cgtui.core.notation import format_number, partial_name, value_text
from cgtui.engine.engine import Stepper, StepResult, descent_step, grad_check

if TYPE_CHECKING:  # the dialogs, modes, drawing, quiz and training screen load when first used
    from cgtui.app.drawing import DrawingView
    from cgtui.app.modes import Saved
    from cgtui.app.quiz import QuizPanel

#: A step that writes more log lines than this is shortened in the log.
LOG_LINES_PER_ACTION = 400

#: Autoplay speeds in steps per second (``[`` slower, ``]`` faster) and the first one used.
AUTOPLAY_SPEEDS = (0.5, 1.0, 2.0, 4.0, 8.0, 16.0, 30.0)
AUTOPLAY_DEFAULT = 2

#: Actions that step the engine: each pauses autoplay.
STEPPING_ACTIONS = frozenset(
    {"step_forward", "run_forward", "step_backward", "run_backward", "undo", "reset"}
)

#: Keys of single steps: while another of them is queued, a step's screen update waits
#: for the next (see :meth:`ExplorerApp._defer`).
SINGLE_STEP_KEYS = frozenset({"f", "b", "u"})

#: Seconds a deferred screen update waits at most (when the queued key does not step).
DEFER_LIMIT = 0.05

#: Seconds from a graph's screen being complete to the start of its warm-up thread (see
#: :meth:`ExplorerApp._warm_up`): the screen's last frames are drawn first, without a
#: thread importing numpy beside them; a user reads a new screen for longer than that.
WARM_DELAY = 0.2

#: Seconds between tries to freeze the long-lived objects while other work is pending
#: (see ``cgtui/app/heap.py``; the freeze is not part of what the screen waits for).
HEAP_RETRY = 0.1

#: Single steps between two freezes of what they left alive (with a full pass first, at
#: a quiet moment: see :meth:`ExplorerApp._apply`).
FREEZE_STEPS = 20


class _Deferred:
    """Steps taken whose screen update waits for the next step."""

    def __init__(self) -> None:
        self.lines: list[str] = []
        self.changed: set[int] | None = set()
        self.touched: int | None = None
        self.results: list[StepResult] = []


class Legend(Static):
    """The title line: what is open (a file name or the expression) with a modified
    marker on the left, the node kinds in their colours (the same styles the views use) on
    the right. When the row is too narrow for both, the kinds give way, then the middle of
    the name."""

    COMPONENT_CLASSES: ClassVar[set[str]] = KIND_CLASSES

    #: Marks a graph with changes that are not saved.
    MODIFIED = " ● modified"

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.label = ""
        self.modified = False

    def show_title(self, label: str, modified: bool) -> None:
        if (label, modified) != (self.label, self.modified):
            self.label, self.modified = label, modified
            self.refresh()

    def title_text(self) -> str:
        return self.label + (self.MODIFIED if self.modified else "")

    def render(self) -> Text:
        width = max(self.size.width, 1)
        title = self._title(width)
        for prefix in ("kinds: ", ""):  # the prefix goes first when the row is tight
            legend = self._kinds(prefix)
            gap = width - len(title) - len(legend)
            if gap >= 2:
                return Text.assemble(title, " " * gap, legend)
        return title

    def _title(self, width: int) -> Text:
        marker = self.MODIFIED if self.modified else ""
        room = width - len(marker)
        label = self.label
        if len(label) > room:
            keep = max(room - 1, 2)
            label = label[: keep - keep // 2] + "…" + label[len(label) - keep // 2 :]
        title = Text(label, style="bold")
        if marker:
            title.append(marker, style=self.get_component_rich_style("node--touched", partial=True))
        return title

    def _kinds(self, prefix: str) -> Text:
        kinds: list[Text | str] = [prefix]
        for key, label in explain.KIND_TAGS.items():
            kinds.append(Text(label, self.get_component_rich_style(f"kind--{key}", partial=True)))
            kinds.append(" ")
        touched = self.get_component_rich_style("node--touched", partial=True)
        kinds.append(Text(f"{TOUCHED_MARK}touched", touched))
        return Text.assemble(*kinds)


class StepLog(QuietBars, SteadyScroll, Log):
    """The step log: a :class:`Log` whose new lines repaint it without a layout of the screen.

    Textual's Log sets its virtual size on every write (a layout of the whole screen) and
    measures the new lines' width in a worker thread (a second layout when it reports). The
    log's own size is set by the stylesheet, so new lines need only its scrollbars updated:
    here the width is measured at once and a layout happens only when a scrollbar appears or
    goes. New lines always scroll the log to its end.
    """

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._styles_cache = KeptRows()  # a new line moves the others up: they keep their rows

    def _render_line_strip(self, y: int, rich_style: Style) -> Strip:
        """Textual's, kept in Textual's cache of the log's lines (which it empties when the
        styles change and renumbers when old lines go): Textual keeps a line there only
        while text is selected, and drew every line again at every frame."""
        if self.text_selection is not None:
            return super()._render_line_strip(y, rich_style)
        line = self._render_line_cache.get(y)
        if line is None:
            line = self._render_line_cache[y] = super()._render_line_strip(y, rich_style)
        return line

    def write_lines(self, lines: Iterable[str], scroll_end: bool | None = None) -> StepLog:
        new = [part for line in lines for part in line.splitlines()]
        if not new:
            return self
        self._lines.extend(new)
        self._prune_max_lines()
        self._width = max(self._width, *(cell_len(self._process_line(line)) for line in new))
        if not self.container_size:  # not laid out yet: the coming layout takes the size
            self.virtual_size = Size(self._width, self.line_count)
            self.scroll_end(animate=False)
            return self
        with self.quietly():
            size = Size(self._width, self.line_count)
            if size != self.virtual_size:
                self.set_virtual_size_quietly(size)
            follow = self.auto_scroll if scroll_end is None else scroll_end
            if follow and not self.is_vertical_scrollbar_grabbed:
                self.scroll_end(animate=False, immediate=True, x_axis=False)
        self.refresh(self.size.region)  # the lines: the border and its title stay as they were
        return self


class _ShownCompositor(Compositor):
    """Textual's compositor, with two shortcuts that change nothing on screen.

    It ignores repaints of widgets that are not displayed (in a hidden tab). A view in a
    hidden tab repaints itself after a step; Textual would take a repaint of a widget missing
    from its map as a sign of a new widget and lay out the whole screen again at the next
    frame (which cannot place a widget that is not displayed anyway).

    A frame draws the widgets seen in a changed region only. Textual draws every widget
    inside the smallest rectangle around all the changed regions, and a step changes the side
    pane at the top right and the log at the bottom: every widget on the screen. The parts
    of the screen a frame writes are the changed regions alone (each line's pieces between
    two cuts that a changed region touches), and what shows there is the frontmost widget
    at each piece: going from the front, the widgets over a changed region up to the first
    one that covers all of it. The containers behind (the screen, the panes, the tabs),
    drawn line by line under every change, are left out; the frame is the same.
    """

    def update_widgets(self, widgets: set[Widget]) -> None:
        super().update_widgets({w for w in widgets if _displayed(w)})

    def render_partial_update(self) -> ChopsUpdate | None:
        changed = list(self._dirty_regions)
        if not changed:
            return super().render_partial_update()
        visible = self.visible_widgets  # front to back, as the frame picks each piece
        _ = self.cuts  # each line's cuts come from every visible widget: made before the filter
        shown = [(widget, region.intersection(clip)) for widget, (region, clip) in visible.items()]
        seen: set[Widget] = set()
        for r in changed:
            for widget, rect in shown:
                if rect.overlaps(r):
                    seen.add(widget)
                    if rect.contains_region(r):
                        break  # it covers the region: nothing behind it shows there
        self._visible_widgets = {widget: place for widget, place in visible.items() if widget in seen}
        try:
            return super().render_partial_update()
        finally:
            self._visible_widgets = visible


def _displayed(widget: Widget) -> bool:
    node: Any = widget
    while isinstance(node, Widget):
        if not node.display:
            return False
        node = node._parent
    return True


class _ExplorerScreen(Screen[Any]):
    """The explorer's screen: its first showing keeps the styles its widgets were given
    as they were mounted (Textual restyles every widget of a screen pushed or switched
    to, for classes changed while it was hidden; the first time, none has been)."""

    #: the tree has the focus from the start: the first widget that takes it (the log),
    #: focused and then left for the tree, was restyled twice before the first frame
    AUTO_FOCUS = "#tree"

    _shown = False

    def _on_screen_resume(self, event: events.ScreenResume) -> None:
        if not self._shown:
            self._shown = True
            event.refresh_styles = False
        super()._on_screen_resume(event)

    #: a step asked for its frame as soon as the screen has nothing left to handle
    _frame_when_idle = False

    def frame_when_idle(self) -> None:
        """Draw the next frame when the screen is next idle, not at the update timer's next
        tick: Textual resumes a timer of ``1/TEXTUAL_FPS`` seconds then, and a key's step
        waited for it 0-17 ms (7 ms at the median) after everything it changed was done."""
        self._frame_when_idle = True

    async def _on_idle(self, event: events.Idle) -> None:
        # (Textual sends Idle when the queue is empty, even with a message taken from it to
        # see whether it replaces the one handled: that one, a widget's repaint, say, goes
        # first, and the frame at the next Idle)
        if self._frame_when_idle and self._pending_message is None:
            self._frame_when_idle = False
            if not self.app._batch_count and self.is_current:
                event.prevent_default()  # (Textual's handler, which resumes the timer)
                self._on_timer_update()  # what the timer calls, now
                return
        await super()._on_idle(event)

    def _compositor_refresh(self) -> None:
        """Draw a frame, with the widgets that asked for a repaint since the last one and
        have not yet said so to the screen. A layout updates the scrollbars of every pane
        whose content changed height; Textual hears of those repaints only after the frame
        and draws them in one of their own, a frame later (after a backward step that
        changes the side pane's height, its scrollbar's thumb moved 40-90 ms after the
        step was on screen)."""
        late = {w for w in self._compositor.visible_widgets if w._repaint_required}
        if late:
            for widget in late:
                widget._repaint_required = False
            self._compositor.update_widgets(late)
        super()._compositor_refresh()


class ExplorerApp(App[None]):
    """Step a graph's forward and backward passes and see every number explained."""

    CSS_PATH = "app.tcss"
    TITLE = "cgtui"
    HORIZONTAL_BREAKPOINTS = [(0, "-narrow"), (100, "-wide")]  # noqa: RUF012 - Textual's API
    VERTICAL_BREAKPOINTS = [(0, "-short"), (32, "-tall")]  # noqa: RUF012

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("f", "step_forward", "Fwd", tooltip="Step forward: compute the next node's value"),
        Binding("F", "run_forward", "Fwd all", tooltip="Run the forward pass to the end"),
        Binding("b", "step_backward", "Back", tooltip="Step backward: finish the next node's partial"),
        Binding("B", "run_backward", "Back all", tooltip="Run the backward pass to the end"),
        Binding("u", "undo", "Undo", tooltip="Undo the last step, edit, kind change or descent step"),
        Binding("r", "reset", "Reset", tooltip="Reset: no values computed, no partials"),
        Binding(
            "space",
            "autoplay",
            "Play",
            tooltip="Play or pause: step forward, then backward, by itself",
            show=False,  # the footer has no room at 80 columns; the help and palette list it
            priority=True,  # before the tree's own space (which would fold a branch)
        ),
        Binding("left_square_bracket", "speed(-1)", "Slower", show=False, tooltip="Autoplay slower"),
        Binding("right_square_bracket", "speed(1)", "Faster", show=False, tooltip="Autoplay faster"),
        Binding("p", "samples", "Samples", tooltip="Open a bundled sample from a list"),
        Binding("slash", "jump", "Jump", show=False, tooltip="Jump to a node by name"),
        Binding("e", "edit_value", "Edit", show=False, tooltip="Edit the selected leaf's value"),
        Binding("k", "mark_kind", "Kind", show=False, tooltip="Mark the selected leaf input/label/param"),
        Binding("n", "nudge_check", "Nudge", show=False, tooltip="Gradient check: nudge the selected node"),
        Binding("d", "descent", "Descent", show=False, tooltip="Gradient-descent step on the params"),
        Binding("t", "choose_output", "Output", show=False, tooltip="Choose the output to differentiate"),
        Binding("o", "open", "Open", show=False, tooltip="Open a YAML file or type an expression"),
        Binding("s", "save", "Save", show=False, tooltip="Save the graph and its values to YAML"),
        Binding("1", "show_tab('tree')", "Tree", show=False, tooltip="Show the tree view"),
        Binding("2", "show_tab('table')", "Table", show=False, tooltip="Show the table view"),
        Binding("3", "show_tab('drawing')", "Drawing", show=False, tooltip="Show the drawn DAG"),
        Binding("l", "toggle_log", "Log", show=False, tooltip="Show or hide the step log"),
        Binding("z", "zoom", "Zoom", show=False, tooltip="Maximize the focused pane, or restore"),
        Binding("T", "training", "Train", show=False, tooltip="Open the training screen"),
        Binding("m", "forward_mode", "Tangents", show=False, tooltip="Forward mode along the selected leaf"),
        Binding("G", "backward_graph", "Grad", show=False, tooltip="Open the backward graph, or go back"),
        Binding(
            "Z", "zoom_node", "Scalars", show=False,
            tooltip="Zoom into the selected tensor node: the scalar graph it stands for (escape: back)",
        ),
        Binding("Q", "quiz", "Quiz", show=False, tooltip="Toggle quiz mode"),
        Binding("escape", "focus_views", "Views", show=False, tooltip="Back to the graph view"),
        Binding(
            "tab",
            "focus_next",
            "Pane",
            priority=True,
            tooltip="Focus the next pane (shift+tab: the one before)",
        ),
        Binding("question_mark", "help", "Help", tooltip="Help: every key"),
        Binding("f1", "help", "Help", show=False, tooltip="Help, also while typing an answer"),
        Binding("q", "quit", "Quit", tooltip="Quit (asks first when there are unsaved changes)"),
    ]

    #: The node shown in the side pane and under every view's cursor.
    selected: var[int] = var(0, init=False)

    def __init__(self, stepper: Stepper, *, source: str = "", plugins: bool = True) -> None:
        """``plugins=False`` leaves out the drawing tab, the training screen and the quiz
        (lighter screens for tests that do not need them)."""
        super().__init__()
        self.stepper = stepper
        self.source = source
        #: What is open, its changes and their undo history.
        self.session = Session.for_source(source, stepper.graph.origin)
        #: Autoplay: the timer while playing, and the speed (an index into AUTOPLAY_SPEEDS).
        self.autoplay_timer: Timer | None = None
        self.autoplay_speed = AUTOPLAY_DEFAULT
        #: Where the samples picker looks (None: the bundled samples).
        self.samples_directory: Path | None = None
        self.touched: int | None = None
        #: The recovery file written after an unexpected error (see ``safety``).
        self.recovery: Path | None = None
        #: Where files may be opened and saved (a served session's folder; see ``safety``).
        self.sandbox = safety.Sandbox(None)
        self._params_cache: tuple[Graph, list[int]] | None = None
        self._key_state: tuple[bool | None, ...] = ()
        self._drawing = plugins
        self._training = plugins
        self._quiz = plugins
        self._tree = GraphTree(id="tree")
        self._table = NodeTable(id="table")
        self._side = SidePane(id="side")
        self._log_view = StepLog(id="log", max_lines=5000, auto_scroll=True)
        self._status = Static(id="status", markup=False)
        self._legend = Legend(id="legend")
        self._views: list[GraphView] = [self._tree, self._table]
        self.graph_stack: list[Saved] = []  # graphs left for their backward graphs (cgtui.app.modes)
        self._mask = explain.NO_MASK  # what an open quiz question asks about
        self._deferred: _Deferred | None = None  # steps not yet on screen (a held key)
        self._shown_once = False  # a graph has been shown (the next one releases its objects)
        self._heap_pending: bool | None = None  # a freeze to come (True: after a full pass)
        self._steps_unfrozen = 0  # single steps since the last freeze
        self._warmed: Graph | None = None  # the graph the warm-up thread was started for
        self._warm_thread: threading.Thread | None = None

    # ---- layout ---------------------------------------------------------------

    def compose(self) -> ComposeResult:
        with Horizontal(id="main"):
            with TabbedContent(id="views", initial="tab-tree"):
                with TabPane("Tree", id="tab-tree"):
                    yield self._tree
                with TabPane("Table", id="tab-table"):
                    yield self._table
                if self._drawing:
                    yield TabPane("Drawing", id="tab-drawing")  # its view: _open_drawing
            with SideColumn(id="side-column"):
                yield self._side
        yield self._log_view
        yield self._legend
        yield self._status
        yield KeysFooter(compact=True, id="footer")

    def get_default_screen(self) -> Screen[Any]:
        """The explorer's screen, with the classes of the terminal's size before its
        widgets are styled (setting them later restyles every widget)."""
        screen = _ExplorerScreen(id="_default")
        screen._compositor = _ShownCompositor()  # not laid out yet: nothing to carry over
        width, height = self.size
        screen.update_classes(
            breakpoint_classes(width, height, self.HORIZONTAL_BREAKPOINTS, self.VERTICAL_BREAKPOINTS),
            update=False,
        )
        return screen

    def on_mount(self) -> None:
        width, height = self.size
        self.screen.update_classes(
            breakpoint_classes(width, height, self.HORIZONTAL_BREAKPOINTS, self.VERTICAL_BREAKPOINTS)
        )
        self._log_view.border_title = "log"
        self._show_graph(f"opened {self.source or self.stepper.graph.title or 'the graph'}")
        # focused now, not after the first frame: the focus restyles the tree, and a restyle
        # before the first layout costs nothing more
        self.screen.set_focus(self._tree, scroll_visible=False)

    def on_unmount(self) -> None:
        if self._warm_thread is not None:
            self._warm_thread.join()  # closing: not in the middle of an import
        heap.release()  # closing: what was frozen goes back to the collector
        self._heap_pending = None

    def _handle_exception(self, error: Exception) -> None:
        """An exception nobody expected: save the user's graph first, then let Textual
        stop the app (with status 1); :func:`finish` says where the graph went."""
        if self.recovery is None:
            self.recovery = safety.write_recovery(self.stepper.graph)
        super()._handle_exception(error)

    def notify(
        self,
        message: str,
        *,
        title: str = "",
        severity: Any = "information",
        timeout: float | None = None,
        markup: bool = False,
    ) -> None:
        """Notifications show their text as written: messages carry titles, paths and
        source lines from files, which must never be read as markup."""
        super().notify(message, title=title, severity=severity, timeout=timeout, markup=False)

    def on_resize(self, event: events.Resize) -> None:
        self.call_after_refresh(self._refresh_status)  # the params fit the new width
        # below 100 columns the footer's room goes to the keys (ctrl+p is in the help); the
        # event's size: this handler runs before Textual's, which sets the app's size
        self.query_one("#footer", Footer).show_command_palette = event.size.width >= 100

    def views(self) -> Iterator[GraphView]:
        yield from self._views

    def pending_work(self) -> list[str]:
        """What the screen is still waiting for (empty when everything shown is up to date):
        running workers, the side pane's paths, table rows still loading."""
        pending = [f"worker {w.name or w.description}" for w in self.workers if w.is_running]
        if not self._side.paths_ready:
            pending.append("side pane paths")
        if self._table.rows_loading:
            pending.append("table rows")
        if self._deferred is not None:
            pending.append("steps not yet shown")
        return pending

    # ---- state changes ----------------------------------------------------------

    def _show_graph(self, message: str) -> None:
        """A new graph or output: rebuild every view."""
        if self._shown_once:
            heap.release()  # the old graph's objects go back to the collector
        # the new one's, once on screen, out of its passes (the old one's freed first)
        self._freeze_heap(collect=self._shown_once)
        self._shown_once = True
        stepper = self.stepper
        self.touched = None
        for view in self.views():
            view.set_touched(None)
            view.show(stepper)
        g = stepper.graph
        title = g.title or self.source
        self.sub_title = title
        self.query_one("#main").border_title = safety.plain(title)
        self._write_log([message, *([g.description] if g.description else [])])
        self._set_selected(stepper.output)
        self._refresh_status()
        if self._quiz and self.screen.has_class("-quiz"):
            from cgtui.app.quiz import QuizPanel

            for panel in self.query(QuizPanel):  # an open quiz starts over on the new graph
                panel.on_step(stepper, None)

    def _freeze_heap(self, collect: bool = False) -> None:
        """Freeze what is alive (:func:`heap.freeze`) once the screen is up to date and no
        worker runs (a worker or a pending paths job may still hold an old graph)."""
        if self._heap_pending is None:
            self._heap_pending = collect
            self.call_after_refresh(self._try_freeze_heap)
        else:
            self._heap_pending = self._heap_pending or collect

    def _try_freeze_heap(self) -> None:
        collect = self._heap_pending
        if collect is None:
            return
        if self.pending_work():
            self.set_timer(HEAP_RETRY, self._try_freeze_heap)
            return
        self._heap_pending = None
        self._steps_unfrozen = 0
        heap.freeze(collect)
        self.set_timer(WARM_DELAY, self._warm_up)  # (once per graph: see there)

    class Warmed(Message):
        """The warm-up thread has made what the graph's first step needs."""

    def _warm_up(self) -> None:
        """Once a graph is on screen, make what its first step would wait for in a thread
        (``cgtui/app/preload.py``): numpy's import, the graph's successor lists. What it
        made is frozen with the rest when it is done."""
        graph = self.stepper.graph
        if self._warmed is graph:
            return
        from cgtui.app.preload import warm

        self._warmed = graph
        self._warm_thread = warm(np, [graph.successor_lists], done=lambda: self.post_message(self.Warmed()))

    def warming(self) -> bool:
        """Whether the warm-up of the graph on screen has yet to start or to end (a key
        pressed meanwhile may wait for what it makes: numpy's import)."""
        thread = self._warm_thread
        return self._warmed is not self.stepper.graph or (thread is not None and thread.is_alive())

    def on_explorer_app_warmed(self, message: Warmed) -> None:
        self._freeze_heap()

    def _set_selected(self, index: int) -> None:
        if self.selected != index:
            self.selected = index
        else:
            self._side.show(self.stepper, index)
            for view in self.views():
                view.select(index)

    def watch_selected(self, index: int) -> None:
        for view in self.views():
            view.select(index)
        self._side.show(self.stepper, index)
        self._refresh_keys()

    def on_graph_view_node_chosen(self, message: GraphView.NodeChosen) -> None:
        if not message.user or not self.screen_stack:  # an echo, or the app is closing
            return
        if 0 <= message.index < len(self.stepper.graph.nodes) and message.index != self.selected:
            self.selected = message.index

    def _apply(self, action: str, *, all_nodes: bool = False) -> StepResult:
        """Run one Stepper action and bring every pane up to date (the collector held off
        until the frame that shows it is drawn: :func:`heap.hold`)."""
        heap.hold()
        try:
            return self._apply_held(action, all_nodes=all_nodes)
        finally:
            self.call_after_refresh(heap.let_go)

    def _apply_held(self, action: str, *, all_nodes: bool) -> StepResult:
        s = self.stepper
        before = (s.forward_done, s.backward_pos)
        keep = self.selected if all_nodes and action.startswith("run_") else None
        result: StepResult = getattr(s, action)()
        after = (s.forward_done, s.backward_pos)
        moved = abs(after[0] - before[0]) + abs(after[1] - before[1])
        changed: set[int] | None = None
        if not all_nodes and moved <= 1 and result.node is not None:
            changed = {result.node, *s.graph.nodes[result.node].operands}
        elif not all_nodes and moved == 0:
            changed = set()
        if not all_nodes:
            # Each single step leaves some 700 objects alive (its log line, its ledger
            # entry, lines drawn and kept), and the collector's full passes scan all of
            # them: 100 steps into a backward pass on a 10,000-node graph one took 80 ms,
            # often within a step's frame. Every FREEZE_STEPS steps, once the screen is up
            # to date and the paths are in, a full pass (short: the rest is frozen) frees
            # their cycles, and what is left is frozen.
            self._steps_unfrozen += 1
            if self._steps_unfrozen >= FREEZE_STEPS:
                self._freeze_heap(collect=True)
        if not all_nodes and self._steps_queued():
            self._defer(result.lines, changed, result.node, result)
            return result
        self._after(result.lines, changed, result.node, result, select=keep)
        if keep is not None:
            self._tree.follow(keep)  # F and B: the tree opens down to the selection
        if all_nodes:
            self._freeze_heap()  # what a whole pass made lives on
        return result

    def _after(
        self,
        lines: Iterable[str],
        changed: set[int] | None,
        touched: int | None,
        result: StepResult | None = None,
        *,
        select: int | None = None,
    ) -> None:
        """``select``: the node to select (default: the touched one; F and B keep the selection).

        Steps deferred while more step keys were queued (:meth:`_defer`) come first, as if
        each had been shown in turn: their log lines, changed nodes and quiz updates."""
        deferred, self._deferred = self._deferred, None
        results: list[StepResult | None] = [result]
        if deferred is not None:
            if touched is None and changed == set() and result is None:  # a flush alone
                touched = deferred.touched
            lines = [*deferred.lines, *lines]
            changed = None if changed is None or deferred.changed is None else deferred.changed | changed
            results = [*deferred.results, *([result] if result is not None else [])]
        for view in self.views():
            view.refresh_nodes(changed)
            view.set_touched(touched)
        self.touched = touched
        self._write_log(lines)
        if select is None:
            select = touched if touched is not None else self.selected
        self._set_selected(select)
        self._refresh_status()
        self._refresh_keys()
        if isinstance(self.screen, _ExplorerScreen):
            self.screen.frame_when_idle()
        if self._quiz and self.screen.has_class("-quiz"):
            from cgtui.app.quiz import QuizPanel

            for panel in self.query(QuizPanel):
                for r in results:
                    panel.on_step(self.stepper, r)

    # ---- held keys ----------------------------------------------------------------

    def _steps_queued(self) -> bool:
        """Whether another single-step key waits to be handled (a held key comes faster
        than frames are drawn): in the app's queue, or on its way up from the focused
        widget to the app's bindings."""
        focused = self.focused
        pumps: list[Any] = [self, *(focused.ancestors_with_self if focused is not None else [self.screen])]
        for pump in pumps:
            # the message a pump peeked at, and its asyncio.Queue's deque
            waiting = [pump._pending_message, *getattr(pump._message_queue, "_queue", ())]
            for message in waiting:
                if isinstance(message, events.Key) and message.key in SINGLE_STEP_KEYS:
                    return True
        return False

    def _defer(
        self, lines: Iterable[str], changed: set[int] | None, touched: int | None, result: StepResult
    ) -> None:
        """Keep a step's screen update for the next one: a key held down steps at its own
        pace and the screen shows where it got at every frame, never falling behind."""
        deferred = self._deferred
        if deferred is None:
            deferred = self._deferred = _Deferred()
            self.set_timer(DEFER_LIMIT, self._flush_deferred)  # in case no step follows
        deferred.lines.extend(lines)
        if deferred.changed is not None:
            deferred.changed = None if changed is None else deferred.changed | changed
        deferred.touched = touched
        deferred.results.append(result)

    def _flush_deferred(self) -> None:
        """Show the deferred steps now (before anything else acts on the screen)."""
        if self._deferred is not None:
            self._after([], set(), None)

    def _write_log(self, lines: Iterable[str]) -> None:
        lines = list(lines)
        if len(lines) > LOG_LINES_PER_ACTION:
            head, tail = LOG_LINES_PER_ACTION // 2, LOG_LINES_PER_ACTION // 4
            skipped = len(lines) - head - tail
            lines = [*lines[:head], f"... {skipped:,} more lines ...", *lines[-tail:]]
        if lines:
            self._log_view.write_lines(lines)

    def _refresh_status(self) -> None:
        width = self._status.content_size.width or self.size.width - 2
        status = explain.status_line(self.stepper, self._param_indices(), self._mask, width)
        if self.autoplay_timer is not None:
            status = f"▶ playing {self._speed_text()} · {status}"
        if status != self._status.content:  # the same text: no repaint
            self._status.update(status, layout=False)  # always one line
        self._legend.show_title(self.session.label, self.session.modified)
        screen = self.screen_stack[0]
        for name, on in lesson_changes(self.stepper, screen.classes).items():
            screen.set_class(on, name)

    def _param_indices(self) -> list[int]:
        """The params' node indices, found once per graph and kind change (scanning a big
        graph's nodes on every step costs milliseconds)."""
        graph = self.stepper.graph
        cached = self._params_cache
        if cached is None or cached[0] is not graph:
            found = [i for i, n in enumerate(graph.nodes) if n.kind is Kind.PARAM]
            self._params_cache = cached = (graph, found)
        return cached[1]

    # ---- which keys act now -----------------------------------------------------

    def _refresh_keys(self) -> None:
        """Refresh the footer only when some key changed between usable and greyed out
        (the footer rebuilds all its keys, which costs more than a step). Keys not in the
        footer need no refresh: Textual asks check_action again before running one, and the
        help and the palette ask when they open."""
        state = tuple(
            self.check_action(_action_name(b.action), _action_args(b.action))
            for b in self.BINDINGS
            if isinstance(b, Binding) and b.show  # the footer shows only these
        )
        if state != self._key_state:
            self._key_state = state
            self.refresh_bindings()

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        s = self.stepper
        valid = 0 <= self.selected < len(s.graph.nodes)  # False while a new graph is coming in
        node = s.graph.nodes[self.selected] if valid else None
        if action in ("step_forward", "run_forward"):
            return True if s.fault is not None or s.next_forward() is not None else None
        if action in ("step_backward", "run_backward"):
            return True if s.fault is not None or not s.backward_complete else None
        if action == "undo":
            return True if self.session.can_undo(s) else None
        if action == "reset":
            return True if s.forward_done or s.history or s.fault is not None else None
        if action in ("edit_value", "mark_kind"):
            return True if node is not None and node.op is None else None
        if action == "nudge_check":
            return True if valid and s.path[self.selected] and s.needs[self.selected] else None
        if action == "choose_output":
            return True if len(s.graph.outputs) > 1 else None
        if action == "descent":
            return True if self._param_indices() else None
        if action == "show_tab" and parameters == ("drawing",):
            return self._drawing
        if action == "training":
            return self._training
        if action == "quiz":
            return self._quiz
        if action == "autoplay":
            # space types a space in a text box, and belongs to a dialog or screen on top
            return len(self.screen_stack) <= 1 and not isinstance(self.focused, Input)
        return True

    def why_not(self, action: str) -> str | None:
        """Why a greyed-out action cannot act now, in one line (None: it can, or it has
        nothing to say)."""
        s = self.stepper
        g = s.graph
        if not 0 <= self.selected < len(g.nodes):
            return None
        node = g.nodes[self.selected]
        out = s.output_name
        if action in ("step_forward", "run_forward"):
            return "the forward pass is complete: b steps backward, r resets, u undoes"
        if action in ("step_backward", "run_backward"):
            return "the backward pass is complete: r resets, u undoes, n checks a partial"
        if action == "undo":
            return "nothing to undo: no step or change since the graph was opened"
        if action == "reset":
            return "nothing to reset: no value is computed yet"
        if action in ("edit_value", "mark_kind"):
            what = "edit" if action == "edit_value" else "mark"
            return f"{node.name} is computed ({node.op}); select a leaf to {what} it"
        if action == "nudge_check":
            if not s.path[self.selected]:
                return f"{node.name} does not reach {out}: no gradient to check"
            return f"{node.name} is constant: no gradient to check"
        if action == "choose_output":
            return f"the graph has one output ({out}): nothing to choose"
        if action == "descent":
            return "no params: mark a leaf as param with k first"
        return None

    async def run_action(
        self,
        action: str | Any,
        default_namespace: Any = None,
        namespaces: Any = None,
    ) -> bool:
        """Run an action; one of the app's that cannot act now says why instead of
        doing nothing."""
        if isinstance(action, str) and default_namespace in (None, self):
            namespace, name, params = parse_action(action)
            if self._deferred is not None and name not in ("step_forward", "step_backward", "undo"):
                self._flush_deferred()  # every other action sees the screen up to date
            if namespace in ("", "app") and name in STEPPING_ACTIONS:
                self._stop_autoplay()
            if namespace in ("", "app") and self.check_action(name, params) is None:
                self._flush_deferred()
                reason = self.why_not(name)
                if reason is not None:
                    self._tell(reason)
                    return True
        return await super().run_action(action, default_namespace, namespaces)

    def _tell(self, message: str, severity: str = "information") -> None:
        """One line in a notification, replacing the previous one (a key pressed again and
        again does not pile them up)."""
        self.clear_notifications()
        self.notify(message, severity=cast(Any, severity), timeout=4)

    # ---- stepping -------------------------------------------------------------------

    def action_step_forward(self) -> None:
        self._apply("step_forward")

    def action_run_forward(self) -> None:
        self._apply("run_forward", all_nodes=True)

    def action_step_backward(self) -> None:
        self._apply("step_backward")

    def action_run_backward(self) -> None:
        self._apply("run_backward", all_nodes=True)

    def action_undo(self) -> None:
        """Take back the newest step or change (one history), or clear a fault."""
        s = self.stepper
        if self.session.next_undo(s) is not None or not s.can_undo():
            self._flush_deferred()  # the steps held back are on screen before the change is undone
        if self.session.next_undo(s) is None:
            if not s.can_undo():
                self._tell(self.why_not("undo") or "nothing to undo")
                return
            self._apply("undo")
            return
        output = s.output
        change = self.session.undo_change(s)
        self._params_cache = None
        line = f"undid: {change.what}"
        if s.output != output:
            self._show_graph(line)
        else:
            self._after([line], None, None)

    def action_reset(self) -> None:
        before = self.session.begin(self.stepper)
        self._apply("reset", all_nodes=True)
        self.session.commit(self.stepper, before, "reset", modifies=False)

    # ---- autoplay ----------------------------------------------------------------------

    def _speed_text(self) -> str:
        speed = AUTOPLAY_SPEEDS[self.autoplay_speed]
        return f"{format_number(speed)} step{'' if speed == 1 else 's'}/s"

    def action_autoplay(self) -> None:
        """Play or pause: one step per tick, the forward pass, then the backward pass."""
        if self.autoplay_timer is not None:
            self._stop_autoplay("autoplay paused (space plays on)")
            return
        s = self.stepper
        if s.fault is None and s.forward_complete and s.backward_complete:
            self._tell("nothing left to play: both passes are complete (r resets, then space plays)")
            return
        self._start_timer()
        self._write_log([f"autoplay at {self._speed_text()}: space pauses, [ and ] change the speed"])
        self._refresh_status()

    def action_speed(self, change: str) -> None:
        n = min(max(self.autoplay_speed + int(change), 0), len(AUTOPLAY_SPEEDS) - 1)
        self.autoplay_speed = n
        timer = self.autoplay_timer
        if timer is not None:  # play on at the new speed
            timer.stop()
            self._start_timer()
        self._tell(f"autoplay speed {self._speed_text()}")
        self._refresh_status()

    def _start_timer(self) -> None:
        # a tick that comes late is skipped (Textual's timers skip by default): no backlog
        interval = 1 / AUTOPLAY_SPEEDS[self.autoplay_speed]
        self.autoplay_timer = self.set_interval(interval, self.autoplay_tick, name="autoplay")

    def autoplay_tick(self) -> None:
        """One autoplay step; stops at the end, at a fault, or when a screen is on top."""
        if self.autoplay_timer is None:
            return
        if len(self.screen_stack) > 1:
            self._stop_autoplay("autoplay paused: a dialog or screen is open")
            return
        s = self.stepper
        if s.fault is not None:
            self._stop_autoplay("autoplay stopped at a fault (u undoes it)")
            return
        if not s.forward_complete:
            result = self._apply("step_forward")
        elif not s.backward_complete:
            result = self._apply("step_backward")
        else:
            self._stop_autoplay("autoplay done: both passes are complete")
            return
        if result.kind not in ("forward", "backward"):
            self._stop_autoplay(f"autoplay stopped: {result.lines[-1] if result.lines else result.kind}")
        elif s.forward_complete and s.backward_complete:
            self._stop_autoplay("autoplay done: both passes are complete")

    def _stop_autoplay(self, message: str | None = None) -> None:
        timer = self.autoplay_timer
        if timer is None:
            return
        timer.stop()
        self.autoplay_timer = None
        if message:
            self._write_log([message])
        self._refresh_status()

    # ---- selecting --------------------------------------------------------------------

    def action_jump(self) -> None:
        g = self.stepper.graph

        def check(name: str) -> str | None:
            if name in g:
                return None
            try:
                g.lookup(name)
            except CgtuiError as exc:
                return str(exc)
            return None  # pragma: no cover

        def done(name: str | None) -> None:
            if name:
                self._set_selected(g.lookup(name))

        from cgtui.app.dialogs import PromptDialog

        names = [n.name for n in g.nodes]
        self.push_screen(
            PromptDialog("Jump to a node", "node name", validate=check, suggestions=names), done
        )

    def action_show_tab(self, tab: str) -> None:
        tabs = self.query_one("#views", TabbedContent)
        if self.query(f"#tab-{tab}"):
            if tab == "drawing" and self._open_drawing() is None:
                for drawing in self.query(f"#{tab}").results():
                    cast("DrawingView", drawing).prepare()  # drawn before its first frame on screen
            tabs.active = f"tab-{tab}"
            for view in self.query(f"#{tab}"):
                view.focus()

    def on_tabbed_content_tab_activated(self, event: TabbedContent.TabActivated) -> None:
        if event.pane.id == "tab-drawing":  # a click on the tab, or the arrow keys on the tabs
            self._open_drawing()

    def _open_drawing(self) -> DrawingView | None:
        """Add the drawing tab's view, the first time the tab is shown: it joins the views
        in the state the others are in, and draws itself once on screen. Returns the new
        view (None when it was there already, or there is no drawing tab)."""
        if not self._drawing or self.query("#drawing"):
            return None
        from cgtui.app.drawing import DrawingView

        view = DrawingView(id="drawing", lazy=True)  # drawn when its tab is shown
        self.query_one("#tab-drawing", TabPane).mount(view)
        self._views.append(view)
        view.set_mask(self._mask)
        view.show(self.stepper)
        view.set_touched(self.touched)
        view.select(self.selected)
        return view

    def action_focus_views(self) -> None:
        from cgtui.app.zoom_mode import in_zoom, zoom_back

        if in_zoom(self):
            zoom_back(self)
            return
        tabs = self.query_one("#views", TabbedContent)
        pane = tabs.active_pane
        if pane is not None:
            for view in pane.query("#tree, #table, #drawing"):
                view.focus()
                return

    def action_toggle_log(self) -> None:
        log = self._log_view
        log.display = not log.display

    def action_zoom(self) -> None:
        screen = self.screen
        if screen.maximized is not None:
            screen.minimize()
            return
        focused = self.focused
        target: Widget | None = None
        while focused is not None:
            if focused.id in ("views", "side-column", "log"):
                target = focused
                break
            focused = focused.parent if isinstance(focused.parent, Widget) else None
        screen.maximize(target or self.query_one("#views"), container=False)

    # ---- editing ------------------------------------------------------------------------

    def _selected_leaf(self) -> str | None:
        node = self.stepper.graph.nodes[self.selected]
        if node.op is not None:
            self.notify(f"{node.name} is computed; select a leaf", severity="warning")
            return None
        return node.name

    def action_edit_value(self) -> None:
        from cgtui.app.dialogs import PromptDialog

        name = self._selected_leaf()
        if name is None:
            return
        current = self.stepper.values[self.selected]

        def done(text: str | None) -> None:
            if not text:
                return
            old = self.stepper.values[self.selected]
            before = self.session.begin(self.stepper)
            try:
                value = constant_value(text)
                stale = self.stepper.set_value(name, value)
            except CgtuiError as exc:
                self.notify(str(exc), severity="error")
                return
            what = f"{name} = {format_number(value)} (was {value_text(old)})"
            self.session.commit(self.stepper, before, what)
            g = self.stepper.graph
            names = ", ".join(g.nodes[i].name for i in stale) or "none"
            self._after(
                [f"{what}; invalidated values: {names}; all partials cleared"],
                None,
                self.selected,
            )

        self.push_screen(
            PromptDialog(
                f"Value of {name}",
                "a number, or arithmetic on numbers such as 1/3, 2^-3 or -0.5*4",
                "" if current is None else value_text(current),
                validate=_number_problem,
            ),
            done,
        )

    def action_mark_kind(self) -> None:
        from cgtui.app.dialogs import ChoiceDialog

        name = self._selected_leaf()
        if name is None:
            return
        node = self.stepper.graph.nodes[self.selected]
        options = [
            (k.value, f"{k.value}  (now)" if k is node.kind else k.value) for k in explain.leaf_kinds()
        ]

        def done(kind: str | None) -> None:
            if kind is None or kind == node.kind.value:
                return
            old = node.kind.value
            before = self.session.begin(self.stepper)
            try:
                self.stepper.set_kind(name, Kind(kind))
                self._params_cache = None
            except CgtuiError as exc:
                self.notify(str(exc), severity="error")
                return
            self.session.commit(self.stepper, before, f"{name} is {kind} (was {old})")
            self._after([f"{name} is now {kind} (was {old}); partials cleared"], None, self.selected)

        self.push_screen(ChoiceDialog(f"Kind of {name}", options, node.kind.value), done)

    def action_choose_output(self) -> None:
        from cgtui.app.dialogs import ChoiceDialog

        g = self.stepper.graph
        options = [(str(i), g.nodes[i].name) for i in g.outputs]

        def done(key: str | None) -> None:
            if key is None or int(key) == self.stepper.output:
                return
            before = self.session.begin(self.stepper)
            old = self.stepper.output_name
            self.stepper.set_output(int(key))
            self.session.commit(self.stepper, before, f"output {g.nodes[int(key)].name} (was {old})")
            self._show_graph(f"differentiating {g.nodes[int(key)].name}; partials cleared")

        self.push_screen(ChoiceDialog("Output to differentiate", options, str(self.stepper.output)), done)

    # ---- checks and training ----------------------------------------------------------------

    def action_nudge_check(self) -> None:
        from cgtui.app.dialogs import InfoDialog

        s = self.stepper
        name = s.graph.nodes[self.selected].name
        out = s.graph.nodes[s.output].name
        if s.graph.nodes[self.selected].op is None and s.graph.nodes[self.selected].kind is not Kind.CONST:
            self._leaf_check(self.selected)
            return
        try:
            analytic, numeric, rel, h = grad_check(s.graph, name, s.values, s.output)
        except CgtuiError as exc:
            self.notify(str(exc), title="gradient check", severity="error")
            self._write_log([f"gradient check of {name}: {exc}"])
            return
        ok = rel < 1e-5
        lines = [
            f"nudge {name} by ±{format_number(h)} and watch {out}:",
            f"  central difference  ({out}(+h) - {out}(-h)) / 2h = {format_number(numeric)}",
            f"  backprop            {partial_name(out, name)} = {format_number(analytic)}",
            f"  relative error      {rel:.2e}  {'✓ agree' if ok else '✗ disagree'}",
        ]
        self._write_log(lines)
        self.push_screen(InfoDialog(f"Gradient check of {name}", lines))

    def _leaf_check(self, i: int) -> None:
        """``cgtui check``'s row for leaf ``i`` (of an array leaf: its worst entry of those
        nudged, named), with what the command says of a kink or of cross_entropy's labels."""
        from cgtui.app.dialogs import InfoDialog
        from cgtui.commands.check import check_rows, row_notes, status

        s = self.stepper
        out = s.graph.nodes[s.output].name
        try:
            (row,) = check_rows(s.graph, s.output, None, [i])
        except CgtuiError as exc:
            self.notify(str(exc), title="gradient check", severity="error")
            self._write_log([f"gradient check of {s.graph.nodes[i].name}: {exc}"])
            return
        verdict = {"ok": "✓ agree", "kink": "~ at a kink", "MISMATCH": "✗ disagree"}.get(status(row))
        lines = [f"nudge {row.name} by ±{format_number(row.h)} and watch {out}:"]
        if row.numeric is not None and row.relative_error is not None:
            lines += [
                f"  central difference  ({out}(+h) - {out}(-h)) / 2h = {format_number(row.numeric)}",
                f"  backprop            {partial_name(out, row.name)} = {format_number(row.backprop)}",
                f"  relative error      {row.relative_error:.2e}  {verdict}",
            ]
        lines += [f"  {line}" for line in row_notes(row)]
        self._write_log(lines)
        self.push_screen(InfoDialog(f"Gradient check of {row.name}", lines))

    def action_descent(self) -> None:
        from cgtui.app.dialogs import InfoDialog, PromptDialog

        def check(text: str) -> str | None:
            problem = _number_problem(text)
            if problem is None and constant_value(text) <= 0:
                problem = "the learning rate must be positive"
            return problem

        def done(text: str | None) -> None:
            if not text:
                return
            s = self.stepper
            out = s.graph.nodes[s.output].name
            lr = constant_value(text)
            try:
                changes, before, after = descent_step(s.graph, s.values, s.output, lr)
            except CgtuiError as exc:
                self.notify(str(exc), title="descent step", severity="error")
                return
            snapshot = self.session.begin(s)
            for pname, _old, new in changes:
                s.set_value(pname, new if isinstance(new, np.ndarray) else float(new))
            self.session.commit(s, snapshot, f"descent step, learning rate {format_number(lr)}")
            rule = f"p <- p - lr * {partial_name(out, 'p')}"
            lines = [f"descent step, learning rate {format_number(lr)}: {rule}"]
            lines += [f"  {pname}: {value_text(old)} -> {value_text(new)}" for pname, old, new in changes]
            lines.append(f"  loss {out}: {value_text(before)} -> {value_text(after)}")
            lines.append("  values below the params are cleared: f / F steps forward with the new ones")
            self._after(lines, None, None)
            self.push_screen(InfoDialog("Gradient-descent step", lines))

        self.push_screen(PromptDialog("Gradient-descent step", "learning rate", "0.1", validate=check), done)

    def _scalar_only(self, what: str) -> bool:
        """Whether ``what`` (a feature built for scalar graphs) is refused here, with a
        notice: a tensor graph's nodes hold arrays."""
        if not self.stepper.graph.has_arrays:
            return False
        message = f"{what} works on scalar graphs; this graph's nodes hold arrays"
        self.notify(message, title="scalar graphs only")
        return True

    def action_forward_mode(self) -> None:
        from cgtui.app.forward_mode import ForwardModeScreen  # loaded when first opened

        s = self.stepper
        self.push_screen(ForwardModeScreen(s.graph, self.selected, reverse=s, drawing=self._drawing))

    def action_zoom_node(self) -> None:
        from cgtui.app.zoom_mode import in_zoom, zoom_back, zoom_in

        if in_zoom(self):
            zoom_back(self)
            return
        self._stop_autoplay()
        _opened, line = zoom_in(self)
        self._tell(line)

    def action_backward_graph(self) -> None:
        from cgtui.app.modes import toggle_backward_graph

        problem = toggle_backward_graph(self)
        if problem:
            self.notify(problem, title="no backward graph", severity="error")

    def action_training(self) -> None:
        if not self._training:
            return

        def done(params: dict[str, float] | None) -> None:
            if not params:
                return
            before = self.session.begin(self.stepper)
            for name, value in params.items():
                self.stepper.set_value(name, value if isinstance(value, np.ndarray) else float(value))
            self.session.commit(self.stepper, before, f"params from training: {_assignments(params)}")
            self._after([f"params from training: {_assignments(params)}"], None, None)

        from cgtui.app.training import TrainingScreen

        self.push_screen(TrainingScreen(self.stepper), done)

    def action_quiz(self) -> None:
        if not self._quiz:
            return
        screen = self.screen
        column = self.query_one("#side-column")
        if screen.has_class("-quiz"):
            screen.remove_class("-quiz")
            for panel in self.query("#quiz"):
                panel.remove()
            self._set_mask(explain.NO_MASK)
            self.action_focus_views()
            return
        from cgtui.app.quiz import QuizPanel

        screen.add_class("-quiz")
        panel = QuizPanel(id="quiz")
        column.mount(panel, before=0)
        panel.show(self.stepper)

    def _set_mask(self, mask: explain.Mask) -> None:
        """Hide what an open quiz question asks about in every view (NO_MASK: show all)."""
        if mask == self._mask:
            return
        self._mask = self._side.mask = mask
        for view in self.views():
            view.set_mask(mask)
        self._side.show(self.stepper, self.selected)
        self._refresh_status()

    def on_quiz_panel_asked(self, message: QuizPanel.Asked) -> None:
        """Select the node the quiz asks about, so every view shows where it is."""
        self._set_mask(message.panel.mask())
        node = message.question.node
        if 0 <= node < len(self.stepper.graph.nodes) and node != self.selected:
            self._set_selected(node)

    def on_quiz_panel_answered(self, message: QuizPanel.Answered) -> None:
        """The quiz stepped the engine: refresh every view as after a key press."""
        self._set_mask(message.panel.mask())  # the answer shows; the next question's is hidden
        steps: list[StepResult] = list(message.steps)
        if not steps:
            return
        last = steps[-1]
        self._after([line for r in steps for line in r.lines], None, last.node, last)

    # ---- files ------------------------------------------------------------------------------

    def action_open(self) -> None:
        from cgtui.app.dialogs import OpenDialog

        opened: list[str] = []

        def load(source: str, values: str, params: str) -> Graph:
            from cgtui.lang.source import load_source, parse_assignments, parse_names

            self.sandbox.check_open(source)
            graph = load_source(source, values=parse_assignments([values]), params=parse_names([params]))
            opened[:] = [source]
            return _checked(graph)

        self.push_screen(OpenDialog(load), lambda graph: self._open(graph, opened[0] if opened else ""))

    def action_samples(self) -> None:
        from cgtui.app.dialogs import SampleChoice, SamplesDialog
        from cgtui.lang.samples import list_samples, samples_dir
        from cgtui.lang.source import load_source

        directory = self.samples_directory
        choices = []
        for info in list_samples(directory):
            # a file that cannot be read is listed with its problem and cannot be chosen;
            # one without a description still opens
            readable = info.problem is None or info.problem == "has no description"
            choices.append(
                SampleChoice(
                    info.name,
                    info.path,
                    info.title or "(no title)",
                    info.description or "(no description)",
                    None if readable else info.problem,
                )
            )

        def load(path: Path) -> Graph:
            return _checked(load_source(str(path)))

        def done(graph: Graph | None) -> None:
            self._open(graph, graph.origin.name if graph is not None and graph.origin is not None else "")

        where = str(directory) if directory is not None else str(samples_dir())
        self.push_screen(SamplesDialog(choices, load, where), done)

    def _open(self, graph: Graph | None, source: str) -> None:
        """Show a graph a dialog loaded (None: the dialog was cancelled, keep the current
        one). Unsaved changes to the graph on screen are asked about first."""
        if graph is None:
            return

        def replace() -> None:
            self._stop_autoplay()
            self.graph_stack.clear()  # G no longer leads back to a graph left for its backward graph
            self.stepper = Stepper(graph)
            self.source = source or graph.title or "the new graph"
            self.session = Session.for_source(self.source, graph.origin)
            self._params_cache = None
            self._show_graph(f"opened {self.source}")

        self.unless_unsaved(f"open {source or 'the new graph'}", replace)

    def unless_unsaved(self, then: str, proceed: Callable[[], None]) -> None:
        """Run ``proceed`` (which replaces the graph or quits) at once when nothing is
        unsaved; else ask Save / Discard / Cancel first. Cancel keeps everything as it is."""
        if not self.session.modified:
            proceed()
            return

        def answer(choice: str | None) -> None:
            if choice == "discard":
                proceed()
            elif choice == "save":
                self.action_save(then=proceed)
            else:
                self._tell(f"kept {self.session.label} and its changes")

        from cgtui.app.dialogs import UnsavedDialog

        self._stop_autoplay()
        self.push_screen(UnsavedDialog(self.session.label, then), answer)

    async def action_quit(self) -> None:
        """Quit; with unsaved changes, ask Save / Discard / Cancel first."""
        self.unless_unsaved("quit", self.exit)

    def action_save(self, then: Callable[[], None] | None = None) -> None:
        """Save to YAML; ``then`` runs after a successful save (not after a cancel)."""
        graph = self.stepper.graph

        def save(path: str, overwrite: bool) -> str:
            from cgtui.lang.saving import save_graph

            self.sandbox.check_save(path)
            save_graph(graph, Path(path), overwrite=overwrite)  # re-points a relative data file
            return path

        def done(path: str | None) -> None:
            if not path:
                return
            self.session.saved(Path(path), path)
            self._refresh_status()
            self._write_log([f"saved the graph and its values to {path}"])
            self.notify(f"saved {path}")
            if then is not None:
                then()

        if self.sandbox.read_only:
            self.notify("saving is turned off in this session (the server is read-only)", severity="warning")
            return
        where = self.session.path
        suggestion = "graph.yaml"
        if where is not None and where.suffix in (".yaml", ".yml"):
            # the file as it was named (relative stays relative); a file opened from
            # elsewhere is offered as a new file here
            label = self.session.label
            same = _same_file(Path(label), where)
            suggestion = label if same else where.name
        # never a bundled sample, and in a served session only inside its folder
        suggestion = safety.save_suggestion(suggestion, self.sandbox)
        from cgtui.app.dialogs import SaveDialog

        self.push_screen(SaveDialog(save, suggestion, hand_written=hand_written, beside=beside), done)

    # ---- help and the command palette ----------------------------------------------------------

    def _actions(self) -> list[Binding]:
        """The app's bindings that exist here (greyed-out ones too; autoplay also while a
        text box has focus)."""
        out: list[Binding] = []
        for b in self.BINDINGS:
            if not isinstance(b, Binding):
                continue
            name = _action_name(b.action)
            if name == "autoplay" or self.check_action(name, _action_args(b.action)) is not False:
                out.append(b)
        return out

    def _key_lines(self, bindings: Iterable[BindingType]) -> list[tuple[str, str]]:
        """(keys, what they do) for a widget's or screen's bindings, the keys that do the
        same together (``↑/↓``, ``+/=``)."""
        rows: dict[str, list[str]] = {}
        for b in Binding.make_bindings(bindings):
            if not b.system:
                rows.setdefault(b.tooltip or b.description, []).append(self.get_key_display(b))
        return [(_key_group(list(dict.fromkeys(keys))), text) for text, keys in rows.items()]

    def help_keys(self) -> list[tuple[str, str]]:
        """Every key of every mode, for the help screen: (key, text) rows; a row with no
        key is a heading."""
        from cgtui.app.drawing import DrawingView
        from cgtui.app.quiz import QuizPanel
        from cgtui.app.training import TrainingScreen

        rows = [(self.get_key_display(b), b.tooltip or b.description) for b in self._actions()]
        rows.append(("ctrl+q", "Quit, as q"))
        rows.append(("ctrl+p", "Command palette: every action by name"))
        if self._drawing:
            rows += [("", ""), ("", "Drawing view (key 3)")]
            rows += self._key_lines(DrawingView.BINDINGS)
        if self._training:
            rows += [("", ""), ("", "Training screen (key T)")]
            rows += self._key_lines(TrainingScreen.BINDINGS)
        if self._quiz:
            rows += [("", ""), ("", "Quiz (key Q; type the answer, enter checks it)")]
            rows += self._key_lines(QuizPanel.BINDINGS)
        rows += [
            ("", ""),
            ("", "Dialogs"),
            ("enter", "Accept (in Jump: the name suggested after the cursor)"),
            ("right", "Take the suggested name or file name (Jump, Open, Save)"),
            ("escape", "Cancel: nothing changes"),
            ("type", "Filter the samples list (p)"),
            ("", ""),
            ("", "Command palette (ctrl+p)"),
            ("", "Every action above by name, and Textual's own commands:"),
            ("", "Theme (colours), Keys (a panel of the focused widget's keys),"),
            ("", "Screenshot (saves an SVG of the screen to the working directory)."),
        ]
        return rows

    def action_help(self) -> None:
        notes = [
            "",
            "Tree: the output at the root and a node's operands below it; a node used twice is "
            "expanded once and shown as a reference elsewhere (enter on a reference jumps there).",
            "Table: every node in topological order with its value, dL/dnode and status.",
            "Side pane: the selected node's arithmetic; its local derivatives (Edge | Local "
            "derivative); its partial, one term per outgoing edge (✓ done or … pending); the chain "
            "rule as a sum over paths (✓ when it equals backprop's partial), the exact path count, "
            "the cost of enumerating paths versus backprop, and the whole Jacobian's cost by "
            "forward mode (one pass per leaf) and reverse mode (one per output).",
            "Tensor graphs: an array is shown in one line as its shape and mean, (4,3) mean 0.12; "
            "the side pane shows the selected node's value and partial as tables (a summary with a "
            "shaded map when big) and each incoming edge's vector-Jacobian product with the shape of "
            "every factor, and which axes broadcasting sums G over. Z opens the scalar graph a tensor "
            "node stands for, at its values and its upstream partial G; escape goes back.",
            f"The node a step just touched is marked {TOUCHED_MARK.strip()} in every view.",
            "The title line shows what is open and ● modified after a change that is not saved.",
        ]
        from cgtui.app.dialogs import HelpScreen

        self.push_screen(HelpScreen(self.help_keys(), notes))

    def action_command_palette(self) -> None:
        """The palette opens over the explorer or the training screen, never over a dialog
        (whose answer it would leave hanging)."""
        from textual.command import CommandPalette

        if isinstance(self.screen, ModalScreen) and not CommandPalette.is_open(cast(Any, self)):
            self._tell("close this dialog first (escape), then ctrl+p opens the palette")
            return
        super().action_command_palette()

    def get_system_commands(self, screen: Screen[Any]) -> Iterable[SystemCommand]:
        for command in super().get_system_commands(screen):
            if command.title not in ("Maximize", "Minimize"):  # z does both, listed below
                yield command
        for b in self._actions():
            name, args = _action_name(b.action), _action_args(b.action)
            if name in ("quit", "help") or self.check_action(name, args) is None:
                continue
            method = getattr(self, f"action_{name}")
            key = self.get_key_display(b)
            yield SystemCommand(b.tooltip or b.description, f"key {key}", _bound(method, args))
        yield SystemCommand("Help: every key", "key ?", self.action_help)


def _same_file(a: Path, b: Path) -> bool:
    try:
        return a.resolve() == b.resolve()
    except (OSError, ValueError):
        return False


def _key_group(keys: list[str]) -> str:
    """Keys that do the same, written short: ``↑/↓``, ``shift+↑↓←→``."""
    prefix = "shift+"
    if len(keys) > 2 and all(k.startswith(prefix) for k in keys):
        return prefix + "".join(k.removeprefix(prefix) for k in keys)
    return "/".join(keys)


def _bound(method: Any, args: tuple[object, ...]) -> Any:
    return lambda: method(*args)


def _action_name(action: str) -> str:
    return action.split("(", 1)[0]


def _action_args(action: str) -> tuple[object, ...]:
    if "(" not in action:
        return ()
    inner = action.split("(", 1)[1].rstrip(")").strip()
    return tuple(a.strip().strip("'\"") for a in inner.split(",") if a.strip())


def _number_problem(text: str) -> str | None:
    """None when ``text`` is a finite number or constant arithmetic (``1/3``), else why not."""
    try:
        constant_value(text)
    except CgtuiError as exc:
        return str(exc)
    return None


def _assignments(values: dict[str, float]) -> str:
    return ", ".join(f"{k}={value_text(v)}" for k, v in values.items())


def run_app(stepper: Stepper, source: str = "", sandbox: safety.Sandbox | None = None) -> int:
    """Run the explorer; the exit status (1 after an unexpected error, with the graph saved)."""
    app = ExplorerApp(stepper, source=source)
    if sandbox is not None:
        app.sandbox = sandbox
    app.run()
    return finish(app)


def finish(app: ExplorerApp) -> int:
    """The exit status of a finished app; after an unexpected error, say where the graph went."""
    code = app.return_code or 0
    if code or app.recovery is not None:
        safety.report(app.recovery)
        return code or safety.EXIT_CRASH
    return 0


def _checked(graph: Graph) -> Graph:
    """Make a stepper once, so a bad output is reported while the dialog can still show it."""
    Stepper(graph)
    return graph
