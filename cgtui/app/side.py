"""The side pane: everything about the selected node, from its definition to the paths."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from rich.cells import cell_len
from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.containers import Vertical, VerticalScroll
from textual.geometry import Size
from textual.scrollbar import ScrollBar
from textual.timer import Timer
from textual.visual import VisualType
from textual.widget import Widget
from textual.widgets import Static
from textual.worker import get_current_worker

from cgtui.app import explain
from cgtui.app.layout import lesson_changes
from cgtui.app.scrollbars import QuickScrollBar, quick_vertical_scrollbar
from cgtui.core.errors import CgtuiError
from cgtui.core.graph import Graph
from cgtui.core.lazy import load_numpy
from cgtui.engine.engine import Status, Stepper
from cgtui.engine.jacobian import pass_counts
from cgtui.engine.paths import Cancelled
from cgtui.teach.directions import jacobian_cost_lines

#: Seconds between a selection and the start of its paths computation.
PATHS_DELAY = 0.2

#: The same for a graph's first node (nobody is stepping past it yet).
FIRST_PATHS_DELAY = 0.01

#: Graphs up to this many nodes have the whole Jacobian's cost counted at once (about 15 ms
#: for 10,000 nodes: less than the layout of the screen that a count arriving later asks
#: for); bigger ones in a worker.
JACOBIAN_AT_ONCE = 20_000


@dataclass(repr=False)
class PathsJob:
    """A snapshot of what the paths section needs, so a worker thread can compute it
    while the user keeps stepping."""

    generation: int
    graph: Graph
    values: list[Any]
    output: int
    index: int
    partial: Any
    final: bool
    on_path: bool
    needs: bool
    forward_complete: bool
    masked: bool = False  # an open quiz question asks about these paths

    def __repr__(self) -> str:  # workers describe their arguments: keep it short
        return f"PathsJob(node {self.index}, generation {self.generation})"


if TYPE_CHECKING:
    _WidgetMixin = Widget
else:  # (a plain mixin: a Widget subclass among the bases would change their class setup)
    _WidgetMixin = object


class _PlacedByItsLayout(_WidgetMixin):
    """A widget whose new size, set by a layout of the screen, asks for no second layout:
    Textual then sets its virtual size, which asks for one, and the layout that sized it
    has placed everything already."""

    def _size_updated(
        self, size: Size, virtual_size: Size, container_size: Size, layout: bool = True
    ) -> bool:
        return super()._size_updated(size, virtual_size, container_size, layout=False)


class Section(_PlacedByItsLayout, Static):
    """A section of the side pane whose text changes with the selection and the steps, or
    a heading.

    A layout gives it a new height (or, for a heading, a new width: the pane's scrollbar
    came or went); a section does not scroll, so nothing else needs placing then.
    """

    #: the height :meth:`hold` keeps (0: the text's own)
    _held_lines = 0

    def update(self, content: VisualType = "", *, layout: bool = True) -> None:
        self._held_lines = 0
        super().update(content, layout=layout)

    def hold(self, lines: int) -> None:
        """'…', keeping ``lines`` lines of height, while the section's text is computed:
        Textual renders one line of text and blank lines below it (a text of ``lines``
        lines, blank but the first, cost as much to render as the text it stands for)."""
        self.update("…", layout=False)
        self._held_lines = lines

    def get_content_height(self, container: Size, viewport: Size, width: int) -> int:
        height = super().get_content_height(container, viewport, width)
        return max(height, self._held_lines) if width else height


class _PaneScrollBar(_PlacedByItsLayout, QuickScrollBar):
    """The side pane's vertical scrollbar, shown for the first time or given another
    height: a scrollbar holds nothing to place. It draws a moved thumb from the lines it
    drew before."""


class SideColumn(Vertical):
    """The column of the side pane (and the quiz above it in quiz mode); ``z`` maximises it."""

    ALLOW_MAXIMIZE = True


class SidePane(_PlacedByItsLayout, VerticalScroll):
    """Definition, local derivatives, accumulation, paths and cost for one node.

    A leaf has no incoming edges: its local-derivative section folds into its definition.
    Once the backward pass has begun, the pane keeps what a backward step changes (the
    partial, its terms and the sum over paths) in view: when the whole pane does not fit,
    it scrolls to the partial.

    A layout that gives it new content (a section grew or shrank) places everything; its
    scrollbars still follow the new size (one that comes or goes asks for its layout).
    """

    ALLOW_MAXIMIZE = True

    @property
    def vertical_scrollbar(self) -> ScrollBar:
        """Textual's, made as a :class:`_PaneScrollBar`."""
        return quick_vertical_scrollbar(self, _PaneScrollBar)

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.stepper: Stepper | None = None
        self.node_index: int | None = None
        #: What an open quiz question asks about (hidden until it is answered).
        self.mask = explain.NO_MASK
        self._generation = 0  # of the latest selection; its paths are shown when
        self._shown_generation = 0  # this catches up
        self._pending: Timer | None = None
        self._shown: dict[str, str] = {}
        #: The sections whose height the texts set since the last selection (or paths) take
        #: (see :meth:`_fit_scrollbar`); unknown when a section was shown or hidden.
        self._new_heights: dict[Widget, int] = {}
        self._heights_unknown = False

        self._title = Section(id="side-title", markup=False)
        self._definition = Section(id="side-definition", markup=False)
        #: An array-valued node's value and partial as tables, and its VJPs with shapes.
        self._tensor = Section(id="side-tensor", markup=False)
        self._edges_title = Section(
            "Local derivatives of the incoming edges", id="side-edges-title", classes="heading"
        )
        self._edges = Section(id="side-edges")
        self._acc_title = Section(
            "Partial and how backprop builds it", id="side-acc-title", classes="heading"
        )
        self._accumulation = Section(id="side-accumulation", markup=False)
        self._paths = Section(id="side-paths", markup=False)
        #: The whole Jacobian's cost by either direction (forward: n passes, reverse: m),
        #: for the graph and kinds it was counted for.
        self._jacobian = Section(id="side-jacobian", markup=False)
        self._jacobian_for: tuple[Graph, list[bool]] | None = None

    def compose(self) -> ComposeResult:
        yield self._title
        yield self._definition
        yield self._tensor
        yield self._edges_title
        yield self._edges
        yield self._acc_title
        yield self._accumulation
        yield Section("Chain rule as a sum over paths", id="side-paths-title", classes="heading")
        yield self._paths
        yield self._jacobian

    def show(self, stepper: Stepper, index: int) -> None:
        """Show node ``index``; the paths section follows from a worker (at once for a
        graph's first node, :data:`PATHS_DELAY` later for the nodes a user steps through),
        unless there are no paths to follow (the output itself, a node off every path or
        constant, a quiz question about them): those are shown with the rest."""
        first = self.stepper is None or self.stepper.graph is not stepper.graph
        self._new_heights, self._heights_unknown = {}, False
        self.stepper = stepper
        self.node_index = index
        g = stepper.graph
        node = g.nodes[index]
        kind = explain.MASKED if index in self.mask.kinds else explain.kind_key(stepper, index)
        self._set(self._title,
            f"{node.name}  ({kind}{', ' + node.op if node.op else ''})  {stepper.status(index).value}"
        )
        imported = explain.imported_lines(stepper, index, self.mask)
        self._set(self._definition, "\n".join([explain.definition(stepper, index, self.mask), *imported]))
        self._show_tensor(stepper, index)
        self._show_edges()
        if self.has_class("-leaf") != (node.op is None):
            self.set_class(node.op is None, "-leaf")  # the definition says it is a leaf
            self._heights_unknown = True
        acc = explain.accumulation(stepper, index, self.mask)
        lines = [acc.heading]
        lines += [("  ✓ done    " if t.done else "  … pending ") + t.text for t in acc.terms]
        if acc.total:
            lines.append(acc.total)
        self._set(self._accumulation, "\n".join(lines))
        self._generation += 1
        job = PathsJob(
            self._generation,
            g,
            list(stepper.values),
            stepper.output,
            index,
            stepper.partials[index],
            stepper.status(index) is Status.FINAL,
            stepper.path[index],
            stepper.needs[index],
            stepper.forward_complete,
            index in self.mask.paths,
        )
        if self._pending is not None:
            self._pending.stop()
            self._pending = None
        if job.masked or index == job.output or not job.on_path or not job.needs:
            self._show_paths(job.generation, _paths_text(job))  # nothing to follow
        else:
            # a placeholder as tall as the last paths text: the pane keeps its height (no
            # layout of the screen, no jump) until the new paths arrive
            last = self._shown.get(self._paths.id or "", "")
            height = self._paths.content_size.height or last.count("\n") + 1
            self._hold(self._paths, height)
            # start the paths worker once the step is on screen; a newer selection replaces it
            delay = FIRST_PATHS_DELAY if first else PATHS_DELAY
            self._pending = self.set_timer(delay, lambda: self._start_paths(job))
        if stepper.backward_pos > 0:
            self.call_after_refresh(self._keep_partial_in_view)
        self._show_jacobian(stepper)
        self._fit_scrollbar()

    def _fit_scrollbar(self) -> None:
        """When the sections' new heights make the pane's content overflow where it fitted
        (or fit where it overflowed), show (or hide) the pane's scrollbar now, as the layout
        to come would: that layout then places the sections as they will stay. During the
        backward pass, scroll to the partial now as well (see :meth:`_keep_partial_in_view`).

        Left to the layout, it would find the scrollbar's change and ask for another layout
        of the whole screen (two layouts for the step that makes the pane overflow, the
        first backward step); and a scroll after the frame draws the whole pane again in a
        frame of its own."""
        if self._heights_unknown or not self._new_heights or not self.container_size:
            return
        if self.styles.overflow_y != "auto":
            return
        tops, total = self._placed_tops()
        overflow = total > self.container_size.height
        if overflow != self.show_vertical_scrollbar:
            self.show_vertical_scrollbar = overflow
            self.vertical_scrollbar.display = overflow
        self._plan_scroll(tops, total)

    def _placed_tops(self) -> tuple[dict[Widget, tuple[int, int, int]], int]:
        """Where the layout to come places each shown section (its margin's top, its own
        top and bottom) with the heights the texts set, and the content's whole height
        (Textual's vertical layout: margins between two sections collapse to the larger)."""
        tops: dict[Widget, tuple[int, int, int]] = {}
        total, below = 0, 0
        for child in self.children:
            if not isinstance(child, Widget) or not child.display:
                continue
            margin = child.styles.margin
            height = self._new_heights.get(child)
            outer = child.outer_size.height if height is None else height + child.styles.gutter.height
            gap = max(below, margin.top)
            tops[child] = (total + gap - margin.top, total + gap, total + gap + outer)
            total += gap + outer
            below = margin.bottom
        return tops, total + below

    def _plan_scroll(self, tops: dict[Widget, tuple[int, int, int]], total: int) -> None:
        """Scroll now where the layout to come, then :meth:`_keep_partial_in_view`, would
        scroll after the frame: within the new content (Textual brings a scroll beyond it
        back after the layout), and during the backward pass to the partial. The layout
        then places the sections scrolled, and the step has one frame: a scroll after the
        frame draws the whole pane again in a frame of its own.

        The scroll is set as the layout will find it, beyond the old content's end if the
        new content is longer (where Textual's scroll methods would stop it)."""
        height = self.scrollable_content_region.height
        stepper = self.stepper
        if not height or stepper is None:
            return
        if self.is_attached and lesson_changes(stepper, self.screen.classes):
            return  # the step changes the screen's layout: the pane's height is the layout's
        target = min(self.scroll_y, float(max(0, total - height)))
        title, paths = tops.get(self._acc_title), tops.get(self._paths)
        fits = paths is None or paths[2] <= height  # the pane down to the paths fits
        if stepper.backward_pos > 0 and title is not None and not fits and total > height:
            target = float(min(title[0], total - height))
        if target == self.scroll_y:
            return
        self.set_reactive(SidePane.scroll_y, target)
        self.set_reactive(SidePane.scroll_target_y, target)
        if self.show_vertical_scrollbar:
            self.vertical_scrollbar.position = target
        self._refresh_scroll()

    def _show_tensor(self, stepper: Stepper, index: int) -> None:
        """The tensor section: shown for an array-valued node (or one with array operands)."""
        # all its numbers; the stepper keeps the graph's has_arrays (a scan of every node)
        hidden = index in self.mask.nodes() or not stepper.arrays
        if self.mask and stepper.graph.nodes[index].op is not None and stepper.values[index] is None:
            hidden = True  # its shapes are worked out ahead, and a quiz question may ask one
        width = self.scrollable_content_region.width or 40
        lines: list[str] = []
        if not hidden:
            from cgtui.app import tensor_view  # loaded for array graphs only (with cgtui.draw)

            lines = tensor_view.tensor_lines(stepper, index, width - 1)
        if self._tensor.display != bool(lines):
            self._tensor.display = bool(lines)
            self._heights_unknown = True
        if lines:
            self._set(self._tensor, "\n".join(lines))

    def _show_jacobian(self, stepper: Stepper) -> None:
        """The efficiency section's last lines: what the whole Jacobian costs by forward
        mode (n passes) and by reverse mode (m), and which is cheaper. Counted again only
        for a new graph or new kinds (``Stepper.needs`` is a new list then); in a worker
        for a graph above :data:`JACOBIAN_AT_ONCE` nodes (a sweep over a big graph costs a
        tenth of a second)."""
        done = self._jacobian_for
        if done is not None and done[0] is stepper.graph and done[1] is stepper.needs:
            return
        self._jacobian_for = (stepper.graph, stepper.needs)
        if len(stepper.graph.nodes) <= JACOBIAN_AT_ONCE:
            self._set(self._jacobian, _jacobian_text(stepper.graph))
        else:
            load_numpy()  # in the app's thread, before a worker could be the first to use it
            self.count_jacobian(stepper.graph, stepper.needs)

    @work(thread=True, exclusive=True, group="jacobian", description="whole Jacobian's cost")
    def count_jacobian(self, graph: Graph, needs: list[bool]) -> None:
        text = _jacobian_text(graph)
        self.app.call_from_thread(self._set_jacobian, graph, needs, text)

    def _set_jacobian(self, graph: Graph, needs: list[bool], text: str) -> None:
        done = self._jacobian_for
        if done is not None and done[0] is graph and done[1] is needs:
            self._set(self._jacobian, text)

    def _keep_partial_in_view(self) -> None:
        """During the backward pass, scroll so the partial's section starts the pane when
        the pane down to the paths does not fit (a no-op when it does: the whole
        Jacobian's cost below them is for the graph, not the node, and may wait for a
        scroll)."""
        fits = self._paths.virtual_region.bottom <= self.scrollable_content_region.height
        if self.max_scroll_y > 0 and not fits and self._acc_title.region.height:
            self.scroll_to_widget(self._acc_title, top=True, animate=False)

    def _show_edges(self) -> None:
        """The local-derivative table: one aligned line per edge when the pane is wide enough,
        else the value under its formula (a wrapped line would split the columns)."""
        stepper, index = self.stepper, self.node_index
        if stepper is None or index is None:
            return
        rows = explain.edge_rows(stepper, index, self.mask)
        if not rows:
            self._set(self._edges, Text("a leaf: no incoming edges"))
            return
        # an aligned plain-text table: cheaper to lay out than a Rich Table
        header = ("Edge", "Local derivative", "value")
        cells = [header, *((r.edge, r.formula, r.value) for r in rows)]
        w0 = max(len(c[0]) for c in cells)
        w1 = max(len(c[1]) for c in cells)
        w2 = max(len(c[2]) for c in cells)
        width = self.scrollable_content_region.width
        if not width or w0 + w1 + w2 + 4 <= width:
            lines = [f"{a.ljust(w0)}  {b.ljust(w1)}  {c.rjust(w2)}" for a, b, c in cells]
        else:
            indent = " " * (w0 + 2)
            lines = [f"{'Edge'.ljust(w0)}  Local derivative, value"]
            for a, b, c in cells[1:]:
                value = c if not c[:1].isdigit() and not c.startswith(("-", "?", "[")) else f"= {c}"
                lines += [f"{a.ljust(w0)}  {b}", f"{indent}{value}"]
        text = Text("\n".join(lines))
        text.stylize("bold", 0, len(lines[0]))
        self._set(self._edges, text)

    def on_resize(self) -> None:
        self._show_edges()  # the table's form follows the pane's width

    def _set(self, widget: Static, content: str | Text) -> None:
        """Update ``widget`` only when its text changes; lay out the screen only when the
        new text takes a different number of lines (a layout costs far more than repainting
        one widget, and a step mostly changes numbers on the same lines)."""
        key = content.plain if isinstance(content, Text) else content
        old = self._shown.get(widget.id or "")
        if old == key:
            return
        self._shown[widget.id or ""] = key
        size = widget.content_size
        if old is None or not size.width or not widget.display:
            widget.update(content)
            self._heights_unknown = True
            return
        widget.update(content, layout=False)
        lines = key.split("\n")
        if key and all(cell_len(line) <= size.width for line in lines):
            height = len(lines)  # no line wraps
        else:  # measured as the layout would, wrapped lines included
            height = widget.get_content_height(self.size, self.app.size, size.width)
        if height != size.height:
            widget.refresh(layout=True)
            self._new_heights[widget] = height

    def _hold(self, section: Section, lines: int) -> None:
        """:meth:`_set` for a placeholder of ``lines`` lines ('…' on the first), drawn as
        :meth:`Section.hold` draws it when the section has that height on screen."""
        key = "…" + "\n" * (lines - 1)
        size = section.content_size
        if size.height != lines or not size.width or not section.display:
            self._set(section, key)
        elif self._shown.get(section.id or "") != key:
            self._shown[section.id or ""] = key
            section.hold(lines)

    def _start_paths(self, job: PathsJob) -> None:
        load_numpy()  # in the app's thread, before a worker could be the first to use it
        self.compute_paths(job)

    @work(thread=True, exclusive=True, group="paths", description="sum over paths")
    def compute_paths(self, job: PathsJob) -> None:
        worker = get_current_worker()
        try:
            text = _paths_text(job, cancel=lambda: worker.is_cancelled)  # a newer selection, or quitting
        except Cancelled:
            return
        self.app.call_from_thread(self._paths_arrived, job.generation, text)

    def _paths_arrived(self, generation: int, text: str) -> None:
        self._new_heights, self._heights_unknown = {}, False
        self._show_paths(generation, text)
        self._fit_scrollbar()

    def _show_paths(self, generation: int, text: str) -> None:
        if generation == self._generation:
            self._shown_generation = generation
            self._set(self._paths, text)
            if self.stepper is not None and self.stepper.backward_pos > 0:
                self.call_after_refresh(self._keep_partial_in_view)

    @property
    def paths_ready(self) -> bool:
        """Whether the paths section shows the latest selection (not still computing)."""
        return self._shown_generation == self._generation


def _jacobian_text(graph: Graph) -> str:
    return "\n".join(jacobian_cost_lines(pass_counts(graph)))


def _paths_text(job: PathsJob, cancel: Callable[[], bool] | None = None) -> str:
    """The paths section's text for ``job``."""
    if job.masked:
        return f"paths: {explain.MASKED}"
    try:
        view = explain.paths_view_of(
            job.graph,
            job.values,
            job.output,
            job.index,
            partial=job.partial if job.final else None,
            on_path=job.on_path,
            needs=job.needs,
            forward_complete=job.forward_complete,
            cancel=cancel,
        )
    except CgtuiError as exc:
        return f"cannot follow the paths: {exc}"
    summary = " · ".join(part for part in (view.count, view.cost) if part)
    return "\n".join(part for part in (view.heading, *view.lines, view.total, view.check, summary) if part)
